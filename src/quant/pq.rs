//! Product quantization: the vector is cut into `m` sub-vectors of `dsub = D/m` dimensions,
//! each replaced by the index of its nearest centroid in a per-subspace codebook.
//!
//! Two code layouts share one [`Codebooks`]:
//! - 8 bits (256 centroids): one byte per subspace, `[slot][m]`, scanned with a float
//!   lookup table `[m][256]` (asymmetric distance computation).
//! - 4 bits (16 centroids): faiss-style fast-scan blocks of 32 vectors, scanned with u8
//!   tables held in SIMD registers (see [`crate::kernels::fastscan_u4`]).
//!
//! Training uses a bounded random sample ([`TRAIN_SAMPLE`] vectors), so fitting 100k vectors
//! costs the same as fitting 10k.

use crate::bytes::{Reader, Writer};
use crate::error::Result;
use crate::kernels;
use crate::params::{IndexParams, Metric, Quantization};
use crate::rng::Rng;
use crate::search::topk::TopK;
use crate::segmented::{SEGMENT_SLOTS, Segmented};

use super::fastscan::{Blocks, Table};
use super::{Quantizer, SCAN_CHUNK, kmeans};

/// Most vectors k-means sees. 8,192 gives 32 points per centroid at 256 centroids, close
/// to faiss's advice (≥ 39); more costs training time linearly for little recall.
pub const TRAIN_SAMPLE: usize = 8192;
/// Lloyd iterations at most (k-means stops earlier once under 0.1% of points move).
const ITERATIONS: usize = 12;

/// Per-subspace codebooks.
#[derive(Debug, Clone)]
pub struct Codebooks {
    m: usize,
    dsub: usize,
    /// Centroids per subspace: 256 or 16.
    k: usize,
    /// Layout `[m][k][dsub]`.
    centroids: Vec<f32>,
    /// Layout `[m][dsub][k]` with `[m][k]` norms: the assignment step's form.
    transposed: Vec<f32>,
    norms: Vec<f32>,
}

impl Codebooks {
    /// Trains `m` codebooks of `k` centroids on `sample` (`[n][dimensions]`).
    pub fn train(sample: &[f32], dimensions: usize, m: usize, k: usize, rng: &mut Rng) -> Self {
        let n = sample.len() / dimensions;
        let dsub = dimensions / m;
        let chosen = rng.sample_indices(n, TRAIN_SAMPLE);
        let mut centroids = Vec::with_capacity(m * k * dsub);
        let mut sub_points = Vec::with_capacity(chosen.len() * dsub);
        for sub in 0..m {
            sub_points.clear();
            for &i in &chosen {
                let start = i * dimensions + sub * dsub;
                sub_points.extend_from_slice(&sample[start..start + dsub]);
            }
            centroids.extend(kmeans::kmeans(&sub_points, dsub, k, ITERATIONS, rng));
        }
        Self::from_centroids(m, dsub, k, centroids)
    }

    fn from_centroids(m: usize, dsub: usize, k: usize, centroids: Vec<f32>) -> Self {
        let mut transposed = vec![0.0; m * k * dsub];
        let mut norms = vec![0.0; m * k];
        for sub in 0..m {
            let range = sub * k * dsub..(sub + 1) * k * dsub;
            kmeans::transpose(
                &centroids[range.clone()],
                dsub,
                k,
                &mut transposed[range],
                &mut norms[sub * k..(sub + 1) * k],
            );
        }
        Codebooks {
            m,
            dsub,
            k,
            centroids,
            transposed,
            norms,
        }
    }

    /// Writes the nearest centroid of each sub-vector of `x` into `codes` (`m` entries).
    pub fn encode(&self, x: &[f32], codes: &mut [u8]) {
        // k is 16 or 256: distances fit on the stack.
        let mut distances = [0.0f32; 256];
        let distances = &mut distances[..self.k];
        let block = self.k * self.dsub;
        for (sub, code) in codes.iter_mut().enumerate() {
            *code = kmeans::nearest(
                &x[sub * self.dsub..(sub + 1) * self.dsub],
                &self.transposed[sub * block..(sub + 1) * block],
                &self.norms[sub * self.k..(sub + 1) * self.k],
                distances,
            ) as u8;
        }
    }

    /// Lookup table `[m][k]` of higher-is-better keys: `<q_sub, c>` for dot/cosine,
    /// `−|q_sub − c|²` for l2, so that the sum over subspaces is the key of the whole vector.
    pub fn table(&self, q: &[f32], metric: Metric) -> Vec<f32> {
        let mut table = Vec::with_capacity(self.m * self.k);
        for (sub, codebook) in self.centroids.chunks_exact(self.k * self.dsub).enumerate() {
            let q_sub = &q[sub * self.dsub..(sub + 1) * self.dsub];
            table.extend(codebook.chunks_exact(self.dsub).map(|c| match metric {
                Metric::Cosine | Metric::Dot => kernels::dot_f32(q_sub, c),
                Metric::L2 => -kernels::l2sq_f32(q_sub, c),
            }));
        }
        table
    }

    fn memory_bytes(&self) -> usize {
        4 * (self.centroids.capacity() + self.transposed.capacity() + self.norms.capacity())
    }

    fn write(&self, w: &mut Writer) {
        w.u32(self.m as u32);
        w.u32(self.k as u32);
        w.f32s(&self.centroids);
    }

    fn read(r: &mut Reader, dimensions: usize, bits: u8) -> Result<Self> {
        let m = r.u32("pq subspaces")? as usize;
        let k = r.u32("pq centroids")? as usize;
        if m == 0 || dimensions % m != 0 || k != 1 << bits {
            let expected = format!("a shape that fits {dimensions} dimensions");
            return Err(r.invalid("pq shape", &expected, Some(format!("{m} × {k}"))));
        }
        let dsub = dimensions / m;
        let centroids = r.f32s("pq centroids")?;
        if centroids.len() != m * k * dsub {
            return Err(r.invalid("pq centroid count", "the codebook shape's", None));
        }
        Ok(Self::from_centroids(m, dsub, k, centroids))
    }
}

/// The subspace count and k-means seed of PQ parameters (1 subspace and no seed for any
/// other quantization, which the PQ encodings never serve).
fn pq_options(quantization: &Quantization) -> (usize, Option<u64>) {
    match *quantization {
        Quantization::Pq {
            subspaces, seed, ..
        } => (subspaces, seed),
        _ => (1, None),
    }
}

/// A query prepared for 8-bit PQ: its cost table, `[m][256]` (see [`Codebooks::table`]).
pub struct PqTable(Vec<f32>);

/// 8-bit PQ codes.
#[derive(Debug, Clone)]
pub struct PqCodes {
    metric: Metric,
    books: Codebooks,
    /// One row of `m` codes per slot.
    codes: Segmented<u8>,
}

impl PqCodes {
    /// Trains 256-centroid codebooks on `sample`.
    fn train(dimensions: usize, metric: Metric, m: usize, sample: &[f32], rng: &mut Rng) -> Self {
        PqCodes {
            metric,
            books: Codebooks::train(sample, dimensions, m, 256, rng),
            codes: Segmented::new(m, SEGMENT_SLOTS),
        }
    }

    /// Number of slots encoded.
    pub fn slots(&self) -> usize {
        self.codes.rows()
    }
}

impl Quantizer for PqCodes {
    type Query = PqTable;

    fn serves(quantization: &Quantization) -> bool {
        matches!(quantization, Quantization::Pq { bits: 8, .. })
    }

    /// k-means wants enough points per centroid to mean something: 16 for 256 centroids.
    fn fit_threshold(_: &Quantization) -> usize {
        4096
    }

    fn code_bytes(quantization: &Quantization, _: usize) -> usize {
        8 + pq_options(quantization).0
    }

    fn fit(params: &IndexParams, sample: &[f32]) -> Self {
        let (subspaces, seed) = pq_options(&params.quantization);
        let mut rng = seed.map_or_else(Rng::from_entropy, Rng::from_seed);
        Self::train(
            params.dimensions,
            params.metric,
            subspaces,
            sample,
            &mut rng,
        )
    }

    /// Makes room for `additional` more slots.
    fn try_reserve(&mut self, additional: usize) -> Result<()> {
        self.codes.try_reserve(additional, "the codes")
    }

    /// Encodes `x` into `slot` (an existing slot, or the next new one).
    fn set(&mut self, slot: u32, x: &[f32]) {
        let slot = slot as usize;
        self.codes.grow_to(slot + 1);
        self.books.encode(x, self.codes.row_mut(slot));
    }

    /// The query's lookup table.
    fn prepare(&self, q: &[f32]) -> PqTable {
        PqTable(self.books.table(q, self.metric))
    }

    /// Scans every slot, offering the live ones to `top`.
    fn scan(&self, PqTable(table): &PqTable, live: &[bool], top: &mut TopK) {
        let mut keys = [0.0f32; SCAN_CHUNK];
        self.codes.for_each_run(SCAN_CHUNK, |base, codes| {
            let count = codes.len() / self.books.m;
            kernels::pq_adc_batch(table, codes, &mut keys[..count]);
            for (i, &key) in keys[..count].iter().enumerate() {
                if key >= top.floor() && live[base + i] {
                    top.push(key, (base + i) as u32);
                }
            }
        });
    }

    /// Bytes held.
    fn memory_bytes(&self) -> usize {
        self.codes.memory_bytes() + self.books.memory_bytes()
    }

    /// Serialises the codebooks (not the codes).
    fn write_model(&self, w: &mut Writer) {
        self.books.write(w);
    }

    /// Reads what [`PqCodes::write_model`] wrote: trained codebooks, no codes yet.
    fn read_model(r: &mut Reader, params: &IndexParams) -> Result<Self> {
        let (dimensions, metric) = (params.dimensions, params.metric);
        let books = Codebooks::read(r, dimensions, 8)?;
        Ok(PqCodes {
            metric,
            codes: Segmented::new(books.m, SEGMENT_SLOTS),
            books,
        })
    }

    /// Writes the code of `slot`: one byte per subspace.
    fn write_slot(&self, slot: u32, w: &mut Writer) {
        w.raw(self.codes.row(slot as usize));
    }

    /// Reads what [`PqCodes::write_slot`] wrote into `slot` (existing, or the next new one).
    fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        let slot = slot as usize;
        let raw = r.raw(self.books.m, "pq codes")?;
        self.codes.grow_to(slot + 1);
        self.codes.row_mut(slot).copy_from_slice(raw);
        Ok(())
    }
}

/// 4-bit PQ codes in fast-scan blocks.
#[derive(Debug, Clone)]
pub struct FastScanCodes {
    metric: Metric,
    books: Codebooks,
    blocks: Blocks,
}

impl FastScanCodes {
    /// Trains 16-centroid codebooks on `sample`.
    fn train(dimensions: usize, metric: Metric, m: usize, sample: &[f32], rng: &mut Rng) -> Self {
        FastScanCodes {
            metric,
            books: Codebooks::train(sample, dimensions, m, 16, rng),
            blocks: Blocks::new(m),
        }
    }
}

impl Quantizer for FastScanCodes {
    type Query = Table;

    fn serves(quantization: &Quantization) -> bool {
        matches!(quantization, Quantization::Pq { bits: 4, .. })
    }

    /// k-means wants enough points per centroid to mean something: 64 for 16 centroids.
    fn fit_threshold(_: &Quantization) -> usize {
        1024
    }

    fn code_bytes(quantization: &Quantization, _: usize) -> usize {
        8 + pq_options(quantization).0.div_ceil(2)
    }

    fn fit(params: &IndexParams, sample: &[f32]) -> Self {
        let (subspaces, seed) = pq_options(&params.quantization);
        let mut rng = seed.map_or_else(Rng::from_entropy, Rng::from_seed);
        Self::train(
            params.dimensions,
            params.metric,
            subspaces,
            sample,
            &mut rng,
        )
    }

    /// Makes room for `additional` more slots.
    fn try_reserve(&mut self, additional: usize) -> Result<()> {
        self.blocks.try_reserve(additional)
    }

    /// Encodes `x` into `slot` (an existing slot, or the next new one).
    fn set(&mut self, slot: u32, x: &[f32]) {
        // 4-bit PQ has at most 256 subspaces (IndexParams checks it).
        let mut codes = [0u8; 256];
        let codes = &mut codes[..self.books.m];
        self.books.encode(x, codes);
        self.blocks.set(slot as usize, codes);
    }

    /// The query's u8 table. Costs are the negated keys (lower is better).
    fn prepare(&self, q: &[f32]) -> Table {
        let costs: Vec<f32> = self
            .books
            .table(q, self.metric)
            .iter()
            .map(|k| -k)
            .collect();
        Table::quantize(&costs)
    }

    /// Scans every slot, offering the live ones to `top`. The key is `−cost`, so the top-k
    /// floor bounds the admissible sum directly.
    fn scan(&self, table: &Table, live: &[bool], top: &mut TopK) {
        self.blocks.scan(
            table,
            live,
            top,
            |top| table.sum_limit(-top.floor()),
            |_, sum| -(f32::from(sum) * table.unit + table.bias),
        );
    }

    /// Bytes held.
    fn memory_bytes(&self) -> usize {
        self.blocks.memory_bytes() + self.books.memory_bytes()
    }

    /// Serialises the codebooks (not the codes).
    fn write_model(&self, w: &mut Writer) {
        self.books.write(w);
    }

    /// Reads what [`FastScanCodes::write_model`] wrote: trained codebooks, no codes yet.
    fn read_model(r: &mut Reader, params: &IndexParams) -> Result<Self> {
        let (dimensions, metric) = (params.dimensions, params.metric);
        let books = Codebooks::read(r, dimensions, 4)?;
        let blocks = Blocks::new(books.m);
        Ok(FastScanCodes {
            metric,
            books,
            blocks,
        })
    }

    /// Writes the code of `slot`: its sub-codes, two per byte.
    fn write_slot(&self, slot: u32, w: &mut Writer) {
        self.blocks.write_slot(slot as usize, w);
    }

    /// Reads what [`FastScanCodes::write_slot`] wrote into `slot` (existing, or the next new one).
    fn read_slot(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        self.blocks.read_slot(slot as usize, r)
    }
}
