//! The JS binding: the only module that exports to JS. Each exported method is a short
//! shim: convert and check the JS values, call the core [`Handle`] (the same calls for an
//! index in memory and a persistent one) through the call [`Queue`], convert back.
//! Methods that the API contract types as `Promise` return a promise that rejects with an
//! `Error` on bad input (they never throw synchronously), so `await` sees every failure.

#![deny(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "bench")]
mod bench;
mod convert;
mod fields;
mod options;
mod queue;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::handle::Handle;
use crate::idb::Persistent;
use crate::index::{Hit, Index, Timings};
use queue::Queue;

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

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds: times the phases of a search. (Every engine
    /// quiver supports has it: browsers, workers, Node.)
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// A vector index: in wasm memory (`new Index`), or persisted in IndexedDB (`Index.open`).
#[wasm_bindgen(js_name = Index)]
pub struct JsIndex {
    /// `None` once `close()` ran.
    handle: Option<Rc<Handle>>,
    /// Orders the calls.
    queue: Queue,
    /// The phases of the last search.
    last_search: Rc<Cell<Timings>>,
}

fn closed() -> JsError {
    JsError::new("this Index is closed; create or open a new one")
}

/// JS hits from core hits.
fn hits_to_js(hits: Vec<Hit<'_>>) -> Result<JsValue, JsError> {
    let out = Array::new_with_length(hits.len() as u32);
    for (i, hit) in hits.iter().enumerate() {
        out.set(i as u32, convert::hit(hit)?.into());
    }
    Ok(out.into())
}

impl JsIndex {
    fn wrap(handle: Handle) -> JsIndex {
        JsIndex {
            handle: Some(Rc::new(handle)),
            queue: Queue::new(),
            last_search: Rc::default(),
        }
    }

    fn handle(&self) -> Result<&Rc<Handle>, JsError> {
        self.handle.as_ref().ok_or_else(closed)
    }

    /// Queues `call` with the handle, after converting its input with `input`; a closed
    /// index or bad input rejects the promise.
    fn call<I, F>(
        &self,
        input: impl FnOnce(&Handle) -> Result<I, JsError>,
        call: impl FnOnce(Rc<Handle>, I) -> F,
    ) -> Promise
    where
        F: Future<Output = Result<JsValue, JsError>> + 'static,
    {
        let converted = self.handle().and_then(|h| Ok((h.clone(), input(h)?)));
        match converted {
            Ok((handle, input)) => self.queue.run(call(handle, input)),
            Err(error) => Promise::reject(&error.into()),
        }
    }
}

#[wasm_bindgen(js_class = Index)]
impl JsIndex {
    /// Creates an empty in-memory index.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "IndexOptions")] options: JsValue,
    ) -> Result<JsIndex, JsError> {
        let (params, schema) = options::index_options(options)?;
        let index = Index::new(params).with_fields(schema);
        Ok(JsIndex::wrap(Handle::Memory(RefCell::new(index))))
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
                Some(o) if !o.is_undefined() => Some(options::index_options(o)?),
                _ => None,
            };
            Ok::<_, JsError>((name, params))
        })();
        wasm_bindgen_futures::future_to_promise(async move {
            let (name, params) = parsed?;
            let persistent = Persistent::open(&name, params)
                .await
                .map_err(JsError::from)?;
            Ok(JsIndex::wrap(Handle::Persistent(persistent)).into())
        })
    }

    /// Inserts or replaces vectors by id; all or nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | Float32Array[]")] vectors: JsValue,
        metadata: Option<MetadataArg>,
    ) -> Promise {
        let input = |h: &Handle| {
            let ids = convert::strings(&ids, "ids")?;
            // A call that may run later reads a copy, not the caller's array.
            let rows = convert::rows(&vectors, h.params().dimensions, h.runs_later())?;
            let metadata = metadata.map(JsValue::from);
            let records = match &metadata {
                Some(m) => fields::records(m, &h.schema())?,
                None => None,
            };
            let metadata = convert::metadata(metadata)?;
            Ok((ids, rows, metadata, records))
        };
        self.call(input, |h, (ids, rows, metadata, records)| async move {
            (h.add(&ids, &rows, metadata.as_deref(), records.as_deref())).await?;
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
        let input = |_: &Handle| {
            let query = convert::query(&query)?;
            let options = options::search_options(options.map(JsValue::from))?;
            Ok((query, options))
        };
        let last_search = self.last_search.clone();
        self.call(input, |h, (query, (options, filter))| async move {
            let search = h.search(&query, &options, filter.as_ref(), &now, hits_to_js);
            let (hits, timings) = search.await?;
            last_search.set(timings);
            hits
        })
    }

    /// How many vectors `where` selects (all of them without it).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn count(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Where")] filter: JsValue,
    ) -> Promise {
        let input = |_: &Handle| match filter.is_undefined() {
            true => Ok(None),
            false => Ok(Some(fields::filter(&filter, "where")?)),
        };
        self.call(input, |h, filter| async move {
            Ok(JsValue::from(h.count(filter.as_ref()).await? as u32))
        })
    }

    /// A page of `{ id, metadata? }` in id order: those `where` selects (all without it)
    /// after the id `after`, at most `limit` (default 100, at most 10,000).
    #[wasm_bindgen(unchecked_return_type = "Promise<Listed[]>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ListOptions")] options: JsValue,
    ) -> Promise {
        let input = |_: &Handle| options::list_options(Some(options));
        self.call(input, |h, (filter, after, limit)| async move {
            let listed = h.list(filter.as_ref(), after.as_deref(), limit, |page| {
                let out = Array::new_with_length(page.len() as u32);
                for (i, (id, metadata)) in page.into_iter().enumerate() {
                    out.set(i as u32, convert::listed(id, metadata)?.into());
                }
                Ok::<_, JsError>(JsValue::from(out))
            });
            listed.await?
        })
    }

    /// Removes ids; resolves to how many were present.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Promise {
        let input = |_: &Handle| convert::strings(&ids, "ids");
        self.call(input, |h, ids| async move {
            Ok(JsValue::from(h.delete(&ids).await? as u32))
        })
    }

    /// The stored vector (unit length for cosine; absent for an index loaded without
    /// originals) and metadata of `id`, or undefined.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<{ vector?: Float32Array; metadata?: unknown } | undefined>"
    )]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        let input = |_: &Handle| convert::string(&id, "id");
        self.call(input, |h, id| async move {
            h.get(&id, |found| match found {
                None => Ok(JsValue::UNDEFINED),
                Some((vector, metadata)) => Ok(convert::record(vector, metadata)?.into()),
            })
            .await?
        })
    }

    /// The whole index (options, ids, originals, metadata, codes) in the versioned byte
    /// format, with a checksum; `{ originals: false }` leaves the originals out (the loaded
    /// index searches its codes without rescoring). An in-memory index only: a persistent one
    /// keeps its originals and metadata in IndexedDB.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self, options: Option<ToBytesOptionsArg>) -> Result<Uint8Array, JsError> {
        let with_originals = options::to_bytes_originals(options.map(JsValue::from))?;
        let bytes = self.handle()?.to_bytes(with_originals)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// Loads bytes written by `toBytes`; damaged or foreign bytes throw.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &Uint8Array) -> Result<JsIndex, JsError> {
        let index = Index::from_bytes(&bytes.to_vec())?;
        Ok(JsIndex::wrap(Handle::Memory(RefCell::new(index))))
    }

    /// Releases the index's memory (and, once the calls already made have finished, its
    /// database connection); later calls reject with an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&mut self) -> Promise {
        let Some(handle) = self.handle.take() else {
            return Promise::resolve(&JsValue::UNDEFINED);
        };
        self.queue.run(async move {
            handle.close();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Number of vectors.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<u32, JsError> {
        Ok(self.handle()?.len() as u32)
    }

    /// Length of every vector.
    #[wasm_bindgen(getter)]
    pub fn dimensions(&self) -> Result<u32, JsError> {
        Ok(self.handle()?.params().dimensions as u32)
    }

    /// The metric's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Metric")]
    pub fn metric(&self) -> Result<String, JsError> {
        Ok(self.handle()?.params().metric.name().to_owned())
    }

    /// The quantization's name.
    #[wasm_bindgen(getter, unchecked_return_type = "Quantization")]
    pub fn quantization(&self) -> Result<String, JsError> {
        Ok(self.handle()?.params().quantization.name().to_owned())
    }

    /// Bytes the index holds in wasm memory (codes, ids, and the originals it keeps).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> Result<f64, JsError> {
        let usage = self.handle()?.memory_usage();
        Ok((usage.codes + usage.ids + usage.fields + usage.store) as f64)
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
        let usage = self.handle()?.memory_usage();
        Ok(vec![
            usage.codes as f64,
            usage.ids as f64,
            usage.store as f64,
        ])
    }

    /// The last search's phases, `[scan, reads, rescore, originals]`: milliseconds of the scan
    /// of the codes, of the IndexedDB reads of the candidates' originals (0 in memory) and of
    /// rescoring, then how many originals it read (with refinement, only the candidates that
    /// could still reach the top k). Zeros before the first search.
    #[wasm_bindgen(js_name = lastSearchTimings)]
    pub fn last_search_timings(&self) -> Result<Vec<f64>, JsError> {
        self.handle()?;
        let Timings {
            scan,
            read,
            rescore,
            reads,
        } = self.last_search.get();
        Ok(vec![scan, read, rescore, reads as f64])
    }

    /// The SIMD tier this module runs: "simd128".
    #[wasm_bindgen(getter)]
    pub fn simd() -> String {
        crate::kernels::ISA.to_owned()
    }
}
