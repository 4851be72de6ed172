//! Where the original vectors and their metadata live. The index keeps only codes in its
//! scans; it asks a `VectorStore` for the originals of the few candidates it rescores.
//! The in-memory store is here; the IndexedDB store (browser) implements the same trait.

mod memory;

pub use memory::MemoryStore;

/// Originals and metadata by dense slot.
pub trait VectorStore {
    /// Stores `vector` (exactly `dimensions` values) and `metadata` (a JSON text) in `slot`,
    /// replacing what was there. `slot` is at most the current number of slots.
    fn put(&mut self, slot: u32, vector: &[f32], metadata: Option<&str>);
    /// Makes room for `additional` more slots.
    fn reserve(&mut self, additional: usize);
    /// Forgets what `slot` holds.
    fn clear(&mut self, slot: u32);
    /// The original in `slot` (zeros for a cleared slot).
    fn vector(&self, slot: u32) -> &[f32];
    /// The metadata in `slot`.
    fn metadata(&self, slot: u32) -> Option<&str>;
    /// Bytes held in (wasm) memory.
    fn memory_bytes(&self) -> usize;
}
