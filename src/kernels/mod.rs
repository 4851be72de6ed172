//! Distance kernels over slices and integers, nothing else.
//!
//! Every operation has a scalar reference in [`scalar`] (the specification) and, on
//! `wasm32` with `simd128`, a SIMD twin in `simd128`. The functions here pick one at compile
//! time (memchr / NumKong style): wasm has no runtime CPU detection, the module either
//! validates with SIMD or not at all. Lengths are checked once here; the kernels only
//! `debug_assert!`.
//!
//! Binary codes are scanned with [`fastscan_u4`] (sign bits in 4-bit groups, a per-query
//! table looked up with `i8x16.swizzle`), not with the popcount kernels [`hamming_batch`]
//! and [`bitplanes4_batch`]: measured in Node on 100k 384-d codes, the table scan takes
//! 0.42 ms for either query mode against 0.41–0.45 ms for xor + popcount (Hamming only) and
//! 2.4–2.7 ms for 4-bit AND + popcount bit planes. The popcount kernels stay, parity-tested
//! and benchmarked (`npm run bench`), as the measured alternatives.

pub mod scalar;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod simd128;

pub use scalar::FASTSCAN_BLOCK;

macro_rules! dispatch {
    ($simd:ident, $scalar:ident ( $($arg:expr),* )) => {{
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        { simd128::$simd($($arg),*) }
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        { scalar::$scalar($($arg),*) }
    }};
}

/// Which kernel set this build runs: `"relaxed-simd"` (SIMD128 plus relaxed SIMD's int8 dot
/// product), `"simd128"` or `"scalar"`.
pub const ISA: &str = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    "relaxed-simd"
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    "simd128"
} else {
    "scalar"
};

/// f32 inner product.
#[inline]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: lengths differ");
    dispatch!(dot_f32_simd128, dot_f32_scalar(a, b))
}

/// Squared Euclidean distance.
#[inline]
pub fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "l2sq_f32: lengths differ");
    dispatch!(l2sq_f32_simd128, l2sq_f32_scalar(a, b))
}

/// Inner product of `query` with each `query.len()`-byte signed code in `codes`.
///
/// Every query byte must lie in `[0, 127]`: the range where relaxed SIMD's
/// `i32x4.relaxed_dot_i8x16_i7x16_add` is exact on every engine, so all tiers return the
/// same integers.
#[inline]
pub fn dot_i8_batch(query: &[i8], codes: &[i8], out: &mut [i32]) {
    assert_eq!(
        codes.len(),
        query.len() * out.len(),
        "dot_i8_batch: codes and out disagree"
    );
    assert!(
        query.iter().all(|&q| q >= 0),
        "dot_i8_batch: query bytes must be in [0, 127]"
    );
    dispatch!(dot_i8_batch_simd128, dot_i8_batch_scalar(query, codes, out))
}

/// Hamming distance from `query` to each `query.len()`-byte code in `codes`.
#[inline]
pub fn hamming_batch(query: &[u8], codes: &[u8], out: &mut [u32]) {
    assert_eq!(
        codes.len(),
        query.len() * out.len(),
        "hamming_batch: codes and out disagree"
    );
    dispatch!(
        hamming_batch_simd128,
        hamming_batch_scalar(query, codes, out)
    )
}

/// 4-bit query bit planes (`[4][stride]`) against each `stride`-byte code:
/// `weighted[i] = Σ_j u_j·b_ij`, `pop[i] = Σ_j b_ij`.
#[inline]
pub fn bitplanes4_batch(planes: &[u8], codes: &[u8], weighted: &mut [u32], pop: &mut [u32]) {
    assert_eq!(
        planes.len() % 4,
        0,
        "bitplanes4_batch: planes must be [4][stride]"
    );
    assert_eq!(
        codes.len(),
        planes.len() / 4 * weighted.len(),
        "bitplanes4_batch: codes and out disagree"
    );
    assert_eq!(
        weighted.len(),
        pop.len(),
        "bitplanes4_batch: outputs differ in length"
    );
    dispatch!(
        bitplanes4_batch_simd128,
        bitplanes4_batch_scalar(planes, codes, weighted, pop)
    )
}

/// Index of the first minimum of `values` (non-empty, no NaN).
#[inline]
pub fn argmin_f32(values: &[f32]) -> usize {
    assert!(!values.is_empty(), "argmin_f32: no values");
    dispatch!(argmin_f32_simd128, argmin_f32_scalar(values))
}

/// Writes the indices of `values` that are `<= limit` into `out`, in increasing order;
/// returns their number. At most 65,536 values (indices are u16).
#[inline]
pub fn indices_le_u16(values: &[u16], limit: u16, out: &mut [u16]) -> usize {
    assert!(
        values.len() <= 65_536,
        "indices_le_u16: indices must fit u16"
    );
    assert!(
        out.len() >= values.len(),
        "indices_le_u16: out is too short"
    );
    dispatch!(
        indices_le_u16_simd128,
        indices_le_u16_scalar(values, limit, out)
    )
}

/// PQ asymmetric distance over 8-bit codes; `lut` is `[m][256]`.
#[inline]
pub fn pq_adc_batch(lut: &[f32], codes: &[u8], out: &mut [f32]) {
    assert_eq!(lut.len() % 256, 0, "pq_adc_batch: lut must be [m][256]");
    assert_eq!(
        codes.len(),
        lut.len() / 256 * out.len(),
        "pq_adc_batch: codes and out disagree"
    );
    dispatch!(pq_adc_batch_simd128, pq_adc_batch_scalar(lut, codes, out))
}

/// Fast-scan over blocks of 32 codes of 4-bit sub-codes; `lut` is `[m][16]` u8 with
/// `Σ_m max(lut[m]) ≤ 65535`, so the u16 sums cannot overflow (`fastscan::Table` ensures it).
#[inline]
pub fn fastscan_u4(lut: &[u8], blocks: &[u8], out: &mut [u16]) {
    assert_eq!(lut.len() % 16, 0, "fastscan_u4: lut must be [m][16]");
    debug_assert!(
        lut.chunks_exact(16)
            .map(|t| t.iter().copied().map(u32::from).max().unwrap_or(0))
            .sum::<u32>()
            <= 65_535,
        "fastscan_u4: table sums may overflow u16"
    );
    assert_eq!(
        out.len() % FASTSCAN_BLOCK,
        0,
        "fastscan_u4: out must hold whole blocks"
    );
    assert_eq!(
        blocks.len(),
        lut.len() * (out.len() / FASTSCAN_BLOCK),
        "fastscan_u4: blocks and out disagree"
    );
    dispatch!(fastscan_u4_simd128, fastscan_u4_scalar(lut, blocks, out))
}
