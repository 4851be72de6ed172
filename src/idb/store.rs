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
//! Requests are futures ([`super::request`]); a call's transaction is [`Tx`] ([`super::tx`]).

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbTransaction};
use web_sys::{IdbTransactionMode, IdbVersionChangeEvent};

use super::request::{events, factory, request_error, storage_error};
use super::tx::{META, PAGES, VECTORS};
pub use super::tx::{StoredIndex, Tx};
use crate::error::{Error, Result, Storage};

/// The layout of the stores; a database of a newer schema is refused, not misread.
pub const SCHEMA_VERSION: u32 = 1;

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
                return Err(Error::Storage(Storage::Newer {
                    database: full_name,
                    supported: SCHEMA_VERSION,
                }));
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
            return Err(Error::Storage(Storage::Foreign {
                database: full_name.clone(),
            }));
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
            return Err(Error::Storage(Storage::Replaced {
                database: self.full_name.clone(),
            }));
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
        Tx::begin(self.transaction(&[META, PAGES, VECTORS], mode)?)
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
