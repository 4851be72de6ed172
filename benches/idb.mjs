// `npm run bench` (last part): the persistent index in headless Chromium. With the real data
// (../shared/data: 117,659 × 384 all-MiniLM-L6-v2 vectors, 1,000 queries with exact ground
// truth) when present, else 100,000 synthetic vectors. Measures:
//   - adding every vector in calls of 1,000 (vectors/s, including the IndexedDB writes);
//   - reopening the index until it is ready to search (median of 5), and its memoryBytes (also
//     for an index of exactly the first 100,000 vectors);
//   - search latency, binary codes, k = 10, oversampling 4 and 10 (medians over the queries),
//     split into scan / IndexedDB reads / rescoring, with recall@10 on the real data;
//   - the same searches on an in-memory index, for the cost of keeping originals on disk.
// Usage: node benches/idb.mjs   (after `node scripts/build.mjs --bench`)

import { launchChromiumProfile } from "../scripts/chromium.mjs";
import { dataDir, loadRealData } from "../scripts/real-data.mjs";
import { serve } from "../scripts/serve.mjs";

const data = dataDir();
const server = await serve(0, { data: data ?? undefined });
const { context, close } = await launchChromiumProfile();
const page = await context.newPage();
page.on("pageerror", (e) => console.error(e));
await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
if (data) {
  await loadRealData(page, { limit: Infinity });
} else {
  console.log("../shared/data not found: synthetic clustered vectors (no recall figures)");
  await page.evaluate(async () => {
    const d = 384,
      n = 100_000,
      centres = 64;
    const { hash: unit } = await import("/shared/helpers.mjs");
    const docs = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = (i * 7919) % centres;
      for (let j = 0; j < d; j++) docs[i * d + j] = unit(c * d + j + 1) + 0.6 * unit(i * d + j + 7);
    }
    const queries = new Float32Array(1000 * d);
    for (let q = 0; q < 1000; q++) {
      for (let j = 0; j < d; j++) queries[q * d + j] = docs[q * 97 * d + j] + 0.3 * unit(q * d + j + 3);
    }
    window.real = { d, docs, queries, truth: null };
  });
}

const results = await page.evaluate(async () => {
  const { default: init, Index } = await import("/pkg-bench/quiver.js");
  await init();
  const { d, docs, queries, truth } = window.real;
  const n = docs.length / d,
    Q = queries.length / d;
  const { median } = await import("/shared/helpers.mjs");
  const percentile = (values, p) => {
    const sorted = Float64Array.from(values).sort();
    return sorted[Math.round((sorted.length - 1) * p)];
  };
  const ids = (first, count) => Array.from({ length: count }, (_, i) => `doc-${first + i}`);
  for (const name of ["quiver:bench", "quiver:bench-100k", "quiver:bench-10"]) {
    await new Promise((done) => {
      const r = indexedDB.deleteDatabase(name);
      r.onsuccess = r.onerror = done;
    });
  }
  const out = { vectors: n, queries: Q };

  let index = await Index.open("bench", { dimensions: d, quantization: "binary" });
  let t = performance.now();
  for (let first = 0; first < n; first += 1000) {
    const count = Math.min(1000, n - first);
    await index.add(ids(first, count), docs.subarray(first * d, (first + count) * d));
  }
  out["add, calls of 1,000 (vectors/s)"] = Math.round(n / ((performance.now() - t) / 1000));
  await index.close();

  const reopen = [];
  for (let r = 0; r < 5; r++) {
    t = performance.now();
    index = await Index.open("bench");
    reopen.push(performance.now() - t);
    if (r < 4) await index.close();
  }
  out["reopen until ready (ms)"] = median(reopen);
  out["memoryBytes after reopen (MB)"] = index.memoryBytes / 1e6;
  out.size = index.size;

  const memory = new Index({ dimensions: d, quantization: "binary" });
  await memory.add(ids(0, n), docs);
  for (const oversampling of [4, 10]) {
    for (const [name, target] of [
      ["IndexedDB", index],
      ["memory", memory],
    ]) {
      const times = [],
        phases = [[], [], [], []];
      let found = 0;
      for (let q = -20; q < Q; q++) {
        // 20 warm-up queries
        const query = queries.subarray(Math.max(q, 0) * d, (Math.max(q, 0) + 1) * d);
        t = performance.now();
        const hits = await target.search(query, { k: 10, oversampling });
        const took = performance.now() - t;
        if (q < 0) continue;
        times.push(took);
        if (target === index)
          index.lastSearchTimings().forEach((ms, i) => {
            phases[i].push(ms);
          });
        if (truth) {
          const exact = new Set(Array.from(truth.subarray(q * 100, q * 100 + 10), (row) => `doc-${row}`));
          found += hits.filter((h) => exact.has(h.id)).length;
        }
      }
      const label = `search k 10, oversampling ${oversampling}, ${name}`;
      out[`${label} (ms)`] = median(times);
      out[`${"  p99 (ms)".padEnd(46, " ")}[os ${oversampling}, ${name}]`] = percentile(times, 0.99);
      if (target === index) {
        out[`${`  of which scan / reads / rescore (ms)`.padEnd(46, " ")}[os ${oversampling}]`] = phases
          .slice(0, 3)
          .map((p) => median(p).toFixed(2))
          .join(" / ");
        out[`${"  originals read, p50 / p99".padEnd(46, " ")}[os ${oversampling}]`] =
          `${percentile(phases[3], 0.5)} / ${percentile(phases[3], 0.99)}`;
      }
      if (truth) out[`${`  recall@10`.padEnd(46, " ")}[os ${oversampling}, ${name}]`] = found / (Q * 10);
    }
  }
  await index.close();

  // memoryBytes of a reopened index of exactly 100,000 vectors.
  const small = await Index.open("bench-100k", { dimensions: d, quantization: "binary" });
  for (let first = 0; first < 100_000; first += 1000) {
    await small.add(ids(first, 1000), docs.subarray(first * d, (first + 1000) * d));
  }
  await small.close();
  const reopened = await Index.open("bench-100k");
  out["memoryBytes of a reopened 100,000-vector index (MB)"] = reopened.memoryBytes / 1e6;
  out["  per vector (B)"] = Math.round(reopened.memoryBytes / 100_000);
  await reopened.close();

  // A persistent index of 10 vectors: searched exactly (below the codes' fit threshold).
  const tiny = await Index.open("bench-10", { dimensions: d });
  await tiny.add(ids(0, 10), docs.subarray(0, 10 * d));
  const tinyTimes = [];
  for (let q = -20; q < 200; q++) {
    t = performance.now();
    await tiny.search(queries.subarray(Math.max(q, 0) * d, (Math.max(q, 0) + 1) * d), { k: 10 });
    if (q >= 0) tinyTimes.push(performance.now() - t);
  }
  out["search of a 10-vector persistent index, p50 / p99 (ms)"] =
    `${median(tinyTimes).toFixed(2)} / ${percentile(tinyTimes, 0.99).toFixed(2)}`;
  await tiny.close();
  return out;
});

console.log(`\nPersistent index in Chromium ${context.browser().version()} (headless), medians\n`);
for (const [name, value] of Object.entries(results)) {
  const shown =
    typeof value === "number" && !Number.isInteger(value) ? value.toFixed(name.includes("recall") ? 4 : 2) : value;
  console.log(`${name.padEnd(60)} ${shown}`);
}
await close();
server.close();
