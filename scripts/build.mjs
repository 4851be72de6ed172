#!/usr/bin/env node
// Builds the npm package into dist/ (what `npm pack` ships, see package.json `files`):
//   quiver.js, quiver.d.ts     wasm-bindgen's ES module glue (`--target web`), one for both tiers
//   quiver_bg.wasm             the SIMD128 tier
//   quiver_relaxed_bg.wasm     the SIMD128 + relaxed-SIMD tier (its int8 dot product is one
//                              relaxed instruction); same exports, so the glue is shared
//   index.js, node.js, tier.js, worker.js, worker-thread.js and their .d.ts   from js/
//   quiver_embed.js, quiver_embed_bg.wasm   the embedder (embed/), a module of its own that
//                              only `quiver/embedder` (embedder.js, embedder-node.js) loads
// Each .wasm is optimised with binaryen from npm (Debian's wasm-opt 108 corrupts
// wasm-bindgen output: never the one on PATH). binaryen from npm is itself wasm and runs on one
// core: the embedder's 4 MB take it about 110 s. So its output is kept in target/wasm-opt/ under
// the checksum of its input and arguments (a rebuild with nothing changed skips it), and the
// embedder is optimised in a child process while cargo builds the quiver tiers.
//
// Usage: node scripts/build.mjs [--bench | --bench-only]   (--bench: also builds both tiers
//   with benchmark timers: pkg/bench (Node, CommonJS, SIMD128), pkg/bench-web and
//   pkg/bench-web-relaxed (browser, one per tier); --bench-only: those alone, as
//   `npm run bench:ab` needs of the build it compares against)
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

// A RUSTFLAGS variable would replace the +simd128 of .cargo/config.toml: refuse it.
if (process.env.RUSTFLAGS) {
  console.error("RUSTFLAGS is set; it would silently drop +simd128 from .cargo/config.toml. Unset it.");
  process.exit(1);
}
const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
if (!existsSync(wasmOpt)) {
  console.error("node_modules/.bin/wasm-opt is missing: run `npm install` (binaryen from npm).");
  process.exit(1);
}
const BINARYEN = JSON.parse(readFileSync(join(root, "node_modules", "binaryen", "package.json"), "utf8")).version;

// Rust 1.95's wasm32 default features, plus SIMD128 (and relaxed SIMD for that tier).
const FEATURES = [
  "--enable-simd",
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];
const TIERS = {
  simd128: { file: "quiver_bg.wasm", cargo: [], opt: [] },
  "relaxed-simd": {
    file: "quiver_relaxed_bg.wasm",
    // Shared with scripts/test.sh (see the file's note).
    cargo: JSON.parse(readFileSync(join(root, "scripts", "relaxed-simd.json"), "utf8")).cargo,
    opt: ["--enable-relaxed-simd"],
  },
};

/** `wasm-opt args input -o output`, or a copy of its kept output for the same input and
 * arguments; resolves when `output` is written. Runs in a child process, so that the caller
 * can go on building meanwhile. */
function optimise(args, input, output) {
  const key = createHash("sha256")
    .update(JSON.stringify([BINARYEN, args]))
    .update(readFileSync(input))
    .digest("hex");
  const kept = join(root, "target", "wasm-opt", `${key}.wasm`);
  mkdirSync(dirname(output), { recursive: true });
  if (existsSync(kept)) {
    copyFileSync(kept, output);
    return Promise.resolve();
  }
  mkdirSync(dirname(kept), { recursive: true });
  const partial = `${kept}.partial`;
  return new Promise((resolve, reject) => {
    const child = spawn(wasmOpt, [...args, input, "-o", partial], { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code !== 0) return reject(new Error(`wasm-opt ${input} failed (${signal ?? `exit code ${code}`})`));
      renameSync(partial, kept);
      copyFileSync(kept, output);
      resolve();
    });
  });
}

/** Builds one tier with `features`, runs wasm-bindgen for `target` and optimises its .wasm into
 * `out` as `wasmName`; returns the folder holding the glue (quiver.js, quiver.d.ts). */
async function build(tier, { features = [], target, out, wasmName = "quiver_bg.wasm" }) {
  const { cargo, opt } = TIERS[tier];
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib", ...features, ...cargo]);
  const targetDir = cargo.includes("--target-dir") ? cargo[cargo.indexOf("--target-dir") + 1] : "target";
  const wasm = join(root, targetDir, "wasm32-unknown-unknown", "release", "quiver.wasm");
  const scratch = join(root, "target", "bindgen", tier);
  rmSync(scratch, { recursive: true, force: true });
  run("wasm-bindgen", ["--target", target, "--out-dir", scratch, "--out-name", "quiver", wasm]);
  mkdirSync(out, { recursive: true });
  await optimise(["-O3", ...FEATURES, ...opt], join(scratch, "quiver_bg.wasm"), join(out, wasmName));
  return scratch;
}

function size(file) {
  const bytes = readFileSync(file);
  return `${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped`;
}

/** Both tiers into `out`, with one shared glue; fails if the tiers' glue differs. */
async function buildPackage(out) {
  rmSync(out, { recursive: true, force: true });
  const glue = {};
  for (const [tier, { file }] of Object.entries(TIERS)) {
    const scratch = await build(tier, { target: "web", out, wasmName: file });
    glue[tier] = readFileSync(join(scratch, "quiver.js"), "utf8");
    for (const name of ["quiver.js", "quiver.d.ts"]) copyFileSync(join(scratch, name), join(out, name));
  }
  if (glue.simd128 !== glue["relaxed-simd"]) {
    console.error("the two tiers produced different wasm-bindgen glue; they must export the same API");
    process.exit(1);
  }
}

/** The embedder crate (SIMD128 only: its matrix products are float) into `out`; returns once
 * cargo is done, with a promise of its optimised .wasm. */
function buildEmbedder(out) {
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib", "-p", "quiver-embed"]);
  const scratch = join(root, "target", "bindgen", "embed");
  rmSync(scratch, { recursive: true, force: true });
  const wasm = join(root, "target", "wasm32-unknown-unknown", "release", "quiver_embed.wasm");
  run("wasm-bindgen", ["--target", "web", "--out-dir", scratch, "--out-name", "quiver_embed", wasm]);
  mkdirSync(out, { recursive: true });
  for (const name of ["quiver_embed.js", "quiver_embed.d.ts"]) copyFileSync(join(scratch, name), join(out, name));
  return optimise(["-O3", ...FEATURES], join(scratch, "quiver_embed_bg.wasm"), join(out, "quiver_embed_bg.wasm"));
}

const benchOnly = process.argv.includes("--bench-only");
if (!benchOnly) {
  const dist = join(root, "dist");
  // The embedder first, so that binaryen optimises it on one core while cargo builds the
  // quiver tiers (mostly their one LTO codegen unit, on one core too).
  const staging = join(root, "target", "embedder-dist");
  rmSync(staging, { recursive: true, force: true });
  const embedder = buildEmbedder(staging);
  await buildPackage(dist);
  await embedder;
  for (const name of readdirSync(staging)) copyFileSync(join(staging, name), join(dist, name));
  for (const name of readdirSync(join(root, "js"))) copyFileSync(join(root, "js", name), join(dist, name));
  for (const name of ["quiver_bg.wasm", "quiver_relaxed_bg.wasm", "quiver.js", "index.js", "quiver_embed_bg.wasm"]) {
    console.log(`dist/${name}: ${size(join(dist, name))}`);
  }
}

if (benchOnly || process.argv.includes("--bench")) {
  // Node 20 has no (working) relaxed SIMD, so the Node benchmark build is the SIMD128 tier.
  const features = ["--features", "bench"];
  for (const [tier, out, target] of [
    ["simd128", "bench", "nodejs"],
    ["simd128", "bench-web", "web"],
    ["relaxed-simd", "bench-web-relaxed", "web"],
  ]) {
    const dir = join(root, "pkg", out);
    rmSync(dir, { recursive: true, force: true });
    const scratch = await build(tier, { features, target, out: dir });
    copyFileSync(join(scratch, "quiver.js"), join(dir, "quiver.js"));
    if (target === "nodejs") {
      // The repository's package.json says "type": "module"; this glue is CommonJS.
      writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
    }
  }
  // Leave target/ holding the shipped build, so a later plain build is a no-op.
  for (const { cargo } of Object.values(TIERS)) {
    run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib", ...cargo]);
  }
}
