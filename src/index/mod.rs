//! The index: string ids mapped to dense slots, codes in segments of slots per quantizer
//! ([`crate::segmented`]), and a [`Home`] for the originals: wasm memory, elsewhere
//! (IndexedDB, passed in by [`crate::idb::Persistent`]), or nowhere (codes only). Pure Rust.
//!
//! One add path ([`add`]) and one search path ([`search`]), written once over the
//! [`Originals`] trait; the synchronous calls here run them on the index's own store in
//! memory, whose futures complete on their first poll.
//!
//! ## Growing from zero
//! A quantizer needs data to fit (means, quantile bounds, codebooks). Until the index holds
//! [`fit_threshold`](crate::quant::fit_threshold) live vectors it searches exactly. Then it
//! fits on a sample of what it holds and encodes everything. It fits again each time the
//! live count doubles, until a fit has used [`fit_sample`](crate::quant::fit_sample)
//! vectors, so early fits on a few vectors do not stay forever.
//!
//! ## Atomicity
//! Every mutating call validates its whole input and makes its allocations first and only
//! then changes anything, so an error leaves the index exactly as it was.

pub mod add;
pub mod rows;
pub mod search;
pub mod select;

use crate::error::{Error, Result};
use crate::fields::{Fields, Filter, Record, Schema};
use crate::ids::IdMap;
use crate::params::IndexParams;
use crate::quant::Codes;
use crate::store::{Home, MemoryStore, Originals, ready};

pub use add::AddPlan;
pub use rows::{ADD_CHUNK_ROWS, RowChunks, Rows};
pub use search::{Answer, Hit, SearchOptions, SearchPlan, Timings};
pub use select::{MAX_PAGE, Page};

/// Where an index's memory goes, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Codes and the fitted quantizer (means, bounds, codebooks).
    pub codes: usize,
    /// The id map and slot bookkeeping.
    pub ids: usize,
    /// The declared fields' values and indexes.
    pub fields: usize,
    /// Originals and metadata kept by the in-memory store.
    pub store: usize,
}

/// A vector index.
#[derive(Debug, Clone)]
pub struct Index {
    pub(crate) params: IndexParams,
    pub(crate) ids: IdMap,
    /// Per slot: holds a vector (false = free, waiting in `free`).
    pub(crate) live: Vec<bool>,
    /// Free slots, reused last-freed first.
    pub(crate) free: Vec<u32>,
    /// Where the originals and metadata live.
    pub(crate) home: Home,
    /// `None` until the quantizer is fitted (and always for `Quantization::None`).
    pub(crate) codes: Option<Codes>,
    /// Live vectors at the last fit (0 = never fitted).
    pub(crate) fitted_on: usize,
    /// The declared fields and their indexes (none by default).
    pub(crate) fields: Fields,
}

/// The message of a synchronous call whose store did not answer at once: only a store in
/// memory is ever passed to one, so this is a bug, reported rather than hidden.
const NOT_READY: Error = Error::OriginalsElsewhere;

impl Index {
    /// An empty in-memory index.
    pub fn new(params: IndexParams) -> Self {
        Index::with_home(params, Home::Memory(MemoryStore::new(params.dimensions)))
    }

    /// An empty index whose originals and metadata live elsewhere: it holds codes and ids
    /// only, and its owner passes the store to [`Index::add_with`], [`Index::search_with`]
    /// and [`Index::delete_with`].
    pub fn new_external(params: IndexParams) -> Self {
        Index::with_home(params, Home::Elsewhere)
    }

    /// Where the index's own originals live, as the search path reads them.
    pub fn home(&self) -> &dyn Originals {
        &self.home
    }

    pub(crate) fn with_home(params: IndexParams, home: Home) -> Self {
        Index {
            params,
            ids: IdMap::default(),
            live: Vec::new(),
            free: Vec::new(),
            home,
            codes: None,
            fitted_on: 0,
            fields: Fields::default(),
        }
    }

    /// The index with the fields of `schema` declared: each add then passes their values
    /// ([`Index::add_records`]) and searches may filter on them. Meant for a new index:
    /// slots it already holds have no values.
    pub fn with_fields(mut self, schema: Schema) -> Index {
        self.fields = Fields::new(schema);
        self
    }

    /// The declared fields.
    pub fn schema(&self) -> &Schema {
        self.fields.schema()
    }

    /// The declared fields' values of `id`, in the schema's order.
    pub fn record(&self, id: &str) -> Option<Record> {
        Some(self.fields.record(self.ids.slot(id)?))
    }

    /// True if originals are kept in memory (false when they live elsewhere, or when the
    /// index was loaded from bytes written without them).
    pub fn keeps_originals(&self) -> bool {
        matches!(self.home, Home::Memory(_))
    }

    /// The parameters the index was created with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// Number of live vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True if the index holds no vector.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// True once the quantizer is fitted and searches scan codes.
    pub fn is_quantized(&self) -> bool {
        self.codes.is_some()
    }

    /// Inserts or replaces (upserts) `ids[i]` with row `i` of `vectors` (`[n][dimensions]`)
    /// and `metadata[i]` (JSON text). All or nothing: any invalid input rejects the whole call.
    pub fn add<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) -> Result<()> {
        self.add_rows(ids, &vectors, metadata, None)
    }

    /// [`Index::add`] with the values of the declared fields: `records[i]` for row `i`.
    pub fn add_records<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
        records: &[Record],
    ) -> Result<()> {
        self.add_rows(ids, &vectors, metadata, Some(records))
    }

    /// [`Index::add`] from rows read a chunk at a time: besides what the index then holds,
    /// the add allocates one chunk of rows (and, when it refits, the fit's sample).
    pub fn add_rows<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
        records: Option<&[Record]>,
    ) -> Result<()> {
        if matches!(self.home, Home::Elsewhere) {
            return Err(Error::OriginalsElsewhere);
        }
        // The add path takes the store apart from the index it changes; every call on a
        // store in memory completes at once and, after the checks, cannot fail.
        let mut home = std::mem::replace(&mut self.home, Home::Elsewhere);
        let added =
            ready(self.add_with(ids, rows, metadata, records, &mut home)).unwrap_or(Err(NOT_READY));
        self.home = home;
        added.map(drop)
    }

    /// True if `slot` holds a vector.
    pub fn is_live(&self, slot: u32) -> bool {
        self.live.get(slot as usize).copied().unwrap_or(false)
    }

    /// Number of slots, live or free.
    pub fn slot_count(&self) -> usize {
        self.live.len()
    }

    /// Live slots in increasing order.
    pub fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.live.len() as u32).filter(|&s| self.live[s as usize])
    }

    /// Removes the given ids; returns the slots they held. Unknown ids are ignored.
    pub fn delete<S: AsRef<str>>(&mut self, ids: &[S]) -> Vec<u32> {
        let mut home = std::mem::replace(&mut self.home, Home::Elsewhere);
        let removed = ready(self.delete_with(ids, &mut home));
        self.home = home;
        // A store in memory (or none) clears at once and cannot fail.
        removed.and_then(Result::ok).unwrap_or_default()
    }

    /// Removes the given ids and their originals in `originals`; returns the slots they
    /// held. Unknown ids are ignored. If the store fails, the index has changed: its owner
    /// drops it, as the store's transaction drops its writes.
    pub async fn delete_with<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        originals: &mut dyn Originals,
    ) -> Result<Vec<u32>> {
        let mut removed = Vec::new();
        for id in ids {
            if let Some(slot) = self.ids.remove(id.as_ref()) {
                self.live[slot as usize] = false;
                self.free.push(slot);
                removed.push(slot);
            }
        }
        self.fields.clear(&removed);
        if !removed.is_empty() {
            originals.clear(&removed, &|s| self.is_live(s)).await?;
        }
        Ok(removed)
    }

    /// The slot of `id`, if present.
    pub fn slot(&self, id: &str) -> Option<u32> {
        self.ids.slot(id)
    }

    /// The id in `slot`, if it is live.
    pub fn id(&self, slot: u32) -> Option<&str> {
        self.ids.id(slot)
    }

    /// The stored vector (normalised for cosine; `None` for an index loaded without
    /// originals) and metadata of `id`; `None` also when the originals live elsewhere.
    pub fn get(&self, id: &str) -> Option<(Option<&[f32]>, Option<&str>)> {
        let slot = self.ids.slot(id)?;
        match &self.home {
            Home::Memory(store) => Some((Some(store.row(slot)), store.metadata(slot))),
            Home::CodesOnly(metadata) => Some((None, metadata.get(slot))),
            Home::Elsewhere => None,
        }
    }

    /// The `k` best vectors for `query`, best first (an index that keeps its originals).
    pub fn search(&self, query: &[f32], options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
        Ok(self.search_timed(query, options, None, &|| 0.0)?.0)
    }

    /// [`Index::search`] among the vectors `filter` selects.
    pub fn search_filtered(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: &Filter,
    ) -> Result<Vec<Hit<'_>>> {
        Ok(self.search_timed(query, options, Some(filter), &|| 0.0)?.0)
    }

    /// [`Index::search`], also returning how long its phases took by `clock`.
    pub fn search_timed(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Vec<Hit<'_>>, Timings)> {
        let search = self.search_with(query, options, filter, &self.home, clock);
        let answer = ready(search).unwrap_or(Err(NOT_READY))?;
        // The metadata is the index's own: hits borrow it from the index, not the answer.
        let metric = self.params.metric;
        let hits = answer
            .found
            .iter()
            .map(|c| Hit {
                id: self.ids.id(c.slot).unwrap_or_default(),
                score: metric.score_from_key(c.key),
                metadata: self.home.metadata(c.slot),
            })
            .collect();
        Ok((hits, answer.timings))
    }

    /// Bytes the index holds: codes, ids, slot bookkeeping and the in-memory originals.
    pub fn memory_bytes(&self) -> usize {
        let usage = self.memory_usage();
        usage.codes + usage.ids + usage.fields + usage.store
    }

    /// [`Index::memory_bytes`] by part.
    pub fn memory_usage(&self) -> MemoryUsage {
        MemoryUsage {
            codes: self.codes.as_ref().map_or(0, Codes::memory_bytes),
            ids: self.ids.memory_bytes() + self.live.capacity() + self.free.capacity() * 4,
            fields: self.fields.memory_bytes(),
            store: self.home.memory_bytes(),
        }
    }
}

/// Fails with [`Error::OutOfMemory`] unless `bytes` more can be allocated now. In wasm,
/// memory that grew stays with the allocator, so what this proved available is there for
/// the allocations that follow.
pub(crate) fn ensure_headroom(what: &'static str, bytes: usize) -> Result<()> {
    Vec::<u8>::new()
        .try_reserve_exact(bytes)
        .map_err(|_| Error::OutOfMemory { what, bytes })
}
