//! The byte format of `toBytes` / `fromBytes`: one framed payload ([`crate::bytes`]) with
//! the params, ids, originals, metadata and codes (layout at [`Index::to_bytes`]). The
//! pieces the IndexedDB records share with it (params, ids, the quantizer's model) are
//! written here too, for [`crate::idb::records`].

use crate::bytes::{Reader, Writer};
use crate::error::{Error, Result, try_grow};
use crate::fields::{Fields, Record, Schema};
use crate::index::Index;
use crate::params::{IndexParams, Quantization};
use crate::quant::{Codes, fit_threshold};
use crate::store::{Home, MemoryStore, Metadata, Originals};

impl Index {
    /// Serialises the whole index (see [`crate::bytes`] for the frame).
    ///
    /// Payload: params; slot count; per slot the id (u16 length, 0xFFFF = free, then
    /// UTF-8); an originals flag: 0 = they live elsewhere (nothing follows), 1 = the
    /// originals `[slots][dimensions]` f32 follow, 2 = left out; for 1 and 2, per slot the
    /// metadata (u32 length, 0xFFFF_FFFF = none, then UTF-8); the live count at the last fit
    /// (u64); a codes flag, the quantizer's model and the code of every slot; then, only for
    /// an index with declared fields, the schema ([`crate::fields::Schema::write`]) and
    /// every slot's values ([`crate::fields::Fields::write_slot`]). An index without fields
    /// writes the bytes it wrote before fields existed.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.serialise(true)
    }

    /// [`Index::to_bytes`] without the originals (ids, metadata and codes): what a static
    /// site ships so that its visitors load a few bytes a vector. The loaded index searches
    /// its codes without rescoring and takes no new vectors. An index with no codes yet
    /// (quantization "none", or too few vectors to fit) would have nothing left to search.
    pub fn to_bytes_without_originals(&self) -> Result<Vec<u8>> {
        if self.codes.is_none() && !self.is_empty() {
            let why = match self.params.quantization {
                Quantization::None => "quantization \"none\" keeps no codes".to_owned(),
                q => format!(
                    "quantization {:?} fits its codes at {} vectors; this index holds {}",
                    q.name(),
                    fit_threshold(&q),
                    self.len()
                ),
            };
            return Err(Error::InvalidOption {
                name: "originals",
                reason: format!(
                    "an index without fitted codes cannot leave out its originals: nothing \
                     would remain to search ({why})"
                ),
            });
        }
        Ok(self.serialise(false))
    }

    fn serialise(&self, with_originals: bool) -> Vec<u8> {
        let mut w = Writer::default();
        self.params.write(&mut w);
        let slots = self.live.len();
        w.u32(slots as u32);
        for slot in 0..slots as u32 {
            self.write_id(slot, &mut w);
        }
        let metadata = match &self.home {
            Home::Memory(store) if with_originals => {
                w.u8(1);
                // What `f32s` writes, a row at a time.
                w.u32((slots * self.params.dimensions) as u32);
                for slot in 0..slots as u32 {
                    w.f32_run(store.row(slot));
                }
                Some(store.metadata_table())
            }
            Home::Memory(store) => {
                w.u8(2);
                Some(store.metadata_table())
            }
            Home::CodesOnly(metadata) => {
                w.u8(2);
                Some(metadata)
            }
            Home::Elsewhere => {
                w.u8(0);
                None
            }
        };
        if let Some(metadata) = metadata {
            for slot in 0..slots as u32 {
                w.optional_text(metadata.get(slot));
            }
        }
        self.write_model(&mut w);
        if let Some(codes) = &self.codes {
            for slot in 0..slots as u32 {
                codes.write_slot(slot, &mut w);
            }
        }
        if !self.fields.schema().is_empty() {
            self.fields.schema().write(&mut w);
            for slot in 0..slots as u32 {
                self.fields.write_slot(slot, &mut w);
            }
        }
        w.finish()
    }

    /// Reads an index written by [`Index::to_bytes`]. Damaged, truncated or foreign bytes
    /// are an error, never a panic or a wrong index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index> {
        let mut r = Reader::open(bytes)?;
        let params = IndexParams::read(&mut r)?;
        let slots = r.u32("slot count")? as usize;
        let mut index = Index::new(params);
        // Each slot takes at least 2 bytes of ids: reject absurd counts before allocating.
        if slots.saturating_mul(2) > bytes.len() {
            let expected = format!("at most {} for {} bytes", bytes.len() / 2, bytes.len());
            return Err(r.invalid("the slot count", &expected, Some(slots.to_string())));
        }
        try_grow(&mut index.live, slots, false, "the slot table")?;
        for slot in 0..slots as u32 {
            index.read_id(slot, &mut r)?;
        }
        let originals = r.u8("originals flag")?;
        match originals {
            0 => index.home = Home::Elsewhere,
            1 | 2 => read_store(&mut r, &mut index, slots, originals == 1)?,
            other => {
                let found = Some(other.to_string());
                return Err(r.invalid("originals flag", "0, 1 or 2", found));
            }
        }
        index.read_model(&mut r)?;
        if originals == 2 && index.codes.is_none() && !index.is_empty() {
            let found = Some("neither originals nor codes".into());
            return Err(r.invalid("an index", "searchable", found));
        }
        if let Some(codes) = &mut index.codes {
            for slot in 0..slots as u32 {
                codes.read_slot(slot, &mut r)?;
            }
        }
        if !r.at_end() {
            index.fields = Fields::new(Schema::read(&mut r)?);
            index.read_field_values(0..slots as u32, &mut r)?;
        }
        index.rebuild_free_list();
        r.finish()?;
        Ok(index)
    }

    /// Reads the values of `slots` (written by [`Fields::write_slot`]) into the fields, a
    /// batch at a time; a free slot must hold none.
    pub(crate) fn read_field_values(
        &mut self,
        slots: core::ops::Range<u32>,
        r: &mut Reader,
    ) -> Result<()> {
        const BATCH: u32 = 4096;
        let mut first = slots.start;
        while first < slots.end {
            let end = (first + BATCH).min(slots.end);
            let mut records = Vec::with_capacity((end - first) as usize);
            for slot in first..end {
                let record = self.fields.read_record(r)?;
                if !self.is_live(slot) && record.iter().any(Option::is_some) {
                    let what = format!("the field values of free slot {slot}");
                    return Err(r.invalid(what, "none", None));
                }
                records.push(record);
            }
            let rows: Vec<(u32, Option<&Record>)> =
                (first..end).zip(records.iter().map(Some)).collect();
            self.fields.put(&rows, end as usize);
            first = end;
        }
        Ok(())
    }

    pub(crate) fn rebuild_free_list(&mut self) {
        self.free = (0..self.live.len() as u32)
            .rev()
            .filter(|&s| !self.live[s as usize])
            .collect();
    }

    /// The id of `slot`: u16 length (0xFFFF = free) and UTF-8.
    pub(crate) fn write_id(&self, slot: u32, w: &mut Writer) {
        match self.ids.id(slot) {
            Some(id) => {
                w.u16(id.len() as u16);
                w.raw(id.as_bytes());
            }
            None => w.u16(u16::MAX),
        }
    }

    /// Reads what [`Index::write_id`] wrote into the next slot, `slot`.
    pub(crate) fn read_id(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        let len = r.u16("id length")?;
        if len == u16::MAX {
            self.live.push(false);
            return Ok(());
        }
        let raw = r.raw(usize::from(len), "id")?;
        let id = core::str::from_utf8(raw)
            .map_err(|_| r.invalid(format!("the id of slot {slot}"), "UTF-8", None))?;
        if id.is_empty() || self.ids.slot(id).is_some() {
            let expected = "a non-empty id not used by an earlier slot";
            return Err(r.invalid(format!("the id of slot {slot}"), expected, Some(id.into())));
        }
        self.ids.insert(id, slot);
        self.live.push(true);
        Ok(())
    }

    /// The fit count, then a codes flag and the quantizer's model.
    pub(crate) fn write_model(&self, w: &mut Writer) {
        w.u64(self.fitted_on as u64);
        match &self.codes {
            Some(codes) => {
                w.u8(1);
                codes.write_model(w);
            }
            None => w.u8(0),
        }
    }

    /// Reads what [`Index::write_model`] wrote: a fitted quantizer with no codes yet.
    pub(crate) fn read_model(&mut self, r: &mut Reader) -> Result<()> {
        self.fitted_on = usize::try_from(r.u64("fit count")?).unwrap_or(usize::MAX);
        self.codes = match r.flag("codes flag")? {
            false => None,
            true => Some(Codes::read_model(r, &self.params)?),
        };
        Ok(())
    }
}

/// Reads the originals (`[slots][dimensions]` f32, when `with_vectors`) and the per-slot
/// metadata into `index`'s home. The originals are decoded a row at a time from `r`'s bytes
/// into the store: loading never holds them twice.
fn read_store(r: &mut Reader, index: &mut Index, slots: usize, with_vectors: bool) -> Result<()> {
    let d = index.params.dimensions;
    if !with_vectors {
        let mut metadata = Metadata::default();
        metadata.try_reserve(slots)?;
        for slot in 0..slots as u32 {
            metadata.set(slot, r.optional_text("metadata")?);
        }
        index.home = Home::CodesOnly(metadata);
        return Ok(());
    }
    let count = r.u32("originals")? as usize;
    if slots.checked_mul(d) != Some(count) {
        let expected = format!("{slots} slots × {d} dimensions");
        return Err(r.invalid("the originals' count", &expected, Some(count.to_string())));
    }
    let originals = r.raw(count.saturating_mul(4), "originals")?;
    let mut store = MemoryStore::new(d);
    store.try_reserve(slots)?;
    let mut row = vec![0.0; d];
    for slot in 0..slots {
        let bytes = &originals[slot * d * 4..(slot + 1) * d * 4];
        r.decode_f32s(bytes, &mut row, "originals", slot * d)?;
        store.set(slot as u32, &row, r.optional_text("metadata")?);
    }
    index.home = Home::Memory(store);
    Ok(())
}
