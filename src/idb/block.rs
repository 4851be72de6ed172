//! The record that holds originals outside wasm memory: the vectors and metadata of
//! [`BLOCK_SLOTS`] consecutive slots, framed and checksummed like every stored byte string
//! (see [`crate::bytes`]), so a damaged record is an error, never a wrong vector.
//!
//! Why blocks of 8: measured in headless Chromium 156 (`npm run bench:idb`, 100k × 384 f32,
//! transactions of 1,000 vectors, medians of 30 queries):
//!
//! | slots per record | writes (vectors/s) | read 40 / 100 random candidates (ms) |
//! |---:|---:|---:|
//! | 1  | 15,810 | 1.3 / 3.4 |
//! | 4  | 45,969 | 1.8 / 4.2 |
//! | 8  | 66,908 | 2.4 / 5.3 |
//! | 16 | 72,775 | 3.8 / 7.9 |
//!
//! One record per vector reads fastest but writes too slowly for bulk loads (each `put` is
//! a round trip to the browser's storage process); 8 writes 4× faster and reads a query's
//! candidates within about 1 ms of it.
//!
//! Payload: block number (u32), dimensions (u32), then per slot a flag (0 = empty,
//! 1 = holds a vector), and for a full slot the vector (`dimensions` f32) and its
//! metadata (u32 length, `u32::MAX` = none, then UTF-8 JSON text).

use crate::bytes::{Reader, Writer};
use crate::error::{Damage, Error, Result};

/// Consecutive slots per record: slot `s` lives in block `s / BLOCK_SLOTS`.
pub const BLOCK_SLOTS: usize = 8;

/// The block that holds `slot`.
pub fn block_of(slot: u32) -> u32 {
    slot / BLOCK_SLOTS as u32
}

/// One stored original.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The vector as stored (normalised for cosine).
    pub vector: Vec<f32>,
    /// The metadata's JSON text.
    pub metadata: Option<String>,
}

/// A view of one original to write: borrowed from the add's rows or from a block read for
/// merging, so writing a block copies each vector once, into the record's bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryRef<'a> {
    /// The vector as stored.
    pub vector: &'a [f32],
    /// The metadata's JSON text.
    pub metadata: Option<&'a str>,
}

/// The entries of one block to write, by position in the block (`None` = empty slot).
pub type BlockEntries<'a> = [Option<EntryRef<'a>>; BLOCK_SLOTS];

/// The originals of slots `number × BLOCK_SLOTS ..` (`None` = empty slot).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Which block this is.
    pub number: u32,
    /// One entry per slot of the block.
    pub entries: [Option<Entry>; BLOCK_SLOTS],
}

impl Block {
    /// A block with every slot empty.
    pub fn empty(number: u32) -> Self {
        Block {
            number,
            entries: Default::default(),
        }
    }

    /// The entry of `slot` (which must belong to this block).
    pub fn entry(&self, slot: u32) -> Option<&Entry> {
        self.entries[self.position(slot)].as_ref()
    }

    /// Puts (or with `None` clears) the entry of `slot` (which must belong to this block).
    pub fn set(&mut self, slot: u32, entry: Option<Entry>) {
        let position = self.position(slot);
        self.entries[position] = entry;
    }

    /// True if no slot holds a vector (the record can be deleted).
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(Option::is_none)
    }

    fn position(&self, slot: u32) -> usize {
        debug_assert_eq!(block_of(slot), self.number, "slot outside the block");
        slot as usize % BLOCK_SLOTS
    }

    /// Views of the entries, to merge with others and write ([`Block::encode`]).
    pub fn views(&self) -> BlockEntries<'_> {
        let mut views = [None; BLOCK_SLOTS];
        for (view, entry) in views.iter_mut().zip(&self.entries) {
            *view = entry.as_ref().map(|e| EntryRef {
                vector: &e.vector,
                metadata: e.metadata.as_deref(),
            });
        }
        views
    }

    /// The framed record.
    pub fn to_bytes(&self, dimensions: usize) -> Vec<u8> {
        Block::encode(self.number, &self.views(), dimensions)
    }

    /// The framed record of block `number` holding `entries`.
    pub fn encode(number: u32, entries: &BlockEntries<'_>, dimensions: usize) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(number);
        w.u32(dimensions as u32);
        for entry in entries {
            match entry {
                None => w.u8(0),
                Some(e) => {
                    debug_assert_eq!(e.vector.len(), dimensions);
                    w.u8(1);
                    w.f32_run(e.vector);
                    w.optional_text(e.metadata);
                }
            }
        }
        w.finish()
    }

    /// Reads a record written by [`Block::to_bytes`], checking that it is block `number`
    /// of vectors of `dimensions` values.
    pub fn from_bytes(bytes: &[u8], number: u32, dimensions: usize) -> Result<Block> {
        Self::from_bytes_within(bytes, number..number + 1, dimensions)
    }

    /// [`Block::from_bytes`] for a record read from a key range: its number, any in
    /// `numbers`, is the one it holds (so a range read needs no second request for keys).
    pub fn from_bytes_within(
        bytes: &[u8],
        numbers: core::ops::Range<u32>,
        dimensions: usize,
    ) -> Result<Block> {
        let mut r = Reader::open(bytes)?;
        let number = r.u32("block number")?;
        if !numbers.contains(&number) {
            return Err(Error::Corrupt(Damage::Misplaced {
                record: "block",
                found: number.into(),
                expected: numbers.start.into(),
            }));
        }
        let dims = r.u32("block dimensions")? as usize;
        if dims != dimensions {
            let what = format!("the dimensions of block {number}");
            return Err(r.invalid(&what, dimensions.to_string(), Some(dims.to_string())));
        }
        let mut block = Block::empty(number);
        for entry in &mut block.entries {
            match r.u8("slot flag")? {
                0 => {}
                1 => {
                    let raw = r.raw(dimensions * 4, "original values")?;
                    let mut vector = vec![0.0; dimensions];
                    r.decode_f32s(raw, &mut vector, "original values", 0)?;
                    let metadata = r.optional_text("metadata")?.map(str::to_owned);
                    *entry = Some(Entry { vector, metadata });
                }
                other => return Err(r.invalid("slot flag", "0 or 1", Some(other.to_string()))),
            }
        }
        r.finish()?;
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn sample() -> Block {
        let mut block = Block::empty(3);
        block.set(
            24,
            Some(Entry {
                vector: vec![0.5, -1.0, 2.0],
                metadata: Some(r#"{"title":"a"}"#.into()),
            }),
        );
        block.set(
            31,
            Some(Entry {
                vector: vec![0.0, 1.0, -0.25],
                metadata: None,
            }),
        );
        block
    }

    #[test]
    fn round_trips_full_and_empty_slots() {
        let block = sample();
        assert_eq!(
            Block::from_bytes(&block.to_bytes(3), 3, 3),
            Ok(block.clone())
        );
        assert_eq!(block.entry(25), None);
        assert!(!block.is_empty());
        assert!(Block::empty(0).is_empty());
    }

    #[test]
    fn rejects_a_record_of_another_block_or_size_and_any_damage() {
        let bytes = sample().to_bytes(3);
        assert!(
            matches!(Block::from_bytes(&bytes, 4, 3), Err(Error::Corrupt(m)) if m.to_string().contains("block 3"))
        );
        assert!(matches!(
            Block::from_bytes(&bytes, 3, 4),
            Err(Error::Corrupt(_))
        ));
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert!(
                Block::from_bytes(&damaged, 3, 3).is_err(),
                "flip at byte {i} went unnoticed"
            );
        }
        assert!(Block::from_bytes(&bytes[..bytes.len() - 1], 3, 3).is_err());
    }
}
