//! The kernel, index and IndexedDB suites again, in a dedicated worker of headless Chromium (no
//! `window`: what a search worker sees).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

mod idb;
#[path = "index.rs"]
mod index;
#[path = "kernels.rs"]
mod kernels;
