//! `quiver-build`: embeds a corpus with the embedder on all cores and writes a prebuilt quiver
//! index (the `toBytes` format: options, ids, metadata, codes, and the originals unless
//! `--no-originals`) for a static site to load with `Index.fromBytes`.
//!
//! Input: JSON lines `{"id": "...", "text": "...", "metadata": <any JSON>}`; `text` is what
//! gets embedded, `metadata` is stored as is (optional).
//!
//!   cargo run --release -p quiver-embed --bin quiver-build -- --model .model \
//!       --input corpus.jsonl --output index.qvr [--quantization binary|int8|pq|none]
//!       [--no-originals] [--vectors vectors.f32] [--field name:kind ...]
//!
//! `--field pos:keyword` declares a metadata field to filter on (kinds: keyword, keyword[],
//! number, boolean), as `IndexOptions.fields` does; each line's `metadata.pos` is its value.
//! `--vectors` also writes the embeddings (row-major little-endian f32, input order).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(message) = native::run(std::env::args().skip(1).collect()) {
        eprintln!("quiver-build: {message}");
        std::process::exit(1);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::PathBuf;
    use std::time::Instant;

    use quiver::{FieldKind, Index, IndexParams, Metric, Quantization, Record, Schema, Value};
    use quiver_embed::{DEFAULT_BATCH, Embedder};
    use rayon::prelude::*;

    /// Texts handed to one thread at a time: large enough to fill DEFAULT_BATCH-sized batches of
    /// similar lengths, small enough to keep both cores busy to the end and report progress.
    const CHUNK: usize = 512;

    struct Args {
        model: PathBuf,
        input: PathBuf,
        output: PathBuf,
        quantization: String,
        originals: bool,
        vectors: Option<PathBuf>,
        fields: Vec<(String, FieldKind)>,
    }

    fn parse(args: Vec<String>) -> Result<Args, String> {
        let mut parsed = Args {
            model: PathBuf::from(".model"),
            input: PathBuf::new(),
            output: PathBuf::new(),
            quantization: "binary".into(),
            originals: true,
            vectors: None,
            fields: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--model" => parsed.model = value()?.into(),
                "--input" => parsed.input = value()?.into(),
                "--output" => parsed.output = value()?.into(),
                "--quantization" => parsed.quantization = value()?,
                "--vectors" => parsed.vectors = Some(value()?.into()),
                "--no-originals" => parsed.originals = false,
                "--field" => {
                    let spec = value()?;
                    let (name, kind) = spec.split_once(':').unwrap_or((&spec, ""));
                    let kind = FieldKind::from_name(kind).ok_or(format!(
                        "--field {spec}: expected name:kind, kind keyword, keyword[], number or boolean"
                    ))?;
                    parsed.fields.push((name.to_owned(), kind));
                }
                other => {
                    return Err(format!(
                        "unknown argument {other} (see the top of src/bin/quiver-build.rs)"
                    ));
                }
            }
        }
        if parsed.input.as_os_str().is_empty() || parsed.output.as_os_str().is_empty() {
            return Err("--input <corpus.jsonl> and --output <index.qvr> are required".into());
        }
        Ok(parsed)
    }

    /// The declared fields' values in `metadata` (JSON text) of the line with `id`.
    fn record(schema: &Schema, metadata: Option<&str>, id: &str) -> Result<Record, String> {
        let value: serde_json::Value = match metadata {
            Some(text) => serde_json::from_str(text).map_err(|e| e.to_string())?,
            None => serde_json::Value::Null,
        };
        let field = |(name, kind): &(String, FieldKind)| {
            let bad = || format!("{id}: metadata.{name} is not a {}", kind.name());
            let v = &value[name.as_str()];
            if v.is_null() {
                return Ok(None);
            }
            Ok(Some(match kind {
                FieldKind::Keyword => Value::Keyword(v.as_str().ok_or_else(bad)?.to_owned()),
                FieldKind::Keywords => {
                    let list = v
                        .as_array()
                        .ok_or_else(bad)?
                        .iter()
                        .map(|s| s.as_str().map(str::to_owned));
                    Value::Keywords(list.collect::<Option<_>>().ok_or_else(bad)?)
                }
                FieldKind::Number => Value::Number(v.as_f64().ok_or_else(bad)?),
                FieldKind::Boolean => Value::Boolean(v.as_bool().ok_or_else(bad)?),
            }))
        };
        schema.fields().iter().map(field).collect()
    }

    /// The quantization `name` for vectors of `dimension` floats.
    fn quantization(name: &str, dimension: usize) -> Result<Quantization, String> {
        Ok(match name {
            "binary" => Quantization::BINARY_DEFAULT,
            "int8" => Quantization::INT8_DEFAULT,
            "pq" => Quantization::pq_default(dimension, 8, Some(1)),
            "none" => Quantization::None,
            other => {
                return Err(format!(
                    "--quantization {other}: expected binary, int8, pq or none"
                ));
            }
        })
    }

    /// One corpus line: (id, text, metadata as JSON text).
    fn read_corpus(path: &PathBuf) -> Result<Vec<(String, String, Option<String>)>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| {
                let at = || format!("{} line {}", path.display(), n + 1);
                let value: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| format!("{}: not JSON: {e}", at()))?;
                let field = |name: &str| {
                    value[name]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or(format!("{}: \"{name}\" must be a string", at()))
                };
                let metadata = value.get("metadata").map(|m| m.to_string());
                Ok((field("id")?, field("text")?, metadata))
            })
            .collect()
    }

    pub fn run(args: Vec<String>) -> Result<(), String> {
        let args = parse(args)?;
        let embedder = Embedder::from_folder(&args.model).map_err(|e| e.to_string())?;
        let dimension = embedder.dimension();
        let quantization = quantization(&args.quantization, dimension)?;
        let corpus = read_corpus(&args.input)?;

        let started = Instant::now();
        let texts: Vec<&str> = corpus.iter().map(|(_, text, _)| text.as_str()).collect();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let chunks: Vec<Vec<f32>> = texts
            .par_chunks(CHUNK)
            .map(|chunk| {
                let vectors = embedder
                    .embed(chunk, DEFAULT_BATCH)
                    .map_err(|e| e.to_string())?;
                let so_far =
                    done.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed) + chunk.len();
                eprint!("\rquiver-build: embedded {so_far} / {}", texts.len());
                Ok(vectors)
            })
            .collect::<Result<_, String>>()?;
        let vectors: Vec<f32> = chunks.concat();
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "\rquiver-build: embedded {} texts in {seconds:.1} s ({:.0} texts/s on {} threads)",
            texts.len(),
            texts.len() as f64 / seconds,
            rayon::current_num_threads()
        );

        let params =
            IndexParams::new(dimension, Metric::Cosine, quantization).map_err(|e| e.to_string())?;
        let schema = Schema::new(args.fields.clone()).map_err(|e| e.to_string())?;
        let mut index = Index::new(params).with_fields(schema.clone());
        let ids: Vec<&str> = corpus.iter().map(|(id, _, _)| id.as_str()).collect();
        let metadata: Vec<Option<String>> = corpus.iter().map(|(_, _, m)| m.clone()).collect();
        let records = metadata
            .iter()
            .zip(&ids)
            .map(|(m, id)| record(&schema, m.as_deref(), id))
            .collect::<Result<Vec<_>, _>>()?;
        index
            .add_records(&ids, &vectors, Some(&metadata), &records)
            .map_err(|e| e.to_string())?;
        let bytes = if args.originals {
            index.to_bytes()
        } else {
            index
                .to_bytes_without_originals()
                .map_err(|e| e.to_string())?
        };
        std::fs::write(&args.output, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
        if let Some(path) = &args.vectors {
            let raw: Vec<u8> = vectors.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(path, raw)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        eprintln!(
            "quiver-build: wrote {} ({} vectors, {}, {} bytes{})",
            args.output.display(),
            index.len(),
            args.quantization,
            bytes.len(),
            if args.originals {
                ", with originals"
            } else {
                ", codes only"
            }
        );
        Ok(())
    }
}
