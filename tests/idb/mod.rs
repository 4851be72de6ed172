//! The persistent index (`Index.open`) through its JS API, against the real IndexedDB of
//! headless Chromium: included by `browser.rs` (a page) and `worker.rs` (a dedicated worker).
//! Every check compares with an in-memory `Index` fed the same calls: with the same data and
//! the same deterministic fits, rescoring from IndexedDB must give exactly the same hits.

use js_sys::{Array, Float32Array, JSON, Promise, Reflect};
use quiver::wasm::JsIndex;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test as test;

use crate::index::common::TestRng;

const D: usize = 32;

/// A database name no other test (or earlier run in the same profile) uses.
fn fresh_name(test: &str) -> String {
    format!("{test}-{}", js_sys::Math::random())
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON")
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "undefined".into())
}

/// An error's message.
fn message(error: JsValue) -> String {
    Reflect::get(&error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// The settled value, or the rejection's message.
async fn settle(promise: Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(message)
}

async fn open(name: &str, options: Option<&str>) -> Result<JsIndex, String> {
    let options = options.map(|o| json(o).unchecked_into());
    let value = settle(JsIndex::open(name.into(), options)).await?;
    Ok(JsIndex::try_from_js_value(value).expect("open resolves to an Index"))
}

fn ids(range: std::ops::Range<usize>) -> JsValue {
    range
        .map(|i| JsValue::from(format!("v{i}")))
        .collect::<Array>()
        .into()
}

fn metadata(range: std::ops::Range<usize>) -> JsValue {
    range
        .map(|i| json(&format!(r#"{{"n":{i},"tag":"t{}"}}"#, i % 7)))
        .collect::<Array>()
        .into()
}

async fn add(
    index: &mut JsIndex,
    range: std::ops::Range<usize>,
    data: &[f32],
) -> Result<(), String> {
    let vectors = Float32Array::from(&data[range.start * D..range.end * D]);
    let meta = metadata(range.clone()).unchecked_into();
    settle(index.add(ids(range), vectors.into(), Some(meta)))
        .await
        .map(drop)
}

/// The hits of `query` under `options`, as JSON text (ids, exact scores, metadata).
async fn search(index: &JsIndex, query: &[f32], options: &str) -> String {
    let hits = settle(index.search(
        Float32Array::from(query).into(),
        Some(json(options).unchecked_into()),
    ))
    .await
    .expect("search succeeds");
    text(&hits)
}

/// Every kind of search on `queries`, as one text to compare.
async fn answers(index: &JsIndex, queries: &[f32]) -> String {
    let mut out = String::new();
    for q in queries.chunks_exact(D) {
        for options in [
            r#"{"k":5}"#,
            r#"{"k":5,"rescore":false}"#,
            r#"{"k":5,"exact":true}"#,
        ] {
            out += &search(index, q, options).await;
        }
    }
    out
}

const QUANTIZATIONS: [&str; 4] = [
    r#""quantization":"binary""#,
    r#""quantization":"int8""#,
    r#""quantization":"pq","pq":{"subspaces":8,"bits":4,"seed":7}"#,
    r#""quantization":"none""#,
];

#[test]
async fn persistent_index_answers_like_the_in_memory_one_before_and_after_reopening() {
    let mut rng = TestRng::new(3);
    let data = rng.clustered(1500, D);
    let queries = rng.clustered(6, D);
    for quantization in QUANTIZATIONS {
        let options = format!(r#"{{"dimensions":{D},{quantization}}}"#);
        let name = fresh_name("same-answers");
        let mut memory = JsIndex::new(json(&options)).expect("valid options");
        let mut durable = open(&name, Some(&options)).await.expect("creates");
        // Batches of 300 cross the fit threshold and several refits.
        for first in (0..1200).step_by(300) {
            add(&mut memory, first..first + 300, &data).await.unwrap();
            add(&mut durable, first..first + 300, &data).await.unwrap();
        }
        let expected = answers(&memory, &queries).await;
        assert_eq!(
            answers(&durable, &queries).await,
            expected,
            "{quantization}"
        );

        // Upserts (new vectors for old ids) and deletes, then a batch reusing freed slots.
        let upsert = |index: &mut JsIndex| {
            let vectors = Float32Array::from(&data[1200 * D..1300 * D]);
            index.add(ids(100..200), vectors.into(), None)
        };
        settle(upsert(&mut memory)).await.unwrap();
        settle(upsert(&mut durable)).await.unwrap();
        for index in [&mut memory, &mut durable] {
            let removed = settle(index.delete(ids(150..260))).await.unwrap();
            assert_eq!(removed.as_f64(), Some(110.0));
        }
        add(&mut memory, 1300..1400, &data).await.unwrap();
        add(&mut durable, 1300..1400, &data).await.unwrap();
        let expected = answers(&memory, &queries).await;
        assert_eq!(
            answers(&durable, &queries).await,
            expected,
            "{quantization}"
        );

        let error = message(durable.to_bytes(None).expect_err("throws").into());
        assert!(
            error.contains("toBytes() needs an in-memory index"),
            "{error}"
        );
        let size = durable.size().unwrap();
        let bytes = durable.memory_bytes().unwrap();
        assert!(
            bytes < memory.memory_bytes().unwrap(),
            "originals stay out of wasm memory"
        );
        settle(durable.close()).await.unwrap();
        let reopened = open(&name, None)
            .await
            .expect("reopens with the stored options");
        assert_eq!(reopened.size().unwrap(), size);
        assert_eq!(
            answers(&reopened, &queries).await,
            expected,
            "{quantization} reopened"
        );
        assert_eq!(
            reopened.quantization().unwrap(),
            memory.quantization().unwrap()
        );
    }
}

#[test]
async fn adds_larger_than_a_chunk_are_written_and_refitted_chunk_by_chunk() {
    // One call of 2,600 rows (an add reads 1,024 at a time): the refit that ends it reads
    // back the originals the same transaction wrote. Then an upsert of 1,100 rows whose
    // blocks are shared with rows outside it and across its chunks, and a reopen.
    let mut rng = TestRng::new(9);
    let data = rng.clustered(4000, D);
    let queries = rng.clustered(4, D);
    for quantization in &QUANTIZATIONS[..3] {
        let options = format!(r#"{{"dimensions":{D},{quantization}}}"#);
        let name = fresh_name("large-adds");
        let mut memory = JsIndex::new(json(&options)).expect("valid options");
        let mut durable = open(&name, Some(&options)).await.expect("creates");
        for index in [&mut memory, &mut durable] {
            add(index, 0..2600, &data).await.unwrap();
            assert_eq!(index.size().unwrap(), 2600);
            let vectors = Float32Array::from(&data[2900 * D..4000 * D]);
            let upsert = index.add(ids(1500..2600), vectors.into(), None);
            settle(upsert).await.unwrap();
            add(index, 2600..2900, &data).await.unwrap();
        }
        let expected = answers(&memory, &queries).await;
        assert_eq!(
            answers(&durable, &queries).await,
            expected,
            "{quantization}"
        );
        settle(durable.close()).await.unwrap();
        let reopened = open(&name, None).await.expect("reopens");
        assert_eq!(reopened.size().unwrap(), 2900);
        assert_eq!(
            answers(&reopened, &queries).await,
            expected,
            "{quantization}"
        );
    }
}

#[test]
async fn get_returns_the_stored_vector_and_metadata() {
    let data = TestRng::new(4).clustered(300, D);
    let mut index = open(&fresh_name("get"), Some(r#"{"dimensions":32}"#))
        .await
        .unwrap();
    add(&mut index, 0..300, &data).await.unwrap();
    let mut memory = JsIndex::new(json(r#"{"dimensions":32}"#)).unwrap();
    add(&mut memory, 0..300, &data).await.unwrap();
    for id in ["v0", "v8", "v299"] {
        let stored = settle(index.get(id.into())).await.unwrap();
        let expected = settle(memory.get(id.into())).await.unwrap();
        assert_eq!(text(&stored), text(&expected));
        let vector: Float32Array = Reflect::get(&stored, &"vector".into())
            .unwrap()
            .unchecked_into();
        assert_eq!(vector.length() as usize, D);
    }
    assert!(
        settle(index.get("nope".into()))
            .await
            .unwrap()
            .is_undefined()
    );
    settle(index.delete(ids(8..9))).await.unwrap();
    assert!(settle(index.get("v8".into())).await.unwrap().is_undefined());
    assert_eq!(
        text(&settle(index.get("v9".into())).await.unwrap()),
        text(&settle(memory.get("v9".into())).await.unwrap())
    );
}

#[test]
async fn open_rejects_a_missing_index_without_options_and_contradicting_options() {
    let name = fresh_name("open-errors");
    for _ in 0..2 {
        // Twice: the first failure must not leave an empty database behind.
        let error = open(&name, None).await.err().expect("nothing stored");
        assert!(error.contains("no index named"), "{error}");
    }
    let error = open("", Some(r#"{"dimensions":32}"#)).await.err().unwrap();
    assert!(error.contains("name must be a non-empty string"), "{error}");
    let error = open(&name, Some(r#"{"dimensions":32,"metic":"l2"}"#))
        .await
        .err()
        .unwrap();
    assert!(error.contains("unknown option `metic`"), "{error}");

    let mut index = open(&name, Some(r#"{"dimensions":32,"metric":"l2"}"#))
        .await
        .unwrap();
    settle(index.close()).await.unwrap();
    let error = open(&name, Some(r#"{"dimensions":32}"#))
        .await
        .err()
        .unwrap();
    assert!(
        error.contains("stored with dimensions 32, metric \"l2\""),
        "{error}"
    );
    let same = open(&name, Some(r#"{"dimensions":32,"metric":"l2"}"#))
        .await
        .unwrap();
    assert_eq!(same.metric().unwrap(), "l2");
}

#[test]
async fn an_index_stored_before_refinement_opens_with_default_options() {
    // Binary indexes were stored without refinement codes before `binary.refine` existed
    // (the same records as `refine: 0` writes now).
    let name = fresh_name("unrefined");
    let data = TestRng::new(7).clustered(400, D);
    let queries = TestRng::new(8).clustered(3, D);
    let mut index = open(&name, Some(r#"{"dimensions":32,"binary":{"refine":0}}"#))
        .await
        .unwrap();
    add(&mut index, 0..400, &data).await.unwrap();
    let before = answers(&index, &queries).await;
    settle(index.close()).await.unwrap();
    let mut reopened = open(&name, Some(r#"{"dimensions":32}"#)).await.unwrap();
    assert_eq!(answers(&reopened, &queries).await, before);
    settle(reopened.close()).await.unwrap();
    // Refinement asked for explicitly, other than the default, is a contradiction.
    let error = open(&name, Some(r#"{"dimensions":32,"binary":{"refine":2}}"#))
        .await
        .err()
        .unwrap();
    assert!(error.contains("refine 0"), "{error}");
}

#[test]
async fn bad_input_leaves_the_stored_index_unchanged() {
    let name = fresh_name("bad-input");
    let data = TestRng::new(5).clustered(400, D);
    let queries = TestRng::new(6).clustered(3, D);
    let mut index = open(&name, Some(r#"{"dimensions":32,"quantization":"int8"}"#))
        .await
        .unwrap();
    add(&mut index, 0..400, &data).await.unwrap();
    let before = answers(&index, &queries).await;

    let mut nan = data[..2 * D].to_vec();
    nan[D + 3] = f32::NAN;
    let error = settle(index.add(ids(400..402), Float32Array::from(&nan[..]).into(), None))
        .await
        .err()
        .unwrap();
    assert!(error.contains("non-finite"), "{error}");
    let dup: JsValue = ["x", "x"]
        .iter()
        .map(|&s| JsValue::from(s))
        .collect::<Array>()
        .into();
    let error = settle(index.add(dup, Float32Array::from(&data[..2 * D]).into(), None))
        .await
        .err()
        .unwrap();
    assert!(error.contains("appears twice"), "{error}");
    let error = settle(index.search(Float32Array::from(&data[..3]).into(), None))
        .await
        .err()
        .unwrap();
    assert!(error.contains("32 dimensions"), "{error}");

    assert_eq!(index.size().unwrap(), 400);
    assert_eq!(answers(&index, &queries).await, before);
    settle(index.close()).await.unwrap();
    let reopened = open(&name, None).await.unwrap();
    assert_eq!(reopened.size().unwrap(), 400);
    assert_eq!(answers(&reopened, &queries).await, before);
}

#[test]
async fn calls_made_without_awaiting_run_in_call_order() {
    let data = TestRng::new(7).clustered(300, D);
    let mut index = open(&fresh_name("order"), Some(r#"{"dimensions":32}"#))
        .await
        .unwrap();
    let vectors = Float32Array::from(&data[..]);
    let query = || Float32Array::from(&data[5 * D..6 * D]).into();
    let added = index.add(ids(0..300), vectors.into(), None);
    let found = index.search(query(), None);
    let deleted = index.delete(ids(5..6));
    let after = index.search(query(), None);
    let closed = index.close();
    let late = index.search(query(), None);
    settle(added).await.unwrap();
    let first =
        |hits: JsValue| text(&Reflect::get(&Array::from(&hits).get(0), &"id".into()).unwrap());
    assert_eq!(first(settle(found).await.unwrap()), "\"v5\"");
    assert_eq!(settle(deleted).await.unwrap().as_f64(), Some(1.0));
    assert_ne!(first(settle(after).await.unwrap()), "\"v5\"");
    settle(closed).await.unwrap();
    let error = settle(late).await.err().unwrap();
    assert!(error.contains("closed"), "{error}");
}
