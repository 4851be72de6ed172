//! Fast-scan storage shared by 4-bit PQ and binary codes (faiss `IndexPQFastScan`; for bits,
//! RaBitQ's FastScan variant): every vector is `m` 4-bit sub-codes, stored in blocks of 32
//! vectors so one 16-byte load holds one sub-code of 32 vectors, and the query is a table of
//! `m × 16` u8 costs looked up with a byte shuffle (see [`crate::kernels::fastscan_u4`]).
//!
//! For PQ a sub-code is a centroid index; for binary codes it is 4 sign bits, and the table
//! holds the query's partial inner product (or Hamming distance) for each of the 16 bit
//! patterns, so one kernel serves both.

use crate::bytes::{Reader, Writer};
use crate::error::Result;
use crate::kernels::{self, FASTSCAN_BLOCK};
use crate::search::topk::TopK;
use crate::segmented::{SEGMENT_SLOTS, Segmented};

use super::SCAN_CHUNK;

/// Sub-codes of every slot in fast-scan blocks.
#[derive(Debug, Clone)]
pub struct Blocks {
    /// Sub-codes per vector.
    m: usize,
    /// Slots stored (the last block may be partly empty).
    slots: usize,
    /// One row per block of [`FASTSCAN_BLOCK`] slots, laid out `[m][16]`: byte `i` of
    /// sub-code `s` holds vector `i` of the block in its low nibble and vector `i + 16` in
    /// its high nibble.
    blocks: Segmented<u8>,
}

/// A query table quantised to u8, and how to read its sums back as costs.
#[derive(Debug, Clone)]
pub struct Table {
    /// `[m][16]` u8; `Σ_m max(table[m]) ≤ 65535`, so the kernel's u16 sums cannot overflow.
    pub table: Vec<u8>,
    /// cost ≈ `sum × unit + bias`.
    pub unit: f32,
    /// `Σ_m min(cost[m])`.
    pub bias: f32,
}

impl Table {
    /// Quantises `costs` (`[m][16]` f32, lower is better) with one scale for all sub-codes
    /// (the sums must share a unit) and a bias per sub-code (faiss's scheme). The largest
    /// entry is `min(255, 65535 / m)` so the sums fit u16 for any `m`.
    pub fn quantize(costs: &[f32]) -> Table {
        let m = costs.len() / 16;
        let mut biases = Vec::with_capacity(m);
        let mut widest = 0.0f32;
        for sub in costs.chunks_exact(16) {
            let lo = sub.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = sub.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            biases.push(lo);
            widest = widest.max(hi - lo);
        }
        let top = (65_535 / m.max(1)).min(255) as f32;
        let scale = if widest > 0.0 { top / widest } else { 0.0 };
        let table = costs
            .chunks_exact(16)
            .zip(&biases)
            .flat_map(|(sub, &bias)| {
                sub.iter()
                    .map(move |&c| ((c - bias) * scale).round().clamp(0.0, top) as u8)
            })
            .collect();
        Table {
            table,
            unit: if scale > 0.0 { 1.0 / scale } else { 0.0 },
            bias: biases.iter().sum(),
        }
    }

    /// The largest sum whose cost is at most `cost`, for rejecting codes in the integer
    /// domain (one compare per code). Rounded up by one unit so that float rounding can only
    /// let a code through to the exact key check, never wrongly reject it.
    pub fn sum_limit(&self, cost: f32) -> u16 {
        if self.unit == 0.0 {
            return u16::MAX;
        }
        let limit = ((cost - self.bias) / self.unit).floor() + 1.0;
        limit.clamp(-1.0, 65_535.0) as i32 as u16
    }
}

impl Blocks {
    /// Empty storage for vectors of `m` sub-codes.
    pub fn new(m: usize) -> Self {
        Blocks {
            m,
            slots: 0,
            blocks: Segmented::new(m * 16, SEGMENT_SLOTS / FASTSCAN_BLOCK),
        }
    }

    /// Number of slots stored.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        let blocks = (self.slots + additional).div_ceil(FASTSCAN_BLOCK);
        (self.blocks).try_reserve(blocks.saturating_sub(self.blocks.rows()), "the codes")
    }

    /// Stores `codes` (`m` values below 16) in `slot` (an existing slot, or the next new one).
    pub fn set(&mut self, slot: usize, codes: &[u8]) {
        debug_assert_eq!(codes.len(), self.m);
        if slot == self.slots {
            self.slots += 1;
            self.blocks.grow_to(self.slots.div_ceil(FASTSCAN_BLOCK));
        }
        let (block, lane) = (slot / FASTSCAN_BLOCK, slot % FASTSCAN_BLOCK);
        let (byte, shift) = (lane % 16, 4 * (lane / 16));
        let block = self.blocks.row_mut(block);
        for (sub, &code) in codes.iter().enumerate() {
            let at = &mut block[sub * 16 + byte];
            *at = (*at & !(0x0f << shift)) | ((code & 0x0f) << shift);
        }
    }

    /// Scans every slot with `table`. Sums above `limit()` are skipped without further work;
    /// for the others `key(slot, sum)` gives the ranking key, and live slots are offered to
    /// `top`. `limit` is re-read after every admission, as the top-k floor rises.
    pub fn scan(
        &self,
        table: &Table,
        live: &[bool],
        top: &mut TopK,
        limit: impl Fn(&TopK) -> u16,
        key: impl Fn(usize, u16) -> f32,
    ) {
        let mut sums = [0u16; SCAN_CHUNK];
        let mut admitted = [0u16; SCAN_CHUNK];
        let block_bytes = self.m * 16;
        let blocks_per_chunk = SCAN_CHUNK / FASTSCAN_BLOCK;
        let mut bound = limit(top);
        self.blocks
            .for_each_run(blocks_per_chunk, |first_block, blocks| {
                let count = blocks.len() / block_bytes * FASTSCAN_BLOCK;
                kernels::fastscan_u4(&table.table, blocks, &mut sums[..count]);
                let base = first_block * FASTSCAN_BLOCK;
                let valid = count.min(self.slots.saturating_sub(base));
                // The bound only falls while the chunk is visited, so filtering with its value at
                // the start keeps every code that can still enter (and is checked again below).
                let passed = kernels::indices_le_u16(&sums[..valid], bound, &mut admitted);
                for &i in &admitted[..passed] {
                    let (i, sum) = (usize::from(i), sums[usize::from(i)]);
                    if sum > bound {
                        continue;
                    }
                    let slot = base + i;
                    let k = key(slot, sum);
                    if k >= top.floor() && live[slot] {
                        top.push(k, slot as u32);
                        bound = limit(top);
                    }
                }
            });
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.blocks.memory_bytes()
    }

    /// The sub-codes of `slot` (`m` values below 16) into `codes`.
    pub fn get(&self, slot: usize, codes: &mut [u8]) {
        let (block, lane) = (slot / FASTSCAN_BLOCK, slot % FASTSCAN_BLOCK);
        let (byte, shift) = (lane % 16, 4 * (lane / 16));
        let block = self.blocks.row(block);
        for (sub, code) in codes.iter_mut().enumerate() {
            *code = (block[sub * 16 + byte] >> shift) & 0x0f;
        }
    }

    /// Writes the sub-codes of `slot`, two per byte (`ceil(m / 2)` bytes, low nibble first).
    pub fn write_slot(&self, slot: usize, w: &mut Writer) {
        let mut codes = vec![0u8; self.m];
        self.get(slot, &mut codes);
        for pair in codes.chunks(2) {
            w.u8(pair[0] | pair.get(1).map_or(0, |hi| hi << 4));
        }
    }

    /// Reads what [`Blocks::write_slot`] wrote into `slot` (an existing slot, or the next new one).
    pub fn read_slot(&mut self, slot: usize, r: &mut Reader) -> Result<()> {
        let packed = r.raw(self.m.div_ceil(2), "fast-scan codes")?;
        let codes: Vec<u8> = (0..self.m)
            .map(|i| (packed[i / 2] >> (4 * (i % 2))) & 0x0f)
            .collect();
        self.set(slot, &codes);
        Ok(())
    }
}
