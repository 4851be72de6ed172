//! The IndexedDB records of an index's codes and ids (the originals' records are
//! [`super::block`]); the schema that holds them is in [`super::store`]:
//!
//! - the header: params, slot count, the quantizer's fit count and model, and the declared
//!   fields (only when there are some: a header written before fields existed reads as
//!   none);
//! - a page per [`PAGE_SLOTS`] slots: their ids and codes, then their field values.
//!
//! Each is framed and checksummed ([`crate::bytes`]), and written with the same field
//! writers as the `toBytes` file ([`crate::persist`]). Pure Rust: tested natively.

use crate::bytes::{Reader, Writer};
use crate::error::{Damage, Error, Result, try_grow};
use crate::fields::{Fields, Schema};
use crate::index::Index;
use crate::params::IndexParams;

/// Slots per page of ids and codes in the IndexedDB store: a page of 4,096 binary codes of
/// 384 dimensions is about 230 KB, so an add rewrites little and a reopen reads few records.
pub const PAGE_SLOTS: usize = 4096;

impl Index {
    /// The state of an index whose originals live elsewhere that is not per slot: params,
    /// slot count, and the fit count and model of its quantizer. Framed like `to_bytes`.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.params.write(&mut w);
        w.u32(self.live.len() as u32);
        self.write_model(&mut w);
        if !self.fields.schema().is_empty() {
            self.fields.schema().write(&mut w);
        }
        w.finish()
    }

    /// An index whose originals live elsewhere, from its stored [`Index::header_bytes`] and
    /// [`Index::page_bytes`] (in page order), as `Index.open` reads them. The header's slot
    /// count is checked against the number of pages before anything is allocated for it.
    pub fn from_records(header: &[u8], pages: &[impl AsRef<[u8]>]) -> Result<Index> {
        let mut r = Reader::open(header)?;
        let mut index = Index::new_external(IndexParams::read(&mut r)?);
        let slots = r.u32("slot count")? as usize;
        index.read_model(&mut r)?;
        if !r.at_end() {
            index.fields = Fields::new(Schema::read(&mut r)?);
        }
        r.finish()?;
        if slots.div_ceil(PAGE_SLOTS) != pages.len() {
            return Err(Error::Corrupt(Damage::PagesForSlots {
                slots,
                pages: pages.len(),
                page_slots: PAGE_SLOTS,
            }));
        }
        // Exact capacities (growing by doubling would leave up to half of it unused).
        try_grow(&mut index.live, slots, true, "the slot table")?;
        index.ids.try_reserve(slots, 0)?;
        if let Some(codes) = &mut index.codes {
            codes.try_reserve(slots)?;
        }
        for page in pages {
            index.load_page(page.as_ref())?;
        }
        index.finish_loading(slots)?;
        Ok(index)
    }

    /// Number of pages the slots fill.
    pub fn pages(&self) -> usize {
        self.live.len().div_ceil(PAGE_SLOTS)
    }

    /// Page `page`: the ids and codes of slots `page × PAGE_SLOTS ..` (at most
    /// [`PAGE_SLOTS`]), framed. Payload: page number (u32), slot count (u32), per slot the
    /// id (as in `to_bytes`) and, once the quantizer is fitted, the slot's code; then, for
    /// an index with declared fields, per slot its values (as in `to_bytes`).
    pub fn page_bytes(&self, page: usize) -> Vec<u8> {
        let first = page * PAGE_SLOTS;
        let end = (first + PAGE_SLOTS).min(self.live.len());
        let mut w = Writer::default();
        w.u32(page as u32);
        w.u32((end - first) as u32);
        for slot in first as u32..end as u32 {
            self.write_id(slot, &mut w);
            if let Some(codes) = &self.codes {
                codes.write_slot(slot, &mut w);
            }
        }
        if !self.fields.schema().is_empty() {
            for slot in first as u32..end as u32 {
                self.fields.write_slot(slot, &mut w);
            }
        }
        w.finish()
    }

    /// Loads the next page (pages load in order).
    fn load_page(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::open(bytes)?;
        let page = r.u32("page number")? as usize;
        let expected = self.live.len() / PAGE_SLOTS;
        if page != expected || self.live.len() % PAGE_SLOTS != 0 {
            return Err(Error::Corrupt(Damage::Misplaced {
                record: "page",
                found: page as u64,
                expected: expected as u64,
            }));
        }
        let count = r.u32("page slot count")? as usize;
        if count == 0 || count > PAGE_SLOTS {
            let expected = format!("1 to {PAGE_SLOTS}");
            return Err(r.invalid("the page's slot count", &expected, Some(count.to_string())));
        }
        for slot in (page * PAGE_SLOTS) as u32..(page * PAGE_SLOTS + count) as u32 {
            self.read_id(slot, &mut r)?;
            if let Some(codes) = &mut self.codes {
                codes.read_slot(slot, &mut r)?;
            }
        }
        if !self.fields.schema().is_empty() {
            let first = (page * PAGE_SLOTS) as u32;
            self.read_field_values(first..first + count as u32, &mut r)?;
        }
        r.finish()
    }

    /// Checks that the pages held `slots` slots (the header's count) and readies the index.
    fn finish_loading(&mut self, slots: usize) -> Result<()> {
        if self.live.len() != slots {
            let expected = format!("the header's {slots}");
            let found = self.live.len().to_string();
            let what = "the slot count of the pages";
            return Err(Damage::field(what, &expected, &found));
        }
        self.rebuild_free_list();
        self.ids.shrink_to_fit();
        Ok(())
    }
}

/// The distinct pages holding `slots`, ascending.
pub fn pages_of(slots: &[u32]) -> impl Iterator<Item = usize> {
    let mut pages: Vec<u32> = slots.iter().map(|&s| s / PAGE_SLOTS as u32).collect();
    // A sort of `u32`s, the one instance the module already has (for size).
    crate::sort::heapsort_by(&mut pages, u32::cmp);
    pages.dedup();
    pages.into_iter().map(|page| page as usize)
}
