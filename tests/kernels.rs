//! Kernel parity. Natively: the dispatched kernels (scalar there) against naive
//! definitions. As wasm (Node, `cargo test --target wasm32-unknown-unknown`): additionally
//! every SIMD128 kernel against its scalar reference — integers bit for bit, floats within
//! a stated tolerance — at awkward lengths and with proptest inputs, extremes included.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use quiver::kernels::{self, FASTSCAN_BLOCK, scalar};

/// Lengths that straddle the 8-, 16- and 64-byte steps of the kernels (after qdrant).
const AWKWARD: &[usize] = &[
    1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 127, 128, 257, 384, 513,
];

/// 64 cases a property. Natively, a failing case is saved to (and replayed first from)
/// `tests/kernels.proptest-regressions`, committed with the tests, as the `proptest!` macro
/// saves `tests/model.rs`'s beside it; wasm has no file system to keep them in.
fn runner() -> TestRunner {
    #[cfg(not(target_arch = "wasm32"))]
    let failure_persistence: Option<Box<dyn proptest::test_runner::FailurePersistence>> = Some(
        Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "tests/kernels.proptest-regressions",
        )),
    );
    #[cfg(target_arch = "wasm32")]
    let failure_persistence = None;
    TestRunner::new(Config {
        cases: 64,
        failure_persistence,
        ..Config::default()
    })
}

fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = quiver::rng::Rng::from_seed(seed);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

fn floats(seed: u64, n: usize) -> Vec<f32> {
    bytes(seed, 2 * n)
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 4096.0)
        .collect()
}

fn naive_hamming(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

fn naive_bitplanes(planes: &[u8], code: &[u8]) -> (u32, u32) {
    let bits = code.len() * 8;
    let bit = |bytes: &[u8], j: usize| u32::from(bytes[j / 8] >> (j % 8) & 1);
    let mut w = 0;
    for j in 0..bits {
        let u: u32 = (0..4).map(|p| bit(&planes[p * code.len()..], j) << p).sum();
        w += u * bit(code, j);
    }
    (w, (0..bits).map(|j| bit(code, j)).sum())
}

/// Float tolerance: reassociating a sum of n products changes it by at most about
/// n·ε·Σ|a_i·b_i|; 1e-5 relative to that magnitude covers n ≤ 2^16 comfortably.
fn assert_close(got: f32, want: f32, magnitude: f32, what: &str) {
    assert!(
        (got - want).abs() <= 1e-5 * magnitude.max(1.0),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn float_kernels_agree_with_naive_sums_at_awkward_lengths() {
    for &n in AWKWARD {
        let (a, b) = (floats(n as u64, n), floats(n as u64 + 99, n));
        let magnitude: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
        let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let l2: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert_close(
            kernels::dot_f32(&a, &b),
            dot,
            magnitude,
            &format!("dot n={n}"),
        );
        assert_close(kernels::l2sq_f32(&a, &b), l2, l2, &format!("l2 n={n}"));
        assert_close(
            scalar::dot_f32_scalar(&a, &b),
            dot,
            magnitude,
            &format!("scalar dot n={n}"),
        );
    }
}

#[test]
fn integer_kernels_agree_with_naive_definitions_at_awkward_lengths() {
    for &n in AWKWARD {
        let count = 9; // not a multiple of the 4-code groups
        let query = bytes(n as u64, n);
        let codes = bytes(n as u64 + 1, n * count);
        let mut out = vec![0u32; count];
        kernels::hamming_batch(&query, &codes, &mut out);
        for (i, code) in codes.chunks_exact(n).enumerate() {
            assert_eq!(
                out[i],
                naive_hamming(&query, code),
                "hamming n={n} code {i}"
            );
        }
        // The int8 query is unsigned 7-bit (the relaxed tier's exact range); codes are i8.
        let q8: Vec<i8> = query.iter().map(|&b| (b & 0x7f) as i8).collect();
        let c8: Vec<i8> = codes.iter().map(|&b| b as i8).collect();
        let mut dots = vec![0i32; count];
        kernels::dot_i8_batch(&q8, &c8, &mut dots);
        for (i, code) in c8.chunks_exact(n).enumerate() {
            let want: i32 = q8
                .iter()
                .zip(code)
                .map(|(&x, &y)| i32::from(x) * i32::from(y))
                .sum();
            assert_eq!(dots[i], want, "dot_i8 n={n} code {i}");
        }
        let planes = bytes(n as u64 + 2, 4 * n);
        let (mut w, mut p) = (vec![0u32; count], vec![0u32; count]);
        kernels::bitplanes4_batch(&planes, &codes, &mut w, &mut p);
        for (i, code) in codes.chunks_exact(n).enumerate() {
            assert_eq!(
                (w[i], p[i]),
                naive_bitplanes(&planes, code),
                "bitplanes n={n} code {i}"
            );
        }
    }
}

#[test]
fn int8_extremes_do_not_overflow() {
    // The largest products the contract allows (query 127, codes −128 and 127): no i16
    // pair sum saturates on any tier and no i32 lane overflows.
    for &n in &[16usize, 17, 384, 4096] {
        let q = vec![127i8; n];
        let mut out = [0i32; 2];
        let codes: Vec<i8> = [vec![-128i8; n], vec![127i8; n]].concat();
        kernels::dot_i8_batch(&q, &codes, &mut out);
        assert_eq!(out, [-16256 * n as i32, 16129 * n as i32], "n={n}");
    }
}

#[test]
#[should_panic(expected = "query bytes must be in [0, 127]")]
fn int8_query_outside_the_exact_range_is_refused() {
    let mut out = [0i32; 1];
    kernels::dot_i8_batch(&[1, -1], &[1, 1], &mut out);
}

#[test]
fn pq_kernels_agree_with_naive_lookups() {
    for m in [1usize, 3, 8, 48, 96] {
        let count = 2 * FASTSCAN_BLOCK; // whole blocks for fast-scan
        let lut: Vec<f32> = floats(m as u64, m * 256);
        let codes = bytes(m as u64 + 5, m * count);
        let mut out = vec![0.0f32; count];
        kernels::pq_adc_batch(&lut, &codes, &mut out);
        for (i, code) in codes.chunks_exact(m).enumerate() {
            let mut want = 0.0f32;
            for (sub, &c) in code.iter().enumerate() {
                want += lut[sub * 256 + c as usize];
            }
            assert_eq!(
                out[i], want,
                "pq adc m={m} code {i} (same summation order: exact)"
            );
        }
        let lut4 = bytes(m as u64 + 7, m * 16);
        let blocks = bytes(m as u64 + 9, m * 16 * (count / FASTSCAN_BLOCK));
        let mut sums = vec![0u16; count];
        kernels::fastscan_u4(&lut4, &blocks, &mut sums);
        for (v, &sum) in sums.iter().enumerate() {
            let (block, lane) = (v / FASTSCAN_BLOCK, v % FASTSCAN_BLOCK);
            let want: u16 = (0..m)
                .map(|sub| {
                    let byte = blocks[(block * m + sub) * 16 + lane % 16];
                    let code = if lane < 16 { byte & 15 } else { byte >> 4 };
                    u16::from(lut4[sub * 16 + code as usize])
                })
                .sum();
            assert_eq!(sum, want, "fastscan m={m} vector {v}");
        }
    }
}

#[test]
fn fastscan_sums_reach_the_u16_bound_without_overflow() {
    let m = 257;
    let lut = vec![255u8; m * 16];
    let blocks = vec![0xffu8; m * 16];
    let mut sums = vec![0u16; FASTSCAN_BLOCK];
    kernels::fastscan_u4(&lut, &blocks, &mut sums);
    assert!(sums.iter().all(|&s| s == 65535));
}

#[test]
fn proptest_integer_kernels_match_the_reference() {
    let strategy = (1usize..200, 1usize..12).prop_flat_map(|(n, count)| {
        (
            proptest::collection::vec(any::<u8>(), n),
            proptest::collection::vec(any::<u8>(), n * count),
            proptest::collection::vec(any::<u8>(), 4 * n),
            Just(count),
        )
    });
    runner()
        .run(&strategy, |(query, codes, planes, count)| {
            let mut got = vec![0u32; count];
            let mut want = vec![0u32; count];
            kernels::hamming_batch(&query, &codes, &mut got);
            scalar::hamming_batch_scalar(&query, &codes, &mut want);
            prop_assert_eq!(&got, &want);
            let (mut w, mut p, mut w0, mut p0) = (
                vec![0; count],
                vec![0; count],
                vec![0; count],
                vec![0; count],
            );
            kernels::bitplanes4_batch(&planes, &codes, &mut w, &mut p);
            scalar::bitplanes4_batch_scalar(&planes, &codes, &mut w0, &mut p0);
            prop_assert_eq!((&w, &p), (&w0, &p0));
            let q8: Vec<i8> = query.iter().map(|&b| (b & 0x7f) as i8).collect();
            let c8: Vec<i8> = codes.iter().map(|&b| b as i8).collect();
            let (mut d, mut d0) = (vec![0; count], vec![0; count]);
            kernels::dot_i8_batch(&q8, &c8, &mut d);
            scalar::dot_i8_batch_scalar(&q8, &c8, &mut d0);
            prop_assert_eq!(&d, &d0);
            Ok(())
        })
        .unwrap();
}

#[test]
fn proptest_float_kernels_match_the_reference() {
    let strategy = (1usize..300).prop_flat_map(|n| {
        (
            proptest::collection::vec(-1e3f32..1e3, n),
            proptest::collection::vec(-1e3f32..1e3, n),
        )
    });
    runner()
        .run(&strategy, |(a, b)| {
            let magnitude: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
            let (got, want) = (kernels::dot_f32(&a, &b), scalar::dot_f32_scalar(&a, &b));
            prop_assert!(
                (got - want).abs() <= 1e-5 * magnitude.max(1.0),
                "dot {} vs {}",
                got,
                want
            );
            let (got, want) = (kernels::l2sq_f32(&a, &b), scalar::l2sq_f32_scalar(&a, &b));
            prop_assert!(
                (got - want).abs() <= 1e-5 * want.max(1.0),
                "l2 {} vs {}",
                got,
                want
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn proptest_pq_kernels_match_the_reference() {
    let strategy = (1usize..40, 1usize..4).prop_flat_map(|(m, blocks)| {
        (
            proptest::collection::vec(-10.0f32..10.0, m * 256),
            proptest::collection::vec(any::<u8>(), m * 32 * blocks),
            proptest::collection::vec(any::<u8>(), m * 16),
            Just((m, blocks)),
        )
    });
    runner()
        .run(&strategy, |(lut, codes, lut4, (m, blocks))| {
            let count = 32 * blocks;
            let (mut got, mut want) = (vec![0.0; count], vec![0.0; count]);
            kernels::pq_adc_batch(&lut, &codes, &mut got);
            scalar::pq_adc_batch_scalar(&lut, &codes, &mut want);
            prop_assert_eq!(&got, &want);
            let block_bytes = &codes[..m * 16 * blocks];
            let (mut s, mut s0) = (vec![0u16; count], vec![0u16; count]);
            kernels::fastscan_u4(&lut4, block_bytes, &mut s);
            scalar::fastscan_u4_scalar(&lut4, block_bytes, &mut s0);
            prop_assert_eq!(&s, &s0);
            Ok(())
        })
        .unwrap();
}

#[test]
fn argmin_returns_the_first_minimum_at_awkward_lengths() {
    for &n in AWKWARD {
        let values: Vec<f32> = floats(n as u64 + 3, n)
            .iter()
            .map(|v| (v * 4.0).round())
            .collect();
        let want = values
            .iter()
            .enumerate()
            .fold(0, |best, (i, &v)| if v < values[best] { i } else { best });
        assert_eq!(kernels::argmin_f32(&values), want, "n={n} {values:?}");
        // All equal: the first index wins in every lane merge.
        assert_eq!(kernels::argmin_f32(&vec![1.5; n]), 0, "ties n={n}");
    }
}

#[test]
fn proptest_argmin_matches_the_reference() {
    // Few distinct values, so ties across lanes and the tail are common.
    let strategy = proptest::collection::vec((-4i8..4).prop_map(f32::from), 1..300);
    runner()
        .run(&strategy, |values| {
            prop_assert_eq!(
                kernels::argmin_f32(&values),
                scalar::argmin_f32_scalar(&values)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn proptest_indices_le_u16_matches_the_reference() {
    let strategy = (
        proptest::collection::vec(any::<u16>(), 0..300),
        any::<u16>(),
    );
    runner()
        .run(&strategy, |(values, limit)| {
            let (mut got, mut want) = (vec![0u16; values.len()], vec![0u16; values.len()]);
            let n = kernels::indices_le_u16(&values, limit, &mut got);
            let n0 = scalar::indices_le_u16_scalar(&values, limit, &mut want);
            prop_assert_eq!(&got[..n], &want[..n0]);
            let naive: Vec<u16> = (0..values.len() as u16)
                .filter(|&i| values[usize::from(i)] <= limit)
                .collect();
            prop_assert_eq!(&got[..n], &naive[..]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn indices_le_u16_at_awkward_lengths_and_extremes() {
    for &n in AWKWARD {
        let values: Vec<u16> = bytes(n as u64, 2 * n)
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        for limit in [0, 1, 32767, 65534, 65535] {
            let mut out = vec![0u16; n];
            let count = kernels::indices_le_u16(&values, limit, &mut out);
            let want: Vec<u16> = (0..n as u16)
                .filter(|&i| values[usize::from(i)] <= limit)
                .collect();
            assert_eq!(&out[..count], &want[..], "n={n} limit={limit}");
        }
    }
}

/// A `RUSTFLAGS` variable silently replaces the `+simd128` of `.cargo/config.toml`; this
/// fails the wasm test run if the build lost SIMD.
#[cfg(target_arch = "wasm32")]
#[test]
fn wasm_build_has_simd128() {
    let tier = if cfg!(target_feature = "relaxed-simd") {
        "relaxed-simd"
    } else {
        "simd128"
    };
    assert_eq!(
        kernels::ISA,
        tier,
        "built without +simd128: is RUSTFLAGS set?"
    );
}
