//! Mean pooling and L2 normalisation, as sentence-transformers' `Pooling(mean)` + `Normalize`.

/// Averages the rows of `hidden` (`tokens x dim`, row-major) over the first `real_tokens` rows
/// (the rest are padding), then scales the mean to unit length into `out` (`dim` long).
/// A zero mean (which no real model output is) is left as zeros rather than divided by zero.
pub fn mean_pool_normalized(hidden: &[f32], dim: usize, real_tokens: usize, out: &mut [f32]) {
    debug_assert_eq!(out.len(), dim);
    debug_assert!(real_tokens * dim <= hidden.len());
    out.fill(0.0);
    for row in hidden[..real_tokens * dim].chunks_exact(dim) {
        for (sum, &value) in out.iter_mut().zip(row) {
            *sum += value;
        }
    }
    // Dividing by the token count would cancel in the normalisation, but sentence-transformers
    // clamps the norm at 1e-12 *after* taking the mean, so keep the same order of operations.
    let count = real_tokens.max(1) as f32;
    out.iter_mut().for_each(|v| *v /= count);
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    out.iter_mut().for_each(|v| *v /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_real_tokens_only_and_normalises() {
        // Two real tokens, one padding row that must not count.
        let hidden = [1.0, 3.0, 3.0, 1.0, 100.0, -100.0];
        let mut out = [0.0; 2];
        mean_pool_normalized(&hidden, 2, 2, &mut out);
        let expected = 2.0 / (8.0f32).sqrt();
        assert!(
            (out[0] - expected).abs() < 1e-6 && (out[1] - expected).abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn zero_mean_stays_zero() {
        let mut out = [1.0; 3];
        mean_pool_normalized(&[1.0, -1.0, 0.0, -1.0, 1.0, 0.0], 3, 2, &mut out);
        assert_eq!(out, [0.0; 3]);
    }
}
