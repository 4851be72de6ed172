//! The records of a persistent index (header, code pages, original blocks) on untrusted
//! bytes: never a panic, an abort or a huge allocation; accepted blocks are canonical.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use quiver::bytes::Writer;
use quiver::idb::block::Block;
use quiver::store::{MemoryStore, Originals, ready};
use quiver::{Index, SearchOptions};

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
        // Originals of zeros for every slot, in memory.
        let mut zeros = MemoryStore::new(d);
        if zeros.try_reserve(index.slot_count()).is_ok() {
            for slot in 0..index.slot_count() as u32 {
                zeros.set(slot, &vec![0.0; d], None);
            }
            let options = SearchOptions::default();
            let search = ready(index.search_with(&query, &options, None, &zeros, &|| 0.0));
            if let Some(Ok(answer)) = search {
                let found = &answer.found;
                assert!(found.len() <= 10 && found.iter().all(|c| index.is_live(c.slot)));
            }
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
