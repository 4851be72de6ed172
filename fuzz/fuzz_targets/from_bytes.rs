//! `Index::from_bytes` on untrusted bytes: never a panic, an abort or a huge allocation;
//! what it accepts is canonical (written back byte for byte) and usable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use quiver::bytes::Writer;
use quiver::{Filter, Index, SearchOptions};

fuzz_target!(|data: &[u8]| {
    // As given (most inputs stop at the frame check), and re-framed with a valid length
    // and checksum so that mutations reach the payload parser.
    exercise(data);
    let mut framed = Writer::default();
    framed.raw(data);
    exercise(&framed.finish());
});

fn exercise(bytes: &[u8]) {
    let Ok(mut index) = Index::from_bytes(bytes) else {
        return;
    };
    assert_eq!(
        index.to_bytes(),
        bytes,
        "accepted bytes are written back unchanged"
    );
    let d = index.params().dimensions;
    let query: Vec<f32> = (0..d).map(|i| (i % 7) as f32 - 3.0).collect();
    for (exact, rescore) in [(false, true), (false, false), (true, true)] {
        let options = SearchOptions {
            k: 7,
            exact,
            rescore,
            ..SearchOptions::default()
        };
        if let Ok(hits) = index.search(&query, &options) {
            assert!(hits.len() <= 7.min(index.len()));
            for hit in &hits {
                assert!(index.get(hit.id).is_some(), "a hit is a live id");
            }
        }
    }
    // Each declared field: the vectors holding a value and those holding none are all of them,
    // and a filtered search returns selected vectors only.
    for (name, _) in index.schema().fields().to_vec() {
        let present = Filter::Exists {
            field: name.clone(),
            exists: true,
        };
        let absent = Filter::Not(Box::new(present.clone()));
        let (with, without) = (index.count(Some(&present)), index.count(Some(&absent)));
        assert_eq!(with.unwrap() + without.unwrap(), index.len());
        let options = SearchOptions::default();
        if let Ok(hits) = index.search_filtered(&query, &options, &present) {
            for hit in &hits {
                let record = index.record(hit.id).expect("a hit is a live id");
                let i = index.schema().find(&name).expect("declared").0;
                assert!(record[i].is_some(), "a hit holds the field it was filtered on");
            }
        }
    }
    let first = index
        .live_slots()
        .next()
        .and_then(|s| index.id(s).map(str::to_owned));
    let _ = index.add(&["fuzz-added"], &query, None);
    if let Some(id) = first {
        assert_eq!(index.delete(&[id]).len(), 1);
    }
    let again = Index::from_bytes(&index.to_bytes()).expect("an index reads its own bytes");
    assert_eq!(again.len(), index.len());
}
