//! Refinement codes for binary codes: `bits` more bits per dimension that extend each
//! dimension's sign bit to a `(bits + 1)`-bit scalar code, as extended RaBitQ does (Gao,
//! Gou, Xu et al., arXiv 2409.09913). The scan ranks every vector by its sign bits; the best
//! candidates are then re-estimated with these codes, each with an error bound, so that a
//! search reads only the originals that can still reach its top k.
//!
//! ## The code
//! With `r = x − c` (the binary codes' residual), `h = 2^bits` and a per-vector step Δ, each
//! dimension gets `u_i ∈ [0, 2h)`: `h + min(⌊r_i/Δ⌋, h − 1)` if `r_i > 0`, else
//! `h − 1 − min(⌊−r_i/Δ⌋, h − 1)`. Its top bit is the sign bit the binary code already holds,
//! so only the low `bits` are stored here. The grid vector `v_i = u_i − h + ½` (odd halves,
//! symmetric around 0) stands for `r ≈ Δ·v`; Δ is chosen per vector to maximise
//! `cos(v, r)`, the ex-RaBitQ criterion, among [`MULTIPLIERS`] of the Gaussian-optimal step
//! (on the real MiniLM vectors: mean cosine 0.994 at `bits = 3`).
//!
//! ## Estimator and bound
//! `<q, r> ≈ <q, v> · |r|² / <v, r>` (RaBitQ's estimator; Δ cancels), whose factor
//! `|r|² / <v, r>` is stored per vector. RaBitQ bounds its error, with high probability, by
//! `ε₀ · |q| · |r| · √(1 − cos²) / cos / √(D − 1)` with `cos = cos(v, r)`; the part after
//! `ε₀ · |q|` is stored per vector as `error`, and [`EPSILON`] is ε₀. (The proof assumes a
//! random rotation; the codes here are not rotated, so the bound is empirical: tests/recall.rs
//! checks on the real vectors that pruning by it keeps recall.)
//!
//! ## Layout
//! `planes`: `[slot][bits][⌈D/8⌉]` bytes, bit `i` of byte `j` of plane `p` = bit `p` of
//! `u_{8j+i}`. `terms`: `[slot][2]` f32, the factor then the error. At 384 dimensions and
//! `bits = 3`: 144 + 8 bytes a vector beside the binary code's 48.
//!
//! A query is prepared as a table of partial sums over groups of 4 dimensions
//! (`table[g][p] = Σ_{i<4, bit i of p} q_{4g+i}`), so one plane costs `⌈D/4⌉` lookups.

use crate::bytes::{Reader, Writer};
use crate::error::{Result, try_grow};
use crate::search::topk::{Candidate, best_first};
use crate::segmented::{SEGMENT_SLOTS, Segmented};
use crate::sort::heapsort_by;

/// The step of the uniform quantizer of `2^(bits + 1)` levels with the least mean squared
/// error for a unit Gaussian (Max 1960; Hui and Neuhoff 2001), by `bits`: for r's RMS σ, Δ near
/// `GAUSSIAN_STEP[bits] · σ` suits components that are roughly Gaussian, as embeddings' are.
const GAUSSIAN_STEP: [f32; 5] = [1.596, 0.9957, 0.5860, 0.3352, 0.1881];

/// Multiples of that step tried per vector (one pass over r each); the best by `cos(v, r)` is
/// kept. On 20,000 of the real vectors at `bits = 3` the mean cosine is 0.99401 at the step
/// alone, 0.99419 with these three, and 0.99424 with the best of 55 multiples from 0.3 to 3.
const MULTIPLIERS: [f32; 3] = [0.9, 1.0, 1.1];

/// ε₀ of the bound. RaBitQ's paper uses 1.9; on the real vectors 1.9 to 4 gave the same
/// recall (0.995 at 100 candidates) while reads grew from 14 to 22 a query, and 3 leaves a
/// margin for data less even than MiniLM's.
pub const EPSILON: f32 = 3.0;

/// The refinement codes of every slot.
#[derive(Debug, Clone)]
pub struct Refinement {
    dimensions: usize,
    bits: u8,
    /// In segments, as every buffer of codes (see [`crate::segmented`]).
    planes: Segmented<u8>,
    terms: Vec<f32>,
    /// Reused by `set` for one vector's magnitudes (not part of the index's state).
    scratch: Vec<f32>,
}

/// A query prepared for refining.
struct RefineQuery {
    /// `[⌈D/4⌉][16]` partial sums (see the module doc).
    table: Vec<f32>,
    /// `Σ q_i`.
    sum: f32,
    /// `|q|`.
    norm: f32,
}

impl RefineQuery {
    /// `Σ_g table[g][nibble g of bits]` for a plane packed 8 dimensions a byte.
    #[inline]
    fn plane_dot(&self, plane: &[u8]) -> f32 {
        let mut sum = 0.0;
        for (pair, &byte) in self.table.chunks(32).zip(plane) {
            sum += pair[usize::from(byte & 0x0f)];
            if let Some(&hi) = pair.get(16 + usize::from(byte >> 4)) {
                sum += hi;
            }
        }
        sum
    }
}

impl Refinement {
    /// Empty codes of `bits` (1 to 4) extra bits for vectors of `dimensions`.
    pub fn new(dimensions: usize, bits: u8) -> Self {
        Refinement {
            dimensions,
            bits,
            planes: Segmented::new(usize::from(bits) * dimensions.div_ceil(8), SEGMENT_SLOTS),
            terms: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Bytes one slot takes, its terms included.
    pub fn slot_bytes(dimensions: usize, bits: u8) -> usize {
        usize::from(bits) * dimensions.div_ceil(8) + 8
    }

    fn plane_bytes(&self) -> usize {
        self.dimensions.div_ceil(8)
    }

    fn stride(&self) -> usize {
        usize::from(self.bits) * self.plane_bytes()
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        self.planes.try_reserve(additional, "the codes")?;
        try_grow(&mut self.terms, additional * 2, false, "the codes")
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.planes.memory_bytes() + 4 * (self.terms.capacity() + self.scratch.capacity())
    }

    /// Makes `slot` exist (an existing slot, or the next new one).
    fn ensure(&mut self, slot: usize) {
        if slot * 2 == self.terms.len() {
            self.planes.grow_to(slot + 1);
            self.terms.resize((slot + 1) * 2, 0.0);
        }
    }

    /// Encodes the residual `r` (`x − c`) into `slot` (an existing slot, or the next new one).
    pub fn set(&mut self, slot: u32, r: &[f32]) {
        let slot = slot as usize;
        self.ensure(slot);
        let h = 1i32 << self.bits;
        let max = r.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let norm2: f64 = r.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let code = |v: f32, inverse: f32| -> i32 {
            let level = ((v.abs() * inverse) as i32).min(h - 1);
            if v > 0.0 { h + level } else { h - 1 - level }
        };
        // cos(v, r) at a clipping level (a fraction of max |r_i|), with <v, r>.
        let norm = norm2.sqrt() as f32;
        // v_i and r_i share a sign (a zero r_i adds nothing to <v, r>), so only magnitudes
        // matter: |v_i| = min(⌊|r_i|/Δ⌋, h − 1) + ½. Branch-free, so it vectorises.
        // Padded with zeros to whole groups of 8, so the loop below has no remainder; each
        // zero adds nothing to <v, r> and ¼ (v = ½) to |v|², taken off after.
        let mut magnitudes = core::mem::take(&mut self.scratch);
        magnitudes.clear();
        magnitudes.extend(r.iter().map(|x| x.abs()));
        magnitudes.resize(r.len().div_ceil(8) * 8, 0.0);
        let padding = 0.25 * (magnitudes.len() - r.len()) as f32;
        let top = (h - 1) as f32;
        let try_step = |step: f32| -> (f32, f32) {
            let inverse = 1.0 / step;
            // Eight partial sums in fixed lanes: a float reduction vectorises only when its
            // order is written out. Truncation is ⌊⌋ for a non-negative value; clamped first
            // and converted through i32 it is one instruction each way in SSE2 and SIMD128
            // (unlike `floor`, a libm call on baseline x86-64, or u32, emulated there).
            let (mut dot, mut vv) = ([0.0f32; 8], [0.0f32; 8]);
            for lanes in magnitudes.chunks_exact(8) {
                for i in 0..8 {
                    let a = lanes[i];
                    let v = ((a * inverse).min(top) as i32) as f32 + 0.5;
                    dot[i] += v * a;
                    vv[i] += v * v;
                }
            }
            let dot = dot.iter().sum::<f32>();
            let vv = vv.iter().sum::<f32>() - padding;
            (dot / (vv.sqrt() * norm), dot)
        };
        // The step whose grid vector is closest in angle to r, among a few around the
        // MSE-optimal uniform step for Gaussian components of r's RMS (see `GAUSSIAN_STEP`).
        let rms = norm / (r.len().max(1) as f32).sqrt();
        let (mut best_step, mut best_cos, mut best_dot) = (1.0f32, -1.0f32, 0.0f32);
        if max > 0.0 {
            for m in MULTIPLIERS {
                let step = m * GAUSSIAN_STEP[usize::from(self.bits)] * rms;
                let (cos, dot) = try_step(step);
                if cos > best_cos {
                    (best_step, best_cos, best_dot) = (step, cos, dot);
                }
            }
        }
        self.scratch = magnitudes;
        let plane_bytes = self.plane_bytes();
        let planes = self.planes.row_mut(slot);
        planes.fill(0);
        if max > 0.0 {
            let inverse = 1.0 / best_step;
            // A byte of each plane per 8 dimensions.
            for (byte, dims) in r.chunks(8).enumerate() {
                let mut codes = [0u32; 8];
                for (u, &x) in codes.iter_mut().zip(dims) {
                    *u = code(x, inverse) as u32;
                }
                for p in 0..usize::from(self.bits) {
                    planes[p * plane_bytes + byte] = (codes.iter().enumerate())
                        .fold(0u8, |bits, (j, &u)| bits | ((u >> p & 1) as u8) << j);
                }
            }
        }
        let (factor, error) = if best_dot > 0.0 && best_cos > 0.0 {
            let cos = f64::from(best_cos.min(1.0));
            let sin = (1.0 - cos * cos).sqrt();
            let d = (self.dimensions.max(2) - 1) as f64;
            (
                norm2 / f64::from(best_dot),
                norm2.sqrt() * sin / cos / d.sqrt(),
            )
        } else {
            (0.0, 0.0)
        };
        self.terms[2 * slot] = factor as f32;
        self.terms[2 * slot + 1] = error as f32;
    }

    /// Prepares `q` (the query, uncentred) for [`Refinement::estimate`].
    fn prepare(&self, q: &[f32]) -> RefineQuery {
        let groups = self.dimensions.div_ceil(4);
        let mut table = vec![0.0f32; groups * 16];
        for (g, sums) in table.chunks_exact_mut(16).enumerate() {
            // sums[p] = sums[p without its lowest bit] + q of that bit's dimension.
            for p in 1..16usize {
                let low = p.trailing_zeros() as usize;
                sums[p] = sums[p & (p - 1)] + q.get(4 * g + low).copied().unwrap_or(0.0);
            }
        }
        RefineQuery {
            table,
            sum: q.iter().sum(),
            norm: q.iter().map(|v| v * v).sum::<f32>().sqrt(),
        }
    }

    /// The estimate of `<q, r>` for `slot`, given the slot's sign groups (4 signs a byte,
    /// bit `i` of group `g` = dimension `4g + i` positive).
    fn estimate(&self, q: &RefineQuery, slot: u32, signs: &[u8]) -> f32 {
        let slot = slot as usize;
        let h = (1u32 << self.bits) as f32;
        // <q, s> over the sign bits, one table row per group.
        let mut q_dot_u: f32 = (q.table.chunks_exact(16).zip(signs))
            .map(|(sums, &g)| sums[usize::from(g & 0x0f)])
            .sum::<f32>()
            * h;
        let plane_bytes = self.plane_bytes();
        let planes = self.planes.row(slot);
        for (p, plane) in planes.chunks_exact(plane_bytes).enumerate() {
            q_dot_u += (1u32 << p) as f32 * q.plane_dot(plane);
        }
        self.terms[2 * slot] * (q_dot_u - (h - 0.5) * q.sum)
    }

    /// The error bound of [`Refinement::estimate`] for `slot`: `ε₀ · |q| · error`.
    fn bound(&self, q: &RefineQuery, slot: u32) -> f32 {
        EPSILON * q.norm * self.terms[2 * slot as usize + 1]
    }

    /// Re-keys `candidates` by their refined estimates of `<q, r>`, sorted best first, and
    /// returns their bounds. `signs` writes a slot's sign groups (4 signs a byte, bit `i` of
    /// group `g` = dimension `4g + i` positive); `key` turns a slot's estimate into its key;
    /// `scale` is the key's multiple of `<q, r>` (2 for l2's, which holds `2<q, x>`).
    pub fn rekey(
        &self,
        q: &[f32],
        candidates: &mut [Candidate],
        signs: impl Fn(u32, &mut [u8]),
        key: impl Fn(u32, f32) -> f32,
        scale: f32,
    ) -> Vec<f32> {
        let prepared = self.prepare(q);
        let mut groups = vec![0u8; self.dimensions.div_ceil(4)];
        for c in candidates.iter_mut() {
            signs(c.slot, &mut groups);
            c.key = key(c.slot, self.estimate(&prepared, c.slot, &groups));
        }
        // The candidates' own order (`best_first`, as the top-k selection sorts), and each
        // one's bound looked up after, by slot: no second sort instance in the module.
        heapsort_by(candidates, best_first);
        (candidates.iter())
            .map(|c| scale * self.bound(&prepared, c.slot))
            .collect()
    }

    /// Writes the code of `slot`: its planes, then its factor and error.
    pub fn write_slot(&self, slot: u32, w: &mut Writer) {
        let slot = slot as usize;
        w.raw(self.planes.row(slot));
        w.f32(self.terms[2 * slot]);
        w.f32(self.terms[2 * slot + 1]);
    }

    /// Reads what [`Refinement::write_slot`] wrote into `slot` (existing, or the next new one).
    pub fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        let (slot_index, stride) = (slot as usize, self.stride());
        let bytes = r.raw(stride, "refinement codes")?;
        self.ensure(slot_index);
        self.planes.row_mut(slot_index).copy_from_slice(bytes);
        self.terms[2 * slot_index] = r.f32("refinement factor")?;
        self.terms[2 * slot_index + 1] = r.f32("refinement error")?;
        Ok(())
    }
}
