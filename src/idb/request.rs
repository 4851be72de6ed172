//! IndexedDB requests as futures, and IndexedDB's errors as the crate's. Requests become
//! promises whose `resolve` / `reject` are the request's own event handlers, so no JS glue
//! (and nothing that a strict extension CSP would refuse) is needed.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbFactory, IdbRequest};

use crate::error::{Damage, Error, Result, Storage};

/// A promise settled by the request's events (with the event, not the result: the result
/// is read from the request). No closure is allocated: `resolve` and `reject` themselves are
/// the handlers, so nothing leaks when one of them never fires.
pub fn events(request: &IdbRequest) -> Promise {
    Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    })
}

/// A request and the promise of its events, made as the request is issued: a handler set
/// later would miss an event that has already fired, and requests of one transaction may
/// be awaited in any order.
pub struct Pending {
    request: IdbRequest,
    events: Promise,
    doing: &'static str,
}

/// Issues a request: `request` is the result of the call that made it.
pub fn issue(
    doing: &'static str,
    request: core::result::Result<IdbRequest, JsValue>,
) -> Result<Pending> {
    let request = request.map_err(|e| storage_error(doing, e))?;
    let events = events(&request);
    Ok(Pending {
        request,
        events,
        doing,
    })
}

impl Pending {
    /// The request's result once it succeeds.
    pub async fn settled(self) -> Result<JsValue> {
        match JsFuture::from(self.events).await {
            Ok(_) => self
                .request
                .result()
                .map_err(|e| storage_error(self.doing, e)),
            Err(_) => Err(failure(self.doing, &self.request)),
        }
    }
}

pub fn request_error(request: &IdbRequest) -> JsValue {
    match request.error() {
        Ok(Some(error)) => error.into(),
        Ok(None) | Err(_) => JsValue::UNDEFINED,
    }
}

/// The error of a failed request, made while `doing`: the transaction's when the request
/// failed only because its transaction was aborted (see [`transaction_error`]).
pub fn failure(doing: &str, request: &IdbRequest) -> Error {
    match transaction_error(request) {
        Some(cause) => storage_error("writing the index", cause),
        None => storage_error(doing, request_error(request)),
    }
}

/// For a request that failed because its transaction was aborted (`AbortError`), the
/// transaction's error, the cause; `None` otherwise. Firefox meets a full quota by aborting
/// the whole transaction, so the call sees a pending read fail with `AbortError` while the
/// transaction's error says `QuotaExceededError` (Chromium fails the write itself).
fn transaction_error(request: &IdbRequest) -> Option<JsValue> {
    let own = request.error().ok().flatten()?;
    if own.name() != "AbortError" {
        return None;
    }
    Some(request.transaction()?.error()?.into())
}

/// An error from IndexedDB as the crate's error, naming the operation. A full quota gets
/// its own message because the user can act on it.
pub fn storage_error(doing: &str, error: JsValue) -> Error {
    let field = |key: &str| {
        Reflect::get(&error, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let (name, message) = (field("name"), field("message"));
    if name == "QuotaExceededError" {
        return Error::Storage(Storage::Quota {
            doing: doing.to_owned(),
            detail: (!message.is_empty()).then_some(message),
        });
    }
    let detail = if name.is_empty() && message.is_empty() {
        error.as_string().unwrap_or_else(|| "unknown error".into())
    } else {
        format!("{name}: {message}")
    };
    Error::Storage(Storage::Failed {
        doing: doing.to_owned(),
        detail,
    })
}

pub fn factory() -> Result<IdbFactory> {
    let value = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .unwrap_or(JsValue::UNDEFINED);
    if value.is_null() || value.is_undefined() {
        return Err(Error::Storage(Storage::Unavailable));
    }
    Ok(value.unchecked_into())
}

pub fn bytes_of(value: &JsValue, what: &str) -> Result<Vec<u8>> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or_else(|| {
            Damage::field(
                format!("the stored {what}"),
                "a byte array",
                "another value",
            )
        })
}
