//! k-means++ seeding and Lloyd iterations on small sub-vectors (PQ's `dsub` dimensions).
//!
//! The assignment step keeps the centroids transposed (`[dim][k]`) so the inner loop runs
//! over centroids, which the compiler vectorises (SIMD128 in wasm), and uses
//! `|x − c|² = |c|² − 2<x, c> + |x|²` without the constant `|x|²`.

use crate::rng::Rng;

/// Trains `k` centroids on `points` (`[n][dim]`). Returns `[k][dim]`. With fewer than `k`
/// distinct points some centroids repeat, which encodes correctly (just wastes codes).
pub fn kmeans(points: &[f32], dim: usize, k: usize, iterations: usize, rng: &mut Rng) -> Vec<f32> {
    let n = points.len() / dim;
    assert!(n > 0, "kmeans needs at least one point");
    let mut centroids = seed_plus_plus(points, dim, k, rng);
    let mut assignment = vec![u32::MAX; n];
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    let mut transposed = vec![0.0f32; k * dim];
    let mut norms = vec![0.0f32; k];
    let mut distances = vec![0.0f32; k];
    for _ in 0..iterations {
        transpose(&centroids, dim, k, &mut transposed, &mut norms);
        let mut changed = 0;
        for (i, x) in points.chunks_exact(dim).enumerate() {
            let best = nearest(x, &transposed, &norms, &mut distances);
            if assignment[i] != best {
                assignment[i] = best;
                changed += 1;
            }
        }
        if changed == 0 {
            break;
        }
        sums.fill(0.0);
        counts.fill(0);
        for (x, &a) in points.chunks_exact(dim).zip(&assignment) {
            let a = a as usize;
            counts[a] += 1;
            for (s, &v) in sums[a * dim..(a + 1) * dim].iter_mut().zip(x) {
                *s += f64::from(v);
            }
        }
        for c in 0..k {
            let centroid = &mut centroids[c * dim..(c + 1) * dim];
            if counts[c] == 0 {
                // An empty cluster restarts at a random point (faiss does the same kind of split).
                let p = rng.below(n);
                centroid.copy_from_slice(&points[p * dim..(p + 1) * dim]);
            } else {
                for (v, s) in centroid.iter_mut().zip(&sums[c * dim..(c + 1) * dim]) {
                    *v = (*s / counts[c] as f64) as f32;
                }
            }
        }
        // Under 0.1% of points moving changes the codebook too little to pay for a pass.
        if changed * 1000 < n {
            break;
        }
    }
    centroids
}

/// Index of the centroid nearest to `x`; `transposed` is `[dim][k]`, `norms` is `|c|²`.
pub fn nearest(x: &[f32], transposed: &[f32], norms: &[f32], distances: &mut [f32]) -> u32 {
    let k = norms.len();
    distances.copy_from_slice(norms);
    for (j, &xj) in x.iter().enumerate() {
        let row = &transposed[j * k..(j + 1) * k];
        let scaled = -2.0 * xj;
        for (d, &c) in distances.iter_mut().zip(row) {
            *d += scaled * c;
        }
    }
    crate::kernels::argmin_f32(distances) as u32
}

/// `[k][dim]` → `[dim][k]`, and the squared norms.
pub fn transpose(
    centroids: &[f32],
    dim: usize,
    k: usize,
    transposed: &mut [f32],
    norms: &mut [f32],
) {
    for c in 0..k {
        let centroid = &centroids[c * dim..(c + 1) * dim];
        norms[c] = centroid.iter().map(|v| v * v).sum();
        for (j, &v) in centroid.iter().enumerate() {
            transposed[j * k + c] = v;
        }
    }
}

/// k-means++: each next seed is drawn with probability proportional to its squared
/// distance from the nearest seed so far (Arthur & Vassilvitskii 2007).
fn seed_plus_plus(points: &[f32], dim: usize, k: usize, rng: &mut Rng) -> Vec<f32> {
    let n = points.len() / dim;
    let mut centroids = Vec::with_capacity(k * dim);
    let first = rng.below(n);
    centroids.extend_from_slice(&points[first * dim..(first + 1) * dim]);
    let mut nearest2: Vec<f32> = points
        .chunks_exact(dim)
        .map(|x| crate::kernels::l2sq_f32(x, &centroids[..dim]))
        .collect();
    for _ in 1..k {
        let total: f64 = nearest2.iter().map(|&d| f64::from(d)).sum();
        let chosen = if total > 0.0 {
            let mut target = rng.unit_f64() * total;
            let mut chosen = n - 1;
            for (i, &d) in nearest2.iter().enumerate() {
                target -= f64::from(d);
                if target < 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        } else {
            rng.below(n)
        };
        let seed = &points[chosen * dim..(chosen + 1) * dim];
        centroids.extend_from_slice(seed);
        for (d, x) in nearest2.iter_mut().zip(points.chunks_exact(dim)) {
            *d = d.min(crate::kernels::l2sq_f32(x, seed));
        }
    }
    centroids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_well_separated_clusters() {
        let mut rng = Rng::from_seed(7);
        let centers = [[0.0f32, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
        let mut points = Vec::new();
        for i in 0..400 {
            let c = centers[i % 4];
            points.push(c[0] + (rng.unit_f64() as f32 - 0.5));
            points.push(c[1] + (rng.unit_f64() as f32 - 0.5));
        }
        let found = kmeans(&points, 2, 4, 20, &mut rng);
        for c in centers {
            let closest = found
                .chunks_exact(2)
                .map(|f| (f[0] - c[0]).powi(2) + (f[1] - c[1]).powi(2))
                .fold(f32::INFINITY, f32::min);
            assert!(closest < 0.1, "no centroid near {c:?}: {found:?}");
        }
    }
}
