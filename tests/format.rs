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
