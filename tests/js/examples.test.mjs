// The package as users get it: `npm pack` (of the dist/ built by `npm run build`) installed
// into a scratch project, then each example in examples/ run there: the Node script, the
// TypeScript check of every example against the shipped .d.ts, a Vite build served and
// searched in Chromium and Firefox, and the Manifest V3 extension loaded unpacked into Chromium, whose
// service worker indexes into IndexedDB and still has its index after a browser restart.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../../scripts/chromium.mjs";
import { serve } from "../../scripts/serve.mjs";
import { ENGINES, launch } from "./quiver-page.mjs";
import { ui } from "./ui.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "quiver-examples-"));
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { encoding: "utf8", ...options });
let tarball;

before(() => {
  // --ignore-scripts: dist/ is already built (prepack would rebuild it).
  const [{ filename }] = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: root }),
  );
  tarball = join(scratch, filename);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: scratch });
  cpSync(join(root, "examples"), scratch, { recursive: true });
  // The extension loads quiver from its own folder (see its background.js).
  cpSync(join(scratch, "node_modules", "quiver", "dist"), join(scratch, "extension", "quiver"), { recursive: true });
});
after(() => rmSync(scratch, { recursive: true, force: true }));

test("npm pack ships the package files, nothing missing and nothing extra", () => {
  const files = run("tar", ["tzf", tarball]).trim().split("\n").sort();
  assert.deepEqual(files, [
    "package/README.md",
    "package/dist/embedder-common.js",
    "package/dist/embedder-node.js",
    "package/dist/embedder-thread.js",
    "package/dist/embedder-worker.js",
    "package/dist/embedder.d.ts",
    "package/dist/embedder.js",
    "package/dist/index.d.ts",
    "package/dist/index.js",
    "package/dist/node.js",
    "package/dist/quiver.d.ts",
    "package/dist/quiver.js",
    "package/dist/quiver_bg.wasm",
    "package/dist/quiver_embed.d.ts",
    "package/dist/quiver_embed.js",
    "package/dist/quiver_embed_bg.wasm",
    "package/dist/quiver_relaxed_bg.wasm",
    "package/dist/tier.js",
    "package/dist/transfer.js",
    "package/dist/worker-calls.js",
    "package/dist/worker-thread.js",
    "package/dist/worker.d.ts",
    "package/dist/worker.js",
    "package/package.json",
  ]);
});

test("examples/node runs against the installed package", () => {
  const out = JSON.parse(run("node", [join(scratch, "node", "index.mjs")]));
  assert.equal(out.size, 1000);
  assert.equal(out.hits[0], "doc-42");
  assert.match(out.simd, /^(simd128|relaxed-simd)$/);
});

test("every example type-checks against the shipped .d.ts (tsc --noEmit)", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  try {
    run("node", [tsc, "-p", join(scratch, "tsconfig.json")]);
  } catch (e) {
    assert.fail(`tsc reported errors:\n${e.stdout}${e.stderr}`);
  }
});

test("examples/vite builds with Vite, and the built app searches in Chromium and Firefox (page and worker)", async () => {
  const vite = join(root, "node_modules", "vite", "bin", "vite.js");
  const out = join(scratch, "vite-dist");
  run("node", [vite, "build", join(scratch, "vite"), "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: scratch,
  });
  const assets = readdirSync(join(out, "assets"));
  for (const tier of [/^quiver_bg-.*\.wasm$/, /^quiver_relaxed_bg-.*\.wasm$/, /^worker-thread-.*\.js$/]) {
    assert.ok(
      assets.some((a) => tier.test(a)),
      `no ${tier} among Vite's assets: ${assets}`,
    );
  }
  const server = await serve(0, { site: out });
  try {
    for (const engine of ENGINES) {
      const browser = await launch(engine);
      try {
        const page = await browser.newPage();
        const errors = [];
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`http://127.0.0.1:${server.address().port}/`);
        const { waitFor, text } = ui(page);
        await waitFor("#status[data-done]");
        const result = JSON.parse(await text("#status"));
        assert.deepEqual(result.simd, "relaxed-simd", engine);
        assert.equal(result.page[0], "item-7", engine);
        assert.equal(result.worker[0], "item-7", engine);
        assert.deepEqual(errors, [], engine);
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.close();
  }
});

test("examples/extension: its MV3 service worker indexes into IndexedDB and searches, across a restart", async () => {
  const extension = join(scratch, "extension");
  const profile = join(scratch, "profile");
  mkdirSync(profile);
  const launch = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: false, // the flags below run it headless; Playwright's own choice drops extensions
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extension}`, `--load-extension=${extension}`],
    });
  const searchOnce = async () => {
    const context = await launch();
    try {
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
      return await worker.evaluate(() => globalThis.search(42));
    } finally {
      await context.close();
    }
  };
  const first = await searchOnce();
  assert.deepEqual(first, { simd: "relaxed-simd", size: 500, builtNow: true, hits: first.hits });
  assert.equal(first.hits[0], "note-42");
  // A restarted browser: the worker reopens the stored index instead of building it again.
  const second = await searchOnce();
  assert.deepEqual(second, { ...first, builtNow: false });
});
