//! The index: string ids mapped to dense slots, codes in one buffer per quantizer, originals
//! behind a [`VectorStore`]. Pure Rust; the JS class in `wasm/` is a thin shim over it.
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

use crate::error::{Error, Result};
use crate::ids::{IdMap, MAX_ID_BYTES};
use crate::params::{BinaryQuery, IndexParams, Metric, Quantization};
use crate::persist::{Reader, Writer};
use crate::quant::{Codes, fit_threshold};
use crate::rng::Rng;
use crate::search::rescore::{exact_scan, rescore};
use crate::search::topk::{Candidate, TopK};
use crate::store::{MemoryStore, VectorStore};

/// Most vectors a quantizer is fitted on; refits stop once a fit has used this many.
pub const FIT_SAMPLE: usize = 16_384;

/// Options of one search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    /// Number of hits wanted (≥ 1).
    pub k: usize,
    /// Candidates taken from the codes: `ceil(k × oversampling)`. For example, with
    /// `k = 10` and `oversampling = 2.4`, the 24 best codes are re-scored exactly.
    /// `None` uses the quantization's default ([`Quantization::default_oversampling`]).
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
    params: IndexParams,
    ids: IdMap,
    /// Per slot: holds a vector (false = free, waiting in `free`).
    live: Vec<bool>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
    store: MemoryStore,
    /// `None` until the quantizer is fitted (and always for `Quantization::None`).
    codes: Option<Codes>,
    /// Live vectors at the last fit (0 = never fitted).
    fitted_on: usize,
}

impl Index {
    /// An empty in-memory index.
    pub fn new(params: IndexParams) -> Self {
        Index {
            params,
            ids: IdMap::default(),
            live: Vec::new(),
            free: Vec::new(),
            store: MemoryStore::new(params.dimensions),
            codes: None,
            fitted_on: 0,
        }
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
        let vectors = self.validate_add(ids, vectors, metadata)?;
        let d = self.params.dimensions;
        // Reserve once for the slots this batch appends, so one large batch gets exact
        // capacities instead of up to 2× slack from doubling.
        let new_ids = ids
            .iter()
            .filter(|id| self.ids.slot(id.as_ref()).is_none())
            .count();
        let appended = new_ids.saturating_sub(self.free.len());
        let new_bytes = ids.iter().map(|id| id.as_ref().len()).sum();
        self.ids.reserve(new_ids, new_bytes);
        self.live.reserve(appended);
        self.store.reserve(appended);
        if let Some(codes) = &mut self.codes {
            codes.reserve(appended);
        }
        for (i, id) in ids.iter().enumerate() {
            let id = id.as_ref();
            let slot = match self.ids.slot(id) {
                Some(slot) => slot,
                None => {
                    let slot = self.free.pop().unwrap_or(self.live.len() as u32);
                    self.ids.insert(id, slot);
                    if slot as usize == self.live.len() {
                        self.live.push(true);
                    } else {
                        self.live[slot as usize] = true;
                    }
                    slot
                }
            };
            let vector = &vectors[i * d..(i + 1) * d];
            let meta = metadata.and_then(|m| m[i].as_deref());
            self.store.put(slot, vector, meta);
            if let Some(codes) = &mut self.codes {
                codes.set(slot, vector);
            }
        }
        self.refit_if_due();
        Ok(())
    }

    /// Checks every input of [`Index::add`]; returns the vectors as they will be stored
    /// (normalised for cosine).
    fn validate_add<S: AsRef<str>>(
        &self,
        ids: &[S],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) -> Result<Vec<f32>> {
        let d = self.params.dimensions;
        if let Some(m) = metadata
            && m.len() != ids.len()
        {
            return Err(Error::MetadataLength {
                expected: ids.len(),
                received: m.len(),
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
        let mut out = vectors.to_vec();
        for (position, row) in out.chunks_exact_mut(d).enumerate() {
            check_vector(row, position, self.params.metric)?;
        }
        Ok(out)
    }

    /// Fits (or refits) the quantizer when the live count calls for it.
    fn refit_if_due(&mut self) {
        let n = self.len();
        let due = match self.codes {
            None => n >= fit_threshold(&self.params.quantization),
            Some(_) => self.fitted_on < FIT_SAMPLE && n >= 2 * self.fitted_on,
        };
        if !due {
            return;
        }
        let d = self.params.dimensions;
        let live_slots: Vec<u32> = (0..self.live.len() as u32)
            .filter(|&s| self.live[s as usize])
            .collect();
        let mut rng = Rng::from_seed(n as u64);
        let mut sample = Vec::with_capacity(FIT_SAMPLE.min(n) * d);
        for i in rng.sample_indices(live_slots.len(), FIT_SAMPLE) {
            sample.extend_from_slice(self.store.vector(live_slots[i]));
        }
        let Some(mut codes) = Codes::fit(&self.params, &sample) else {
            return;
        };
        codes.reserve(self.live.len());
        for slot in 0..self.live.len() as u32 {
            codes.set(slot, self.store.vector(slot));
        }
        self.codes = Some(codes);
        self.fitted_on = n;
    }

    /// Removes the given ids; returns how many were present. Unknown ids are ignored.
    pub fn delete<S: AsRef<str>>(&mut self, ids: &[S]) -> usize {
        let mut removed = 0;
        for id in ids {
            if let Some(slot) = self.ids.remove(id.as_ref()) {
                self.live[slot as usize] = false;
                self.store.clear(slot);
                self.free.push(slot);
                removed += 1;
            }
        }
        removed
    }

    /// The stored vector (normalised for cosine) and metadata of `id`.
    pub fn get(&self, id: &str) -> Option<(&[f32], Option<&str>)> {
        let slot = self.ids.slot(id)?;
        Some((self.store.vector(slot), self.store.metadata(slot)))
    }

    /// The `k` best vectors for `query`, best first.
    pub fn search(&self, query: &[f32], options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
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
        let mut q = query.to_vec();
        check_vector(&mut q, 0, self.params.metric)?;
        let metric = self.params.metric;
        // No search returns more than the index holds: bounding k and the candidate count
        // by the size keeps a huge k from allocating a huge selection buffer.
        let k = options.k.min(self.len());
        if k == 0 {
            return Ok(Vec::new());
        }
        let found = match (&self.codes, options.exact) {
            (Some(codes), false) => {
                let wanted = ((k as f64) * f64::from(oversampling)).ceil() as usize;
                let mut top = TopK::new(wanted.clamp(k, self.len()));
                codes.scan(&q, &self.live, &mut top);
                let candidates = top.into_sorted();
                if options.rescore {
                    rescore(&q, &candidates, metric, &self.store, k)
                } else {
                    candidates.into_iter().take(k).collect()
                }
            }
            _ => exact_scan(&q, &self.live, metric, &self.store, k),
        };
        Ok(found.iter().map(|c| self.hit(c)).collect())
    }

    fn hit(&self, c: &Candidate) -> Hit<'_> {
        Hit {
            id: self.ids.id(c.slot).expect("candidates are live slots"),
            score: self.params.metric.score_from_key(c.key),
            metadata: self.store.metadata(c.slot),
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
            store: self.store.memory_bytes(),
        }
    }

    /// Serialises the whole index (see [`crate::persist`] for the frame).
    ///
    /// Payload: params; slot count; per slot the id (u16 length, 0xFFFF = free, then
    /// UTF-8); the originals `[slots][dimensions]` f32; per slot the metadata (u32 length,
    /// 0xFFFF_FFFF = none, then UTF-8); the live count at the last fit (u64); a codes flag
    /// and the quantizer's own section.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        write_params(&mut w, &self.params);
        let slots = self.live.len();
        w.u32(slots as u32);
        for slot in 0..slots as u32 {
            match self.ids.id(slot) {
                Some(id) => {
                    w.u16(id.len() as u16);
                    w.raw(id.as_bytes());
                }
                None => w.u16(u16::MAX),
            }
        }
        w.f32s(self.store.vectors());
        for slot in 0..slots as u32 {
            match self.store.metadata(slot) {
                Some(m) => w.bytes(m.as_bytes()),
                None => w.u32(u32::MAX),
            }
        }
        w.u64(self.fitted_on as u64);
        match &self.codes {
            Some(codes) => {
                w.u8(1);
                codes.write(&mut w);
            }
            None => w.u8(0),
        }
        w.finish()
    }

    /// Reads an index written by [`Index::to_bytes`]. Damaged, truncated or foreign bytes
    /// are an error, never a panic or a wrong index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index> {
        let mut r = Reader::open(bytes)?;
        let params = read_params(&mut r)?;
        let d = params.dimensions;
        let slots = r.u32("slot count")? as usize;
        let mut index = Index::new(params);
        // Each slot takes at least 2 bytes of ids: reject absurd counts before allocating.
        if slots.saturating_mul(2) > bytes.len() {
            return Err(r.corrupt(format!("{slots} slots cannot fit in {} bytes", bytes.len())));
        }
        index.live.reserve(slots);
        for slot in 0..slots as u32 {
            let len = r.u16("id length")?;
            if len == u16::MAX {
                index.live.push(false);
                continue;
            }
            let raw = r.raw(usize::from(len), "id")?;
            let id = core::str::from_utf8(raw)
                .map_err(|_| r.corrupt(format!("id of slot {slot} is not UTF-8")))?;
            if id.is_empty() || index.ids.slot(id).is_some() {
                return Err(r.corrupt(format!("id of slot {slot} is empty or repeated")));
            }
            index.ids.insert(id, slot);
            index.live.push(true);
        }
        let originals = r.f32s("originals")?;
        if originals.len() != slots * d {
            return Err(r.corrupt(format!(
                "{} original values for {slots} slots of {d}",
                originals.len()
            )));
        }
        let mut metadata = Vec::with_capacity(slots);
        for slot in 0..slots {
            let len = r.u32("metadata length")?;
            metadata.push(if len == u32::MAX {
                None
            } else {
                let raw = r.raw(len as usize, "metadata")?;
                Some(
                    core::str::from_utf8(raw)
                        .map_err(|_| r.corrupt(format!("metadata of slot {slot} is not UTF-8")))?
                        .to_owned(),
                )
            });
        }
        for (slot, (row, meta)) in originals.chunks_exact(d).zip(&metadata).enumerate() {
            index.store.put(slot as u32, row, meta.as_deref());
        }
        index.free = (0..slots as u32)
            .rev()
            .filter(|&s| !index.live[s as usize])
            .collect();
        index.fitted_on = usize::try_from(r.u64("fit count")?).unwrap_or(usize::MAX);
        index.codes = match r.u8("codes flag")? {
            0 => None,
            1 => Some(Codes::read(&mut r, &params, slots)?),
            other => return Err(r.corrupt(format!("codes flag {other} is not 0 or 1"))),
        };
        r.finish()?;
        Ok(index)
    }
}

/// Rejects a non-finite vector; normalises it in place for cosine (rejecting zero).
fn check_vector(row: &mut [f32], position: usize, metric: Metric) -> Result<()> {
    if let Some((dimension, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            position,
            dimension,
            value,
        });
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

fn write_params(w: &mut Writer, p: &IndexParams) {
    w.u32(p.dimensions as u32);
    w.u8(match p.metric {
        Metric::Cosine => 0,
        Metric::Dot => 1,
        Metric::L2 => 2,
    });
    match p.quantization {
        Quantization::None => w.u8(0),
        Quantization::Int8 { quantile } => {
            w.u8(1);
            w.f32(quantile);
        }
        Quantization::Binary { centered, query } => {
            w.u8(2);
            w.u8(u8::from(centered));
            w.u8(match query {
                BinaryQuery::Hamming => 1,
                BinaryQuery::Asymmetric => 2,
            });
        }
        Quantization::Pq {
            subspaces,
            bits,
            seed,
        } => {
            w.u8(3);
            w.u32(subspaces as u32);
            w.u8(bits);
            match seed {
                Some(s) => {
                    w.u8(1);
                    w.u64(s);
                }
                None => w.u8(0),
            }
        }
    }
}

fn read_params(r: &mut Reader) -> Result<IndexParams> {
    let dimensions = r.u32("dimensions")? as usize;
    let metric = match r.u8("metric")? {
        0 => Metric::Cosine,
        1 => Metric::Dot,
        2 => Metric::L2,
        other => return Err(r.corrupt(format!("metric tag {other} is unknown"))),
    };
    let quantization = match r.u8("quantization")? {
        0 => Quantization::None,
        1 => Quantization::Int8 {
            quantile: r.f32("int8 quantile")?,
        },
        2 => {
            let centered = r.u8("binary centered")? == 1;
            let query = match r.u8("binary query mode")? {
                1 => BinaryQuery::Hamming,
                2 => BinaryQuery::Asymmetric,
                other => return Err(r.corrupt(format!("binary query mode {other} is unknown"))),
            };
            Quantization::Binary { centered, query }
        }
        3 => {
            let subspaces = r.u32("pq subspaces")? as usize;
            let bits = r.u8("pq bits")?;
            let seed = match r.u8("pq seed flag")? {
                0 => None,
                _ => Some(r.u64("pq seed")?),
            };
            Quantization::Pq {
                subspaces,
                bits,
                seed,
            }
        }
        other => return Err(r.corrupt(format!("quantization tag {other} is unknown"))),
    };
    IndexParams::new(dimensions, metric, quantization)
        .map_err(|e| r.corrupt(format!("stored parameters are invalid: {e}")))
}
