//! The one error type of the crate. Each variant names what was wrong and what was expected;
//! the wasm boundary turns the `Display` text into the message of a JS `Error`.

use thiserror::Error;

/// Everything that can go wrong in quiver. No variant leaves an index half-changed: every
/// operation validates its whole input before it mutates anything.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// An option is outside its domain.
    #[error("invalid option `{name}`: {reason}")]
    InvalidOption {
        /// The option's name as the JS API spells it.
        name: &'static str,
        /// What was wrong and what is accepted.
        reason: String,
    },
    /// A vector's length does not match the index's dimensions.
    #[error("vector {position} has {received} values, but the index has {expected} dimensions")]
    DimensionMismatch {
        /// Which vector of the call (0 for a query).
        position: usize,
        /// The index's dimensions.
        expected: usize,
        /// The vector's length.
        received: usize,
    },
    /// A flat vector buffer whose length is not `ids × dimensions`.
    #[error(
        "vectors hold {received} values, but {ids} ids × {dimensions} dimensions need {expected}"
    )]
    BatchLength {
        /// Number of ids in the call.
        ids: usize,
        /// The index's dimensions.
        dimensions: usize,
        /// `ids × dimensions`.
        expected: usize,
        /// Number of values given.
        received: usize,
    },
    /// Wasm memory cannot grow enough for the call.
    #[error(
        "out of memory: {what} needs {bytes} more bytes and wasm memory cannot grow that far \
         (browsers allow at most 4 GiB per wasm module, often less); nothing was changed"
    )]
    OutOfMemory {
        /// What needed the memory.
        what: &'static str,
        /// How many bytes it asked for.
        bytes: usize,
    },
    /// NaN or ±Infinity in a vector.
    #[error("vector {position} has a non-finite value ({value}) at dimension {dimension}")]
    NonFinite {
        /// Which vector of the call (0 for a query).
        position: usize,
        /// The offending dimension.
        dimension: usize,
        /// The offending value.
        value: f32,
    },
    /// A vector so large that the sum of its squares overflows f32 (dot and l2 metrics).
    #[error(
        "vector {position} is too large: the sum of its squared values overflows 32-bit floats \
         (about 3.4e38); scale it down"
    )]
    TooLarge {
        /// Which vector of the call (0 for a query).
        position: usize,
    },
    /// A zero vector cannot be normalised for the cosine metric.
    #[error("vector {position} is all zeros, which has no direction for the cosine metric")]
    ZeroVector {
        /// Which vector of the call (0 for a query).
        position: usize,
    },
    /// An id that is empty or too long.
    #[error("id {position} is invalid: {reason}")]
    InvalidId {
        /// Which id of the call.
        position: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The same id twice in one call.
    #[error("id {id:?} appears twice in one call (positions {first} and {second})")]
    DuplicateId {
        /// The repeated id.
        id: String,
        /// Its first position.
        first: usize,
        /// Its second position.
        second: usize,
    },
    /// Metadata array whose length differs from the ids array.
    #[error("metadata has {received} entries, but there are {expected} ids")]
    MetadataLength {
        /// Number of ids.
        expected: usize,
        /// Number of metadata entries.
        received: usize,
    },
    /// A record whose declared fields hold values of the wrong kind.
    #[error("metadata {position}: {reason}")]
    InvalidField {
        /// Which record of the call.
        position: usize,
        /// What was wrong and what the declaration expects.
        reason: String,
    },
    /// A filter (`where`) that does not fit the declared fields.
    #[error("invalid filter: {reason}")]
    InvalidFilter {
        /// What was wrong and what is accepted.
        reason: String,
    },
    /// A call that needs the originals in memory, on an index that keeps them elsewhere.
    #[error(
        "this index keeps its original vectors outside wasm memory; pass their store to \
         add_with, search_with or delete_with"
    )]
    OriginalsElsewhere,
    /// A call that only an index in wasm memory answers, on a persistent one.
    #[error(
        "{call}() needs an in-memory index: this one (from Index.open) keeps its originals \
         and metadata in IndexedDB; build the index with new Index(...) to {purpose}"
    )]
    NotInMemory {
        /// The call, as the JS API spells it.
        call: &'static str,
        /// What an in-memory index would let the caller do.
        purpose: &'static str,
    },
    /// A call that needs the originals, on an index loaded from bytes written without them.
    #[error(
        "this index was loaded without its original vectors (toBytes({{ originals: false }})), \
         so it cannot {action}; load bytes written with the originals to do that"
    )]
    NoOriginals {
        /// What the call wanted to do.
        action: &'static str,
    },
    /// The browser's storage refused or failed an operation; the index is unchanged.
    #[error("IndexedDB: {0}")]
    Storage(Storage),
    /// A byte string (a `toBytes` file, an IndexedDB record) that is not a quiver index, or
    /// is damaged.
    #[error("cannot read index bytes: {0}")]
    Corrupt(Damage),
    /// A byte string written by a newer (or unknown) format version.
    #[error("index bytes have format version {found}, this build reads version {supported}")]
    UnsupportedVersion {
        /// Version in the bytes.
        found: u32,
        /// Version this build writes and reads.
        supported: u32,
    },
}

/// How stored bytes are damaged or foreign: what is wrong, where, what the format expects
/// and what was found. Every stored byte string is framed and checksummed
/// ([`crate::bytes`]), so most damage is caught by the frame; the rest is a field whose
/// value the format does not allow.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Damage {
    /// The bytes do not start with the magic.
    #[error("not a quiver index (the first 8 bytes are not \"QUIVERIX\")")]
    NotQuiver,
    /// The bytes are not as long as the frame says.
    #[error("truncated or padded: the frame announces {expected} bytes, got {found}")]
    Length {
        /// Bytes the frame announces (at least the frame itself).
        expected: u64,
        /// Bytes given.
        found: u64,
    },
    /// The checksum does not match the bytes.
    #[error(
        "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the bytes were \
         altered"
    )]
    Checksum {
        /// The CRC-32 stored in the frame.
        stored: u32,
        /// The CRC-32 of the bytes.
        computed: u32,
    },
    /// Fewer payload bytes remain than a field needs.
    #[error("{what} needs {needed} bytes but only {remaining} remain (payload offset {at})")]
    Short {
        /// The field.
        what: String,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        remaining: usize,
        /// Where in the payload.
        at: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("{what} is not {expected}{}{}", Found(found.as_deref()), At(*at))]
    Field {
        /// The field (or record).
        what: String,
        /// What the format allows there.
        expected: String,
        /// What was there, when it can be shown.
        found: Option<String>,
        /// Where in the payload, for a field read from one.
        at: Option<usize>,
    },
    /// A numbered record (a page, a block) stored where another belongs.
    #[error("{record} {found} arrived where {record} {expected} belongs")]
    Misplaced {
        /// "page" or "block".
        record: &'static str,
        /// The number it holds.
        found: u64,
        /// The number its place holds.
        expected: u64,
    },
    /// The header's slot count does not fit the pages stored.
    #[error("the header counts {slots} slots, which {pages} pages of {page_slots} cannot hold")]
    PagesForSlots {
        /// Slots in the header.
        slots: usize,
        /// Pages stored.
        pages: usize,
        /// Slots a page holds.
        page_slots: usize,
    },
    /// A record the index needs is not in the database.
    #[error("{what} is missing from the database")]
    Missing {
        /// The record.
        what: String,
    },
}

/// `: found X` in a message, when X can be shown.
struct Found<'a>(Option<&'a str>);

impl core::fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(found) => write!(f, ": found {found}"),
            None => Ok(()),
        }
    }
}

/// ` (the browser's words)` in a message, when it gave some.
struct Detail<'a>(Option<&'a str>);

impl core::fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(detail) => write!(f, " ({detail})"),
            None => Ok(()),
        }
    }
}

/// ` (payload offset N)` in a message, for a field read from a payload.
struct At(Option<usize>);

impl core::fmt::Display for At {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(at) => write!(f, " (payload offset {at})"),
            None => Ok(()),
        }
    }
}

/// What the browser's storage refused or failed; the index and its stored data are as they
/// were.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Storage {
    /// The site's storage quota is full.
    #[error(
        "{doing}: the browser's storage quota for this site is full{}; nothing was written \
         and the index is unchanged",
        Detail(detail.as_deref())
    )]
    Quota {
        /// What quiver was doing.
        doing: String,
        /// The browser's message, if any.
        detail: Option<String>,
    },
    /// Another failure of a request or transaction.
    #[error("{doing} failed ({detail}); the index is unchanged")]
    Failed {
        /// What quiver was doing.
        doing: String,
        /// The browser's error name and message.
        detail: String,
    },
    /// The environment has no IndexedDB.
    #[error(
        "this environment has no `indexedDB` (Node has none): use `new Index(options)` and \
         `toBytes`/`fromBytes` instead of `Index.open`"
    )]
    Unavailable,
    /// The database was written by a newer schema.
    #[error(
        "database {database:?} was written by a newer quiver (schema newer than version \
         {supported}, which this build reads); it was left untouched"
    )]
    Newer {
        /// The database's name.
        database: String,
        /// The schema version this build reads.
        supported: u32,
    },
    /// The database holds something other than a quiver index.
    #[error(
        "database {database:?} is not a quiver index (it lacks the stores meta, pages and \
         vectors)"
    )]
    Foreign {
        /// The database's name.
        database: String,
    },
    /// Another context deleted or upgraded the database, which closed this connection.
    #[error(
        "database {database:?} was deleted or upgraded (by a newer quiver) in another tab or \
         worker, so this index was closed; open it again with Index.open"
    )]
    Replaced {
        /// The database's name.
        database: String,
    },
    /// Another context removed the index's records.
    #[error("the index was removed from IndexedDB by another tab or worker")]
    Removed,
    /// Another context stored an index with other options under the same name.
    #[error(
        "the index was replaced in another tab or worker by one with other options; open it \
         again with Index.open"
    )]
    OptionsChanged,
}

impl Damage {
    /// A field that is not what the format allows, with no payload offset.
    pub fn field(
        what: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Error {
        Error::Corrupt(Damage::Field {
            what: what.into(),
            expected: expected.into(),
            found: Some(found.into()),
            at: None,
        })
    }
}

/// Shorthand used across the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Makes room for `additional` more elements: exactly that many when `exact`, otherwise
/// growing by at least a quarter of the length, failing with [`Error::OutOfMemory`] for `what`
/// instead of aborting the module. For the small per-slot arrays (ids, flags, norms); the
/// buffers of whole vectors and codes grow in segments ([`crate::segmented`]). A quarter, not
/// `Vec`'s doubling: in wasm, linear memory never shrinks, and a doubling needs a free block
/// twice the old one, which the allocator mostly finds only by growing memory.
pub(crate) fn try_grow<T>(
    vec: &mut Vec<T>,
    additional: usize,
    exact: bool,
    what: &'static str,
) -> Result<()> {
    let room = vec.capacity() - vec.len();
    let reserved = if exact || room >= additional {
        vec.try_reserve_exact(additional)
    } else {
        vec.try_reserve_exact(additional.max(vec.len() / 4))
    };
    reserved.map_err(|_| Error::OutOfMemory {
        what,
        bytes: additional.saturating_mul(size_of::<T>()),
    })
}
