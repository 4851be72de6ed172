// `npm run bench` (part): the embedder's speed.
//   - wasm in headless Chromium (dist/embedder.js, the shipped module): median time of one
//     10-word query (target < 50 ms), and texts per second for 256 WordNet-length glosses
//     embedded in one call;
//   - natively: texts per second of quiver-build (all cores) on the first 2,000 glosses of the
//     demo corpus (www/generated/corpus.jsonl, from scripts/demo-data.mjs).
// Usage: node benches/embed.mjs   (after `node scripts/build.mjs`; builds the demo corpus and
// quiver-build when they are missing)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../scripts/chromium.mjs";
import { buildDemoData, buildIndexer } from "../scripts/demo-data.mjs";
import { ensureModel } from "../scripts/model.mjs";
import { serve } from "../scripts/serve.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const model = await ensureModel();
await buildDemoData();
const corpus = readFileSync(join(root, "www", "generated", "corpus.jsonl"), "utf8")
  .trim()
  .split("\n");
const glosses = corpus.slice(0, 256).map((line) => JSON.parse(line).text);
const QUERY = "a small domesticated feline kept as a pet that purrs"; // 10 words

const server = await serve(0);
const browser = await launchChromium();
const page = await browser.newPage();
page.on("pageerror", (e) => console.error(e));
await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
const wasm = await page.evaluate(
  async ({ query, texts }) => {
    const { Embedder } = await import("/dist/embedder.js");
    const embedder = await Embedder.load("/model/");
    const { median } = await import("/shared/helpers.mjs");
    const timed = async (fn) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    // Warm-up (V8 tiers the wasm up), then the timed runs.
    for (let i = 0; i < 10; i++) await embedder.embed(query);
    const query_ms = [];
    for (let i = 0; i < 31; i++) query_ms.push(await timed(() => embedder.embed(query)));
    const batch_ms = [];
    for (let i = 0; i < 3; i++) batch_ms.push(await timed(() => embedder.embed(texts)));
    return { query: median(query_ms), batch: median(batch_ms) };
  },
  { query: QUERY, texts: glosses },
);
await browser.close();
server.close();

// Native: quiver-build (the indexer profile) reports "... (N texts/s on T threads)" on stderr.
const scratch = mkdtempSync(join(tmpdir(), "quiver-embed-bench-"));
writeFileSync(join(scratch, "corpus.jsonl"), `${corpus.slice(0, 2000).join("\n")}\n`);
const native = spawnSync(
  buildIndexer(),
  ["--model", model, "--input", join(scratch, "corpus.jsonl"), "--output", join(scratch, "index.qvr")],
  {
    encoding: "utf8",
  },
).stderr;
rmSync(scratch, { recursive: true, force: true });
const nativeRate = /embedded (\d+) texts in ([\d.]+) s \((\d+) texts\/s on (\d+) threads\)/.exec(native);

console.log("\nEmbedder (all-MiniLM-L6-v2)");
console.log(
  `  wasm in Chromium, one 10-word query: ${wasm.query.toFixed(1)} ms median (target < 50 ms: ${wasm.query < 50 ? "meets" : "MISSES"})`,
);
console.log(
  `  wasm in Chromium, 256 glosses in one call: ${(256_000 / wasm.batch).toFixed(0)} texts/s (median of 3, ${wasm.batch.toFixed(0)} ms)`,
);
console.log(
  nativeRate
    ? `  native quiver-build, 2,000 glosses: ${nativeRate[3]} texts/s on ${nativeRate[4]} threads (${nativeRate[2]} s)`
    : `  native quiver-build failed: ${native.trim()}`,
);
