//! What the JS class holds: an index in memory or a persistent one, behind one set of
//! calls, so the binding's methods are shims with no fork. Each arm is one line over the
//! core's one path: an index in memory runs it on its own store (its calls complete at
//! once), a persistent one in an IndexedDB transaction ([`Persistent`]).

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::fields::{Filter, Record, Schema};
use crate::idb::Persistent;
use crate::index::{Hit, Index, MemoryUsage, Rows, SearchOptions, Timings};
use crate::params::IndexParams;
use crate::store::ready;

/// An index, wherever its originals live. Calls take `&self`; the caller runs them one at
/// a time (the binding's queue).
#[derive(Debug)]
pub enum Handle {
    /// Everything in wasm memory (or codes only); every call completes at once.
    Memory(RefCell<Index>),
    /// Codes in wasm memory, originals in IndexedDB.
    Persistent(Persistent),
}

impl Handle {
    /// True if calls may finish after the JS code that made them has moved on (they wait
    /// for IndexedDB), so their inputs must be copied rather than read later in place.
    pub fn runs_later(&self) -> bool {
        matches!(self, Handle::Persistent(_))
    }

    /// The parameters the index was created with.
    pub fn params(&self) -> IndexParams {
        match self {
            Handle::Memory(index) => *index.borrow().params(),
            Handle::Persistent(p) => *p.params(),
        }
    }

    /// The declared fields.
    pub fn schema(&self) -> Schema {
        match self {
            Handle::Memory(index) => index.borrow().schema().clone(),
            Handle::Persistent(p) => p.schema().clone(),
        }
    }

    /// Number of live vectors (of the committed index, for a persistent one).
    pub fn len(&self) -> usize {
        match self {
            Handle::Memory(index) => index.borrow().len(),
            Handle::Persistent(p) => p.len(),
        }
    }

    /// True if the index holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the index's wasm memory goes.
    pub fn memory_usage(&self) -> MemoryUsage {
        match self {
            Handle::Memory(index) => index.borrow().memory_usage(),
            Handle::Persistent(p) => p.memory_usage(),
        }
    }

    /// Upserts a batch, all or nothing (see [`Index::add_with`]).
    pub async fn add(
        &self,
        ids: &[String],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
        records: Option<&[Record]>,
    ) -> Result<()> {
        match self {
            Handle::Memory(index) => index.borrow_mut().add_rows(ids, rows, metadata, records),
            Handle::Persistent(p) => p.add(ids, rows, metadata, records).await,
        }
    }

    /// The best hits for `query`, given to `f`, and how long the phases took by `clock`.
    pub async fn search<R>(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        clock: &dyn Fn() -> f64,
        f: impl for<'h> FnOnce(Vec<Hit<'h>>) -> R,
    ) -> Result<(R, Timings)> {
        match self {
            Handle::Memory(index) => {
                // The index's own store answers at once: no borrow is held across an await.
                let index = index.borrow();
                let answer = ready(index.search_home(query, options, filter, clock, f));
                answer.unwrap_or(Err(Error::OriginalsElsewhere))
            }
            Handle::Persistent(p) => p.search(query, options, filter, clock, f).await,
        }
    }

    /// Live vectors `filter` selects (all without one).
    pub async fn count(&self, filter: Option<&Filter>) -> Result<usize> {
        match self {
            Handle::Memory(index) => index.borrow().count(filter),
            Handle::Persistent(p) => p.count(filter).await,
        }
    }

    /// A page of ids and metadata in id order (see [`Index::list`]), given to `f`.
    pub async fn list<R>(
        &self,
        filter: Option<&Filter>,
        after: Option<&str>,
        limit: usize,
        f: impl for<'h> FnOnce(Vec<(&'h str, Option<&'h str>)>) -> R,
    ) -> Result<R> {
        match self {
            Handle::Memory(index) => {
                let index = index.borrow();
                let page = ready(index.list_with(filter, after, limit, index.home()));
                let page = page.unwrap_or(Err(Error::OriginalsElsewhere))?;
                Ok(f(page.entries(&index).collect()))
            }
            Handle::Persistent(p) => p.list(filter, after, limit, f).await,
        }
    }

    /// Removes ids; returns how many were present.
    pub async fn delete(&self, ids: &[String]) -> Result<usize> {
        match self {
            Handle::Memory(index) => Ok(index.borrow_mut().delete(ids).len()),
            Handle::Persistent(p) => p.delete(ids).await,
        }
    }

    /// The stored vector and metadata of `id` (`None` if absent), given to `f`.
    pub async fn get<R>(
        &self,
        id: &str,
        f: impl for<'v> FnOnce(Option<(Option<&'v [f32]>, Option<&'v str>)>) -> R,
    ) -> Result<R> {
        match self {
            Handle::Memory(index) => Ok(f(index.borrow().get(id))),
            Handle::Persistent(p) => p.get(id, f).await,
        }
    }

    /// The index in the `toBytes` format (see [`Index::to_bytes`]); an index in memory only.
    pub fn to_bytes(&self, with_originals: bool) -> Result<Vec<u8>> {
        let Handle::Memory(index) = self else {
            return Err(Error::NotInMemory {
                call: "toBytes",
                purpose: "export it",
            });
        };
        let index = index.borrow();
        if with_originals {
            Ok(index.to_bytes())
        } else {
            index.to_bytes_without_originals()
        }
    }

    /// Closes the database connection of a persistent index.
    pub fn close(&self) {
        if let Handle::Persistent(p) = self {
            p.close();
        }
    }
}
