//! Bounded top-k selection fused into the scans.
//!
//! Candidates go into a buffer of twice the capacity; when it fills, `select_nth_unstable`
//! keeps the best `cap` and their worst becomes the admission floor. Each compaction costs
//! O(cap) and happens at most once per `cap` admissions, so selection is O(n) over a scan,
//! and most codes are rejected with one comparison against the floor.

use core::cmp::Ordering;

use crate::sort::heapsort_by;

/// A scored slot. `key` is higher-is-better (inner product, or the negated squared
/// distance for l2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Ranking key, higher is better.
    pub key: f32,
    /// Dense slot of the vector.
    pub slot: u32,
}

/// Total order, best first: higher key, then lower slot (so ties are deterministic).
pub fn best_first(a: &Candidate, b: &Candidate) -> Ordering {
    b.key.total_cmp(&a.key).then(a.slot.cmp(&b.slot))
}

/// The best `cap` candidates seen so far.
#[derive(Debug)]
pub struct TopK {
    cap: usize,
    buf: Vec<Candidate>,
    /// Keys below this cannot enter (the worst kept after the last compaction).
    floor: f32,
}

impl TopK {
    /// Keeps the best `cap` (≥ 1) candidates.
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        TopK {
            cap,
            buf: Vec::with_capacity(2 * cap),
            floor: f32::NEG_INFINITY,
        }
    }

    /// Keys strictly below this are rejected; scans test it before anything else.
    #[inline(always)]
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// Offers a candidate. Callers may skip keys below [`TopK::floor`].
    #[inline]
    pub fn push(&mut self, key: f32, slot: u32) {
        if key < self.floor {
            return;
        }
        self.buf.push(Candidate { key, slot });
        if self.buf.len() == 2 * self.cap {
            self.compact();
        }
    }

    fn compact(&mut self) {
        self.buf.select_nth_unstable_by(self.cap - 1, best_first);
        self.buf.truncate(self.cap);
        self.floor = self.buf[self.cap - 1].key;
    }

    /// The kept candidates, best first.
    pub fn into_sorted(mut self) -> Vec<Candidate> {
        if self.buf.len() > self.cap {
            self.compact();
        }
        heapsort_by(&mut self.buf, best_first);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_in_order_with_ties_by_slot() {
        let mut top = TopK::new(3);
        let keys = [0.5, 0.9, 0.1, 0.9, 0.7, 0.3, 0.9, -1.0, 0.8];
        for (slot, &key) in keys.iter().enumerate() {
            top.push(key, slot as u32);
        }
        let got: Vec<u32> = top.into_sorted().iter().map(|c| c.slot).collect();
        assert_eq!(got, vec![1, 3, 6]);
    }

    #[test]
    fn matches_a_full_sort_on_many_inputs() {
        let mut state = 12345u64;
        for cap in [1, 2, 5, 17, 64] {
            let keys: Vec<f32> = (0..1000)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((state >> 40) % 200) as f32 / 7.0
                })
                .collect();
            let mut top = TopK::new(cap);
            for (slot, &key) in keys.iter().enumerate() {
                top.push(key, slot as u32);
            }
            let mut all: Vec<Candidate> = keys
                .iter()
                .enumerate()
                .map(|(slot, &key)| Candidate {
                    key,
                    slot: slot as u32,
                })
                .collect();
            all.sort_by(best_first);
            all.truncate(cap);
            assert_eq!(top.into_sorted(), all, "cap {cap}");
        }
    }
}
