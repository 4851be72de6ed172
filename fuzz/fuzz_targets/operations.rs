//! Random sequences of adds, upserts, deletes, searches and byte round trips, checked
//! against the brute-force model shared with `tests/model.rs`.

#![no_main]

#[path = "../../tests/common/model.rs"]
mod model;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use model::{Checker, Op};
use quiver::rng::Rng;
use quiver::{BinaryQuery, IndexParams, Metric, Quantization, SearchOptions};

/// Ids come from a small space, so adds often upsert and deletes often hit.
const ID_SPACE: u32 = 2_000;

fn params(u: &mut Unstructured) -> Result<IndexParams> {
    let d = *u.choose(&[1usize, 3, 8, 16, 33])?;
    let metric = *u.choose(&[Metric::Cosine, Metric::Dot, Metric::L2])?;
    let quantization = match u.int_in_range(0..=4u8)? {
        0 => Quantization::None,
        1 => Quantization::Int8 {
            quantile: *u.choose(&[0.9f32, 0.999, 1.0])?,
        },
        2 => Quantization::Binary {
            centered: u.arbitrary()?,
            query: *u.choose(&[BinaryQuery::Hamming, BinaryQuery::Asymmetric])?,
            refine: u.int_in_range(0..=4u8)?,
        },
        bits => Quantization::pq_default(d, if bits == 3 { 4 } else { 8 }, Some(1)),
    };
    Ok(IndexParams::new(d, metric, quantization).expect("valid parameters"))
}

/// Values in a few clusters, with now and then a value that makes the call invalid.
fn vectors(u: &mut Unstructured, rng: &mut Rng, n: usize, d: usize) -> Result<Vec<f32>> {
    let mut out: Vec<f32> = (0..n * d)
        .map(|i| ((i / d) % 5) as f32 + rng.unit_f64() as f32 - 0.5)
        .collect();
    if u.ratio(1, 16)? && !out.is_empty() {
        let at = u.choose_index(out.len())?;
        out[at] = *u.choose(&[f32::NAN, f32::INFINITY, 0.0, -0.0, 1e30, f32::MIN_POSITIVE])?;
    }
    if u.ratio(1, 32)? {
        let row = u.choose_index(n.max(1))?;
        out.iter_mut().skip(row * d).take(d).for_each(|v| *v = 0.0);
    }
    if u.ratio(1, 32)? {
        out.pop();
    }
    Ok(out)
}

fn op(u: &mut Unstructured, rng: &mut Rng, d: usize) -> Result<Op> {
    let id = |n: u32| format!("{}", n % ID_SPACE);
    Ok(match u.int_in_range(0..=9u8)? {
        0..=3 => {
            let first = u.int_in_range(0..=ID_SPACE)?;
            let count = if u.ratio(1, 8)? {
                u.int_in_range(1..=5_000u32)?
            } else {
                u.int_in_range(0..=40u32)?
            };
            let mut ids: Vec<String> = (first..first + count).map(id).collect();
            if u.ratio(1, 32)? && ids.len() > 1 {
                ids[1] = ids[0].clone();
            }
            if u.ratio(1, 64)? && !ids.is_empty() {
                ids[0] = String::arbitrary(u)?;
            }
            let vectors = vectors(u, rng, ids.len(), d)?;
            let metadata = u
                .ratio(1, 2)?
                .then(|| ids.iter().map(|i| Some(format!("[{i:?}]"))).collect());
            Op::Add {
                ids,
                vectors,
                metadata,
            }
        }
        4 | 5 => {
            let first = u.int_in_range(0..=ID_SPACE)?;
            let count = u.int_in_range(0..=100u32)?;
            Op::Delete((first..first + count).map(id).collect())
        }
        6..=8 => Op::Search {
            query: vectors(u, rng, 1, d)?,
            options: SearchOptions {
                k: u.int_in_range(0..=50)?,
                oversampling: u.arbitrary::<Option<u8>>()?.map(|o| f32::from(o) / 16.0),
                rescore: u.arbitrary()?,
                exact: u.ratio(1, 4)?,
            },
        },
        _ => Op::RoundTrip,
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(params) = params(&mut u) else { return };
    let mut rng = Rng::from_seed(u.arbitrary().unwrap_or(0));
    let mut checker = Checker::new(params);
    // A bounded number of steps keeps each run fast enough to explore many sequences.
    for step in 0..64 {
        let Ok(op) = op(&mut u, &mut rng, params.dimensions) else {
            return;
        };
        if let Err(divergence) = checker.apply(&op) {
            panic!("step {step}: {divergence}\n{op:?}");
        }
    }
});
