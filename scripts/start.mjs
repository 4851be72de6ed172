#!/usr/bin/env node
// `npm start`: everything the WordNet demo needs on a fresh machine, then the server.
//   1. the npm package into dist/ (scripts/build.mjs: both SIMD tiers and the embedder),
//   2. the model files into .model/ (scripts/model.mjs, SHA-256 checked, cached),
//   3. the prebuilt index into www/generated/ (scripts/demo-data.mjs, cached),
//   4. the static site into site/ (scripts/build-site.mjs: relative URLs only, any file server
//      at any path can host it; `npm run build:site` stops here),
//   5. that folder on 127.0.0.1 (scripts/serve.mjs), printing its URL.
//
//   npm start [-- --full] [-- --port N]   (--full: all 117,791 synsets instead of 20,000)
//   node scripts/start.mjs --no-serve     (steps 1-4: what `npm run build:site` runs)
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildSite, SITE } from "./build-site.mjs";
import { buildDemoData } from "./demo-data.mjs";
import { ensureModel } from "./model.mjs";
import { serve } from "./serve.mjs";

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const port = Number(portArg >= 0 ? args[portArg + 1] : (process.env.PORT ?? 8080));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port ${args[portArg + 1]}: expected a port number from 0 to 65535`);
  process.exit(1);
}

const started = Date.now();
// Each step says what it does and when it started, so a long first run reads as progress.
const step = (n, what) => {
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `\n=== npm start ${n}/4: ${what} (at ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s)`,
  );
};
step(1, "the package: both SIMD tiers and the embedder (scripts/build.mjs; minutes the first time)");
execFileSync("node", [fileURLToPath(new URL("build.mjs", import.meta.url))], { stdio: "inherit" });
step(2, "the model files (scripts/model.mjs, SHA-256 checked, kept in .model/)");
await ensureModel();
step(3, "the demo's index (scripts/demo-data.mjs: quiver-build embeds the glosses natively; kept)");
await buildDemoData({ full: args.includes("--full") });
step(4, "the static site (scripts/build-site.mjs → site/)");
const files = buildSite();
const megabytes = files.reduce((sum, { bytes }) => sum + bytes, 0) / 2 ** 20;
console.log(`[site] ${files.length} files, ${megabytes.toFixed(1)} MB in site/`);
if (args.includes("--no-serve")) process.exit(0);
// The site needs no special headers (tests/js/site.test.mjs serves it without them); here it
// is cross-origin isolated (COOP + COEP) all the same, so that performance.now() in the page
// has 5 µs steps rather than 100 µs: the demo times scans that take a fraction of a millisecond.
const server = await serve(port, { site: SITE, isolated: true });
console.log(
  `\nquiver demo ready in ${((Date.now() - started) / 1000).toFixed(0)} s: http://127.0.0.1:${server.address().port}/`,
);
