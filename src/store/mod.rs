//! Where originals live when the index keeps them in memory. The core asks for originals by
//! slot (the two-phase calls of [`crate::Index`]), so an asynchronous store such as
//! IndexedDB serves them from the JS binding without the core knowing it.

mod memory;

pub use memory::MemoryStore;
