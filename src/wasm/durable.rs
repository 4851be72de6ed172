//! An index kept in IndexedDB (`Index.open`): codes and ids in wasm memory, loaded from
//! pages on open; originals and metadata only in IndexedDB, read back per query.
//!
//! Every call runs after the previous one finished ([`Queue`]) and in one IndexedDB
//! transaction. A mutating call works on a clone of the in-memory index, writes everything
//! it changed, and only once the transaction has committed replaces the in-memory index
//! with the clone. So a failed write (a full quota, a closed page) leaves both the stored
//! and the in-memory index as they were.
//!
//! Other tabs and workers may write the same index: each call's transaction first catches
//! up with the stored generation ([`Durable::catch_up`], see [`crate::store::idb`]).

use std::cell::{Cell, RefCell};

use hashbrown::{HashMap, HashSet};

use super::queue::Queue;
use crate::error::{Error, Result};
use crate::index::{Index, SearchOptions, SearchPlan, ensure_headroom};
use crate::params::IndexParams;
use crate::persist::PAGE_SLOTS;
use crate::search::rescore::exact_scan;
use crate::search::topk::{Candidate, best_first};
use crate::store::block::{BLOCK_SLOTS, Block, Entry, block_of};
use crate::store::idb::{IdbStore, StoredIndex, Tx};

/// Blocks read per `getAll` by an exact search (4,096 originals, 6 MB at 384 dimensions), so
/// an exact scan never holds all originals in wasm memory at once.
const EXACT_CHUNK_BLOCKS: u32 = (PAGE_SLOTS / BLOCK_SLOTS) as u32;

/// One hit of a search, owning what it carries (the metadata came from IndexedDB).
pub struct FoundHit {
    /// The hit's id.
    pub id: String,
    /// Its score on the metric's scale.
    pub score: f32,
    /// Its metadata's JSON text.
    pub metadata: Option<String>,
}

/// A persistent index.
#[derive(Debug)]
pub struct Durable {
    store: IdbStore,
    /// The committed state: what IndexedDB holds, less the originals.
    index: RefCell<Index>,
    /// The stored generation `index` was built from.
    generation: Cell<u64>,
    /// Orders the calls.
    pub queue: Queue,
    /// Milliseconds of the last search's phases: scan, IndexedDB reads, rescoring.
    pub last_search: Cell<[f64; 3]>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds: times the phases of a search. (Every engine
    /// quiver supports has it: browsers, workers, Node.)
    #[wasm_bindgen(js_namespace = performance)]
    pub fn now() -> f64;
}

impl Durable {
    /// Opens the index `name`, creating it with `params` if it does not exist.
    pub async fn open(name: &str, params: Option<IndexParams>) -> Result<Durable> {
        let (store, created) = IdbStore::open(name).await?;
        match load(&store, name, params).await {
            Ok((index, generation)) => Ok(Durable {
                store,
                index: RefCell::new(index),
                generation: Cell::new(generation),
                queue: Queue::new(),
                last_search: Default::default(),
            }),
            Err(error) => {
                store.close();
                // Undo the empty database this call created, so a failed open leaves
                // storage as it was. The original error matters more than a failed undo.
                if created {
                    let _ = IdbStore::delete(name).await;
                }
                Err(error)
            }
        }
    }

    /// Runs `f` on the committed index.
    pub fn with_index<R>(&self, f: impl FnOnce(&Index) -> R) -> R {
        f(&self.index.borrow())
    }

    /// Closes the database connection.
    pub fn close(&self) {
        self.store.close();
    }

    /// Brings the in-memory index up to the generation stored, reading inside `tx` (so what
    /// the call then reads or writes in `tx` belongs to that same generation).
    async fn catch_up(&self, tx: &Tx) -> Result<()> {
        if tx.generation().await? == self.generation.get() {
            return Ok(());
        }
        let Some(stored) = tx.read_index().await? else {
            return Err(Error::Storage(
                "the index was removed from IndexedDB by another tab or worker".into(),
            ));
        };
        let index = Index::from_records(&stored.header, &stored.pages)?;
        if index.params() != self.index.borrow().params() {
            return Err(Error::Storage(
                "the index was replaced in another tab or worker by one with other options; \
                 open it again with Index.open"
                    .into(),
            ));
        }
        *self.index.borrow_mut() = index;
        self.generation.set(stored.generation);
        Ok(())
    }

    /// Commits `tx` with the next generation and makes `next` the committed index.
    async fn commit(&self, tx: Tx, next: Index) -> Result<()> {
        let generation = self.generation.get() + 1;
        tx.put_generation(generation)?;
        tx.commit().await?;
        *self.index.borrow_mut() = next;
        self.generation.set(generation);
        Ok(())
    }

    /// Upserts a batch (see [`Index::add`]) in one transaction.
    pub async fn add(
        &self,
        ids: &[String],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        self.catch_up(&tx).await?;
        let (plan, mut next) = {
            let index = self.index.borrow();
            let plan = index.plan_add(ids, vectors, metadata.map(<[_]>::len))?;
            ensure_headroom("copying the index for the write", index.memory_bytes())?;
            (plan, index.clone())
        };
        let d = next.params().dimensions;
        let originals = if plan.refits {
            live_originals(&tx, &next).await?
        } else {
            HashMap::new()
        };
        let old_slots = next.slot_count();
        next.apply_add(ids, &plan, metadata, &|s| {
            originals.get(&s).map(Vec::as_slice)
        })?;

        let entries = plan.slots.iter().enumerate().map(|(i, &slot)| {
            let entry = Entry {
                vector: plan.vectors[i * d..(i + 1) * d].to_vec(),
                metadata: metadata.and_then(|m| m[i].clone()),
            };
            (slot, Some(entry))
        });
        write_entries(&tx, &next, entries.collect()).await?;
        if plan.refits {
            // Every code changed.
            write_pages(&tx, &next, 0..next.pages())?;
        } else {
            write_pages(&tx, &next, pages_of(&plan.slots))?;
        }
        if plan.refits || next.slot_count() != old_slots {
            tx.put_header(&next.header_bytes())?;
        }
        self.commit(tx, next).await
    }

    /// Deletes ids in one transaction; returns how many were present.
    pub async fn delete(&self, ids: &[String]) -> Result<usize> {
        let tx = self.store.write()?;
        self.catch_up(&tx).await?;
        let bytes = self.index.borrow().memory_bytes();
        ensure_headroom("copying the index for the write", bytes)?;
        let mut next = self.index.borrow().clone();
        let removed = next.delete(ids);
        if removed.is_empty() {
            return Ok(0);
        }
        write_entries(&tx, &next, removed.iter().map(|&s| (s, None)).collect()).await?;
        write_pages(&tx, &next, pages_of(&removed))?;
        self.commit(tx, next).await?;
        Ok(removed.len())
    }

    /// The best hits for `query`: codes scanned in memory, candidates re-scored with their
    /// originals read from IndexedDB in one transaction.
    pub async fn search(&self, query: &[f32], options: &SearchOptions) -> Result<Vec<FoundHit>> {
        let tx = self.store.read()?;
        self.catch_up(&tx).await?;
        let started = now();
        let plan = self.index.borrow().plan_search(query, options)?;
        let (scanned, mut read) = (now(), None);
        let (found, blocks) = match plan {
            SearchPlan::Rescore { ref candidates, .. } => {
                let slots: Vec<u32> = candidates.iter().map(|c| c.slot).collect();
                let blocks = self.read_live(&tx, &slots).await?;
                read = Some(now());
                let found = self
                    .index
                    .borrow()
                    .finish_search(plan, &|slot| original(&blocks, slot));
                (found, Some(blocks))
            }
            SearchPlan::Done(found) => (found, None),
            SearchPlan::Exact { query, k } => (self.exact(&tx, &query, k).await?, None),
        };
        // The hits' metadata is in their blocks; a rescore has read them already.
        let blocks = match blocks {
            Some(blocks) => blocks,
            None => {
                let hits: Vec<u32> = found.iter().map(|c| c.slot).collect();
                self.read_live(&tx, &hits).await?
            }
        };
        let end = now();
        let read = read.unwrap_or(end);
        self.last_search
            .set([scanned - started, read - scanned, end - read]);
        let index = self.index.borrow();
        let metric = index.params().metric;
        Ok(found
            .iter()
            .map(|c| FoundHit {
                id: index.id(c.slot).unwrap_or_default().to_owned(),
                score: metric.score_from_key(c.key),
                metadata: entry(&blocks, c.slot).and_then(|e| e.metadata.clone()),
            })
            .collect())
    }

    /// The blocks holding `slots`, live slots of the caught-up index, each checked present.
    async fn read_live(&self, tx: &Tx, slots: &[u32]) -> Result<HashMap<u32, Block>> {
        let numbers = blocks_of(slots.iter().copied());
        let blocks = tx.read_blocks(&numbers, self.dimensions()).await?;
        check_present(&blocks, slots)?;
        Ok(blocks)
    }

    /// Exact search over every original, a chunk of blocks at a time.
    async fn exact(&self, tx: &Tx, query: &[f32], k: usize) -> Result<Vec<Candidate>> {
        let (metric, slots) = {
            let index = self.index.borrow();
            (index.params().metric, index.slot_count() as u32)
        };
        let d = self.dimensions();
        let mut best = Vec::new();
        for first in (0..slots.div_ceil(BLOCK_SLOTS as u32)).step_by(EXACT_CHUNK_BLOCKS as usize) {
            let end = first + EXACT_CHUNK_BLOCKS;
            let chunk = tx.read_block_range(first, end, d).await?;
            let chunk: HashMap<u32, Block> = chunk.into_iter().map(|b| (b.number, b)).collect();
            let index = self.index.borrow();
            let live: Vec<u32> = (first * BLOCK_SLOTS as u32..end * BLOCK_SLOTS as u32)
                .filter(|&s| index.is_live(s))
                .collect();
            check_present(&chunk, &live)?;
            best.extend(exact_scan(
                query,
                live.into_iter(),
                metric,
                &|slot| original(&chunk, slot),
                k,
            ));
        }
        // `best_first` is a total order (ties broken by slot): unstable equals stable.
        best.sort_unstable_by(best_first);
        best.truncate(k);
        Ok(best)
    }

    /// The stored vector and metadata of `id`.
    pub async fn get(&self, id: &str) -> Result<Option<Entry>> {
        let tx = self.store.read()?;
        self.catch_up(&tx).await?;
        let Some(slot) = self.index.borrow().slot(id) else {
            return Ok(None);
        };
        let blocks = self.read_live(&tx, &[slot]).await?;
        Ok(entry(&blocks, slot).cloned())
    }

    fn dimensions(&self) -> usize {
        self.index.borrow().params().dimensions
    }
}

/// The original of every live slot of `index` (a refit re-encodes them all), read in `tx`.
async fn live_originals(tx: &Tx, index: &Index) -> Result<HashMap<u32, Vec<f32>>> {
    let end = (index.slot_count() as u32).div_ceil(BLOCK_SLOTS as u32);
    let blocks = tx
        .read_block_range(0, end, index.params().dimensions)
        .await?;
    let mut out = HashMap::with_capacity(index.len());
    for block in blocks {
        for slot in block_slots(block.number).filter(|&s| index.is_live(s)) {
            if let Some(e) = block.entry(slot) {
                out.insert(slot, e.vector.clone());
            }
        }
    }
    Ok(out)
}

/// Writes the originals of `updates` (`None` clears a slot) into their blocks. A block that
/// also holds a live vector outside `updates` (in `after`, the index as the call leaves it)
/// is read first, inside `tx`, and merged; a block left empty is deleted.
async fn write_entries(tx: &Tx, after: &Index, updates: Vec<(u32, Option<Entry>)>) -> Result<()> {
    let d = after.params().dimensions;
    let updated: HashSet<u32> = updates.iter().map(|(slot, _)| *slot).collect();
    let merge: Vec<u32> = blocks_of(updated.iter().copied())
        .into_iter()
        .filter(|&b| block_slots(b).any(|s| after.is_live(s) && !updated.contains(&s)))
        .collect();
    let mut blocks = tx.read_blocks(&merge, d).await?;
    if let Some(missing) = merge.iter().find(|&b| !blocks.contains_key(b)) {
        return Err(Error::Corrupt(format!(
            "the originals of block {missing} are missing from the database"
        )));
    }
    for (slot, entry) in updates {
        blocks
            .entry(block_of(slot))
            .or_insert_with(|| Block::empty(block_of(slot)))
            .set(slot, entry);
    }
    blocks.values().try_for_each(|block| tx.put_block(block, d))
}

/// Writes the code pages `pages` of `after`.
fn write_pages(tx: &Tx, after: &Index, pages: impl IntoIterator<Item = usize>) -> Result<()> {
    pages
        .into_iter()
        .try_for_each(|page| tx.put_page(page, &after.page_bytes(page)))
}

/// The distinct pages holding `slots`, ascending.
fn pages_of(slots: &[u32]) -> impl Iterator<Item = usize> {
    distinct(slots.iter().map(|&s| s / PAGE_SLOTS as u32))
        .into_iter()
        .map(|page| page as usize)
}

/// Reads the stored index and its generation, or creates it from `params` when nothing is
/// stored.
async fn load(store: &IdbStore, name: &str, params: Option<IndexParams>) -> Result<(Index, u64)> {
    let mut stored = store.read()?.read_index().await?;
    if stored.is_none()
        && let Some(params) = params
    {
        // Two contexts may race to create the index: look again inside the transaction
        // that would create it, and read what the winner wrote if it lost.
        let tx = store.write()?;
        stored = tx.read_index().await?;
        if stored.is_none() {
            let index = Index::new_external(params);
            tx.put_header(&index.header_bytes())?;
            tx.put_generation(0)?;
            tx.commit().await?;
            return Ok((index, 0));
        }
    }
    let Some(StoredIndex {
        header,
        pages,
        generation,
    }) = stored
    else {
        return Err(Error::InvalidOption {
            name: "options",
            reason: format!(
                "no index named {name:?} is stored; pass options (such as \
                 {{ dimensions: 384 }}) to create it"
            ),
        });
    };
    let index = Index::from_records(&header, &pages)?;
    if let Some(params) = params
        && params != *index.params()
    {
        return Err(Error::InvalidOption {
            name: "options",
            reason: format!(
                "index {name:?} is stored with {}, but the options say {}; pass the stored \
                 options, or none to use them",
                describe(index.params()),
                describe(&params)
            ),
        });
    }
    Ok((index, generation))
}

fn describe(p: &IndexParams) -> String {
    format!(
        "dimensions {}, metric {:?}, quantization {:?}",
        p.dimensions,
        p.metric.name(),
        p.quantization
    )
}

/// The slots of block `number`.
fn block_slots(number: u32) -> impl Iterator<Item = u32> {
    let first = number * BLOCK_SLOTS as u32;
    first..first + BLOCK_SLOTS as u32
}

/// The distinct blocks holding `slots`, ascending.
fn blocks_of(slots: impl IntoIterator<Item = u32>) -> Vec<u32> {
    distinct(slots.into_iter().map(block_of))
}

/// The distinct values of `values`, ascending. (A sort of `u32`s rather than a `BTreeSet`:
/// one sort instance in the module instead of a B-tree and a stable sort, for size.)
fn distinct(values: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut values: Vec<u32> = values.into_iter().collect();
    values.sort_unstable();
    values.dedup();
    values
}

fn entry(blocks: &HashMap<u32, Block>, slot: u32) -> Option<&Entry> {
    blocks.get(&block_of(slot))?.entry(slot)
}

/// Checks that every live slot has its original, before the scoring closures rely on it.
fn check_present(blocks: &HashMap<u32, Block>, slots: &[u32]) -> Result<()> {
    match slots.iter().find(|&&s| entry(blocks, s).is_none()) {
        Some(slot) => Err(Error::Corrupt(format!(
            "the original of live slot {slot} is missing from the database"
        ))),
        None => Ok(()),
    }
}

/// The original of a slot that [`check_present`] vouched for.
fn original(blocks: &HashMap<u32, Block>, slot: u32) -> &[f32] {
    entry(blocks, slot).map_or(&[], |e| e.vector.as_slice())
}
