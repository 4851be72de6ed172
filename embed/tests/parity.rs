//! Parity with sentence-transformers: embeddings of real WordNet texts against the vectors the
//! reference computed for them (../shared/data, float16). Needs the model files (`npm run
//! model`, or QUIVER_MODEL=<folder>) and the data (QUIVER_DATA=<folder>); without either it
//! prints a note and passes nothing off as checked.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use quiver_embed::Embedder;

const DIM: usize = 384;
/// Texts compared: every 233rd document, 505 of the 117,659, spread over the whole corpus.
const STRIDE: usize = 233;

fn folder(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default));
    path.is_dir().then_some(path)
}

#[test]
fn matches_sentence_transformers_on_wordnet() {
    let (Some(model), Some(data)) = (
        folder("QUIVER_MODEL", "../.model"),
        folder("QUIVER_DATA", "../../shared/data"),
    ) else {
        println!("SKIPPED parity: model files (npm run model) or ../shared/data not found");
        return;
    };
    let embedder = Embedder::from_folder(&model).unwrap();
    assert_eq!(embedder.dimension(), DIM);

    let docs = std::fs::read_to_string(data.join("wordnet.docs.jsonl")).unwrap();
    let lines: Vec<&str> = docs.lines().collect();
    let reference = std::fs::read(data.join("wordnet.docs.f16")).unwrap();
    let rows: Vec<usize> = (0..lines.len()).step_by(STRIDE).collect();
    let texts: Vec<String> = rows
        .iter()
        .map(|&i| {
            let doc: serde_json::Value = serde_json::from_str(lines[i]).unwrap();
            doc["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(texts.len() >= 500);

    let ours = embedder.embed(&texts, quiver_embed::DEFAULT_BATCH).unwrap();
    let mut worst = (f32::INFINITY, 0);
    for (k, &row) in rows.iter().enumerate() {
        let theirs: Vec<f32> = reference[row * DIM * 2..(row + 1) * DIM * 2]
            .chunks_exact(2)
            .map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
            .collect();
        let mine = &ours[k * DIM..(k + 1) * DIM];
        let norm = theirs.iter().map(|v| v * v).sum::<f32>().sqrt();
        let cosine = mine.iter().zip(&theirs).map(|(a, b)| a * b).sum::<f32>() / norm;
        if cosine < worst.0 {
            worst = (cosine, row);
        }
    }
    println!(
        "parity: {} texts, lowest cosine {:.6} (doc {})",
        texts.len(),
        worst.0,
        worst.1
    );
    assert!(
        worst.0 >= 0.999,
        "doc {} has cosine {} with the reference",
        worst.1,
        worst.0
    );
}
