//! Memory limits in a real wasm engine (Node's V8, `cargo test --target wasm32-unknown-unknown`):
//! an index that grows until wasm memory cannot grow gets a clear error and stays usable, and
//! adds and deletes in a loop do not grow memory. A separate test binary, so the memory it
//! exhausts is its own.

#![cfg(target_arch = "wasm32")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use quiver::{Error, Index, IndexParams, Metric, Quantization, SearchOptions};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;

use common::TestRng;

/// The system allocator, counting the bytes it has handed out and not yet got back, so a
/// test can hold `memory_bytes` against what the index really holds.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE_BYTES` has been since a test last reset it (`reset_peak`).
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

fn count_alloc(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

fn reset_peak() {
    PEAK_BYTES.store(LIVE_BYTES.load(Ordering::Relaxed), Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(p, layout) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        // SAFETY: as above.
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            count_alloc(size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Asserts that `memory_bytes` is within 1% (plus 64 KB of small parts: the hasher, the
/// structs themselves) of what the allocator says the index holds.
fn assert_accounted(index: &Index, baseline: usize) {
    let held = LIVE_BYTES.load(Ordering::Relaxed) - baseline;
    let reported = index.memory_bytes();
    let slack = reported / 100 + (64 << 10);
    assert!(
        held.abs_diff(reported) <= slack,
        "memory_bytes says {reported}, the allocator {held}"
    );
}

/// The module's linear memory, in bytes.
fn wasm_memory() -> usize {
    core::arch::wasm32::memory_size(0) * 65_536
}

fn ids(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

#[wasm_bindgen_test]
fn adds_and_deletes_in_a_loop_do_not_grow_memory() {
    let d = 384;
    let params = IndexParams::new(d, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
    let data = TestRng::new(3).clustered(3_000, d);
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    let mut index = Index::new(params);
    index
        .add(&ids("base", 0..2_000), &data[..2_000 * d], None)
        .unwrap();
    let batch = |round: usize| ids(&format!("r{round}-"), 0..1_000);
    // Warm up: the free list and the allocator reach their steady state.
    for round in 0..5 {
        index.add(&batch(round), &data[2_000 * d..], None).unwrap();
        assert_eq!(index.delete(&batch(round)).len(), 1_000);
    }
    let (memory, bytes) = (wasm_memory(), index.memory_bytes());
    // 100 rounds: 100,000 adds and 100,000 deletes of new ids.
    for round in 5..105 {
        index.add(&batch(round), &data[2_000 * d..], None).unwrap();
        assert_eq!(index.delete(&batch(round)).len(), 1_000);
    }
    assert_eq!(index.len(), 2_000);
    assert!(index.memory_bytes() <= bytes, "memory_bytes grew");
    assert_eq!(wasm_memory(), memory, "wasm memory grew");
    assert_accounted(&index, baseline);
}

/// What an add allocated at its peak beyond what the index holds after it.
fn add_overhead(index: &mut Index, ids: &[String], vectors: &[f32]) -> usize {
    reset_peak();
    index.add(ids, vectors, None).unwrap();
    PEAK_BYTES.load(Ordering::Relaxed) - LIVE_BYTES.load(Ordering::Relaxed)
}

#[wasm_bindgen_test]
fn an_add_holds_one_chunk_of_its_batch_and_a_refit_its_sample_not_the_batch() {
    let d = 384;
    let n = 8_000;
    let data = TestRng::new(7).clustered(n, d);
    let chunk = quiver::index::ADD_CHUNK_ROWS * d * 4;
    // Small parts: the plan's duplicate check and slots, k-means-free binary fitting.
    let slack = 64 * n + (256 << 10);
    let params = IndexParams::new(d, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
    let mut index = Index::new(params);
    // The first add fits the quantizer on a sample of 1,024 of its 8,000 rows (1.6 MB).
    let sample = quiver::quant::fit_sample(&params.quantization) * d * 4;
    let refitting = add_overhead(&mut index, &ids("a", 0..n), &data);
    assert!(index.is_quantized());
    assert!(
        refitting <= chunk + sample + slack,
        "a refitting add of {} MB allocated {refitting} B beyond the index",
        (n * d * 4) >> 20
    );
    // The next add does not refit (the last fit used the whole sample): one chunk.
    let plain = add_overhead(&mut index, &ids("b", 0..n), &data);
    assert!(
        plain <= chunk + slack,
        "an add of {} MB allocated {plain} B beyond the index",
        (n * d * 4) >> 20
    );
}

#[wasm_bindgen_test]
fn growing_until_wasm_memory_cannot_grow_fails_cleanly_and_stays_usable() {
    let d = 256;
    let n = 20_000;
    let data = TestRng::new(5).clustered(n, d);
    // Ballast: take wasm memory up to the engine's limit in 64 MB chunks (never written, so
    // they cost no RAM), then give 256 MB back for the index to fill.
    let mut ballast = Vec::new();
    loop {
        let mut chunk = Vec::<u8>::new();
        if chunk.try_reserve_exact(64 << 20).is_err() {
            break;
        }
        ballast.push(chunk);
    }
    assert!(
        wasm_memory() > 3 << 30,
        "the engine stopped at {} bytes",
        wasm_memory()
    );
    ballast.truncate(ballast.len() - 4);

    let params = IndexParams::new(d, Metric::Cosine, Quantization::INT8_DEFAULT).unwrap();
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    let mut index = Index::new(params);
    let query = &data[..d];
    let options = SearchOptions::default();
    let mut batches = 0;
    let error = loop {
        let len = index.len();
        let before: Vec<(String, f32)> = (index.search(query, &options).unwrap().iter())
            .map(|h| (h.id.to_owned(), h.score))
            .collect();
        match index.add(&ids(&format!("b{batches}-"), 0..n), &data, None) {
            Ok(()) => batches += 1,
            Err(error) => {
                // Nothing changed: size and answers; `memory_bytes` still tells what the
                // index holds (the parts that did grow before the failure keep their room).
                assert_eq!(index.len(), len);
                assert_accounted(&index, baseline);
                let after: Vec<(String, f32)> = (index.search(query, &options).unwrap().iter())
                    .map(|h| (h.id.to_owned(), h.score))
                    .collect();
                assert_eq!(after, before);
                break error;
            }
        }
        assert!(batches < 1_000, "256 MB cannot hold 1,000 batches of 20 MB");
    };
    assert!(batches >= 2, "only {batches} batches fit");
    assert!(matches!(error, Error::OutOfMemory { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("out of memory") && message.contains("nothing was changed"));

    // Still usable: deleting frees slots that the next add reuses without growing.
    let last = ids(&format!("b{}-", batches - 1), 0..n);
    assert_eq!(index.delete(&last).len(), n);
    index.add(&ids("again-", 0..n), &data, None).unwrap();
    assert_eq!(index.len(), batches * n);
    assert_eq!(index.search(query, &options).unwrap().len(), 10);
    assert_accounted(&index, baseline);
    drop(ballast);
}
