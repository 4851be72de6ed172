//! recall@10 against the exact ground truth of the real data (../shared/data), for each
//! quantization with and without rescoring. Skips with a note when the data is absent.
//! Slow (1,000 queries over 117k vectors per configuration), so `#[ignore]`d in a plain
//! `cargo test`; `npm test` runs them in release:
//! `cargo test --release --test recall -- --ignored --nocapture` (prints the table).

mod common;

use quiver::store::{ChunkFn, Pending, done, ready};
use quiver::{
    BinaryQuery, Index, IndexParams, Lookup, Metric, Originals, Quantization, Row, SearchOptions,
};

const QUERIES: usize = 1000;

struct Built {
    index: Index,
    ids: Vec<String>,
}

fn build(data: &common::RealData, quantization: Quantization) -> Built {
    let params = IndexParams::new(data.dimensions, Metric::Cosine, quantization).unwrap();
    let mut index = Index::new(params);
    let n = data.docs.len() / data.dimensions;
    let ids: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let started = std::time::Instant::now();
    index.add(&ids, &data.docs, None).unwrap();
    println!(
        "  built {} in {:.2?}",
        quantization.name(),
        started.elapsed()
    );
    Built { index, ids }
}

/// Mean recall@10 over the queries, searched on every core (natively the kernels are the
/// scalar reference, about 10× slower than SIMD128: one thread took minutes of `npm test`).
fn recall(data: &common::RealData, built: &Built, options: SearchOptions) -> f64 {
    recall_and_reads(data, built, options, false).0
}

/// The rows of the real data as a store outside wasm memory (as IndexedDB is to the
/// index): the search path then refines and prunes its candidates before reading. Slot i is
/// row i (one add of every row, in order).
struct OnDisk<'a> {
    docs: &'a [f32],
    d: usize,
}

impl Lookup for OnDisk<'_> {
    fn vector(&self, slot: u32) -> Option<&[f32]> {
        let at = slot as usize * self.d;
        self.docs.get(at..at + self.d)
    }
    fn metadata(&self, _slot: u32) -> Option<&str> {
        None
    }
}

impl Originals for OnDisk<'_> {
    fn keeps_vectors(&self) -> bool {
        true
    }
    fn in_wasm_memory(&self) -> bool {
        false
    }
    fn try_reserve(&mut self, _additional: usize) -> quiver::Result<()> {
        Ok(())
    }
    fn fetch<'a>(&'a self, _slots: &[u32]) -> Pending<'a, Box<dyn Lookup + 'a>> {
        done(Ok(Box::new(OnDisk {
            docs: self.docs,
            d: self.d,
        })))
    }
    fn scan<'a>(&'a self, live: &'a [u32], f: &'a mut ChunkFn<'_>) -> Pending<'a, ()> {
        f(live, self);
        done(Ok(()))
    }
    fn put<'a>(&'a mut self, _: &'a [Row<'_>], _: &'a dyn Fn(u32) -> bool) -> Pending<'a, ()> {
        unreachable!("the recall tests only search")
    }
    fn clear<'a>(&'a mut self, _: &'a [u32], _: &'a dyn Fn(u32) -> bool) -> Pending<'a, ()> {
        unreachable!("the recall tests only search")
    }
}

/// Mean recall@10 and the originals each query read (`Timings::reads`), sorted; with
/// `on_disk`, the originals are read from a store outside wasm memory ([`OnDisk`]).
fn recall_and_reads(
    data: &common::RealData,
    built: &Built,
    options: SearchOptions,
    on_disk: bool,
) -> (f64, Vec<usize>) {
    let d = data.dimensions;
    let disk = OnDisk {
        docs: &data.docs,
        d,
    };
    let found_for = |qi: usize| {
        let query = &data.queries[qi * d..(qi + 1) * d];
        let originals: &dyn Originals = if on_disk { &disk } else { built.index.home() };
        let answer = ready(built.index.search_with(query, &options, originals, &|| 0.0))
            .unwrap()
            .unwrap();
        let truth = &data.truth[qi * 100..qi * 100 + 10];
        let found = (answer.hits(&built.index))
            .filter(|h| truth.iter().any(|&t| built.ids[t as usize] == h.id))
            .count();
        (found, answer.timings.reads)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_query: Vec<(usize, usize)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let found_for = &found_for;
                s.spawn(move || {
                    (first..QUERIES)
                        .step_by(threads)
                        .map(found_for)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let found: usize = per_query.iter().map(|p| p.0).sum();
    let mut reads: Vec<usize> = per_query.iter().map(|p| p.1).collect();
    reads.sort_unstable();
    (found as f64 / (10 * QUERIES) as f64, reads)
}

/// The `p`-th percentile of sorted `values`.
fn percentile(values: &[usize], p: f64) -> usize {
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// Builds the index and measures recall@10 rescored at each oversampling, and once without
/// rescoring (the codes' own top 10, which oversampling does not change). Rows are
/// (oversampling, rescored, not rescored).
fn report(
    data: &common::RealData,
    name: &str,
    quantization: Quantization,
    oversamplings: &[f32],
) -> Vec<(f32, f64, f64)> {
    let built = build(data, quantization);
    let options = |oversampling, rescore| SearchOptions {
        k: 10,
        oversampling: Some(oversampling),
        rescore,
        exact: false,
    };
    let without = recall(data, &built, options(1.0, false));
    let mut rows = Vec::new();
    for &o in oversamplings {
        let with = recall(data, &built, options(o, true));
        println!(
            "{name:>22}  oversampling {o:>4}  recall@10 rescored {with:.4}  not rescored {without:.4}"
        );
        rows.push((o, with, without));
    }
    rows
}

fn at(rows: &[(f32, f64, f64)], oversampling: f32) -> (f64, f64) {
    let row = rows
        .iter()
        .find(|r| r.0 == oversampling)
        .expect("measured oversampling");
    (row.1, row.2)
}

#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn exact_search_matches_the_ground_truth() {
    let Some(data) = common::real_data("exact_search_matches_the_ground_truth") else {
        return;
    };
    let built = build(&data, Quantization::None);
    let r = recall(&data, &built, SearchOptions::default());
    println!("exact recall@10 = {r:.4}");
    // Ground truth is computed on the same f16-rounded vectors; only float ties may differ.
    assert!(r >= 0.999, "exact search recall@10 {r}");
}

#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn binary_meets_its_recall_targets() {
    let Some(data) = common::real_data("binary_meets_its_recall_targets") else {
        return;
    };
    let default = Quantization::BINARY_DEFAULT.default_oversampling();
    let rows = report(
        &data,
        "binary (asymmetric)",
        Quantization::BINARY_DEFAULT,
        &[2.0, 4.0, 6.0, 8.0, default],
    );
    let (with, _) = at(&rows, default);
    assert!(
        with >= 0.98,
        "binary recall@10 at default oversampling {default}: {with}"
    );
    let hamming = Quantization::Binary {
        centered: false,
        query: BinaryQuery::Hamming,
        refine: 0,
    };
    let rows_h = report(&data, "binary (Hamming)", hamming, &[4.0, default]);
    // The asymmetric query must beat symmetric Hamming, or it is not worth its cost.
    assert!(
        at(&rows, 4.0).0 > at(&rows_h, 4.0).0 + 0.02,
        "asymmetric does not beat Hamming"
    );
    let centred = Quantization::Binary {
        centered: true,
        query: BinaryQuery::Asymmetric,
        refine: 3,
    };
    report(&data, "binary centred", centred, &[4.0]);
    let unrefined = Quantization::Binary {
        centered: false,
        query: BinaryQuery::Asymmetric,
        refine: 0,
    };
    let rows_u = report(&data, "binary, no refinement", unrefined, &[default]);
    // Refinement re-ranks the same candidates more finely and reads fewer originals: it
    // must not lose recall against reading them all.
    assert!(
        with >= at(&rows_u, default).0 - 0.002,
        "refinement lost recall: {with} against {rows_u:?}"
    );
}

/// Refinement codes (`binary.refine`): recall without rescoring (the codes alone, as a static
/// site ships them), and how many originals a search at the defaults reads from a store
/// outside wasm memory (as from IndexedDB).
#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn refinement_prunes_reads_and_stands_alone() {
    let Some(data) = common::real_data("refinement_prunes_reads_and_stands_alone") else {
        return;
    };
    for refine in [2, 3, 4] {
        let quantization = Quantization::Binary {
            centered: false,
            query: BinaryQuery::Asymmetric,
            refine,
        };
        let built = build(&data, quantization);
        let n = built.ids.len() as f64;
        let codes = built.index.memory_usage().codes as f64 / n;
        // What a static site ships: ids, params, model and codes, no originals.
        let bytes = built.index.to_bytes_without_originals().unwrap().len() as f64 / n;
        let (rescored, reads) = recall_and_reads(&data, &built, SearchOptions::default(), true);
        let alone = recall(
            &data,
            &built,
            SearchOptions {
                rescore: false,
                ..SearchOptions::default()
            },
        );
        let (p50, p99) = (percentile(&reads, 0.5), percentile(&reads, 0.99));
        println!(
            "  refine {refine}: codes {codes:.0} B/vector in memory, {bytes:.0} in toBytes without \
             originals; recall@10 rescored {rescored:.4} \
             reading originals p50 {p50} p99 {p99} max {}; codes alone {alone:.4}",
            reads[reads.len() - 1]
        );
        if quantization == Quantization::BINARY_DEFAULT {
            assert!(rescored >= 0.99, "recall@10 at the defaults: {rescored}");
            assert!(alone >= 0.95, "recall@10 of the codes alone: {alone}");
            assert!(
                bytes <= 250.0,
                "toBytes without originals: {bytes} B/vector"
            );
            // Without refinement every query reads all 100 candidates.
            assert!(p50 <= 30, "originals read, p50 {p50} (p99 {p99})");
        }
    }
}

#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn int8_meets_its_recall_targets() {
    let Some(data) = common::real_data("int8_meets_its_recall_targets") else {
        return;
    };
    let default = Quantization::INT8_DEFAULT.default_oversampling();
    let rows = report(
        &data,
        "int8 (quantile 0.999)",
        Quantization::INT8_DEFAULT,
        &[1.0, default],
    );
    report(
        &data,
        "int8 (quantile 0.99)",
        Quantization::Int8 { quantile: 0.99 },
        &[1.0],
    );
    let (with, _) = at(&rows, default);
    let (_, without) = at(&rows, 1.0);
    assert!(with >= 0.99, "int8 recall@10 rescored: {with}");
    assert!(
        without >= 0.99,
        "int8 recall@10 without rescoring: {without}"
    );
}

#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn pq_meets_its_recall_targets() {
    let Some(data) = common::real_data("pq_meets_its_recall_targets") else {
        return;
    };
    for (bits, name) in [
        (8, "pq 8-bit (48 × 8 dims)"),
        (4, "pq 4-bit fast-scan (96 × 4)"),
    ] {
        let pq = Quantization::pq_default(384, bits, Some(42));
        let default = pq.default_oversampling();
        let rows = report(&data, name, pq, &[4.0, default]);
        assert!(at(&rows, default).0 >= 0.95, "{name} recall@10: {rows:?}");
    }
}
