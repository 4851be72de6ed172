//! In-place heapsort for the few slices quiver sorts: a search's candidates (`k ×
//! oversampling` of them, 100 at the defaults) and slot or block numbers. The standard
//! library's `sort_unstable` is faster on large slices but costs 3–10 KB of wasm per element
//! type (measured with twiggy: 9.9 KB for candidates, 3.1 KB for `u32`); this is a few
//! hundred bytes each, and at these lengths the difference in speed does not show.

use core::cmp::Ordering;

/// Sorts `v` by `order` (a total order), least first. Not stable; O(n log n), no allocation.
pub fn heapsort_by<T>(v: &mut [T], order: impl Fn(&T, &T) -> Ordering) {
    let less = |v: &[T], a: usize, b: usize| order(&v[a], &v[b]) == Ordering::Less;
    // Restores the max-heap below `root` within `v[..end]`.
    let sift_down = |v: &mut [T], mut root: usize, end: usize| {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                break;
            }
            if child + 1 < end && less(v, child, child + 1) {
                child += 1;
            }
            if !less(v, root, child) {
                break;
            }
            v.swap(root, child);
            root = child;
        }
    };
    for root in (0..v.len() / 2).rev() {
        sift_down(v, root, v.len());
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_library_at_every_small_length_and_with_repeats() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        for len in (0..70).chain([255, 256, 257, 1000]) {
            for spread in [3, 1_000_000] {
                let values: Vec<u32> = (0..len).map(|_| next() % spread).collect();
                let mut ours = values.clone();
                heapsort_by(&mut ours, u32::cmp);
                let mut want = values;
                want.sort_unstable();
                assert_eq!(ours, want, "length {len}, spread {spread}");
            }
        }
        // Descending input and a reversed order.
        let mut v: Vec<u32> = (0..100).rev().collect();
        heapsort_by(&mut v, u32::cmp);
        assert_eq!(v, (0..100).collect::<Vec<_>>());
        heapsort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, (0..100).rev().collect::<Vec<_>>());
    }
}
