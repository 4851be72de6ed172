//! JS values ↔ Rust values, with errors that say which element was wrong and what was expected.

use js_sys::{Array, Float32Array, JSON, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::index::Hit;

/// An array of strings.
pub fn strings(value: &JsValue, name: &str) -> Result<Vec<String>, JsError> {
    if !Array::is_array(value) {
        return Err(JsError::new(&format!("{name} must be an array of strings")));
    }
    let array: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, item) in array.iter().enumerate() {
        out.push(string(&item, &format!("{name}[{i}]"))?);
    }
    Ok(out)
}

/// A string that is well-formed Unicode. A lone surrogate would become U+FFFD on the way
/// into Rust, so two different ids could silently become one: it is an error instead.
pub fn string(value: &JsValue, name: &str) -> Result<String, JsError> {
    let Some(text) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(JsError::new(&format!(
            "{name} must be a string, got {}",
            value.js_typeof().as_string().unwrap_or_default()
        )));
    };
    if !text.is_valid_utf16() {
        return Err(JsError::new(&format!(
            "{name} is not well-formed Unicode (it has an unpaired surrogate, U+D800 to \
             U+DFFF); ids must be valid UTF-16 strings"
        )));
    }
    Ok(String::from(text))
}

/// A flat `Float32Array` (n × dimensions) or an array of `Float32Array`s of `dimensions` each.
pub fn vectors(value: &JsValue, dimensions: usize) -> Result<Vec<f32>, JsError> {
    if let Some(flat) = value.dyn_ref::<Float32Array>() {
        let mut out = floats(flat.length() as usize)?;
        out.resize(flat.length() as usize, 0.0);
        flat.copy_to(&mut out);
        return Ok(out);
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut out = floats(array.length() as usize * dimensions)?;
        for (i, item) in array.iter().enumerate() {
            let row = item
                .dyn_ref::<Float32Array>()
                .ok_or_else(|| JsError::new(&format!("vectors[{i}] must be a Float32Array")))?;
            if row.length() as usize != dimensions {
                return Err(JsError::new(&format!(
                    "vector {i} has {} values, but the index has {dimensions} dimensions",
                    row.length()
                )));
            }
            out.extend(row.to_vec());
        }
        return Ok(out);
    }
    Err(JsError::new(
        "vectors must be a Float32Array (n × dimensions, flat) or an array of Float32Array",
    ))
}

/// An empty vector with room for `n` floats, or a clear error if wasm memory cannot grow
/// that far (a plain allocation would abort the module).
fn floats(n: usize) -> Result<Vec<f32>, JsError> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| {
        JsError::from(crate::Error::OutOfMemory {
            what: "copying the vectors into wasm memory",
            bytes: n * 4,
        })
    })?;
    Ok(out)
}

/// A query vector.
pub fn query(value: &JsValue) -> Result<Vec<f32>, JsError> {
    value
        .dyn_ref::<Float32Array>()
        .map(Float32Array::to_vec)
        .ok_or_else(|| JsError::new("query must be a Float32Array"))
}

/// Metadata as JSON texts: undefined → none; otherwise an array with one entry per id.
pub fn metadata(value: Option<JsValue>) -> Result<Option<Vec<Option<String>>>, JsError> {
    let Some(value) = value else { return Ok(None) };
    if !Array::is_array(&value) {
        return Err(JsError::new(
            "metadata must be an array with one entry per id, or undefined",
        ));
    }
    let array: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, item) in array.iter().enumerate() {
        if item.is_undefined() {
            out.push(None);
            continue;
        }
        let text = JSON::stringify(&item).map_err(|e| {
            let reason = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_default();
            JsError::new(&format!("metadata[{i}] is not JSON-serialisable: {reason}"))
        })?;
        // JSON.stringify returns undefined for functions and symbols: store nothing.
        out.push(text.as_string());
    }
    Ok(Some(out))
}

fn parse_json(text: &str) -> Result<JsValue, JsError> {
    JSON::parse(text).map_err(|_| JsError::new("stored metadata is not valid JSON"))
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(object, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| JsError::new("could not build a result object"))
}

/// `{ id, score, metadata? }`.
pub fn hit(hit: &Hit<'_>) -> Result<Object, JsError> {
    let object = Object::new();
    set(&object, "id", &JsValue::from_str(hit.id))?;
    set(&object, "score", &JsValue::from_f64(f64::from(hit.score)))?;
    if let Some(m) = hit.metadata {
        set(&object, "metadata", &parse_json(m)?)?;
    }
    Ok(object)
}

/// `{ vector?, metadata? }` (no vector for an index loaded without originals).
pub fn record(vector: Option<&[f32]>, metadata: Option<&str>) -> Result<Object, JsError> {
    let object = Object::new();
    if let Some(vector) = vector {
        set(&object, "vector", &Float32Array::from(vector).into())?;
    }
    if let Some(m) = metadata {
        set(&object, "metadata", &parse_json(m)?)?;
    }
    Ok(object)
}
