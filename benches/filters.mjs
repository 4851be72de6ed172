// Filtered search at 100,000 vectors in headless Chromium (issue 20's benchmark): the same
// queries unfiltered and with a filter that selects 0.1%, 1%, 10%, 50% and 100% of the
// vectors (a range on a number field, `bucket`, a hash of the row into 0..999), and with a
// keyword equality at 25%. Binary codes at the defaults, k = 10; medians and p99 of the
// queries, each configuration's queries interleaved with the unfiltered ones so that load
// falls on both alike; the ratio to unfiltered. In memory, then in IndexedDB (Index.open).
// Real data (../shared/data, the first 100,000 vectors) when present, else synthetic.
// Usage: node benches/filters.mjs   (after `node scripts/build.mjs`)

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
  await loadRealData(page, { limit: 100_000 });
} else {
  console.log("../shared/data not found: synthetic vectors");
  await page.evaluate(async () => {
    const d = 384,
      n = 100_000;
    const { hash: unit } = await import("/shared/helpers.mjs");
    const docs = new Float32Array(n * d).map((_, i) => unit(i + 1));
    const queries = docs.slice(0, 300 * d).map((v, i) => v + 0.3 * unit(i + 7));
    window.real = { d, docs, queries };
  });
}

const results = await page.evaluate(async () => {
  const { default: init, Index } = await import("/dist/index.js");
  await init();
  const { d, docs, queries } = window.real;
  const n = Math.min(100_000, docs.length / d),
    Q = Math.min(300, queries.length / d);
  const bucket = (i) => (i * 7919 + 13) % 1000;
  const POS = ["n", "v", "a", "r"];
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
  const metadata = ids.map((_, i) => ({ bucket: bucket(i), pos: POS[i % 4] }));
  const fields = { bucket: "number", pos: "keyword" };
  const percentile = (values, p) => Float64Array.from(values).sort()[Math.round((values.length - 1) * p)];
  const filters = [
    ["0.1%", { bucket: { lt: 1 } }],
    ["1%", { bucket: { lt: 10 } }],
    ["10%", { bucket: { lt: 100 } }],
    ["50%", { bucket: { lt: 500 } }],
    ["100%", { bucket: { lt: 1000 } }],
    ["25% keyword", { pos: "v" }],
  ];
  async function measure(index) {
    const rows = {};
    for (const [name, where] of filters) {
      const plain = [],
        filtered = [];
      for (let q = 0; q < Q; q++) {
        const query = queries.subarray(q * d, (q + 1) * d);
        let t = performance.now();
        await index.search(query, { k: 10 });
        plain.push(performance.now() - t);
        t = performance.now();
        await index.search(query, { k: 10, where });
        filtered.push(performance.now() - t);
      }
      const [p50, p99, u50, u99] = [
        percentile(filtered, 0.5),
        percentile(filtered, 0.99),
        percentile(plain, 0.5),
        percentile(plain, 0.99),
      ];
      rows[name] = {
        selected: await index.count(where),
        "p50 ms": +p50.toFixed(3),
        "p99 ms": +p99.toFixed(3),
        "unfiltered p50": +u50.toFixed(3),
        "unfiltered p99": +u99.toFixed(3),
        "p50 ratio": +(p50 / u50).toFixed(2),
      };
    }
    return rows;
  }
  const memory = new Index({ dimensions: d, fields });
  for (let first = 0; first < n; first += 10_000) {
    const end = Math.min(n, first + 10_000);
    await memory.add(ids.slice(first, end), docs.subarray(first * d, end * d), metadata.slice(first, end));
  }
  const out = { "in memory": await measure(memory) };
  await memory.close();
  await new Promise((done) => {
    const r = indexedDB.deleteDatabase("quiver:filters-bench");
    r.onsuccess = r.onerror = done;
  });
  const stored = await Index.open("filters-bench", { dimensions: d, fields });
  for (let first = 0; first < n; first += 5_000) {
    const end = Math.min(n, first + 5_000);
    await stored.add(ids.slice(first, end), docs.subarray(first * d, end * d), metadata.slice(first, end));
  }
  out.IndexedDB = await measure(stored);
  await stored.close();
  return out;
});
for (const [place, rows] of Object.entries(results)) {
  console.log(`\nfiltered search, 100,000 vectors, binary, k = 10, ${place}:`);
  console.table(rows);
}
await close();
server.close();
