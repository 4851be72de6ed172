//! Selecting without a search: the slots a filter selects ([`Index::filter_mask`]), how
//! many ([`Index::count`]), and a page of them in id order ([`Index::list`]).
//!
//! A page is ordered by id, and the next one starts after the last id of the previous
//! (`after`), so paging is stable while the index changes: an id added or deleted between
//! two pages moves no other id from one page to another. Each page costs one pass over the
//! selected slots and a bounded heap of `limit` ids: O(n log limit).

use super::Index;
use crate::error::{Error, Result};
use crate::fields::Filter;
use crate::sort::heapsort_by;
use crate::store::{Lookup, Originals};

/// A page of [`Index::list_with`]: the slots in id order, and the store's view holding
/// their metadata.
pub struct Page<'a> {
    /// The slots, in increasing order of id.
    pub slots: Vec<u32>,
    /// Their metadata.
    pub lookup: Box<dyn Lookup + 'a>,
}

/// Most ids one page lists.
pub const MAX_PAGE: usize = 10_000;

impl Page<'_> {
    /// The page's ids (from `index`, the index that listed them) and metadata.
    pub fn entries<'s>(
        &'s self,
        index: &'s Index,
    ) -> impl Iterator<Item = (&'s str, Option<&'s str>)> {
        (self.slots.iter()).map(|&s| (index.id(s).unwrap_or_default(), self.lookup.metadata(s)))
    }
}

impl Index {
    /// [`Index::list`] with the listed slots' metadata from `originals`.
    pub async fn list_with<'a>(
        &self,
        filter: Option<&Filter>,
        after: Option<&str>,
        limit: usize,
        originals: &'a dyn Originals,
    ) -> Result<Page<'a>> {
        let slots = self.list(filter, after, limit)?;
        let lookup = originals.fetch(&slots).await?;
        Ok(Page { slots, lookup })
    }

    /// The live slots `filter` selects, as a mask over every slot.
    pub fn filter_mask(&self, filter: &Filter) -> Result<Vec<bool>> {
        let slot_of = |id: &str| self.ids.slot(id);
        let mut mask = filter.mask(&self.fields, self.live.len(), &slot_of)?;
        mask.iter_mut().zip(&self.live).for_each(|(m, l)| *m &= *l);
        Ok(mask)
    }

    /// Live vectors `filter` selects (all of them without one).
    pub fn count(&self, filter: Option<&Filter>) -> Result<usize> {
        match filter {
            Some(filter) => Ok(self.filter_mask(filter)?.iter().filter(|&&m| m).count()),
            None => Ok(self.len()),
        }
    }

    /// Up to `limit` (1 to [`MAX_PAGE`]) live slots `filter` selects whose ids come after
    /// `after` (all without it), in increasing order of id (by UTF-8 bytes).
    pub fn list(
        &self,
        filter: Option<&Filter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<u32>> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::InvalidOption {
                name: "limit",
                reason: format!("got {limit}; expected an integer from 1 to {MAX_PAGE}"),
            });
        }
        let mask = filter.map(|f| self.filter_mask(f)).transpose()?;
        let selected = mask.as_deref().unwrap_or(&self.live);
        // A max-heap of the `limit` least ids seen: its root is the one to drop next.
        let id = |slot: &u32| self.ids.id(*slot).unwrap_or_default();
        let mut heap: Vec<u32> = Vec::with_capacity(limit);
        let slots = (0..selected.len() as u32).filter(|&s| selected[s as usize]);
        for slot in slots.filter(|s| after.is_none_or(|a| id(s) > a)) {
            if heap.len() < limit {
                heap.push(slot);
                sift_up(&mut heap, &id);
            } else if id(&slot) < id(&heap[0]) {
                heap[0] = slot;
                sift_down(&mut heap, &id);
            }
        }
        heapsort_by(&mut heap, |a, b| id(a).cmp(id(b)));
        Ok(heap)
    }
}

/// Restores the max-heap (by `id`) after a push.
fn sift_up<'a>(heap: &mut [u32], id: &impl Fn(&u32) -> &'a str) {
    let mut child = heap.len() - 1;
    while child > 0 {
        let parent = (child - 1) / 2;
        if id(&heap[parent]) >= id(&heap[child]) {
            break;
        }
        heap.swap(parent, child);
        child = parent;
    }
}

/// Restores the max-heap (by `id`) after its root was replaced.
fn sift_down<'a>(heap: &mut [u32], id: &impl Fn(&u32) -> &'a str) {
    let mut root = 0;
    loop {
        let mut child = 2 * root + 1;
        if child >= heap.len() {
            break;
        }
        if child + 1 < heap.len() && id(&heap[child]) < id(&heap[child + 1]) {
            child += 1;
        }
        if id(&heap[root]) >= id(&heap[child]) {
            break;
        }
        heap.swap(root, child);
        root = child;
    }
}
