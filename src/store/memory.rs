//! Originals in memory: one row of `dimensions` values per slot (in segments: see
//! [`crate::segmented`]) and a metadata vector. An index loaded from bytes written without
//! originals keeps the metadata alone.

use crate::error::{Result, try_grow};
use crate::segmented::{SEGMENT_SLOTS, Segmented};

/// Keeps every original in memory (`4 × dimensions` bytes a vector), or only the metadata.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    /// False for a metadata-only store: `vectors` stays empty.
    keeps_vectors: bool,
    /// One row per slot.
    vectors: Segmented<f32>,
    /// Per slot: the metadata's JSON text.
    metadata: Vec<Option<Box<str>>>,
}

impl MemoryStore {
    /// An empty store for vectors of `dimensions` values.
    pub fn new(dimensions: usize) -> Self {
        MemoryStore {
            keeps_vectors: true,
            vectors: Segmented::new(dimensions, SEGMENT_SLOTS),
            metadata: Vec::new(),
        }
    }

    /// An empty store that keeps metadata only (`put` ignores the vectors).
    pub fn metadata_only(dimensions: usize) -> Self {
        MemoryStore {
            keeps_vectors: false,
            ..MemoryStore::new(dimensions)
        }
    }

    /// True if the store keeps the originals, not just the metadata.
    pub fn keeps_vectors(&self) -> bool {
        self.keeps_vectors
    }

    /// Stores `vector` and `metadata` (JSON text) in `slot` (an existing slot, or the next new one).
    pub fn put(&mut self, slot: u32, vector: &[f32], metadata: Option<&str>) {
        let slot = slot as usize;
        if slot == self.metadata.len() {
            self.metadata.push(metadata.map(Into::into));
        } else {
            self.metadata[slot] = metadata.map(Into::into);
        }
        if self.keeps_vectors {
            self.vectors.grow_to(slot + 1);
            self.vectors.row_mut(slot).copy_from_slice(vector);
        }
    }

    /// Makes room for `additional` more slots.
    pub fn try_reserve(&mut self, additional: usize) -> Result<()> {
        if self.keeps_vectors {
            self.vectors.try_reserve(additional, "the originals")?;
        }
        try_grow(&mut self.metadata, additional, false, "the metadata")
    }

    /// Forgets what `slot` holds (its vector becomes zeros).
    pub fn clear(&mut self, slot: u32) {
        let slot = slot as usize;
        if self.keeps_vectors {
            self.vectors.row_mut(slot).fill(0.0);
        }
        self.metadata[slot] = None;
    }

    /// The original in `slot` (`None` in a metadata-only store).
    pub fn vector(&self, slot: u32) -> Option<&[f32]> {
        let slot = slot as usize;
        self.keeps_vectors.then(|| self.vectors.row(slot))
    }

    /// The metadata in `slot`.
    pub fn metadata(&self, slot: u32) -> Option<&str> {
        self.metadata[slot as usize].as_deref()
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.vectors.memory_bytes()
            + self.metadata.capacity() * size_of::<Option<Box<str>>>()
            + self
                .metadata
                .iter()
                .flatten()
                .map(|m| m.len())
                .sum::<usize>()
    }
}
