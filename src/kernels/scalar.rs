//! Scalar reference kernels: the specification. The SIMD kernels must return the same
//! integers bit for bit, and the same floats within the tolerance stated in
//! `tests/kernels.rs` (float sums are reassociated).
//!
//! Naming: `<op>_<dtype>_scalar`. Batch kernels score one query against `out.len()` codes
//! laid out back to back, `stride` bytes each.

/// Inner product of two f32 vectors. Eight partial sums let the compiler keep several
/// additions in flight; the order is fixed, so the result is deterministic.
pub fn dot_f32_scalar(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; 8];
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        for lane in 0..8 {
            acc[lane] += ca[lane] * cb[lane];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Squared Euclidean distance of two f32 vectors.
pub fn l2sq_f32_scalar(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; 8];
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        for lane in 0..8 {
            let d = ca[lane] - cb[lane];
            acc[lane] += d * d;
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        let d = x - y;
        tail += d * d;
    }
    acc.iter().sum::<f32>() + tail
}

/// Inner product of two i8 vectors in i32. Each product is at most 128 × 128 = 2^14 in
/// magnitude, so the sum cannot overflow below 2^17 elements (the index caps dimensions
/// at 2^16).
pub fn dot_i8_scalar(a: &[i8], b: &[i8]) -> i32 {
    debug_assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

/// Number of set bits in `a`.
pub fn popcount_scalar(a: &[u8]) -> u32 {
    let mut chunks = a.chunks_exact(8);
    let mut count = 0;
    for c in &mut chunks {
        count += u64::from_le_bytes(c.try_into().expect("chunk of 8")).count_ones();
    }
    count
        + chunks
            .remainder()
            .iter()
            .map(|b| b.count_ones())
            .sum::<u32>()
}

/// Hamming distance of two bit codes: popcount(a XOR b), 64 bits at a time.
pub fn hamming_scalar(a: &[u8], b: &[u8]) -> u32 {
    debug_assert_eq!(a.len(), b.len());
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    let mut count = 0;
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        let x = u64::from_le_bytes(ca.try_into().expect("chunk of 8"));
        let y = u64::from_le_bytes(cb.try_into().expect("chunk of 8"));
        count += (x ^ y).count_ones();
    }
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        count += (x ^ y).count_ones();
    }
    count
}

/// Hamming distance from `query` to each code: `out[i] = hamming(query, codes[i])`.
pub fn hamming_batch_scalar(query: &[u8], codes: &[u8], out: &mut [u32]) {
    let stride = query.len();
    debug_assert_eq!(codes.len(), stride * out.len());
    for (code, o) in codes.chunks_exact(stride).zip(out.iter_mut()) {
        *o = hamming_scalar(query, code);
    }
}

/// Weighted bit-plane product of a 4-bit query with 1-bit codes (RaBitQ-style asymmetric
/// scoring). `planes` holds 4 bit planes of `stride = code.len()` bytes each, plane p
/// holding bit p of every query component: layout `[4][stride]`.
///
/// Returns `(Σ_j u_j·b_j, Σ_j b_j)` where `u_j ∈ 0..=15` is the query's 4-bit value and
/// `b_j` the code's bit:
/// `Σ_j u_j·b_j = Σ_p 2^p · popcount(plane_p AND code)`.
pub fn bitplanes4_scalar(planes: &[u8], code: &[u8]) -> (u32, u32) {
    bitplanes4_from(planes, code, 0)
}

/// [`bitplanes4_scalar`] over code bytes `from..` only: the tail that a SIMD kernel leaves
/// after its whole 16-byte chunks.
pub(crate) fn bitplanes4_from(planes: &[u8], code: &[u8], from: usize) -> (u32, u32) {
    let stride = code.len();
    debug_assert_eq!(planes.len(), 4 * stride);
    let mut weighted = 0;
    for p in 0..4 {
        let plane = &planes[p * stride + from..(p + 1) * stride];
        weighted += popcount_and(plane, &code[from..]) << p;
    }
    (weighted, popcount_scalar(&code[from..]))
}

/// popcount(a AND b), 64 bits at a time.
fn popcount_and(a: &[u8], b: &[u8]) -> u32 {
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    let mut count = 0;
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        let x = u64::from_le_bytes(ca.try_into().expect("chunk of 8"));
        let y = u64::from_le_bytes(cb.try_into().expect("chunk of 8"));
        count += (x & y).count_ones();
    }
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        count += (x & y).count_ones();
    }
    count
}

/// [`bitplanes4_scalar`] against each code: `weighted[i], pop[i]` for `codes[i]`.
pub fn bitplanes4_batch_scalar(planes: &[u8], codes: &[u8], weighted: &mut [u32], pop: &mut [u32]) {
    let stride = planes.len() / 4;
    debug_assert_eq!(codes.len(), stride * weighted.len());
    debug_assert_eq!(weighted.len(), pop.len());
    for ((code, w), p) in codes
        .chunks_exact(stride)
        .zip(weighted.iter_mut())
        .zip(pop.iter_mut())
    {
        (*w, *p) = bitplanes4_scalar(planes, code);
    }
}

/// Inner product of `query` with each signed code: `out[i] = dot_i8(query, codes[i])`.
pub fn dot_i8_batch_scalar(query: &[i8], codes: &[i8], out: &mut [i32]) {
    let stride = query.len();
    debug_assert_eq!(codes.len(), stride * out.len());
    for (code, o) in codes.chunks_exact(stride).zip(out.iter_mut()) {
        *o = dot_i8_scalar(query, code);
    }
}

/// Product-quantization asymmetric distance over 8-bit codes: `out[i] = Σ_m lut[m][codes[i][m]]`.
/// `lut` layout: `[m][256]` f32, `m = lut.len() / 256` subspaces; each code is `m` bytes.
pub fn pq_adc_batch_scalar(lut: &[f32], codes: &[u8], out: &mut [f32]) {
    let m = lut.len() / 256;
    debug_assert_eq!(codes.len(), m * out.len());
    for (code, o) in codes.chunks_exact(m).zip(out.iter_mut()) {
        let mut acc = 0.0f32;
        for (sub, &c) in code.iter().enumerate() {
            acc += lut[sub * 256 + usize::from(c)];
        }
        *o = acc;
    }
}

/// Number of vectors in one fast-scan block.
pub const FASTSCAN_BLOCK: usize = 32;

/// PQ 4-bit fast-scan over blocks of 32 codes (after faiss `IndexPQFastScan`).
///
/// `lut` layout: `[m][16]` u8 (quantised distances). `blocks` layout: `[block][m][16]` bytes,
/// where byte `i` of subspace `m` in a block holds the code of vector `i` in its low nibble
/// and the code of vector `i + 16` in its high nibble. `out[32·b + v]` receives
/// `Σ_m lut[m][code(v, m)]` for vector `v` of block `b`. The caller keeps
/// `Σ_m max(lut[m]) ≤ 65535`, so the u16 sums cannot overflow.
pub fn fastscan_u4_scalar(lut: &[u8], blocks: &[u8], out: &mut [u16]) {
    let m = lut.len() / 16;
    let block_bytes = m * 16;
    debug_assert_eq!(blocks.len() * FASTSCAN_BLOCK, out.len() * block_bytes);
    for (block, out_block) in blocks
        .chunks_exact(block_bytes)
        .zip(out.chunks_exact_mut(FASTSCAN_BLOCK))
    {
        out_block.fill(0);
        for sub in 0..m {
            let table = &lut[sub * 16..sub * 16 + 16];
            let bytes = &block[sub * 16..sub * 16 + 16];
            for (i, &byte) in bytes.iter().enumerate() {
                out_block[i] += u16::from(table[usize::from(byte & 0x0f)]);
                out_block[i + 16] += u16::from(table[usize::from(byte >> 4)]);
            }
        }
    }
}

/// Index of the first minimum of `values` (non-empty, no NaN): the nearest centroid once
/// `values` holds distances.
pub fn argmin_f32_scalar(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}

/// Writes the indices `i` with `values[i] <= limit` into `out` (in increasing order) and
/// returns how many there are; `out` holds at least `values.len()` entries. Fast-scan uses
/// it to skip the codes whose sums the top-k floor already rules out.
pub fn indices_le_u16_scalar(values: &[u16], limit: u16, out: &mut [u16]) -> usize {
    let mut count = 0;
    for (i, &v) in values.iter().enumerate() {
        if v <= limit {
            out[count] = i as u16;
            count += 1;
        }
    }
    count
}
