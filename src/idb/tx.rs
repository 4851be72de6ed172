//! One IndexedDB transaction over the index's three stores ([`Tx`]): what a call reads
//! and writes, and its commit.

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransaction};

use super::block::{Block, BlockEntries};
use super::request::{Pending, bytes_of, events, failure, issue, request_error, storage_error};
use crate::error::{Damage, Error, Result};

pub(super) const META: &str = "meta";
pub(super) const PAGES: &str = "pages";
pub(super) const VECTORS: &str = "vectors";
pub(super) const HEADER_KEY: &str = "header";
pub(super) const GENERATION_KEY: &str = "generation";

/// The stored index as one read transaction saw it.
#[derive(Debug)]
pub struct StoredIndex {
    /// [`crate::Index::header_bytes`].
    pub header: Vec<u8>,
    /// [`crate::Index::page_bytes`] of every page, in order.
    pub pages: Vec<Vec<u8>>,
    /// The generation these records belong to.
    pub generation: u64,
}

/// A stored generation: absent is 0 (nothing written since creation by an older build).
pub(super) fn generation_of(value: &JsValue) -> Result<u64> {
    if value.is_undefined() {
        return Ok(0);
    }
    match value.as_f64() {
        Some(g) if g >= 0.0 && g.fract() == 0.0 && g < 2f64.powi(53) => Ok(g as u64),
        _ => Err(Damage::field(
            "the stored generation",
            "a whole number",
            format!("{value:?}"),
        )),
    }
}

/// Starts a `get` of the stored generation in `meta`.
pub(super) fn get_generation(meta: &IdbObjectStore) -> Result<Pending> {
    issue(
        "reading the generation",
        meta.get(&JsValue::from_str(GENERATION_KEY)),
    )
}

/// The stored blocks of `numbers`, in their order (absent ones left out).
async fn get_blocks(
    store: &IdbObjectStore,
    numbers: &[u32],
    dimensions: usize,
) -> Result<Vec<Block>> {
    let requests = numbers
        .iter()
        .map(|&n| store.get(&JsValue::from(n)))
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(|e| storage_error("reading originals", e))?;
    let all: Array = requests.iter().map(events).collect();
    if JsFuture::from(Promise::all(&all)).await.is_err() {
        let failed = requests.iter().find(|r| !request_error(r).is_undefined());
        return Err(match failed {
            Some(request) => failure("reading originals", request),
            None => storage_error("reading originals", JsValue::UNDEFINED),
        });
    }
    let values = requests
        .iter()
        .map(IdbRequest::result)
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(|e| storage_error("reading originals", e))?;
    let mut blocks = Vec::with_capacity(numbers.len());
    for (&number, value) in numbers.iter().zip(values) {
        // Absent: the caller checks what it needs (another tab may have emptied the block).
        if value.is_undefined() {
            continue;
        }
        blocks.push(Block::from_bytes(
            &bytes_of(&value, "block")?,
            number,
            dimensions,
        )?);
    }
    Ok(blocks)
}

/// A transaction over the three stores. Each call runs in one: a read-only one sees a
/// consistent snapshot; in a read-write one, nothing is visible to others until
/// [`Tx::commit`] resolves, and dropping it without committing, or any failed request,
/// aborts it whole.
#[derive(Debug)]
pub struct Tx {
    tx: IdbTransaction,
    meta: IdbObjectStore,
    pages: IdbObjectStore,
    vectors: IdbObjectStore,
    done: Promise,
}

impl Tx {
    /// The call's transaction over the three stores of `tx`.
    pub(super) fn begin(tx: IdbTransaction) -> Result<Tx> {
        // Listen before anything can complete the transaction. Both outcomes resolve, with
        // the event (`commit` tells them apart by its type), so an abandoned transaction
        // leaves no unhandled rejection behind.
        let done = Promise::new(&mut |resolve, _reject| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&resolve));
        });
        Ok(Tx {
            meta: object_store(&tx, META)?,
            pages: object_store(&tx, PAGES)?,
            vectors: object_store(&tx, VECTORS)?,
            tx,
            done,
        })
    }

    /// The stored generation.
    pub async fn generation(&self) -> Result<u64> {
        self.ask_generation()?.await
    }

    /// Issues the read of the stored generation now; the future resolves to it. Requests of
    /// one transaction are answered in the order issued, so reads issued after it, before it
    /// is awaited, travel with it: one round trip for all.
    pub fn ask_generation(&self) -> Result<impl core::future::Future<Output = Result<u64>>> {
        let pending = get_generation(&self.meta)?;
        Ok(async move { generation_of(&pending.settled().await?) })
    }

    /// The header, every page (in page order) and the generation; `None` if no index is
    /// stored.
    pub async fn read_index(&self) -> Result<Option<StoredIndex>> {
        let header = issue(
            "reading the header",
            self.meta.get(&JsValue::from_str(HEADER_KEY)),
        )?;
        let generation = get_generation(&self.meta)?;
        let all = issue("reading the pages", self.pages.get_all())?;
        let header = header.settled().await?;
        let generation = generation_of(&generation.settled().await?)?;
        let all: Array = all.settled().await?.unchecked_into();
        if header.is_undefined() {
            if all.length() > 0 {
                return Err(Error::Corrupt(Damage::Missing {
                    what: "the header of the stored pages".into(),
                }));
            }
            return Ok(None);
        }
        let header = bytes_of(&header, "header")?;
        let pages = all
            .iter()
            .map(|page| bytes_of(&page, "page"))
            .collect::<Result<_>>()?;
        Ok(Some(StoredIndex {
            header,
            pages,
            generation,
        }))
    }

    /// The blocks `numbers` (ascending) that are stored, in that order (an absent one holds
    /// no vector).
    pub async fn read_blocks(&self, numbers: &[u32], dimensions: usize) -> Result<Vec<Block>> {
        get_blocks(&self.vectors, numbers, dimensions).await
    }

    /// Every stored block numbered `first..end`, in one `getAll`.
    pub async fn read_block_range(
        &self,
        first: u32,
        end: u32,
        dimensions: usize,
    ) -> Result<Vec<Block>> {
        if first >= end {
            return Ok(Vec::new());
        }
        let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
            &JsValue::from(first),
            &JsValue::from(end),
            false,
            true,
        )
        .map_err(|e| storage_error("reading originals", e))?;
        // One request: each record holds its block number, checked to lie in the range.
        let values = issue("reading originals", self.vectors.get_all_with_key(&range))?;
        let values: Array = values.settled().await?.unchecked_into();
        (values.iter())
            .map(|value| {
                Block::from_bytes_within(&bytes_of(&value, "block")?, first..end, dimensions)
            })
            .collect()
    }

    /// Stores the generation this transaction commits.
    pub fn put_generation(&self, generation: u64) -> Result<()> {
        self.meta
            .put_with_key(
                &JsValue::from_f64(generation as f64),
                &JsValue::from_str(GENERATION_KEY),
            )
            .map(drop)
            .map_err(|e| self.fail("writing the generation", e))
    }

    /// Writes a block, or deletes its record when it holds nothing.
    pub fn put_block(
        &self,
        number: u32,
        entries: &BlockEntries<'_>,
        dimensions: usize,
    ) -> Result<()> {
        let key = JsValue::from(number);
        let request = if entries.iter().all(Option::is_none) {
            self.vectors.delete(&key)
        } else {
            let bytes = Block::encode(number, entries, dimensions);
            self.vectors
                .put_with_key(&Uint8Array::from(bytes.as_slice()), &key)
        };
        request
            .map(drop)
            .map_err(|e| self.fail("writing originals", e))
    }

    /// Writes a page of ids and codes.
    pub fn put_page(&self, number: usize, bytes: &[u8]) -> Result<()> {
        self.pages
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from(number as u32))
            .map(drop)
            .map_err(|e| self.fail("writing codes", e))
    }

    /// Writes the header.
    pub fn put_header(&self, bytes: &[u8]) -> Result<()> {
        self.meta
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from_str(HEADER_KEY))
            .map(drop)
            .map_err(|e| self.fail("writing the header", e))
    }

    /// Aborts after a synchronous failure, so nothing of the call is committed.
    fn fail(&self, doing: &str, error: JsValue) -> Error {
        self.abort();
        storage_error(doing, error)
    }

    fn abort(&self) {
        // Throws only if the transaction already finished: then there is nothing to undo.
        let _ = self.tx.abort();
    }

    /// Resolves once IndexedDB has committed the transaction; rejects (quota, I/O) if it
    /// aborted it, in which case nothing of it was written.
    pub async fn commit(self) -> Result<()> {
        let event = JsFuture::from(self.done.clone()).await.unwrap_or_default();
        let kind = Reflect::get(&event, &JsValue::from_str("type")).unwrap_or_default();
        if kind.as_string().as_deref() == Some("complete") {
            return Ok(());
        }
        let reason = match self.tx.error() {
            Some(error) => error.into(),
            None => JsValue::from_str("the transaction was aborted"),
        };
        Err(storage_error("writing the index", reason))
    }
}

impl Drop for Tx {
    /// A transaction dropped before [`Tx::commit`] resolved (an error while building the
    /// call's records) is aborted, so no part of the call is written; aborting a read-only
    /// one after its reads changes nothing.
    fn drop(&mut self) {
        self.abort();
    }
}

fn object_store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore> {
    tx.object_store(name)
        .map_err(|e| storage_error(&format!("opening store {name}"), e))
}
