//! String ids ↔ dense slots, compactly: every id's UTF-8 bytes live in one buffer, and the
//! hash table holds only slot numbers (4 bytes + 1 control byte a bucket), not `String`s.
//!
//! Memory per live id: its bytes + 6 (span) + about 5–10 (table at load ≤ 7/8).
//! A freed or replaced id leaves its bytes behind as garbage; the buffer is compacted when
//! garbage exceeds half of it, so it stays within 2× the live bytes.

use core::hash::BuildHasher;
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::error::{Error, Result, try_grow};

/// Longest accepted id in UTF-8 bytes (spans store the length in a u16).
pub const MAX_ID_BYTES: usize = u16::MAX as usize - 1;
/// Marks a slot without an id (free or never used).
const NO_ID: u16 = u16::MAX;

/// The id of a live `slot` as stored in the three parallel buffers (a free function so the
/// hash table's closures can borrow the buffers while the table itself is borrowed mutably).
fn stored_id<'a>(bytes: &'a [u8], starts: &[u32], lens: &[u16], slot: u32) -> &'a str {
    let (start, len) = (
        starts[slot as usize] as usize,
        usize::from(lens[slot as usize]),
    );
    // Only whole &str values are ever copied in, so every stored id is valid UTF-8.
    core::str::from_utf8(&bytes[start..start + len]).unwrap_or("")
}

/// The id map.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    /// All id bytes, back to back; `starts[slot]..starts[slot] + lens[slot]`.
    bytes: Vec<u8>,
    /// Per slot: offset of its id in `bytes`.
    starts: Vec<u32>,
    /// Per slot: id length, or `NO_ID`.
    lens: Vec<u16>,
    /// Slots of live ids, hashed by id.
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Bytes in `bytes` no live id refers to.
    garbage: usize,
}

impl IdMap {
    /// Number of slots (live or free).
    pub fn slots(&self) -> usize {
        self.lens.len()
    }

    /// Number of live ids.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True if no id is live.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The id stored in `slot`, if it is live.
    pub fn id(&self, slot: u32) -> Option<&str> {
        let slot = slot as usize;
        if *self.lens.get(slot)? == NO_ID {
            return None;
        }
        Some(stored_id(
            &self.bytes,
            &self.starts,
            &self.lens,
            slot as u32,
        ))
    }

    /// The slot of `id`, if present.
    pub fn slot(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |&slot| self.id(slot) == Some(id))
            .copied()
    }

    /// Makes room for `ids` more ids of `bytes` bytes in all; fails, changing nothing a
    /// caller can see, if memory cannot grow.
    pub fn try_reserve(&mut self, ids: usize, bytes: usize) -> Result<()> {
        try_grow(&mut self.bytes, bytes, false, "the ids")?;
        try_grow(&mut self.starts, ids, false, "the ids")?;
        try_grow(&mut self.lens, ids, false, "the ids")?;
        let (all, starts, lens, hasher) = (&self.bytes, &self.starts, &self.lens, &self.hasher);
        self.table
            .try_reserve(ids, |&s| hasher.hash_one(stored_id(all, starts, lens, s)))
            .map_err(|_| Error::OutOfMemory {
                what: "the ids",
                bytes: ids * size_of::<u32>(),
            })
    }

    /// Binds `id` (not present, at most [`MAX_ID_BYTES`]) to `slot`, which must be free;
    /// slots past the end are created free.
    pub fn insert(&mut self, id: &str, slot: u32) {
        debug_assert!(id.len() <= MAX_ID_BYTES && self.slot(id).is_none());
        let index = slot as usize;
        if index >= self.lens.len() {
            self.starts.resize(index + 1, 0);
            self.lens.resize(index + 1, NO_ID);
        }
        debug_assert_eq!(self.lens[index], NO_ID, "slot {slot} is taken");
        self.starts[index] = u32::try_from(self.bytes.len()).expect("id bytes fit u32");
        self.lens[index] = id.len() as u16;
        self.bytes.extend_from_slice(id.as_bytes());
        let hash = self.hasher.hash_one(id);
        let (bytes, starts, lens, hasher) = (&self.bytes, &self.starts, &self.lens, &self.hasher);
        self.table.insert_unique(hash, slot, |&s| {
            hasher.hash_one(stored_id(bytes, starts, lens, s))
        });
    }

    /// Unbinds `id`; returns its slot.
    pub fn remove(&mut self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        let (bytes, starts, lens) = (&self.bytes, &self.starts, &self.lens);
        let entry = self
            .table
            .find_entry(hash, |&s| stored_id(bytes, starts, lens, s) == id);
        let slot = match entry {
            Ok(entry) => entry.remove().0,
            Err(_) => return None,
        };
        self.garbage += usize::from(self.lens[slot as usize]);
        self.lens[slot as usize] = NO_ID;
        if self.garbage > self.bytes.len() / 2 {
            self.compact();
        }
        Some(slot)
    }

    /// Rewrites `bytes` without garbage.
    fn compact(&mut self) {
        let mut packed = Vec::with_capacity(self.bytes.len() - self.garbage);
        for (start, &len) in self.starts.iter_mut().zip(&self.lens) {
            if len != NO_ID {
                let from = *start as usize;
                *start = packed.len() as u32;
                packed.extend_from_slice(&self.bytes[from..from + usize::from(len)]);
            }
        }
        self.bytes = packed;
        self.garbage = 0;
    }

    /// Releases the spare capacity of the id bytes (after loading, when their total was
    /// not known in advance).
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Bytes held on the heap.
    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.starts.capacity() * 4
            + self.lens.capacity() * 2
            + self.table.capacity() * (4 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_and_compact() {
        let mut ids = IdMap::default();
        for i in 0..1000u32 {
            ids.insert(&format!("id-{i}"), i);
        }
        assert_eq!(ids.len(), 1000);
        for i in (0..1000u32).step_by(2) {
            assert_eq!(ids.remove(&format!("id-{i}")), Some(i));
        }
        assert_eq!(ids.remove("id-0"), None);
        for i in 0..1000u32 {
            let expected = (i % 2 == 1).then_some(i);
            assert_eq!(ids.slot(&format!("id-{i}")), expected);
            assert_eq!(
                ids.id(i).map(str::to_owned),
                expected.map(|_| format!("id-{i}"))
            );
        }
        // Reuse a freed slot with a longer id.
        ids.insert("a-much-longer-identifier-than-before", 4);
        assert_eq!(ids.slot("a-much-longer-identifier-than-before"), Some(4));
        assert_eq!(ids.id(4), Some("a-much-longer-identifier-than-before"));
    }
}
