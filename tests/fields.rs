//! Declared fields and filters against a model: random adds (upserts with records), deletes
//! and filters, checked after every step by an independent evaluation of each filter over
//! the model's records: `count`, `list` (paged), and exact filtered search (brute force over
//! the matching vectors); and the same after round trips through `toBytes` and through the
//! IndexedDB records (header and pages). Also: filtered search over fitted codes at each
//! selectivity, and the errors of bad records and filters.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use quiver::{
    FieldKind, Filter, Index, IndexParams, Metric, Quantization, Record, Scalar, Schema,
    SearchOptions, Value,
};

const D: usize = 8;

fn schema() -> Schema {
    Schema::new(vec![
        ("year".into(), FieldKind::Number),
        ("pos".into(), FieldKind::Keyword),
        ("tags".into(), FieldKind::Keywords),
        ("draft".into(), FieldKind::Boolean),
    ])
    .unwrap()
}

/// A record in the schema's (name) order: draft, pos, tags, year.
fn record(pos: Option<&str>, tags: &[&str], year: Option<f64>, draft: Option<bool>) -> Record {
    vec![
        draft.map(Value::Boolean),
        pos.map(|p| Value::Keyword(p.into())),
        (!tags.is_empty()).then(|| Value::Keywords(tags.iter().map(|t| t.to_string()).collect())),
        year.map(Value::Number),
    ]
}

/// The model's answer: does `filter` select the record of `id`?
fn selects(filter: &Filter, id: &str, r: &Record) -> bool {
    let field = |name: &str| match name {
        "draft" => &r[0],
        "pos" => &r[1],
        "tags" => &r[2],
        "year" => &r[3],
        _ => unreachable!(),
    };
    match filter {
        Filter::In { field: f, values } => values.iter().any(|v| match (field(f), v) {
            (Some(Value::Keyword(k)), Scalar::Text(t)) => k == t,
            (Some(Value::Keywords(l)), Scalar::Text(t)) => l.contains(t),
            (Some(Value::Number(x)), Scalar::Number(y)) => x == y,
            (Some(Value::Boolean(a)), Scalar::Boolean(b)) => a == b,
            _ => false,
        }),
        Filter::Range {
            field: f,
            low,
            high,
        } => match field(f) {
            Some(Value::Number(x)) => {
                low.is_none_or(|(l, inc)| if inc { *x >= l } else { *x > l })
                    && high.is_none_or(|(h, inc)| if inc { *x <= h } else { *x < h })
            }
            _ => false,
        },
        Filter::Exists { field: f, exists } => field(f).is_some() == *exists,
        Filter::Ids(ids) => ids.iter().any(|i| i == id),
        Filter::And(all) => all.iter().all(|f| selects(f, id, r)),
        Filter::Or(any) => any.iter().any(|f| selects(f, id, r)),
        Filter::Not(f) => !selects(f, id, r),
    }
}

const POS: [&str; 4] = ["n", "v", "a", "r"];
const TAGS: [&str; 3] = ["x", "y", "z"];
const YEARS: [f64; 6] = [-1.5, 0.0, 3.0, 1950.0, 1960.0, 1e300];

fn a_record() -> impl Strategy<Value = Record> {
    (
        prop::option::of(prop::sample::select(POS.to_vec())),
        prop::sample::subsequence(TAGS.to_vec(), 0..=3),
        prop::option::of(prop::sample::select(YEARS.to_vec())),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(p, t, y, d)| record(p, &t, y, d))
}

fn a_leaf() -> impl Strategy<Value = Filter> {
    let text =
        |v: &[&'static str]| prop::sample::select(v.to_vec()).prop_map(|s| Scalar::Text(s.into()));
    let bound = prop::option::of((prop::sample::select(YEARS.to_vec()), any::<bool>()));
    prop_oneof![
        prop::collection::vec(text(&POS), 0..3).prop_map(|values| Filter::In {
            field: "pos".into(),
            values
        }),
        text(&TAGS).prop_map(|t| Filter::In {
            field: "tags".into(),
            values: vec![t]
        }),
        prop::sample::select(YEARS.to_vec()).prop_map(|y| Filter::In {
            field: "year".into(),
            values: vec![Scalar::Number(y)]
        }),
        any::<bool>().prop_map(|b| Filter::In {
            field: "draft".into(),
            values: vec![Scalar::Boolean(b)]
        }),
        (bound.clone(), bound).prop_map(|(low, high)| Filter::Range {
            field: "year".into(),
            low,
            high
        }),
        (
            prop::sample::select(vec!["pos", "tags", "year", "draft"]),
            any::<bool>()
        )
            .prop_map(|(f, exists)| Filter::Exists {
                field: f.into(),
                exists
            }),
        prop::collection::vec(0..24usize, 0..4)
            .prop_map(|ids| Filter::Ids(ids.iter().map(|i| format!("id{i}")).collect())),
    ]
}

fn a_filter() -> impl Strategy<Value = Filter> {
    a_leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

#[derive(Debug, Clone)]
enum Op {
    Add(Vec<(usize, Vec<f32>, Record)>),
    Delete(Vec<usize>),
}

fn an_op() -> impl Strategy<Value = Op> {
    let row = (
        0..24usize,
        prop::collection::vec(-1.0f32..1.0, D),
        a_record(),
    );
    prop_oneof![
        3 => prop::collection::vec(row, 1..6).prop_map(Op::Add),
        1 => prop::collection::vec(0..24usize, 1..4).prop_map(Op::Delete),
    ]
}

type Model = BTreeMap<String, (Vec<f32>, Record)>;

/// Checks every observable answer of `index` for `filter` against the model.
fn check(index: &Index, model: &Model, filter: &Filter, what: &str) -> Result<(), TestCaseError> {
    let selected: Vec<&String> = model
        .iter()
        .filter(|(id, (_, r))| selects(filter, id, r))
        .map(|e| e.0)
        .collect();
    prop_assert_eq!(
        index.count(Some(filter)).unwrap(),
        selected.len(),
        "{} count {:?}",
        what,
        filter
    );
    // Paging with a small limit visits every selected id once, in id order.
    let (mut listed, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = index.list(Some(filter), after.as_deref(), 3).unwrap();
        let ids: Vec<String> = page
            .iter()
            .map(|&s| index.id(s).unwrap().to_owned())
            .collect();
        after = ids.last().cloned();
        listed.extend(ids);
        if page.len() < 3 {
            break;
        }
    }
    prop_assert_eq!(
        listed.iter().collect::<Vec<_>>(),
        selected.clone(),
        "{} list",
        what
    );
    if index.keeps_originals() {
        let query = [0.3, -0.2, 0.5, 0.1, 0.0, -0.4, 0.2, 0.6];
        let options = SearchOptions {
            k: 5,
            exact: true,
            ..SearchOptions::default()
        };
        let hits = index.search_filtered(&query, &options, filter).unwrap();
        let mut expected: Vec<f32> = selected
            .iter()
            .map(|id| {
                let v = &model[*id].0;
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                let qn = query.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter().zip(&query).map(|(a, b)| a * b).sum::<f32>() / norm / qn
            })
            .collect();
        expected.sort_by(|a, b| b.total_cmp(a));
        expected.truncate(5);
        prop_assert_eq!(hits.len(), expected.len(), "{} hits", what);
        for (hit, score) in hits.iter().zip(&expected) {
            prop_assert!(
                selected.iter().any(|s| *s == hit.id),
                "{} hit {} not selected",
                what,
                hit.id
            );
            prop_assert!(
                (hit.score - score).abs() < 1e-4,
                "{} score {} vs {}",
                what,
                hit.score,
                score
            );
        }
    }
    Ok(())
}

#[test]
fn fields_and_filters_match_a_model() {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::collection::vec(an_op(), 1..12),
        prop::collection::vec(a_filter(), 6),
    );
    runner
        .run(&strategy, |(ops, filters)| {
            let params = IndexParams::new(D, Metric::Cosine, Quantization::None).unwrap();
            let mut index = Index::new(params).with_fields(schema());
            let mut model = Model::new();
            for op in &ops {
                match op {
                    Op::Add(rows) => {
                        // A batch repeats no id: keep each id's last row.
                        let mut batch: BTreeMap<usize, (Vec<f32>, Record)> = BTreeMap::new();
                        for (i, v, r) in rows {
                            batch.insert(*i, (v.clone(), r.clone()));
                        }
                        if batch.values().any(|(v, _)| v.iter().all(|x| *x == 0.0)) {
                            continue;
                        }
                        let ids: Vec<String> = batch.keys().map(|i| format!("id{i}")).collect();
                        let vectors: Vec<f32> = batch.values().flat_map(|b| b.0.clone()).collect();
                        let records: Vec<Record> = batch.values().map(|b| b.1.clone()).collect();
                        index.add_records(&ids, &vectors, None, &records).unwrap();
                        for (id, (v, r)) in ids.into_iter().zip(batch.into_values()) {
                            model.insert(id, (v, r));
                        }
                    }
                    Op::Delete(which) => {
                        let ids: Vec<String> = which.iter().map(|i| format!("id{i}")).collect();
                        index.delete(&ids);
                        ids.iter().for_each(|id| drop(model.remove(id)));
                    }
                }
                for (id, (_, r)) in &model {
                    prop_assert_eq!(&index.record(id).unwrap(), r);
                }
                for filter in &filters {
                    check(&index, &model, filter, "in memory")?;
                }
            }
            let loaded = Index::from_bytes(&index.to_bytes()).unwrap();
            prop_assert_eq!(loaded.to_bytes(), index.to_bytes());
            let pages: Vec<Vec<u8>> = (0..index.pages()).map(|p| index.page_bytes(p)).collect();
            let stored = Index::from_records(&index.header_bytes(), &pages).unwrap();
            for filter in &filters {
                check(&loaded, &model, filter, "from bytes")?;
                check(&stored, &model, filter, "from records")?;
            }
            Ok(())
        })
        .unwrap();
}

mod common;

/// Over fitted codes (3,000 clustered vectors, binary at the defaults), a filtered search
/// at each selectivity returns only selected vectors, and as good a top 10 as unfiltered
/// search finds against exact search.
#[test]
fn filtered_search_over_codes_ranks_like_exact_search() {
    let (n, d) = (3000, 32);
    let mut rng = common::TestRng::new(7);
    let vectors = rng.clustered(n, d);
    let params = IndexParams::new(d, Metric::Cosine, Quantization::BINARY_DEFAULT).unwrap();
    let bucket_schema = Schema::new(vec![("bucket".into(), FieldKind::Number)]).unwrap();
    let mut index = Index::new(params).with_fields(bucket_schema);
    let ids: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    let records: Vec<Record> = (0..n)
        .map(|i| vec![Some(Value::Number((i * 7919 % 1000) as f64))])
        .collect();
    index.add_records(&ids, &vectors, None, &records).unwrap();
    assert!(index.is_quantized());
    let exact = SearchOptions {
        exact: true,
        ..SearchOptions::default()
    };
    let (mut found, mut wanted) = (0, 0);
    for q in 0..50 {
        let query = &vectors[q * 37 % n * d..][..d];
        let hits = index.search(query, &SearchOptions::default()).unwrap();
        let truth = index.search(query, &exact).unwrap();
        found += hits
            .iter()
            .filter(|h| truth.iter().any(|t| t.id == h.id))
            .count();
        wanted += truth.len();
    }
    let unfiltered = found as f64 / wanted as f64;
    for below in [1.0, 10.0, 100.0, 500.0, 1000.0] {
        let filter = Filter::Range {
            field: "bucket".into(),
            low: None,
            high: Some((below, false)),
        };
        let selected = index.count(Some(&filter)).unwrap();
        assert_eq!(selected, (n as f64 * below / 1000.0) as usize);
        let (mut found, mut wanted) = (0, 0);
        for q in 0..50 {
            let query = &vectors[q * 37 % n * d..][..d];
            let hits = index
                .search_filtered(query, &SearchOptions::default(), &filter)
                .unwrap();
            let truth = index.search_filtered(query, &exact, &filter).unwrap();
            assert_eq!(hits.len(), truth.len());
            for hit in &hits {
                let i: usize = hit.id[1..].parse().unwrap();
                assert!(
                    ((i * 7919 % 1000) as f64) < below,
                    "{} is not selected",
                    hit.id
                );
            }
            found += hits
                .iter()
                .filter(|h| truth.iter().any(|t| t.id == h.id))
                .count();
            wanted += truth.len();
        }
        let recall = found as f64 / wanted as f64;
        println!("selectivity {below}/1000: recall@10 {recall:.3} (unfiltered {unfiltered:.3})");
        assert!(
            recall >= unfiltered - 0.01,
            "selectivity {below}/1000: recall@10 {recall}, unfiltered {unfiltered}"
        );
    }
}

#[test]
fn bad_records_and_filters_are_errors_that_change_nothing() {
    let params = IndexParams::new(D, Metric::Cosine, Quantization::None).unwrap();
    let mut index = Index::new(params).with_fields(schema());
    let v = [1.0; D];
    let good = record(Some("n"), &["x"], Some(1950.0), Some(false));
    index
        .add_records(&["a"], &v, None, std::slice::from_ref(&good))
        .unwrap();
    let before = index.to_bytes();
    let wrong_kind = vec![None, Some(Value::Number(1.0)), None, None];
    let error = index
        .add_records(
            &["a", "b"],
            &[v, v].concat(),
            None,
            &[good.clone(), wrong_kind],
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "metadata 1: field \"pos\" is declared \"keyword\", got Number(1.0)"
    );
    let infinite = record(None, &[], Some(f64::INFINITY), None);
    let error = index
        .add_records(&["b"], &v, None, &[infinite])
        .unwrap_err();
    assert!(error.to_string().contains("finite number"), "{error}");
    let error = index
        .add_records(&["b"], &v, None, &[vec![None]])
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("1 values given for 4 declared fields"),
        "{error}"
    );
    let error = index
        .add_records(
            &["b", "c"],
            &[v, v].concat(),
            None,
            std::slice::from_ref(&good),
        )
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("metadata has 1 entries, but there are 2 ids"),
        "{error}"
    );
    assert_eq!(index.to_bytes(), before);

    let undeclared = Filter::In {
        field: "colour".into(),
        values: vec![],
    };
    assert_eq!(
        index.count(Some(&undeclared)).unwrap_err().to_string(),
        "invalid filter: field \"colour\" is not declared; declared fields: draft, pos, tags, \
         year (declare it in IndexOptions.fields)"
    );
    let text_for_number = Filter::In {
        field: "year".into(),
        values: vec![Scalar::Text("1950".into())],
    };
    let error = index
        .search_filtered(&v, &SearchOptions::default(), &text_for_number)
        .unwrap_err();
    assert!(
        error.to_string().contains("compares with a finite number"),
        "{error}"
    );
    let range_on_keyword = Filter::Range {
        field: "pos".into(),
        low: Some((1.0, true)),
        high: None,
    };
    let error = index.list(Some(&range_on_keyword), None, 10).unwrap_err();
    assert!(
        error.to_string().contains("apply to \"number\" fields"),
        "{error}"
    );
    assert!(
        index
            .list(None, None, 0)
            .unwrap_err()
            .to_string()
            .contains("1 to 10000")
    );

    for (fields, message) in [
        (
            vec![("and".to_string(), FieldKind::Keyword)],
            "is a filter operator",
        ),
        (
            vec![
                ("a".into(), FieldKind::Number),
                ("a".into(), FieldKind::Keyword),
            ],
            "declared twice",
        ),
        (
            vec![(String::new(), FieldKind::Number)],
            "expected 1 to 1024 bytes",
        ),
    ] {
        let error = Schema::new(fields).unwrap_err().to_string();
        assert!(error.contains(message), "{error}");
    }
}
