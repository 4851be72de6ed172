//! Text to embeddings for quiver: sentence-transformers/all-MiniLM-L6-v2 run with a BERT encoder on candle
//! and the Hugging Face tokenizer, in wasm (the `Embedder` JS class, a module of its own so the
//! core package stays small) and natively (the `quiver-build` indexer).
//!
//! It computes what sentence-transformers computes for this model: word pieces truncated to 256
//! (`max_seq_length`), the BERT encoder, mean pooling over the real tokens, L2 normalisation.

mod bert;
mod embedder;
mod error;
mod pooling;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use embedder::{DEFAULT_BATCH, Embedder, MAX_TOKENS};
pub use error::EmbedError;
