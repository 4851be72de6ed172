//! The kernel and index suites again, and the IndexedDB suite, in headless Chromium (a page). Native builds skip this
//! file; `cargo test --target wasm32-unknown-unknown` runs it through chromedriver.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod idb;
#[path = "index.rs"]
mod index;
#[path = "kernels.rs"]
mod kernels;
