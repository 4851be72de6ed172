//! Linear memory of an index that grows by many adds, in a real wasm engine (Node's V8):
//! wasm memory never shrinks, so whatever an add's growth leaves behind stays for good. A
//! separate test binary, so that the memory it measures is this test's alone (tests/memory.rs
//! takes its module to the 4 GiB limit).
//!
//! What it guards: with each growing buffer a single `Vec`, 40,000 vectors added 1,000 at a
//! time left 1.8× the wasm memory the index held (each growth copied the whole buffer into a
//! new block, and the freed ones were never large enough again; 2.7× at 100,000 in
//! Chromium). In segments ([`quiver::segmented`]) the overhead is what one add allocates
//! besides the index, plus the quantizer's fit sample.

#![cfg(target_arch = "wasm32")]

use quiver::{Index, IndexParams, Metric, Quantization, SearchOptions};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;

use common::TestRng;

/// The module's linear memory, in bytes.
fn wasm_memory() -> usize {
    core::arch::wasm32::memory_size(0) * 65_536
}

/// Grows an in-memory index of the default quantization (binary codes, originals kept) by
/// 40 adds of 1,000 vectors of 384 dimensions; returns it and how much wasm memory grew.
fn grow_by_many_adds() -> (Index, usize) {
    let d = 384;
    let params = IndexParams::new(d, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
    let mut index = Index::new(params);
    let mut rng = TestRng::new(11);
    let mut ids = Vec::new();
    // The batch's own buffers take their place before the baseline.
    let mut batch = rng.clustered(1_000, d);
    let before = wasm_memory();
    for b in 0..40 {
        ids.clear();
        ids.extend((0..1_000).map(|i| format!("doc-{b}-{i}")));
        for (v, fresh) in batch.iter_mut().zip(rng.clustered(1_000, d)) {
            *v = fresh;
        }
        index.add(&ids, &batch, None).unwrap();
    }
    (index, wasm_memory() - before)
}

/// What an add may hold besides the index (a chunk of rows, the plan, the test's batch
/// copies) and the fit sample (4,096 × 384 floats, 6.3 MB), with room for the allocator's
/// own bookkeeping.
const TRANSIENT: usize = 16 << 20;

#[wasm_bindgen_test]
fn an_index_grown_by_many_adds_costs_about_what_it_holds() {
    let (index, grown) = grow_by_many_adds();
    let held = index.memory_bytes();
    wasm_bindgen_test::console_log!("wasm memory grew by {grown} B; the index holds {held} B");
    // Originals (1,536 B) and codes (48 B of signs, 152 of refinement) of 40,000 vectors, ids
    // and bookkeeping: the room is exact but for each buffer's last segment. (Measured:
    // 64.7 MB before refinement codes, 70.8 MB with them.)
    assert!(held < 40_000 * (1_536 + 200 + 100), "memory_bytes {held}");
    // Measured: 68.2 MB; with refinement codes 74.8 MB (79.5 MB while their planes were one
    // `Vec`); with each buffer one `Vec`, 120 MB.
    assert!(
        grown <= held + held / 10 + TRANSIENT,
        "wasm memory grew by {grown} B for an index holding {held} B"
    );
    assert_eq!(index.len(), 40_000);
    let hits = index
        .search(&vec![0.1; 384], &SearchOptions::default())
        .unwrap();
    assert_eq!(hits.len(), 10);
}
