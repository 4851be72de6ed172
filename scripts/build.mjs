#!/usr/bin/env node
// Builds the npm package into pkg/:
//   pkg/node/  CommonJS glue that loads the .wasm synchronously (Node: no init call)
//   pkg/web/   ES module glue with a default `init()` (browsers, workers, bundlers)
// Each .wasm is optimised with binaryen from npm (Debian's wasm-opt 108 corrupts
// wasm-bindgen output: never the one on PATH).
//
// Usage: node scripts/build.mjs [--bench]   (--bench: also builds with benchmark timers:
//   pkg/bench for Node, pkg/bench-web for the browser benchmark)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args, env = {}) =>
  execFileSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });

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
// Rust 1.95's wasm32 default features, plus SIMD128.
const FEATURES = [
  "--enable-simd", "--enable-bulk-memory", "--enable-nontrapping-float-to-int",
  "--enable-sign-ext", "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];

function build({ features = [], outputs }) {
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib", ...features]);
  const wasm = join(root, "target", "wasm32-unknown-unknown", "release", "quiver.wasm");
  for (const [target, dir] of outputs) {
    const out = join(root, dir);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    run("wasm-bindgen", ["--target", target, "--out-dir", out, "--out-name", "quiver", wasm]);
    const bg = join(out, "quiver_bg.wasm");
    run(wasmOpt, ["-O3", ...FEATURES, bg, "-o", bg]);
    if (target === "nodejs") {
      // The repository's package.json says "type": "module"; this glue is CommonJS.
      writeFileSync(join(out, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
    }
    console.log(`${dir}/quiver_bg.wasm: ${statSync(bg).size} bytes`);
  }
}

build({ outputs: [["nodejs", "pkg/node"], ["web", "pkg/web"]] });
if (process.argv.includes("--bench")) {
  build({ features: ["--features", "bench"], outputs: [["nodejs", "pkg/bench"], ["web", "pkg/bench-web"]] });
  // Leave target/ holding the shipped build, so a later plain build is a no-op.
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib"]);
}
