// One run in a fresh Node process (so that memory figures are its own):
//   node --expose-gc benches/peers/node-run.mjs "<library> | <setting>" <set>
// Prints progress on stderr and, last, `RESULT {json}` on stdout.

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { load } from "./data.mjs";
import { codesOnlyPath, RUNS, runKey } from "./libraries.mjs";
import { measure } from "./measure.mjs";

const [key, set] = process.argv.slice(2);
const root = fileURLToPath(new URL("../../", import.meta.url));
const env = {
  name: "node",
  resolve: (path) => pathToFileURL(root + path).href,
  bytes: (path) => readFile(root + path),
  heap: () => process.memoryUsage().heapUsed,
  rss: () => process.memoryUsage().rss,
  gc: async () => {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
    global.gc();
  },
  progress: (phase) => console.error(`phase: ${phase}`),
};
const result = await measure(key, { set, ...load(set) }, env);
if (result.codesOnly) {
  await writeFile(root + codesOnlyPath(RUNS.find((r) => runKey(r) === key).quantization, set), result.codesOnly);
}
delete result.codesOnly;
console.log(`RESULT ${JSON.stringify({ env: "node", node: process.version, ...result })}`);
process.exit(0);
