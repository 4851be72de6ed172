//! Shared helpers for the integration tests: the real data set (when present) and seeded
//! synthetic vectors.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::PathBuf;

/// 384-d all-MiniLM-L6-v2 embeddings of WordNet with exact ground truth (`../shared/data`).
pub struct RealData {
    /// 384.
    pub dimensions: usize,
    /// `[docs][384]`, upcast from float16.
    pub docs: Vec<f32>,
    /// `[queries][384]`.
    pub queries: Vec<f32>,
    /// `[queries][100]` doc rows, best first.
    pub truth: Vec<i32>,
}

/// Where the data lives: `$QUIVER_DATA`, else `../shared/data` beside the repository.
pub fn data_dir() -> PathBuf {
    std::env::var_os("QUIVER_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

/// Loads the real data, or prints why the caller skips and returns `None`.
pub fn real_data(test: &str) -> Option<RealData> {
    let dir = data_dir();
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let (Some(docs), Some(queries), Some(truth)) = (
        read("wordnet.docs.f16"),
        read("wordnet.queries.f32"),
        read("wordnet.gt.i32"),
    ) else {
        println!(
            "SKIPPED {test}: real data not found in {} (set QUIVER_DATA)",
            dir.display()
        );
        return None;
    };
    Some(RealData {
        dimensions: 384,
        docs: docs
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        queries: queries
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        truth: truth
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
            .collect(),
    })
}

/// Test values from the crate's own seeded generator, reproducible from the seed.
pub struct TestRng(quiver::rng::Rng);

impl TestRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        TestRng(quiver::rng::Rng::from_seed(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [-1, 1).
    pub fn signed_unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    /// `n` vectors of `d` values around a few random cluster centres, like embeddings.
    pub fn clustered(&mut self, n: usize, d: usize) -> Vec<f32> {
        self.clustered_with(n, d, 0.8)
    }

    /// [`TestRng::clustered`] with `noise` (uniform in ±`noise`) around unit-range centres.
    pub fn clustered_with(&mut self, n: usize, d: usize, noise: f32) -> Vec<f32> {
        let centres: Vec<f32> = (0..16 * d).map(|_| self.signed_unit()).collect();
        let mut out = Vec::with_capacity(n * d);
        for _ in 0..n {
            let c = (self.next_u64() % 16) as usize;
            for j in 0..d {
                out.push(centres[c * d + j] + noise * self.signed_unit());
            }
        }
        out
    }
}
pub mod model;
