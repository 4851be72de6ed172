// quiver/worker: an Index that lives in a dedicated Web Worker, so that adds and searches
// never block the page. Each call mirrors Index's and returns a promise; vectors are
// transferred to the worker (not copied) when an array spans its whole buffer, which
// leaves the caller's array empty (byteLength 0), as with any transfer.
//
// Protocol (./worker-thread.js, through ./worker-calls.js): { id, op, args } in;
// { id, ok, value, info } or { id, ok: false, message } out. Calls run in the order made.

import { transferable } from "./transfer.js";
import { WorkerCalls } from "./worker-calls.js";

export class WorkerIndex {
  #calls;
  #info = {};

  constructor(worker) {
    this.#calls = new WorkerCalls(worker, "the quiver worker", (info) => {
      this.#info = info;
    });
  }

  /** A new worker whose index is made by `op`; the worker ends if that fails. */
  static async #start(op, args, transfer) {
    // Literal `new Worker(new URL(...), { type: "module" })`: bundlers recognise this form.
    const index = new WorkerIndex(new Worker(new URL("./worker-thread.js", import.meta.url), { type: "module" }));
    try {
      await index.#call(op, args, transfer);
    } catch (error) {
      index.terminate();
      throw error;
    }
    return index;
  }

  /** `new Index(options)` in a new worker. `init` is passed to the worker's `init()`. */
  static async create(options, init) {
    return WorkerIndex.#start("create", [options, init]);
  }

  /** `Index.open(name, options)` (IndexedDB) in a new worker. */
  static async open(name, options, init) {
    return WorkerIndex.#start("open", [name, options, init]);
  }

  /** `Index.fromBytes(bytes)` in a new worker; `bytes` is transferred. */
  static async fromBytes(bytes, init) {
    return WorkerIndex.#start("fromBytes", [bytes, init], transferable([bytes]));
  }

  add(ids, vectors, metadata) {
    const arrays = Array.isArray(vectors) ? vectors : [vectors];
    return this.#call("add", [ids, vectors, metadata], transferable(arrays));
  }

  search(query, options) {
    return this.#call("search", [query, options], transferable([query]));
  }

  delete(ids) {
    return this.#call("delete", [ids]);
  }

  count(where) {
    return this.#call("count", [where]);
  }

  list(options) {
    return this.#call("list", [options]);
  }

  get(id) {
    return this.#call("get", [id]);
  }

  toBytes(options) {
    return this.#call("toBytes", [options]);
  }

  /** Closes the index and ends the worker. */
  async close() {
    try {
      await this.#call("close", []);
    } finally {
      this.terminate();
    }
  }

  /** Ends the worker at once; pending calls reject. */
  terminate() {
    this.#calls.terminate(new Error("this WorkerIndex was closed"));
  }

  // As of the last call that finished (the worker's index may be shared with other
  // contexts through IndexedDB, like any Index).
  get size() {
    return this.#info.size;
  }
  get dimensions() {
    return this.#info.dimensions;
  }
  get metric() {
    return this.#info.metric;
  }
  get quantization() {
    return this.#info.quantization;
  }
  get memoryBytes() {
    return this.#info.memoryBytes;
  }
  /** The last search: [scan ms, IndexedDB reads ms, rescoring ms, originals read]. */
  lastSearchTimings() {
    return Float64Array.from(this.#info.lastSearchTimings ?? [0, 0, 0, 0]);
  }
  /** The kernel tier the worker runs. */
  get simd() {
    return this.#info.simd;
  }

  #call(op, args, transfer) {
    return this.#calls.call(op, args, transfer);
  }
}
