//! The versioned byte format of `toBytes` / `fromBytes`.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "QUIVERIX"
//! 8       4     format version (u32 LE) = FORMAT_VERSION
//! 12      8     payload length P (u64 LE)
//! 20      P     payload (see Index::write_payload)
//! 20+P    4     CRC-32 (IEEE) of bytes 0 .. 20+P
//! ```
//! Every number is little-endian. Variable-length fields carry a u32 count first; the
//! reader checks each count against the bytes that remain before it allocates, so a
//! damaged or malicious file is rejected without a large allocation.

use crate::error::{Error, Result, try_grow};
use crate::index::Index;
use crate::params::{BinaryQuery, IndexParams, Metric, Quantization};
use crate::quant::{Codes, fit_threshold};
use crate::store::MemoryStore;

/// Slots per page of ids and codes in the IndexedDB store: a page of 4,096 binary codes of
/// 384 dimensions is about 230 KB, so an add rewrites little and a reopen reads few records.
pub const PAGE_SLOTS: usize = 4096;

/// Magic bytes at the start of every index file.
pub const MAGIC: &[u8; 8] = b"QUIVERIX";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8;

/// Appends little-endian fields to a payload.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A u8.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// A u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// An f32.
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A u32 count, then the values.
    pub fn f32s(&mut self, values: &[f32]) {
        self.u32(values.len() as u32);
        self.f32_run(values);
    }
    /// Values with no count: [`Writer::f32s`] in parts, for values that are not contiguous.
    pub fn f32_run(&mut self, values: &[f32]) {
        self.buf.reserve(values.len() * 4);
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }
    /// Bytes with no length (the reader must know it).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    /// A u32 length, then the bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u32(bytes.len() as u32);
        self.buf.extend_from_slice(bytes);
    }

    /// Optional UTF-8 text: a u32 length (`u32::MAX` = none), then the bytes.
    pub fn optional_text(&mut self, text: Option<&str>) {
        match text {
            Some(t) => self.bytes(t.as_bytes()),
            None => self.u32(u32::MAX),
        }
    }

    /// The framed file: header, payload, checksum.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.buf.len() + 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.buf.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.buf);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// Reads fields from a verified payload.
#[derive(Debug)]
pub struct Reader<'a> {
    payload: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Checks the frame (magic, version, length, checksum) and returns a reader over the payload.
    pub fn open(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(Error::Corrupt(
                "not a quiver index (the first 8 bytes are not \"QUIVERIX\")".into(),
            ));
        }
        if bytes.len() < HEADER + 4 {
            return Err(Error::Corrupt(format!(
                "truncated: {} bytes is shorter than the {}-byte frame",
                bytes.len(),
                HEADER + 4
            )));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let length = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let expected = (HEADER as u64 + 4).saturating_add(length);
        if bytes.len() as u64 != expected {
            return Err(Error::Corrupt(format!(
                "truncated or padded: the header announces {expected} bytes, got {}",
                bytes.len()
            )));
        }
        let end = bytes.len() - 4;
        let stored = u32::from_le_bytes(bytes[end..].try_into().expect("4 bytes"));
        let actual = crc32fast::hash(&bytes[..end]);
        if stored != actual {
            return Err(Error::Corrupt(format!(
                "checksum mismatch (stored {stored:#010x}, computed {actual:#010x}): the bytes were altered"
            )));
        }
        Ok(Reader {
            payload: &bytes[HEADER..end],
            at: 0,
        })
    }

    /// An error about the field being read now.
    pub fn corrupt(&self, what: String) -> Error {
        Error::Corrupt(format!("{what} (payload offset {})", self.at))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.payload.len() - self.at < n {
            return Err(self.corrupt(format!(
                "{what} needs {n} bytes but only {} remain",
                self.payload.len() - self.at
            )));
        }
        let out = &self.payload[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    /// A u8.
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    /// A boolean stored as one byte, 0 or 1 (any other value is damage, and accepting it
    /// would make two byte strings read as the same index).
    pub fn flag(&mut self, what: &str) -> Result<bool> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(format!("{what} is {other}, not 0 or 1"))),
        }
    }
    /// A u16.
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().expect("2 bytes"),
        ))
    }
    /// A u32.
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    /// A u64.
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    /// A finite f32 (every float the format stores is finite; NaN would corrupt rankings).
    pub fn f32(&mut self, what: &str) -> Result<f32> {
        let v = f32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes"));
        if !v.is_finite() {
            return Err(self.corrupt(format!("{what} is not finite")));
        }
        Ok(v)
    }
    /// A counted array of finite f32.
    pub fn f32s(&mut self, what: &str) -> Result<Vec<f32>> {
        let count = self.u32(what)? as usize;
        // Taken before allocating: a damaged count fails here, not as a huge allocation.
        let raw = self.take(count.saturating_mul(4), what)?;
        let mut values = vec![0.0; count];
        self.decode_f32s(raw, &mut values, what, 0)?;
        Ok(values)
    }
    /// Decodes `raw` (little-endian f32, as many as `out` holds) into `out`, rejecting a
    /// value that is not finite; `first` is the first value's number in the message.
    pub fn decode_f32s(&self, raw: &[u8], out: &mut [f32], what: &str, first: usize) -> Result<()> {
        for (i, (v, bytes)) in out.iter_mut().zip(raw.chunks_exact(4)).enumerate() {
            *v = f32::from_le_bytes(bytes.try_into().expect("4 bytes"));
            if !v.is_finite() {
                return Err(self.corrupt(format!("{what}: value {} is not finite", first + i)));
            }
        }
        Ok(())
    }
    /// A counted byte array.
    pub fn bytes(&mut self, what: &str) -> Result<Vec<u8>> {
        let count = self.u32(what)? as usize;
        Ok(self.take(count, what)?.to_vec())
    }
    /// `n` raw bytes.
    pub fn raw(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        self.take(n, what)
    }

    /// What [`Writer::optional_text`] wrote.
    pub fn optional_text(&mut self, what: &str) -> Result<Option<&'a str>> {
        let len = self.u32(what)?;
        if len == u32::MAX {
            return Ok(None);
        }
        let raw = self.raw(len as usize, what)?;
        core::str::from_utf8(raw)
            .map(Some)
            .map_err(|_| self.corrupt(format!("{what} is not UTF-8")))
    }

    /// Fails unless every payload byte was read.
    pub fn finish(self) -> Result<()> {
        if self.at != self.payload.len() {
            return Err(self.corrupt(format!(
                "{} unread bytes after the index",
                self.payload.len() - self.at
            )));
        }
        Ok(())
    }
}

impl Index {
    /// Serialises the whole index (see [`crate::persist`] for the frame).
    ///
    /// Payload: params; slot count; per slot the id (u16 length, 0xFFFF = free, then
    /// UTF-8); an originals flag: 0 = they live elsewhere (nothing follows), 1 = the
    /// originals `[slots][dimensions]` f32 follow, 2 = left out; for 1 and 2, per slot the
    /// metadata (u32 length, 0xFFFF_FFFF = none, then UTF-8); the live count at the last fit
    /// (u64); a codes flag, the quantizer's model and the code of every slot.
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
        write_params(&mut w, &self.params);
        let slots = self.live.len();
        w.u32(slots as u32);
        for slot in 0..slots as u32 {
            self.write_id(slot, &mut w);
        }
        match &self.store {
            Some(store) => {
                if with_originals && store.keeps_vectors() {
                    w.u8(1);
                    // What `f32s` writes, a row at a time.
                    w.u32((slots * self.params.dimensions) as u32);
                    for slot in 0..slots as u32 {
                        w.f32_run(store.vector(slot).unwrap_or(&[]));
                    }
                } else {
                    w.u8(2);
                }
                for slot in 0..slots as u32 {
                    w.optional_text(store.metadata(slot));
                }
            }
            None => w.u8(0),
        }
        self.write_model(&mut w);
        if let Some(codes) = &self.codes {
            for slot in 0..slots as u32 {
                codes.write_slot(slot, &mut w);
            }
        }
        w.finish()
    }

    /// Reads an index written by [`Index::to_bytes`]. Damaged, truncated or foreign bytes
    /// are an error, never a panic or a wrong index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index> {
        let mut r = Reader::open(bytes)?;
        let params = read_params(&mut r)?;
        let slots = r.u32("slot count")? as usize;
        let mut index = Index::new(params);
        // Each slot takes at least 2 bytes of ids: reject absurd counts before allocating.
        if slots.saturating_mul(2) > bytes.len() {
            return Err(r.corrupt(format!("{slots} slots cannot fit in {} bytes", bytes.len())));
        }
        try_grow(&mut index.live, slots, false, "the slot table")?;
        for slot in 0..slots as u32 {
            index.read_id(slot, &mut r)?;
        }
        let originals = r.u8("originals flag")?;
        match originals {
            0 => index.store = None,
            1 | 2 => read_store(&mut r, &mut index, slots, originals == 1)?,
            other => return Err(r.corrupt(format!("originals flag {other} is not 0, 1 or 2"))),
        }
        index.read_model(&mut r)?;
        if originals == 2 && index.codes.is_none() && !index.is_empty() {
            return Err(r.corrupt("neither originals nor codes to search".into()));
        }
        if let Some(codes) = &mut index.codes {
            for slot in 0..slots as u32 {
                codes.read_slot(slot, &mut r)?;
            }
        }
        index.rebuild_free_list();
        r.finish()?;
        Ok(index)
    }

    /// The state of an index whose originals live elsewhere that is not per slot: params,
    /// slot count, and the fit count and model of its quantizer. Framed like `to_bytes`.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        write_params(&mut w, &self.params);
        w.u32(self.live.len() as u32);
        self.write_model(&mut w);
        w.finish()
    }

    /// An index whose originals live elsewhere, from its stored [`Index::header_bytes`] and
    /// [`Index::page_bytes`] (in page order), as `Index.open` reads them. The header's slot
    /// count is checked against the number of pages before anything is allocated for it.
    pub fn from_records(header: &[u8], pages: &[impl AsRef<[u8]>]) -> Result<Index> {
        let mut r = Reader::open(header)?;
        let mut index = Index::new_external(read_params(&mut r)?);
        let slots = r.u32("slot count")? as usize;
        index.read_model(&mut r)?;
        r.finish()?;
        if slots.div_ceil(PAGE_SLOTS) != pages.len() {
            return Err(Error::Corrupt(format!(
                "the header counts {slots} slots, which {} pages of {PAGE_SLOTS} cannot hold",
                pages.len()
            )));
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
    /// id (as in `to_bytes`) and, once the quantizer is fitted, the slot's code.
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
        w.finish()
    }

    /// Loads the next page (pages load in order).
    fn load_page(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::open(bytes)?;
        let page = r.u32("page number")? as usize;
        let expected = self.live.len() / PAGE_SLOTS;
        if page != expected || self.live.len() % PAGE_SLOTS != 0 {
            return Err(r.corrupt(format!("page {page} arrived where page {expected} belongs")));
        }
        let count = r.u32("page slot count")? as usize;
        if count == 0 || count > PAGE_SLOTS {
            return Err(r.corrupt(format!("a page of {count} slots")));
        }
        for slot in (page * PAGE_SLOTS) as u32..(page * PAGE_SLOTS + count) as u32 {
            self.read_id(slot, &mut r)?;
            if let Some(codes) = &mut self.codes {
                codes.read_slot(slot, &mut r)?;
            }
        }
        r.finish()
    }

    /// Checks that the pages held `slots` slots (the header's count) and readies the index.
    fn finish_loading(&mut self, slots: usize) -> Result<()> {
        if self.live.len() != slots {
            return Err(Error::Corrupt(format!(
                "the pages hold {} slots, the header says {slots}",
                self.live.len()
            )));
        }
        self.rebuild_free_list();
        self.ids.shrink_to_fit();
        Ok(())
    }

    fn rebuild_free_list(&mut self) {
        self.free = (0..self.live.len() as u32)
            .rev()
            .filter(|&s| !self.live[s as usize])
            .collect();
    }

    /// The id of `slot`: u16 length (0xFFFF = free) and UTF-8.
    fn write_id(&self, slot: u32, w: &mut Writer) {
        match self.ids.id(slot) {
            Some(id) => {
                w.u16(id.len() as u16);
                w.raw(id.as_bytes());
            }
            None => w.u16(u16::MAX),
        }
    }

    /// Reads what [`Index::write_id`] wrote into the next slot, `slot`.
    fn read_id(&mut self, slot: u32, r: &mut Reader) -> Result<()> {
        let len = r.u16("id length")?;
        if len == u16::MAX {
            self.live.push(false);
            return Ok(());
        }
        let raw = r.raw(usize::from(len), "id")?;
        let id = core::str::from_utf8(raw)
            .map_err(|_| r.corrupt(format!("id of slot {slot} is not UTF-8")))?;
        if id.is_empty() || self.ids.slot(id).is_some() {
            return Err(r.corrupt(format!("id of slot {slot} is empty or repeated")));
        }
        self.ids.insert(id, slot);
        self.live.push(true);
        Ok(())
    }

    /// The fit count, then a codes flag and the quantizer's model.
    fn write_model(&self, w: &mut Writer) {
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
    fn read_model(&mut self, r: &mut Reader) -> Result<()> {
        self.fitted_on = usize::try_from(r.u64("fit count")?).unwrap_or(usize::MAX);
        self.codes = match r.flag("codes flag")? {
            false => None,
            true => Some(Codes::read_model(r, &self.params)?),
        };
        Ok(())
    }
}

/// Reads the originals (`[slots][dimensions]` f32, when `with_vectors`) and the per-slot
/// metadata into `index`. The originals are decoded a row at a time from `r`'s bytes into
/// the store: loading never holds them twice.
fn read_store(r: &mut Reader, index: &mut Index, slots: usize, with_vectors: bool) -> Result<()> {
    let d = index.params.dimensions;
    let (mut store, originals) = if with_vectors {
        let count = r.u32("originals")? as usize;
        if slots.checked_mul(d) != Some(count) {
            return Err(r.corrupt(format!("{count} original values for {slots} slots of {d}")));
        }
        let raw = r.raw(count.saturating_mul(4), "originals")?;
        (MemoryStore::new(d), raw)
    } else {
        (MemoryStore::metadata_only(d), &[][..])
    };
    store.try_reserve(slots)?;
    let mut row = vec![0.0; if with_vectors { d } else { 0 }];
    for slot in 0..slots {
        if with_vectors {
            let bytes = &originals[slot * d * 4..(slot + 1) * d * 4];
            r.decode_f32s(bytes, &mut row, "originals", slot * d)?;
        }
        store.put(slot as u32, &row, r.optional_text("metadata")?);
    }
    index.store = Some(store);
    Ok(())
}

fn write_params(w: &mut Writer, p: &IndexParams) {
    w.u32(p.dimensions as u32);
    w.u8(match p.metric {
        Metric::Cosine => 0,
        Metric::Dot => 1,
        Metric::L2 => 2,
    });
    match p.quantization {
        Quantization::None => w.u8(0),
        Quantization::Int8 { quantile } => {
            w.u8(1);
            w.f32(quantile);
        }
        Quantization::Binary { centered, query } => {
            w.u8(2);
            w.u8(u8::from(centered));
            w.u8(match query {
                BinaryQuery::Hamming => 1,
                BinaryQuery::Asymmetric => 2,
            });
        }
        Quantization::Pq {
            subspaces,
            bits,
            seed,
        } => {
            w.u8(3);
            w.u32(subspaces as u32);
            w.u8(bits);
            match seed {
                Some(s) => {
                    w.u8(1);
                    w.u64(s);
                }
                None => w.u8(0),
            }
        }
    }
}

fn read_params(r: &mut Reader) -> Result<IndexParams> {
    let dimensions = r.u32("dimensions")? as usize;
    let metric = match r.u8("metric")? {
        0 => Metric::Cosine,
        1 => Metric::Dot,
        2 => Metric::L2,
        other => return Err(r.corrupt(format!("metric tag {other} is unknown"))),
    };
    let quantization = match r.u8("quantization")? {
        0 => Quantization::None,
        1 => Quantization::Int8 {
            quantile: r.f32("int8 quantile")?,
        },
        2 => {
            let centered = r.flag("binary centered")?;
            let query = match r.u8("binary query mode")? {
                1 => BinaryQuery::Hamming,
                2 => BinaryQuery::Asymmetric,
                other => return Err(r.corrupt(format!("binary query mode {other} is unknown"))),
            };
            Quantization::Binary { centered, query }
        }
        3 => {
            let subspaces = r.u32("pq subspaces")? as usize;
            let bits = r.u8("pq bits")?;
            let seed = match r.flag("pq seed flag")? {
                false => None,
                true => Some(r.u64("pq seed")?),
            };
            Quantization::Pq {
                subspaces,
                bits,
                seed,
            }
        }
        other => return Err(r.corrupt(format!("quantization tag {other} is unknown"))),
    };
    IndexParams::new(dimensions, metric, quantization)
        .map_err(|e| r.corrupt(format!("stored parameters are invalid: {e}")))
}
