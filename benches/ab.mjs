// Two builds of the benchmark package timed in one Node process, alternating run by run, so that
// the machine's load (these machines are shared: the same build can be 1.5x slower an hour later)
// falls on both alike. `npm run bench` says whether the targets are met; this says whether a
// change made the engine slower.
//
//   node scripts/build.mjs --bench-only                  # this tree: pkg/bench, pkg/bench-web
//   git worktree add /tmp/base <commit> && (cd /tmp/base && ln -s "$OLDPWD/node_modules" &&
//     node scripts/build.mjs --bench-only)               # the build to compare against
//   node benches/ab.mjs /tmp/base/pkg/bench/quiver.js
// (A commit whose build.mjs lacks --bench-only builds with --bench, or with this tree's
// scripts/build.mjs and scripts/relaxed-simd.json copied in.)
//
// Prints, in Node: each scan of 100k codes and Index.search on 100k vectors (binary, scan
// only and the default), medians of 400 alternating runs, and Index.add of the 100k, 1,000 a
// call, into a fresh index (median of 5 alternating builds). In headless Chromium with an
// on-disk profile, both builds' web packages in one page: the persistent index (Index.open,
// binary) on 20,000 vectors, add (1,000 a call), search (median and p99 of 300 alternating
// queries) and reopen (10 alternating). Each row: this tree, the other, their ratio.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromiumProfile } from "../scripts/chromium.mjs";
import { benchVectors } from "../scripts/real-data.mjs";
import { serve } from "../scripts/serve.mjs";
import { median } from "../scripts/shared/helpers.mjs";
import { alternate } from "./timing.mjs";

const [base] = process.argv.slice(2);
if (!base) {
  console.error("usage: node benches/ab.mjs <the other build's pkg/bench/quiver.js>");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("..", import.meta.url));
const current = require(`${root}pkg/bench/quiver.js`);
const other = require(base);
const D = 384,
  N = 100_000,
  RUNS = 400;
const rows = [];
for (const q of ["hamming", "binary", "int8", "pq4", "pq8"]) {
  const [a, b] = [new current.ScanBench(q, N, D), new other.ScanBench(q, N, D)];
  rows.push([
    `scan ${q} 100k (top-10)`,
    ...(await alternate(
      () => a.run(10),
      () => b.run(10),
      RUNS,
    )),
  ]);
  a.free();
  b.free();
}
const { data, source } = benchVectors(N);
const ids = Array.from({ length: N }, (_, i) => `doc-${i}`);
const [a, b] = [current, other].map((pkg) => new pkg.Index({ dimensions: D, quantization: "binary" }));
await a.add(ids, data);
await b.add(ids, data);
const query = (i) => data.subarray((i % 64) * D, ((i % 64) + 1) * D);
for (const [name, options] of [
  ["scan only", { k: 10, oversampling: 1, rescore: false }],
  ["default", { k: 10 }],
]) {
  rows.push([
    `Index.search binary 100k, ${name}`,
    ...(await alternate(
      (i) => a.search(query(i), options),
      (i) => b.search(query(i), options),
      RUNS,
    )),
  ]);
}

a.free();
b.free();

// Index.add: the 100k into a fresh index, 1,000 a call, builds alternating (a whole add is
// long enough that 5 runs of each, after one to warm up, give a stable median).
const addAll = (pkg) => async () => {
  const index = new pkg.Index({ dimensions: D, quantization: "binary" });
  const t = performance.now();
  for (let first = 0; first < N; first += 1000)
    await index.add(ids.slice(first, first + 1000), data.subarray(first * D, (first + 1000) * D));
  const ms = performance.now() - t;
  index.free();
  return ms;
};
const adds = [[], []];
for (let run = 0; run < 6; run++) {
  for (const [i, pkg] of [current, other].entries()) {
    const ms = await addAll(pkg)();
    if (run > 0) adds[i].push(ms);
  }
}
rows.push(["Index.add binary 100k, 1,000 a call", median(adds[0]), median(adds[1])]);

// The persistent index in Chromium: both builds' web packages in one page.
const P = 20_000;
const scratch = mkdtempSync(join(tmpdir(), "quiver-ab-"));
writeFileSync(join(scratch, "vectors.f32"), data.subarray(0, P * D));
const server = await serve(0, {
  mounts: [
    ["/a/", join(root, "pkg", "bench-web")],
    ["/b/", join(dirname(base), "..", "bench-web")],
    ["/vectors/", scratch],
    ["/shared/", join(root, "scripts", "shared")],
  ],
});
const { context, close } = await launchChromiumProfile();
const page = await context.newPage();
page.on("pageerror", (e) => console.error(e));
await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
const idb = await page.evaluate(
  async ({ D, P }) => {
    const { median } = await import("/shared/helpers.mjs");
    const load = async (url) => {
      const module = await import(url);
      await module.default();
      return module.Index;
    };
    const builds = [await load("/a/quiver.js"), await load("/b/quiver.js")];
    const data = new Float32Array(await (await fetch("/vectors/vectors.f32")).arrayBuffer());
    const names = ["ab-this", "ab-other"];
    const open = (i) => builds[i].open(names[i], { dimensions: D, quantization: "binary" });
    const indexes = [await open(0), await open(1)];
    const times = { add: [[], []], search: [[], []], reopen: [[], []] };
    const timed = async (phase, i, fn) => {
      const t = performance.now();
      await fn();
      times[phase][i].push(performance.now() - t);
    };
    for (let first = 0; first < P; first += 1000) {
      const ids = Array.from({ length: 1000 }, (_, j) => `doc-${first + j}`);
      const rows = data.subarray(first * D, (first + 1000) * D);
      for (const i of [0, 1]) await timed("add", i, () => indexes[i].add(ids, rows));
    }
    const query = (q) => data.subarray(((q * 61) % P) * D, (((q * 61) % P) + 1) * D);
    for (let q = 0; q < 20; q++) for (const i of [0, 1]) await indexes[i].search(query(q), { k: 10 });
    for (let q = 0; q < 300; q++)
      for (const i of [0, 1]) await timed("search", i, () => indexes[i].search(query(q), { k: 10 }));
    for (let r = 0; r < 10; r++) {
      for (const i of [0, 1]) {
        await indexes[i].close();
        await timed("reopen", i, async () => {
          indexes[i] = await builds[i].open(names[i]);
        });
      }
    }
    const p99 = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * 0.99)];
    const pair = (f, phase) => [f(times[phase][0]), f(times[phase][1])];
    for (const i of [0, 1]) await indexes[i].close();
    return {
      add: pair(median, "add"),
      search: pair(median, "search"),
      searchP99: pair(p99, "search"),
      reopen: pair(median, "reopen"),
    };
  },
  { D, P },
);
await close();
server.close();
rmSync(scratch, { recursive: true, force: true });
rows.push(
  ["Index.open binary 20k: add 1,000", ...idb.add],
  ["Index.open binary 20k: search, median", ...idb.search],
  ["Index.open binary 20k: search, p99", ...idb.searchP99],
  ["Index.open binary 20k: reopen", ...idb.reopen],
);

console.log(
  `\nthis tree against ${base}; Node ${process.version}; index on ${source}; medians of ${RUNS} alternating runs (add, IndexedDB: see the header)\n`,
);
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, mine, theirs] of rows) {
  console.log(
    `${name.padEnd(width)}  ${mine.toFixed(3).padStart(7)} ms  ${theirs.toFixed(3).padStart(7)} ms  ${(mine / theirs).toFixed(2)}x`,
  );
}
