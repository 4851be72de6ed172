//! The records of a persistent index (header, code pages, original blocks) on untrusted
//! bytes: never a panic, an abort or a huge allocation; accepted blocks are canonical.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use quiver::persist::Writer;
use quiver::store::block::Block;
use quiver::{Index, SearchOptions, SearchPlan};

#[derive(Debug, Arbitrary)]
struct Records {
    header: Vec<u8>,
    pages: Vec<Vec<u8>>,
    block: Vec<u8>,
    block_number: u8,
    block_dimensions: u8,
}

/// The payload in a valid frame (length and checksum), so mutations reach the parsers.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(payload);
    w.finish()
}

fuzz_target!(|records: Records| {
    let pages: Vec<Vec<u8>> = records.pages.iter().map(|p| framed(p)).collect();
    if let Ok(index) = Index::from_records(&framed(&records.header), &pages) {
        let d = index.params().dimensions;
        let query = vec![0.5f32; d];
        let zeros = vec![0.0f32; d];
        if let Ok(plan) = index.plan_search(&query, &SearchOptions::default()) {
            let exact = matches!(plan, SearchPlan::Exact { .. });
            let found = index.finish_search(plan, &|_| &zeros);
            assert!(found.len() <= 10 && (exact || found.iter().all(|c| index.is_live(c.slot))));
        }
    }
    let (number, d) = (
        u32::from(records.block_number),
        usize::from(records.block_dimensions),
    );
    let bytes = framed(&records.block);
    if let Ok(block) = Block::from_bytes(&bytes, number, d) {
        assert_eq!(
            block.to_bytes(d),
            bytes,
            "accepted blocks are written back unchanged"
        );
    }
});
