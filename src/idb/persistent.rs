//! An index kept in IndexedDB (`Index.open`): codes and ids in wasm memory, loaded from
//! pages on open; originals and metadata only in IndexedDB, read back per call.
//!
//! Each call runs in one IndexedDB transaction and, inside it, the core's one path
//! ([`Index::add_with`], [`Index::search_with`], [`Index::delete_with`]) with the
//! transaction's originals ([`TxOriginals`]). What this type adds is the transaction:
//!
//! - **Catch-up.** Other tabs and workers may write the same index. Each call first reads
//!   the stored generation in its transaction and, if it is newer than the one held in
//!   memory, reads the header and pages again in that same transaction ([`Persistent::take`];
//!   see [`super::store`]), so a call never mixes generations.
//! - **All or nothing.** A call takes the index out of its cell while it runs. A write
//!   changes it in place, chunk by chunk, as it writes (no copy of it, and only a chunk of
//!   originals at a time). If the write fails (a full quota, a closed page), the
//!   transaction commits nothing and the changed index is dropped; the next call reads the
//!   committed one back. Both are then as they were.
//!
//! Calls must not overlap: the binding runs them one at a time, in call order.

use std::cell::{Cell, RefCell};

use super::originals::TxOriginals;
use super::records::pages_of;
use super::store::{IdbStore, StoredIndex, Tx};
use crate::error::{Error, Result, Storage};
use crate::fields::{Filter, Record, Schema};
use crate::index::{Hit, Index, MemoryUsage, Rows, SearchOptions, Timings};
use crate::params::{DEFAULT_REFINE, IndexParams, Quantization};
use crate::store::Originals;

/// A persistent index.
#[derive(Debug)]
pub struct Persistent {
    store: IdbStore,
    params: IndexParams,
    schema: Schema,
    /// The index as committed at `generation`; `None` while a call holds it, and after a
    /// failed write until the next call reads the committed one back.
    index: RefCell<Option<Index>>,
    /// The stored generation `index` was read or written at.
    generation: Cell<u64>,
    /// Live vectors and memory of the committed index: what the getters say while a call
    /// holds it.
    committed: Cell<(usize, MemoryUsage)>,
}

impl Persistent {
    /// Opens the index `name`, creating it with `params` and the declared fields of
    /// `schema` if it does not exist.
    pub async fn open(name: &str, params: Option<(IndexParams, Schema)>) -> Result<Persistent> {
        let (store, created) = IdbStore::open(name).await?;
        match load(&store, name, params).await {
            Ok((index, generation)) => Ok(Persistent {
                store,
                params: *index.params(),
                schema: index.schema().clone(),
                committed: Cell::new((index.len(), index.memory_usage())),
                index: RefCell::new(Some(index)),
                generation: Cell::new(generation),
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

    /// The parameters the index was created with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// The declared fields.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Live vectors of the committed index.
    pub fn len(&self) -> usize {
        self.committed.get().0
    }

    /// True if the committed index holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the committed index's wasm memory goes.
    pub fn memory_usage(&self) -> MemoryUsage {
        self.committed.get().1
    }

    /// Closes the database connection.
    pub fn close(&self) {
        self.store.close();
    }

    /// The index at the generation stored in `tx`, taken out of its cell (reading it again
    /// in `tx` if another context wrote since, or a write of ours failed). The caller puts
    /// it back with [`Persistent::keep`] when it is committed or unchanged.
    async fn take(&self, tx: &Tx) -> Result<Index> {
        let generation = tx.generation().await?;
        let held = self.index.take();
        if let Some(index) = held
            && generation == self.generation.get()
        {
            return Ok(index);
        }
        self.reload(tx).await
    }

    /// The index as stored in `tx`, read again (header and pages); sets its generation.
    async fn reload(&self, tx: &Tx) -> Result<Index> {
        let Some(stored) = tx.read_index().await? else {
            return Err(Error::Storage(Storage::Removed));
        };
        let index = Index::from_records(&stored.header, &stored.pages)?;
        if *index.params() != self.params || *index.schema() != self.schema {
            return Err(Error::Storage(Storage::OptionsChanged));
        }
        self.generation.set(stored.generation);
        Ok(index)
    }

    /// Puts back an index that is committed (or was not changed).
    fn keep(&self, index: Index) {
        self.committed.set((index.len(), index.memory_usage()));
        *self.index.borrow_mut() = Some(index);
    }

    /// Commits `tx` with the next generation; then `index`, which holds what the call
    /// changed, is the committed index. On failure it is dropped (see the module doc).
    async fn commit(&self, tx: Tx, index: Index) -> Result<()> {
        let generation = self.generation.get() + 1;
        tx.put_generation(generation)?;
        tx.commit().await?;
        self.generation.set(generation);
        self.keep(index);
        Ok(())
    }

    /// Upserts a batch (see [`Index::add_with`]) in one transaction: the rows are read,
    /// encoded and stored a chunk at a time, then the changed code pages and the header.
    pub async fn add(
        &self,
        ids: &[String],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
        records: Option<&[Record]>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        let mut index = self.take(&tx).await?;
        let mut originals = TxOriginals::new(&tx, self.params.dimensions);
        let metadata_len = metadata.map(<[_]>::len);
        let plan = match index.prepare_add(ids, rows, metadata_len, records, &mut originals) {
            Ok(plan) => plan,
            Err(error) => {
                // Nothing changed: the index goes back as it was.
                self.keep(index);
                return Err(error);
            }
        };
        let old_slots = index.slot_count();
        index
            .finish_add(ids, rows, metadata, records, &plan, &mut originals)
            .await?;
        if plan.refits {
            // Every code changed.
            write_pages(&tx, &index, 0..index.pages())?;
        } else {
            write_pages(&tx, &index, pages_of(&plan.slots))?;
        }
        if plan.refits || index.slot_count() != old_slots {
            tx.put_header(&index.header_bytes())?;
        }
        self.commit(tx, index).await
    }

    /// Deletes ids in one transaction; returns how many were present.
    pub async fn delete(&self, ids: &[String]) -> Result<usize> {
        let tx = self.store.write()?;
        let mut index = self.take(&tx).await?;
        let mut originals = TxOriginals::new(&tx, self.params.dimensions);
        let removed = index.delete_with(ids, &mut originals).await?;
        if removed.is_empty() {
            self.keep(index);
            return Ok(0);
        }
        write_pages(&tx, &index, pages_of(&removed))?;
        self.commit(tx, index).await?;
        Ok(removed.len())
    }

    /// The best hits for `query` (see [`Index::search_with`]), given to `f`: codes scanned
    /// in memory, candidates re-scored with their originals read in one read-only
    /// transaction.
    ///
    /// One round trip: the read of the stored generation is issued first and the
    /// candidates' reads right after it, before either is awaited, so the several-contexts
    /// check costs no serial round trip. The transaction is a snapshot: if the generation
    /// read shows another context wrote since the codes in memory were read, the answer is
    /// dropped, the index read again in the same transaction, and the search run on it.
    pub async fn search<R>(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        clock: &dyn Fn() -> f64,
        f: impl for<'h> FnOnce(Vec<Hit<'h>>) -> R,
    ) -> Result<(R, Timings)> {
        let tx = self.store.read()?;
        let generation = tx.ask_generation()?;
        let originals = TxOriginals::new(&tx, self.params.dimensions);
        // `check`: the generation read, to compare once the held index has answered; none
        // when the index is read here (the read brings its generation).
        let (mut index, check) = match self.index.take() {
            Some(index) => (index, Some(generation)),
            None => (self.reload(&tx).await?, None),
        };
        let mut answer = index
            .search_with(query, options, filter, &originals, clock)
            .await;
        if let Some(generation) = check {
            let stored = generation.await;
            if !matches!(stored, Ok(g) if g == self.generation.get()) {
                drop(answer);
                stored?;
                index = self.reload(&tx).await?;
                answer = index
                    .search_with(query, options, filter, &originals, clock)
                    .await;
            }
        }
        let out = answer.map(|a| (f(a.hits(&index).collect()), a.timings));
        self.keep(index);
        out
    }

    /// Live vectors `filter` selects, at the stored generation.
    pub async fn count(&self, filter: Option<&Filter>) -> Result<usize> {
        let tx = self.store.read()?;
        let index = self.take(&tx).await?;
        let count = index.count(filter);
        self.keep(index);
        count
    }

    /// A page of ids in id order (see [`Index::list`]) with their metadata read in the
    /// same transaction, given to `f`.
    pub async fn list<R>(
        &self,
        filter: Option<&Filter>,
        after: Option<&str>,
        limit: usize,
        f: impl for<'h> FnOnce(Vec<(&'h str, Option<&'h str>)>) -> R,
    ) -> Result<R> {
        let tx = self.store.read()?;
        let index = self.take(&tx).await?;
        let originals = TxOriginals::new(&tx, self.params.dimensions);
        let page = index.list_with(filter, after, limit, &originals).await;
        let out = page.map(|page| f(page.entries(&index).collect()));
        self.keep(index);
        out
    }

    /// The stored vector and metadata of `id` (`None` if absent), given to `f`.
    pub async fn get<R>(
        &self,
        id: &str,
        f: impl for<'v> FnOnce(Option<(Option<&'v [f32]>, Option<&'v str>)>) -> R,
    ) -> Result<R> {
        let tx = self.store.read()?;
        let index = self.take(&tx).await?;
        let slot = index.slot(id);
        self.keep(index);
        let Some(slot) = slot else {
            return Ok(f(None));
        };
        let originals = TxOriginals::new(&tx, self.params.dimensions);
        let found = originals.fetch(&[slot]).await?;
        Ok(f(Some((found.vector(slot), found.metadata(slot)))))
    }
}

/// Writes the code pages `pages` of `index`.
fn write_pages(tx: &Tx, index: &Index, pages: impl IntoIterator<Item = usize>) -> Result<()> {
    pages
        .into_iter()
        .try_for_each(|page| tx.put_page(page, &index.page_bytes(page)))
}

/// Reads the stored index and its generation, or creates it from `params` when nothing is
/// stored.
async fn load(
    store: &IdbStore,
    name: &str,
    options: Option<(IndexParams, Schema)>,
) -> Result<(Index, u64)> {
    let mut stored = store.read()?.read_index().await?;
    if stored.is_none()
        && let Some((params, schema)) = options.clone()
    {
        // Two contexts may race to create the index: look again inside the transaction
        // that would create it, and read what the winner wrote if it lost.
        let tx = store.write()?;
        stored = tx.read_index().await?;
        if stored.is_none() {
            let index = Index::new_external(params).with_fields(schema);
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
    if let Some((_, schema)) = &options
        && schema != index.schema()
    {
        return Err(Error::InvalidOption {
            name: "fields",
            reason: format!(
                "index {name:?} is stored with the fields {}, but the options declare {}; \
                 pass the stored fields, or no options to use them",
                index.schema().describe(),
                schema.describe()
            ),
        });
    }
    if let Some((params, _)) = options
        && params != *index.params()
        && !stored_before_refinement(&params, index.params())
    {
        return Err(Error::InvalidOption {
            name: "options",
            reason: format!(
                "index {name:?} is stored with {}, but the options say {}; pass the stored \
                 options, or none to use them",
                index.params().describe(),
                params.describe()
            ),
        });
    }
    Ok((index, generation))
}

/// True if `stored` is a binary index without refinement codes (as every binary index was
/// stored before they existed) and `given` differs from it only by the default refinement:
/// default options open such an index as it is stored, rather than failing on an upgrade.
fn stored_before_refinement(given: &IndexParams, stored: &IndexParams) -> bool {
    let Quantization::Binary {
        refine: DEFAULT_REFINE,
        centered,
        query,
    } = given.quantization
    else {
        return false;
    };
    let unrefined = Quantization::Binary {
        centered,
        query,
        refine: 0,
    };
    *stored
        == IndexParams {
            quantization: unrefined,
            ..*given
        }
}
