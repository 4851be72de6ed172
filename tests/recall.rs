//! recall@10 against the exact ground truth of the real data (../shared/data), for each
//! quantization with and without rescoring. Skips with a note when the data is absent.
//! Slow (1,000 queries over 117k vectors per configuration), so `#[ignore]`d in a plain
//! `cargo test`; `npm test` runs them in release:
//! `cargo test --release --test recall -- --ignored --nocapture` (prints the table).

mod common;

use quiver::{BinaryQuery, Index, IndexParams, Metric, Quantization, SearchOptions};

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
    let d = data.dimensions;
    let found_for = |qi: usize| {
        let hits = built
            .index
            .search(&data.queries[qi * d..(qi + 1) * d], &options)
            .unwrap();
        let truth = &data.truth[qi * 100..qi * 100 + 10];
        hits.iter()
            .filter(|h| truth.iter().any(|&t| built.ids[t as usize] == h.id))
            .count()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let found: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let found_for = &found_for;
                s.spawn(move || {
                    (first..QUERIES)
                        .step_by(threads)
                        .map(found_for)
                        .sum::<usize>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    found as f64 / (10 * QUERIES) as f64
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
    };
    report(&data, "binary centred", centred, &[4.0]);
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
