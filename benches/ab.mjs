// Two builds of the benchmark package timed in one Node process, alternating run by run, so that
// the machine's load (these machines are shared: the same build can be 1.5x slower an hour later)
// falls on both alike. `npm run bench` says whether the targets are met; this says whether a
// change made the engine slower.
//
//   node scripts/build.mjs --bench                       # this tree: pkg/bench
//   git worktree add /tmp/base <commit> && (cd /tmp/base && ln -s "$OLDPWD/node_modules" &&
//     node scripts/build.mjs --bench)                    # the build to compare against
//   node benches/ab.mjs /tmp/base/pkg/bench/quiver.js
//
// Prints, for each scan of 100k codes and for Index.search on 100k vectors (binary, scan only
// and the default), the median of 400 alternating runs of each build and their ratio.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { benchVectors } from "../scripts/real-data.mjs";
import { alternate } from "./timing.mjs";

const [base] = process.argv.slice(2);
if (!base) {
  console.error("usage: node benches/ab.mjs <the other build's pkg/bench/quiver.js>");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const current = require(`${fileURLToPath(new URL("..", import.meta.url))}pkg/bench/quiver.js`);
const other = require(base);
const D = 384, N = 100_000, RUNS = 400;
const rows = [];
for (const q of ["hamming", "binary", "int8", "pq4", "pq8"]) {
  const [a, b] = [new current.ScanBench(q, N, D), new other.ScanBench(q, N, D)];
  rows.push([`scan ${q} 100k (top-10)`, ...(await alternate(() => a.run(10), () => b.run(10), RUNS))]);
  a.free();
  b.free();
}
const { data, source } = benchVectors(N);
const ids = Array.from({ length: N }, (_, i) => `doc-${i}`);
const [a, b] = [current, other].map((pkg) => new pkg.Index({ dimensions: D, quantization: "binary" }));
await a.add(ids, data);
await b.add(ids, data);
const query = (i) => data.subarray((i % 64) * D, ((i % 64) + 1) * D);
for (const [name, options] of [["scan only", { k: 10, oversampling: 1, rescore: false }], ["default", { k: 10 }]]) {
  rows.push([`Index.search binary 100k, ${name}`, ...(await alternate((i) => a.search(query(i), options), (i) => b.search(query(i), options), RUNS))]);
}

console.log(`\nthis tree against ${base}; Node ${process.version}; index on ${source}; medians of ${RUNS} alternating runs\n`);
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, mine, theirs] of rows) {
  console.log(`${name.padEnd(width)}  ${mine.toFixed(3).padStart(7)} ms  ${theirs.toFixed(3).padStart(7)} ms  ${(mine / theirs).toFixed(2)}x`);
}
