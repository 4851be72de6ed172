//! Quantizers: each fits on the data it is given, encodes vectors into compact codes, and
//! prepares queries (lookup tables, bit planes, int8 query) once per search.

pub mod binary;
pub mod fastscan;
pub mod int8;
pub mod kmeans;
pub mod pq;

use crate::bytes::{Reader, Writer};
use crate::error::Result;
use crate::params::{IndexParams, Quantization};
use crate::rng::Rng;
use crate::search::topk::TopK;

/// Codes scored per kernel call before selection: the kernels' outputs stay on the stack
/// (256 × 4 bytes) and in L1, so scoring and selection are fused without a full score array.
pub const SCAN_CHUNK: usize = 256;

/// The codes of an index, whichever quantization it uses.
#[derive(Debug, Clone)]
pub enum Codes {
    /// 1-bit codes.
    Binary(binary::BinaryCodes),
    /// int8 codes.
    Int8(int8::Int8Codes),
    /// 8-bit PQ codes.
    Pq(pq::PqCodes),
    /// 4-bit PQ codes in fast-scan blocks.
    FastScan(pq::FastScanCodes),
}

/// Live vectors an index must hold before it fits its quantizer; below this it searches
/// exactly. PQ wants enough points per centroid for k-means to mean something.
pub fn fit_threshold(quantization: &Quantization) -> usize {
    match quantization {
        Quantization::None => usize::MAX,
        Quantization::Int8 { .. } | Quantization::Binary { .. } => 256,
        Quantization::Pq { bits: 4, .. } => 1024,
        Quantization::Pq { .. } => 4096,
    }
}

/// Most vectors a quantizer is fitted on; refits stop once a fit has used this many. The
/// sample is held as floats while fitting (1.6 MB for binary, 25 MB otherwise, at 384
/// dimensions), and that peak stays in wasm memory, so it is as small as the fit allows.
/// Binary codes estimate one mean factor, which scales every vector's estimate alike and so
/// never changes a ranking, and, when centred, per-dimension means, which 1,024 vectors pin
/// down to about 3% of a component's spread; int8's quantile bounds and PQ's k-means (64
/// vectors a centroid) want more.
pub fn fit_sample(quantization: &Quantization) -> usize {
    match quantization {
        Quantization::Binary { .. } => 1024,
        _ => 16_384,
    }
}

/// An upper bound on the bytes a slot's code takes with its per-slot terms (norms,
/// correction factors: at most 8 bytes), to check that a refit's new codes will fit.
pub fn code_bytes(quantization: &Quantization, dimensions: usize) -> usize {
    8 + match quantization {
        Quantization::None => 0,
        Quantization::Binary { .. } => dimensions.div_ceil(8),
        Quantization::Int8 { .. } => dimensions,
        Quantization::Pq {
            subspaces, bits, ..
        } => (subspaces * usize::from(*bits)).div_ceil(8),
    }
}

/// Per-dimension mean of `[n][dimensions]` rows.
pub fn mean(rows: &[f32], dimensions: usize) -> Vec<f32> {
    let mut sum = vec![0.0f64; dimensions];
    let mut n = 0usize;
    for row in rows.chunks_exact(dimensions) {
        n += 1;
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    sum.iter().map(|s| (s / n.max(1) as f64) as f32).collect()
}

impl Codes {
    /// Fits the quantizer of `params` on `sample` (`[n][dimensions]`, n ≥ 1) and returns it
    /// with no vectors encoded; `None` for `Quantization::None`.
    pub fn fit(params: &IndexParams, sample: &[f32]) -> Option<Codes> {
        let (d, metric) = (params.dimensions, params.metric);
        Some(match params.quantization {
            Quantization::None => return None,
            Quantization::Binary { centered, query } => {
                Codes::Binary(binary::BinaryCodes::fit(d, metric, centered, query, sample))
            }
            Quantization::Int8 { quantile } => {
                Codes::Int8(int8::Int8Codes::fit(d, metric, quantile, sample))
            }
            Quantization::Pq {
                subspaces,
                bits,
                seed,
            } => {
                let mut rng = seed.map_or_else(Rng::from_entropy, Rng::from_seed);
                if bits == 4 {
                    Codes::FastScan(pq::FastScanCodes::fit(
                        d, metric, subspaces, sample, &mut rng,
                    ))
                } else {
                    Codes::Pq(pq::PqCodes::fit(d, metric, subspaces, sample, &mut rng))
                }
            }
        })
    }

    /// Encodes `x` into `slot` (an existing slot, or the next new one).
    pub fn set(&mut self, slot: u32, x: &[f32]) {
        match self {
            Codes::Binary(c) => c.set(slot, x),
            Codes::Int8(c) => c.set(slot, x),
            Codes::Pq(c) => c.set(slot, x),
            Codes::FastScan(c) => c.set(slot, x),
        }
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        match self {
            Codes::Binary(c) => c.try_reserve(additional),
            Codes::Int8(c) => c.try_reserve(additional),
            Codes::Pq(c) => c.try_reserve(additional),
            Codes::FastScan(c) => c.try_reserve(additional),
        }
    }

    /// Prepares `q` and scans every code, offering live slots to `top` with their
    /// estimated keys.
    pub fn scan(&self, q: &[f32], live: &[bool], top: &mut TopK) {
        match self {
            Codes::Binary(c) => c.scan(&c.prepare(q), live, top),
            Codes::Int8(c) => c.scan(&c.prepare(q), live, top),
            Codes::Pq(c) => c.scan(&c.prepare(q), live, top),
            Codes::FastScan(c) => c.scan(&c.prepare(q), live, top),
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        match self {
            Codes::Binary(c) => c.memory_bytes(),
            Codes::Int8(c) => c.memory_bytes(),
            Codes::Pq(c) => c.memory_bytes(),
            Codes::FastScan(c) => c.memory_bytes(),
        }
    }

    /// Serialises the fitted quantizer (not the codes).
    pub fn write_model(&self, w: &mut Writer) {
        match self {
            Codes::Binary(c) => c.write_model(w),
            Codes::Int8(c) => c.write_model(w),
            Codes::Pq(c) => c.write_model(w),
            Codes::FastScan(c) => c.write_model(w),
        }
    }

    /// Reads what [`Codes::write_model`] wrote for an index of `params`: a fitted quantizer
    /// with no codes stored yet.
    pub fn read_model(r: &mut Reader, params: &IndexParams) -> Result<Codes> {
        let (d, metric) = (params.dimensions, params.metric);
        Ok(match params.quantization {
            Quantization::None => {
                return Err(r.corrupt("codes stored for an index without quantization".into()));
            }
            Quantization::Binary { .. } => {
                Codes::Binary(binary::BinaryCodes::read_model(r, d, metric)?)
            }
            Quantization::Int8 { .. } => Codes::Int8(int8::Int8Codes::read_model(r, d, metric)?),
            Quantization::Pq { bits: 4, .. } => {
                Codes::FastScan(pq::FastScanCodes::read_model(r, d, metric)?)
            }
            Quantization::Pq { .. } => Codes::Pq(pq::PqCodes::read_model(r, d, metric)?),
        })
    }

    /// Writes the code of `slot` (a fixed number of bytes for a given quantizer).
    pub fn write_slot(&self, slot: u32, w: &mut Writer) {
        match self {
            Codes::Binary(c) => c.write_slot(slot, w),
            Codes::Int8(c) => c.write_slot(slot, w),
            Codes::Pq(c) => c.write_slot(slot, w),
            Codes::FastScan(c) => c.write_slot(slot, w),
        }
    }

    /// Reads what [`Codes::write_slot`] wrote into `slot` (existing, or the next new one).
    pub fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        match self {
            Codes::Binary(c) => c.read_slot(slot, r),
            Codes::Int8(c) => c.read_slot(slot, r),
            Codes::Pq(c) => c.read_slot(slot, r),
            Codes::FastScan(c) => c.read_slot(slot, r),
        }
    }
}
