//! IndexedDB, reached from `globalThis.indexedDB`, so the same code runs in a page, a
//! dedicated worker and an extension service worker.
//!
//! ## Schema (database `quiver:<name>`, schema version [`SCHEMA_VERSION`])
//! | store | key | value |
//! |---|---|---|
//! | `meta` | `"header"` | [`crate::Index::header_bytes`]: params, slot count, quantizer model |
//! | `meta` | `"generation"` | number of committed writes (a JS number; absent = 0) |
//! | `pages` | page number | [`crate::Index::page_bytes`]: ids and codes of 4,096 slots |
//! | `vectors` | block number | [`Block::to_bytes`]: originals and metadata of 8 slots |
//!
//! Every value is a framed, checksummed byte string with its own format version, so a
//! damaged or foreign record is reported, never read as data. One `add` or `delete` is one
//! `readwrite` transaction over the three stores ([`Tx`]): IndexedDB commits it whole or
//! not at all, which is what makes a crash mid-write safe.
//!
//! ## Several tabs and workers
//! Any number of pages and workers may open the same index. Each holds the codes in its own
//! memory, stamped with the generation it loaded; every write stores the next generation.
//! Every call runs in one transaction that first reads the stored generation and, if it is
//! newer, reloads the header and pages *in that same transaction* before doing anything
//! else. A read-only transaction is a snapshot and IndexedDB runs overlapping read-write
//! transactions one at a time, so a call never mixes generations, never overwrites a write
//! it has not seen, and never has to retry.
//!
//! Requests become promises whose `resolve` / `reject` are the request's own event handlers,
//! so no JS glue (and nothing that a strict extension CSP would refuse) is needed.

use std::cell::Cell;
use std::rc::Rc;

use hashbrown::HashMap;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbTransaction};
use web_sys::{IdbRequest, IdbTransactionMode, IdbVersionChangeEvent};

use super::block::Block;
use crate::error::{Error, Result};

/// The layout of the stores; a database of a newer schema is refused, not misread.
pub const SCHEMA_VERSION: u32 = 1;

const META: &str = "meta";
const PAGES: &str = "pages";
const VECTORS: &str = "vectors";
const HEADER_KEY: &str = "header";
const GENERATION_KEY: &str = "generation";

/// The stored index as one read transaction saw it.
#[derive(Debug)]
pub struct StoredIndex {
    /// [`crate::Index::header_bytes`].
    pub header: Vec<u8>,
    /// [`crate::Index::page_bytes`] of every page, in order.
    pub pages: Vec<Vec<u8>>,
    /// The generation these records belong to.
    pub generation: u64,
}

/// A promise settled by the request's events (with the event, not the result: the result
/// is read from the request). No closure is allocated: `resolve` and `reject` themselves are
/// the handlers, so nothing leaks when one of them never fires.
fn events(request: &IdbRequest) -> Promise {
    Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    })
}

/// A request and the promise of its events, made as the request is issued: a handler set
/// later would miss an event that has already fired, and requests of one transaction may
/// be awaited in any order.
struct Pending {
    request: IdbRequest,
    events: Promise,
    doing: &'static str,
}

/// Issues a request: `request` is the result of the call that made it.
fn issue(
    doing: &'static str,
    request: core::result::Result<IdbRequest, JsValue>,
) -> Result<Pending> {
    let request = request.map_err(|e| storage_error(doing, e))?;
    let events = events(&request);
    Ok(Pending {
        request,
        events,
        doing,
    })
}

impl Pending {
    /// The request's result once it succeeds.
    async fn settled(self) -> Result<JsValue> {
        match JsFuture::from(self.events).await {
            Ok(_) => self
                .request
                .result()
                .map_err(|e| storage_error(self.doing, e)),
            Err(_) => Err(storage_error(self.doing, request_error(&self.request))),
        }
    }
}

fn request_error(request: &IdbRequest) -> JsValue {
    match request.error() {
        Ok(Some(error)) => error.into(),
        Ok(None) | Err(_) => JsValue::UNDEFINED,
    }
}

/// An error from IndexedDB as the crate's error, naming the operation. A full quota gets
/// its own message because the user can act on it.
fn storage_error(doing: &str, error: JsValue) -> Error {
    let field = |key: &str| {
        Reflect::get(&error, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let (name, message) = (field("name"), field("message"));
    if name == "QuotaExceededError" {
        let detail = if message.is_empty() {
            String::new()
        } else {
            format!(" ({message})")
        };
        return Error::Storage(format!(
            "{doing}: the browser's storage quota for this site is full{detail}; nothing was \
             written and the index is unchanged"
        ));
    }
    let detail = if name.is_empty() && message.is_empty() {
        error.as_string().unwrap_or_else(|| "unknown error".into())
    } else {
        format!("{name}: {message}")
    };
    Error::Storage(format!("{doing} failed ({detail}); the index is unchanged"))
}

fn factory() -> Result<IdbFactory> {
    let value = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .unwrap_or(JsValue::UNDEFINED);
    if value.is_null() || value.is_undefined() {
        return Err(Error::Storage(
            "this environment has no `indexedDB` (Node has none): use `new Index(options)` \
             and `toBytes`/`fromBytes` instead of `Index.open`"
                .into(),
        ));
    }
    Ok(value.unchecked_into())
}

fn bytes_of(value: &JsValue, what: &str) -> Result<Vec<u8>> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or_else(|| Error::Corrupt(format!("the stored {what} is not a byte array")))
}

/// A stored generation: absent is 0 (nothing written since creation by an older build).
fn generation_of(value: &JsValue) -> Result<u64> {
    if value.is_undefined() {
        return Ok(0);
    }
    match value.as_f64() {
        Some(g) if g >= 0.0 && g.fract() == 0.0 && g < 2f64.powi(53) => Ok(g as u64),
        _ => Err(Error::Corrupt(
            "the stored generation is not a whole number".into(),
        )),
    }
}

/// Starts a `get` of the stored generation in `meta`.
fn get_generation(meta: &IdbObjectStore) -> Result<Pending> {
    issue(
        "reading the generation",
        meta.get(&JsValue::from_str(GENERATION_KEY)),
    )
}

/// An open quiver database.
#[derive(Debug)]
pub struct IdbStore {
    db: IdbDatabase,
    /// Closes the connection when another tab deletes or upgrades the database, instead of
    /// blocking it forever. Owned here, so it lives exactly as long as the connection.
    _on_version_change: Closure<dyn FnMut()>,
    /// Set by that handler: later calls say why the connection is gone.
    replaced: Rc<Cell<bool>>,
    /// `quiver:<name>`.
    full_name: String,
}

impl IdbStore {
    /// Opens (creating if absent) the database of index `name`; also says whether this call
    /// created it.
    pub async fn open(name: &str) -> Result<(IdbStore, bool)> {
        let factory = factory()?;
        let full_name = database_name(name);
        let doing = format!("opening database {full_name:?}");
        let request = factory
            .open_with_u32(&full_name, SCHEMA_VERSION)
            .map_err(|e| storage_error(&doing, e))?;
        let created = Rc::new(Cell::new(false));
        let upgrade = {
            let (created, request) = (created.clone(), request.clone());
            Closure::<dyn FnMut(IdbVersionChangeEvent)>::new(move |event: IdbVersionChangeEvent| {
                if event.old_version() != 0.0 {
                    return; // a database this build does not know how to upgrade: see below
                }
                created.set(true);
                if let Ok(db) = request.result() {
                    let db: IdbDatabase = db.unchecked_into();
                    for store in [META, PAGES, VECTORS] {
                        // Cannot fail on a database created by this very upgrade.
                        let _ = db.create_object_store(store);
                    }
                }
            })
        };
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let outcome = JsFuture::from(events(&request)).await;
        request.set_onupgradeneeded(None);
        if outcome.is_err() {
            let error = request_error(&request);
            let kind = Reflect::get(&error, &JsValue::from_str("name")).ok();
            if kind.and_then(|n| n.as_string()).as_deref() == Some("VersionError") {
                return Err(Error::Storage(format!(
                    "database {full_name:?} was written by a newer quiver (schema newer than \
                     version {SCHEMA_VERSION}, which this build reads); it was left untouched"
                )));
            }
            return Err(storage_error(&doing, error));
        }
        let db: IdbDatabase = request
            .result()
            .map_err(|e| storage_error(&doing, e))?
            .unchecked_into();
        let replaced = Rc::new(Cell::new(false));
        let on_version_change = {
            let (db, replaced) = (db.clone(), replaced.clone());
            Closure::<dyn FnMut()>::new(move || {
                replaced.set(true);
                db.close();
            })
        };
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        let store = IdbStore {
            db,
            _on_version_change: on_version_change,
            replaced,
            full_name,
        };
        let full_name = &store.full_name;
        let names = store.db.object_store_names();
        if ![META, PAGES, VECTORS].iter().all(|s| names.contains(s)) {
            return Err(Error::Corrupt(format!(
                "database {full_name:?} is not a quiver index (it lacks the stores meta, pages \
                 and vectors)"
            )));
        }
        Ok((store, created.get()))
    }

    /// Deletes the database of index `name` (used to undo an `open` that created it and
    /// then failed).
    pub async fn delete(name: &str) -> Result<()> {
        let factory = factory()?;
        let full_name = database_name(name);
        let request = factory
            .delete_database(&full_name)
            .map_err(|e| storage_error("deleting a database", e))?;
        // Another connection that does not close on `versionchange` would keep the request
        // pending; it stays queued and runs once that connection closes, so do not wait.
        let done = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onblocked(Some(&resolve));
            request.set_onerror(Some(&reject));
        });
        if JsFuture::from(done).await.is_err() {
            let doing = format!("deleting database {full_name:?}");
            return Err(storage_error(&doing, request_error(&request)));
        }
        Ok(())
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }

    fn transaction(&self, stores: &[&str], mode: IdbTransactionMode) -> Result<IdbTransaction> {
        if self.replaced.get() {
            return Err(Error::Storage(format!(
                "database {:?} was deleted or upgraded (by a newer quiver) in another tab or \
                 worker, so this index was closed; open it again with Index.open",
                self.full_name
            )));
        }
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| storage_error("starting a transaction", e))
    }

    /// Starts a read-only transaction over the three stores: a consistent snapshot of the
    /// index for one call.
    pub fn read(&self) -> Result<Tx> {
        self.begin(IdbTransactionMode::Readonly)
    }

    /// Starts the one read-write transaction of an `add` or `delete`: from its first
    /// request to its commit, no other context can write the index.
    pub fn write(&self) -> Result<Tx> {
        self.begin(IdbTransactionMode::Readwrite)
    }

    fn begin(&self, mode: IdbTransactionMode) -> Result<Tx> {
        let tx = self.transaction(&[META, PAGES, VECTORS], mode)?;
        // Listen before anything can complete the transaction. Both outcomes resolve, with
        // the event (`commit` tells them apart by its type), so an abandoned transaction
        // leaves no unhandled rejection behind.
        let done = Promise::new(&mut |resolve, _reject| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&resolve));
        });
        Ok(Tx {
            meta: object_store(&tx, META)?,
            pages: object_store(&tx, PAGES)?,
            vectors: object_store(&tx, VECTORS)?,
            tx,
            done,
        })
    }
}

impl Drop for IdbStore {
    /// Closes the connection before the handler owned here goes away.
    fn drop(&mut self) {
        self.close();
    }
}

fn database_name(name: &str) -> String {
    format!("quiver:{name}")
}

fn object_store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore> {
    tx.object_store(name)
        .map_err(|e| storage_error(&format!("opening store {name}"), e))
}

async fn get_blocks(
    store: &IdbObjectStore,
    numbers: &[u32],
    dimensions: usize,
) -> Result<HashMap<u32, Block>> {
    let requests = numbers
        .iter()
        .map(|&n| store.get(&JsValue::from(n)))
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(|e| storage_error("reading originals", e))?;
    let all: Array = requests.iter().map(events).collect();
    if JsFuture::from(Promise::all(&all)).await.is_err() {
        let failed = requests
            .iter()
            .map(request_error)
            .find(|e| !e.is_undefined());
        return Err(storage_error(
            "reading originals",
            failed.unwrap_or(JsValue::UNDEFINED),
        ));
    }
    let values = requests
        .iter()
        .map(IdbRequest::result)
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(|e| storage_error("reading originals", e))?;
    let mut blocks = HashMap::with_capacity(numbers.len());
    for (&number, value) in numbers.iter().zip(values) {
        // Absent: the caller checks what it needs (another tab may have emptied the block).
        if value.is_undefined() {
            continue;
        }
        let block = Block::from_bytes(&bytes_of(&value, "block")?, number, dimensions)?;
        blocks.insert(number, block);
    }
    Ok(blocks)
}

/// A transaction over the three stores. Each call runs in one: a read-only one sees a
/// consistent snapshot; in a read-write one, nothing is visible to others until
/// [`Tx::commit`] resolves, and dropping it without committing, or any failed request,
/// aborts it whole.
#[derive(Debug)]
pub struct Tx {
    tx: IdbTransaction,
    meta: IdbObjectStore,
    pages: IdbObjectStore,
    vectors: IdbObjectStore,
    done: Promise,
}

impl Tx {
    /// The stored generation.
    pub async fn generation(&self) -> Result<u64> {
        generation_of(&get_generation(&self.meta)?.settled().await?)
    }

    /// The header, every page (in page order) and the generation; `None` if no index is
    /// stored.
    pub async fn read_index(&self) -> Result<Option<StoredIndex>> {
        let header = issue(
            "reading the header",
            self.meta.get(&JsValue::from_str(HEADER_KEY)),
        )?;
        let generation = get_generation(&self.meta)?;
        let all = issue("reading the pages", self.pages.get_all())?;
        let header = header.settled().await?;
        let generation = generation_of(&generation.settled().await?)?;
        let all: Array = all.settled().await?.unchecked_into();
        if header.is_undefined() {
            if all.length() > 0 {
                return Err(Error::Corrupt(
                    "the database holds pages but no header".into(),
                ));
            }
            return Ok(None);
        }
        let header = bytes_of(&header, "header")?;
        let pages = all
            .iter()
            .map(|page| bytes_of(&page, "page"))
            .collect::<Result<_>>()?;
        Ok(Some(StoredIndex {
            header,
            pages,
            generation,
        }))
    }

    /// The blocks `numbers` that are stored (an absent one holds no vector).
    pub async fn read_blocks(
        &self,
        numbers: &[u32],
        dimensions: usize,
    ) -> Result<HashMap<u32, Block>> {
        get_blocks(&self.vectors, numbers, dimensions).await
    }

    /// Every stored block numbered `first..end`, in one `getAll`.
    pub async fn read_block_range(
        &self,
        first: u32,
        end: u32,
        dimensions: usize,
    ) -> Result<Vec<Block>> {
        if first >= end {
            return Ok(Vec::new());
        }
        let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
            &JsValue::from(first),
            &JsValue::from(end),
            false,
            true,
        )
        .map_err(|e| storage_error("reading originals", e))?;
        let keys = issue(
            "reading originals",
            self.vectors.get_all_keys_with_key(&range),
        )?;
        let values = issue("reading originals", self.vectors.get_all_with_key(&range))?;
        let keys: Array = keys.settled().await?.unchecked_into();
        let values: Array = values.settled().await?.unchecked_into();
        keys.iter()
            .zip(values.iter())
            .map(|(key, value)| {
                let number = key.as_f64().unwrap_or(-1.0) as u32;
                Block::from_bytes(&bytes_of(&value, "block")?, number, dimensions)
            })
            .collect()
    }

    /// Stores the generation this transaction commits.
    pub fn put_generation(&self, generation: u64) -> Result<()> {
        self.meta
            .put_with_key(
                &JsValue::from_f64(generation as f64),
                &JsValue::from_str(GENERATION_KEY),
            )
            .map(drop)
            .map_err(|e| self.fail("writing the generation", e))
    }

    /// Writes a block, or deletes its record when it holds nothing.
    pub fn put_block(&self, block: &Block, dimensions: usize) -> Result<()> {
        let key = JsValue::from(block.number);
        let request = if block.is_empty() {
            self.vectors.delete(&key)
        } else {
            let bytes = Uint8Array::from(block.to_bytes(dimensions).as_slice());
            self.vectors.put_with_key(&bytes, &key)
        };
        request
            .map(drop)
            .map_err(|e| self.fail("writing originals", e))
    }

    /// Writes a page of ids and codes.
    pub fn put_page(&self, number: usize, bytes: &[u8]) -> Result<()> {
        self.pages
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from(number as u32))
            .map(drop)
            .map_err(|e| self.fail("writing codes", e))
    }

    /// Writes the header.
    pub fn put_header(&self, bytes: &[u8]) -> Result<()> {
        self.meta
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from_str(HEADER_KEY))
            .map(drop)
            .map_err(|e| self.fail("writing the header", e))
    }

    /// Aborts after a synchronous failure, so nothing of the call is committed.
    fn fail(&self, doing: &str, error: JsValue) -> Error {
        self.abort();
        storage_error(doing, error)
    }

    fn abort(&self) {
        // Throws only if the transaction already finished: then there is nothing to undo.
        let _ = self.tx.abort();
    }

    /// Resolves once IndexedDB has committed the transaction; rejects (quota, I/O) if it
    /// aborted it, in which case nothing of it was written.
    pub async fn commit(self) -> Result<()> {
        let event = JsFuture::from(self.done.clone()).await.unwrap_or_default();
        let kind = Reflect::get(&event, &JsValue::from_str("type")).unwrap_or_default();
        if kind.as_string().as_deref() == Some("complete") {
            return Ok(());
        }
        let reason = match self.tx.error() {
            Some(error) => error.into(),
            None => JsValue::from_str("the transaction was aborted"),
        };
        Err(storage_error("writing the index", reason))
    }
}

impl Drop for Tx {
    /// A transaction dropped before [`Tx::commit`] resolved (an error while building the
    /// call's records) is aborted, so no part of the call is written; aborting a read-only
    /// one after its reads changes nothing.
    fn drop(&mut self) {
        self.abort();
    }
}
