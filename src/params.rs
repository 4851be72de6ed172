//! Index parameters: the metric and the quantization, validated once.

use crate::bytes::{Reader, Writer};
use crate::error::{Error, Result};

/// Largest supported dimension count. Kernel overflow bounds are stated against it.
pub const MAX_DIMENSIONS: usize = 65_536;

/// How similarity is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Cosine similarity; vectors are L2-normalised on insert, higher is better.
    Cosine,
    /// Inner product, higher is better.
    Dot,
    /// Euclidean distance, lower is better.
    L2,
}

impl Metric {
    /// The name the JS API uses.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Dot => "dot",
            Metric::L2 => "l2",
        }
    }

    /// Parses a JS name.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "cosine" => Ok(Metric::Cosine),
            "dot" => Ok(Metric::Dot),
            "l2" => Ok(Metric::L2),
            other => Err(Error::InvalidOption {
                name: "metric",
                reason: format!("unknown metric {other:?}; expected \"cosine\", \"dot\" or \"l2\""),
            }),
        }
    }

    /// Turns an internal ranking key (higher is better: the inner product, or the negated
    /// squared distance for l2) into the score users see.
    pub fn score_from_key(self, key: f32) -> f32 {
        match self {
            Metric::Cosine | Metric::Dot => key,
            Metric::L2 => (-key).max(0.0).sqrt(),
        }
    }
}

/// How a binary index scores a query against the 1-bit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryQuery {
    /// Symmetric: the query is reduced to sign bits too; ranking by Hamming distance.
    Hamming,
    /// Asymmetric (default): the query keeps full precision, folded into a u8 table of
    /// partial inner products per group of 4 dimensions (RaBitQ's FastScan variant).
    Asymmetric,
}

/// The code each vector is stored as in wasm memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantization {
    /// No codes: exact f32 search over the originals.
    None,
    /// One signed byte per dimension, bounds per dimension at a calibration quantile.
    Int8 {
        /// Fraction of each dimension's values inside the bounds, in (0.5, 1].
        quantile: f32,
    },
    /// One bit per dimension.
    Binary {
        /// Take the sign of `x - mean` instead of `x`.
        centered: bool,
        /// How queries are scored.
        query: BinaryQuery,
        /// Refinement bits per dimension beyond the sign (0 to 4; see
        /// [`crate::quant::refine`]): the scan's best candidates are re-estimated with them,
        /// and only those whose error bound can still reach the top k are re-scored.
        refine: u8,
    },
    /// Product quantization.
    Pq {
        /// Number of sub-quantizers; must divide the dimensions.
        subspaces: usize,
        /// Bits per sub-code: 8 (256 centroids, table lookups) or 4 (16 centroids, fast-scan).
        bits: u8,
        /// Fixed seed for k-means++ (tests); `None` draws one from the system.
        seed: Option<u64>,
    },
}

impl Quantization {
    /// The name the JS API uses.
    pub fn name(&self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Int8 { .. } => "int8",
            Quantization::Binary { .. } => "binary",
            Quantization::Pq { .. } => "pq",
        }
    }

    /// Default int8 parameters. Qdrant's default quantile is 0.99, but on all-MiniLM-L6-v2
    /// clipping 1% of each dimension costs recall (recall@10 without rescoring: 0.97 at 0.99,
    /// 0.994 at 0.999; tests/recall.rs), so the default keeps 99.9%.
    pub const INT8_DEFAULT: Quantization = Quantization::Int8 { quantile: 0.999 };

    /// Default binary parameters: not centred (centring did not change recall on
    /// all-MiniLM-L6-v2), asymmetric queries.
    pub const BINARY_DEFAULT: Quantization = Quantization::Binary {
        centered: false,
        query: BinaryQuery::Asymmetric,
        refine: DEFAULT_REFINE,
    };

    /// Default PQ parameters for `dimensions`: 8-bit codes, sub-vectors of 8 dimensions
    /// (or the nearest larger width that divides `dimensions`).
    pub fn pq_default(dimensions: usize, bits: u8, seed: Option<u64>) -> Quantization {
        let width = if bits == 4 { 4 } else { 8 };
        let width = (width..=dimensions)
            .find(|w| dimensions % w == 0)
            .unwrap_or(dimensions);
        Quantization::Pq {
            subspaces: dimensions / width,
            bits,
            seed,
        }
    }

    /// Default oversampling when a search gives none: candidates = ceil(k × oversampling).
    /// Chosen from the recall measurements in the README (tests/recall.rs).
    pub fn default_oversampling(&self) -> f32 {
        match self {
            Quantization::None => 1.0,
            Quantization::Int8 { .. } => 2.0,
            Quantization::Binary { .. } => 10.0,
            Quantization::Pq { .. } => 10.0,
        }
    }
}

/// Refinement bits of binary codes by default (see [`crate::quant::refine`]): 3 keeps the
/// codes of a 384-dimension vector at 200 bytes with recall@10 0.953 without rescoring, and
/// a search from IndexedDB reads 18 originals at the median, on the real data (README).
pub const DEFAULT_REFINE: u8 = 3;

/// Everything that defines an index's layout. Immutable after creation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexParams {
    /// Length of every vector.
    pub dimensions: usize,
    /// Similarity measure.
    pub metric: Metric,
    /// Code kind.
    pub quantization: Quantization,
}

impl IndexParams {
    /// Validates a parameter set.
    pub fn new(dimensions: usize, metric: Metric, quantization: Quantization) -> Result<Self> {
        if dimensions == 0 || dimensions > MAX_DIMENSIONS {
            return Err(Error::InvalidOption {
                name: "dimensions",
                reason: format!("got {dimensions}; expected an integer from 1 to {MAX_DIMENSIONS}"),
            });
        }
        match quantization {
            Quantization::Int8 { quantile } if !(quantile > 0.5 && quantile <= 1.0) => {
                return Err(Error::InvalidOption {
                    name: "int8.quantile",
                    reason: format!("got {quantile}; expected a number in (0.5, 1]"),
                });
            }
            Quantization::Binary { refine, .. } if refine > 4 => {
                return Err(Error::InvalidOption {
                    name: "binary.refine",
                    reason: format!("got {refine}; expected an integer from 0 to 4"),
                });
            }
            Quantization::Pq {
                subspaces, bits, ..
            } => {
                if bits != 4 && bits != 8 {
                    return Err(Error::InvalidOption {
                        name: "pq.bits",
                        reason: format!("got {bits}; expected 4 or 8"),
                    });
                }
                if subspaces == 0 || dimensions % subspaces != 0 {
                    return Err(Error::InvalidOption {
                        name: "pq.subspaces",
                        reason: format!(
                            "got {subspaces}; expected a divisor of dimensions ({dimensions})"
                        ),
                    });
                }
                if bits == 4 && subspaces > 256 {
                    return Err(Error::InvalidOption {
                        name: "pq.subspaces",
                        reason: format!(
                            "got {subspaces}; 4-bit fast-scan supports at most 256 subspaces"
                        ),
                    });
                }
            }
            _ => {}
        }
        Ok(IndexParams {
            dimensions,
            metric,
            quantization,
        })
    }

    /// Index options in the words of `IndexOptions`.
    pub fn describe(&self) -> String {
        let p = self;
        let quantization = match p.quantization {
            Quantization::None => String::new(),
            Quantization::Int8 { quantile } => format!(" (quantile {quantile})"),
            Quantization::Binary {
                centered,
                query,
                refine,
            } => {
                let query = match query {
                    BinaryQuery::Hamming => "hamming",
                    BinaryQuery::Asymmetric => "asymmetric",
                };
                format!(" (centered {centered}, query \"{query}\", refine {refine})")
            }
            Quantization::Pq {
                subspaces, bits, ..
            } => format!(" ({subspaces} subspaces of {bits} bits)"),
        };
        format!(
            "dimensions {}, metric \"{}\", quantization \"{}\"{quantization}",
            p.dimensions,
            p.metric.name(),
            p.quantization.name()
        )
    }

    /// Writes the parameters into a payload (the `toBytes` file and the IndexedDB header):
    /// dimensions (u32), metric tag (u8), quantization tag (u8) and its options.
    pub fn write(&self, w: &mut Writer) {
        let p = self;
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
            Quantization::Binary {
                centered,
                query,
                refine,
            } => {
                // Tag 2 is binary without refinement, as stored before refinement existed;
                // tag 4 adds the refinement bits.
                w.u8(if refine == 0 { 2 } else { 4 });
                w.u8(u8::from(centered));
                w.u8(match query {
                    BinaryQuery::Hamming => 1,
                    BinaryQuery::Asymmetric => 2,
                });
                if refine > 0 {
                    w.u8(refine);
                }
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

    /// Reads what [`IndexParams::write`] wrote, validating it like [`IndexParams::new`].
    pub fn read(r: &mut Reader) -> Result<IndexParams> {
        let dimensions = r.u32("dimensions")? as usize;
        let metric = match r.u8("metric")? {
            0 => Metric::Cosine,
            1 => Metric::Dot,
            2 => Metric::L2,
            other => return Err(r.invalid("metric tag", "0, 1 or 2", Some(other.to_string()))),
        };
        let quantization = match r.u8("quantization")? {
            0 => Quantization::None,
            1 => Quantization::Int8 {
                quantile: r.f32("int8 quantile")?,
            },
            tag @ (2 | 4) => {
                let centered = r.flag("binary centered")?;
                let query = match r.u8("binary query mode")? {
                    1 => BinaryQuery::Hamming,
                    2 => BinaryQuery::Asymmetric,
                    other => {
                        let found = Some(other.to_string());
                        return Err(r.invalid("binary query mode", "1 or 2", found));
                    }
                };
                // Tag 4 always carries 1 to 4 bits: refine 0 is written as tag 2, so one
                // index has one encoding and what is read is written back byte for byte.
                let refine = match tag {
                    4 => match r.u8("binary refine bits")? {
                        bits @ 1..=4 => bits,
                        other => {
                            let found = Some(other.to_string());
                            return Err(r.invalid("binary refine bits", "1 to 4", found));
                        }
                    },
                    _ => 0,
                };
                Quantization::Binary {
                    centered,
                    query,
                    refine,
                }
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
            other => {
                let found = Some(other.to_string());
                return Err(r.invalid("quantization tag", "0 to 4", found));
            }
        };
        IndexParams::new(dimensions, metric, quantization)
            .map_err(|e| r.invalid("the stored parameters", "valid", Some(e.to_string())))
    }
}
