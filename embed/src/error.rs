//! What can go wrong while loading a model or embedding text.

/// An error from [`crate::Embedder`]; its message says what was wrong and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// `config.json` is not JSON or not a BERT configuration.
    #[error("config.json is not a BERT configuration: {0}")]
    Config(String),
    /// `tokenizer.json` could not be parsed or configured.
    #[error("tokenizer.json is not a Hugging Face tokenizer: {0}")]
    Tokenizer(String),
    /// `model.safetensors` is not a safetensors file holding this configuration's weights.
    #[error("model.safetensors does not hold the BERT weights config.json describes: {0}")]
    Weights(String),
    /// A model file could not be read from its folder (native only).
    #[error("cannot read {path}: {message} (npm run model fetches the model files)")]
    Read {
        /// The file's path.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A text could not be tokenized.
    #[error("text {index} could not be tokenized: {message}")]
    Encode {
        /// Position of the text in the call.
        index: usize,
        /// The tokenizer's message.
        message: String,
    },
    /// The model failed while running (a bug or an exhausted memory, not a bad input).
    #[error("the model failed: {0}")]
    Model(#[from] candle_core::Error),
}
