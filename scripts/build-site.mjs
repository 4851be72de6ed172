#!/usr/bin/env node
// `npm run build:site`: the WordNet demo as a self-contained static site in site/, which any
// file server can host at any path (every URL in it is relative) without special headers.
// `npm start` serves this same folder.
//
//   site/index.html, demo.js, sw.js, style.css, playground.html, playground.js   from www/
//                     (sw.js keeps the site in the Cache API for repeat and offline visits)
//   site/dist/        the package's browser files (dist/ without the .d.ts and Node entries)
//   site/model/       config.json, tokenizer.json, and model.safetensors with its float32
//                     weights stored as float16 (45 MB instead of 90; the embedder computes in
//                     float32 whatever it loads, and tests/js/embedder.test.mjs holds these
//                     weights to sentence-transformers)
//   site/generated/   wordnet.qvr and ids.json (scripts/demo-data.mjs)
//   site/files.json   every file's size and SHA-256
//
// Needs `node scripts/build.mjs`, the model (scripts/model.mjs) and the demo's index
// (scripts/demo-data.mjs) first; says which is missing.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_DIR } from "./model.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
export const SITE = join(root, "site");

/** The float16 bits nearest `f32bits` (IEEE 754 binary32 as a uint32), ties to even;
 * beyond float16's range, infinity; below half its smallest subnormal, zero. */
export function halfBits(f32bits) {
  const sign = (f32bits >>> 16) & 0x8000;
  const exponent = (f32bits >>> 23) & 0xff;
  let mantissa = f32bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // infinity, NaN
  const e = exponent - 127 + 15; // float16's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // A subnormal float16: m × 2^-24 with m = (1.mantissa × 2^23) >> (14 - e).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const tie = 1 << (shift - 1);
    if (rest > tie || (rest === tie && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa rounds up into the exponent, which is the right answer.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/** A safetensors file with every F32 tensor stored as F16 (others as they were).
 * Layout: u64 LE header length, the JSON header ({ name: { dtype, shape, data_offsets } },
 * offsets relative to the data), then the data; the header is padded with spaces to 8 bytes. */
export function halfWeights(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const data = bytes.subarray(8 + headerLength);
  const names = Object.keys(header)
    .filter((name) => name !== "__metadata__")
    .sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
  const parts = [];
  const out = header.__metadata__ ? { __metadata__: header.__metadata__ } : {};
  let offset = 0;
  for (const name of names) {
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = header[name];
    let part = data.subarray(begin, end);
    if (dtype === "F32") {
      // A copy (a Buffer's slice() would share, and expose, the whole file's memory).
      const floats = new Uint32Array(new Uint8Array(part).buffer);
      const halves = new Uint16Array(floats.length);
      for (let i = 0; i < floats.length; i++) halves[i] = halfBits(floats[i]);
      part = new Uint8Array(halves.buffer);
    }
    out[name] = { dtype: dtype === "F32" ? "F16" : dtype, shape, data_offsets: [offset, offset + part.length] };
    parts.push(part);
    offset += part.length;
  }
  let json = JSON.stringify(out);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const result = new Uint8Array(8 + json.length + offset);
  new DataView(result.buffer).setBigUint64(0, BigInt(json.length), true);
  result.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const part of parts) {
    result.set(part, at);
    at += part.length;
  }
  return result;
}

function need(path, how) {
  if (!existsSync(path)) {
    console.error(`${relative(root, path)} is missing: ${how}`);
    process.exit(1);
  }
}

/** Builds site/ from dist/, .model/ and www/generated/; returns its files.json entries. */
export function buildSite(model = MODEL_DIR) {
  const dist = join(root, "dist");
  const generated = join(root, "www", "generated");
  need(join(dist, "index.js"), "run `node scripts/build.mjs` (the package)");
  need(join(model, "model.safetensors"), "run `node scripts/model.mjs` (the model files)");
  need(join(generated, "wordnet.qvr"), "run `node scripts/demo-data.mjs` (the demo's index)");
  rmSync(SITE, { recursive: true, force: true });
  const files = [];
  const put = (name, bytes) => {
    mkdirSync(dirname(join(SITE, name)), { recursive: true });
    writeFileSync(join(SITE, name), bytes);
    files.push({ name, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  };
  for (const name of ["index.html", "demo.js", "sw.js", "style.css", "playground.html", "playground.js"]) {
    put(name, readFileSync(join(root, "www", name)));
  }
  const nodeOnly = new Set(["node.js", "embedder-node.js"]);
  for (const name of readdirSync(dist)) {
    if (!name.endsWith(".d.ts") && !nodeOnly.has(name)) put(`dist/${name}`, readFileSync(join(dist, name)));
  }
  for (const name of ["config.json", "tokenizer.json"]) put(`model/${name}`, readFileSync(join(model, name)));
  put("model/model.safetensors", halfWeights(readFileSync(join(model, "model.safetensors"))));
  for (const name of ["wordnet.qvr", "ids.json"]) put(`generated/${name}`, readFileSync(join(generated, name)));
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  writeFileSync(join(SITE, "files.json"), `${JSON.stringify(files, null, 1)}\n`);
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = buildSite();
  const total = files.reduce((sum, { bytes }) => sum + bytes, 0);
  console.log(`[site] ${files.length} files, ${(total / 2 ** 20).toFixed(1)} MB in ${relative(process.cwd(), SITE)}/`);
}
