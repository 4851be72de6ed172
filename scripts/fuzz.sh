#!/usr/bin/env bash
# Runs the libFuzzer targets in fuzz/ (cargo fuzz) over their kept corpus and regressions,
# then fuzzes each for a while.
#
# Usage: bash scripts/fuzz.sh [SECONDS]   (default 20 per target: the short run of `npm test`)
#
# The machine's stable toolchain builds them: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags
# cargo fuzz passes, and `-s none` skips AddressSanitizer (which needs a nightly std; the
# targets exercise safe Rust, and debug assertions stay on with -a). New corpus entries go
# to a scratch folder; to keep them, pass fuzz/corpus/<target> yourself to cargo fuzz.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-20}"
export RUSTC_BOOTSTRAP=1
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in from_bytes stored_records operations; do
  mkdir -p "corpus/$target" "regressions/$target" "$scratch/$target"
  printf '\n--- %s: %s kept inputs, %s regressions, then %s s\n' "$target" \
    "$(ls "corpus/$target" | wc -l)" "$(ls "regressions/$target" | wc -l)" "$seconds"
  log="$scratch/$target.log"
  if ! cargo fuzz run -s none -a "$target" "$scratch/$target" "corpus/$target" \
    "regressions/$target" -- -max_total_time="$seconds" -malloc_limit_mb=1024 -timeout=30 \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$log"
done
