//! The embedder: tokenizer + BERT encoder + pooling, from the three files a Hugging Face
//! sentence-transformers repository ships (`config.json`, `tokenizer.json`, `model.safetensors`).

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::{Tokenizer, TruncationParams};

use crate::EmbedError;
use crate::bert::{Bert, Config};
use crate::pooling::mean_pool_normalized;

/// Word pieces kept per text, [CLS] and [SEP] included: all-MiniLM-L6-v2's `max_seq_length`
/// (its tokenizer.json says 128, but sentence-transformers truncates at 256).
pub const MAX_TOKENS: usize = 256;

/// Texts run through the encoder together. Larger batches amortise per-call overhead but pad
/// more; 32 is sentence-transformers' default.
pub const DEFAULT_BATCH: usize = 32;

/// A loaded model. Embeddings are `dimension()` floats per text, unit length.
pub struct Embedder {
    tokenizer: Tokenizer,
    model: Bert,
    dimension: usize,
}

impl Embedder {
    /// Loads a model from the bytes of its `config.json`, `tokenizer.json` and
    /// `model.safetensors` (float32, float16 or bfloat16 weights; computed in float32).
    pub fn from_bytes(config: &[u8], tokenizer: &[u8], weights: &[u8]) -> Result<Self, EmbedError> {
        let config = Config::from_json(config)?;
        let mut tokenizer =
            Tokenizer::from_bytes(tokenizer).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // The file's fixed padding to 128 would waste work: batches are padded here, to their
        // longest text.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let vb = VarBuilder::from_slice_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| EmbedError::Weights(e.to_string()))?;
        let model = Bert::load(vb, &config).map_err(|e| EmbedError::Weights(e.to_string()))?;
        Ok(Self {
            tokenizer,
            model,
            dimension: config.hidden_size,
        })
    }

    /// Loads a model from a folder holding `config.json`, `tokenizer.json` and
    /// `model.safetensors` (native only: wasm gets the bytes from JS).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_folder(folder: &std::path::Path) -> Result<Self, EmbedError> {
        let read = |name: &str| {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|e| EmbedError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        };
        Self::from_bytes(
            &read("config.json")?,
            &read("tokenizer.json")?,
            &read("model.safetensors")?,
        )
    }

    /// Floats per embedding (384 for all-MiniLM-L6-v2).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Embeds `texts` into one row-major `texts.len() x dimension()` vector, row i for text i.
    /// Texts are sorted by length into batches of `batch` so that little padding is computed.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S], batch: usize) -> Result<Vec<f32>, EmbedError> {
        let encodings = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let encoding =
                    self.tokenizer
                        .encode(text.as_ref(), true)
                        .map_err(|e| EmbedError::Encode {
                            index,
                            message: e.to_string(),
                        })?;
                Ok(encoding.get_ids().to_vec())
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());

        let mut out = vec![0.0; texts.len() * self.dimension];
        for group in order.chunks(batch.max(1)) {
            let rows: Vec<&[u32]> = group.iter().map(|&i| encodings[i].as_slice()).collect();
            let pooled = self.embed_batch(&rows)?;
            for (&i, vector) in group.iter().zip(pooled.chunks_exact(self.dimension)) {
                out[i * self.dimension..(i + 1) * self.dimension].copy_from_slice(vector);
            }
        }
        Ok(out)
    }

    /// Runs one batch of token-id rows (each at most MAX_TOKENS long) padded to the longest;
    /// returns the pooled, normalised embeddings, row-major.
    fn embed_batch(&self, rows: &[&[u32]]) -> Result<Vec<f32>, EmbedError> {
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; rows.len() * width]; // 0 = [PAD]
        let mut mask = vec![0u32; rows.len() * width];
        for (r, row) in rows.iter().enumerate() {
            ids[r * width..r * width + row.len()].copy_from_slice(row);
            mask[r * width..r * width + row.len()].fill(1);
        }
        let shape = (rows.len(), width);
        let ids = Tensor::from_vec(ids, shape, &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, shape, &Device::Cpu)?;
        // hidden: rows x width x dimension
        let hidden = self.model.forward(&ids, &mask)?;
        let hidden = hidden.flatten_all()?.to_vec1::<f32>()?;

        let mut pooled = vec![0.0; rows.len() * self.dimension];
        let per_row = width * self.dimension;
        for (r, row) in rows.iter().enumerate() {
            mean_pool_normalized(
                &hidden[r * per_row..(r + 1) * per_row],
                self.dimension,
                row.len(),
                &mut pooled[r * self.dimension..(r + 1) * self.dimension],
            );
        }
        Ok(pooled)
    }
}
