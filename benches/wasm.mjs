// `npm run bench`: times the real .wasm in Node and prints each figure next to the target the
// issues set, so a change that slows the engine shows at a glance. Medians over repeated
// runs (these machines are shared and noisy); ratios where a figure is relative.
//
//   kernels   GB/s of each kernel, SIMD128 and scalar, next to a plain memory read
//   scans     median time of one quantized scan with fused top-10 (ScanBench: real Codes::scan)
//   index     the public Index on 100k vectors (the real data when ../shared/data exists):
//             add time, memoryBytes, scan-only vs full search with rescoring, and the
//             default search against a plain JavaScript loop (the bar of issue 4)
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { benchVectors } from "../scripts/real-data.mjs";
import { jsLoopTopK } from "./peers/topk.mjs";
import { alternate, median } from "./timing.mjs";

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("..", import.meta.url));
const { KernelBench, ScanBench, Index } = require(process.env.QUIVER_BENCH_PKG ?? `${root}pkg/bench/quiver.js`);

const D = 384;
// `node benches/wasm.mjs [kernels|scans|index]` runs one section; no argument runs all.
const only = process.argv[2];
const runs = (section) => !only || only === section;
// Warm-up until V8 has tiered the wasm functions up (baseline Liftoff code is replaced by
// optimised TurboFan code in the background once a function is hot): at least 10 runs and
// 300 ms, so the medians measure steady-state code.
function warmUp(fn) {
  const start = performance.now();
  for (let i = 0; i < 10 || performance.now() - start < 300; i++) fn();
}
function time(fn, runs) {
  warmUp(fn);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}
const rows = [];
function report(name, value, unit, target, ok) {
  const verdict = target ? (ok ? "meets" : "MISSES") : "";
  rows.push({ name, value: `${value.toFixed(value < 10 ? 3 : 1)} ${unit}`, target: target ?? "", verdict });
}

// --- kernels: GB/s over 100k codes of 384 dimensions --------------------------------------
if (runs("kernels")) {
  console.log("kernels (100k codes, 384-d) ...");
  const mem = new KernelBench("memread", false, 100_000, D);
  const memMs = time(() => mem.run(), 50);
  report("memory read baseline (4.8 MB)", mem.bytes / memMs / 1e6, "GB/s");
  for (const kernel of ["hamming", "bitplanes4", "dot_i8", "pq_adc", "fastscan"]) {
    for (const simd of [true, false]) {
      const k = new KernelBench(kernel, simd, 100_000, D);
      const ms = time(() => k.run(), kernel === "dot_i8" || kernel === "pq_adc" ? 15 : 40);
      report(`kernel ${kernel} ${simd ? "simd128" : "scalar"}`, ms, `ms (${(k.bytes / ms / 1e6).toFixed(1)} GB/s)`);
      k.free();
    }
  }
}

// --- scans with fused top-10 -----------------------------------------------------------------
const scanTargets = [
  ["hamming", 100_000, 0.5],
  ["binary", 100_000, 1.2],
  ["int8", 100_000, 4],
  ["pq4", 100_000, 0.6],
  ["pq8", 100_000, 2],
  ["hamming", 1_000_000, 5],
  ["binary", 1_000_000, 12],
];
for (const [q, n, target] of runs("scans") ? scanTargets : []) {
  console.log(`scan ${q} ${n} ...`);
  const s = new ScanBench(q, n, D);
  const ms = time(() => s.run(10), n > 100_000 ? 15 : 40);
  report(`scan ${q} ${n / 1000}k (top-10)`, ms, "ms", `< ${target} ms`, ms < target);
  s.free();
}

// --- the public Index on 100k vectors ------------------------------------------------------------
const N = 100_000;
const { data, source } = runs("index") ? benchVectors(N) : {};
if (source) console.log(`index on ${N} vectors: ${source}`);
const ids = Array.from({ length: N }, (_, i) => `doc-${i}`);
for (const quantization of runs("index") ? ["binary", "int8", "pq"] : []) {
  const index = new Index({ dimensions: D, quantization });
  const t = performance.now();
  await index.add(ids, data);
  const addS = (performance.now() - t) / 1000;
  const target = quantization === "pq" ? 10 : 2;
  report(
    `add 100k ${quantization}${quantization === "pq" ? " (incl. training)" : ""}`,
    addS,
    "s",
    `< ${target} s`,
    addS < target,
  );
  const [codes, idBytes, store] = index.memoryUsage();
  const held = codes + idBytes;
  report(
    `memoryBytes 100k ${quantization} without the store`,
    held / 1e6,
    `MB (codes ${(codes / 1e6).toFixed(2)} + ids ${(idBytes / 1e6).toFixed(2)}; store ${(store / 1e6).toFixed(1)} MB)`,
    quantization === "binary" ? "< 6 MB" : undefined,
    held < 6e6,
  );
  if (quantization === "binary") {
    const queries = data.subarray(0, 64 * D);
    const q = (i) => queries.subarray((i % 64) * D, ((i % 64) + 1) * D);
    // Alternating, so the ratio does not drift with the machine's load between two timings.
    const [scanOnly, full] = await alternate(
      (i) => index.search(q(i), { k: 10, oversampling: 1, rescore: false }),
      (i) => index.search(q(i), { k: 10 }),
      100,
    );
    report("Index.search binary 100k, scan only (rescore: false)", scanOnly, "ms");
    report(
      "Index.search binary 100k, default (oversampling 10, rescored)",
      full,
      `ms (${(full / scanOnly).toFixed(2)}x scan)`,
      "< 1.5x scan",
      full < 1.5 * scanOnly,
    );
    // Issue 4's bar: ten times faster than the JavaScript loop a developer would write
    // (the "JS brute force" of `npm run bench:peers`, which has the full comparison).
    let i = 0;
    const loop = median(await repeat(() => jsLoopTopK(data, q(i++), 10), 15));
    report("plain JS Float32Array loop, 100k, top-10", loop, "ms");
    report("Index.search default vs the JS loop", loop / full, "x faster", ">= 10x", loop / full >= 10);
  }
  await index.close();
}

async function repeat(fn, runs) {
  const start = performance.now();
  for (let i = 0; i < 10 || performance.now() - start < 300; i++) await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

const width = (k) => Math.max(...rows.map((r) => r[k].length));
console.log(`\nquiver bench: Node ${process.version}, wasm SIMD tier ${Index.simd}, medians\n`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(width("name"))}  ${r.value.padStart(width("value"))}  ${r.target.padEnd(width("target"))}  ${r.verdict}`,
  );
}
const misses = rows.filter((r) => r.verdict === "MISSES").length;
console.log(`\n${rows.filter((r) => r.verdict === "meets").length} targets met, ${misses} missed`);
