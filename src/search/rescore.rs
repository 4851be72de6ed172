//! Exact scoring with the original f32 vectors: the second stage of a quantized search
//! (faiss `IndexRefine`), and the whole of an exact search.

use super::topk::{Candidate, TopK};
use crate::kernels;
use crate::params::Metric;

/// The exact key of `x` for `q`: the inner product, or the negated squared distance.
#[inline]
pub fn exact_key(metric: Metric, q: &[f32], x: &[f32]) -> f32 {
    match metric {
        Metric::Cosine | Metric::Dot => kernels::dot_f32(q, x),
        Metric::L2 => -kernels::l2sq_f32(q, x),
    }
}

/// Re-scores `candidates` with their originals; returns the best `k`, best first.
pub fn rescore<'a>(
    q: &[f32],
    candidates: &[Candidate],
    metric: Metric,
    originals: &'a dyn Fn(u32) -> &'a [f32],
    k: usize,
) -> Vec<Candidate> {
    exact_scan(q, candidates.iter().map(|c| c.slot), metric, originals, k)
}

/// Scores the given slots exactly; returns the best `k`, best first.
pub fn exact_scan<'a>(
    q: &[f32],
    slots: impl Iterator<Item = u32>,
    metric: Metric,
    originals: &'a dyn Fn(u32) -> &'a [f32],
    k: usize,
) -> Vec<Candidate> {
    let mut top = TopK::new(k);
    for slot in slots {
        top.push(exact_key(metric, q, originals(slot)), slot);
    }
    top.into_sorted()
}
