//! One declared field's values, per slot and indexed:
//!
//! - **Terms** (`keyword`, `keyword[]`): a dictionary of distinct strings to term ids (an
//!   [`IdMap`], the compact map the index keeps its ids in), each
//!   slot's term ids in the order given, and per term its postings, the sorted slots that
//!   hold it. An equality costs the postings of its term.
//! - **Numbers** (`number`, `boolean` as 0 and 1): each slot's value (NaN = none), and every
//!   (value, slot) pair sorted by value, as an order-preserving u64 key ([`key`]). A range
//!   costs two binary searches and the slots inside it.
//!
//! Both change a batch at a time ([`super::sorted::apply`]). Terms whose postings empty stay
//! in the dictionary until the index is loaded again (a few bytes each).

use super::sorted::apply;
use crate::sort::heapsort_by;

/// How many of the first pairs of `pairs` (sorted) are of `term`.
fn run_of(pairs: &[(u32, u32)], term: u32) -> usize {
    pairs.iter().take_while(|p| p.0 == term).count()
}
use super::{FieldKind, Value};
use crate::ids::IdMap;

/// A field's values.
#[derive(Debug, Clone)]
pub enum Column {
    /// `keyword` or `keyword[]`.
    Terms {
        /// True for `keyword[]`.
        list: bool,
        /// Term id by string, and string by term id.
        terms: IdMap,
        /// Sorted slots by term id.
        postings: Vec<Vec<u32>>,
        /// Term ids by slot (empty = no value).
        by_slot: Vec<Box<[u32]>>,
    },
    /// `number` or `boolean`.
    Numbers {
        /// True for `boolean`.
        boolean: bool,
        /// Value by slot; NaN = no value (values are finite).
        by_slot: Vec<f64>,
        /// (key of the value, slot), sorted.
        order: Vec<(u64, u32)>,
    },
}

/// An order-preserving map of finite f64 to u64: `a < b` exactly when `key(a) < key(b)`
/// (−0 and +0 are one key). Positive numbers set the sign bit; negative ones flip every
/// bit, so that larger magnitudes sort lower.
pub fn key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

impl Column {
    /// An empty column for a field of `kind`.
    pub fn new(kind: FieldKind) -> Column {
        match kind {
            FieldKind::Keyword | FieldKind::Keywords => Column::Terms {
                list: kind == FieldKind::Keywords,
                terms: IdMap::default(),
                postings: Vec::new(),
                by_slot: Vec::new(),
            },
            FieldKind::Number | FieldKind::Boolean => Column::Numbers {
                boolean: kind == FieldKind::Boolean,
                by_slot: Vec::new(),
                order: Vec::new(),
            },
        }
    }

    /// Slots the column covers.
    pub fn slots(&self) -> usize {
        match self {
            Column::Terms { by_slot, .. } => by_slot.len(),
            Column::Numbers { by_slot, .. } => by_slot.len(),
        }
    }

    /// Sets the values of `rows` (checked to fit the field), growing to `slot_count` slots.
    pub fn put(&mut self, rows: &[(u32, Option<&Value>)], slot_count: usize) {
        let highest = rows.iter().map(|r| r.0 as usize + 1).max().unwrap_or(0);
        let slot_count = slot_count.max(highest);
        match self {
            Column::Terms {
                terms: dict,
                postings,
                by_slot,
                ..
            } => {
                if by_slot.len() < slot_count {
                    by_slot.resize(slot_count, Box::default());
                }
                // (term, slot) pairs to remove and to add, grouped by term below.
                let (mut removes, mut adds) = (Vec::new(), Vec::new());
                for &(slot, value) in rows {
                    removes.extend(by_slot[slot as usize].iter().map(|&t| (t, slot)));
                    let strings: &[String] = match value {
                        Some(Value::Keyword(k)) => core::slice::from_ref(k),
                        Some(Value::Keywords(list)) => list,
                        _ => &[],
                    };
                    let terms: Box<[u32]> = strings
                        .iter()
                        .map(|s| {
                            dict.slot(s).unwrap_or_else(|| {
                                let term = postings.len() as u32;
                                dict.insert(s, term);
                                postings.push(Vec::new());
                                term
                            })
                        })
                        .collect();
                    adds.extend(terms.iter().map(|&t| (t, slot)));
                    by_slot[slot as usize] = terms;
                }
                heapsort_by(&mut removes, <(u32, u32)>::cmp);
                heapsort_by(&mut adds, <(u32, u32)>::cmp);
                let (mut r, mut a) = (&removes[..], &adds[..]);
                while let Some(term) = r.first().into_iter().chain(a.first()).map(|p| p.0).min() {
                    let (rn, an) = (run_of(r, term), run_of(a, term));
                    let slots = |pairs: &[(u32, u32)]| pairs.iter().map(|p| p.1).collect();
                    apply(
                        &mut postings[term as usize],
                        slots(&r[..rn]),
                        slots(&a[..an]),
                    );
                    (r, a) = (&r[rn..], &a[an..]);
                }
            }
            Column::Numbers { by_slot, order, .. } => {
                if by_slot.len() < slot_count {
                    by_slot.resize(slot_count, f64::NAN);
                }
                let (mut removes, mut adds) = (Vec::new(), Vec::new());
                for &(slot, value) in rows {
                    let old = by_slot[slot as usize];
                    if !old.is_nan() {
                        removes.push((key(old), slot));
                    }
                    let new = match value {
                        Some(Value::Number(x)) => *x,
                        Some(Value::Boolean(b)) => f64::from(u8::from(*b)),
                        _ => f64::NAN,
                    };
                    if !new.is_nan() {
                        adds.push((key(new), slot));
                    }
                    by_slot[slot as usize] = new;
                }
                apply(order, removes, adds);
            }
        }
    }

    /// The value `slot` holds.
    pub fn value(&self, slot: u32) -> Option<Value> {
        match self {
            Column::Terms {
                list,
                terms: dict,
                by_slot,
                ..
            } => {
                let terms = by_slot.get(slot as usize)?;
                let mut strings =
                    (terms.iter()).map(|&t| dict.id(t).unwrap_or_default().to_owned());
                match list {
                    true if !terms.is_empty() => Some(Value::Keywords(strings.collect())),
                    false => strings.next().map(Value::Keyword),
                    true => None,
                }
            }
            Column::Numbers {
                boolean, by_slot, ..
            } => {
                let x = *by_slot.get(slot as usize)?;
                match boolean {
                    _ if x.is_nan() => None,
                    true => Some(Value::Boolean(x != 0.0)),
                    false => Some(Value::Number(x)),
                }
            }
        }
    }

    /// Marks in `mask` the slots holding term `term` (a `keyword` field).
    pub fn mark_term(&self, term: &str, mask: &mut [bool]) {
        if let Column::Terms {
            terms, postings, ..
        } = self
            && let Some(id) = terms.slot(term)
        {
            postings[id as usize]
                .iter()
                .for_each(|&s| mask[s as usize] = true);
        }
    }

    /// Marks in `mask` the slots whose value lies between `low` and `high` (keys, inclusive).
    pub fn mark_keys(&self, low: u64, high: u64, mask: &mut [bool]) {
        if let Column::Numbers { order, .. } = self {
            let start = order.partition_point(|&(k, _)| k < low);
            let end = order.partition_point(|&(k, _)| k <= high);
            if start < end {
                order[start..end]
                    .iter()
                    .for_each(|&(_, s)| mask[s as usize] = true);
            }
        }
    }

    /// Marks in `mask` the slots that hold a value.
    pub fn mark_present(&self, mask: &mut [bool]) {
        match self {
            Column::Terms { by_slot, .. } => {
                (mask.iter_mut().zip(by_slot)).for_each(|(m, t)| *m |= !t.is_empty());
            }
            Column::Numbers { order, .. } => {
                order.iter().for_each(|&(_, s)| mask[s as usize] = true)
            }
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        match self {
            Column::Terms {
                terms,
                postings,
                by_slot,
                ..
            } => {
                terms.memory_bytes()
                    + postings
                        .iter()
                        .map(|p| p.capacity() * 4 + 24)
                        .sum::<usize>()
                    + by_slot.capacity() * size_of::<Box<[u32]>>()
                    + by_slot.iter().map(|t| t.len() * 4).sum::<usize>()
            }
            Column::Numbers { by_slot, order, .. } => {
                by_slot.capacity() * 8 + order.capacity() * size_of::<(u64, u32)>()
            }
        }
    }
}
