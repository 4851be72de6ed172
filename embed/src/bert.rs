//! The BERT encoder (Devlin et al. 2019, as Hugging Face `transformers`' `BertModel` computes
//! it in inference), on candle's tensors and layers.
//!
//! Why not `candle-transformers`' BERT: that crate compiles every model it ships (LLMs, Whisper,
//! Stable Diffusion, ...) to give us this one, about 1m40s of a 2-core machine for each of
//! the four builds `npm test` makes of the embedder (native and wasm32, checked and
//! optimised); and the encoder's layers are what issue 23 makes fast, so they are ours to
//! change. The parity test (tests/parity.rs) holds it to sentence-transformers.
//!
//! Shapes: `b` texts a batch, `w` word pieces each (padded), `d` = hidden size, `h` heads of
//! `d / h` dimensions, `i` = intermediate size. Per layer:
//! ```text
//! q, k, v   = x·Wq, x·Wk, x·Wv                  (b, w, d) → (b, h, w, d/h) each
//! attention = softmax(q·kᵀ / √(d/h) + mask)·v    mask: 0 for real tokens, f32::MIN for padding
//! x         = LayerNorm(x + attention·Wo)
//! x         = LayerNorm(x + gelu_erf(x·W1)·W2)    (b, w, i) in between
//! ```

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use serde_json::Value;

use crate::EmbedError;

/// The fields of a Hugging Face `config.json` this encoder reads.
pub struct Config {
    vocab_size: usize,
    /// Floats per token in every layer: the embedding's dimension.
    pub hidden_size: usize,
    layers: usize,
    heads: usize,
    intermediate_size: usize,
    max_positions: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
}

impl Config {
    /// Parses `config.json`; refuses what this encoder does not compute (another activation,
    /// relative positions) rather than compute something else.
    pub fn from_json(bytes: &[u8]) -> std::result::Result<Config, EmbedError> {
        let json: Value =
            serde_json::from_slice(bytes).map_err(|e| EmbedError::Config(e.to_string()))?;
        let size = |key: &str| {
            json.get(key)
                .and_then(Value::as_u64)
                .filter(|&n| n > 0)
                .map(|n| n as usize)
                .ok_or_else(|| EmbedError::Config(format!("{key}: expected a positive integer")))
        };
        let text = |key: &str, default: &str, expected: &str| {
            let found = json
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned();
            if found == expected {
                Ok(())
            } else {
                Err(EmbedError::Config(format!(
                    "{key} is \"{found}\"; expected \"{expected}\""
                )))
            }
        };
        text("hidden_act", "gelu", "gelu")?;
        text("position_embedding_type", "absolute", "absolute")?;
        let config = Config {
            vocab_size: size("vocab_size")?,
            hidden_size: size("hidden_size")?,
            layers: size("num_hidden_layers")?,
            heads: size("num_attention_heads")?,
            intermediate_size: size("intermediate_size")?,
            max_positions: size("max_position_embeddings")?,
            type_vocab_size: size("type_vocab_size")?,
            layer_norm_eps: json
                .get("layer_norm_eps")
                .and_then(Value::as_f64)
                .unwrap_or(1e-12),
        };
        if config.hidden_size % config.heads != 0 {
            let message = format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.heads
            );
            return Err(EmbedError::Config(message));
        }
        Ok(config)
    }
}

/// One encoder layer's weights.
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// Embeddings and encoder layers; [`Bert::forward`] maps token ids to the last hidden states.
pub struct Bert {
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    max_positions: usize,
}

impl Bert {
    /// Loads the weights under their `transformers` names (with or without a `bert.` prefix).
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Bert> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let (d, eps) = (config.hidden_size, config.layer_norm_eps);
        let e = vb.pp("embeddings");
        let layers = (0..config.layers)
            .map(|n| {
                let l = vb.pp(format!("encoder.layer.{n}"));
                let (a, s) = (l.pp("attention"), l.pp("attention.self"));
                Ok(Layer {
                    query: linear(d, d, s.pp("query"))?,
                    key: linear(d, d, s.pp("key"))?,
                    value: linear(d, d, s.pp("value"))?,
                    attention_out: linear(d, d, a.pp("output.dense"))?,
                    attention_norm: layer_norm(d, eps, a.pp("output.LayerNorm"))?,
                    intermediate: linear(d, config.intermediate_size, l.pp("intermediate.dense"))?,
                    output: linear(config.intermediate_size, d, l.pp("output.dense"))?,
                    output_norm: layer_norm(d, eps, l.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert {
            words: embedding(config.vocab_size, d, e.pp("word_embeddings"))?,
            positions: embedding(config.max_positions, d, e.pp("position_embeddings"))?,
            token_types: embedding(config.type_vocab_size, d, e.pp("token_type_embeddings"))?,
            embedding_norm: layer_norm(d, eps, e.pp("LayerNorm"))?,
            layers,
            heads: config.heads,
            max_positions: config.max_positions,
        })
    }

    /// `ids` and `mask` are (b, w) u32: word-piece ids, and 1 for a real token, 0 for padding.
    /// Returns the last hidden states, (b, w, d). Every text is one segment (token type 0).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (b, w) = ids.dims2()?;
        if w > self.max_positions {
            candle_core::bail!("{w} tokens; the model has {} positions", self.max_positions);
        }
        let device = ids.device();
        let positions = Tensor::arange(0u32, w as u32, device)?;
        let mut x = self
            .words
            .forward(ids)?
            .broadcast_add(
                &self
                    .token_types
                    .forward(&Tensor::zeros(1, DType::U32, device)?)?,
            )?
            .broadcast_add(&self.positions.forward(&positions)?)?;
        x = self.embedding_norm.forward(&x)?;
        // (b, 1, 1, w): added to every head's scores of every query position.
        let padding = (1.0 - mask.to_dtype(DType::F32)?)?;
        let additive = (padding * f64::from(f32::MIN))?.reshape((b, 1, 1, w))?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &additive)?;
        }
        Ok(x)
    }

    fn layer(&self, layer: &Layer, x: &Tensor, additive: &Tensor) -> Result<Tensor> {
        let (b, w, d) = x.dims3()?;
        let head = d / self.heads;
        // (b, w, d) → (b, h, w, d/h)
        let split = |t: Tensor| {
            t.reshape((b, w, self.heads, head))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(layer.query.forward(x)?)?;
        let k = split(layer.key.forward(x)?)?;
        let v = split(layer.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (head as f64).sqrt())?.broadcast_add(additive)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, w, d))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context)? + x)?)?;
        let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
        layer
            .output_norm
            .forward(&(layer.output.forward(&inner)? + &attended)?)
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    const MINILM: &str = r#"{"hidden_act": "gelu", "hidden_size": 384, "intermediate_size": 1536,
        "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "num_attention_heads": 12,
        "num_hidden_layers": 6, "position_embedding_type": "absolute", "type_vocab_size": 2,
        "vocab_size": 30522}"#;

    fn refused(json: &str) -> String {
        match Config::from_json(json.as_bytes()) {
            Ok(_) => panic!("accepted {json}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_minilm_and_refuses_what_it_would_not_compute() {
        let config = Config::from_json(MINILM.as_bytes()).expect("MiniLM's config.json");
        assert_eq!(
            (config.hidden_size, config.layers, config.heads),
            (384, 6, 12)
        );
        let relu = refused(&MINILM.replace(r#""gelu""#, r#""relu""#));
        assert!(
            relu.contains(r#"hidden_act is "relu"; expected "gelu""#),
            "{relu}"
        );
        let relative = refused(&MINILM.replace(r#""absolute""#, r#""relative_key""#));
        assert!(relative.contains("position_embedding_type"), "{relative}");
        let heads = refused(&MINILM.replace(
            r#""num_attention_heads": 12"#,
            r#""num_attention_heads": 7"#,
        ));
        assert!(
            heads.contains("not a multiple of num_attention_heads 7"),
            "{heads}"
        );
        let missing = refused(&MINILM.replace(r#""vocab_size": 30522"#, r#""vocab": 1"#));
        assert!(
            missing.contains("vocab_size: expected a positive integer"),
            "{missing}"
        );
        assert!(refused("not json").starts_with("config.json is not a BERT configuration"));
    }
}
