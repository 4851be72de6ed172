//! Filters on declared fields: the conditions of `where`, resolved against a [`Schema`]
//! and evaluated into a mask of slots by the fields' indexes ([`Filter::mask`]).
//!
//! Evaluation works on whole masks, one byte per slot: a condition marks the slots its
//! postings or its range name, `and` / `or` / `not` combine masks byte by byte (100k slots
//! are 100 KB, combined in tens of microseconds, beside a scan of every code). The caller
//! intersects the result with the live slots.

use super::column::key;
use super::{Column, FieldKind, Fields};
use crate::error::{Error, Result};

/// A value a condition compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string: for `keyword` and `keyword[]` fields.
    Text(String),
    /// A number: for `number` fields.
    Number(f64),
    /// A boolean: for `boolean` fields.
    Boolean(bool),
}

/// A filter, as `where` spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The field's value is any of `values` (one value: equality). For a `keyword[]` field,
    /// any of its keywords is.
    In {
        /// The field's name.
        field: String,
        /// Accepted values (none: nothing matches).
        values: Vec<Scalar>,
    },
    /// A `number` field's value lies in a range; each bound is (value, inclusive).
    Range {
        /// The field's name.
        field: String,
        /// Lower bound: `gt` (exclusive) or `gte` (inclusive).
        low: Option<(f64, bool)>,
        /// Upper bound: `lt` (exclusive) or `lte` (inclusive).
        high: Option<(f64, bool)>,
    },
    /// The field holds a value (`true`) or none (`false`).
    Exists {
        /// The field's name.
        field: String,
        /// Wanted presence.
        exists: bool,
    },
    /// The record's id is one of these.
    Ids(Vec<String>),
    /// Every filter matches (none given: everything does).
    And(Vec<Filter>),
    /// Any filter matches (none given: nothing does).
    Or(Vec<Filter>),
    /// The filter does not match.
    Not(Box<Filter>),
}

/// A filter that does not fit the schema.
fn invalid(reason: String) -> Error {
    Error::InvalidFilter { reason }
}

impl Filter {
    /// Checks the filter against the declared fields of `fields`, and returns the mask of
    /// the slots it selects (`slot_count` long; free slots may be marked: the caller
    /// intersects with the live ones). `slot_of` resolves ids for [`Filter::Ids`].
    pub fn mask(
        &self,
        fields: &Fields,
        slot_count: usize,
        slot_of: &dyn Fn(&str) -> Option<u32>,
    ) -> Result<Vec<bool>> {
        let mut mask = vec![false; slot_count];
        self.mark(fields, &mut mask, slot_of)?;
        Ok(mask)
    }

    /// Marks the slots the filter selects in `mask` (all false on entry).
    fn mark(
        &self,
        fields: &Fields,
        mask: &mut [bool],
        slot_of: &dyn Fn(&str) -> Option<u32>,
    ) -> Result<()> {
        match self {
            Filter::In { field, values } => {
                let (column, kind) = find(fields, field)?;
                for value in values {
                    match (value, kind) {
                        (Scalar::Text(t), FieldKind::Keyword | FieldKind::Keywords) => {
                            column.mark_term(t, mask);
                        }
                        (Scalar::Number(x), FieldKind::Number) if x.is_finite() => {
                            column.mark_keys(key(*x), key(*x), mask);
                        }
                        (Scalar::Boolean(b), FieldKind::Boolean) => {
                            let k = key(f64::from(u8::from(*b)));
                            column.mark_keys(k, k, mask);
                        }
                        _ => return Err(mismatch(field, kind, value)),
                    }
                }
            }
            Filter::Range { field, low, high } => {
                let (column, kind) = find(fields, field)?;
                if kind != FieldKind::Number {
                    return Err(invalid(format!(
                        "field {field:?} is declared {:?}; gt, gte, lt and lte apply to \
                         \"number\" fields",
                        kind.name()
                    )));
                }
                for &(x, _) in low.iter().chain(high) {
                    if x.is_nan() {
                        return Err(invalid(format!(
                            "a bound on field {field:?} is NaN; expected a number"
                        )));
                    }
                }
                // Keys of finite values lie strictly between those of −∞ and +∞, so an
                // exclusive bound moves one key inward and stays in range.
                let low = match *low {
                    None => 0,
                    Some((x, true)) => key(x),
                    Some((x, false)) => key(x).saturating_add(1),
                };
                let high = match *high {
                    None => u64::MAX,
                    Some((x, true)) => key(x),
                    Some((x, false)) => key(x).saturating_sub(1),
                };
                if low <= high {
                    column.mark_keys(low, high, mask);
                }
            }
            Filter::Exists { field, exists } => {
                let (column, _) = find(fields, field)?;
                column.mark_present(mask);
                if !exists {
                    mask.iter_mut().for_each(|m| *m = !*m);
                }
            }
            Filter::Ids(ids) => ids
                .iter()
                .filter_map(|id| slot_of(id))
                .for_each(|s| mask[s as usize] = true),
            Filter::And(filters) => {
                mask.fill(true);
                let mut part = vec![false; mask.len()];
                for filter in filters {
                    part.fill(false);
                    filter.mark(fields, &mut part, slot_of)?;
                    mask.iter_mut().zip(&part).for_each(|(m, p)| *m &= *p);
                }
            }
            Filter::Or(filters) => {
                let mut part = vec![false; mask.len()];
                for filter in filters {
                    part.fill(false);
                    filter.mark(fields, &mut part, slot_of)?;
                    mask.iter_mut().zip(&part).for_each(|(m, p)| *m |= *p);
                }
            }
            Filter::Not(filter) => {
                filter.mark(fields, mask, slot_of)?;
                mask.iter_mut().for_each(|m| *m = !*m);
            }
        }
        Ok(())
    }
}

/// The column and kind of declared field `name`.
fn find<'f>(fields: &'f Fields, name: &str) -> Result<(&'f Column, FieldKind)> {
    match fields.schema().find(name) {
        Some((i, kind)) => Ok((fields.column(i), kind)),
        None => Err(invalid(format!(
            "field {name:?} is not declared; declared fields: {} (declare it in \
             IndexOptions.fields)",
            fields.schema().names()
        ))),
    }
}

fn mismatch(field: &str, kind: FieldKind, value: &Scalar) -> Error {
    let expected = match kind {
        FieldKind::Keyword | FieldKind::Keywords => "a string",
        FieldKind::Number => "a finite number",
        FieldKind::Boolean => "true or false",
    };
    invalid(format!(
        "field {field:?} is declared {:?}, so it compares with {expected}; got {value:?}",
        kind.name()
    ))
}
