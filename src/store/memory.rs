//! Originals in memory: one row of `dimensions` values per slot (in segments: see
//! [`crate::segmented`]) and the metadata. [`Metadata`] alone is what a codes-only index
//! keeps.

use super::{ChunkFn, Lookup, Originals, Pending, Row, done};
use crate::error::{Result, try_grow};
use crate::segmented::{SEGMENT_SLOTS, Segmented};

/// Per slot: the metadata's JSON text.
#[derive(Debug, Clone, Default)]
pub struct Metadata(Vec<Option<Box<str>>>);

impl Metadata {
    /// Stores `metadata` in `slot` (an existing slot, or the next new one).
    pub fn set(&mut self, slot: u32, metadata: Option<&str>) {
        let slot = slot as usize;
        if slot == self.0.len() {
            self.0.push(metadata.map(Into::into));
        } else {
            self.0[slot] = metadata.map(Into::into);
        }
    }

    /// The metadata in `slot`.
    pub fn get(&self, slot: u32) -> Option<&str> {
        self.0.get(slot as usize)?.as_deref()
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        try_grow(&mut self.0, additional, false, "the metadata")
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.0.capacity() * size_of::<Option<Box<str>>>()
            + self.0.iter().flatten().map(|m| m.len()).sum::<usize>()
    }
}

/// Keeps every original in memory (`4 × dimensions` bytes a vector) and the metadata.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    /// One row per slot.
    vectors: Segmented<f32>,
    metadata: Metadata,
}

impl MemoryStore {
    /// An empty store for vectors of `dimensions` values.
    pub fn new(dimensions: usize) -> Self {
        MemoryStore {
            vectors: Segmented::new(dimensions, SEGMENT_SLOTS),
            metadata: Metadata::default(),
        }
    }

    /// Stores `vector` and `metadata` (JSON text) in `slot` (an existing slot, or the next
    /// new one).
    pub fn set(&mut self, slot: u32, vector: &[f32], metadata: Option<&str>) {
        self.metadata.set(slot, metadata);
        self.vectors.grow_to(slot as usize + 1);
        self.vectors.row_mut(slot as usize).copy_from_slice(vector);
    }

    /// The metadata alone (what `toBytes({ originals: false })` keeps).
    pub fn metadata_table(&self) -> &Metadata {
        &self.metadata
    }

    /// The original in `slot`.
    pub fn row(&self, slot: u32) -> &[f32] {
        self.vectors.row(slot as usize)
    }

    /// The metadata in `slot`.
    pub fn metadata(&self, slot: u32) -> Option<&str> {
        self.metadata.get(slot)
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.vectors.memory_bytes() + self.metadata.memory_bytes()
    }
}

impl Lookup for MemoryStore {
    fn vector(&self, slot: u32) -> Option<&[f32]> {
        Some(self.row(slot))
    }

    fn metadata(&self, slot: u32) -> Option<&str> {
        self.metadata.get(slot)
    }
}

/// Every call does its work before it returns: nothing is read, only borrowed.
impl Originals for MemoryStore {
    fn keeps_vectors(&self) -> bool {
        true
    }

    fn in_wasm_memory(&self) -> bool {
        true
    }

    fn try_reserve(&mut self, additional: usize) -> Result<()> {
        self.vectors.try_reserve(additional, "the originals")?;
        self.metadata.try_reserve(additional)
    }

    fn fetch<'a>(&'a self, _slots: &[u32]) -> Pending<'a, Box<dyn Lookup + 'a>> {
        done(Ok(Box::new(self)))
    }

    fn scan<'a>(&'a self, live: &'a [u32], f: &'a mut ChunkFn<'_>) -> Pending<'a, ()> {
        f(live, self);
        done(Ok(()))
    }

    fn put<'a>(
        &'a mut self,
        rows: &'a [Row<'_>],
        _live: &'a dyn Fn(u32) -> bool,
    ) -> Pending<'a, ()> {
        for row in rows {
            self.set(row.slot, row.vector, row.metadata);
        }
        done(Ok(()))
    }

    fn clear<'a>(
        &'a mut self,
        slots: &'a [u32],
        _live: &'a dyn Fn(u32) -> bool,
    ) -> Pending<'a, ()> {
        for &slot in slots {
            self.vectors.row_mut(slot as usize).fill(0.0);
            self.metadata.set(slot, None);
        }
        done(Ok(()))
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn vector(&self, slot: u32) -> Option<&[f32]> {
        (**self).vector(slot)
    }

    fn metadata(&self, slot: u32) -> Option<&str> {
        (**self).metadata(slot)
    }
}
