//! # quiver
//!
//! Semantic search in the browser: embedding vectors are kept as compact codes (1-bit,
//! int8 or product-quantized) in wasm linear memory, scanned with WebAssembly SIMD128
//! kernels, and the best candidates are re-scored with the original vectors.
//!
//! ```
//! use quiver::{Index, IndexParams, Metric, Quantization, SearchOptions};
//!
//! let params = IndexParams::new(4, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
//! let mut index = Index::new(params);
//! index.add(&["a", "b"], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], None).unwrap();
//! let hits = index.search(&[0.9, 0.1, 0.0, 0.0], &SearchOptions::default()).unwrap();
//! assert_eq!(hits[0].id, "a");
//! ```
//!
//! Modules, bottom up; each uses only those before it:
//!
//! ```text
//! error, bytes (framing), rng, sort, segmented      leaves
//! kernels                                           slices and integers only
//! params, quant/                                    codes: fit, encode, scan
//! search/                                           selection and exact rescoring
//! fields/                                           declared fields, their indexes, filters
//! store/                                            the Originals trait; memory; the three homes
//! ids, index/                                       ids, slots; the one add path and search path
//! persist                                           the toBytes format
//! idb/                                              records; IndexedDB; the persistent index
//! handle                                            memory or persistent, one set of calls
//! wasm/                                             the JS binding: shims only
//! ```

pub mod bytes;
pub mod error;
pub mod fields;
#[cfg(target_arch = "wasm32")]
pub mod handle;
pub mod idb;
pub mod ids;
pub mod index;
pub mod kernels;
pub mod params;
pub mod persist;
pub mod quant;
pub mod rng;
pub mod search;
pub mod segmented;
pub mod sort;
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use fields::{FieldKind, Filter, Record, Scalar, Schema, Value};
pub use index::{
    AddPlan, Answer, Hit, Index, MemoryUsage, RowChunks, Rows, SearchOptions, SearchPlan, Timings,
};
pub use params::{BinaryQuery, IndexParams, Metric, Quantization};
pub use store::{Lookup, Originals, Row};
