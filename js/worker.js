// quiver/worker: an Index that lives in a dedicated Web Worker, so that adds and searches
// never block the page. Each call mirrors Index's and returns a promise; vectors are
// transferred to the worker (not copied) when an array spans its whole buffer, which
// leaves the caller's array empty (byteLength 0), as with any transfer.
//
// Protocol (./worker-thread.js): { id, op, args } in; { id, ok, value, info } or
// { id, ok: false, message } out. Calls run in the order they are made.

import { transferable } from "./transfer.js";

export class WorkerIndex {
  #worker;
  #pending = new Map();
  #next = 0;
  #info = {};
  #failure;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      this.#pending.delete(data.id);
      if (data.info) this.#info = data.info;
      if (data.ok) call.resolve(data.value);
      else call.reject(new Error(data.message));
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(new Error(`the quiver worker failed: ${event.message ?? "it could not load"}`));
    };
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
    this.#worker.terminate();
    this.#fail(new Error("this WorkerIndex was closed"));
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

  #call(op, args, transfer = []) {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  #fail(error) {
    this.#failure ??= error;
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }
}
