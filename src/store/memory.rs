//! Originals in memory: one contiguous `Vec<f32>` (slot-major) and a metadata vector.

/// Keeps every original in memory: `4 × dimensions` bytes a vector.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    dimensions: usize,
    /// Layout: `[slot][dimensions]`.
    vectors: Vec<f32>,
    /// Per slot: the metadata's JSON text.
    metadata: Vec<Option<Box<str>>>,
}

impl MemoryStore {
    /// An empty store for vectors of `dimensions` values.
    pub fn new(dimensions: usize) -> Self {
        MemoryStore {
            dimensions,
            vectors: Vec::new(),
            metadata: Vec::new(),
        }
    }

    /// All originals, slot-major: `[slot][dimensions]`.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// Stores `vector` and `metadata` (JSON text) in `slot` (an existing slot, or the next new one).
    pub fn put(&mut self, slot: u32, vector: &[f32], metadata: Option<&str>) {
        debug_assert_eq!(vector.len(), self.dimensions);
        let slot = slot as usize;
        if slot == self.metadata.len() {
            self.vectors.extend_from_slice(vector);
            self.metadata.push(metadata.map(Into::into));
        } else {
            self.vectors[slot * self.dimensions..(slot + 1) * self.dimensions]
                .copy_from_slice(vector);
            self.metadata[slot] = metadata.map(Into::into);
        }
    }

    /// Makes room for `additional` more slots.
    pub fn reserve(&mut self, additional: usize) {
        self.vectors.reserve(additional * self.dimensions);
        self.metadata.reserve(additional);
    }

    /// Forgets what `slot` holds (its vector becomes zeros).
    pub fn clear(&mut self, slot: u32) {
        let slot = slot as usize;
        self.vectors[slot * self.dimensions..(slot + 1) * self.dimensions].fill(0.0);
        self.metadata[slot] = None;
    }

    /// The original in `slot`.
    pub fn vector(&self, slot: u32) -> &[f32] {
        let slot = slot as usize;
        &self.vectors[slot * self.dimensions..(slot + 1) * self.dimensions]
    }

    /// The metadata in `slot`.
    pub fn metadata(&self, slot: u32) -> Option<&str> {
        self.metadata[slot as usize].as_deref()
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.vectors.capacity() * 4
            + self.metadata.capacity() * size_of::<Option<Box<str>>>()
            + self
                .metadata
                .iter()
                .flatten()
                .map(|m| m.len())
                .sum::<usize>()
    }
}
