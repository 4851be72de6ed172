//! Rows of a fixed width in segments of [`SEGMENT_SLOTS`] slots, for the buffers that grow
//! with the index (codes, in-memory originals).
//!
//! Why not one `Vec`: growing a `Vec` copies it into a new block while the old one is still
//! alive, and in wasm, linear memory never shrinks. An index that grows by many adds then
//! leaves a trail of freed blocks too small for the next copy (measured in Chromium, 100k
//! vectors added 1,000 at a time, binary codes with the originals in memory: 526 MB of wasm
//! memory for an index holding 194 MB). Here only the last segment ever grows (at least
//! doubling, up to a full segment), so an add copies at most one segment, and segments freed
//! by a refit are the size the new codes ask for.
//!
//! Layout: row `r` is `segments[r >> shift][(r & (2^shift − 1)) × width ..][..width]`:
//! a segment holds `2^shift` rows, and every segment but the last is full.

use crate::error::{Error, Result};

/// Slots a segment holds: a multiple of [`crate::quant::SCAN_CHUNK`], so a scan's chunks
/// never straddle two segments. (Not [`crate::persist::PAGE_SLOTS`], the unit of IndexedDB
/// records: a smaller segment bounds what the growth of the last one copies, 1.5 MB of
/// originals at 384 dimensions.)
pub const SEGMENT_SLOTS: usize = 1024;

/// Rows of `width` values.
#[derive(Debug, Clone)]
pub struct Segmented<T> {
    width: usize,
    /// A segment holds `1 << shift` rows (a power of two: rows are found by shifts).
    shift: u32,
    rows: usize,
    /// Full segments, then the partly filled last one; after a reserve, possibly empty
    /// segments with room already allocated.
    segments: Vec<Vec<T>>,
}

impl<T: Copy + Default> Segmented<T> {
    /// No rows yet; rows of `width` values, `per_segment` (a power of two) rows a segment.
    pub fn new(width: usize, per_segment: usize) -> Self {
        debug_assert!(per_segment.is_power_of_two());
        Segmented {
            width,
            shift: per_segment.trailing_zeros(),
            rows: 0,
            segments: Vec::new(),
        }
    }

    fn per_segment(&self) -> usize {
        1 << self.shift
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Makes room for `additional` more rows, so that appending them allocates nothing;
    /// fails with [`Error::OutOfMemory`] for `what`, keeping the rows as they were and giving
    /// back the segments it added (an index at wasm memory's limit still needs that room for
    /// what fits, such as reusing freed slots).
    // Out of line (here and below): cold, and generic, so each caller would carry a copy.
    #[inline(never)]
    pub fn try_reserve(&mut self, additional: usize, what: &'static str) -> Result<()> {
        let (per_segment, width) = (self.per_segment(), self.width);
        let out_of_memory = |_| Error::OutOfMemory {
            what,
            bytes: additional.saturating_mul(width * size_of::<T>()),
        };
        let wanted = self.rows.saturating_add(additional);
        let segments = wanted.div_ceil(per_segment);
        (self.segments)
            .try_reserve_exact(segments.saturating_sub(self.segments.len()))
            .map_err(out_of_memory)?;
        let before = self.segments.len();
        for s in self.rows >> self.shift..segments {
            if s == self.segments.len() {
                self.segments.push(Vec::new());
            }
            let segment = &mut self.segments[s];
            let values = (wanted - s * per_segment).min(per_segment) * width;
            if segment.capacity() < values {
                let target = room_for(segment.capacity(), values, per_segment * width);
                if let Err(e) = segment.try_reserve_exact(target - segment.len()) {
                    self.segments.truncate(before);
                    return Err(out_of_memory(e));
                }
            }
        }
        Ok(())
    }

    /// Appends zero rows until there are `rows` (no change if there are as many already).
    /// Allocates what [`Segmented::try_reserve`] has not: callers for whom running out of
    /// memory must be an error reserve first.
    pub fn grow_to(&mut self, rows: usize) {
        if rows > self.rows {
            self.append_zeros(rows);
        }
    }

    // Out of line: each append site inlines only the check above.
    #[inline(never)]
    fn append_zeros(&mut self, rows: usize) {
        let (per_segment, full) = (self.per_segment(), self.per_segment() * self.width);
        while self.rows < rows {
            let s = self.rows >> self.shift;
            if s == self.segments.len() {
                self.segments.push(Vec::new());
            }
            let take = (rows - self.rows).min((s + 1) * per_segment - self.rows);
            let segment = &mut self.segments[s];
            let values = segment.len() + take * self.width;
            if segment.capacity() < values {
                segment.reserve_exact(room_for(segment.capacity(), values, full) - segment.len());
            }
            segment.resize(values, T::default());
            self.rows += take;
        }
    }

    /// Row `r` (below `rows()`).
    pub fn row(&self, r: usize) -> &[T] {
        let at = (r & (self.per_segment() - 1)) * self.width;
        &self.segments[r >> self.shift][at..at + self.width]
    }

    /// Row `r` (below `rows()`), to write.
    pub fn row_mut(&mut self, r: usize) -> &mut [T] {
        let at = (r & (self.per_segment() - 1)) * self.width;
        &mut self.segments[r >> self.shift][at..at + self.width]
    }

    /// Calls `f(first, run)` for all rows in order, `rows` at a time (the last run of each
    /// segment may be shorter): `rows` divides the rows a segment holds, so no run straddles
    /// two segments. `first` is the run's first row. (Loops, not a flattening iterator: the
    /// scans call this in five instances, and each would carry the iterator's state machine.)
    pub fn for_each_run(&self, rows: usize, mut f: impl FnMut(usize, &[T])) {
        debug_assert_eq!(self.per_segment() % rows, 0);
        let mut first = 0;
        for segment in &self.segments {
            for run in segment.chunks(rows * self.width) {
                f(first, run);
                first += rows;
            }
        }
    }

    /// Bytes held, counting allocated room.
    #[inline(never)]
    pub fn memory_bytes(&self) -> usize {
        let values: usize = self.segments.iter().map(Vec::capacity).sum();
        values * size_of::<T>() + self.segments.capacity() * size_of::<Vec<T>>()
    }
}

/// The capacity a segment grows to when it must hold `values`: at least double what it had,
/// so that rows appended one at a time cost amortised O(1), but never past a `full` segment.
fn room_for(capacity: usize, values: usize, full: usize) -> usize {
    values.max((2 * capacity).min(full))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(rows: usize, width: usize, per_segment: usize) -> Segmented<u32> {
        let mut s = Segmented::new(width, per_segment);
        for r in 0..rows {
            s.grow_to(r + 1);
            for (j, v) in s.row_mut(r).iter_mut().enumerate() {
                *v = (r * width + j) as u32;
            }
        }
        s
    }

    #[test]
    fn rows_read_back_across_segment_boundaries() {
        let s = filled(23, 3, 4);
        assert_eq!(s.rows(), 23);
        for r in 0..23 {
            let want: Vec<u32> = (r * 3..r * 3 + 3).map(|v| v as u32).collect();
            assert_eq!(s.row(r), want.as_slice(), "row {r}");
        }
        // Runs of 2 rows: segment boundaries (every 4 rows) fall between runs.
        let mut runs: Vec<(usize, Vec<u32>)> = Vec::new();
        s.for_each_run(2, |first, run| runs.push((first, run.to_vec())));
        assert_eq!(runs.len(), 12);
        assert!(runs[..11].iter().all(|(_, r)| r.len() == 6));
        assert_eq!(runs[11], (22, vec![66, 67, 68]));
        let firsts: Vec<usize> = runs.iter().map(|(first, _)| *first).collect();
        assert_eq!(firsts, (0..23).step_by(2).collect::<Vec<_>>());
        let flat: Vec<u32> = runs.into_iter().flat_map(|(_, r)| r).collect();
        assert_eq!(flat, (0..69).collect::<Vec<u32>>());
    }

    #[test]
    fn a_reserve_allocates_what_the_rows_need_and_appending_then_allocates_nothing() {
        let mut s = Segmented::<u8>::new(10, 4);
        s.try_reserve(9, "test").unwrap();
        // Two full segments and one of a row: exact, no doubling from empty.
        assert_eq!(s.memory_bytes(), 90 + 3 * size_of::<Vec<u8>>());
        let held = s.memory_bytes();
        s.grow_to(9);
        assert_eq!(s.memory_bytes(), held);
        assert_eq!(s.rows(), 9);
        // The last segment grows at least 2× (1 row → 2), never past a segment.
        s.try_reserve(1, "test").unwrap();
        assert_eq!(s.segments[2].capacity(), 20);
        s.try_reserve(3, "test").unwrap();
        assert_eq!(s.segments[2].capacity(), 40);
        assert_eq!(s.rows(), 9);
    }

    #[test]
    fn growth_never_copies_more_than_a_segment() {
        let mut s = Segmented::<u8>::new(1, 8);
        for r in 0..100 {
            s.try_reserve(1, "test").unwrap();
            s.grow_to(r + 1);
            assert!(s.segments.iter().all(|seg| seg.capacity() <= 8));
        }
        assert_eq!(s.segments.len(), 13);
    }

    #[test]
    fn an_impossible_reserve_fails_and_keeps_the_rows() {
        let mut s = filled(5, 2, 4);
        let error = s.try_reserve(usize::MAX / 64, "the codes").unwrap_err();
        assert!(matches!(
            error,
            Error::OutOfMemory {
                what: "the codes",
                ..
            }
        ));
        assert_eq!(s.rows(), 5);
        assert_eq!(s.row(4), &[8, 9]);
    }
}
