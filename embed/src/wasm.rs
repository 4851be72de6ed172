//! The JS binding: `EmbedderCore`, wrapped by js/embedder.js (which fetches the model files and
//! checks arguments before they get here).

use js_sys::Float32Array;
use wasm_bindgen::prelude::*;

use crate::{DEFAULT_BATCH, Embedder};

/// A loaded model (see js/embedder.js for the public `Embedder`).
#[wasm_bindgen]
pub struct EmbedderCore {
    inner: Embedder,
}

#[wasm_bindgen]
impl EmbedderCore {
    /// Loads a model from the bytes of `config.json`, `tokenizer.json` and `model.safetensors`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &[u8], tokenizer: &[u8], weights: &[u8]) -> Result<EmbedderCore, JsError> {
        Ok(Self {
            inner: Embedder::from_bytes(config, tokenizer, weights)?,
        })
    }

    /// Floats per embedding.
    #[wasm_bindgen(getter)]
    pub fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    /// Embeds `texts` into a flat `texts.length x dimension` Float32Array.
    pub fn embed(&self, texts: Vec<String>, batch: Option<usize>) -> Result<Float32Array, JsError> {
        let vectors = self.inner.embed(&texts, batch.unwrap_or(DEFAULT_BATCH))?;
        Ok(Float32Array::from(vectors.as_slice()))
    }
}
