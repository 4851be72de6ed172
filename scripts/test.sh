#!/usr/bin/env bash
# `npm test`: installs what a fresh Debian machine lacks (scripts/setup.sh), then runs every
# check: formatting, clippy (native and wasm32), native tests (with the recall tests on
# ../shared/data when it is present), wasm tests in Node and in headless Chromium (page and
# dedicated worker), a short fuzzing run, the package build, and JS tests of the built
# package.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy --all-targets --all-features --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test

step "recall on the real data (../shared/data; skipped with a note when absent)"
cargo test --release --test recall -- --ignored --nocapture --test-threads 1

step "wasm tests: Node, Chromium page, Chromium dedicated worker"
cargo test --target wasm32-unknown-unknown

step "fuzzing: kept corpus and regressions, then 20 s per target (scripts/fuzz.sh)"
bash scripts/fuzz.sh 20

step "build the npm package"
node scripts/build.mjs

step "JS tests of the built package (Node, and headless Chromium via playwright-core)"
node --test tests/js/
