//! Runs the asynchronous calls on one persistent index one at a time, in call order, so
//! each call sees the index as every earlier call left it (an `add` followed, without
//! `await`, by a `search` finds what was added), and no two calls interleave their
//! IndexedDB reads and writes.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

/// A FIFO of asynchronous calls.
#[derive(Debug)]
pub struct Queue {
    /// Settles (always fulfilled) when the last queued call has finished.
    tail: RefCell<Promise>,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Self {
        Queue {
            tail: RefCell::new(Promise::resolve(&JsValue::UNDEFINED)),
        }
    }

    /// Queues `call` behind every call queued before it; returns a promise of its result.
    pub fn run<F>(&self, call: F) -> Promise
    where
        F: Future<Output = Result<JsValue, JsError>> + 'static,
    {
        let previous = self.tail.borrow().clone();
        let outcome: Rc<RefCell<Option<Result<JsValue, JsValue>>>> = Rc::default();
        let slot = outcome.clone();
        // The queue's own promise never rejects, so a failed call does not stall the next.
        let finished = future_to_promise(async move {
            let _ = JsFuture::from(previous).await;
            *slot.borrow_mut() = Some(call.await.map_err(JsValue::from));
            Ok(JsValue::UNDEFINED)
        });
        *self.tail.borrow_mut() = finished.clone();
        future_to_promise(async move {
            let _ = JsFuture::from(finished).await;
            outcome
                .borrow_mut()
                .take()
                .unwrap_or_else(|| Err(JsError::new("the call did not run").into()))
        })
    }
}
