// The data sets of `npm run bench:peers`, written once to benches/peers/.cache/ as raw
// little-endian files that Node reads from disk and a page fetches:
//   <set>.docs.f32     n × 384 float32, the vectors every library indexes
//   <set>.queries.f32  q × 384 float32
//   <set>.truth.i32    q × 10 int32: the exact top-10 doc rows by inner product, best first
//
// Sets:
//   wordnet-10k, wordnet-100k  the first n rows of ../shared/data's real all-MiniLM-L6-v2
//                              WordNet vectors (float16, upcast) and its first 500 queries;
//                              the truth is recomputed for the subset (topk.mjs) (the shared one is over
//                              all 117,659 rows) and checked against the shared one when n is all
//   synthetic-1m               1,000,000 unit vectors around 2,000 random centres, 100 queries
//                              drawn the same way (seeded: the same bytes on every machine)
import { existsSync, mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsLoopTopK } from "./topk.mjs";
import { halfTable } from "../../scripts/real-data.mjs";

const D = 384;
export const K = 10;
const CACHE = fileURLToPath(new URL("./.cache/", import.meta.url));
const SHARED = process.env.QUIVER_DATA ?? fileURLToPath(new URL("../../../shared/data/", import.meta.url));

export const SETS = {
  "wordnet-10k": { n: 10_000, queries: 500, source: "real" },
  "wordnet-100k": { n: 100_000, queries: 500, source: "real" },
  "synthetic-1m": { n: 1_000_000, queries: 100, source: "synthetic" },
};

export const hasRealData = () => existsSync(join(SHARED, "wordnet.docs.f16"));
const files = (set) => ({
  docs: join(CACHE, `${set}.docs.f32`),
  queries: join(CACHE, `${set}.queries.f32`),
  truth: join(CACHE, `${set}.truth.i32`),
});

/** Writes the set's three files unless they exist. */
export function prepare(set) {
  const spec = SETS[set];
  const out = files(set);
  if (existsSync(out.truth)) return;
  mkdirSync(CACHE, { recursive: true });
  console.log(`preparing ${set} (once; cached in ${CACHE}) ...`);
  const { docs, queries } = spec.source === "real" ? realVectors(spec) : syntheticVectors(spec);
  const truth = exactTopK(docs, queries, K);
  if (spec.source === "real") checkAgainstShared(spec.n, truth);
  writeLarge(out.docs, docs);
  writeFileSync(out.queries, queries);
  writeFileSync(out.truth, truth);
}

/** Reads a prepared set in Node. */
export function load(set) {
  const f = files(set);
  const floats = (path) => { const b = readFileSync(path); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
  const t = readFileSync(f.truth);
  return { docs: floats(f.docs), queries: floats(f.queries), truth: new Int32Array(t.buffer, t.byteOffset, t.length / 4) };
}

function realVectors({ n, queries: q }) {
  const raw = readFileSync(join(SHARED, "wordnet.docs.f16"));
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, n * D);
  const table = halfTable();
  const docs = new Float32Array(n * D);
  for (let i = 0; i < docs.length; i++) docs[i] = table[halves[i]];
  const rawQ = readFileSync(join(SHARED, "wordnet.queries.f32"));
  const queries = new Float32Array(rawQ.buffer, rawQ.byteOffset, q * D).slice();
  return { docs, queries };
}

// The shared truth ranks all 117,659 rows. For a query whose shared top-10 rows all lie in the
// subset, the subset's top-10 is the same set (no subset row can beat them). Near-ties summed
// in another order may swap a row or two, so a few disagreements are allowed, not more.
function checkAgainstShared(n, truth) {
  const raw = readFileSync(join(SHARED, "wordnet.gt.i32"));
  const shared = new Int32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  let eligible = 0, differ = 0;
  for (let q = 0; q < truth.length / K; q++) {
    const theirs = shared.subarray(q * 100, q * 100 + K);
    if (theirs.some((row) => row >= n)) continue;
    eligible++;
    const ours = new Set(truth.subarray(q * K, (q + 1) * K));
    if (!theirs.every((row) => ours.has(row))) differ++;
  }
  if (eligible === 0 || differ > Math.max(1, eligible / 100)) {
    throw new Error(`exact top-10 disagrees with wordnet.gt.i32 on ${differ} of ${eligible} comparable queries`);
  }
  console.log(`  exact top-10 checked against wordnet.gt.i32: ${eligible - differ}/${eligible} comparable queries agree`);
}

// Deterministic: mulberry32 uniforms, Box-Muller normals. Each vector is a centre plus noise
// of 0.7 times the centre's norm, normalised, which gives neighbourhoods like a text
// embedding's (most of a query's top-10 share its centre, but not all).
function syntheticVectors({ n, queries: q }) {
  let seed = 0x9e3779b9;
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = new Float32Array(2000 * D).map(normal);
  const draw = (count) => {
    const out = new Float32Array(count * D);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(uniform() * 2000) * D;
      const row = out.subarray(i * D, (i + 1) * D);
      let norm = 0;
      for (let j = 0; j < D; j++) { row[j] = centres[c + j] + 0.7 * normal(); norm += row[j] * row[j]; }
      const inv = 1 / Math.sqrt(norm);
      for (let j = 0; j < D; j++) row[j] *= inv;
    }
    return out;
  };
  return { docs: draw(n), queries: draw(q) };
}

/** Exact top-k rows for each query, best first, ties by lower row. */
function exactTopK(docs, queries, k) {
  const out = new Int32Array((queries.length / D) * k);
  for (let q = 0; q < queries.length / D; q++) out.set(jsLoopTopK(docs, queries.subarray(q * D, (q + 1) * D), k), q * k);
  return out;
}

function writeLarge(path, floats) {
  const fd = openSync(path, "w");
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  for (let at = 0; at < bytes.length; at += 1 << 28) writeSync(fd, bytes.subarray(at, Math.min(bytes.length, at + (1 << 28))));
  closeSync(fd);
}
