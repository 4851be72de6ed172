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
        let answer = ready(
            built
                .index
                .search_with(query, &options, None, originals, &|| 0.0),
        )
        .unwrap()
        .unwrap();
        let truth = &data.truth[qi * 100..qi * 100 + 10];
        let found = (answer.hits(&built.index))
            .filter(|h| truth.iter().any(|&t| built.ids[t as usize] == h.id))
            .count();
        (found, answer.timings.reads)
    };
    let per_query = on_every_core(QUERIES, &found_for);
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

/// Filtered search on the real data: each vector gets a `bucket` 0..999 (a multiplicative
/// hash of its row), and a range on it selects 0.1%, 1%, 10%, 50% or 100% of the vectors. The
/// truth is brute force over the selected rows, computed here, independently of the index.
/// At the defaults (binary, refinement, rescoring), in memory and from a store outside it,
/// recall@10 must reach the unfiltered target, 0.99.
#[test]
#[ignore = "slow: npm test runs it with --release --ignored"]
fn filtered_search_meets_the_unfiltered_recall() {
    use quiver::{FieldKind, Filter, Schema, Value};
    let Some(data) = common::real_data("filtered_search_meets_the_unfiltered_recall") else {
        return;
    };
    let d = data.dimensions;
    let n = data.docs.len() / d;
    let bucket = |i: usize| (i * 7919 + 13) % 1000;
    let params = IndexParams::new(d, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
    let schema = Schema::new(vec![("bucket".into(), FieldKind::Number)]).unwrap();
    let mut index = Index::new(params).with_fields(schema);
    let ids: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let records: Vec<_> = (0..n)
        .map(|i| vec![Some(Value::Number(bucket(i) as f64))])
        .collect();
    index.add_records(&ids, &data.docs, None, &records).unwrap();
    let built = Built { index, ids };
    let norms: Vec<f32> = (data.docs.chunks_exact(d))
        .map(|v| v.iter().map(|x| x * x).sum::<f32>().sqrt())
        .collect();
    let queries = 200;
    let disk = OnDisk {
        docs: &data.docs,
        d,
    };
    for below in [1, 10, 100, 500, 1000] {
        let filter = Filter::Range {
            field: "bucket".into(),
            low: None,
            high: Some((below as f64, false)),
        };
        let selected: Vec<usize> = (0..n).filter(|&i| bucket(i) < below).collect();
        assert_eq!(built.index.count(Some(&filter)).unwrap(), selected.len());
        let truth_of = |qi: usize| {
            let query = &data.queries[qi * d..(qi + 1) * d];
            let mut scored: Vec<(f32, usize)> = (selected.iter())
                .map(|&i| {
                    let v = &data.docs[i * d..(i + 1) * d];
                    let dot: f32 = v.iter().zip(query).map(|(a, b)| a * b).sum();
                    (dot / norms[i], i)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let truth: Vec<&str> = scored[..10.min(scored.len())]
                .iter()
                .map(|&(_, i)| built.ids[i].as_str())
                .collect();
            truth
        };
        let truths: Vec<Vec<&str>> = on_every_core(queries, &truth_of);
        let recall_of = |qi: usize, on_disk: bool| {
            let query = &data.queries[qi * d..(qi + 1) * d];
            let truth = &truths[qi];
            let originals: &dyn Originals = if on_disk { &disk } else { built.index.home() };
            let options = SearchOptions::default();
            let answer =
                ready(
                    built
                        .index
                        .search_with(query, &options, Some(&filter), originals, &|| 0.0),
                )
                .unwrap()
                .unwrap();
            let hits: Vec<_> = answer.hits(&built.index).collect();
            assert_eq!(hits.len(), truth.len());
            hits.iter().filter(|h| truth.contains(&h.id)).count() as f64 / truth.len() as f64
        };
        for on_disk in [false, true] {
            let recall: f64 =
                (0..queries).map(|q| recall_of(q, on_disk)).sum::<f64>() / queries as f64;
            let place = if on_disk {
                "outside memory"
            } else {
                "in memory"
            };
            println!(
                "  filtered {:>6.1}% ({} vectors), {place}: recall@10 {recall:.4}",
                below as f64 / 10.0,
                selected.len()
            );
            assert!(
                recall >= 0.99,
                "selectivity {below}/1000 {place}: recall@10 {recall}"
            );
        }
    }
}

/// `f(0..n)`, in order, computed on every core.
fn on_every_core<T: Send>(n: usize, f: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out: Vec<(usize, T)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                s.spawn(move || {
                    (first..n)
                        .step_by(threads)
                        .map(|i| (i, f(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    out.sort_by_key(|e| e.0);
    out.into_iter().map(|e| e.1).collect()
}
