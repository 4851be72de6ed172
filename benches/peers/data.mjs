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
//   synthetic-1m               1,000,000 unit vectors whose neighbourhoods thin out like the
//                              real data's (see syntheticVectors), 100 queries drawn the same
//                              way (seeded: the same bytes on every machine)
//   <set>.profile.json         the neighbour profile of the set (neighbourProfile)
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { halfTable } from "../../scripts/real-data.mjs";
import { jsLoopTopK } from "./topk.mjs";

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
  profile: join(CACHE, `${set}.profile.json`),
});

/** How a set's vectors are made: the files are made again when this changes. */
const recipe = (set) => (SETS[set].source === "real" ? "real" : SYNTHETIC);

/** Writes the set's files unless they exist and were made by the current recipe (the
 * profile, written last, records it). */
export function prepare(set) {
  const spec = SETS[set];
  const out = files(set);
  if (existsSync(out.profile) && JSON.stringify(profileOf(set).recipe) === JSON.stringify(recipe(set))) return;
  mkdirSync(CACHE, { recursive: true });
  console.log(`preparing ${set} (once; cached in ${CACHE}) ...`);
  const { docs, queries } = spec.source === "real" ? realVectors(spec) : syntheticVectors(spec);
  const truth = exactTopK(docs, queries, K);
  if (spec.source === "real") checkAgainstShared(spec.n, truth);
  writeLarge(out.docs, docs);
  writeFileSync(out.queries, queries);
  writeFileSync(out.truth, truth);
  const profile = neighbourProfile(docs, queries);
  writeFileSync(out.profile, `${JSON.stringify({ recipe: recipe(set), ranks: PROFILE_RANKS, profile })}\n`);
}

/** A prepared set's neighbour profile: { recipe, ranks, profile }. */
export const profileOf = (set) => JSON.parse(readFileSync(files(set).profile, "utf8"));

/** Reads a prepared set in Node. */
export function load(set) {
  const f = files(set);
  const floats = (path) => {
    const b = readFileSync(path);
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  };
  const t = readFileSync(f.truth);
  return {
    docs: floats(f.docs),
    queries: floats(f.queries),
    truth: new Int32Array(t.buffer, t.byteOffset, t.length / 4),
  };
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
  let eligible = 0,
    differ = 0;
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
  console.log(
    `  exact top-10 checked against wordnet.gt.i32: ${eligible - differ}/${eligible} comparable queries agree`,
  );
}

// Deterministic: mulberry32 uniforms, Box-Muller normals. Text embeddings are not tight
// clusters: a query's neighbours thin out gradually (real data, 100k: the 1st at cosine 0.70,
// the 10th 0.52, the 100th 0.41, the 1,000th 0.30), because topics have sub-structure, are
// related to one another, and share a common direction. So a vector here is
//   normalise(mu·common + super[s] + tau·g_t + gamma·B_t·w + beta·z)
// with topic t one of 2,000 (each in one of 50 super-topics s, its centre the super-topic's
// plus tau·g_t), w ∈ R^8 the vector's place in its topic (B_t: 8 directions per topic), and
// z noise; every term's entries standard normal. The scales were chosen (a search over them,
// at n = 100k) so that a 100k sample thins out like the real 100k: 0.70 / 0.53 / 0.40 /
// 0.33 at ranks 1 / 10 / 100 / 1,000. (The first version, 2,000 tight clusters, put a
// query's 10th and 100th neighbours within 0.024 of each other: recall@10 there measured
// near-ties, not ranking.) prepare() records the profile of every set (`profile`).
const SYNTHETIC = { topics: 2000, supers: 50, within: 8, mu: 1.2, tau: 0.6, gamma: 0.7, beta: 1.2 };

function syntheticVectors({ n, queries: q }) {
  const { topics, supers, within, mu, tau, gamma, beta } = SYNTHETIC;
  let seed = 0x9e3779b9;
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const common = new Float32Array(D).map(normal);
  const superCentres = new Float32Array(supers * D).map(normal);
  const centres = new Float32Array(topics * D);
  for (let t = 0; t < topics; t++) {
    const s = Math.floor(uniform() * supers);
    for (let j = 0; j < D; j++) centres[t * D + j] = mu * common[j] + superCentres[s * D + j] + tau * normal();
  }
  const directions = new Float32Array(topics * within * D).map(normal);
  const w = new Float32Array(within);
  const draw = (count) => {
    const out = new Float32Array(count * D);
    for (let i = 0; i < count; i++) {
      const t = Math.floor(uniform() * topics);
      for (let k = 0; k < within; k++) w[k] = gamma * normal();
      const row = out.subarray(i * D, (i + 1) * D);
      let norm = 0;
      for (let j = 0; j < D; j++) {
        let v = centres[t * D + j] + beta * normal();
        for (let k = 0; k < within; k++) v += w[k] * directions[(t * within + k) * D + j];
        row[j] = v;
        norm += v * v;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let j = 0; j < D; j++) row[j] *= inv;
    }
    return out;
  };
  return { docs: draw(n), queries: draw(q) };
}

/** The mean cosine of each query's neighbours at `PROFILE_RANKS` (first 20 queries): how
 * quickly a set's neighbourhoods thin out, which decides how hard recall@10 is on it. */
export const PROFILE_RANKS = [1, 10, 100, 1000];
function neighbourProfile(docs, queries) {
  const n = docs.length / D,
    count = Math.min(20, queries.length / D);
  const sums = PROFILE_RANKS.map(() => 0);
  const scores = new Float32Array(n);
  for (let q = 0; q < count; q++) {
    const query = queries.subarray(q * D, (q + 1) * D);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += query[j] * docs[i * D + j];
      scores[i] = -dot;
    }
    scores.sort();
    PROFILE_RANKS.forEach((rank, k) => {
      sums[k] -= scores[rank - 1] / count;
    });
  }
  return sums.map((s) => Math.round(s * 1000) / 1000);
}

/** Exact top-k rows for each query, best first, ties by lower row. */
function exactTopK(docs, queries, k) {
  const out = new Int32Array((queries.length / D) * k);
  for (let q = 0; q < queries.length / D; q++)
    out.set(jsLoopTopK(docs, queries.subarray(q * D, (q + 1) * D), k), q * k);
  return out;
}

function writeLarge(path, floats) {
  const fd = openSync(path, "w");
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  for (let at = 0; at < bytes.length; at += 1 << 28)
    writeSync(fd, bytes.subarray(at, Math.min(bytes.length, at + (1 << 28))));
  closeSync(fd);
}
