//! An index kept in IndexedDB (`Index.open`): codes and ids in wasm memory, loaded from
//! pages on open; originals and metadata only in IndexedDB, read back per query.
//!
//! Every call runs after the previous one finished ([`Queue`]) and in one IndexedDB
//! transaction. A mutating call changes the in-memory index in place as it writes (no copy
//! of it, and only a chunk of originals at a time, so wasm memory stays near what the codes
//! and ids need). If the write fails (a full quota, a closed page), the transaction commits
//! nothing, the changed in-memory index is dropped, and the next call reads the committed one
//! back ([`Durable::discard_on_error`]): both are as they were.
//!
//! Other tabs and workers may write the same index: each call's transaction first catches
//! up with the stored generation ([`Durable::catch_up`], see [`crate::store::idb`]).

use std::cell::{Cell, RefCell};

use hashbrown::{HashMap, HashSet};

use super::queue::Queue;
use crate::error::{Error, Result, try_grow};
use crate::index::{ADD_CHUNK_ROWS, AddPlan, Index, RowChunks, Rows, SearchOptions, SearchPlan};
use crate::params::{BinaryQuery, IndexParams, Quantization};
use crate::persist::PAGE_SLOTS;
use crate::search::rescore::exact_scan;
use crate::search::topk::{Candidate, best_first};
use crate::sort::heapsort_by;
use crate::store::block::{BLOCK_SLOTS, Block, Entry, block_of};
use crate::store::idb::{IdbStore, StoredIndex, Tx};

/// Blocks read per `getAll` by an exact search or a refit: as many originals as an add
/// handles at a time (1,024, 1.5 MB at 384 dimensions), so neither ever holds more than that
/// in wasm memory.
const ORIGINALS_CHUNK_BLOCKS: u32 = (ADD_CHUNK_ROWS / BLOCK_SLOTS) as u32;

/// What [`Durable::for_each_chunk_of_originals`] calls: live slots, and their blocks.
type ChunkOfOriginals<'a> = dyn FnMut(&[u32], &HashMap<u32, Block>) + 'a;

/// The generation of an in-memory index that must be read again from IndexedDB before use
/// (a write failed after changing it).
const STALE: u64 = u64::MAX;

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
    /// What IndexedDB holds, less the originals; while a write is under way, with what it
    /// has changed so far.
    index: RefCell<Index>,
    /// The stored generation `index` was built from ([`STALE`]: none).
    generation: Cell<u64>,
    /// Live vectors of the committed index: what `size` says while a write is under way
    /// (a write changes `index` in place, chunk by chunk, before it commits).
    len: Cell<usize>,
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
                len: Cell::new(index.len()),
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

    /// Live vectors of the committed index.
    pub fn len(&self) -> usize {
        self.len.get()
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
        self.len.set(index.len());
        *self.index.borrow_mut() = index;
        self.generation.set(stored.generation);
        Ok(())
    }

    /// Commits `tx` with the next generation, making what the call changed in memory the
    /// committed index.
    async fn commit(&self, tx: Tx) -> Result<()> {
        let generation = self.generation.get() + 1;
        tx.put_generation(generation)?;
        tx.commit().await?;
        self.generation.set(generation);
        self.len.set(self.index.borrow().len());
        Ok(())
    }

    /// Passes on the outcome of a write that changed the in-memory index in place. If it
    /// failed, the transaction committed nothing: the changed index is dropped, and the next
    /// call's catch-up reads the committed one back (`size` says the committed count
    /// meanwhile), so both are as they were.
    fn discard_on_error<R>(&self, outcome: Result<R>) -> Result<R> {
        if outcome.is_err() {
            let params = *self.index.borrow().params();
            *self.index.borrow_mut() = Index::new_external(params);
            self.generation.set(STALE);
        }
        outcome
    }

    /// Upserts a batch (see [`Index::add`]) in one transaction. The rows are read, stored in
    /// the transaction and encoded a chunk at a time, so the call never holds the batch's
    /// originals in wasm memory at once; a refit reads the stored originals back in chunks.
    pub async fn add(
        &self,
        ids: &[String],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        self.catch_up(&tx).await?;
        let (plan, mut chunks) = {
            let index = self.index.borrow();
            let plan = index.plan_add(ids, rows, metadata.map(<[_]>::len))?;
            (plan, RowChunks::new(rows, index.params())?)
        };
        // Fails (out of memory) before it changes anything.
        self.index.borrow_mut().begin_add(ids, &plan)?;
        let written = self.write_add(tx, ids, &plan, &mut chunks, metadata).await;
        self.discard_on_error(written)
    }

    /// Stores the rows of a begun add in `tx`, chunk by chunk, then its codes; commits.
    async fn write_add(
        &self,
        tx: Tx,
        ids: &[String],
        plan: &AddPlan,
        chunks: &mut RowChunks<'_>,
        metadata: Option<&[Option<String>]>,
    ) -> Result<()> {
        let (d, old_slots) = (self.dimensions(), self.index.borrow().slot_count());
        while let Some((first, vectors)) = chunks.next_chunk()? {
            self.index
                .borrow_mut()
                .put_rows(ids, plan, first, vectors, metadata);
            let entries = (first..).zip(vectors.chunks_exact(d)).map(|(i, vector)| {
                let entry = Entry {
                    vector: vector.to_vec(),
                    metadata: metadata.and_then(|m| m[i].clone()),
                };
                (plan.slots[i], Some(entry))
            });
            self.write_entries(&tx, entries.collect()).await?;
        }
        if plan.refits {
            self.refit(&tx).await?;
        }
        {
            let index = self.index.borrow();
            if plan.refits {
                // Every code changed.
                write_pages(&tx, &index, 0..index.pages())?;
            } else {
                write_pages(&tx, &index, pages_of(&plan.slots))?;
            }
            if plan.refits || index.slot_count() != old_slots {
                tx.put_header(&index.header_bytes())?;
            }
        }
        self.commit(tx).await
    }

    /// Refits the quantizer on the originals stored in `tx` (the call's own rows included: a
    /// transaction reads its writes), reading them in chunks twice: once for the fit's
    /// sample, once to encode every live slot.
    async fn refit(&self, tx: &Tx) -> Result<()> {
        let d = self.dimensions();
        let sample_slots = self.index.borrow().fit_sample_slots();
        let mut sample = Vec::new();
        try_grow(
            &mut sample,
            sample_slots.len() * d,
            true,
            "the fit's sample",
        )?;
        // Both ascending: the next sampled slot is the only one to look for.
        let mut wanted = sample_slots.iter().peekable();
        self.for_each_chunk_of_originals(tx, &mut |live, blocks| {
            for &slot in live {
                if wanted.next_if_eq(&&slot).is_some() {
                    sample.extend_from_slice(original(blocks, slot));
                }
            }
        })
        .await?;
        let mut refit = self.index.borrow().start_refit(&sample)?;
        drop(sample);
        if let Some(refit) = &mut refit {
            self.for_each_chunk_of_originals(tx, &mut |live, blocks| {
                for &slot in live {
                    refit.encode(slot, original(blocks, slot));
                }
            })
            .await?;
        }
        self.index.borrow_mut().finish_refit(refit);
        Ok(())
    }

    /// Deletes ids in one transaction; returns how many were present.
    pub async fn delete(&self, ids: &[String]) -> Result<usize> {
        let tx = self.store.write()?;
        self.catch_up(&tx).await?;
        let removed = self.index.borrow_mut().delete(ids);
        if removed.is_empty() {
            return Ok(0);
        }
        let written = async {
            self.write_entries(&tx, removed.iter().map(|&s| (s, None)).collect())
                .await?;
            write_pages(&tx, &self.index.borrow(), pages_of(&removed))?;
            self.commit(tx).await
        }
        .await;
        self.discard_on_error(written)?;
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
        let metric = self.index.borrow().params().metric;
        let mut best = Vec::new();
        self.for_each_chunk_of_originals(tx, &mut |live, blocks| {
            let original = |slot| original(blocks, slot);
            best.extend(exact_scan(
                query,
                live.iter().copied(),
                metric,
                &original,
                k,
            ));
        })
        .await?;
        // `best_first` is a total order (ties broken by slot): unstable equals stable.
        heapsort_by(&mut best, best_first);
        best.truncate(k);
        Ok(best)
    }

    /// Calls `f` with each chunk of the live slots (ascending) and the blocks holding their
    /// originals, each checked present, read [`ORIGINALS_CHUNK_BLOCKS`] blocks at a time in
    /// `tx`: no more than a chunk of originals is ever in wasm memory.
    async fn for_each_chunk_of_originals(
        &self,
        tx: &Tx,
        f: &mut ChunkOfOriginals<'_>,
    ) -> Result<()> {
        let (slots, d) = (self.index.borrow().slot_count() as u32, self.dimensions());
        let blocks = slots.div_ceil(BLOCK_SLOTS as u32);
        for first in (0..blocks).step_by(ORIGINALS_CHUNK_BLOCKS as usize) {
            let end = first + ORIGINALS_CHUNK_BLOCKS;
            let chunk = tx.read_block_range(first, end, d).await?;
            let chunk: HashMap<u32, Block> = chunk.into_iter().map(|b| (b.number, b)).collect();
            let live: Vec<u32> = {
                let index = self.index.borrow();
                let range = first * BLOCK_SLOTS as u32..(end * BLOCK_SLOTS as u32).min(slots);
                range.filter(|&s| index.is_live(s)).collect()
            };
            check_present(&chunk, &live)?;
            f(&live, &chunk);
        }
        Ok(())
    }

    /// Writes the originals of `updates` (`None` clears a slot) into their blocks. A block
    /// that also holds a live vector outside `updates` is read first, inside `tx` (so it may
    /// be one this call wrote already), and merged; a block left empty is deleted.
    async fn write_entries(&self, tx: &Tx, updates: Vec<(u32, Option<Entry>)>) -> Result<()> {
        let d = self.dimensions();
        let merge: Vec<u32> = {
            let index = self.index.borrow();
            let updated: HashSet<u32> = updates.iter().map(|(slot, _)| *slot).collect();
            blocks_of(updated.iter().copied())
                .into_iter()
                .filter(|&b| block_slots(b).any(|s| index.is_live(s) && !updated.contains(&s)))
                .collect()
        };
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

/// Index options in the words of `IndexOptions`.
fn describe(p: &IndexParams) -> String {
    let quantization = match p.quantization {
        Quantization::None => String::new(),
        Quantization::Int8 { quantile } => format!(" (quantile {quantile})"),
        Quantization::Binary { centered, query } => {
            let query = match query {
                BinaryQuery::Hamming => "hamming",
                BinaryQuery::Asymmetric => "asymmetric",
            };
            format!(" (centered {centered}, query \"{query}\")")
        }
        Quantization::Pq {
            subspaces, bits, ..
        } => format!(" ({subspaces} subspaces of {bits} bits)"),
    };
    format!(
        "dimensions {}, metric \"{}\", quantization \"{}\"{quantization}",
        p.dimensions,
        p.metric.name(),
        p.quantization.name()
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
/// one small sort instance in the module instead of a B-tree, for size.)
fn distinct(values: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut values: Vec<u32> = values.into_iter().collect();
    heapsort_by(&mut values, u32::cmp);
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
