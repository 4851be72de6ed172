// The embedder as shipped (dist/, `quiver/embedder`): parity with sentence-transformers on real
// WordNet texts in Node and in headless Chromium and Firefox, and clear errors for bad arguments.
// Parity needs ../shared/data (skipped with a note without it); the model files are fetched
// by scripts/model.mjs (SHA-256 checked).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Embedder } from "../../dist/embedder-node.js";
import { halfWeights } from "../../scripts/build-site.mjs";
import { ensureModel } from "../../scripts/model.mjs";
import { dataDir, halfTable } from "../../scripts/real-data.mjs";
import { ENGINES, withBrowser } from "./quiver-page.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const DIM = 384;
const STRIDE = 233; // every 233rd WordNet document: 505 texts spread over the corpus
const data = dataDir();
let modelDir;
before(async () => {
  modelDir = await ensureModel();
});

/** The parity sample: texts and the reference's vectors (float16 widened), row-major. */
function sample() {
  const lines = readFileSync(join(data, "wordnet.docs.jsonl"), "utf8").trimEnd().split("\n");
  const halves = new Uint16Array(readFileSync(join(data, "wordnet.docs.f16")).buffer.slice(0));
  const table = halfTable();
  const rows = [];
  for (let row = 0; row < lines.length; row += STRIDE) rows.push(row);
  const reference = new Float32Array(rows.length * DIM);
  rows.forEach((row, k) => {
    for (let j = 0; j < DIM; j++) reference[k * DIM + j] = table[halves[row * DIM + j]];
  });
  return { rows, texts: rows.map((row) => JSON.parse(lines[row]).text), reference };
}

/** The lowest cosine between our rows and the reference's, and where. */
function worstCosine(ours, { rows, reference }) {
  let worst = { cosine: Infinity, doc: -1 };
  for (let k = 0; k < rows.length; k++) {
    let dot = 0,
      norm = 0,
      own = 0;
    for (let j = 0; j < DIM; j++) {
      dot += ours[k * DIM + j] * reference[k * DIM + j];
      norm += reference[k * DIM + j] ** 2;
      own += ours[k * DIM + j] ** 2;
    }
    const cosine = dot / Math.sqrt(norm * own);
    if (cosine < worst.cosine) worst = { cosine, doc: rows[k] };
  }
  return worst;
}

test("in Node, 505 WordNet texts have cosine >= 0.999 with sentence-transformers", {
  skip: data ? false : "SKIPPED: ../shared/data not found",
}, async () => {
  const parity = sample();
  assert.ok(parity.texts.length >= 500);
  const embedder = await Embedder.load(modelDir);
  const vectors = await embedder.embed(parity.texts);
  assert.ok(vectors instanceof Float32Array);
  assert.equal(vectors.length, parity.texts.length * DIM);
  const worst = worstCosine(vectors, parity);
  console.log(
    `Node wasm parity: ${parity.texts.length} texts, lowest cosine ${worst.cosine.toFixed(6)} (doc ${worst.doc})`,
  );
  assert.ok(worst.cosine >= 0.999, `doc ${worst.doc}: cosine ${worst.cosine}`);
  embedder.free();
});

test("with float16 weights (the static site's model), a quarter of those texts keep cosine >= 0.999", {
  skip: data ? false : "SKIPPED: ../shared/data not found",
}, async () => {
  // Every fourth text of the sample (127): float16 rounding is the same for every text, and
  // the whole sample's 24 s are spent once already, above.
  const whole = sample();
  const keep = (_, k) => k % 4 === 0;
  const parity = {
    rows: whole.rows.filter(keep),
    texts: whole.texts.filter(keep),
    reference: Float32Array.from(
      whole.rows.flatMap((_, k) => (k % 4 === 0 ? [...whole.reference.subarray(k * DIM, (k + 1) * DIM)] : [])),
    ),
  };
  const bytes = (name) => readFileSync(join(modelDir, name));
  const weights = halfWeights(bytes("model.safetensors"));
  const embedder = await Embedder.load({ config: bytes("config.json"), tokenizer: bytes("tokenizer.json"), weights });
  const worst = worstCosine(await embedder.embed(parity.texts), parity);
  console.log(
    `Node wasm parity, float16 weights (${(weights.length / 2 ** 20).toFixed(1)} MB), ${parity.texts.length} texts: lowest cosine ` +
      `${worst.cosine.toFixed(6)} (doc ${worst.doc})`,
  );
  assert.ok(worst.cosine >= 0.999, `doc ${worst.doc}: cosine ${worst.cosine}`);
  embedder.free();
});

/** Equal up to float rounding (padding a batch changes the order of some sums, not results). */
function assertClose(actual, expected) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) < 1e-4, `float ${i}: ${actual[i]} vs ${expected[i]}`);
}

test("embeddings are unit vectors, independent of batching, and a text beyond 256 word pieces is truncated", async () => {
  const embedder = await Embedder.load(modelDir);
  assert.equal(embedder.dimension, DIM);
  const texts = ["cat", "a small domesticated feline kept as a pet", "", "dog ".repeat(300), "dog ".repeat(600)];
  const together = await embedder.embed(texts);
  const oneByOne = await embedder.embed(texts, { batch: 1 });
  assertClose(together, oneByOne);
  for (let r = 0; r < texts.length; r++) {
    const norm = Math.hypot(...together.subarray(r * DIM, (r + 1) * DIM));
    assert.ok(Math.abs(norm - 1) < 1e-4, `row ${r} has norm ${norm}`);
  }
  // 300 and 600 repetitions both keep only the first 254 word pieces: the same embedding.
  assertClose(together.subarray(3 * DIM, 4 * DIM), together.subarray(4 * DIM, 5 * DIM));
  assertClose(await embedder.embed("cat"), together.subarray(0, DIM));
  assert.equal((await embedder.embed([])).length, 0);
  embedder.free();
});

test("bad arguments get errors that say what was expected", async () => {
  await assert.rejects(Embedder.load(42), /source is a number; expected a folder URL/);
  await assert.rejects(Embedder.load({ config: new Uint8Array(1) }), /files.tokenizer is missing/);
  await assert.rejects(Embedder.load("/nonexistent/model"), /could not read \/nonexistent\/model\/config.json/);
  const bytes = (name) => readFileSync(join(modelDir, name));
  await assert.rejects(
    Embedder.load({
      config: bytes("tokenizer.json"),
      tokenizer: bytes("tokenizer.json"),
      weights: bytes("model.safetensors"),
    }),
    /config.json is not a BERT configuration/,
  );
  await assert.rejects(
    Embedder.load({
      config: bytes("config.json"),
      tokenizer: bytes("config.json"),
      weights: bytes("model.safetensors"),
    }),
    /tokenizer.json is not a Hugging Face tokenizer/,
  );
  await assert.rejects(
    Embedder.load({ config: bytes("config.json"), tokenizer: bytes("tokenizer.json"), weights: bytes("config.json") }),
    /model.safetensors does not hold the BERT weights/,
  );
  const embedder = await Embedder.load({
    config: bytes("config.json"),
    tokenizer: bytes("tokenizer.json"),
    weights: bytes("model.safetensors"),
  });
  await assert.rejects(embedder.embed(7), /texts is a number; expected a string or an array of strings/);
  await assert.rejects(embedder.embed(["ok", null]), /texts\[1\] is null; expected a string/);
  await assert.rejects(embedder.embed(["ok"], { batch: 0 }), /options.batch is 0; expected an integer >= 1/);
  embedder.free();
  await assert.rejects(embedder.embed("ok"), /this Embedder was freed/);
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine, {
      mounts: [
        ["/dist/", join(root, "dist")],
        ["/model/", join(root, ".model")],
        ["/", join(root, "www")],
      ],
    });

    test("the same texts have cosine >= 0.999, and a 10-word query is timed", {
      skip: data ? false : "SKIPPED: ../shared/data not found",
    }, async () => {
      const parity = sample();
      const page = await env.browser.newPage();
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async (texts) => {
        const { Embedder } = await import("/dist/embedder.js");
        const embedder = await Embedder.load("/model/");
        const vectors = await embedder.embed(texts);
        const times = [];
        for (let i = 0; i < 21; i++) {
          const start = performance.now();
          await embedder.embed("a small domesticated feline kept as a pet that purrs softly");
          times.push(performance.now() - start);
        }
        times.sort((a, b) => a - b);
        return { vectors: Array.from(vectors), median: times[10] };
      }, parity.texts);
      const worst = worstCosine(result.vectors, parity);
      console.log(
        `${engine} wasm parity: ${parity.texts.length} texts, lowest cosine ${worst.cosine.toFixed(6)} (doc ${worst.doc}); ` +
          `10-word query median ${result.median.toFixed(1)} ms (a figure, not a check: see npm run bench)`,
      );
      assert.ok(worst.cosine >= 0.999, `doc ${worst.doc}: cosine ${worst.cosine}`);
      await page.close();
    });

    test("WorkerEmbedder embeds in a worker exactly as Embedder does in the page, with its errors", async () => {
      const page = await env.browser.newPage();
      // The worker lives at /dist/: its relative model URL must resolve against this page.
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async () => {
        const { Embedder, WorkerEmbedder } = await import("/dist/embedder.js");
        const texts = ["cat", "a small domesticated feline kept as a pet", "", "dog ".repeat(300)];
        const inPage = await Embedder.load("/model/");
        const worker = await WorkerEmbedder.load("model/"); // relative to the page
        const here = await inPage.embed(texts);
        const there = await worker.embed(texts);
        const caught = async (promise) => {
          try {
            await promise;
            return "no error";
          } catch (error) {
            return `${error.constructor.name}: ${error.message}`;
          }
        };
        const errors = [
          await caught(worker.embed(7)),
          await caught(worker.embed(["ok"], { batch: 0 })),
          await caught(WorkerEmbedder.load("/nonexistent/")),
        ];
        const memory = await worker.memoryBytes();
        worker.terminate();
        errors.push(await caught(worker.embed("ok")));
        inPage.free();
        return {
          same: here.every((x, i) => x === there[i]),
          length: there.length,
          dimension: worker.dimension,
          memory,
          errors,
        };
      });
      assert.equal(result.length, 4 * DIM);
      assert.equal(result.dimension, DIM);
      assert.ok(result.same, "the worker's embeddings equal the page's, float for float");
      assert.ok(result.memory > 80 * 2 ** 20, `the worker's module holds the weights: ${result.memory} B`);
      assert.match(result.errors[0], /^TypeError: embed: texts is a number; expected a string or an array of strings/);
      assert.match(result.errors[1], /^RangeError: embed: options.batch is 0; expected an integer >= 1/);
      assert.match(result.errors[2], /could not read .*\/nonexistent\/config.json|answered HTTP 404/);
      assert.match(result.errors[3], /this WorkerEmbedder was terminated/);
      await page.close();
    });
  });
}
