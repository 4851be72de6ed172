// "Describe it, find the word": the WordNet demo. The prebuilt index (scripts/demo-data.mjs,
// binary codes + originals) is loaded with Index.fromBytes; queries are embedded as the
// visitor types by quiver's WorkerEmbedder (in a Web Worker, so the page never waits on the
// model); notes live in a persistent index (Index.open, IndexedDB).
// Text from the corpus or the visitor is only ever set with textContent, never as HTML.

import { WorkerEmbedder } from "./dist/embedder.js";
import init, { Index } from "./dist/index.js";

const $ = (id) => document.getElementById(id);
const D = 384;
const NOTES = "quiver-demo-notes";
const state = { indexes: new Map(), ids: null, embedder: null, notes: null };

// With refinement codes the index re-scores only the candidates that can still reach the top k.
const rescoringLabel = (rescored, candidates, k) =>
  rescored < candidates
    ? `Rescoring ${rescored} of ${candidates} candidates (the others cannot reach the top ${k})`
    : `Rescoring ${candidates} candidates`;

const ms = (value) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

/** The built site's files.json ([{ name, bytes, sha256 }], scripts/build-site.mjs), or null
 * under the dev server, which has none. */
async function siteFiles() {
  try {
    const response = await fetch("files.json", { cache: "no-store" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/** Registers sw.js (the site's cache) and, on a first visit, waits up to 3 s for it to control
 * the page so that the downloads below are kept. Without it the site works, uncached. */
async function useServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("sw.js");
    if (navigator.serviceWorker.controller) return;
    await Promise.race([
      new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true })),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
  } catch (error) {
    console.warn(`the site's cache is off: ${error.message}`);
  }
}

/** Downloads `names` (the model and the index), showing their progress in the status line;
 * returns their bytes in order. Sizes come from files.json, else from Content-Length. */
async function download(names, files) {
  const sizes = new Map(files?.map(({ name, bytes }) => [name, bytes]));
  const received = names.map(() => 0);
  const expected = names.map((name) => sizes.get(name) ?? 0);
  const show = () => {
    const total = expected.reduce((a, b) => a + b, 0);
    const done = received.reduce((a, b) => a + b, 0);
    status(`Downloading the model and the index: ${mb(done)} of ${total ? mb(total) : "?"}`);
  };
  return Promise.all(
    names.map(async (name, i) => {
      const response = await fetch(name).catch((error) => {
        throw new Error(`could not download ${name} (${error.message})`);
      });
      if (!response.ok) throw new Error(`${name} answered HTTP ${response.status}: run \`npm start\`, which builds it`);
      expected[i] ||= Number(response.headers.get("content-length")) || 0;
      const chunks = [];
      for (const reader = response.body.getReader(); ; ) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received[i] += value.length;
        show();
      }
      const bytes = new Uint8Array(received[i]);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      return bytes;
    }),
  );
}

async function start() {
  const started = performance.now();
  const files = await siteFiles();
  if (files) await useServiceWorker();
  const model = ["model/config.json", "model/tokenizer.json", "model/model.safetensors"];
  const [[config, tokenizer, weights, data]] = await Promise.all([
    download([...model, "generated/wordnet.qvr"], files),
    init(),
  ]);
  status("Loading the model…");
  // In a worker: loading the model and embedding each query never block the page.
  const embedder = await WorkerEmbedder.load({ config, tokenizer, weights });
  const index = Index.fromBytes(data);
  state.indexes.set(index.quantization, index);
  state.embedder = embedder;
  state.notes = await Index.open(NOTES, { dimensions: D });
  // V8 compiles wasm with a fast baseline compiler first and optimises the functions that
  // run often: a few queries now, so that the visitor's first query is timed at full speed.
  for (let i = 0; i < 5; i++) await index.search(await embedder.embed($("query").placeholder), { k: 10 });
  // The notes are listed before "Ready": a visitor (and the end-to-end test) reads that line
  // as "everything on this page is loaded", notes included.
  await showNotes();
  for (const id of ["query", "go", "note", "add"]) $(id).disabled = false;
  status(
    `Ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${index.size.toLocaleString("en")} WordNet ` +
      `synsets (${index.quantization} codes, ${Index.simd} kernels) and the embedding model.`,
  );
  $("query").focus();
}

/** The index for `quantization`: the prebuilt one, or one built here from its originals. */
async function indexFor(quantization) {
  if (state.indexes.has(quantization)) return state.indexes.get(quantization);
  const base = state.indexes.values().next().value;
  status(`Building the ${quantization} index from the originals of ${base.size.toLocaleString("en")} synsets…`);
  const started = performance.now();
  state.ids ??= await (await fetch("generated/ids.json")).json();
  const vectors = new Float32Array(state.ids.length * D);
  const metadata = [];
  for (const [i, id] of state.ids.entries()) {
    const stored = await base.get(id);
    vectors.set(stored.vector, i * D);
    metadata.push(stored.metadata);
  }
  const index = new Index({ dimensions: D, quantization, fields: { pos: "keyword" } });
  await index.add(state.ids, vectors, metadata);
  state.indexes.set(quantization, index);
  status(`Built the ${quantization} index in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return index;
}

function settings() {
  const k = Number($("k").value),
    oversampling = Number($("oversampling").value);
  if (!(Number.isInteger(k) && k >= 1 && k <= 100))
    throw new Error("Results (k) must be a whole number from 1 to 100.");
  if (!(oversampling >= 1 && oversampling <= 100)) throw new Error("Oversampling must be a number from 1 to 100.");
  // The index declares `pos` (quiver-build --field pos:keyword): a filter on it, not a pass
  // over the hits.
  const where = $("pos").value ? { pos: $("pos").value } : undefined;
  return { k, oversampling, rescore: $("rescore").checked, quantization: $("quantization").value, where };
}

// Search as the visitor types: 150 ms after the last keystroke, and an answer is shown only if
// no later search has started (each embedding takes tens of milliseconds, in the worker).
let typing;
let latest = 0;
$("query").addEventListener("input", () => {
  clearTimeout(typing);
  if (!$("query").disabled) typing = setTimeout(search, 150);
});
$("pos").addEventListener("change", () => {
  if (!$("query").disabled) search();
});

async function search(event) {
  event?.preventDefault();
  clearTimeout(typing);
  const text = $("query").value.trim();
  if (!text) return;
  const mine = ++latest;
  const stale = () => mine !== latest;
  try {
    const { k, oversampling, rescore, quantization, where } = settings();
    const index = await indexFor(quantization);
    let started = performance.now();
    const query = await state.embedder.embed(text);
    const embedding = performance.now() - started;
    if (stale()) return;
    started = performance.now();
    const hits = await index.search(query, { k, oversampling, rescore, where });
    const total = performance.now() - started;
    const [scan, , rescoring, rescored] = index.lastSearchTimings();
    const exact = new Set((await index.search(query, { k, exact: true, where })).map((hit) => hit.id));
    const agree = hits.filter((hit) => exact.has(hit.id)).length;

    const noteHits = state.notes.size > 0 ? await state.notes.search(query, { k: 3 }) : [];
    const [, reads] = state.notes.size > 0 ? state.notes.lastSearchTimings() : [0, 0];
    const embedderMemory = await state.embedder.memoryBytes();
    if (stale()) return;

    showHits($("hits"), hits, (hit) => [hit.metadata.words.join(", "), hit.metadata.pos, hit.metadata.definition]);
    showHits($("note-hits"), noteHits, (hit) => [hit.metadata.text, "note", ""]);
    $("agreement").textContent =
      `${agree} of these ${hits.length} are in the exact top ${k} (a scan of every original vector` +
      `${where ? ` of a ${where.pos}` : ""}).`;
    table("timings", [
      ["Embedding the query (wasm, in a worker)", ms(embedding)],
      [`Scan of ${index.size.toLocaleString("en")} ${index.quantization} codes`, ms(scan)],
      ["IndexedDB reads (your notes' originals)", state.notes.size > 0 ? ms(reads) : "no notes yet"],
      [
        rescore ? rescoringLabel(rescored, Math.min(Math.ceil(k * oversampling), index.size), k) : "Rescoring (off)",
        ms(rescoring),
      ],
      ["Search, in all", ms(total)],
    ]);
    table("memory", [
      ["WordNet index (codes, ids, originals, metadata)", mb(index.memoryBytes)],
      ["Search engine's wasm memory (all indexes)", mb(Index.wasmMemoryBytes)],
      ["Embedder's wasm memory (model weights)", mb(embedderMemory)],
    ]);
    status(`${hits.length} results for “${text}”.`);
  } catch (error) {
    if (!stale()) status(error.message, true);
  }
}

/** Fills the list `list` with hits; `describe(hit)` gives [title, kind, text]. */
function showHits(list, hits, describe) {
  list.replaceChildren(
    ...hits.map((hit) => {
      const [title, kind, text] = describe(hit);
      const item = document.createElement("li");
      const head = document.createElement("div");
      head.className = "hit-head";
      const name = document.createElement("strong");
      name.textContent = title;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${kind} · score ${hit.score.toFixed(3)}`;
      head.append(name, meta);
      item.append(head);
      if (text) {
        const definition = document.createElement("p");
        definition.textContent = text;
        item.append(definition);
      }
      return item;
    }),
  );
}

function table(id, rows) {
  $(id).tBodies[0].replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement("tr");
      for (const [i, text] of cells.entries()) {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
  $(id).hidden = false;
}

async function addNote(event) {
  event.preventDefault();
  const text = $("note").value.trim();
  if (!text) return;
  $("add").disabled = true;
  try {
    const vector = await state.embedder.embed(text);
    await state.notes.add([`note-${Date.now()}`], vector, [{ text, added: Date.now() }]);
    $("note").value = "";
    await showNotes();
    status("Note added and saved in IndexedDB.");
  } catch (error) {
    status(`The note was not saved: ${error.message}`, true);
  } finally {
    $("add").disabled = false;
  }
}

/** Lists every note, newest first (`list` pages in id order, 10,000 at most a page). */
async function showNotes() {
  const all = [];
  for (let page; !page || page.length === 10_000; ) {
    page = await state.notes.list({ after: all.at(-1)?.id, limit: 10_000 });
    all.push(...page);
  }
  all.sort((a, b) => b.metadata.added - a.metadata.added);
  $("note-count").textContent = String(all.length);
  $("notes").replaceChildren(
    ...all.map((note) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = note.metadata.text;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove the note “${note.metadata.text}”`);
      remove.addEventListener("click", async () => {
        await state.notes.delete([note.id]);
        await showNotes();
      });
      item.append(text, remove);
      return item;
    }),
  );
}

$("search").addEventListener("submit", search);
$("add-note").addEventListener("submit", addNote);
start().catch((error) => {
  status(`Could not start: ${error.message}. `, true);
  // A retry reloads the page: what did arrive is kept by the site's cache.
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => location.reload());
  $("status").append(retry);
});
