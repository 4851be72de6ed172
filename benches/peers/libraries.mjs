// Every library and setting that `npm run bench:peers` measures, behind one small interface,
// the same code in Node and in Chromium:
//
//   open(env, set) → { build(docs), search(query, k) → doc rows, notes? }
//
// `docs` is n × 384 float32 (row i is document i), queries are float32 of 384, and every
// library returns the rows of its top-k, best first. Settings are each library's documented
// defaults unless a note says otherwise; the notes travel into BENCHMARKS.md.
//
// `env` hides what differs: env.bytes(path) reads a file under the repository root, and
// bare specifiers resolve to benches/peers/node_modules (Node: its resolver; a page: an
// import map).

import { jsLoopTopK } from "./topk.mjs";

const D = 384;

/** A row's vector as a view of `docs`. */
const row = (docs, i) => docs.subarray(i * D, (i + 1) * D);

// --- quiver -------------------------------------------------------------------------------
// The package build (dist/): the tier the probe picks (relaxed-simd in Chromium 156, SIMD128 in
// Node 20), the same way `init()` does.
async function quiverModule(env) {
  const glue = await import(env.resolve("dist/quiver.js"));
  const { chooseTier, WASM_FILES } = await import(env.resolve("dist/tier.js"));
  await glue.default({ module_or_path: await env.bytes(`dist/${WASM_FILES[chooseTier()]}`) });
  return glue.Index;
}

const ids = (from, count) => Array.from({ length: count }, (_, i) => String(from + i));
const rows = (hits) => hits.map((h) => Number(h.id));

async function addInChunks(index, docs, chunk) {
  const n = docs.length / D;
  for (let at = 0; at < n; at += chunk) {
    const count = Math.min(chunk, n - at);
    await index.add(ids(at, count), docs.subarray(at * D, (at + count) * D));
  }
}

function quiverInMemory(quantization) {
  return async (env) => {
    const Index = await quiverModule(env);
    const index = new Index({ dimensions: D, quantization });
    return {
      simd: Index.simd,
      build: (docs) => addInChunks(index, docs, 100_000),
      search: async (q, k) => rows(await index.search(q, { k })),
      held: () => index.memoryBytes,
      // Written for the "codes only" runs: what a static site ships ("none" has no codes).
      codesOnly: quantization === "none" ? undefined : () => index.toBytes({ originals: false }),
    };
  };
}

/** Where the in-memory run of `quantization` on `set` leaves its codes-only bytes (under the
 * repository root) for the codes-only run. */
export const codesOnlyPath = (quantization, set) => `benches/peers/.cache/quiver-${quantization}-${set}.bytes`;

// An index loaded from prebuilt bytes without originals (toBytes({ originals: false })):
// searches its codes alone. The bytes were written by the in-memory run of the same
// quantization; "build" is the load.
function quiverCodesOnly(quantization) {
  return async (env, set) => {
    const Index = await quiverModule(env);
    let index;
    return {
      simd: Index.simd,
      build: async () => {
        index = Index.fromBytes(await env.bytes(codesOnlyPath(quantization, set)));
      },
      held: () => index.memoryBytes,
      search: async (q, k) => rows(await index.search(q, { k })),
    };
  };
}

// Index.open: codes in wasm memory, originals in IndexedDB, candidates re-scored from there.
// Each candidate costs an IndexedDB read, so `oversampling` (default: the quantization's)
// trades recall for latency here more than in memory.
function quiverIndexedDb(quantization, oversampling) {
  return async (env, set) => {
    const Index = await quiverModule(env);
    const name = `bench-${quantization}-${set}`;
    await new Promise((done, fail) => {
      const r = indexedDB.deleteDatabase(`quiver:${name}`);
      r.onsuccess = done;
      r.onerror = () => fail(r.error);
    });
    const index = await Index.open(name, { dimensions: D, quantization });
    return {
      simd: Index.simd,
      held: () => index.memoryBytes,
      build: (docs) => addInChunks(index, docs, 1_000),
      search: async (q, k) => rows(await index.search(q, { k, oversampling })),
    };
  };
}

// --- a plain JavaScript loop: what a developer would hand-roll --------------------------------
async function bruteForce() {
  let docs;
  return {
    build: (all) => {
      docs = all.slice();
    },
    search: (q, k) => jsLoopTopK(docs, q, k),
  };
}

// --- voy-search 0.6.3: k-d tree (kiddo), squared L2 ---------------------------------------------
// Its package is wasm-bindgen's "bundler" build (`import * as wasm from "./x.wasm"`), which
// neither Node nor a page can import, so the .wasm is instantiated here with its own glue.
async function voy(env) {
  const glue = await import("voy-search/voy_search_bg.js");
  const { instance } = await WebAssembly.instantiate(
    await env.bytes("benches/peers/node_modules/voy-search/voy_search_bg.wasm"),
    { "./voy_search_bg.js": glue },
  );
  glue.__wbg_set_wasm(instance.exports);
  let index;
  return {
    notes: "unit vectors, so its squared L2 ranks as cosine does",
    build: (docs) => {
      const embeddings = [];
      for (let i = 0; i < docs.length / D; i++)
        embeddings.push({ id: String(i), title: "", url: "", embeddings: Array.from(row(docs, i)) });
      index = new glue.Voy({ embeddings });
    },
    search: (q, k) => index.search(q, k).neighbors.map((n) => Number(n.id)),
  };
}

// --- hnswlib-wasm 0.8.2: HNSW (C++ hnswlib, Emscripten) ------------------------------------------
// The search breadths a "tuned" HNSW run tries, smallest first (measure.mjs keeps the first that
// reaches recall@10 0.95). Steps of about 1.5x, not 2x: with 16, 32, 64 only, hnswlib-wasm
// was reported at ef 64 (1.14 ms, 0.972) when ef 48 already reached 0.967 at 0.68 ms.
// 1000 is pgvector's maximum.
export const EF_GRID = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1000];

// Its README's settings: M = 16, efConstruction = 200. efSearch is hnswlib's default (10) unless
// `ef` is given; the tuned run picks the smallest ef that reaches recall 0.95 (see measure.mjs).
function hnswlib({ tune }) {
  return async () => {
    // The package has no "main" or "exports", only "module": its file is imported by path.
    const { loadHnswlib } = await import("hnswlib-wasm/dist/hnswlib.js");
    const lib = await loadHnswlib();
    let index;
    return {
      tune: tune ? (ef) => index.setEfSearch(ef) : undefined,
      notes: "M 16, efConstruction 200 (its README)",
      build: (docs) => {
        const n = docs.length / D;
        index = new lib.HierarchicalNSW("cosine", D, "");
        index.initIndex(n, 16, 200, 100);
        for (let at = 0; at < n; at += 1000) {
          const count = Math.min(1000, n - at);
          index.addPoints(
            Array.from({ length: count }, (_, i) => row(docs, at + i)),
            Array.from({ length: count }, (_, i) => at + i),
            false,
          );
        }
      },
      search: (q, k) => Array.from(index.searchKnn(q, k, undefined).neighbors),
    };
  };
}

// --- edgevec 0.9.0: HNSW (Rust) -----------------------------------------------------------------
function edgevec({ bq }) {
  return async (env) => {
    const mod = await import("edgevec");
    await mod.default({ module_or_path: await env.bytes("benches/peers/node_modules/edgevec/edgevec_bg.wasm") });
    // Its "cosine" and "dot" metrics return the least similar vectors first in 0.9.0 (recall@10
    // 0 at 10k: it ranks by similarity where it means distance), so L2, which ranks unit
    // vectors as cosine does.
    const config = new mod.EdgeVecConfig(D);
    config.metric = "l2";
    const db = new mod.EdgeVec(config);
    if (bq && !db.isBQEnabled?.()) db.enableBQ();
    let rowOf;
    return {
      notes: `metric l2 (its cosine returns the farthest vectors); ${bq ? "binary quantization, searchBQRescored with rescore factor 5 (its docs: ~95% recall)" : "HNSW defaults, float32 search"}`,
      build: (docs) => {
        const n = docs.length / D;
        rowOf = new Map();
        for (let at = 0; at < n; at += 10_000) {
          const count = Math.min(10_000, n - at);
          db.insertBatchFlat(docs.subarray(at * D, (at + count) * D), count).forEach((id, i) => {
            rowOf.set(id, at + i);
          });
        }
      },
      search: (q, k) => (bq ? db.searchBQRescored(q, k, 5) : db.search(q, k)).map((r) => rowOf.get(r.id)),
    };
  };
}

// --- @orama/orama 3.1.18: flat scan in JavaScript ---------------------------------------------------
// `similarity: 0` so that every query gets its k hits: the default 0.8 cuts the list.
async function orama() {
  const { create, insertMultiple, search } = await import("@orama/orama");
  const db = create({ schema: { row: "number", embedding: `vector[${D}]` } });
  return {
    notes: "similarity threshold 0 (the default 0.8 returns fewer than k hits)",
    build: async (docs) => {
      const n = docs.length / D;
      for (let at = 0; at < n; at += 10_000) {
        const batch = [];
        for (let i = at; i < Math.min(n, at + 10_000); i++) batch.push({ row: i, embedding: Array.from(row(docs, i)) });
        await insertMultiple(db, batch, 10_000);
      }
    },
    search: async (q, k) =>
      (
        await search(db, {
          mode: "vector",
          vector: { value: Array.from(q), property: "embedding" },
          similarity: 0,
          limit: k,
        })
      ).hits.map((h) => h.document.row),
  };
}

// --- sqlite-vec-wasm 0.1.0: SQLite 3.50.4 + sqlite-vec 0.1.6, vec0 flat tables ---------------------
// float and int8 ('unit' scaling: sqlite-vec has no calibration) search the vec0 column; bit
// follows sqlite-vec's re-scoring recipe: a bit column for the coarse k = 100, then exact cosine
// on the float column of those 100.
function sqliteVec(kind) {
  return async () => {
    const sqlite3 = await (await import("sqlite-vec-wasm")).default();
    const db = new sqlite3.oo1.DB(":memory:");
    const columns = {
      float: `embedding float[${D}] distance_metric=cosine`,
      int8: `embedding int8[${D}] distance_metric=cosine`,
      bit: `embedding float[${D}] distance_metric=cosine, coarse bit[${D}]`,
    }[kind];
    const insert = {
      float: "INSERT INTO v(rowid, embedding) VALUES (?1, ?2)",
      int8: "INSERT INTO v(rowid, embedding) VALUES (?1, vec_quantize_int8(vec_f32(?2), 'unit'))",
      bit: "INSERT INTO v(rowid, embedding, coarse) VALUES (?1, ?2, vec_quantize_binary(vec_f32(?2)))",
    }[kind];
    const query = {
      float: `SELECT rowid FROM v WHERE embedding MATCH ?1 AND k = ?2`,
      int8: `SELECT rowid FROM v WHERE embedding MATCH vec_quantize_int8(vec_f32(?1), 'unit') AND k = ?2`,
      // MATERIALIZED: flattened, SQLite hands the outer LIMIT to vec0, which then takes the
      // top 10 by Hamming instead of 100 (measured: recall 0.64 instead of 0.97 at 10k).
      bit: `WITH coarse AS MATERIALIZED (SELECT rowid, embedding FROM v WHERE coarse MATCH vec_quantize_binary(vec_f32(?1)) AND k = 100)
            SELECT rowid FROM coarse ORDER BY vec_distance_cosine(embedding, vec_f32(?1)) LIMIT ?2`,
    }[kind];
    db.exec(`CREATE VIRTUAL TABLE v USING vec0(${columns})`);
    const blob = (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    let select;
    return {
      notes: {
        float: "vec0 float[384], cosine",
        int8: "vec0 int8[384], vec_quantize_int8 'unit'",
        bit: "vec0 bit[384] top-100, then cosine on the float column (its re-scoring recipe)",
      }[kind],
      build: (docs) => {
        const statement = db.prepare(insert);
        db.exec("BEGIN");
        for (let i = 0; i < docs.length / D; i++) statement.bind([i, blob(row(docs, i))]).stepReset();
        db.exec("COMMIT");
        statement.finalize();
        select = db.prepare(query);
      },
      search: (q, k) => {
        const out = [];
        select.bind([blob(q), k]);
        while (select.step()) out.push(select.get(0));
        select.reset();
        return out;
      },
    };
  };
}

// --- @electric-sql/pglite 0.5.14 + pgvector 0.8 -----------------------------------------------------
// In memory. `exact` is a sequential scan ordered by cosine distance; `hnsw` adds pgvector's
// HNSW index with its defaults (m 16, ef_construction 64; hnsw.ef_search 40, or tuned).
function pglite({ hnsw, tune }) {
  return async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const { vector } = await import("@electric-sql/pglite-pgvector");
    const pg = await PGlite.create({ extensions: { vector } });
    await pg.exec(`CREATE EXTENSION vector; CREATE TABLE items (id int PRIMARY KEY, embedding vector(${D}))`);
    const literal = (v) => `[${Array.from(v).join(",")}]`;
    return {
      notes: hnsw
        ? "HNSW, vector_cosine_ops, m 16, ef_construction 64 (pgvector's defaults)"
        : "sequential scan, ORDER BY embedding <=> query",
      tune: tune ? (ef) => pg.exec(`SET hnsw.ef_search = ${ef}`) : undefined,
      build: async (docs) => {
        const n = docs.length / D;
        for (let at = 0; at < n; at += 500) {
          const values = [];
          for (let i = at; i < Math.min(n, at + 500); i++) values.push(`(${i}, '${literal(row(docs, i))}')`);
          await pg.exec(`INSERT INTO items VALUES ${values.join(",")}`);
        }
        if (hnsw) await pg.exec("CREATE INDEX ON items USING hnsw (embedding vector_cosine_ops)");
      },
      search: async (q, k) =>
        (await pg.query(`SELECT id FROM items ORDER BY embedding <=> $1 LIMIT ${k}`, [literal(q)])).rows.map(
          (r) => r.id,
        ),
    };
  };
}

/** Every run: library, setting, where it runs, and how to open it. Order matters once: an
 * in-memory quiver run writes the bytes that its codes-only run loads. */
export const RUNS = [
  ...["binary", "int8", "pq", "none"].map((q) => ({
    library: "quiver",
    setting: `${q}${q === "binary" ? " (default)" : ""}, rescored in memory`,
    quantization: q,
    open: quiverInMemory(q),
  })),
  ...["binary", "int8", "pq"].map((q) => ({
    library: "quiver",
    setting: `${q}, codes only (no rescoring)`,
    open: quiverCodesOnly(q),
  })),
  ...["binary", "int8"].map((q) => ({
    library: "quiver",
    setting: `${q}, rescored from IndexedDB`,
    envs: ["chromium"],
    open: quiverIndexedDb(q),
  })),
  {
    library: "quiver",
    setting: "binary, rescored from IndexedDB, oversampling 4",
    envs: ["chromium"],
    open: quiverIndexedDb("binary", 4),
  },
  { library: "JS brute force", setting: "Float32Array loop", open: bruteForce },
  { library: "voy-search", setting: "k-d tree", open: voy },
  { library: "hnswlib-wasm", setting: "HNSW, efSearch 10 (default)", open: hnswlib({ tune: false }) },
  { library: "hnswlib-wasm", setting: "HNSW, efSearch tuned", open: hnswlib({ tune: true }) },
  { library: "edgevec", setting: "HNSW float32", open: edgevec({ bq: false }) },
  { library: "edgevec", setting: "HNSW binary + rescore 5", open: edgevec({ bq: true }) },
  { library: "@orama/orama", setting: "flat (JS)", open: orama },
  ...["float", "int8", "bit"].map((kind) => ({
    library: "sqlite-vec-wasm",
    setting: kind === "bit" ? "bit + rescore 100" : kind,
    open: sqliteVec(kind),
  })),
  { library: "pglite + pgvector", setting: "exact scan", open: pglite({ hnsw: false }) },
  { library: "pglite + pgvector", setting: "HNSW, ef_search 40 (default)", open: pglite({ hnsw: true, tune: false }) },
  { library: "pglite + pgvector", setting: "HNSW, ef_search tuned", open: pglite({ hnsw: true, tune: true }) },
];

/** A run's key in results and on the command line. */
export const runKey = (r) => `${r.library} | ${r.setting}`;
