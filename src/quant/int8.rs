//! int8 scalar codes with per-dimension bounds at a calibration quantile (Qdrant's
//! `quantile` semantics: 0.99 keeps the central 99% of each dimension's values).
//!
//! ## Encoding and the correction terms
//! Dimension `j` has bounds `[lo_j, hi_j]` and step `s_j = (hi_j − lo_j)/255`. A value is
//! stored as `c_j = clamp(round((x_j − lo_j)/s_j), 0, 255) − 128 ∈ i8`, so
//! `x_j ≈ m_j + s_j·c_j` with `m_j = lo_j + 128·s_j`. Then
//! `<q, x> ≈ Σ q_j m_j + Σ (q_j s_j)·c_j`.
//! The query side folds the steps into `w_j = q_j·s_j` and quantises it symmetrically,
//! `w_j ≈ a·t_j` with `t_j ∈ [−127, 127]` and `a = max|w_j|/127`, so
//! `<q, x> ≈ <q, m> + a·Σ t_j c_j`: one i8·i8 dot product (the SIMD kernel) and two
//! per-query constants. No per-vector term is needed for dot/cosine; l2 adds `|x|²`
//! (stored, exact) in `|q − x|² = |q|² + |x|² − 2<q, x>`.

use crate::error::{Result, try_grow};
use crate::kernels;
use crate::params::Metric;
use crate::persist::{Reader, Writer};
use crate::search::topk::TopK;

use super::SCAN_CHUNK;

/// int8 codes of every slot plus the per-dimension calibration.
#[derive(Debug, Clone)]
pub struct Int8Codes {
    dimensions: usize,
    metric: Metric,
    /// Per dimension: `lo_j`.
    lower: Vec<f32>,
    /// Per dimension: `s_j` (0 for a constant dimension).
    step: Vec<f32>,
    /// Layout `[slot][dimensions]`.
    codes: Vec<i8>,
    /// Per slot: `|x|²` (l2 only, else empty).
    norms: Vec<f32>,
}

/// A query prepared for one scan.
pub struct Int8Query {
    /// `t_j`.
    values: Vec<i8>,
    /// `a`.
    scale: f32,
    /// `<q, m>`.
    offset: f32,
    /// `|q|²`.
    norm2: f32,
}

impl Int8Codes {
    /// Fits bounds per dimension on `sample` (`[n][dimensions]`, n ≥ 1).
    pub fn fit(dimensions: usize, metric: Metric, quantile: f32, sample: &[f32]) -> Self {
        let n = sample.len() / dimensions;
        let mut column = Vec::with_capacity(n);
        let mut lower = Vec::with_capacity(dimensions);
        let mut step = Vec::with_capacity(dimensions);
        // Ranks of the bounds: (1 − q)/2 of the values lie below lo, as many above hi.
        let tail = f64::from(1.0 - quantile) / 2.0;
        let low_rank = ((tail * (n - 1) as f64).floor() as usize).min(n - 1);
        let high_rank = (((1.0 - tail) * (n - 1) as f64).ceil() as usize).min(n - 1);
        for j in 0..dimensions {
            column.clear();
            column.extend(sample.iter().skip(j).step_by(dimensions).copied());
            column.sort_unstable_by(f32::total_cmp);
            let (lo, hi) = (column[low_rank], column[high_rank]);
            lower.push(lo);
            step.push((hi - lo) / 255.0);
        }
        Int8Codes {
            dimensions,
            metric,
            lower,
            step,
            codes: Vec::new(),
            norms: Vec::new(),
        }
    }

    /// Number of slots encoded.
    pub fn slots(&self) -> usize {
        self.codes.len() / self.dimensions
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        try_grow(
            &mut self.codes,
            additional * self.dimensions,
            false,
            "the codes",
        )?;
        if self.metric == Metric::L2 {
            try_grow(&mut self.norms, additional, false, "the codes")?;
        }
        Ok(())
    }

    /// Encodes `x` into `slot` (an existing slot, or the next new one).
    pub fn set(&mut self, slot: u32, x: &[f32]) {
        let slot = slot as usize;
        let d = self.dimensions;
        if slot == self.slots() {
            self.codes.resize((slot + 1) * d, 0);
            if self.metric == Metric::L2 {
                self.norms.push(0.0);
            }
        }
        for (j, (c, &v)) in self.codes[slot * d..(slot + 1) * d]
            .iter_mut()
            .zip(x)
            .enumerate()
        {
            let level = if self.step[j] > 0.0 {
                ((v - self.lower[j]) / self.step[j])
                    .round()
                    .clamp(0.0, 255.0)
            } else {
                0.0
            };
            *c = (level as i32 - 128) as i8;
        }
        if self.metric == Metric::L2 {
            self.norms[slot] = x.iter().map(|v| v * v).sum();
        }
    }

    /// Prepares `q` for scanning.
    pub fn prepare(&self, q: &[f32]) -> Int8Query {
        let w: Vec<f32> = q.iter().zip(&self.step).map(|(a, s)| a * s).collect();
        let max = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = max / 127.0;
        let values = w
            .iter()
            .map(|v| {
                if scale > 0.0 {
                    (v / scale).round().clamp(-127.0, 127.0) as i8
                } else {
                    0
                }
            })
            .collect();
        let offset = q
            .iter()
            .zip(self.lower.iter().zip(&self.step))
            .map(|(qj, (lo, s))| qj * (lo + 128.0 * s))
            .sum();
        Int8Query {
            values,
            scale,
            offset,
            norm2: q.iter().map(|v| v * v).sum(),
        }
    }

    /// Scans every slot, offering the live ones to `top`.
    pub fn scan(&self, q: &Int8Query, live: &[bool], top: &mut TopK) {
        let mut dots = [0i32; SCAN_CHUNK];
        for (chunk_index, codes) in self.codes.chunks(SCAN_CHUNK * self.dimensions).enumerate() {
            let count = codes.len() / self.dimensions;
            kernels::dot_i8_batch(&q.values, codes, &mut dots[..count]);
            let base = chunk_index * SCAN_CHUNK;
            for (i, &dot) in dots[..count].iter().enumerate() {
                let slot = base + i;
                let estimate = q.offset + q.scale * dot as f32;
                let key = match self.metric {
                    Metric::Cosine | Metric::Dot => estimate,
                    Metric::L2 => -(q.norm2 + self.norms[slot] - 2.0 * estimate),
                };
                if key >= top.floor() && live[slot] {
                    top.push(key, slot as u32);
                }
            }
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity()
            + 4 * (self.norms.capacity() + self.lower.capacity() + self.step.capacity())
    }

    /// Serialises the calibration (not the codes).
    pub fn write_model(&self, w: &mut Writer) {
        w.f32s(&self.lower);
        w.f32s(&self.step);
    }

    /// Reads what [`Int8Codes::write_model`] wrote: a calibrated quantizer, no codes yet.
    pub fn read_model(r: &mut Reader, dimensions: usize, metric: Metric) -> Result<Self> {
        let lower = r.f32s("int8 lower bounds")?;
        let step = r.f32s("int8 steps")?;
        if lower.len() != dimensions || step.len() != dimensions {
            return Err(r.corrupt("int8 calibration length differs from dimensions".into()));
        }
        Ok(Int8Codes {
            dimensions,
            metric,
            lower,
            step,
            codes: Vec::new(),
            norms: Vec::new(),
        })
    }

    /// Writes the code of `slot`: `dimensions` signed bytes, then `|x|²` for l2.
    pub fn write_slot(&self, slot: u32, w: &mut Writer) {
        let slot = slot as usize;
        for &c in &self.codes[slot * self.dimensions..(slot + 1) * self.dimensions] {
            w.u8(c as u8);
        }
        if self.metric == Metric::L2 {
            w.f32(self.norms[slot]);
        }
    }

    /// Reads what [`Int8Codes::write_slot`] wrote into `slot` (existing, or the next new one).
    pub fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        let slot = slot as usize;
        let d = self.dimensions;
        let raw = r.raw(d, "int8 codes")?;
        if slot == self.slots() {
            self.codes.resize((slot + 1) * d, 0);
            if self.metric == Metric::L2 {
                self.norms.push(0.0);
            }
        }
        for (c, &b) in self.codes[slot * d..(slot + 1) * d].iter_mut().zip(raw) {
            *c = b as i8;
        }
        if self.metric == Metric::L2 {
            self.norms[slot] = r.f32("int8 norm")?;
        }
        Ok(())
    }
}
