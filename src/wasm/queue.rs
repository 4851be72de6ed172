//! Runs the calls on one index one at a time, in call order, so each call sees the index as
//! every earlier call left it (an `add` followed, without `await`, by a `search` finds what
//! was added), and no two calls interleave their IndexedDB reads and writes.
//!
//! A call is polled once as it is made when no earlier call is still running: a call on an
//! index in memory completes there, so its promise is settled before `add` or `search`
//! returns, as it always was; one that waits for IndexedDB goes on in the background.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

type Call = Pin<Box<dyn Future<Output = Result<JsValue, JsError>>>>;

/// A FIFO of asynchronous calls.
#[derive(Debug)]
pub struct Queue {
    /// Settles (always fulfilled) when the last queued call has finished.
    tail: RefCell<Promise>,
    /// Calls queued and not finished.
    running: Rc<Cell<usize>>,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Self {
        Queue {
            tail: RefCell::new(Promise::resolve(&JsValue::UNDEFINED)),
            running: Rc::default(),
        }
    }

    /// Runs `call` after every call made before it; returns a promise of its result.
    pub fn run<F>(&self, call: F) -> Promise
    where
        F: Future<Output = Result<JsValue, JsError>> + 'static,
    {
        let mut call: Call = Box::pin(call);
        if self.running.get() == 0 {
            // Nothing runs before it: start it now. A future that polled `Pending` has
            // registered for its wake-ups (the JS promises it awaits); polling it again
            // later, with a real waker, picks up where it stopped.
            match call.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(value)) => return Promise::resolve(&value),
                Poll::Ready(Err(error)) => return Promise::reject(&error.into()),
                Poll::Pending => {}
            }
        }
        self.enqueue(call)
    }

    fn enqueue(&self, call: Call) -> Promise {
        let previous = self.tail.borrow().clone();
        let outcome: Rc<RefCell<Option<Result<JsValue, JsValue>>>> = Rc::default();
        let (slot, running) = (outcome.clone(), self.running.clone());
        running.set(running.get() + 1);
        // The queue's own promise never rejects, so a failed call does not stall the next.
        let finished = future_to_promise(async move {
            let _ = JsFuture::from(previous).await;
            *slot.borrow_mut() = Some(call.await.map_err(JsValue::from));
            running.set(running.get() - 1);
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
