//! Exact scoring with the original f32 vectors: the second stage of a quantized search
//! (faiss `IndexRefine`), and the whole of an exact search.

use super::topk::{Candidate, TopK};
use crate::kernels;
use crate::params::Metric;
use crate::store::VectorStore;

/// The exact key of `x` for `q`: the inner product, or the negated squared distance.
#[inline]
pub fn exact_key(metric: Metric, q: &[f32], x: &[f32]) -> f32 {
    match metric {
        Metric::Cosine | Metric::Dot => kernels::dot_f32(q, x),
        Metric::L2 => -kernels::l2sq_f32(q, x),
    }
}

/// Re-scores `candidates` with their originals; returns the best `k`, best first.
pub fn rescore(
    q: &[f32],
    candidates: &[Candidate],
    metric: Metric,
    store: &dyn VectorStore,
    k: usize,
) -> Vec<Candidate> {
    let mut top = TopK::new(k);
    for c in candidates {
        top.push(exact_key(metric, q, store.vector(c.slot)), c.slot);
    }
    top.into_sorted()
}

/// Scores every live slot exactly; returns the best `k`, best first.
pub fn exact_scan(
    q: &[f32],
    live: &[bool],
    metric: Metric,
    store: &dyn VectorStore,
    k: usize,
) -> Vec<Candidate> {
    let mut top = TopK::new(k);
    for (slot, _) in live.iter().enumerate().filter(|(_, l)| **l) {
        let slot = slot as u32;
        top.push(exact_key(metric, q, store.vector(slot)), slot);
    }
    top.into_sorted()
}
