#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test quiver.
# Idempotent: each step checks first, so a warm machine passes through in about a second.
#   bash scripts/setup.sh          everything `npm test` needs
#   bash scripts/setup.sh --demo   only what `npm start` needs (no cargo-fuzz, no Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_ONLY=false; [ "${1:-}" = "--demo" ] && DEMO_ONLY=true

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen` pin in Cargo.toml

log() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding rustup component $component"
    rustup component add "$component"
  fi
done

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2.5 minutes)"
  # Not --locked: its lock file pins a webpki-roots release the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

CARGO_FUZZ_VERSION=0.13.2
if ! $DEMO_ONLY && ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 30 seconds)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# The browser tests run in both engines: Chromium (playwright-core, and chromedriver for the
# wasm-bindgen suites) and Firefox ESR (puppeteer-core over WebDriver BiDi).
if ! $DEMO_ONLY && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v firefox-esr >/dev/null; }; then
  log "installing Debian's chromium, chromium-driver and firefox-esr (about a minute)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver firefox-esr >/dev/null
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  # `npm install`, not `npm ci`: npm 11 writes a lock file without the other platforms'
  # optional packages (rollup's native builds, for Vite), which `npm ci` then rejects as out
  # of sync. `npm install` installs the locked versions and leaves the lock file as it is.
  npm install --no-audit --no-fund
fi
log "ready"
