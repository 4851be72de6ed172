#!/usr/bin/env bash
# `npm test`: installs what a fresh Debian machine lacks (scripts/setup.sh), then runs every
# check: formatting (Rust, and JS with Biome), the JS linter (Biome), clippy (native and
# wasm32, both SIMD tiers), native tests (with the recall tests on ../shared/data when it is present), wasm tests in Node and in headless
# Chromium (page and dedicated worker; the relaxed-SIMD tier's in Chromium), a short fuzzing
# run, the package build, and JS tests of the built package (browser ones in Chromium and
# Firefox ESR). The embedder crate (embed/) is
# checked the same way; its model files are fetched once (scripts/model.mjs, SHA-256 checked).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the time since the start, to show where CI's minutes go.
step() { printf '\n=== %s (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

# The relaxed-SIMD tier's cargo arguments, as scripts/build.mjs builds it (one list for
# both: scripts/relaxed-simd.json).
mapfile -t RELAXED < <(node -e 'for (const a of require("./scripts/relaxed-simd.json").cargo) console.log(a)')

# wasm-bindgen-test-runner gives a browser suite 20 s in all by default; the Chromium suites
# take 10-12 s on a quiet 2-core machine and failed at 20 s beside a concurrent build.
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}

step "setup"
bash scripts/setup.sh

step "model files: all-MiniLM-L6-v2 into .model/ (scripts/model.mjs)"
node scripts/model.mjs

step "cargo fmt --check"
cargo fmt --all -- --check

step "JS and JSON: format and lint (Biome, biome.json)"
node_modules/.bin/biome check .

step "clippy (native)"
cargo clippy --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy --all-targets --all-features --target wasm32-unknown-unknown -- -D warnings

step "clippy (wasm32, relaxed-SIMD tier)"
cargo clippy --all-targets --all-features --target wasm32-unknown-unknown "${RELAXED[@]}" -- -D warnings

step "clippy: the embedder (native, wasm32)"
cargo clippy -p quiver-embed --all-targets -- -D warnings
cargo clippy -p quiver-embed --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test

step "native tests of the embedder (parity with sentence-transformers needs ../shared/data)"
cargo test -p quiver-embed -- --nocapture

step "recall on the real data (../shared/data; skipped with a note when absent)"
# Two threads: each test is one core's work for a minute or more, and this machine has two.
# Every printed line names its configuration, so interleaved lines still read.
cargo test --release --test recall -- --ignored --nocapture --test-threads 2

step "wasm tests: Node, Chromium page, Chromium dedicated worker"
cargo test --target wasm32-unknown-unknown

step "wasm tests of the relaxed-SIMD tier: kernels and index tests in headless Chromium"
# In Chromium, not Node: Node 20's experimental relaxed SIMD returns wrong dot products.
WASM_BINDGEN_USE_BROWSER=1 cargo test --target wasm32-unknown-unknown "${RELAXED[@]}" \
  --test kernels --test index

step "fuzzing (scripts/fuzz.sh: kept corpus and regressions, then 20 s per target) beside the package build"
# The fuzzers run on one core in their own target dir (fuzz/target), so they go beside the
# package build, whose embedder spends minutes in one LTO codegen unit on one core. Their log
# is printed when both are done; either failing fails the step.
fuzz_log="$(mktemp)"
bash scripts/fuzz.sh 20 >"$fuzz_log" 2>&1 &
fuzz_pid=$!
build_status=0
node scripts/build.mjs || build_status=$?
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
printf '\n--- fuzzing (ran beside the build):\n'
grep -v '^ *Compiling ' "$fuzz_log" || true
rm -f "$fuzz_log"
if [ "$build_status" -ne 0 ] || [ "$fuzz_status" -ne 0 ]; then
  echo "failed: package build exit $build_status, fuzzing exit $fuzz_status"
  exit 1
fi

step "the WordNet demo's prebuilt index: 5,000 glosses embedded natively (scripts/demo-data.mjs, cached)"
# 5,000 of npm start's 20,000: the demo's test needs a real index, not the large one.
node scripts/demo-data.mjs --profile test --count 5000

step "the static site (scripts/build-site.mjs: site/, float16 model)"
node scripts/build-site.mjs

step "JS tests of the built package (Node; headless Chromium via playwright-core and Firefox ESR via puppeteer-core)"
# Two files at a time: the browser suites wait on pages and IndexedDB much of the time, and
# two at a time took 4m03s here against 5m25s one at a time, with every test passing.
node --test --test-concurrency=2 tests/js/
step "all checks passed"
