//! The kernel and index suites again, in a dedicated worker of headless Chromium (no
//! `window`: what a search worker sees).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[path = "index.rs"]
mod index;
#[path = "kernels.rs"]
mod kernels;
