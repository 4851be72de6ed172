//! The index: string ids mapped to dense slots, codes in one buffer per quantizer, originals
//! in memory ([`MemoryStore`]) or elsewhere, fetched by slot through the two-phase calls. Pure
//! Rust; the JS class in `wasm/` is a thin shim over it.
//!
//! ## Growing from zero
//! A quantizer needs data to fit (means, quantile bounds, codebooks). Until the index holds
//! [`fit_threshold`] live vectors it searches exactly. Then it fits on a sample of what it
//! holds and encodes everything. It fits again each time the live count doubles, until a
//! fit has used [`FIT_SAMPLE`] vectors, so early fits on a few vectors do not stay forever.
//!
//! ## Atomicity
//! Every mutating call validates its whole input first and only then changes anything,
//! so an error leaves the index exactly as it was.

use hashbrown::HashMap;

use crate::error::{Error, Result, try_grow};
use crate::ids::{IdMap, MAX_ID_BYTES};
use crate::params::{IndexParams, Metric};
use crate::quant::{Codes, fit_threshold};
use crate::rng::Rng;
use crate::search::rescore::{exact_scan, rescore};
use crate::search::topk::{Candidate, TopK};

use crate::store::MemoryStore;

/// Most vectors a quantizer is fitted on; refits stop once a fit has used this many.
pub const FIT_SAMPLE: usize = 16_384;

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
    /// The vectors as they will be stored (normalised for cosine): `[n][dimensions]`.
    pub vectors: Vec<f32>,
    /// The slot of each row; an id already present keeps its slot.
    pub slots: Vec<u32>,
    /// How many free slots the add takes (from the end of the free list).
    reused: usize,
    /// The add ends in a (re)fit of the quantizer, which re-encodes every live vector: an
    /// index whose originals live elsewhere must then supply them all to `apply_add`.
    pub refits: bool,
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
        Index {
            params,
            ids: IdMap::default(),
            live: Vec::new(),
            free: Vec::new(),
            store: Some(MemoryStore::new(params.dimensions)),
            codes: None,
            fitted_on: 0,
        }
    }

    /// An empty index whose originals and metadata live elsewhere: it holds codes and ids
    /// only, and is driven through [`Index::plan_add`] / [`Index::apply_add`] and
    /// [`Index::plan_search`] / [`Index::finish_search`], which take originals by slot.
    pub fn new_external(params: IndexParams) -> Self {
        Index {
            store: None,
            ..Index::new(params)
        }
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
        let plan = self.plan_add(ids, vectors, metadata.map(<[_]>::len))?;
        self.apply_add(ids, &plan, metadata, &|_| None)
    }

    /// Phase one of an add: checks every input and works out the slots, changing nothing.
    pub fn plan_add<S: AsRef<str>>(
        &self,
        ids: &[S],
        vectors: &[f32],
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
        if vectors.len() != ids.len() * d {
            return Err(Error::BatchLength {
                ids: ids.len(),
                dimensions: d,
                expected: ids.len() * d,
                received: vectors.len(),
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
        let mut stored = Vec::new();
        try_grow(&mut stored, vectors.len(), true, "the batch's vectors")?;
        stored.extend_from_slice(vectors);
        for (position, row) in stored.chunks_exact_mut(d).enumerate() {
            check_vector(row, position, self.params.metric)?;
        }
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
            vectors: stored,
            slots,
            reused: self.free.len() - free,
            refits: self.fit_due(self.len() + new_ids),
        })
    }

    /// Phase two of an add: applies a plan from [`Index::plan_add`] made on this index as it
    /// is now. When the plan refits and the originals live elsewhere, `originals` must give
    /// the original of every live slot outside the batch; that is checked before anything
    /// changes, so a missing original leaves the index as it was.
    pub fn apply_add<'a, S: AsRef<str>>(
        &mut self,
        ids: &[S],
        plan: &AddPlan,
        metadata: Option<&[Option<String>]>,
        originals: &'a dyn Fn(u32) -> Option<&'a [f32]>,
    ) -> Result<()> {
        let d = self.params.dimensions;
        let batch: HashMap<u32, usize> = plan
            .slots
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        if plan.refits && self.store.is_none() {
            if let Some(slot) = self
                .live_slots()
                .find(|s| !batch.contains_key(s) && originals(*s).is_none())
            {
                return Err(Error::MissingOriginal { slot });
            }
        }
        // Reserve once for the slots this batch appends, so one large batch gets exact
        // capacities instead of up to 2× slack from doubling.
        let appended = plan
            .slots
            .iter()
            .filter(|&&s| s as usize >= self.live.len())
            .count();
        // Every allocation that can be large happens here, before anything changes, so a
        // wasm memory that cannot grow fails the call cleanly (`Error::OutOfMemory`).
        let new_bytes = ids.iter().map(|id| id.as_ref().len()).sum();
        self.ids.try_reserve(plan.slots.len(), new_bytes)?;
        try_grow(&mut self.live, appended, false, "the slot table")?;
        if let Some(store) = &mut self.store {
            store.try_reserve(appended)?;
        }
        if let Some(codes) = &mut self.codes {
            codes.try_reserve(appended)?;
        }
        if plan.refits {
            ensure_headroom("refitting the quantizer", self.refit_bytes(appended))?;
        }
        self.free.truncate(self.free.len() - plan.reused);
        for (i, (id, &slot)) in ids.iter().zip(&plan.slots).enumerate() {
            let id = id.as_ref();
            if self.ids.slot(id).is_none() {
                self.ids.insert(id, slot);
                if slot as usize == self.live.len() {
                    self.live.push(true);
                } else {
                    self.live[slot as usize] = true;
                }
            }
            let vector = &plan.vectors[i * d..(i + 1) * d];
            if let Some(store) = &mut self.store {
                store.put(slot, vector, metadata.and_then(|m| m[i].as_deref()));
            }
            // A refit re-encodes every slot below, so encoding now would be wasted.
            if let (Some(codes), false) = (&mut self.codes, plan.refits) {
                codes.set(slot, vector);
            }
        }
        if plan.refits {
            let row = |slot: u32| -> Option<&[f32]> {
                match &self.store {
                    Some(store) => store.vector(slot),
                    None => match batch.get(&slot) {
                        Some(&i) => Some(&plan.vectors[i * d..(i + 1) * d]),
                        None => originals(slot),
                    },
                }
            };
            self.codes = self.fit_codes(&row)?;
            self.fitted_on = self.len();
        }
        Ok(())
    }

    /// An upper bound on what a refit allocates with `appended` more slots: the training
    /// sample, k-means' centroids and assignments, and new codes of at most `dimensions + 8`
    /// bytes a slot (int8 with its l2 norm is the largest).
    fn refit_bytes(&self, appended: usize) -> usize {
        let d = self.params.dimensions;
        let sample = FIT_SAMPLE.min(self.len() + appended);
        sample * (d * 4 + 8) + 256 * d * 4 + (self.live.len() + appended) * (d + 8)
    }

    /// True if an index holding `n` live vectors should (re)fit its quantizer.
    fn fit_due(&self, n: usize) -> bool {
        match self.codes {
            None => n >= fit_threshold(&self.params.quantization),
            Some(_) => self.fitted_on < FIT_SAMPLE && n >= 2 * self.fitted_on,
        }
    }

    /// Fits the quantizer on a sample of the live vectors and encodes every slot (free
    /// slots as zeros). `originals` gives each live slot's original.
    fn fit_codes<'a>(
        &self,
        originals: &'a dyn Fn(u32) -> Option<&'a [f32]>,
    ) -> Result<Option<Codes>> {
        let d = self.params.dimensions;
        let zeros = vec![0.0f32; d];
        let vector = |slot: u32| {
            if self.live[slot as usize] {
                originals(slot).expect("apply_add checked every live original")
            } else {
                &zeros
            }
        };
        let live: Vec<u32> = self.live_slots().collect();
        let mut rng = Rng::from_seed(live.len() as u64);
        let mut sample = Vec::with_capacity(FIT_SAMPLE.min(live.len()) * d);
        for i in rng.sample_indices(live.len(), FIT_SAMPLE) {
            sample.extend_from_slice(vector(live[i]));
        }
        let Some(mut codes) = Codes::fit(&self.params, &sample) else {
            return Ok(None);
        };
        codes.try_reserve(self.live.len())?;
        for slot in 0..self.live.len() as u32 {
            codes.set(slot, vector(slot));
        }
        Ok(Some(codes))
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
