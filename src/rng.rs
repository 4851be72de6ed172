//! A small seeded PRNG (SplitMix64) for k-means++ and training samples. Reproducible with a
//! fixed seed; seeded from the system (getrandom) otherwise.

/// SplitMix64: 64 bits of state, passes BigCrush, and is all k-means needs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed.
    pub fn from_seed(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator seeded from the system's entropy source (crypto.getRandomValues in wasm).
    pub fn from_entropy() -> Self {
        let mut bytes = [0u8; 8];
        // If the platform has no entropy source, a fixed seed still gives correct
        // (only less varied) k-means initialisation.
        let _ = getrandom::fill(&mut bytes);
        Rng(u64::from_le_bytes(bytes))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n ≥ 1), by Lemire's multiply-shift (bias below 2^-32 for n < 2^32).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `count` distinct indices from `0..n`, in random order (partial Fisher–Yates over
    /// a virtual array; memory O(count)).
    pub fn sample_indices(&mut self, n: usize, count: usize) -> Vec<usize> {
        let count = count.min(n);
        let mut swapped = hashbrown::HashMap::<usize, usize>::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let j = i + self.below(n - i);
            let at_j = *swapped.get(&j).unwrap_or(&j);
            let at_i = *swapped.get(&i).unwrap_or(&i);
            swapped.insert(j, at_i);
            out.push(at_j);
        }
        out
    }
}
