//! `IndexOptions` and `SearchOptions` from JS objects. Unknown keys are errors (a typo such as
//! `oversample` must not be silently ignored), and so are values of the wrong type.

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::fields::{Filter, Schema};
use crate::index::SearchOptions;
use crate::params::{BinaryQuery, IndexParams, Metric, Quantization};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexOptionsJs {
    dimensions: f64,
    metric: Option<String>,
    quantization: Option<String>,
    int8: Option<Int8Js>,
    pq: Option<PqJs>,
    binary: Option<BinaryJs>,
}

#[derive(Deserialize)]
struct Int8Js {
    quantile: Option<f32>,
}

#[derive(Deserialize)]
struct PqJs {
    subspaces: Option<f64>,
    bits: Option<f64>,
    seed: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinaryJs {
    centered: Option<bool>,
    query: Option<String>,
    refine: Option<f64>,
}

#[derive(Deserialize, Default)]
struct SearchOptionsJs {
    k: Option<f64>,
    oversampling: Option<f64>,
    rescore: Option<bool>,
    exact: Option<bool>,
}

/// A whole number in `1..=max`, or an error naming the option.
fn whole(name: &str, value: f64, max: f64) -> Result<usize, JsError> {
    if value.fract() != 0.0 || !(1.0..=max).contains(&value) {
        return Err(JsError::new(&format!(
            "invalid option `{name}`: got {value}; expected an integer from 1 to {max}"
        )));
    }
    Ok(value as usize)
}

/// Deserialises an options object after checking that it has no key outside `allowed`
/// (serde-wasm-bindgen reads only the declared fields, so `deny_unknown_fields` alone would
/// let a misspelt option through).
fn parse<T: for<'de> Deserialize<'de>>(
    value: JsValue,
    what: &str,
    allowed: &[&str],
) -> Result<T, JsError> {
    check_keys(&value, what, allowed)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("invalid {what}: {e}")))
}

fn check_keys(value: &JsValue, what: &str, allowed: &[&str]) -> Result<(), JsError> {
    let object: &js_sys::Object = value.unchecked_ref();
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(JsError::new(&format!(
                "invalid {what}: unknown option `{key}`; expected one of {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks the keys of a nested options object such as `pq` when it is present.
fn check_section(options: &JsValue, section: &str, allowed: &[&str]) -> Result<(), JsError> {
    let value =
        js_sys::Reflect::get(options, &JsValue::from_str(section)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        return Ok(());
    }
    if !value.is_object() {
        return Err(JsError::new(&format!(
            "invalid option `{section}`: expected an object"
        )));
    }
    check_keys(&value, &format!("`{section}` options"), allowed)
}

fn option_mismatch(section: &str, quantization: &str) -> JsError {
    JsError::new(&format!(
        "invalid option `{section}`: it applies to quantization \"{section}\", but quantization is \"{quantization}\""
    ))
}

/// Parses and validates `IndexOptions`, with its declared fields.
pub fn index_options(options: JsValue) -> Result<(IndexParams, Schema), JsError> {
    let params = index_params(options.clone())?;
    let fields = js_sys::Reflect::get(&options, &"fields".into()).unwrap_or(JsValue::UNDEFINED);
    Ok((params, super::fields::schema(fields)?))
}

/// Parses and validates `IndexOptions` but its fields.
fn index_params(options: JsValue) -> Result<IndexParams, JsError> {
    if !options.is_object() {
        return Err(JsError::new(
            "Index options must be an object such as { dimensions: 384 }",
        ));
    }
    check_section(&options, "int8", &["quantile"])?;
    check_section(&options, "pq", &["subspaces", "bits", "seed"])?;
    check_section(&options, "binary", &["centered", "query", "refine"])?;
    let o: IndexOptionsJs = parse(
        options,
        "Index options",
        &[
            "dimensions",
            "metric",
            "quantization",
            "int8",
            "pq",
            "binary",
            "fields",
        ],
    )?;
    let dimensions = whole(
        "dimensions",
        o.dimensions,
        crate::params::MAX_DIMENSIONS as f64,
    )?;
    let metric = Metric::parse(o.metric.as_deref().unwrap_or("cosine"))?;
    let name = o.quantization.as_deref().unwrap_or("binary");
    let sections = [
        ("int8", o.int8.is_some()),
        ("pq", o.pq.is_some()),
        ("binary", o.binary.is_some()),
    ];
    if let Some((section, _)) = sections.iter().find(|(s, given)| *given && *s != name) {
        return Err(option_mismatch(section, name));
    }
    let quantization = match name {
        "none" => Quantization::None,
        "int8" => match o.int8.and_then(|i| i.quantile) {
            Some(quantile) => Quantization::Int8 { quantile },
            None => Quantization::INT8_DEFAULT,
        },
        "binary" => {
            let b = o.binary.unwrap_or(BinaryJs {
                centered: None,
                query: None,
                refine: None,
            });
            let query = match b.query.as_deref() {
                None | Some("asymmetric") => BinaryQuery::Asymmetric,
                Some("hamming") => BinaryQuery::Hamming,
                Some(other) => {
                    return Err(JsError::new(&format!(
                        "invalid option `binary.query`: got {other:?}; expected \"asymmetric\" or \"hamming\""
                    )));
                }
            };
            let refine = match b.refine {
                None => crate::params::DEFAULT_REFINE,
                Some(bits) if bits.fract() == 0.0 && (0.0..=4.0).contains(&bits) => bits as u8,
                Some(other) => {
                    return Err(JsError::new(&format!(
                        "invalid option `binary.refine`: got {other}; expected an integer from 0 to 4 (extra bits per dimension; 0 turns refinement off)"
                    )));
                }
            };
            Quantization::Binary {
                centered: b.centered.unwrap_or(false),
                query,
                refine,
            }
        }
        "pq" => {
            let p = o.pq.unwrap_or(PqJs {
                subspaces: None,
                bits: None,
                seed: None,
            });
            let bits = match p.bits {
                None | Some(8.0) => 8,
                Some(4.0) => 4,
                Some(other) => {
                    return Err(JsError::new(&format!(
                        "invalid option `pq.bits`: got {other}; expected 4 or 8"
                    )));
                }
            };
            let seed = match p.seed {
                Some(s) if s.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&s) => {
                    Some(s as u64)
                }
                Some(s) => {
                    return Err(JsError::new(&format!(
                        "invalid option `pq.seed`: got {s}; expected a non-negative safe integer"
                    )));
                }
                None => None,
            };
            match p.subspaces {
                Some(s) => Quantization::Pq {
                    subspaces: whole("pq.subspaces", s, dimensions as f64)?,
                    bits,
                    seed,
                },
                None => Quantization::pq_default(dimensions, bits, seed),
            }
        }
        other => {
            return Err(JsError::new(&format!(
                "invalid option `quantization`: unknown quantization {other:?}; expected \"none\", \"int8\", \"binary\" or \"pq\""
            )));
        }
    };
    Ok(IndexParams::new(dimensions, metric, quantization)?)
}

/// The `where` of an options object, if it has one.
pub fn where_filter(options: &JsValue) -> Result<Option<Filter>, JsError> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &"where".into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        return Ok(None);
    }
    Ok(Some(super::fields::filter(&value, "where")?))
}

/// Parses and validates `SearchOptions` (undefined = defaults) and its `where`.
pub fn search_options(
    options: Option<JsValue>,
) -> Result<(SearchOptions, Option<Filter>), JsError> {
    let filter = match &options {
        Some(options) => where_filter(options)?,
        None => None,
    };
    let o: SearchOptionsJs = match options {
        None => SearchOptionsJs::default(),
        Some(options) if options.is_object() => parse(
            options,
            "search options",
            &["k", "oversampling", "rescore", "exact", "where"],
        )?,
        Some(_) => {
            return Err(JsError::new(
                "search options must be an object such as { k: 10 }",
            ));
        }
    };
    let k = match o.k {
        Some(k) if k.fract() != 0.0 || k < 1.0 || !k.is_finite() => {
            return Err(JsError::new(&format!(
                "invalid option `k`: got {k}; expected an integer ≥ 1"
            )));
        }
        Some(k) => k.min(f64::from(u32::MAX)) as usize,
        None => 10,
    };
    let options = SearchOptions {
        k,
        oversampling: o.oversampling.map(|v| v as f32),
        rescore: o.rescore.unwrap_or(true),
        exact: o.exact.unwrap_or(false),
    };
    Ok((options, filter))
}

/// `list(options?)`: `{ where?, after?, limit? }` (limit default 100).
pub fn list_options(
    options: Option<JsValue>,
) -> Result<(Option<Filter>, Option<String>, usize), JsError> {
    #[derive(Deserialize, Default)]
    struct ListJs {
        after: Option<String>,
        limit: Option<f64>,
    }
    let Some(options) = options.filter(|o| !o.is_undefined()) else {
        return Ok((None, None, 100));
    };
    if !options.is_object() {
        return Err(JsError::new(
            "list options must be an object such as { where: { pos: \"noun\" }, limit: 100 }",
        ));
    }
    let filter = where_filter(&options)?;
    let o: ListJs = parse(options, "list options", &["where", "after", "limit"])?;
    let max = crate::index::MAX_PAGE as f64;
    let limit = whole("limit", o.limit.unwrap_or(100.0), max)?;
    Ok((filter, o.after, limit))
}

/// The `originals` flag of `toBytes(options?)` (default true).
pub fn to_bytes_originals(options: Option<JsValue>) -> Result<bool, JsError> {
    #[derive(Deserialize)]
    struct ToBytesJs {
        originals: Option<bool>,
    }
    let Some(options) = options.filter(|o| !o.is_undefined()) else {
        return Ok(true);
    };
    if !options.is_object() {
        return Err(JsError::new(
            "toBytes options must be an object such as { originals: false }",
        ));
    }
    let o: ToBytesJs = parse(options, "toBytes options", &["originals"])?;
    Ok(o.originals.unwrap_or(true))
}
