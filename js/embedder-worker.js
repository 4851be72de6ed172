// WorkerEmbedder (exported by quiver/embedder in browsers): an Embedder that lives in a
// dedicated Web Worker, so that loading the model and embedding never block the page. Each
// call mirrors Embedder's and returns a promise; errors keep Embedder's messages and classes.
//
// Protocol (./embedder-thread.js, through ./worker-calls.js): { id, op, args } in;
// { id, ok, value } or { id, ok: false, name, message } out. Calls run in the order made.
//
// Model files given as URLs are resolved against the page (the worker's own URL is dist/);
// a Response is read here; bytes spanning their whole buffer are transferred (the caller's
// array is left empty), as WorkerIndex does with vectors.

import { transferable } from "./transfer.js";
import { WorkerCalls } from "./worker-calls.js";

const FILES = ["config", "tokenizer", "weights"];

/** `source` with every URL made absolute against the page and every Response read. */
async function resolved(source) {
  const here = globalThis.location?.href;
  const absolute = (value) =>
    typeof value === "string" || value instanceof URL ? new URL(String(value), here).href : value;
  if (typeof source === "string" || source instanceof URL) return absolute(source);
  if (!source || typeof source !== "object") return source; // the worker's Embedder says what is wrong
  const files = {};
  for (const key of FILES) {
    if (!(key in source)) return source;
    const value = source[key];
    files[key] = value instanceof Response ? new Uint8Array(await value.arrayBuffer()) : absolute(value);
  }
  return files;
}

export class WorkerEmbedder {
  #calls;
  #dimension;

  /** Use `WorkerEmbedder.load`. */
  constructor(worker) {
    this.#calls = new WorkerCalls(worker, "the embedder worker");
  }

  /** `Embedder.load(source)` in a new worker; the worker ends if that fails. */
  static async load(source) {
    // Literal `new Worker(new URL(...), { type: "module" })`: bundlers recognise this form.
    const worker = new Worker(new URL("./embedder-thread.js", import.meta.url), { type: "module" });
    const embedder = new WorkerEmbedder(worker);
    try {
      const files = await resolved(source);
      const arrays = files && typeof files === "object" ? FILES.map((key) => files[key]) : [];
      embedder.#dimension = await embedder.#calls.call("load", [files], transferable(arrays));
    } catch (error) {
      embedder.terminate();
      throw error;
    }
    return embedder;
  }

  /** Floats per embedding (384). */
  get dimension() {
    return this.#dimension;
  }

  /** As `Embedder.embed`: a flat Float32Array, texts.length x dimension, unit vectors. */
  embed(texts, options) {
    return this.#calls.call("embed", [texts, options]);
  }

  /** The worker's embedder module's linear memory in bytes (`Embedder.wasmMemoryBytes` there). */
  memoryBytes() {
    return this.#calls.call("memoryBytes", []);
  }

  /** Ends the worker and frees the model; pending calls reject. */
  terminate() {
    this.#calls.terminate(new Error("this WorkerEmbedder was terminated"));
  }
}
