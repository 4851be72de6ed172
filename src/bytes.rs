//! Byte framing shared by every stored byte string (the `toBytes` file, the IndexedDB records,
//! the quantizers' models): a frame of magic, version, length and CRC-32 around a payload of
//! little-endian fields, written by [`Writer`] and read by [`Reader`].
//!
//! ```text
//! offset  size  field
//! 0       8     magic "QUIVERIX"
//! 8       4     format version (u32 LE) = FORMAT_VERSION
//! 12      8     payload length P (u64 LE)
//! 20      P     payload
//! 20+P    4     CRC-32 (IEEE) of bytes 0 .. 20+P
//! ```
//! Every number is little-endian. Variable-length fields carry a u32 count first; the
//! reader checks each count against the bytes that remain before it allocates, so a
//! damaged or malicious string is rejected without a large allocation.
//!
//! A leaf module: it knows the crate's errors and nothing else.

use crate::error::{Damage, Error, Result};

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
            return Err(Error::Corrupt(Damage::NotQuiver));
        }
        if bytes.len() < HEADER + 4 {
            return Err(Error::Corrupt(Damage::Length {
                expected: HEADER as u64 + 4,
                found: bytes.len() as u64,
            }));
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
            return Err(Error::Corrupt(Damage::Length {
                expected,
                found: bytes.len() as u64,
            }));
        }
        let end = bytes.len() - 4;
        let stored = u32::from_le_bytes(bytes[end..].try_into().expect("4 bytes"));
        let actual = crc32fast::hash(&bytes[..end]);
        if stored != actual {
            return Err(Error::Corrupt(Damage::Checksum {
                stored,
                computed: actual,
            }));
        }
        Ok(Reader {
            payload: &bytes[HEADER..end],
            at: 0,
        })
    }

    /// An error about the field being read now: `what` is not `expected` (and was
    /// `found`, when that can be shown).
    pub fn invalid(
        &self,
        what: impl Into<String>,
        expected: impl Into<String>,
        found: Option<String>,
    ) -> Error {
        Error::Corrupt(Damage::Field {
            what: what.into(),
            expected: expected.into(),
            found,
            at: Some(self.at),
        })
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.payload.len() - self.at < n {
            return Err(Error::Corrupt(Damage::Short {
                what: what.to_owned(),
                needed: n,
                remaining: self.payload.len() - self.at,
                at: self.at,
            }));
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
            other => Err(self.invalid(what, "0 or 1", Some(other.to_string()))),
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
            return Err(self.invalid(what, "finite", Some(v.to_string())));
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
                let value = format!("value {} = {v}", first + i);
                return Err(self.invalid(what, "finite", Some(value)));
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
            .map_err(|_| self.invalid(what, "UTF-8", None))
    }

    /// True once every payload byte was read: a section added to the format at the end of a
    /// payload is read only when bytes remain, so bytes written before it still load.
    pub fn at_end(&self) -> bool {
        self.at == self.payload.len()
    }

    /// Fails unless every payload byte was read.
    pub fn finish(self) -> Result<()> {
        if self.at != self.payload.len() {
            let unread = format!("{} unread bytes", self.payload.len() - self.at);
            return Err(self.invalid("the payload's end", "reached", Some(unread)));
        }
        Ok(())
    }
}
