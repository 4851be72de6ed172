//! The byte formats did not change with issue 18's redesign: files and IndexedDB records
//! written by the build before it (commit 3c3dbd4) load, and written again are the same
//! bytes. The fixtures in `tests/fixtures/` are 1,200 vectors of 8 dimensions (a seeded
//! LCG, values in [-1, 1)), every third with metadata `{"i":N}`, ids `v0..`, then `v5` and
//! `v77` deleted; `.header` and `.page0` are the binary index's IndexedDB header and first
//! page.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use quiver::{Index, SearchOptions};

const FILES: [(&str, &[u8]); 3] = [
    (
        "binary-cosine",
        include_bytes!("fixtures/binary-cosine.qvx"),
    ),
    ("int8-l2", include_bytes!("fixtures/int8-l2.qvx")),
    ("pq4-dot", include_bytes!("fixtures/pq4-dot.qvx")),
];

#[test]
fn files_written_before_the_redesign_load_and_write_back_the_same_bytes() {
    for (name, bytes) in FILES {
        let index = Index::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(index.len(), 1198, "{name}");
        assert!(index.is_quantized(), "{name}");
        assert_eq!(index.to_bytes(), bytes, "{name} wrote other bytes");
        assert_eq!(index.get("v5"), None, "{name}");
        let (vector, metadata) = index.get("v9").expect("v9 is stored");
        assert_eq!(metadata, Some(r#"{"i":9}"#), "{name}");
        // Each stored vector finds itself first, exactly and through its codes.
        let query = vector.expect("originals are stored").to_vec();
        for exact in [true, false] {
            let options = SearchOptions {
                k: 3,
                exact,
                ..SearchOptions::default()
            };
            let hits = index.search(&query, &options).unwrap();
            assert_eq!(hits[0].id, "v9", "{name}, exact {exact}");
        }
    }
}

#[test]
fn indexeddb_records_written_before_the_redesign_rebuild_the_same_index() {
    let header = include_bytes!("fixtures/binary-cosine.header");
    let page = include_bytes!("fixtures/binary-cosine.page0");
    let loaded = Index::from_records(header, &[page]).unwrap();
    assert_eq!(loaded.header_bytes(), header);
    assert_eq!(loaded.page_bytes(0), page);
    let whole = Index::from_bytes(FILES[0].1).unwrap();
    assert_eq!(loaded.len(), whole.len());
    assert_eq!(loaded.slot("v1199"), whole.slot("v1199"));
}

/// One index has one encoding: binary without refinement is quantization tag 2, so tag 4
/// (binary with refinement) carrying 0 bits is refused rather than read and written back as
/// other bytes. (The fuzzer's find: `fuzz/regressions/from_bytes/tag4-refine0-*`.)
#[test]
fn binary_tag_with_zero_refinement_bits_is_refused() {
    let payload = include_bytes!("../fuzz/regressions/from_bytes/tag4-refine0-crash-47c93535");
    let mut framed = quiver::bytes::Writer::default();
    framed.raw(payload);
    let error = Index::from_bytes(&framed.finish()).expect_err("tag 4 with refine 0");
    let message = error.to_string();
    assert!(message.contains("binary refine bits"), "{message}");
    assert!(message.contains("1 to 4"), "{message}");
}
