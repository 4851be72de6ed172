//! Quantizers: each fits on the data it is given, encodes vectors into compact codes, and
//! prepares queries (lookup tables, bit planes, int8 query) once per search.
//!
//! Every encoding implements one trait, [`Quantizer`]: a data side (fit, encode, its model's
//! and each code's bytes, its fit thresholds) and a query side (prepare a query once, scan
//! every code with it), as qdrant's `EncodedVectors` / `EncodedQuery` pair. [`Codes`] holds
//! whichever the index uses; its methods are generated from one list (the `encodings!`
//! registry at the end of this file), so a new encoding is its file and one line there
//! (plus its variant in [`crate::params::Quantization`], which names its options).

pub mod binary;
pub mod fastscan;
pub mod int8;
pub mod kmeans;
pub mod pq;
pub mod refine;

use crate::bytes::{Reader, Writer};
use crate::error::Result;
use crate::params::{IndexParams, Quantization};
use crate::search::topk::{Candidate, TopK};

/// Codes scored per kernel call before selection: the kernels' outputs stay on the stack
/// (256 × 4 bytes) and in L1, so scoring and selection are fused without a full score array.
pub const SCAN_CHUNK: usize = 256;

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

/// What a scan of the codes found ([`Codes::best`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    /// The best candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Each candidate's error bound in key units, for encodings that have one.
    pub bounds: Option<Vec<f32>>,
}

/// One encoding: its data side and its query side.
pub trait Quantizer: Sized {
    /// What the query side prepares once per search (lookup tables, packed bits, the int8
    /// query and its constants).
    type Query;

    /// True if this encoding stores the codes of `quantization`.
    fn serves(quantization: &Quantization) -> bool;

    /// Live vectors an index must hold before it fits this quantizer; below it searches
    /// exactly.
    fn fit_threshold(quantization: &Quantization) -> usize;

    /// Most vectors a fit uses; refits stop once a fit has used this many. The sample is
    /// held as floats while fitting (25 MB at 384 dimensions for 16,384), and that peak
    /// stays in wasm memory, so it is as small as the fit allows.
    fn fit_sample() -> usize {
        16_384
    }

    /// An upper bound on the bytes a slot's code takes with its per-slot terms (norms,
    /// correction factors: at most 16 bytes), to check that a refit's new codes will fit.
    fn code_bytes(quantization: &Quantization, dimensions: usize) -> usize;

    /// Fits on `sample` (`[n][dimensions]`, n ≥ 1) for an index of `params` (which this
    /// encoding serves); no vector is encoded yet.
    fn fit(params: &IndexParams, sample: &[f32]) -> Self;

    /// Reads what [`Quantizer::write_model`] wrote: a fitted quantizer, no codes yet.
    fn read_model(r: &mut Reader, params: &IndexParams) -> Result<Self>;

    /// Serialises the fitted quantizer (not the codes).
    fn write_model(&self, w: &mut Writer);

    /// Makes room for `additional` more slots.
    fn try_reserve(&mut self, additional: usize) -> Result<()>;

    /// Encodes `x` into `slot` (an existing slot, or the next new one).
    fn set(&mut self, slot: u32, x: &[f32]);

    /// Prepares `q` for scanning.
    fn prepare(&self, q: &[f32]) -> Self::Query;

    /// Scans every code, offering live slots to `top` with their estimated keys.
    fn scan(&self, q: &Self::Query, live: &[bool], top: &mut TopK);

    /// Re-estimates `candidates` (the scan's best, best first) with finer codes, where the
    /// encoding keeps them: re-keys and re-sorts them best first, and returns each one's
    /// error bound in key units (the exact key lies within `key ± bound`). `None`, the
    /// default, leaves them as the scan ranked them, with no bound.
    fn refine(&self, _q: &[f32], _candidates: &mut [Candidate]) -> Option<Vec<f32>> {
        None
    }

    /// Bytes held.
    fn memory_bytes(&self) -> usize;

    /// Writes the code of `slot` (a fixed number of bytes for a given quantizer).
    fn write_slot(&self, slot: u32, w: &mut Writer);

    /// Reads what [`Quantizer::write_slot`] wrote into `slot` (existing, or the next new one).
    fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()>;
}

/// The registry: each encoding's [`Codes`] variant and type, once. Generates [`Codes`], its
/// dispatching methods, and the per-quantization facts the index asks for.
macro_rules! encodings {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),* $(,)?) => {
        /// The codes of an index, whichever encoding it uses.
        #[derive(Debug, Clone)]
        pub enum Codes {
            $($(#[$doc])* $variant($ty)),*
        }

        impl Codes {
            /// Fits the quantizer of `params` on `sample` (`[n][dimensions]`, n ≥ 1) and
            /// returns it with no vectors encoded; `None` for `Quantization::None`.
            pub fn fit(params: &IndexParams, sample: &[f32]) -> Option<Codes> {
                $(if <$ty>::serves(&params.quantization) {
                    return Some(Codes::$variant(<$ty>::fit(params, sample)));
                })*
                None
            }

            /// Reads what [`Codes::write_model`] wrote for an index of `params`.
            pub fn read_model(r: &mut Reader, params: &IndexParams) -> Result<Codes> {
                                $(if <$ty>::serves(&params.quantization) {
                    return Ok(Codes::$variant(<$ty>::read_model(r, params)?));
                })*
                let what = "the codes flag of an index without quantization";
                Err(r.invalid(what, "0", Some("1".into())))
            }

            /// Serialises the fitted quantizer (not the codes).
            pub fn write_model(&self, w: &mut Writer) {
                match self { $(Codes::$variant(c) => c.write_model(w)),* }
            }

            /// Makes room for `additional` more slots.
            pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
                match self { $(Codes::$variant(c) => c.try_reserve(additional)),* }
            }

            /// Encodes `x` into `slot` (an existing slot, or the next new one).
            pub fn set(&mut self, slot: u32, x: &[f32]) {
                match self { $(Codes::$variant(c) => c.set(slot, x)),* }
            }

            /// Prepares `q` and scans every code, offering live slots to `top` with their
            /// estimated keys.
            pub fn scan(&self, q: &[f32], live: &[bool], top: &mut TopK) {
                match self { $(Codes::$variant(c) => c.scan(&c.prepare(q), live, top)),* }
            }

            /// The `wanted` best live slots for `q` by the codes, best first, refined
            /// ([`Quantizer::refine`]) if `refine` and the encoding can.
            pub fn best(&self, q: &[f32], live: &[bool], wanted: usize, refine: bool) -> Scanned {
                let mut top = TopK::new(wanted);
                self.scan(q, live, &mut top);
                let mut candidates = top.into_sorted();
                let bounds = match self {
                    $(Codes::$variant(c) if refine => c.refine(q, &mut candidates),)*
                    _ => None,
                };
                Scanned { candidates, bounds }
            }

            /// Bytes held.
            pub fn memory_bytes(&self) -> usize {
                match self { $(Codes::$variant(c) => c.memory_bytes()),* }
            }

            /// Writes the code of `slot`.
            pub fn write_slot(&self, slot: u32, w: &mut Writer) {
                match self { $(Codes::$variant(c) => c.write_slot(slot, w)),* }
            }

            /// Reads what [`Codes::write_slot`] wrote into `slot`.
            pub fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
                match self { $(Codes::$variant(c) => c.read_slot(slot, r)),* }
            }
        }

        /// Live vectors an index must hold before it fits its quantizer
        /// ([`Quantizer::fit_threshold`]); `usize::MAX` without quantization.
        pub fn fit_threshold(quantization: &Quantization) -> usize {
            $(if <$ty>::serves(quantization) {
                return <$ty>::fit_threshold(quantization);
            })*
            usize::MAX
        }

        /// Most vectors a fit uses ([`Quantizer::fit_sample`]); 0 without quantization.
        pub fn fit_sample(quantization: &Quantization) -> usize {
            $(if <$ty>::serves(quantization) {
                return <$ty>::fit_sample();
            })*
            0
        }

        /// An upper bound on a slot's code bytes ([`Quantizer::code_bytes`]); 0 without
        /// quantization.
        pub fn code_bytes(quantization: &Quantization, dimensions: usize) -> usize {
            $(if <$ty>::serves(quantization) {
                return <$ty>::code_bytes(quantization, dimensions);
            })*
            0
        }
    };
}

encodings! {
    /// 1-bit codes.
    Binary(binary::BinaryCodes),
    /// int8 codes.
    Int8(int8::Int8Codes),
    /// 8-bit PQ codes.
    Pq(pq::PqCodes),
    /// 4-bit PQ codes in fast-scan blocks.
    FastScan(pq::FastScanCodes),
}
