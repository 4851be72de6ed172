// Each shipped .wasm (one per tier) must contain SIMD instructions, one family per kernel: a build that lost
// +simd128 (e.g. through a RUSTFLAGS variable) or a kernel that fell back to scalar code
// fails here. The module is disassembled with binaryen (npm) and its instructions counted.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wasmOpt = `${root}node_modules/.bin/wasm-opt`;

function instructions(file) {
  const text = execFileSync(wasmOpt, [file, "--all-features", "--print"], {
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  const counts = new Map();
  for (const [op] of text.matchAll(/\((?:v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\.[a-z0-9_]+/g)) {
    counts.set(op.slice(1), (counts.get(op.slice(1)) ?? 0) + 1);
  }
  return counts;
}

const KERNELS = {
  "i8x16.swizzle": "fast-scan table lookups (binary codes and 4-bit PQ)",
  "f32x4.mul": "f32 dot / L2 for rescoring",
  "v128.load": "vector loads",
};
const TIERS = {
  "quiver_bg.wasm": {
    "i16x8.extmul_low_i8x16_s": "int8 dot product",
    "i32x4.extadd_pairwise_i16x8_s": "int8 dot product accumulation",
  },
  "quiver_relaxed_bg.wasm": {
    "i32x4.relaxed_dot_i8x16_i7x16_add_s": "int8 dot product (relaxed SIMD)",
  },
};

for (const [file, own] of Object.entries(TIERS)) {
  test(`dist/${file} contains its tier's SIMD kernels`, () => {
    const counts = instructions(`${root}dist/${file}`);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`${file}: ${total} SIMD instructions, ${counts.size} kinds`);
    for (const [op, kernel] of Object.entries({ ...KERNELS, ...own })) {
      assert.ok((counts.get(op) ?? 0) > 0, `no ${op} (${kernel}) in ${file}`);
    }
    const relaxed = [...counts.keys()].filter((op) => op.includes("relaxed"));
    if (file === "quiver_bg.wasm") assert.deepEqual(relaxed, [], "the SIMD128 tier must run without relaxed SIMD");
  });
}
