//! The index: string ids mapped to dense slots, codes in segments of slots per quantizer
//! ([`crate::segmented`]), originals in memory ([`MemoryStore`]) or elsewhere, fetched by slot
//! through the two-phase calls. Pure Rust; the JS class in `wasm/` is a thin shim over it.
//!
//! ## Growing from zero
//! A quantizer needs data to fit (means, quantile bounds, codebooks). Until the index holds
//! [`fit_threshold`] live vectors it searches exactly. Then it fits on a sample of what it
//! holds and encodes everything. It fits again each time the live count doubles, until a
//! fit has used [`fit_sample`] vectors, so early fits on a few vectors do not stay forever.
//!
//! ## Atomicity and memory
//! Every mutating call validates its whole input first and only then changes anything,
//! so an error leaves the index exactly as it was. An add reads its rows [`ADD_CHUNK_ROWS`]
//! at a time, twice: once to check them ([`Index::plan_add`]), once to store them
//! ([`Index::put_rows`]). So it never holds a second copy of its batch: its peak is what
//! the index then holds, one chunk, and for a refit the fit's sample.

use hashbrown::HashMap;

use crate::error::{Error, Result, try_grow};
use crate::ids::{IdMap, MAX_ID_BYTES};
use crate::params::{IndexParams, Metric};
use crate::quant::{Codes, code_bytes, fit_sample, fit_threshold};
use crate::rng::Rng;
use crate::search::rescore::{exact_scan, rescore};
use crate::search::topk::{Candidate, TopK};
use crate::sort::heapsort_by;

use crate::store::MemoryStore;

/// Rows an add reads, checks and stores at a time (1.5 MB at 384 dimensions).
pub const ADD_CHUNK_ROWS: usize = 1024;

/// Options of one search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    /// Number of hits wanted (≥ 1).
    pub k: usize,
    /// Candidates taken from the codes: `ceil(k × oversampling)`. For example, with
    /// `k = 10` and `oversampling = 2.4`, the 24 best codes are re-scored exactly.
    /// `None` uses the quantization's default ([`crate::Quantization::default_oversampling`]).
    pub oversampling: Option<f32>,
    /// Re-score candidates with the originals (default true).
    pub rescore: bool,
    /// Ignore the codes and scan the originals exactly (for evaluation).
    pub exact: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 10,
            oversampling: None,
            rescore: true,
            exact: false,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The vector's id.
    pub id: &'a str,
    /// Cosine similarity / inner product (higher is better) or Euclidean distance (lower is
    /// better); without rescoring, the codes' estimate of it.
    pub score: f32,
    /// The metadata's JSON text, if any was stored.
    pub metadata: Option<&'a str>,
}

/// What an add will do, worked out by [`Index::plan_add`] without changing the index.
#[derive(Debug, Clone, PartialEq)]
pub struct AddPlan {
    /// The slot of each row; an id already present keeps its slot.
    pub slots: Vec<u32>,
    /// How many free slots the add takes (from the end of the free list).
    reused: usize,
    /// The add ends in a (re)fit of the quantizer, which re-encodes every live vector:
    /// [`Index::begin_add`] drops the old codes, and an index whose originals live elsewhere
    /// must then be refitted by its caller ([`Index::start_refit`]).
    pub refits: bool,
}

/// The vectors of an add, `[n][dimensions]` row-major, read a range at a time, so a large
/// batch (a JS `Float32Array`, say) is never copied into wasm memory whole.
pub trait Rows {
    /// Number of values (n × dimensions).
    fn values(&self) -> usize;
    /// Copies values `start..start + out.len()` into `out`; the range is within `values()`.
    fn read(&self, start: usize, out: &mut [f32]);
}

impl Rows for &[f32] {
    fn values(&self) -> usize {
        self.len()
    }

    fn read(&self, start: usize, out: &mut [f32]) {
        out.copy_from_slice(&self[start..start + out.len()]);
    }
}

/// The rows of an add, [`ADD_CHUNK_ROWS`] at a time, each checked and (for cosine)
/// normalised as it will be stored. One buffer of at most a chunk is reused throughout.
pub struct RowChunks<'a> {
    rows: &'a dyn Rows,
    dimensions: usize,
    metric: Metric,
    /// The first row of the next chunk.
    next: usize,
    buffer: Vec<f32>,
}

impl<'a> RowChunks<'a> {
    /// Chunks of `rows` for an index of `params` (`rows.values()` a multiple of the
    /// dimensions, as [`Index::plan_add`] checks).
    pub fn new(rows: &'a dyn Rows, params: &IndexParams) -> Result<Self> {
        let d = params.dimensions;
        let mut buffer = Vec::new();
        let largest = ADD_CHUNK_ROWS.min(rows.values() / d) * d;
        try_grow(&mut buffer, largest, true, "a chunk of the batch's vectors")?;
        Ok(RowChunks {
            rows,
            dimensions: d,
            metric: params.metric,
            next: 0,
            buffer,
        })
    }

    /// The next chunk, as the batch position of its first row and its rows (`[m][d]`);
    /// `None` after the last. Fails on the first invalid row.
    pub fn next_chunk(&mut self) -> Result<Option<(usize, &[f32])>> {
        let d = self.dimensions;
        let (first, n) = (self.next, self.rows.values() / d);
        if first >= n {
            return Ok(None);
        }
        let count = ADD_CHUNK_ROWS.min(n - first);
        // Within the capacity reserved by `new`: no allocation.
        self.buffer.resize(count * d, 0.0);
        self.rows.read(first * d, &mut self.buffer);
        for (i, row) in self.buffer.chunks_exact_mut(d).enumerate() {
            check_vector(row, first + i, self.metric)?;
        }
        self.next += count;
        Ok(Some((first, &self.buffer)))
    }
}

/// A refit in progress ([`Index::start_refit`]): the newly fitted quantizer, taking every
/// live slot's original in increasing slot order ([`Refit::encode`]); free slots are encoded
/// as zeros.
pub struct Refit {
    codes: Codes,
    /// The lowest slot not encoded yet.
    next: u32,
    zeros: Vec<f32>,
}

impl Refit {
    /// Encodes live `slot` (above every slot encoded so far) from its original.
    pub fn encode(&mut self, slot: u32, original: &[f32]) {
        self.fill_free_until(slot);
        self.codes.set(slot, original);
        self.next = slot + 1;
    }

    fn fill_free_until(&mut self, end: u32) {
        for free in self.next..end {
            self.codes.set(free, &self.zeros);
        }
        self.next = self.next.max(end);
    }
}

/// What a search still needs, from [`Index::plan_search`].
#[derive(Debug, Clone, PartialEq)]
pub enum SearchPlan {
    /// Score every live vector exactly (no codes yet, or `exact: true`).
    Exact {
        /// The checked (and, for cosine, normalised) query.
        query: Vec<f32>,
        /// Hits wanted.
        k: usize,
    },
    /// Re-score these candidates with their originals and keep the best `k`.
    Rescore {
        /// The checked (and, for cosine, normalised) query.
        query: Vec<f32>,
        /// Candidates from the codes, best first.
        candidates: Vec<Candidate>,
        /// Hits wanted.
        k: usize,
    },
    /// The answer, from the codes alone.
    Done(Vec<Candidate>),
}

/// Where an index's memory goes, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Codes and the fitted quantizer (means, bounds, codebooks).
    pub codes: usize,
    /// The id map and slot bookkeeping.
    pub ids: usize,
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
    /// Originals and metadata, for an index that keeps them in memory; `None` when they
    /// live elsewhere (IndexedDB) and the two-phase calls fetch them.
    pub(crate) store: Option<MemoryStore>,
    /// `None` until the quantizer is fitted (and always for `Quantization::None`).
    pub(crate) codes: Option<Codes>,
    /// Live vectors at the last fit (0 = never fitted).
    pub(crate) fitted_on: usize,
}

impl Index {
    /// An empty in-memory index.
    pub fn new(params: IndexParams) -> Self {
        Index::with_store(params, Some(MemoryStore::new(params.dimensions)))
    }

    fn with_store(params: IndexParams, store: Option<MemoryStore>) -> Self {
        Index {
            params,
            ids: IdMap::default(),
            live: Vec::new(),
            free: Vec::new(),
            store,
            codes: None,
            fitted_on: 0,
        }
    }

    /// An empty index whose originals and metadata live elsewhere: it holds codes and ids
    /// only. Its caller drives adds through [`Index::plan_add`], [`Index::begin_add`],
    /// [`Index::put_rows`] and (when the plan refits) [`Index::start_refit`], keeping the
    /// originals; searches through [`Index::plan_search`] / [`Index::finish_search`], which
    /// take originals by slot.
    pub fn new_external(params: IndexParams) -> Self {
        Index::with_store(params, None)
    }

    /// True if originals are kept in memory (false when they live elsewhere, or when the
    /// index was loaded from bytes written without them).
    pub fn keeps_originals(&self) -> bool {
        self.store.as_ref().is_some_and(MemoryStore::keeps_vectors)
    }

    /// True for an index loaded from bytes written without originals: it searches its codes
    /// without rescoring, and takes no new vectors.
    fn codes_only(&self) -> bool {
        self.store.as_ref().is_some_and(|s| !s.keeps_vectors())
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
        self.add_rows(ids, &vectors, metadata)
    }

    /// [`Index::add`] from rows read a chunk at a time: besides what the index then holds,
    /// the add allocates one chunk of rows (and, when it refits, the fit's sample).
    pub fn add_rows<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
    ) -> Result<()> {
        if self.store.is_none() {
            return Err(Error::OriginalsElsewhere);
        }
        let plan = self.plan_add(ids, rows, metadata.map(<[_]>::len))?;
        let mut chunks = RowChunks::new(rows, &self.params)?;
        self.begin_add(ids, &plan)?;
        // The rows passed `plan_add` and cannot change in between, so this cannot fail.
        while let Some((first, vectors)) = chunks.next_chunk()? {
            self.put_rows(ids, &plan, first, vectors, metadata);
        }
        if plan.refits {
            self.refit_from_store()?;
        }
        Ok(())
    }

    /// Phase one of an add: checks every input and works out the slots, changing nothing.
    /// It reads the rows a chunk at a time and keeps none of them.
    pub fn plan_add<S: AsRef<str>>(
        &self,
        ids: &[S],
        rows: &dyn Rows,
        metadata_len: Option<usize>,
    ) -> Result<AddPlan> {
        if self.codes_only() {
            return Err(Error::NoOriginals {
                action: "take new vectors",
            });
        }
        let d = self.params.dimensions;
        if let Some(received) = metadata_len
            && received != ids.len()
        {
            return Err(Error::MetadataLength {
                expected: ids.len(),
                received,
            });
        }
        if rows.values() != ids.len() * d {
            return Err(Error::BatchLength {
                ids: ids.len(),
                dimensions: d,
                expected: ids.len() * d,
                received: rows.values(),
            });
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (position, id) in ids.iter().enumerate() {
            let id = id.as_ref();
            if id.is_empty() {
                return Err(Error::InvalidId {
                    position,
                    reason: "ids must not be empty",
                });
            }
            if id.len() > MAX_ID_BYTES {
                return Err(Error::InvalidId {
                    position,
                    reason: "ids must be at most 65,534 bytes of UTF-8",
                });
            }
            if let Some(first) = seen.insert(id, position) {
                return Err(Error::DuplicateId {
                    id: id.to_owned(),
                    first,
                    second: position,
                });
            }
        }
        let mut chunks = RowChunks::new(rows, &self.params)?;
        while chunks.next_chunk()?.is_some() {}
        // New ids take free slots from the end of the free list, then new slots.
        let (mut free, mut next) = (self.free.len(), self.live.len() as u32);
        let mut new_ids = 0;
        let slots = ids
            .iter()
            .map(|id| {
                self.ids.slot(id.as_ref()).unwrap_or_else(|| {
                    new_ids += 1;
                    if free > 0 {
                        free -= 1;
                        self.free[free]
                    } else {
                        next += 1;
                        next - 1
                    }
                })
            })
            .collect();
        Ok(AddPlan {
            slots,
            reused: self.free.len() - free,
            refits: self.fit_due(self.len() + new_ids),
        })
    }

    /// Phase two of an add: makes every allocation the plan (made by [`Index::plan_add`] on
    /// this index as it is now) needs, then takes its free slots and, if it refits, drops
    /// the old codes. A failed allocation (`Error::OutOfMemory`) leaves the index as it was;
    /// after success the add cannot fail: the caller passes every row to
    /// [`Index::put_rows`], then refits if the plan says so.
    pub fn begin_add<S: AsRef<str>>(&mut self, ids: &[S], plan: &AddPlan) -> Result<()> {
        // Reserve once for the slots this batch appends, so one large batch gets exact
        // capacities instead of up to 2× slack from doubling.
        let appended = plan
            .slots
            .iter()
            .filter(|&&s| s as usize >= self.live.len())
            .count();
        let new_bytes = ids.iter().map(|id| id.as_ref().len()).sum();
        self.ids.try_reserve(plan.slots.len(), new_bytes)?;
        try_grow(&mut self.live, appended, false, "the slot table")?;
        if let Some(store) = &mut self.store {
            store.try_reserve(appended)?;
        }
        if plan.refits {
            ensure_headroom("refitting the quantizer", self.refit_bytes(appended))?;
        } else if let Some(codes) = &mut self.codes {
            codes.try_reserve(appended)?;
        }
        self.free.truncate(self.free.len() - plan.reused);
        if plan.refits {
            // The refit re-encodes every slot: the old codes' room goes to the new ones.
            self.codes = None;
        }
        Ok(())
    }

    /// Stores rows `first..` of the batch (`vectors`, checked and normalised, as
    /// [`RowChunks`] gives them) in their planned slots, after [`Index::begin_add`].
    pub fn put_rows<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        plan: &AddPlan,
        first: usize,
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) {
        let d = self.params.dimensions;
        for (i, vector) in (first..).zip(vectors.chunks_exact(d)) {
            let (id, slot) = (ids[i].as_ref(), plan.slots[i]);
            if self.ids.slot(id).is_none() {
                self.ids.insert(id, slot);
                if slot as usize == self.live.len() {
                    self.live.push(true);
                } else {
                    self.live[slot as usize] = true;
                }
            }
            if let Some(store) = &mut self.store {
                store.put(slot, vector, metadata.and_then(|m| m[i].as_deref()));
            }
            // Dropped by `begin_add` when the add refits: encoding now would be wasted.
            if let Some(codes) = &mut self.codes {
                codes.set(slot, vector);
            }
        }
    }

    /// An upper bound on what a refit allocates with `appended` more slots and cannot get
    /// back from if it fails: k-means' centroids and assignments, and for an index that keeps
    /// its originals, the training sample and the new codes too (in memory nothing may fail
    /// once the rows are stored). An index whose originals live elsewhere allocates those two
    /// fallibly ([`Index::start_refit`]) and its caller undoes the add if they fail, as
    /// `Durable` does: proving them available here would grow wasm memory by a block that
    /// the rest of the add, fragmented around it, never fully reuses (measured through
    /// IndexedDB, binary, 1,000 vectors an add: 23.5 MB of wasm memory at 8,000 vectors with
    /// the whole refit proven available, 13.7 MB without).
    fn refit_bytes(&self, appended: usize) -> usize {
        let (d, quantization) = (self.params.dimensions, &self.params.quantization);
        let sample = fit_sample(quantization).min(self.len() + appended);
        let kmeans = sample * 8 + 256 * d * 4;
        if self.store.is_none() {
            return kmeans;
        }
        let codes = (self.live.len() + appended) * code_bytes(quantization, d);
        kmeans + sample * d * 4 + codes
    }

    /// True if an index holding `n` live vectors should (re)fit its quantizer.
    fn fit_due(&self, n: usize) -> bool {
        match self.codes {
            None => n >= fit_threshold(&self.params.quantization),
            Some(_) => {
                self.fitted_on < fit_sample(&self.params.quantization) && n >= 2 * self.fitted_on
            }
        }
    }

    /// The live slots a refit trains on, ascending (the order [`Index::start_refit`] wants
    /// their originals in, which a caller reading them in slot order meets in one pass): a
    /// seeded sample of at most [`fit_sample`] of them.
    pub fn fit_sample_slots(&self) -> Vec<u32> {
        let live: Vec<u32> = self.live_slots().collect();
        let mut rng = Rng::from_seed(live.len() as u64);
        let count = fit_sample(&self.params.quantization);
        let mut sample: Vec<u32> = (rng.sample_indices(live.len(), count).into_iter())
            .map(|i| live[i])
            .collect();
        heapsort_by(&mut sample, u32::cmp);
        sample
    }

    /// Fits the quantizer on `sample` (the originals of [`Index::fit_sample_slots`], in that
    /// order, `[n][dimensions]`); `None` for an index without quantization.
    pub fn start_refit(&self, sample: &[f32]) -> Result<Option<Refit>> {
        let Some(mut codes) = Codes::fit(&self.params, sample) else {
            return Ok(None);
        };
        codes.try_reserve(self.live.len())?;
        Ok(Some(Refit {
            codes,
            next: 0,
            zeros: vec![0.0; self.params.dimensions],
        }))
    }

    /// Installs the codes of a refit whose every live slot was encoded.
    pub fn finish_refit(&mut self, refit: Option<Refit>) {
        self.codes = refit.map(|mut refit| {
            refit.fill_free_until(self.live.len() as u32);
            refit.codes
        });
        self.fitted_on = self.len();
    }

    /// Refits from the originals in memory.
    fn refit_from_store(&mut self) -> Result<()> {
        let store = self.store.as_ref().ok_or(Error::OriginalsElsewhere)?;
        let original = |slot| store.vector(slot).expect("live slots keep their originals");
        let slots = self.fit_sample_slots();
        let mut sample = Vec::with_capacity(slots.len() * self.params.dimensions);
        for slot in slots {
            sample.extend_from_slice(original(slot));
        }
        let mut refit = self.start_refit(&sample)?;
        drop(sample);
        if let Some(refit) = &mut refit {
            for slot in self.live_slots() {
                refit.encode(slot, original(slot));
            }
        }
        self.finish_refit(refit);
        Ok(())
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
        let mut removed = Vec::new();
        for id in ids {
            if let Some(slot) = self.ids.remove(id.as_ref()) {
                self.live[slot as usize] = false;
                if let Some(store) = &mut self.store {
                    store.clear(slot);
                }
                self.free.push(slot);
                removed.push(slot);
            }
        }
        removed
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
        let store = self.store.as_ref()?;
        let slot = self.ids.slot(id)?;
        Some((store.vector(slot), store.metadata(slot)))
    }

    /// The `k` best vectors for `query`, best first (an index that keeps its originals).
    pub fn search(&self, query: &[f32], options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
        Ok(self.search_timed(query, options, || 0.0)?.0)
    }

    /// [`Index::search`], also returning how long its two phases took by `clock` (in the
    /// clock's unit): `[scan of the codes, rescoring with the originals]`.
    pub fn search_timed(
        &self,
        query: &[f32],
        options: &SearchOptions,
        clock: impl Fn() -> f64,
    ) -> Result<(Vec<Hit<'_>>, [f64; 2])> {
        let started = clock();
        let store = self.store.as_ref().ok_or(Error::OriginalsElsewhere)?;
        let mut options = *options;
        if self.codes_only() {
            if options.exact {
                return Err(Error::NoOriginals {
                    action: "search exactly",
                });
            }
            options.rescore = false;
        }
        let plan = self.plan_search(query, &options)?;
        if matches!(plan, SearchPlan::Exact { .. }) && self.codes_only() {
            // Loading checks that such an index has codes, so this is unreachable by design.
            return Err(Error::NoOriginals { action: "search" });
        }
        let scanned = clock();
        let found = self.finish_search(plan, &|slot| store.vector(slot).unwrap_or(&[]));
        let timings = [scanned - started, clock() - scanned];
        let hits = found
            .iter()
            .map(|c| Hit {
                id: self.ids.id(c.slot).expect("candidates are live slots"),
                score: self.params.metric.score_from_key(c.key),
                metadata: store.metadata(c.slot),
            })
            .collect();
        Ok((hits, timings))
    }

    /// Phase one of a search: checks the query and options and scans the codes.
    pub fn plan_search(&self, query: &[f32], options: &SearchOptions) -> Result<SearchPlan> {
        let d = self.params.dimensions;
        if query.len() != d {
            return Err(Error::DimensionMismatch {
                position: 0,
                expected: d,
                received: query.len(),
            });
        }
        if options.k == 0 {
            return Err(Error::InvalidOption {
                name: "k",
                reason: "got 0; expected an integer ≥ 1".into(),
            });
        }
        let oversampling = options
            .oversampling
            .unwrap_or_else(|| self.params.quantization.default_oversampling());
        if !(oversampling.is_finite() && oversampling >= 1.0) {
            return Err(Error::InvalidOption {
                name: "oversampling",
                reason: format!("got {oversampling}; expected a finite number ≥ 1"),
            });
        }
        let mut query = query.to_vec();
        check_vector(&mut query, 0, self.params.metric)?;
        // No search returns more than the index holds: bounding k and the candidate count
        // by the size keeps a huge k from allocating a huge selection buffer.
        let k = options.k.min(self.len());
        if k == 0 {
            return Ok(SearchPlan::Done(Vec::new()));
        }
        Ok(match (&self.codes, options.exact) {
            (Some(codes), false) => {
                let wanted = ((k as f64) * f64::from(oversampling)).ceil() as usize;
                let mut top = TopK::new(wanted.clamp(k, self.len()));
                codes.scan(&query, &self.live, &mut top);
                let mut candidates = top.into_sorted();
                if options.rescore {
                    SearchPlan::Rescore {
                        query,
                        candidates,
                        k,
                    }
                } else {
                    candidates.truncate(k);
                    SearchPlan::Done(candidates)
                }
            }
            _ => SearchPlan::Exact { query, k },
        })
    }

    /// Phase two of a search: re-scores with the originals the plan needs (the candidates of
    /// `Rescore`, every live slot for `Exact`); returns the best, with keys (see
    /// [`Metric::score_from_key`]).
    pub fn finish_search<'a>(
        &self,
        plan: SearchPlan,
        originals: &'a dyn Fn(u32) -> &'a [f32],
    ) -> Vec<Candidate> {
        let metric = self.params.metric;
        match plan {
            SearchPlan::Done(found) => found,
            SearchPlan::Rescore {
                query,
                candidates,
                k,
            } => rescore(&query, &candidates, metric, originals, k),
            SearchPlan::Exact { query, k } => {
                exact_scan(&query, self.live_slots(), metric, originals, k)
            }
        }
    }

    /// Bytes the index holds: codes, ids, slot bookkeeping and the in-memory originals.
    pub fn memory_bytes(&self) -> usize {
        let usage = self.memory_usage();
        usage.codes + usage.ids + usage.store
    }

    /// [`Index::memory_bytes`] by part.
    pub fn memory_usage(&self) -> MemoryUsage {
        MemoryUsage {
            codes: self.codes.as_ref().map_or(0, Codes::memory_bytes),
            ids: self.ids.memory_bytes() + self.live.capacity() + self.free.capacity() * 4,
            store: self.store.as_ref().map_or(0, MemoryStore::memory_bytes),
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

/// Rejects a non-finite vector, or (dot, l2) one whose squared norm overflows f32;
/// normalises it in place for cosine (rejecting zero).
pub(crate) fn check_vector(row: &mut [f32], position: usize, metric: Metric) -> Result<()> {
    if let Some((dimension, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            position,
            dimension,
            value,
        });
    }
    // The codes keep terms such as |x|² in f32: a vector whose squared norm overflows would
    // store ±Infinity, which no index could read back.
    if metric != Metric::Cosine && !row.iter().map(|v| v * v).sum::<f32>().is_finite() {
        return Err(Error::TooLarge { position });
    }
    if metric == Metric::Cosine {
        let norm = row
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            return Err(Error::ZeroVector { position });
        }
        for v in row.iter_mut() {
            *v = (f64::from(*v) / norm) as f32;
        }
    }
    Ok(())
}
