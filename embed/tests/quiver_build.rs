//! The quiver-build command as a user runs it: a small corpus in, a prebuilt index out that
//! `Index::from_bytes` loads and that answers a text query with the right document; bad input
//! is a clear error that writes nothing. Needs the model files (`npm run model`, or
//! QUIVER_MODEL=<folder>); without them it prints a note and checks nothing.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quiver::{Index, SearchOptions};
use quiver_embed::{DEFAULT_BATCH, Embedder};

fn model() -> Option<PathBuf> {
    let path = std::env::var_os("QUIVER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.model"));
    path.join("model.safetensors").is_file().then_some(path)
}

fn quiver_build(model: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quiver-build"))
        .arg("--model")
        .arg(model)
        .args(args)
        .output()
        .expect("quiver-build runs")
}

/// A scratch folder of this test's own, removed first so that no earlier run's output counts.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quiver-build-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CORPUS: &str = r#"{"id": "cat", "text": "cat: a small domesticated feline", "metadata": {"pos": "noun"}}
{"id": "truck", "text": "truck: a motor vehicle that carries freight"}

{"id": "violin", "text": "violin: a bowed stringed instrument", "metadata": [1, "two"]}
"#;

#[test]
fn writes_an_index_that_loads_and_finds_the_document() {
    let Some(model) = model() else {
        println!("SKIPPED quiver-build: model files not found (npm run model)");
        return;
    };
    let dir = scratch("ok");
    std::fs::write(dir.join("corpus.jsonl"), CORPUS).unwrap();
    for quantization in ["binary", "int8", "pq", "none"] {
        let output = dir.join(format!("{quantization}.qvr"));
        let vectors = dir.join(format!("{quantization}.f32"));
        let run = quiver_build(
            &model,
            &[
                "--input",
                dir.join("corpus.jsonl").to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
                "--quantization",
                quantization,
                "--vectors",
                vectors.to_str().unwrap(),
            ],
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let index = Index::from_bytes(&std::fs::read(&output).unwrap()).unwrap();
        assert_eq!(index.len(), 3, "the blank line is not a document");
        assert_eq!(std::fs::metadata(&vectors).unwrap().len(), 3 * 384 * 4);

        let embedder = Embedder::from_folder(&model).unwrap();
        let query = embedder.embed(&["a kitten"], DEFAULT_BATCH).unwrap();
        let hits = index.search(&query, &SearchOptions::default()).unwrap();
        assert_eq!(hits[0].id, "cat", "{quantization}");
        assert_eq!(hits[0].metadata, Some(r#"{"pos":"noun"}"#));
        let violin = hits.iter().find(|h| h.id == "violin").unwrap();
        assert_eq!(violin.metadata, Some(r#"[1,"two"]"#));
        assert_eq!(
            hits.iter().find(|h| h.id == "truck").unwrap().metadata,
            None
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let Some(model) = model() else {
        println!("SKIPPED quiver-build: model files not found (npm run model)");
        return;
    };
    let dir = scratch("bad");
    let output = dir.join("index.qvr");
    let input = dir.join("corpus.jsonl");
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "{\"id\": \"a\", \"text\": \"fine\"}\nnot json\n",
            &[],
            "corpus.jsonl line 2: not JSON",
        ),
        (
            "{\"id\": 7, \"text\": \"fine\"}\n",
            &[],
            "corpus.jsonl line 1: \"id\" must be a string",
        ),
        (
            "{\"id\": \"a\", \"text\": \"fine\"}\n",
            &["--quantization", "pq4"],
            "--quantization pq4: expected binary, int8, pq or none",
        ),
        (
            "{\"id\": \"a\", \"text\": \"fine\"}\n",
            &["--shards", "2"],
            "unknown argument --shards",
        ),
        (
            // One vector: binary codes fit at 256, so there would be nothing left to search.
            "{\"id\": \"a\", \"text\": \"fine\"}\n",
            &["--no-originals"],
            "fits its codes at 256 vectors; this index holds 1",
        ),
    ];
    for (corpus, extra, expected) in cases {
        std::fs::write(&input, corpus).unwrap();
        let mut args = vec![
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let run = quiver_build(&model, &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{expected}: it succeeded");
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in {stderr:?}"
        );
        assert!(!output.exists(), "{expected}: an output was written");
    }
    let missing = dir.join("no-model");
    let run = quiver_build(
        &missing,
        &[
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    let expected = format!("cannot read {}", missing.join("config.json").display());
    assert!(
        stderr.contains(&expected),
        "expected {expected:?} in {stderr:?}"
    );
    assert!(!output.exists());
    std::fs::remove_dir_all(dir).unwrap();
}
