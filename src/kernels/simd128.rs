//! WebAssembly SIMD128 kernels (`core::arch::wasm32`). Each returns exactly what its
//! `scalar` twin returns (integers bit for bit; the f32 kernels within reassociation error).
//! Built with `+relaxed-simd` too, the int8 dot product uses the relaxed instruction
//! ([`dot_i8x16_u7x16_add`]); everything else is the same code in both tiers.
//!
//! Loads go through [`load_u8x16`] / [`load_f32x4`], which take fixed-size array
//! references, so every `unsafe` is in those two functions.
//!
//! Why one file of over 400 lines: it is the SIMD half of `scalar.rs`, kernel for kernel,
//! and its length is the overflow reasoning and lane layouts written beside each loop;
//! split by operation, each part would lose the two load helpers that keep every `unsafe`
//! in one place.

use core::arch::wasm32::*;

use super::scalar;

/// Loads 16 bytes. Safe: the array reference proves 16 readable bytes.
#[inline(always)]
fn load_u8x16(bytes: &[u8; 16]) -> v128 {
    // SAFETY: `bytes` is a valid reference to 16 bytes; wasm loads need no alignment.
    unsafe { v128_load(bytes.as_ptr().cast()) }
}

/// Loads 4 floats. Safe: the array reference proves 16 readable bytes.
#[inline(always)]
fn load_f32x4(values: &[f32; 4]) -> v128 {
    // SAFETY: `values` is a valid reference to 16 bytes; wasm loads need no alignment.
    unsafe { v128_load(values.as_ptr().cast()) }
}

/// Bytes `16·i .. 16·i + 16` of `bytes` as an array reference.
#[inline(always)]
fn chunk16(bytes: &[u8], i: usize) -> &[u8; 16] {
    bytes[16 * i..16 * i + 16].try_into().expect("16 bytes")
}

/// `[Σa, Σb, Σc, Σd]`: the horizontal sums of four u32x4 vectors in one vector
/// (two rounds of interleave + add instead of four separate horizontal sums).
#[inline(always)]
fn hsum4_u32x4(a: v128, b: v128, c: v128, d: v128) -> v128 {
    let ab = i32x4_add(
        i32x4_shuffle::<0, 4, 1, 5>(a, b),
        i32x4_shuffle::<2, 6, 3, 7>(a, b),
    ); // [a0+a2, b0+b2, a1+a3, b1+b3]
    let cd = i32x4_add(
        i32x4_shuffle::<0, 4, 1, 5>(c, d),
        i32x4_shuffle::<2, 6, 3, 7>(c, d),
    );
    i32x4_add(
        i32x4_shuffle::<0, 1, 4, 5>(ab, cd),
        i32x4_shuffle::<2, 3, 6, 7>(ab, cd),
    )
}

#[inline(always)]
fn hsum_f32x4(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v)
        + f32x4_extract_lane::<1>(v)
        + f32x4_extract_lane::<2>(v)
        + f32x4_extract_lane::<3>(v)
}

/// Chunks of 16 bytes summed in u16 lanes before they are widened to u32. Each chunk adds
/// at most 2 × 120 = 240 to a u16 lane (two bytes of at most 8 + 16 + 32 + 64), and
/// 256 × 240 = 61,440 < 65,536.
const CHUNKS_PER_FLUSH: usize = 256;

/// f32 inner product. See [`scalar::dot_f32_scalar`].
pub fn dot_f32_simd128(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [f32x4_splat(0.0); 4];
    let mut chunks_a = a.chunks_exact(16);
    let mut chunks_b = b.chunks_exact(16);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        for (lane, acc_f32x4) in acc.iter_mut().enumerate() {
            let x = load_f32x4(ca[4 * lane..4 * lane + 4].try_into().expect("4 floats"));
            let y = load_f32x4(cb[4 * lane..4 * lane + 4].try_into().expect("4 floats"));
            *acc_f32x4 = f32x4_add(*acc_f32x4, f32x4_mul(x, y));
        }
    }
    let mut quads_a = chunks_a.remainder().chunks_exact(4);
    let mut quads_b = chunks_b.remainder().chunks_exact(4);
    for (ca, cb) in (&mut quads_a).zip(&mut quads_b) {
        let x = load_f32x4(ca.try_into().expect("4 floats"));
        let y = load_f32x4(cb.try_into().expect("4 floats"));
        acc[0] = f32x4_add(acc[0], f32x4_mul(x, y));
    }
    let sum = f32x4_add(f32x4_add(acc[0], acc[1]), f32x4_add(acc[2], acc[3]));
    hsum_f32x4(sum) + scalar::dot_f32_scalar(quads_a.remainder(), quads_b.remainder())
}

/// Squared Euclidean distance. See [`scalar::l2sq_f32_scalar`].
pub fn l2sq_f32_simd128(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [f32x4_splat(0.0); 4];
    let mut chunks_a = a.chunks_exact(16);
    let mut chunks_b = b.chunks_exact(16);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        for (lane, acc_f32x4) in acc.iter_mut().enumerate() {
            let x = load_f32x4(ca[4 * lane..4 * lane + 4].try_into().expect("4 floats"));
            let y = load_f32x4(cb[4 * lane..4 * lane + 4].try_into().expect("4 floats"));
            let d = f32x4_sub(x, y);
            *acc_f32x4 = f32x4_add(*acc_f32x4, f32x4_mul(d, d));
        }
    }
    let mut quads_a = chunks_a.remainder().chunks_exact(4);
    let mut quads_b = chunks_b.remainder().chunks_exact(4);
    for (ca, cb) in (&mut quads_a).zip(&mut quads_b) {
        let d = f32x4_sub(
            load_f32x4(ca.try_into().expect("4 floats")),
            load_f32x4(cb.try_into().expect("4 floats")),
        );
        acc[0] = f32x4_add(acc[0], f32x4_mul(d, d));
    }
    let sum = f32x4_add(f32x4_add(acc[0], acc[1]), f32x4_add(acc[2], acc[3]));
    hsum_f32x4(sum) + scalar::l2sq_f32_scalar(quads_a.remainder(), quads_b.remainder())
}

/// Inner product of `query` (bytes in `[0, 127]`) with one signed code, 16 bytes per step
/// ([`dot_i8x16_u7x16_add`]). |x·y| ≤ 2^14, so a lane gains at most 4 × 2^14 = 2^16 per
/// chunk, and i32 holds 2^15 chunks: far above the 2^16-dimension cap.
#[inline(always)]
fn dot_i8_one(query: &[u8], code: &[u8]) -> i32 {
    let chunks = query.len() / 16;
    let mut acc_i32x4 = i32x4_splat(0);
    for i in 0..chunks {
        let q_u7x16 = load_u8x16(chunk16(query, i));
        let c_i8x16 = load_u8x16(chunk16(code, i));
        acc_i32x4 = dot_i8x16_u7x16_add(c_i8x16, q_u7x16, acc_i32x4);
    }
    let sum = i32x4_extract_lane::<0>(acc_i32x4)
        .wrapping_add(i32x4_extract_lane::<1>(acc_i32x4))
        .wrapping_add(i32x4_extract_lane::<2>(acc_i32x4))
        .wrapping_add(i32x4_extract_lane::<3>(acc_i32x4));
    let tail = 16 * chunks;
    sum + scalar::dot_i8_scalar(as_i8(&query[tail..]), as_i8(&code[tail..]))
}

/// `acc + ` the four sums of four products `a_j·b_j` (a signed, b in `[0, 127]`): one relaxed
/// instruction where the engine has relaxed SIMD, which is exact for `b < 128`.
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
fn dot_i8x16_u7x16_add(a: v128, b: v128, acc: v128) -> v128 {
    i32x4_relaxed_dot_i8x16_i7x16_add(a, b, acc)
}

/// SIMD128 twin of the relaxed dot product: widening multiplies, then pairwise adds.
#[cfg(not(target_feature = "relaxed-simd"))]
#[inline(always)]
fn dot_i8x16_u7x16_add(a: v128, b: v128, acc: v128) -> v128 {
    let lo_i16x8 = i16x8_extmul_low_i8x16(a, b);
    let hi_i16x8 = i16x8_extmul_high_i8x16(a, b);
    let acc = i32x4_add(acc, i32x4_extadd_pairwise_i16x8(lo_i16x8));
    i32x4_add(acc, i32x4_extadd_pairwise_i16x8(hi_i16x8))
}

fn as_i8(bytes: &[u8]) -> &[i8] {
    // SAFETY: u8 and i8 have the same size and alignment, and every bit pattern is valid.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len()) }
}

fn as_u8(bytes: &[i8]) -> &[u8] {
    // SAFETY: u8 and i8 have the same size and alignment, and every bit pattern is valid.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len()) }
}

/// i8 inner product of `query` with each code. See [`scalar::dot_i8_batch_scalar`].
pub fn dot_i8_batch_simd128(query: &[i8], codes: &[i8], out: &mut [i32]) {
    let stride = query.len();
    debug_assert_eq!(codes.len(), stride * out.len());
    let query = as_u8(query);
    for (code, o) in as_u8(codes).chunks_exact(stride).zip(out.iter_mut()) {
        *o = dot_i8_one(query, code);
    }
}

/// Hamming distances from `query` to each code, four codes per step so that one
/// interleaved horizontal sum serves four codes. See [`scalar::hamming_batch_scalar`].
pub fn hamming_batch_simd128(query: &[u8], codes: &[u8], out: &mut [u32]) {
    let stride = query.len();
    debug_assert_eq!(codes.len(), stride * out.len());
    let chunks = stride / 16;
    let tail = 16 * chunks;
    let mut groups = codes.chunks_exact(4 * stride);
    let mut outs = out.chunks_exact_mut(4);
    for (group, o) in (&mut groups).zip(&mut outs) {
        let code: [&[u8]; 4] = core::array::from_fn(|k| &group[k * stride..(k + 1) * stride]);
        let mut total_u32x4 = [u32x4_splat(0); 4];
        let mut start = 0;
        while start < chunks {
            let end = (start + CHUNKS_PER_FLUSH).min(chunks);
            let mut acc_u16x8 = [u16x8_splat(0); 4];
            for i in start..end {
                let q = load_u8x16(chunk16(query, i));
                for k in 0..4 {
                    let pop_u8x16 = i8x16_popcnt(v128_xor(q, load_u8x16(chunk16(code[k], i))));
                    acc_u16x8[k] = i16x8_add(acc_u16x8[k], u16x8_extadd_pairwise_u8x16(pop_u8x16));
                }
            }
            for k in 0..4 {
                total_u32x4[k] =
                    i32x4_add(total_u32x4[k], u32x4_extadd_pairwise_u16x8(acc_u16x8[k]));
            }
            start = end;
        }
        let sums = hsum4_u32x4(
            total_u32x4[0],
            total_u32x4[1],
            total_u32x4[2],
            total_u32x4[3],
        );
        o[0] = u32x4_extract_lane::<0>(sums)
            + scalar::hamming_scalar(&query[tail..], &code[0][tail..]);
        o[1] = u32x4_extract_lane::<1>(sums)
            + scalar::hamming_scalar(&query[tail..], &code[1][tail..]);
        o[2] = u32x4_extract_lane::<2>(sums)
            + scalar::hamming_scalar(&query[tail..], &code[2][tail..]);
        o[3] = u32x4_extract_lane::<3>(sums)
            + scalar::hamming_scalar(&query[tail..], &code[3][tail..]);
    }
    // Fewer than four codes left: the scalar reference is the clearest way to finish.
    scalar::hamming_batch_scalar(query, groups.remainder(), outs.into_remainder());
}

/// 4-bit query bit planes against 1-bit codes, four codes per step.
/// See [`scalar::bitplanes4_scalar`] for the definition and the `planes` layout.
pub fn bitplanes4_batch_simd128(
    planes: &[u8],
    codes: &[u8],
    weighted: &mut [u32],
    pop: &mut [u32],
) {
    let stride = planes.len() / 4;
    debug_assert_eq!(codes.len(), stride * weighted.len());
    debug_assert_eq!(weighted.len(), pop.len());
    let plane: [&[u8]; 4] = core::array::from_fn(|p| &planes[p * stride..(p + 1) * stride]);
    let chunks = stride / 16;
    let tail = 16 * chunks;
    let mut groups = codes.chunks_exact(4 * stride);
    let mut ws = weighted.chunks_exact_mut(4);
    let mut ps = pop.chunks_exact_mut(4);
    for ((group, w), p) in (&mut groups).zip(&mut ws).zip(&mut ps) {
        let code: [&[u8]; 4] = core::array::from_fn(|k| &group[k * stride..(k + 1) * stride]);
        let mut total_w_u32x4 = [u32x4_splat(0); 4];
        let mut total_pop_u32x4 = [u32x4_splat(0); 4];
        let mut start = 0;
        while start < chunks {
            let end = (start + CHUNKS_PER_FLUSH).min(chunks);
            let mut acc_w_u16x8 = [u16x8_splat(0); 4];
            let mut acc_pop_u16x8 = [u16x8_splat(0); 4];
            for i in start..end {
                let q0 = load_u8x16(chunk16(plane[0], i));
                let q1 = load_u8x16(chunk16(plane[1], i));
                let q2 = load_u8x16(chunk16(plane[2], i));
                let q3 = load_u8x16(chunk16(plane[3], i));
                for k in 0..4 {
                    let x = load_u8x16(chunk16(code[k], i));
                    // Per byte: at most 8 + 2·8 + 4·8 + 8·8 = 120, so u8 lanes hold it.
                    let w_u8x16 = i8x16_add(
                        i8x16_add(
                            i8x16_popcnt(v128_and(q0, x)),
                            i8x16_shl(i8x16_popcnt(v128_and(q1, x)), 1),
                        ),
                        i8x16_add(
                            i8x16_shl(i8x16_popcnt(v128_and(q2, x)), 2),
                            i8x16_shl(i8x16_popcnt(v128_and(q3, x)), 3),
                        ),
                    );
                    acc_w_u16x8[k] =
                        i16x8_add(acc_w_u16x8[k], u16x8_extadd_pairwise_u8x16(w_u8x16));
                    acc_pop_u16x8[k] = i16x8_add(
                        acc_pop_u16x8[k],
                        u16x8_extadd_pairwise_u8x16(i8x16_popcnt(x)),
                    );
                }
            }
            for k in 0..4 {
                total_w_u32x4[k] = i32x4_add(
                    total_w_u32x4[k],
                    u32x4_extadd_pairwise_u16x8(acc_w_u16x8[k]),
                );
                total_pop_u32x4[k] = i32x4_add(
                    total_pop_u32x4[k],
                    u32x4_extadd_pairwise_u16x8(acc_pop_u16x8[k]),
                );
            }
            start = end;
        }
        let w_sums = hsum4_u32x4(
            total_w_u32x4[0],
            total_w_u32x4[1],
            total_w_u32x4[2],
            total_w_u32x4[3],
        );
        let pop_sums = hsum4_u32x4(
            total_pop_u32x4[0],
            total_pop_u32x4[1],
            total_pop_u32x4[2],
            total_pop_u32x4[3],
        );
        let w_lanes = [
            u32x4_extract_lane::<0>(w_sums),
            u32x4_extract_lane::<1>(w_sums),
            u32x4_extract_lane::<2>(w_sums),
            u32x4_extract_lane::<3>(w_sums),
        ];
        let pop_lanes = [
            u32x4_extract_lane::<0>(pop_sums),
            u32x4_extract_lane::<1>(pop_sums),
            u32x4_extract_lane::<2>(pop_sums),
            u32x4_extract_lane::<3>(pop_sums),
        ];
        for k in 0..4 {
            let (tail_w, tail_pop) = scalar::bitplanes4_from(planes, code[k], tail);
            w[k] = w_lanes[k] + tail_w;
            p[k] = pop_lanes[k] + tail_pop;
        }
    }
    scalar::bitplanes4_batch_scalar(
        planes,
        groups.remainder(),
        ws.into_remainder(),
        ps.into_remainder(),
    );
}

/// PQ asymmetric distance over 8-bit codes, four codes per step: the four table values of
/// a subspace go into one f32x4. Sums run in the same order as the scalar kernel, so the
/// results are bit-identical. See [`scalar::pq_adc_batch_scalar`].
pub fn pq_adc_batch_simd128(lut: &[f32], codes: &[u8], out: &mut [f32]) {
    let m = lut.len() / 256;
    debug_assert_eq!(codes.len(), m * out.len());
    let mut groups = codes.chunks_exact(4 * m);
    let mut outs = out.chunks_exact_mut(4);
    for (group, o) in (&mut groups).zip(&mut outs) {
        let (c0, rest) = group.split_at(m);
        let (c1, rest) = rest.split_at(m);
        let (c2, c3) = rest.split_at(m);
        let mut acc_f32x4 = f32x4_splat(0.0);
        for (sub, table) in lut.chunks_exact(256).enumerate() {
            let v = f32x4(
                table[usize::from(c0[sub])],
                table[usize::from(c1[sub])],
                table[usize::from(c2[sub])],
                table[usize::from(c3[sub])],
            );
            acc_f32x4 = f32x4_add(acc_f32x4, v);
        }
        o[0] = f32x4_extract_lane::<0>(acc_f32x4);
        o[1] = f32x4_extract_lane::<1>(acc_f32x4);
        o[2] = f32x4_extract_lane::<2>(acc_f32x4);
        o[3] = f32x4_extract_lane::<3>(acc_f32x4);
    }
    scalar::pq_adc_batch_scalar(lut, groups.remainder(), outs.into_remainder());
}

/// PQ 4-bit fast-scan: each subspace's 16-entry u8 table sits in one register and is looked
/// up for 16 vectors at once with `i8x16.swizzle`. See [`scalar::fastscan_u4_scalar`] for
/// the layouts and the u16 bound.
pub fn fastscan_u4_simd128(lut: &[u8], blocks: &[u8], out: &mut [u16]) {
    let m = lut.len() / 16;
    let block_bytes = m * 16;
    debug_assert_eq!(
        blocks.len() * scalar::FASTSCAN_BLOCK,
        out.len() * block_bytes
    );
    let low_nibble = u8x16_splat(0x0f);
    for (block, out_block) in blocks
        .chunks_exact(block_bytes)
        .zip(out.chunks_exact_mut(scalar::FASTSCAN_BLOCK))
    {
        let mut acc_u16x8 = [u16x8_splat(0); 4];
        for sub in 0..m {
            let table_u8x16 = load_u8x16(chunk16(lut, sub));
            let codes_u8x16 = load_u8x16(chunk16(block, sub));
            let lo = i8x16_swizzle(table_u8x16, v128_and(codes_u8x16, low_nibble));
            let hi = i8x16_swizzle(table_u8x16, u8x16_shr(codes_u8x16, 4));
            acc_u16x8[0] = i16x8_add(acc_u16x8[0], u16x8_extend_low_u8x16(lo));
            acc_u16x8[1] = i16x8_add(acc_u16x8[1], u16x8_extend_high_u8x16(lo));
            acc_u16x8[2] = i16x8_add(acc_u16x8[2], u16x8_extend_low_u8x16(hi));
            acc_u16x8[3] = i16x8_add(acc_u16x8[3], u16x8_extend_high_u8x16(hi));
        }
        for (k, acc) in acc_u16x8.iter().enumerate() {
            let dst: &mut [u16; 8] = (&mut out_block[8 * k..8 * k + 8])
                .try_into()
                .expect("8 lanes");
            // SAFETY: `dst` is a valid, writable reference to 16 bytes.
            unsafe { v128_store(dst.as_mut_ptr().cast(), *acc) };
        }
    }
}

/// Index of the first minimum, four lanes at a time: each lane keeps its own first minimum
/// (strict `<`), then the lanes are merged by value and, on ties, by the lower index, so the
/// result equals [`scalar::argmin_f32_scalar`].
pub fn argmin_f32_simd128(values: &[f32]) -> usize {
    debug_assert!(!values.is_empty());
    let mut quads = values.chunks_exact(4);
    let Some(first) = quads.next() else {
        return scalar::argmin_f32_scalar(values);
    };
    let mut best_f32x4 = load_f32x4(first.try_into().expect("4 floats"));
    let mut best_i32x4 = i32x4(0, 1, 2, 3);
    let mut index_i32x4 = i32x4(4, 5, 6, 7);
    let step = i32x4_splat(4);
    for quad in &mut quads {
        let v = load_f32x4(quad.try_into().expect("4 floats"));
        let smaller = f32x4_lt(v, best_f32x4);
        best_f32x4 = v128_bitselect(v, best_f32x4, smaller);
        best_i32x4 = v128_bitselect(index_i32x4, best_i32x4, smaller);
        index_i32x4 = i32x4_add(index_i32x4, step);
    }
    let lanes = [
        (
            f32x4_extract_lane::<0>(best_f32x4),
            i32x4_extract_lane::<0>(best_i32x4),
        ),
        (
            f32x4_extract_lane::<1>(best_f32x4),
            i32x4_extract_lane::<1>(best_i32x4),
        ),
        (
            f32x4_extract_lane::<2>(best_f32x4),
            i32x4_extract_lane::<2>(best_i32x4),
        ),
        (
            f32x4_extract_lane::<3>(best_f32x4),
            i32x4_extract_lane::<3>(best_i32x4),
        ),
    ];
    let (mut value, mut best) = lanes[0];
    for &(v, i) in &lanes[1..] {
        if v < value || (v == value && i < best) {
            (value, best) = (v, i);
        }
    }
    let mut best = best as usize;
    let tail = values.len() - quads.remainder().len();
    for (i, &v) in quads.remainder().iter().enumerate() {
        if v < values[best] {
            best = tail + i;
        }
    }
    best
}

/// Indices of the values `<= limit`, eight values per compare: the lane mask becomes an
/// 8-bit integer, and only its set bits are visited. See [`scalar::indices_le_u16_scalar`].
pub fn indices_le_u16_simd128(values: &[u16], limit: u16, out: &mut [u16]) -> usize {
    let limit_u16x8 = u16x8_splat(limit);
    let mut count = 0;
    let mut octets = values.chunks_exact(8);
    for (o, octet) in (&mut octets).enumerate() {
        let octet: &[u16; 8] = octet.try_into().expect("8 values");
        // SAFETY: `octet` is a valid reference to 16 bytes; wasm loads need no alignment.
        let v_u16x8 = unsafe { v128_load(octet.as_ptr().cast()) };
        let mut mask = u16x8_bitmask(u16x8_le(v_u16x8, limit_u16x8));
        while mask != 0 {
            out[count] = (8 * o) as u16 + mask.trailing_zeros() as u16;
            count += 1;
            mask &= mask - 1;
        }
    }
    let tail = values.len() - octets.remainder().len();
    for (i, &v) in octets.remainder().iter().enumerate() {
        if v <= limit {
            out[count] = (tail + i) as u16;
            count += 1;
        }
    }
    count
}
