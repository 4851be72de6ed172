//! Where originals live. An index keeps them in memory ([`MemoryStore`]) or outside wasm
//! memory in records of [`block::BLOCK_SLOTS`] slots ([`block::Block`]; the JS binding keeps
//! them in IndexedDB). The core asks for originals by slot (the two-phase calls of
//! [`crate::Index`]), so an asynchronous store serves them without the core knowing it.

pub mod block;
mod memory;

pub use memory::MemoryStore;
#[cfg(target_arch = "wasm32")]
pub mod idb;
