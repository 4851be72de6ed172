//! The originals of a persistent index as one IndexedDB transaction sees them: the
//! [`Originals`] that [`super::Persistent`] passes to the core's add and search paths.
//! Originals live in records of [`BLOCK_SLOTS`] slots ([`Block`]); a transaction reads its
//! own writes, so a refit in an add reads the rows that add stored.

use super::block::{BLOCK_SLOTS, Block, Entry, EntryRef, block_of};
use super::store::Tx;
use crate::error::{Damage, Error, Result};
use crate::index::ADD_CHUNK_ROWS;
use crate::sort::heapsort_by;
use crate::store::{ChunkFn, Lookup, Originals, Pending, Row};

/// Blocks read per `getAll` by a scan (an exact search or a refit): as many originals as
/// an add handles at a time (1,024, 1.5 MB at 384 dimensions), so neither ever holds more
/// than that in wasm memory.
const SCAN_BLOCKS: u32 = (ADD_CHUNK_ROWS / BLOCK_SLOTS) as u32;

/// The originals in the stores of `tx`, vectors of `dimensions` values.
pub struct TxOriginals<'t> {
    tx: &'t Tx,
    dimensions: usize,
}

impl<'t> TxOriginals<'t> {
    /// The originals `tx` reads and writes.
    pub fn new(tx: &'t Tx, dimensions: usize) -> Self {
        TxOriginals { tx, dimensions }
    }

    /// Writes `updates` (`None` clears a slot) into their blocks. A block that also holds
    /// a live slot outside `updates` is read first, inside the transaction (so it may be
    /// one this call wrote already), and merged; a block left empty is deleted. Each
    /// vector is copied once, into its record's bytes.
    async fn write(
        &self,
        updates: &[(u32, Option<EntryRef<'_>>)],
        live: &dyn Fn(u32) -> bool,
    ) -> Result<()> {
        // Ascending by slot, so the updates of a block are neighbours.
        let mut updates = updates.to_vec();
        heapsort_by(&mut updates, |a, b| a.0.cmp(&b.0));
        let numbers = blocks_of(updates.iter().map(|u| u.0));
        let updated = |s: u32| updates.binary_search_by(|u| u.0.cmp(&s)).is_ok();
        let merge: Vec<u32> = (numbers.iter().copied())
            .filter(|&b| block_slots(b).any(|s| live(s) && !updated(s)))
            .collect();
        let stored = Blocks(self.tx.read_blocks(&merge, self.dimensions).await?);
        if let Some(missing) = merge.iter().find(|&&b| stored.block(b).is_none()) {
            return Err(Error::Corrupt(Damage::Missing {
                what: format!("the originals of block {missing}"),
            }));
        }
        let mut rest = &updates[..];
        for number in numbers {
            let mut entries = stored
                .block(number)
                .map_or([None; BLOCK_SLOTS], Block::views);
            let count = rest.partition_point(|u| block_of(u.0) == number);
            for &(slot, entry) in &rest[..count] {
                entries[slot as usize % BLOCK_SLOTS] = entry;
            }
            rest = &rest[count..];
            self.tx.put_block(number, &entries, self.dimensions)?;
        }
        Ok(())
    }
}

/// Blocks read by one call, ascending by number (a `getAll` of a key range, or gets of
/// ascending numbers, returns them so): looked up by binary search.
struct Blocks(Vec<Block>);

impl Blocks {
    fn block(&self, number: u32) -> Option<&Block> {
        let at = self.0.binary_search_by_key(&number, |b| b.number).ok()?;
        Some(&self.0[at])
    }

    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.block(block_of(slot))?.entry(slot)
    }

    /// Checks that every one of `slots` (live slots) has its original, before the scoring
    /// relies on it.
    fn check_present(&self, slots: &[u32]) -> Result<()> {
        match slots.iter().find(|&&s| self.entry(s).is_none()) {
            Some(slot) => Err(Error::Corrupt(Damage::Missing {
                what: format!("the original of live slot {slot}"),
            })),
            None => Ok(()),
        }
    }
}

impl Lookup for Blocks {
    fn vector(&self, slot: u32) -> Option<&[f32]> {
        self.entry(slot).map(|e| e.vector.as_slice())
    }

    fn metadata(&self, slot: u32) -> Option<&str> {
        self.entry(slot)?.metadata.as_deref()
    }
}

impl Originals for TxOriginals<'_> {
    fn keeps_vectors(&self) -> bool {
        true
    }

    fn in_wasm_memory(&self) -> bool {
        false
    }

    fn try_reserve(&mut self, _additional: usize) -> Result<()> {
        Ok(())
    }

    fn fetch<'a>(&'a self, slots: &[u32]) -> Pending<'a, Box<dyn Lookup + 'a>> {
        let slots = slots.to_vec();
        Box::pin(async move {
            let numbers = blocks_of(slots.iter().copied());
            let blocks = Blocks(self.tx.read_blocks(&numbers, self.dimensions).await?);
            blocks.check_present(&slots)?;
            Ok(Box::new(blocks) as Box<dyn Lookup>)
        })
    }

    fn scan<'a>(&'a self, live: &'a [u32], f: &'a mut ChunkFn<'_>) -> Pending<'a, ()> {
        Box::pin(async move {
            let mut rest = live;
            while let Some(&next) = rest.first() {
                // The range of blocks from the next live slot's: one `getAll`.
                let first = block_of(next);
                let end = first.saturating_add(SCAN_BLOCKS);
                let count = rest.partition_point(|&s| block_of(s) < end);
                let (slots, after) = rest.split_at(count);
                let chunk = self
                    .tx
                    .read_block_range(first, end, self.dimensions)
                    .await?;
                let blocks = Blocks(chunk);
                blocks.check_present(slots)?;
                f(slots, &blocks);
                rest = after;
            }
            Ok(())
        })
    }

    fn put<'a>(
        &'a mut self,
        rows: &'a [Row<'_>],
        live: &'a dyn Fn(u32) -> bool,
    ) -> Pending<'a, ()> {
        let entries: Vec<_> = (rows.iter())
            .map(|row| {
                let entry = EntryRef {
                    vector: row.vector,
                    metadata: row.metadata,
                };
                (row.slot, Some(entry))
            })
            .collect();
        Box::pin(async move { self.write(&entries, live).await })
    }

    fn clear<'a>(&'a mut self, slots: &'a [u32], live: &'a dyn Fn(u32) -> bool) -> Pending<'a, ()> {
        let entries: Vec<_> = slots.iter().map(|&slot| (slot, None)).collect();
        Box::pin(async move { self.write(&entries, live).await })
    }
}

/// The slots of block `number`.
fn block_slots(number: u32) -> impl Iterator<Item = u32> {
    let first = number * BLOCK_SLOTS as u32;
    first..first + BLOCK_SLOTS as u32
}

/// The distinct blocks holding `slots`, ascending. (A sort of `u32`s rather than a
/// `BTreeSet`: one small sort instance in the module instead of a B-tree, for size.)
fn blocks_of(slots: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut blocks: Vec<u32> = slots.into_iter().map(block_of).collect();
    heapsort_by(&mut blocks, u32::cmp);
    blocks.dedup();
    blocks
}
