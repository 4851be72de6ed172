//! Declared fields at the JS boundary: `IndexOptions.fields` to a [`Schema`], each added
//! metadata object's declared fields to a [`Record`], and `where` to a [`Filter`]. Every
//! wrong type is an error naming where it is and what was expected.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::fields::{FieldKind, Filter, Record, Scalar, Schema, Value};

/// `IndexOptions.fields`: `{ name: kind }`, or undefined for none.
pub fn schema(value: JsValue) -> Result<Schema, JsError> {
    if value.is_undefined() {
        return Ok(Schema::default());
    }
    if !is_plain_object(&value) {
        return Err(JsError::new(
            "invalid option `fields`: expected an object such as { pos: \"keyword\", year: \"number\" }",
        ));
    }
    let mut fields = Vec::new();
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        let kind = entry.get(1).as_string().unwrap_or_default();
        let Some(kind) = FieldKind::from_name(&kind) else {
            let text = if kind == "text" {
                " (keyword search on text fields is not available yet)"
            } else {
                ""
            };
            return Err(JsError::new(&format!(
                "invalid option `fields.{name}`: got {:?}{text}; expected \"keyword\", \
                 \"keyword[]\", \"number\" or \"boolean\"",
                describe(&entry.get(1))
            )));
        };
        fields.push((name, kind));
    }
    Ok(Schema::new(fields)?)
}

/// The declared fields' values of each metadata entry (an entry that is not an object has
/// none); `None` when the index declares no field.
pub fn records(metadata: &JsValue, schema: &Schema) -> Result<Option<Vec<Record>>, JsError> {
    if schema.is_empty() || !Array::is_array(metadata) {
        return Ok(None);
    }
    let array: &Array = metadata.unchecked_ref();
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, item) in array.iter().enumerate() {
        let mut record = Vec::with_capacity(schema.len());
        for (name, kind) in schema.fields() {
            let value = if is_object(&item) {
                Reflect::get(&item, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
            } else {
                JsValue::UNDEFINED
            };
            record.push(field_value(&value, *kind).map_err(|expected| {
                JsError::new(&format!(
                    "metadata[{i}].{name}: expected {expected} (the field is declared {:?}) or \
                     no value, got {}",
                    kind.name(),
                    describe(&value)
                ))
            })?);
        }
        out.push(record);
    }
    Ok(Some(out))
}

/// A field's value, or what was expected instead.
fn field_value(value: &JsValue, kind: FieldKind) -> Result<Option<Value>, &'static str> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match kind {
        FieldKind::Keyword => value
            .as_string()
            .map(|s| Some(Value::Keyword(s)))
            .ok_or("a string"),
        FieldKind::Keywords => {
            let expected = "an array of strings";
            if !Array::is_array(value) {
                return Err(expected);
            }
            let array: &Array = value.unchecked_ref();
            let list: Option<Vec<String>> = array.iter().map(|v| v.as_string()).collect();
            list.map(|l| Some(Value::Keywords(l))).ok_or(expected)
        }
        FieldKind::Number => match value.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(Value::Number(x))),
            _ => Err("a finite number"),
        },
        FieldKind::Boolean => value
            .as_bool()
            .map(|b| Some(Value::Boolean(b)))
            .ok_or("true or false"),
    }
}

/// `where`: `{ field: condition, ..., and: [...], or: [...], not: {...}, ids: [...] }`;
/// several keys must all match.
pub fn filter(value: &JsValue, path: &str) -> Result<Filter, JsError> {
    if !is_plain_object(value) {
        return Err(JsError::new(&format!(
            "invalid filter at {path}: expected an object such as {{ pos: \"noun\" }}, got {}",
            describe(value)
        )));
    }
    let mut all = Vec::new();
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        let at = format!("{path}.{key}");
        all.push(match key.as_str() {
            "and" | "or" => {
                let parts = list(&value, &at, "filters")?
                    .iter()
                    .enumerate()
                    .map(|(i, f)| filter(&f, &format!("{at}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "and" {
                    Filter::And(parts)
                } else {
                    Filter::Or(parts)
                }
            }
            "not" => Filter::Not(Box::new(filter(&value, &at)?)),
            "ids" => {
                let ids: Option<Vec<String>> = (list(&value, &at, "strings")?.iter())
                    .map(|v| v.as_string())
                    .collect();
                Filter::Ids(ids.ok_or_else(|| bad(&at, "an array of strings", &value))?)
            }
            _ => condition(key, &value, &at)?,
        });
    }
    Ok(match all.len() {
        1 => all.remove(0),
        _ => Filter::And(all),
    })
}

/// One field's condition: a value (equality), an array (any of), or an object of
/// operators `eq`, `in`, `gt`, `gte`, `lt`, `lte`, `exists`, which must all hold.
fn condition(field: String, value: &JsValue, at: &str) -> Result<Filter, JsError> {
    if Array::is_array(value) {
        let values = (value.unchecked_ref::<Array>().iter())
            .map(|v| scalar(&v).ok_or_else(|| bad(at, "strings, numbers or booleans", &v)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Filter::In { field, values });
    }
    if let Some(s) = scalar(value) {
        return Ok(Filter::In {
            field,
            values: vec![s],
        });
    }
    if !is_plain_object(value) {
        return Err(bad(
            at,
            "a value, an array of values, or an object of operators (eq, in, gt, gte, lt, \
             lte, exists); for records without the field use { exists: false }",
            value,
        ));
    }
    let mut all = Vec::new();
    let (mut low, mut high) = (None, None);
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let op = entry.get(0).as_string().unwrap_or_default();
        let v = entry.get(1);
        let at = format!("{at}.{op}");
        let number = || {
            v.as_f64()
                .filter(|x| !x.is_nan())
                .ok_or_else(|| bad(&at, "a number", &v))
        };
        match op.as_str() {
            "eq" => all.push(Filter::In {
                field: field.clone(),
                values: vec![
                    scalar(&v).ok_or_else(|| bad(&at, "a string, number or boolean", &v))?,
                ],
            }),
            "in" => {
                let values = (list(&v, &at, "values")?.iter())
                    .map(|x| scalar(&x).ok_or_else(|| bad(&at, "strings, numbers or booleans", &x)))
                    .collect::<Result<Vec<_>, _>>()?;
                all.push(Filter::In {
                    field: field.clone(),
                    values,
                });
            }
            "gt" => low = tighter(low, (number()?, false), true),
            "gte" => low = tighter(low, (number()?, true), true),
            "lt" => high = tighter(high, (number()?, false), false),
            "lte" => high = tighter(high, (number()?, true), false),
            "exists" => all.push(Filter::Exists {
                field: field.clone(),
                exists: v.as_bool().ok_or_else(|| bad(&at, "true or false", &v))?,
            }),
            _ => {
                return Err(JsError::new(&format!(
                    "invalid filter at {at}: unknown operator `{op}`; expected eq, in, gt, gte, \
                     lt, lte or exists"
                )));
            }
        }
    }
    if low.is_some() || high.is_some() {
        all.push(Filter::Range { field, low, high });
    }
    Ok(match all.len() {
        1 => all.remove(0),
        _ => Filter::And(all),
    })
}

/// The tighter of two bounds (`lower`: the larger one).
fn tighter(old: Option<(f64, bool)>, new: (f64, bool), lower: bool) -> Option<(f64, bool)> {
    let Some(old) = old else { return Some(new) };
    let new_is_tighter = if new.0 == old.0 {
        !new.1
    } else {
        (new.0 > old.0) == lower
    };
    Some(if new_is_tighter { new } else { old })
}

fn scalar(value: &JsValue) -> Option<Scalar> {
    if let Some(s) = value.as_string() {
        return Some(Scalar::Text(s));
    }
    if let Some(b) = value.as_bool() {
        return Some(Scalar::Boolean(b));
    }
    value.as_f64().filter(|x| x.is_finite()).map(Scalar::Number)
}

fn list(value: &JsValue, at: &str, of: &str) -> Result<Array, JsError> {
    if !Array::is_array(value) {
        return Err(bad(at, &format!("an array of {of}"), value));
    }
    Ok(value.clone().unchecked_into())
}

fn bad(at: &str, expected: &str, got: &JsValue) -> JsError {
    JsError::new(&format!(
        "invalid filter at {at}: expected {expected}, got {}",
        describe(got)
    ))
}

fn is_object(value: &JsValue) -> bool {
    value.is_object() && !value.is_null()
}

fn is_plain_object(value: &JsValue) -> bool {
    is_object(value) && !Array::is_array(value)
}

/// A short description of a JS value for messages: its JSON when it has one.
fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".into();
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .map(|s| match s.char_indices().nth(80) {
            Some((end, _)) => format!("{}…", &s[..end]),
            None => s,
        })
        .unwrap_or_else(|| format!("{value:?}"))
}
