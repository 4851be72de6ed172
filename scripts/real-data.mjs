// The real 384-d all-MiniLM-L6-v2 embeddings (../shared/data, or $QUIVER_DATA) for the browser
// benchmark and the browser recall test. A user's clone has no such folder: callers skip.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The data folder, or null when it (or its docs file) is absent. */
export function dataDir() {
  const dir = process.env.QUIVER_DATA ?? join(root, "..", "shared", "data");
  return existsSync(join(dir, "wordnet.docs.f16")) ? dir : null;
}

/** float16 bits → float32 value, for all 65,536 bit patterns. */
export function halfTable() {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1,
      exponent = (bits >> 10) & 31,
      mantissa = bits & 1023;
    table[bits] =
      exponent === 0
        ? sign * 2 ** -14 * (mantissa / 1024)
        : exponent === 31
          ? mantissa
            ? NaN
            : sign * Infinity
          : sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
  }
  return table;
}

/** The first `n` vectors of 384 dimensions for the Node benchmarks: the real ones when the data
 * folder exists, else seeded uniform noise (the same on every run). Returns `{ data, source }`
 * (a Float32Array of n × 384 and a line saying which). */
export function benchVectors(n) {
  const d = 384,
    dir = dataDir();
  if (dir) {
    const raw = readFileSync(join(dir, "wordnet.docs.f16"));
    const bits = new Uint16Array(raw.buffer, raw.byteOffset, n * d);
    const table = halfTable();
    return { data: Float32Array.from(bits, (h) => table[h]), source: `all-MiniLM-L6-v2 WordNet (${dir})` };
  }
  let seed = 1;
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = seed / 2 ** 32 - 0.5;
  }
  return { data: out, source: "random (../shared/data not found)" };
}

/** In `page`, served with `serve(port, { data })`: fetches the files from /data/ and sets
 * `window.real = { d, docs (first `limit` rows, Float32Array), queries, truth (Int32Array,
 * [queries][100] doc rows, best first) }`. Resolves to the number of docs. */
export function loadRealData(page, { limit }) {
  return page.evaluate(loadInPage, { limit, table: Array.from(halfTable()) });
}

// Runs in the page (Playwright serialises it, so it can use nothing from this module).
async function loadInPage({ limit, table }) {
  const get = async (name) => new Uint8Array(await (await fetch(`/data/${name}`)).arrayBuffer());
  const d = 384;
  const raw = await get("wordnet.docs.f16");
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, Math.min(raw.length / 2, limit * d));
  const docs = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) docs[i] = table[halves[i]];
  const q = await get("wordnet.queries.f32");
  const t = await get("wordnet.gt.i32");
  window.real = {
    d,
    docs,
    queries: new Float32Array(q.buffer, q.byteOffset, q.length / 4),
    truth: new Int32Array(t.buffer, t.byteOffset, t.length / 4),
  };
  return docs.length / d;
}
