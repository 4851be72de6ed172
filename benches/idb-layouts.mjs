// `npm run bench:idb`: how fast can headless Chromium's IndexedDB hand back the originals of a
// query's candidates? Measures, for 100k vectors of 384 f32:
//   - writing them in transactions of 1,000 (vectors/s), per layout;
//   - reading C random candidates in one readonly transaction (C = 18: the median a search
//     reads with refinement codes; C = 40: k 10 × oversampling 4; C = 100: oversampling 10) from one record per vector, and from blocks of 4, 8, 16 and 64
//     vectors (one get per distinct block);
//   - a bulk getAll of 1 MB records, as reopening an index loads its code pages.
// Medians over 30 queries. The answer decides the layout of the IndexedDB store.

import { launchChromiumProfile } from "../scripts/chromium.mjs";
import { serve } from "../scripts/serve.mjs";

const server = await serve(0);
const { context, close } = await launchChromiumProfile();
const page = await context.newPage();
page.on("console", (m) => console.log(m.text()));
await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
const results = await page.evaluate(async () => {
  const N = 100_000,
    D = 384,
    QUERIES = 30;
  const req = (r) =>
    new Promise((ok, fail) => {
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
  const done = (tx) =>
    new Promise((ok, fail) => {
      tx.oncomplete = ok;
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error);
    });
  const open = indexedDB.open("layouts", 1);
  open.onupgradeneeded = () => {
    for (const name of ["rows", "blocks4", "blocks8", "blocks16", "blocks64", "pages"])
      open.result.createObjectStore(name);
  };
  const db = await req(open);
  const vector = (i) => {
    const v = new Float32Array(D);
    for (let j = 0; j < D; j++) v[j] = Math.sin(i * 7.1 + j);
    return v;
  };
  const LAYOUTS = [
    ["rows", 1],
    ["blocks4", 4],
    ["blocks8", 8],
    ["blocks16", 16],
    ["blocks64", 64],
  ];
  const out = {};
  for (const [store, per] of LAYOUTS) {
    const t = performance.now();
    const blocks = Math.ceil(N / per),
      step = Math.ceil(1000 / per);
    for (let first = 0; first < blocks; first += step) {
      const tx = db.transaction(store, "readwrite");
      const os = tx.objectStore(store);
      for (let b = first; b < Math.min(first + step, blocks); b++) {
        const value = new Float32Array(per * D);
        for (let i = 0; i < per; i++) value.set(vector(b * per + i), i * D);
        os.put(value, b);
      }
      await done(tx);
    }
    out[`write ${store} (vectors/s)`] = Math.round(N / ((performance.now() - t) / 1000));
  }
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % N;
  };
  const { median } = await import("/shared/helpers.mjs");
  for (const C of [18, 40, 100]) {
    for (const [store, per] of LAYOUTS) {
      const times = [];
      for (let q = 0; q < QUERIES; q++) {
        const slots = Array.from({ length: C }, rand);
        const keys = [...new Set(slots.map((s) => Math.floor(s / per)))];
        const t = performance.now();
        const tx = db.transaction(store, "readonly");
        const os = tx.objectStore(store);
        const values = await Promise.all(keys.map((k) => req(os.get(k))));
        if (values.some((v) => !v)) throw new Error("missing record");
        times.push(performance.now() - t);
      }
      out[`read ${C} candidates from ${store} (ms)`] = Number(median(times).toFixed(2));
    }
  }
  // Reopen: 100 records of 1 MB (the codes of a large index), one getAll.
  let tx = db.transaction("pages", "readwrite");
  for (let p = 0; p < 100; p++) tx.objectStore("pages").put(new Uint8Array(1 << 20).fill(p), p);
  await done(tx);
  const times = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    tx = db.transaction("pages", "readonly");
    const all = await req(tx.objectStore("pages").getAll());
    if (all.length !== 100) throw new Error("missing pages");
    times.push(performance.now() - t);
  }
  out["getAll 100 x 1 MB pages (ms)"] = Number(median(times).toFixed(1));
  db.close();
  return out;
});
console.log(`\nIndexedDB layouts in Chromium ${context.browser().version()} (headless), 100k × 384 f32, medians\n`);
for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(44)} ${value}`);
await close();
server.close();
