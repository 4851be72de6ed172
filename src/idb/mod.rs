//! The persistent index (`Index.open`): codes and ids in wasm memory, originals and
//! metadata in IndexedDB, read back in the call's transaction.
//!
//! | file | what |
//! |---|---|
//! | [`records`] | the header and code pages (pure Rust) |
//! | [`block`] | the originals' records, 8 slots each (pure Rust) |
//! | `store.rs` | IndexedDB itself: the schema, opening, several contexts (wasm) |
//! | `tx.rs` | one call's transaction: reads, writes, commit (wasm) |
//! | `request.rs` | requests as futures, IndexedDB's errors as the crate's (wasm) |
//! | `originals.rs` | the [`crate::store::Originals`] of a transaction (wasm) |
//! | `persistent.rs` | [`Persistent`]: generations, catch-up, commit (wasm) |
//!
//! The persistent index runs the core's one add path and one search path
//! ([`crate::Index::add_with`], [`crate::Index::search_with`]) with the transaction's
//! originals; what it adds is the transaction around each call.

pub mod block;
pub mod records;

#[cfg(target_arch = "wasm32")]
mod originals;
#[cfg(target_arch = "wasm32")]
mod persistent;
#[cfg(target_arch = "wasm32")]
mod request;
#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
mod tx;

#[cfg(target_arch = "wasm32")]
pub use persistent::Persistent;
pub use records::PAGE_SLOTS;
