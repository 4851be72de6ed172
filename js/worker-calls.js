// The page side of a dedicated worker that answers calls: { id, op, args } out, and
// { id, ok, value, info } or { id, ok: false, name, message } back. Used by WorkerIndex
// (./worker.js) and WorkerEmbedder (./embedder-worker.js). Calls are answered in order;
// once the worker fails or is ended, pending and later calls reject with that error.

const ERRORS = { TypeError, RangeError };

export class WorkerCalls {
  #worker;
  #pending = new Map();
  #next = 0;
  #failure;

  /** `what` names the worker in its failure message; `onInfo(info)` gets each answer's info. */
  constructor(worker, what, onInfo = () => {}) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      this.#pending.delete(data.id);
      if (data.info) onInfo(data.info);
      if (data.ok) call.resolve(data.value);
      else call.reject(new (ERRORS[data.name] ?? Error)(data.message));
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.fail(new Error(`${what} failed: ${event.message ?? "it could not load"}`));
    };
  }

  /** Posts `op(args)`, transferring `transfer`; resolves with the worker's answer. */
  call(op, args, transfer = []) {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Ends the worker; pending and later calls reject with `error`. */
  terminate(error) {
    this.#worker.terminate();
    this.fail(error);
  }

  /** Rejects pending and later calls with `error` (the first failure wins). */
  fail(error) {
    this.#failure ??= error;
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }
}
