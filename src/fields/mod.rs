//! Declared metadata fields: what a filter ([`filter`]) can select on without reading any
//! record. An index declares its fields once ([`Schema`]); every add passes, per row, the
//! values of those fields ([`Record`], extracted from the metadata by the JS binding), and
//! [`Fields`] keeps one [`column::Column`] per field: postings per keyword (sorted slot
//! lists), and (value, slot) in value order per number, so that a condition costs the slots
//! it selects, not a pass over every record.
//!
//! | kind | JS value | held as |
//! |---|---|---|
//! | `keyword` | a string | term id per slot; postings per term |
//! | `keyword[]` | an array of strings | term ids per slot; postings per term |
//! | `number` | a finite number | value per slot; (value, slot) sorted |
//! | `boolean` | `true` / `false` | as a number, 1 or 0 |
//!
//! The per-slot values are the source of truth: they are what the byte format and the
//! IndexedDB pages store, and the postings are rebuilt from them on load.

pub mod column;
pub mod filter;
pub mod sorted;

use crate::bytes::{Reader, Writer};
use crate::error::{Error, Result};
use column::Column;
pub use filter::{Filter, Scalar};

/// Most fields an index declares.
pub const MAX_FIELDS: usize = 64;
/// Longest field name and keyword, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 1024;
/// Names a filter uses for its operators, which no field may take.
const RESERVED: [&str; 4] = ["and", "or", "not", "ids"];

/// How a field is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One string.
    Keyword,
    /// A list of strings; a condition matches if any of them does.
    Keywords,
    /// A finite number (f64).
    Number,
    /// `true` or `false`.
    Boolean,
}

impl FieldKind {
    /// The kind as `IndexOptions.fields` spells it.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Keyword => "keyword",
            FieldKind::Keywords => "keyword[]",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
        }
    }

    /// The kind named `name`, as `IndexOptions.fields` spells it.
    pub fn from_name(name: &str) -> Option<FieldKind> {
        [Self::Keyword, Self::Keywords, Self::Number, Self::Boolean]
            .into_iter()
            .find(|k| k.name() == name)
    }

    fn tag(self) -> u8 {
        self as u8
    }
}

/// The declared fields, sorted by name (so that two declarations of the same fields in
/// another order are equal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<(String, FieldKind)>,
}

impl Schema {
    /// A schema of `fields`, checked: 1 to [`MAX_FIELDS`] distinct, non-empty names of at
    /// most [`MAX_TEXT_BYTES`] bytes, none of the filter's operator names.
    pub fn new(fields: Vec<(String, FieldKind)>) -> Result<Schema> {
        let bad = |reason: String| Error::InvalidOption {
            name: "fields",
            reason,
        };
        if fields.len() > MAX_FIELDS {
            return Err(bad(format!(
                "{} fields declared; at most {MAX_FIELDS}",
                fields.len()
            )));
        }
        let mut fields = fields;
        crate::sort::heapsort_by(&mut fields, |a, b| a.0.cmp(&b.0));
        for (i, (name, _)) in fields.iter().enumerate() {
            if name.is_empty() || name.len() > MAX_TEXT_BYTES {
                return Err(bad(format!(
                    "field name {name:?}: expected 1 to {MAX_TEXT_BYTES} bytes"
                )));
            }
            if RESERVED.contains(&name.as_str()) {
                return Err(bad(format!(
                    "field name {name:?} is a filter operator (and, or, not, ids); rename it"
                )));
            }
            if i > 0 && fields[i - 1].0 == *name {
                return Err(bad(format!("field {name:?} is declared twice")));
            }
        }
        Ok(Schema { fields })
    }

    /// The fields, sorted by name.
    pub fn fields(&self) -> &[(String, FieldKind)] {
        &self.fields
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if no field is declared.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The position and kind of field `name`.
    pub fn find(&self, name: &str) -> Option<(usize, FieldKind)> {
        let i = self
            .fields
            .binary_search_by(|f| f.0.as_str().cmp(name))
            .ok()?;
        Some((i, self.fields[i].1))
    }

    /// The names, for messages: `pos, tags, year` or `none`.
    pub fn names(&self) -> String {
        if self.fields.is_empty() {
            return "none".into();
        }
        let names: Vec<&str> = self.fields.iter().map(|f| f.0.as_str()).collect();
        names.join(", ")
    }

    /// As `IndexOptions.fields` reads: `{ pos: "keyword", year: "number" }`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = (self.fields.iter())
            .map(|(n, k)| format!("{n:?}: {:?}", k.name()))
            .collect();
        format!("{{ {} }}", parts.join(", "))
    }

    /// Payload: u32 count; per field the name (u32 length, UTF-8) and kind (u8: 0 keyword,
    /// 1 keyword[], 2 number, 3 boolean).
    pub fn write(&self, w: &mut Writer) {
        w.u32(self.fields.len() as u32);
        for (name, kind) in &self.fields {
            w.bytes(name.as_bytes());
            w.u8(kind.tag());
        }
    }

    /// Reads what [`Schema::write`] wrote; a damaged schema is an error.
    pub fn read(r: &mut Reader) -> Result<Schema> {
        let count = r.u32("field count")? as usize;
        if count == 0 || count > MAX_FIELDS {
            let found = Some(count.to_string());
            return Err(r.invalid("the field count", format!("1 to {MAX_FIELDS}"), found));
        }
        let mut fields = Vec::with_capacity(count);
        for _ in 0..count {
            let name = text(r, "field name")?;
            let tag = r.u8("field kind")?;
            let kinds = [
                FieldKind::Keyword,
                FieldKind::Keywords,
                FieldKind::Number,
                FieldKind::Boolean,
            ];
            let Some(&kind) = kinds.get(usize::from(tag)) else {
                return Err(r.invalid("a field kind", "0 to 3", Some(tag.to_string())));
            };
            fields.push((name, kind));
        }
        let schema = Schema::new(fields.clone())
            .map_err(|e| r.invalid("the declared fields", "valid", Some(e.to_string())))?;
        if schema.fields != fields {
            return Err(r.invalid("the declared fields", "sorted by name", None));
        }
        Ok(schema)
    }
}

/// Reads UTF-8 text (a u32 length first, bounded by the bytes that remain). Its length is
/// checked where the text is: by [`Schema::new`] for a name, by [`Fields::check`] for a
/// keyword.
fn text(r: &mut Reader, what: &str) -> Result<String> {
    match r.optional_text(what)? {
        Some(text) => Ok(text.to_owned()),
        None => Err(r.invalid(what, "text", Some("none".into()))),
    }
}

/// A field's value in one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// For a `keyword` field.
    Keyword(String),
    /// For a `keyword[]` field.
    Keywords(Vec<String>),
    /// For a `number` field (finite).
    Number(f64),
    /// For a `boolean` field.
    Boolean(bool),
}

impl Value {
    fn fits(&self, kind: FieldKind) -> bool {
        matches!(
            (self, kind),
            (Value::Keyword(_), FieldKind::Keyword)
                | (Value::Keywords(_), FieldKind::Keywords)
                | (Value::Number(_), FieldKind::Number)
                | (Value::Boolean(_), FieldKind::Boolean)
        )
    }
}

/// One row's values: one entry per declared field, in the schema's (name) order; `None`
/// where the row has no value.
pub type Record = Vec<Option<Value>>;

/// The declared fields of an index and their columns.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    schema: Schema,
    columns: Vec<Column>,
}

impl Fields {
    /// Empty columns for `schema`.
    pub fn new(schema: Schema) -> Fields {
        let columns = schema.fields.iter().map(|f| Column::new(f.1)).collect();
        Fields { schema, columns }
    }

    /// The declared fields.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Checks record `position` of an add: one entry per field, each of its field's kind,
    /// numbers finite, keywords at most [`MAX_TEXT_BYTES`] bytes.
    pub fn check(&self, record: &Record, position: usize) -> Result<()> {
        let bad = |reason: String| Error::InvalidField { position, reason };
        if record.len() != self.schema.len() {
            return Err(bad(format!(
                "{} values given for {} declared fields ({})",
                record.len(),
                self.schema.len(),
                self.schema.names()
            )));
        }
        for ((name, kind), value) in self.schema.fields.iter().zip(record) {
            let Some(value) = value else { continue };
            if !value.fits(*kind) {
                return Err(bad(format!(
                    "field {name:?} is declared {:?}, got {value:?}",
                    kind.name()
                )));
            }
            let long = |k: &String| k.len() > MAX_TEXT_BYTES;
            let too_long = match value {
                Value::Keyword(k) => long(k),
                Value::Keywords(list) => list.iter().any(long),
                Value::Number(x) if !x.is_finite() => {
                    return Err(bad(format!(
                        "field {name:?} must be a finite number, got {x}"
                    )));
                }
                _ => false,
            };
            if too_long {
                return Err(bad(format!(
                    "a keyword of field {name:?} is longer than {MAX_TEXT_BYTES} bytes"
                )));
            }
        }
        Ok(())
    }

    /// Sets the values of `rows` (slot and checked record; `None` = no values), replacing
    /// what their slots held. Slots may be new: the columns grow to `slot_count`.
    pub fn put(&mut self, rows: &[(u32, Option<&Record>)], slot_count: usize) {
        for (f, column) in self.columns.iter_mut().enumerate() {
            let values: Vec<(u32, Option<&Value>)> = rows
                .iter()
                .map(|&(slot, record)| (slot, record.and_then(|r| r[f].as_ref())))
                .collect();
            column.put(&values, slot_count);
        }
    }

    /// Forgets the values of `slots` (just deleted).
    pub fn clear(&mut self, slots: &[u32]) {
        let rows: Vec<(u32, Option<&Record>)> = slots.iter().map(|&s| (s, None)).collect();
        let slot_count = self.columns.first().map_or(0, Column::slots);
        self.put(&rows, slot_count);
    }

    /// The values `slot` holds.
    pub fn record(&self, slot: u32) -> Record {
        self.columns.iter().map(|c| c.value(slot)).collect()
    }

    /// The column of field `i`.
    pub(crate) fn column(&self, i: usize) -> &Column {
        &self.columns[i]
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.columns.iter().map(Column::memory_bytes).sum()
    }

    /// Writes the values of `slot`: per field a tag (0 none, 1 keyword, 2 keyword list,
    /// 3 number, 4 boolean), then a keyword as text (u32 length, UTF-8), a list as a u32
    /// count and its keywords, a number as its f64 bits (u64), a boolean as a u8.
    pub fn write_slot(&self, slot: u32, w: &mut Writer) {
        for value in self.record(slot) {
            match value {
                None => w.u8(0),
                Some(Value::Keyword(k)) => {
                    w.u8(1);
                    w.bytes(k.as_bytes());
                }
                Some(Value::Keywords(list)) => {
                    w.u8(2);
                    w.u32(list.len() as u32);
                    list.iter().for_each(|k| w.bytes(k.as_bytes()));
                }
                Some(Value::Number(x)) => {
                    w.u8(3);
                    w.u64(x.to_bits());
                }
                Some(Value::Boolean(b)) => {
                    w.u8(4);
                    w.u8(u8::from(b));
                }
            }
        }
    }

    /// Reads what [`Fields::write_slot`] wrote, checked as an add checks it.
    pub fn read_record(&self, r: &mut Reader) -> Result<Record> {
        let mut record = Vec::with_capacity(self.schema.len());
        for _ in 0..self.schema.len() {
            record.push(match r.u8("field value tag")? {
                0 => None,
                1 => Some(Value::Keyword(text(r, "keyword")?)),
                2 => {
                    let count = r.u32("keyword count")? as usize;
                    if count == 0 {
                        // An empty list is stored as no value (tag 0).
                        return Err(r.invalid("a keyword list", "at least 1 keyword", None));
                    }
                    let mut list = Vec::new();
                    for _ in 0..count {
                        // Each keyword takes at least its 4-byte length: bounded by the bytes.
                        list.push(text(r, "keyword")?);
                    }
                    Some(Value::Keywords(list))
                }
                3 => Some(Value::Number(f64::from_bits(r.u64("number")?))),
                4 => Some(Value::Boolean(r.flag("boolean")?)),
                tag => return Err(r.invalid("a field value tag", "0 to 4", Some(tag.to_string()))),
            });
        }
        self.check(&record, 0)
            .map_err(|e| r.invalid("a record's field values", "valid", Some(e.to_string())))?;
        Ok(record)
    }
}
