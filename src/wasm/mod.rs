//! The JS binding: the only module that knows wasm-bindgen. Each exported method is a short
//! shim: convert and check the JS values, call the core [`crate::Index`], convert back.
//! Methods that the API contract types as `Promise` return a promise that rejects with an
//! `Error` on bad input (they never throw synchronously), so `await` sees every failure.

#![deny(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "bench")]
mod bench;
mod convert;
mod options;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::index::Index;

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
    /// `unknown[]` in the TypeScript types (an optional trailing parameter).
    #[wasm_bindgen(typescript_type = "unknown[]")]
    pub type MetadataArg;
}

/// A vector index held in wasm memory.
#[wasm_bindgen(js_name = Index)]
pub struct JsIndex {
    /// `None` once `close()` ran.
    inner: Option<Index>,
}

fn closed() -> JsError {
    JsError::new("this Index is closed; create or load a new one")
}

/// A promise settled with the result of `f`.
fn settle(f: impl FnOnce() -> Result<JsValue, JsError>) -> Promise {
    match f() {
        Ok(value) => Promise::resolve(&value),
        Err(error) => Promise::reject(&error.into()),
    }
}

impl JsIndex {
    fn index(&self) -> Result<&Index, JsError> {
        self.inner.as_ref().ok_or_else(closed)
    }

    fn index_mut(&mut self) -> Result<&mut Index, JsError> {
        self.inner.as_mut().ok_or_else(closed)
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
            inner: Some(Index::new(params)),
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
        settle(|| {
            let index = self.index_mut()?;
            let ids = convert::strings(&ids, "ids")?;
            let vectors = convert::vectors(&vectors, index.params().dimensions)?;
            let metadata = convert::metadata(metadata.map(JsValue::from))?;
            index.add(&ids, &vectors, metadata.as_deref())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The best hits for `query`, best first.
    #[wasm_bindgen(unchecked_return_type = "Promise<Hit[]>")]
    pub fn search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] query: JsValue,
        options: Option<SearchOptionsArg>,
    ) -> Promise {
        settle(|| {
            let index = self.index()?;
            let query = convert::query(&query)?;
            let options = options::search_options(options.map(JsValue::from))?;
            let hits = index.search(&query, &options)?;
            let out = Array::new_with_length(hits.len() as u32);
            for (i, hit) in hits.iter().enumerate() {
                out.set(i as u32, convert::hit(hit)?.into());
            }
            Ok(out.into())
        })
    }

    /// Removes ids; resolves to how many were present.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Promise {
        settle(|| {
            let index = self.index_mut()?;
            let ids = convert::strings(&ids, "ids")?;
            Ok(JsValue::from(index.delete(&ids).len() as u32))
        })
    }

    /// The stored vector (unit length for cosine) and metadata of `id`, or undefined.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<{ vector: Float32Array; metadata?: unknown } | undefined>"
    )]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        settle(|| {
            let index = self.index()?;
            let id = id
                .as_string()
                .ok_or_else(|| JsError::new("id must be a string"))?;
            match index.get(&id) {
                None => Ok(JsValue::UNDEFINED),
                Some((vector, metadata)) => Ok(convert::record(vector, metadata)?.into()),
            }
        })
    }

    /// The whole index (options, ids, originals, metadata, codes) in the versioned byte
    /// format, with a checksum.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Uint8Array, JsError> {
        Ok(Uint8Array::from(self.index()?.to_bytes().as_slice()))
    }

    /// Loads bytes written by `toBytes`; damaged or foreign bytes throw.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &Uint8Array) -> Result<JsIndex, JsError> {
        Ok(JsIndex {
            inner: Some(Index::from_bytes(&bytes.to_vec())?),
        })
    }

    /// Releases the index's memory; later calls reject with an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&mut self) -> Promise {
        self.inner = None;
        Promise::resolve(&JsValue::UNDEFINED)
    }

    /// Number of vectors.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<u32, JsError> {
        Ok(self.index()?.len() as u32)
    }

    /// Length of every vector.
    #[wasm_bindgen(getter)]
    pub fn dimensions(&self) -> Result<u32, JsError> {
        Ok(self.index()?.params().dimensions as u32)
    }

    /// The metric's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Metric")]
    pub fn metric(&self) -> Result<String, JsError> {
        Ok(self.index()?.params().metric.name().to_owned())
    }

    /// The quantization's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Quantization")]
    pub fn quantization(&self) -> Result<String, JsError> {
        Ok(self.index()?.params().quantization.name().to_owned())
    }

    /// Bytes the index holds in wasm memory (codes, ids, and the originals it keeps).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> Result<f64, JsError> {
        Ok(self.index()?.memory_bytes() as f64)
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
        let usage = self.index()?.memory_usage();
        Ok(vec![
            usage.codes as f64,
            usage.ids as f64,
            usage.store as f64,
        ])
    }

    /// The SIMD tier this module runs: "simd128".
    #[wasm_bindgen(getter)]
    pub fn simd() -> String {
        crate::kernels::ISA.to_owned()
    }
}
