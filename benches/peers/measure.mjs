// Measures one run (a library at one setting on one data set) in the current process or
// page. Import this module before any library: it wraps WebAssembly's constructors so that
// every linear memory a library creates or exports is counted, whatever its toolchain
// (wasm-bindgen, Emscripten, hand-written).
import { EF_GRID, RUNS, runKey } from "./libraries.mjs";

const K = 10;
const memories = new Set();
const noteExports = (instance) => {
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
};
{
  const { Memory, Instance, instantiate, instantiateStreaming } = WebAssembly;
  WebAssembly.Memory = new Proxy(Memory, {
    construct: (t, args) => {
      const m = Reflect.construct(t, args);
      memories.add(m);
      return m;
    },
  });
  WebAssembly.Instance = new Proxy(Instance, {
    construct: (t, args) => {
      const i = Reflect.construct(t, args);
      noteExports(i);
      return i;
    },
  });
  WebAssembly.instantiate = async (...args) => {
    const result = await instantiate.apply(WebAssembly, args);
    noteExports(result.instance ?? result);
    return result;
  };
  if (instantiateStreaming) {
    WebAssembly.instantiateStreaming = async (...args) => {
      const result = await instantiateStreaming.apply(WebAssembly, args);
      noteExports(result.instance);
      return result;
    };
  }
}
const wasmBytes = () => [...memories].reduce((sum, m) => sum + m.buffer.byteLength, 0);

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const recallOf = (got, truth, q) => {
  const want = new Set(truth.subarray(q * K, (q + 1) * K));
  return got.slice(0, K).filter((r) => want.has(r)).length / K;
};

/**
 * Runs `key` on { set, docs, queries, truth }. `env` adds heap() and rss() (bytes, or null
 * where the environment cannot tell), gc() and progress(phase). Queries stop after `maxQueryMs`
 * (at least 50 are timed). Returns the figures, or throws what the library threw.
 */
export async function measure(key, { set, docs, queries, truth }, env, { maxQueryMs = 10_000 } = {}) {
  const run = RUNS.find((r) => runKey(r) === key);
  if (!run) throw new Error(`no run named ${key}`);
  const n = docs.length / 384,
    nq = queries.length / 384;
  const query = (q) => queries.subarray(q * 384, (q + 1) * 384);

  env.progress("loading the library");
  let t = performance.now();
  const lib = await run.open(env, set);
  const loadMs = performance.now() - t;
  await env.gc();
  const before = { wasm: wasmBytes(), heap: env.heap(), rss: env.rss() };

  env.progress(`building the index of ${n} vectors`);
  t = performance.now();
  await lib.build(docs);
  const buildMs = performance.now() - t;
  await env.gc();
  const after = { wasm: wasmBytes(), heap: env.heap(), rss: env.rss() };
  const codesOnly = lib.codesOnly?.();
  const held = lib.held?.() ?? null;

  // HNSW's search breadth: the smallest ef of EF_GRID whose recall@10 over the queries
  // reaches 0.95. Tuned on the very queries it is then timed on, which favours the library: a
  // user would tune on a sample and see a little less.
  let tuned;
  if (lib.tune) {
    env.progress("tuning ef");
    for (const ef of EF_GRID) {
      await lib.tune(ef);
      let sum = 0;
      for (let q = 0; q < nq; q++) sum += recallOf(await lib.search(query(q), K), truth, q);
      tuned = { ef, recall: sum / nq };
      if (tuned.recall >= 0.95) break;
    }
  }

  env.progress("querying");
  // Warm-up: at least 20 queries and 500 ms, so that the engine's optimising tier has
  // compiled the hot code (V8 tiers wasm and JS up in the background).
  const warm = performance.now();
  for (let i = 0; i < 20 || (i < 1000 && performance.now() - warm < 500); i++) await lib.search(query(i % nq), K);
  const latencies = [];
  let recall = 0;
  const start = performance.now();
  for (let q = 0; q < nq && (q < 50 || performance.now() - start < maxQueryMs); q++) {
    const tq = performance.now();
    const got = await lib.search(query(q), K);
    latencies.push(performance.now() - tq);
    if (got.length > K) throw new Error(`returned ${got.length} hits for k = ${K}`);
    recall += recallOf(got, truth, q);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const totalMs = latencies.reduce((a, b) => a + b, 0);
  const growth = (field) => (after[field] === null || before[field] === null ? null : after[field] - before[field]);
  return {
    key,
    library: run.library,
    setting: run.setting,
    set,
    n,
    notes: lib.notes ?? null,
    simd: lib.simd ?? null,
    tuned: tuned ?? null,
    loadMs,
    buildMs,
    queries: latencies.length,
    recall: recall / latencies.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    qps: latencies.length / (totalMs / 1000),
    wasmAfterBuild: after.wasm,
    wasmGrowth: growth("wasm"),
    heapGrowth: growth("heap"),
    rssGrowth: growth("rss"),
    held,
    codesOnly,
  };
}
