//! JS values ↔ Rust values, with errors that say which element was wrong and what was expected.

use js_sys::{Array, Float32Array, JSON, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::index::{Hit, Rows};

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

/// The vectors of an add as one flat `Float32Array` (n × dimensions), which the index reads
/// a chunk at a time: the batch is never copied into wasm memory whole.
pub struct JsRows(Float32Array);

impl Rows for JsRows {
    fn values(&self) -> usize {
        self.0.length() as usize
    }

    fn read(&self, start: usize, out: &mut [f32]) {
        let end = start + out.len();
        self.0.subarray(start as u32, end as u32).copy_to(out);
    }
}

/// A flat `Float32Array` (n × dimensions) or an array of `Float32Array`s of `dimensions`
/// each, as rows. An array of rows is checked and copied into one flat array, in JS; a flat
/// one is used as it is, or with `snapshot` copied (in JS), so that an add that runs later
/// (after the calls queued before it) stores what the array held when it was called.
pub fn rows(value: &JsValue, dimensions: usize, snapshot: bool) -> Result<JsRows, JsError> {
    if let Some(flat) = value.dyn_ref::<Float32Array>() {
        return Ok(JsRows(if snapshot {
            flat.slice(0, flat.length())
        } else {
            flat.clone()
        }));
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let flat = Float32Array::new_with_length(array.length() * dimensions as u32);
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
            flat.set(row, (i * dimensions) as u32);
        }
        return Ok(JsRows(flat));
    }
    Err(JsError::new(
        "vectors must be a Float32Array (n × dimensions, flat) or an array of Float32Array",
    ))
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

/// `{ id, metadata? }`, an entry of `list`.
pub fn listed(id: &str, metadata: Option<&str>) -> Result<Object, JsError> {
    let object = Object::new();
    set(&object, "id", &JsValue::from_str(id))?;
    if let Some(m) = metadata {
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
