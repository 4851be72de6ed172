//! The rows of an add as the add path reads them: a range at a time from wherever the
//! caller holds them ([`Rows`]: a slice, or a JS `Float32Array` that is never copied into
//! wasm memory whole), each checked and, for cosine, normalised ([`check_vector`]).

use crate::error::{Error, Result, try_grow};
use crate::params::{IndexParams, Metric};

/// Rows an add reads, checks and stores at a time (1.5 MB at 384 dimensions).
pub const ADD_CHUNK_ROWS: usize = 1024;

/// The vectors of an add, `[n][dimensions]` row-major, read a range at a time, so a large
/// batch (a JS `Float32Array`, say) is never copied into wasm memory whole.
pub trait Rows {
    /// Number of values (n × dimensions).
    fn values(&self) -> usize;
    /// Copies values `start..start + out.len()` into `out`; the range is within `values()`.
    fn read(&self, start: usize, out: &mut [f32]);
}

impl Rows for &[f32] {
    fn values(&self) -> usize {
        self.len()
    }

    fn read(&self, start: usize, out: &mut [f32]) {
        out.copy_from_slice(&self[start..start + out.len()]);
    }
}

/// The rows of an add, [`ADD_CHUNK_ROWS`] at a time, each checked and (for cosine)
/// normalised as it will be stored. One buffer of at most a chunk is reused throughout.
pub struct RowChunks<'a> {
    rows: &'a dyn Rows,
    dimensions: usize,
    metric: Metric,
    /// The first row of the next chunk.
    next: usize,
    buffer: Vec<f32>,
    /// The rows passed an earlier pass's checks ([`RowChunks::checked`]): this pass only
    /// normalises them.
    checked: bool,
}

impl<'a> RowChunks<'a> {
    /// Chunks of `rows` for an index of `params` (`rows.values()` a multiple of the
    /// dimensions), each row checked ([`check_vector`]).
    pub fn new(rows: &'a dyn Rows, params: &IndexParams) -> Result<Self> {
        let d = params.dimensions;
        let mut buffer = Vec::new();
        let largest = ADD_CHUNK_ROWS.min(rows.values() / d) * d;
        try_grow(&mut buffer, largest, true, "a chunk of the batch's vectors")?;
        Ok(RowChunks {
            rows,
            dimensions: d,
            metric: params.metric,
            next: 0,
            buffer,
            checked: false,
        })
    }

    /// Chunks of rows that a [`RowChunks::new`] pass over the same `rows` checked already
    /// (the add path's second pass, which stores them): each row is validated once, and
    /// only normalised here.
    pub fn checked(rows: &'a dyn Rows, params: &IndexParams) -> Result<Self> {
        Ok(RowChunks {
            checked: true,
            ..RowChunks::new(rows, params)?
        })
    }

    /// The next chunk, as the batch position of its first row and its rows (`[m][d]`);
    /// `None` after the last. Fails on the first invalid row.
    pub fn next_chunk(&mut self) -> Result<Option<(usize, &[f32])>> {
        let d = self.dimensions;
        let (first, n) = (self.next, self.rows.values() / d);
        if first >= n {
            return Ok(None);
        }
        let count = ADD_CHUNK_ROWS.min(n - first);
        // Within the capacity reserved by `new`: no allocation.
        self.buffer.resize(count * d, 0.0);
        self.rows.read(first * d, &mut self.buffer);
        for (i, row) in self.buffer.chunks_exact_mut(d).enumerate() {
            if self.checked {
                normalise(row, self.metric);
            } else {
                check_vector(row, first + i, self.metric)?;
            }
        }
        self.next += count;
        Ok(Some((first, &self.buffer)))
    }
}

/// Rejects a non-finite vector, or (dot, l2) one whose squared norm overflows f32;
/// normalises it in place for cosine (rejecting zero).
pub(crate) fn check_vector(row: &mut [f32], position: usize, metric: Metric) -> Result<()> {
    if let Some((dimension, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            position,
            dimension,
            value,
        });
    }
    // The codes keep terms such as |x|² in f32: a vector whose squared norm overflows would
    // store ±Infinity, which no index could read back.
    if metric != Metric::Cosine && !row.iter().map(|v| v * v).sum::<f32>().is_finite() {
        return Err(Error::TooLarge { position });
    }
    if metric == Metric::Cosine && !normalise(row, metric) {
        return Err(Error::ZeroVector { position });
    }
    Ok(())
}

/// Scales `row` to unit length in place for cosine (false, unchanged, for a zero vector);
/// nothing for dot and l2.
fn normalise(row: &mut [f32], metric: Metric) -> bool {
    if metric != Metric::Cosine {
        return true;
    }
    let norm = row
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return false;
    }
    for v in row.iter_mut() {
        *v = (f64::from(*v) / norm) as f32;
    }
    true
}
