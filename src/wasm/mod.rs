//! The JS binding: the only module that knows wasm-bindgen. Each exported method is a short
//! shim: convert and check the JS values, call the core [`crate::Index`], convert back.
//! Methods that the API contract types as `Promise` return a promise that rejects with an
//! `Error` on bad input (they never throw synchronously), so `await` sees every failure.

#![deny(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "bench")]
mod bench;
mod convert;
mod durable;
mod options;
mod queue;

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::index::{Hit, Index};
use durable::Durable;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type Metric = "cosine" | "dot" | "l2";
export type Quantization = "none" | "int8" | "binary" | "pq";

export interface IndexOptions {
  /** Length of every vector, 1 to 65536. */
  dimensions: number;
  /** Default "cosine" (vectors are L2-normalised on insert). */
  metric?: Metric;
  /** Default "binary". */
  quantization?: Quantization;
  /** Calibration quantile in (0.5, 1]: the fraction of each dimension's values inside the
   * int8 bounds. Default 0.999. */
  int8?: { quantile?: number };
  /** `subspaces` must divide `dimensions` (default: dimensions / 8 for 8 bits, / 4 for 4 bits).
   * `bits` 8 (256 centroids) or 4 (16 centroids, fast-scan). `seed` fixes k-means++. */
  pq?: { subspaces?: number; bits?: 4 | 8; seed?: number };
  /** `centered` takes signs of x − mean; `query` "asymmetric" (default: the query keeps full
   * precision) or "hamming" (the query is reduced to sign bits too). */
  binary?: { centered?: boolean; query?: "asymmetric" | "hamming" };
}

export interface SearchOptions {
  /** Number of hits, an integer ≥ 1. Default 10. */
  k?: number;
  /** Candidates taken from the codes = ceil(k × oversampling), e.g. 2.4 × 100 = 240.
   * Default per quantization: none 1, int8 2, binary 10, pq 10. */
  oversampling?: number;
  /** Re-score the candidates with the original vectors. Default true. */
  rescore?: boolean;
  /** Ignore the codes: exact scan of the originals (for evaluation). Default false. */
  exact?: boolean;
}

export interface Hit {
  id: string;
  /** Cosine similarity or inner product (higher is better), or Euclidean distance (lower is
   * better). Without rescoring, the codes' estimate on the same scale. */
  score: number;
  metadata?: unknown;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SearchOptions` in the TypeScript types (an optional trailing parameter).
    #[wasm_bindgen(typescript_type = "SearchOptions")]
    pub type SearchOptionsArg;
    /// `{ originals?: boolean }` in the TypeScript types (an optional trailing parameter).
    #[wasm_bindgen(typescript_type = "{ originals?: boolean }")]
    pub type ToBytesOptionsArg;
    /// `IndexOptions` in the TypeScript types (an optional trailing parameter).
    #[wasm_bindgen(typescript_type = "IndexOptions")]
    pub type IndexOptionsArg;
    /// `unknown[]` in the TypeScript types (an optional trailing parameter).
    #[wasm_bindgen(typescript_type = "unknown[]")]
    pub type MetadataArg;
}

/// A vector index: in wasm memory (`new Index`), or persisted in IndexedDB (`Index.open`).
#[wasm_bindgen(js_name = Index)]
pub struct JsIndex {
    /// `None` once `close()` ran.
    inner: Option<Backend>,
    /// Milliseconds of an in-memory index's last search: scan, 0 (no reads), rescoring.
    last_search: Cell<[f64; 3]>,
}

enum Backend {
    /// Everything in wasm memory; calls complete synchronously. (Boxed: `Index` is large.)
    Memory(Box<Index>),
    /// Codes in wasm memory, originals in IndexedDB; calls run in order through a queue.
    Durable(Rc<Durable>),
}

fn closed() -> JsError {
    JsError::new("this Index is closed; create or open a new one")
}

/// A promise settled with the result of `f`.
fn settle(f: impl FnOnce() -> Result<JsValue, JsError>) -> Promise {
    match f() {
        Ok(value) => Promise::resolve(&value),
        Err(error) => Promise::reject(&error.into()),
    }
}

/// JS hits from core hits.
fn hits_to_js<'a>(hits: impl ExactSizeIterator<Item = Hit<'a>>) -> Result<JsValue, JsError> {
    let out = Array::new_with_length(hits.len() as u32);
    for (i, hit) in hits.enumerate() {
        out.set(i as u32, convert::hit(&hit)?.into());
    }
    Ok(out.into())
}

impl JsIndex {
    fn backend(&self) -> Result<&Backend, JsError> {
        self.inner.as_ref().ok_or_else(closed)
    }

    /// Runs `f` on the in-memory state (for a persistent index, as a write under way has
    /// changed it so far).
    fn with_index<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R, JsError> {
        Ok(match self.backend()? {
            Backend::Memory(index) => f(index),
            Backend::Durable(durable) => durable.with_index(f),
        })
    }
}

#[wasm_bindgen(js_class = Index)]
impl JsIndex {
    /// Creates an empty in-memory index.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "IndexOptions")] options: JsValue,
    ) -> Result<JsIndex, JsError> {
        let params = options::index_params(options)?;
        Ok(JsIndex {
            last_search: Cell::default(),
            inner: Some(Backend::Memory(Box::new(Index::new(params)))),
        })
    }

    /// Opens the persistent index `name` (IndexedDB database `quiver:<name>`), creating it
    /// with `options` if it does not exist. Reopening needs no options; options that
    /// contradict the stored ones are an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<Index>")]
    pub fn open(
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        options: Option<IndexOptionsArg>,
    ) -> Promise {
        let parsed = (|| {
            let name = name
                .as_string()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| JsError::new("Index.open: name must be a non-empty string"))?;
            let params = match options.map(JsValue::from) {
                Some(o) if !o.is_undefined() => Some(options::index_params(o)?),
                _ => None,
            };
            Ok::<_, JsError>((name, params))
        })();
        wasm_bindgen_futures::future_to_promise(async move {
            let (name, params) = parsed?;
            let durable = Durable::open(&name, params).await.map_err(JsError::from)?;
            Ok(JsIndex {
                last_search: Cell::default(),
                inner: Some(Backend::Durable(Rc::new(durable))),
            }
            .into())
        })
    }

    /// Inserts or replaces vectors by id; all or nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn add(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | Float32Array[]")] vectors: JsValue,
        metadata: Option<MetadataArg>,
    ) -> Promise {
        let converted = (|| {
            let dimensions = self.with_index(|i| i.params().dimensions)?;
            let ids = convert::strings(&ids, "ids")?;
            // A persistent index's add may run after calls queued before it.
            let snapshot = matches!(self.inner, Some(Backend::Durable(_)));
            let vectors = convert::rows(&vectors, dimensions, snapshot)?;
            let metadata = convert::metadata(metadata.map(JsValue::from))?;
            Ok::<_, JsError>((ids, vectors, metadata))
        })();
        let (ids, vectors, metadata) = match converted {
            Ok(input) => input,
            Err(error) => return Promise::reject(&error.into()),
        };
        match &mut self.inner {
            None => Promise::reject(&closed().into()),
            Some(Backend::Memory(index)) => settle(|| {
                index.add_rows(&ids, &vectors, metadata.as_deref())?;
                Ok(JsValue::UNDEFINED)
            }),
            Some(Backend::Durable(durable)) => {
                let d = durable.clone();
                durable.queue.run(async move {
                    d.add(&ids, &vectors, metadata.as_deref()).await?;
                    Ok(JsValue::UNDEFINED)
                })
            }
        }
    }

    /// The best hits for `query`, best first.
    #[wasm_bindgen(unchecked_return_type = "Promise<Hit[]>")]
    pub fn search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] query: JsValue,
        options: Option<SearchOptionsArg>,
    ) -> Promise {
        let converted = (|| {
            let query = convert::query(&query)?;
            let options = options::search_options(options.map(JsValue::from))?;
            Ok::<_, JsError>((query, options))
        })();
        let (query, options) = match (converted, self.backend()) {
            (Ok(input), Ok(_)) => input,
            (Err(error), _) | (_, Err(error)) => return Promise::reject(&error.into()),
        };
        match &self.inner {
            Some(Backend::Durable(durable)) => {
                let d = durable.clone();
                durable.queue.run(async move {
                    let hits = d.search(&query, &options).await?;
                    hits_to_js(hits.iter().map(|h| Hit {
                        id: &h.id,
                        score: h.score,
                        metadata: h.metadata.as_deref(),
                    }))
                })
            }
            _ => settle(|| {
                self.with_index(|index| {
                    let (hits, [scan, rescore]) =
                        index.search_timed(&query, &options, durable::now)?;
                    self.last_search.set([scan, 0.0, rescore]);
                    hits_to_js(hits.into_iter())
                })?
            }),
        }
    }

    /// Removes ids; resolves to how many were present.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Promise {
        let ids = match convert::strings(&ids, "ids") {
            Ok(ids) => ids,
            Err(error) => return Promise::reject(&error.into()),
        };
        match &mut self.inner {
            None => Promise::reject(&closed().into()),
            Some(Backend::Memory(index)) => {
                Promise::resolve(&JsValue::from(index.delete(&ids).len() as u32))
            }
            Some(Backend::Durable(durable)) => {
                let d = durable.clone();
                durable
                    .queue
                    .run(async move { Ok(JsValue::from(d.delete(&ids).await? as u32)) })
            }
        }
    }

    /// The stored vector (unit length for cosine; absent for an index loaded without
    /// originals) and metadata of `id`, or undefined.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<{ vector?: Float32Array; metadata?: unknown } | undefined>"
    )]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        let id = match convert::string(&id, "id") {
            Ok(id) => id,
            Err(error) => return Promise::reject(&error.into()),
        };
        match &self.inner {
            None => Promise::reject(&closed().into()),
            Some(Backend::Memory(index)) => settle(|| match index.get(&id) {
                None => Ok(JsValue::UNDEFINED),
                Some((vector, metadata)) => Ok(convert::record(vector, metadata)?.into()),
            }),
            Some(Backend::Durable(durable)) => {
                let d = durable.clone();
                durable.queue.run(async move {
                    match d.get(&id).await? {
                        None => Ok(JsValue::UNDEFINED),
                        Some(e) => {
                            Ok(convert::record(Some(&e.vector), e.metadata.as_deref())?.into())
                        }
                    }
                })
            }
        }
    }

    /// The whole index (options, ids, originals, metadata, codes) in the versioned byte
    /// format, with a checksum; `{ originals: false }` leaves the originals out (the loaded
    /// index searches its codes without rescoring). An in-memory index only: a persistent one
    /// keeps its originals and metadata in IndexedDB.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self, options: Option<ToBytesOptionsArg>) -> Result<Uint8Array, JsError> {
        let with_originals = options::to_bytes_originals(options.map(JsValue::from))?;
        let index = match self.backend()? {
            Backend::Memory(index) => index,
            Backend::Durable(_) => {
                return Err(JsError::new(
                    "toBytes() needs an in-memory index: this one (from Index.open) keeps its \
                     originals and metadata in IndexedDB; build the index with new Index(...) to \
                     export it",
                ));
            }
        };
        let bytes = if with_originals {
            index.to_bytes()
        } else {
            index.to_bytes_without_originals()?
        };
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// Loads bytes written by `toBytes`; damaged or foreign bytes throw.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &Uint8Array) -> Result<JsIndex, JsError> {
        Ok(JsIndex {
            last_search: Cell::default(),
            inner: Some(Backend::Memory(Box::new(Index::from_bytes(
                &bytes.to_vec(),
            )?))),
        })
    }

    /// Releases the index's memory (and, once the calls already made have finished, its
    /// database connection); later calls reject with an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&mut self) -> Promise {
        match self.inner.take() {
            Some(Backend::Durable(durable)) => {
                let d = durable.clone();
                durable.queue.run(async move {
                    d.close();
                    Ok(JsValue::UNDEFINED)
                })
            }
            _ => Promise::resolve(&JsValue::UNDEFINED),
        }
    }

    /// Number of vectors.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<u32, JsError> {
        match self.backend()? {
            Backend::Durable(durable) => Ok(durable.len() as u32),
            Backend::Memory(_) => self.with_index(|i| i.len() as u32),
        }
    }

    /// Length of every vector.
    #[wasm_bindgen(getter)]
    pub fn dimensions(&self) -> Result<u32, JsError> {
        self.with_index(|i| i.params().dimensions as u32)
    }

    /// The metric's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Metric")]
    pub fn metric(&self) -> Result<String, JsError> {
        self.with_index(|i| i.params().metric.name().to_owned())
    }

    /// The quantization's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Quantization")]
    pub fn quantization(&self) -> Result<String, JsError> {
        self.with_index(|i| i.params().quantization.name().to_owned())
    }

    /// Bytes the index holds in wasm memory (codes, ids, and the originals it keeps).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> Result<f64, JsError> {
        self.with_index(|i| i.memory_bytes() as f64)
    }

    /// Size of the module's whole linear memory in bytes (all indexes, plus allocator slack).
    /// Linear memory only grows: this is the high-water mark.
    #[wasm_bindgen(getter = wasmMemoryBytes)]
    pub fn wasm_memory_bytes() -> f64 {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
        f64::from(buffer.byte_length())
    }

    /// `[codes, ids, store]` bytes (benchmark builds only).
    #[cfg(feature = "bench")]
    #[wasm_bindgen(js_name = memoryUsage)]
    pub fn memory_usage(&self) -> Result<Vec<f64>, JsError> {
        let usage = self.with_index(Index::memory_usage)?;
        Ok(vec![
            usage.codes as f64,
            usage.ids as f64,
            usage.store as f64,
        ])
    }

    /// Milliseconds of the last search's phases, `[scan, reads, rescore]`: the scan of the
    /// codes, the IndexedDB reads of the candidates' originals (0 in memory), and rescoring.
    /// Zeros before the first search.
    #[wasm_bindgen(js_name = lastSearchTimings)]
    pub fn last_search_timings(&self) -> Result<Vec<f64>, JsError> {
        let timings = match self.backend()? {
            Backend::Durable(durable) => &durable.last_search,
            Backend::Memory(_) => &self.last_search,
        };
        Ok(timings.get().to_vec())
    }

    /// The SIMD tier this module runs: "simd128".
    #[wasm_bindgen(getter)]
    pub fn simd() -> String {
        crate::kernels::ISA.to_owned()
    }
}
