//! The add path, the same whichever [`Originals`] hold the vectors: check every row and
//! work out the slots ([`Index::prepare_add`], changing nothing), make every allocation
//! (still changing nothing if one fails), then store the rows a chunk at a time (ids and
//! codes here, originals and metadata in the store), and refit the quantizer from the
//! store when the add crosses a fit threshold ([`Index::finish_add`]).
//!
//! An add reads its rows [`ADD_CHUNK_ROWS`] at a time, twice: once to check them, once to
//! store them. So it never holds a second copy of its batch: its peak is what the index
//! then holds, one chunk, and for a refit the fit's sample.

use hashbrown::HashMap;

use super::rows::{RowChunks, Rows};
use super::{Index, ensure_headroom};
use crate::error::{Error, Result, try_grow};
use crate::fields::Record;
use crate::ids::MAX_ID_BYTES;
use crate::quant::{Codes, code_bytes, fit_sample, fit_threshold};
use crate::rng::Rng;
use crate::sort::heapsort_by;
use crate::store::{Lookup, Originals, Row};

/// Slots of the fit's sample read per request batch: a store of 8-slot records then holds at
/// most 1,024 originals at a time, as a scan does.
const SAMPLE_GROUP: usize = 128;

/// What an add will do, worked out by [`Index::prepare_add`] without changing the index.
#[derive(Debug, Clone, PartialEq)]
pub struct AddPlan {
    /// The slot of each row; an id already present keeps its slot.
    pub slots: Vec<u32>,
    /// How many free slots the add takes (from the end of the free list).
    reused: usize,
    /// The add ends in a (re)fit of the quantizer, which re-encodes every live vector.
    pub refits: bool,
}

/// A refit in progress ([`Index::start_refit`]): the newly fitted quantizer, taking every
/// live slot's original in increasing slot order ([`Refit::encode`]); free slots are encoded
/// as zeros.
pub struct Refit {
    codes: Codes,
    /// The lowest slot not encoded yet.
    next: u32,
    zeros: Vec<f32>,
}

impl Refit {
    /// Encodes live `slot` (above every slot encoded so far) from its original.
    pub fn encode(&mut self, slot: u32, original: &[f32]) {
        self.fill_free_until(slot);
        self.codes.set(slot, original);
        self.next = slot + 1;
    }

    fn fill_free_until(&mut self, end: u32) {
        for free in self.next..end {
            self.codes.set(free, &self.zeros);
        }
        self.next = self.next.max(end);
    }
}

impl Index {
    /// Inserts or replaces (upserts) `ids[i]` with row `i` of `rows` and `metadata[i]` (JSON
    /// text), keeping the originals in `originals`. All or nothing for the index: an invalid
    /// input or a failed allocation changes nothing. A store outside memory that fails
    /// while the rows are written leaves the index changed: its owner drops it (see
    /// [`crate::idb::Persistent`]), as the store's transaction drops its writes.
    pub async fn add_with<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
        records: Option<&[Record]>,
        originals: &mut dyn Originals,
    ) -> Result<AddPlan> {
        let metadata_len = metadata.map(<[_]>::len);
        let plan = self.prepare_add(ids, rows, metadata_len, records, originals)?;
        self.finish_add(ids, rows, metadata, records, &plan, originals)
            .await?;
        Ok(plan)
    }

    /// Phase one of [`Index::add_with`]: checks every input, works out the slots and makes
    /// every allocation the add needs. An error leaves the index (and `originals`) as they
    /// were; after success the index has taken its free slots and, if it refits, dropped
    /// its old codes, and the add must be finished ([`Index::finish_add`]).
    pub fn prepare_add<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        rows: &dyn Rows,
        metadata_len: Option<usize>,
        records: Option<&[Record]>,
        originals: &mut dyn Originals,
    ) -> Result<AddPlan> {
        if !originals.keeps_vectors() {
            return Err(Error::NoOriginals {
                action: "take new vectors",
            });
        }
        let plan = self.plan_add(ids, rows, metadata_len, records)?;
        // Reserve once for the slots this batch appends, so one large batch gets exact
        // capacities instead of up to 2× slack from doubling.
        let appended = plan
            .slots
            .iter()
            .filter(|&&s| s as usize >= self.live.len())
            .count();
        let new_bytes = ids.iter().map(|id| id.as_ref().len()).sum();
        self.ids.try_reserve(plan.slots.len(), new_bytes)?;
        try_grow(&mut self.live, appended, false, "the slot table")?;
        originals.try_reserve(appended)?;
        if plan.refits {
            let bytes = self.refit_bytes(appended, originals.in_wasm_memory());
            ensure_headroom("refitting the quantizer", bytes)?;
        } else if let Some(codes) = &mut self.codes {
            codes.try_reserve(appended)?;
        }
        self.free.truncate(self.free.len() - plan.reused);
        if plan.refits {
            // The refit re-encodes every slot: the old codes' room goes to the new ones.
            self.codes = None;
        }
        Ok(plan)
    }

    /// Phase two of [`Index::add_with`], with the `rows` phase one checked: stores them in
    /// their planned slots a chunk at a time (ids and codes here, originals and metadata in `originals`), then refits if
    /// the plan says so. With a store in memory it cannot fail (the rows passed phase one
    /// and every allocation was made there).
    pub async fn finish_add<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        rows: &dyn Rows,
        metadata: Option<&[Option<String>]>,
        records: Option<&[Record]>,
        plan: &AddPlan,
        originals: &mut dyn Originals,
    ) -> Result<()> {
        // The rows passed `prepare_add`: this pass normalises them, checking nothing again.
        let mut chunks = RowChunks::checked(rows, &self.params)?;
        let d = self.params.dimensions;
        while let Some((first, vectors)) = chunks.next_chunk()? {
            // Views of the chunk's rows (a few words each), not copies.
            let stored: Vec<Row<'_>> = (first..)
                .zip(vectors.chunks_exact(d))
                .map(|(i, vector)| Row {
                    slot: plan.slots[i],
                    vector,
                    metadata: metadata.and_then(|m| m[i].as_deref()),
                })
                .collect();
            self.put_rows(ids, first, &stored, records);
            originals.put(&stored, &|s| self.is_live(s)).await?;
        }
        if plan.refits {
            self.refit_with(originals).await?;
        }
        Ok(())
    }

    /// Takes rows `first..` of the batch into the ids, codes and fields.
    fn put_rows<S: AsRef<str>>(
        &mut self,
        ids: &[S],
        first: usize,
        rows: &[Row<'_>],
        records: Option<&[Record]>,
    ) {
        if !self.fields.schema().is_empty() {
            let values: Vec<(u32, Option<&Record>)> = (first..)
                .zip(rows)
                .map(|(i, row)| (row.slot, records.map(|r| &r[i])))
                .collect();
            self.fields.put(&values, self.live.len());
        }
        for (i, row) in (first..).zip(rows) {
            let (id, slot) = (ids[i].as_ref(), row.slot);
            if self.ids.slot(id).is_none() {
                self.ids.insert(id, slot);
                if slot as usize == self.live.len() {
                    self.live.push(true);
                } else {
                    self.live[slot as usize] = true;
                }
            }
            // Dropped by `prepare_add` when the add refits: encoding now would be wasted.
            if let Some(codes) = &mut self.codes {
                codes.set(slot, row.vector);
            }
        }
    }

    /// Checks every input and works out the slots, changing nothing.
    /// It reads the rows a chunk at a time and keeps none of them.
    fn plan_add<S: AsRef<str>>(
        &self,
        ids: &[S],
        rows: &dyn Rows,
        metadata_len: Option<usize>,
        records: Option<&[Record]>,
    ) -> Result<AddPlan> {
        let d = self.params.dimensions;
        for received in metadata_len.into_iter().chain(records.map(<[_]>::len)) {
            if received != ids.len() {
                return Err(Error::MetadataLength {
                    expected: ids.len(),
                    received,
                });
            }
        }
        if let Some(records) = records {
            for (position, record) in records.iter().enumerate() {
                self.fields.check(record, position)?;
            }
        }
        if rows.values() != ids.len() * d {
            return Err(Error::BatchLength {
                ids: ids.len(),
                dimensions: d,
                expected: ids.len() * d,
                received: rows.values(),
            });
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (position, id) in ids.iter().enumerate() {
            let id = id.as_ref();
            if id.is_empty() {
                return Err(Error::InvalidId {
                    position,
                    reason: "ids must not be empty",
                });
            }
            if id.len() > MAX_ID_BYTES {
                return Err(Error::InvalidId {
                    position,
                    reason: "ids must be at most 65,534 bytes of UTF-8",
                });
            }
            if let Some(first) = seen.insert(id, position) {
                return Err(Error::DuplicateId {
                    id: id.to_owned(),
                    first,
                    second: position,
                });
            }
        }
        let mut chunks = RowChunks::new(rows, &self.params)?;
        while chunks.next_chunk()?.is_some() {}
        // New ids take free slots from the end of the free list, then new slots.
        let (mut free, mut next) = (self.free.len(), self.live.len() as u32);
        let mut new_ids = 0;
        let slots = ids
            .iter()
            .map(|id| {
                self.ids.slot(id.as_ref()).unwrap_or_else(|| {
                    new_ids += 1;
                    if free > 0 {
                        free -= 1;
                        self.free[free]
                    } else {
                        next += 1;
                        next - 1
                    }
                })
            })
            .collect();
        Ok(AddPlan {
            slots,
            reused: self.free.len() - free,
            refits: self.fit_due(self.len() + new_ids),
        })
    }

    /// An upper bound on what a refit allocates with `appended` more slots and cannot get
    /// back from if it fails: k-means' centroids and assignments, and for an index that keeps
    /// its originals in wasm memory, the training sample and the new codes too (there
    /// nothing may fail once the rows are stored). An index whose originals live elsewhere
    /// allocates those two fallibly ([`Index::start_refit`]) and its owner drops the changed
    /// index if they fail, as [`crate::idb::Persistent`] does: proving them available here would grow wasm memory by a block that
    /// the rest of the add, fragmented around it, never fully reuses (measured through
    /// IndexedDB, binary, 1,000 vectors an add: 23.5 MB of wasm memory at 8,000 vectors with
    /// the whole refit proven available, 13.7 MB without).
    fn refit_bytes(&self, appended: usize, in_wasm_memory: bool) -> usize {
        let (d, quantization) = (self.params.dimensions, &self.params.quantization);
        let sample = fit_sample(quantization).min(self.len() + appended);
        let kmeans = sample * 8 + 256 * d * 4;
        if !in_wasm_memory {
            return kmeans;
        }
        let codes = (self.live.len() + appended) * code_bytes(quantization, d);
        kmeans + sample * d * 4 + codes
    }

    /// True if an index holding `n` live vectors should (re)fit its quantizer.
    fn fit_due(&self, n: usize) -> bool {
        match self.codes {
            None => n >= fit_threshold(&self.params.quantization),
            Some(_) => {
                self.fitted_on < fit_sample(&self.params.quantization) && n >= 2 * self.fitted_on
            }
        }
    }

    /// The live slots a refit trains on, ascending (the order [`Index::start_refit`] wants
    /// their originals in, which a caller reading them in slot order meets in one pass): a
    /// seeded sample of at most [`fit_sample`] of them.
    fn fit_sample_slots(&self) -> Vec<u32> {
        let live: Vec<u32> = self.live_slots().collect();
        let mut rng = Rng::from_seed(live.len() as u64);
        let count = fit_sample(&self.params.quantization);
        let mut sample: Vec<u32> = (rng.sample_indices(live.len(), count).into_iter())
            .map(|i| live[i])
            .collect();
        heapsort_by(&mut sample, u32::cmp);
        sample
    }

    /// Fits the quantizer on `sample` (the originals of [`Index::fit_sample_slots`], in that
    /// order, `[n][dimensions]`); `None` for an index without quantization.
    fn start_refit(&self, sample: &[f32]) -> Result<Option<Refit>> {
        let Some(mut codes) = Codes::fit(&self.params, sample) else {
            return Ok(None);
        };
        codes.try_reserve(self.live.len())?;
        Ok(Some(Refit {
            codes,
            next: 0,
            zeros: vec![0.0; self.params.dimensions],
        }))
    }

    /// Installs the codes of a refit whose every live slot was encoded.
    fn finish_refit(&mut self, refit: Option<Refit>) {
        self.codes = refit.map(|mut refit| {
            refit.fill_free_until(self.live.len() as u32);
            refit.codes
        });
        self.fitted_on = self.len();
    }

    /// Fits the quantizer on a sample of the originals in `originals` and encodes every
    /// live slot with it. When the sample is every live vector (a small index), one scan
    /// reads them and the fit encodes from its sample: each original is read once.
    /// Otherwise the sample is read by slot, [`SAMPLE_GROUP`] slots a request batch, and
    /// one scan encodes: each original is read once, and the sample's twice.
    async fn refit_with(&mut self, originals: &dyn Originals) -> Result<()> {
        let d = self.params.dimensions;
        let live: Vec<u32> = self.live_slots().collect();
        let sample_slots = self.fit_sample_slots();
        let everything = sample_slots.len() == live.len();
        let mut sample = Vec::new();
        try_grow(
            &mut sample,
            sample_slots.len() * d,
            true,
            "the fit's sample",
        )?;
        let mut take = |slots: &[u32], lookup: &dyn Lookup| {
            for &slot in slots {
                sample.extend_from_slice(lookup.vector(slot).unwrap_or(&[]));
            }
        };
        if everything {
            originals.scan(&live, &mut take).await?;
        } else {
            for group in sample_slots.chunks(SAMPLE_GROUP) {
                take(group, &*originals.fetch(group).await?);
            }
        }
        let mut refit = self.start_refit(&sample)?;
        if let Some(refit) = &mut refit {
            if everything {
                for (&slot, original) in live.iter().zip(sample.chunks_exact(d)) {
                    refit.encode(slot, original);
                }
            } else {
                drop(sample);
                originals
                    .scan(&live, &mut |chunk, lookup| {
                        for &slot in chunk {
                            refit.encode(slot, lookup.vector(slot).unwrap_or(&[]));
                        }
                    })
                    .await?;
            }
        }
        self.finish_refit(refit);
        Ok(())
    }
}
