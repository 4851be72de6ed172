//! Where originals live, behind one trait, [`Originals`], that the index's one add path and
//! one search path call ([`crate::Index::add_with`], [`crate::Index::search_with`]):
//!
//! | home | type | reads |
//! |---|---|---|
//! | wasm memory | [`MemoryStore`] | borrowed in place, no copy |
//! | IndexedDB | `crate::idb::TxOriginals` (wasm only) | records of 8 slots, in the call's transaction |
//! | none (an index loaded without originals) | [`Home::CodesOnly`] | metadata only |
//!
//! An index owns a [`Home`]: one of the three states, chosen when it is made. The trait is
//! asynchronous because IndexedDB is; a store in memory answers at once, so the
//! synchronous calls of [`crate::Index`] complete its futures on their first poll
//! ([`ready`]).

mod memory;

use core::future::Future;
use core::pin::{Pin, pin};
use core::task::{Context, Poll, Waker};

use crate::error::{Error, Result};
pub use memory::{MemoryStore, Metadata};

/// Originals and metadata of some slots, as a store made them available.
pub trait Lookup {
    /// The original of `slot` (normalised for cosine), if the store has it.
    fn vector(&self, slot: u32) -> Option<&[f32]>;
    /// The metadata's JSON text of `slot`, if any.
    fn metadata(&self, slot: u32) -> Option<&str>;
}

/// One row an add stores: a checked (for cosine, normalised) vector in its planned slot.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// The slot it goes to.
    pub slot: u32,
    /// `dimensions` values.
    pub vector: &'a [f32],
    /// The metadata's JSON text.
    pub metadata: Option<&'a str>,
}

/// What the scan of [`Originals::scan`] calls: a chunk of live slots (ascending) and a
/// lookup holding their originals.
pub type ChunkFn<'f> = dyn FnMut(&[u32], &dyn Lookup) + 'f;

/// A store's answer, once it has read or written what it was asked to.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + 'a>>;

/// A place originals and metadata live. Every method names slots the index has planned or
/// holds; `live` tells a store that groups slots into records which other slots hold a
/// vector (so a record it rewrites keeps them).
///
/// Object-safe (boxed futures rather than `async fn`): the add and search paths take
/// `&dyn Originals`, so wasm holds one copy of each path, not one per store (measured: the
/// generic paths cost the core module 3.5 KB gzipped). A box per store call is nothing
/// beside what a call does.
pub trait Originals {
    /// True if the store keeps the vectors themselves (false for a codes-only index, which
    /// keeps metadata alone).
    fn keeps_vectors(&self) -> bool;

    /// True if the originals are in wasm memory: a refit there must prove its whole
    /// allocation available up front, since nothing may fail after the rows are stored.
    fn in_wasm_memory(&self) -> bool;

    /// Makes room for `additional` more slots (a store in memory), failing before anything
    /// changes.
    fn try_reserve(&mut self, additional: usize) -> Result<()>;

    /// Reads the originals and metadata of `slots` (live slots, any order, repeats
    /// allowed); a live slot whose original is missing is [`Error::Corrupt`].
    fn fetch<'a>(&'a self, slots: &[u32]) -> Pending<'a, Box<dyn Lookup + 'a>>;

    /// Calls `f` with chunks of `live` (live slots, ascending) and their originals; a store
    /// outside wasm memory reads at most [`crate::index::ADD_CHUNK_ROWS`] slots' worth at a
    /// time, so an exact search or a refit never holds more than that.
    fn scan<'a>(&'a self, live: &'a [u32], f: &'a mut ChunkFn<'_>) -> Pending<'a, ()>;

    /// Stores `rows`.
    fn put<'a>(&'a mut self, rows: &'a [Row<'_>], live: &'a dyn Fn(u32) -> bool)
    -> Pending<'a, ()>;

    /// Forgets `slots` (just deleted: `live` is already false for them).
    fn clear<'a>(&'a mut self, slots: &'a [u32], live: &'a dyn Fn(u32) -> bool) -> Pending<'a, ()>;
}

/// Where an index keeps its originals: the three states.
#[derive(Debug, Clone)]
pub enum Home {
    /// In wasm memory, with the metadata.
    Memory(MemoryStore),
    /// Outside the index (IndexedDB): its calls take the store as an argument
    /// ([`crate::Index::add_with`], [`crate::Index::search_with`]).
    Elsewhere,
    /// Nowhere: an index loaded from bytes written without originals keeps its metadata
    /// and searches its codes without rescoring.
    CodesOnly(Metadata),
}

impl Lookup for Metadata {
    fn vector(&self, _slot: u32) -> Option<&[f32]> {
        None
    }

    fn metadata(&self, slot: u32) -> Option<&str> {
        self.get(slot)
    }
}

impl Home {
    /// The metadata of `slot`, when the index holds it.
    pub fn metadata(&self, slot: u32) -> Option<&str> {
        match self {
            Home::Memory(store) => store.metadata(slot),
            Home::CodesOnly(metadata) => metadata.get(slot),
            Home::Elsewhere => None,
        }
    }

    /// Bytes held in wasm memory.
    pub fn memory_bytes(&self) -> usize {
        match self {
            Home::Memory(store) => store.memory_bytes(),
            Home::CodesOnly(metadata) => metadata.memory_bytes(),
            Home::Elsewhere => 0,
        }
    }

    fn codes_only() -> Error {
        Error::NoOriginals {
            action: "take new vectors",
        }
    }
}

/// An answer at once.
pub fn done<'a, T: 'a>(result: Result<T>) -> Pending<'a, T> {
    Box::pin(core::future::ready(result))
}

impl Originals for Home {
    fn keeps_vectors(&self) -> bool {
        !matches!(self, Home::CodesOnly(_))
    }

    fn in_wasm_memory(&self) -> bool {
        !matches!(self, Home::Elsewhere)
    }

    fn try_reserve(&mut self, additional: usize) -> Result<()> {
        match self {
            Home::Memory(store) => store.try_reserve(additional),
            Home::Elsewhere => Err(Error::OriginalsElsewhere),
            Home::CodesOnly(_) => Err(Home::codes_only()),
        }
    }

    fn fetch<'a>(&'a self, slots: &[u32]) -> Pending<'a, Box<dyn Lookup + 'a>> {
        match self {
            Home::Memory(store) => store.fetch(slots),
            Home::CodesOnly(metadata) => done(Ok(Box::new(metadata))),
            Home::Elsewhere => done(Err(Error::OriginalsElsewhere)),
        }
    }

    fn scan<'a>(&'a self, live: &'a [u32], f: &'a mut ChunkFn<'_>) -> Pending<'a, ()> {
        match self {
            Home::Memory(store) => store.scan(live, f),
            Home::CodesOnly(_) => done(Err(Error::NoOriginals {
                action: "search exactly",
            })),
            Home::Elsewhere => done(Err(Error::OriginalsElsewhere)),
        }
    }

    fn put<'a>(
        &'a mut self,
        rows: &'a [Row<'_>],
        live: &'a dyn Fn(u32) -> bool,
    ) -> Pending<'a, ()> {
        match self {
            Home::Memory(store) => store.put(rows, live),
            Home::CodesOnly(_) => done(Err(Home::codes_only())),
            Home::Elsewhere => done(Err(Error::OriginalsElsewhere)),
        }
    }

    fn clear<'a>(&'a mut self, slots: &'a [u32], live: &'a dyn Fn(u32) -> bool) -> Pending<'a, ()> {
        match self {
            Home::Memory(store) => store.clear(slots, live),
            Home::CodesOnly(metadata) => {
                slots.iter().for_each(|&slot| metadata.set(slot, None));
                done(Ok(()))
            }
            // Deleting from an index whose originals live elsewhere touches its codes and
            // ids only; its caller clears the store it keeps.
            Home::Elsewhere => done(Ok(())),
        }
    }
}

/// The output of a future that completes on its first poll, as every future of a store in
/// memory does; `None` if it did not (it then awaited a store outside memory, which the
/// synchronous calls never pass).
pub fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}
