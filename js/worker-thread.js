// The worker side of quiver/worker (./worker.js): one Index per worker.
import init, { Index } from "./index.js";
import { transferable } from "./transfer.js";

let index;

/** Runs one call; returns [value, buffers to transfer back]. */
async function run(op, args) {
  switch (op) {
    case "create":
      await init(args[1]);
      index = new Index(args[0]);
      return [];
    case "open":
      await init(args[2]);
      index = await Index.open(args[0], args[1]);
      return [];
    case "fromBytes":
      await init(args[1]);
      index = Index.fromBytes(args[0]);
      return [];
    case "add":
      return [await index.add(...args)];
    case "search":
      return [await index.search(...args)];
    case "delete":
      return [await index.delete(...args)];
    case "count":
      return [await index.count(...args)];
    case "list":
      return [await index.list(...args)];
    case "get": {
      const entry = await index.get(...args);
      return [entry, transferable([entry?.vector])];
    }
    case "toBytes": {
      const bytes = index.toBytes(...args);
      return [bytes, transferable([bytes])];
    }
    case "close":
      await index.close();
      index.free();
      index = undefined;
      return [];
    default:
      throw new Error(`unknown call ${op}`);
  }
}

/** The index's getters, for WorkerIndex's synchronous ones (none once it is closed). */
function info() {
  try {
    const { size, dimensions, metric, quantization, memoryBytes } = index;
    const lastSearchTimings = index.lastSearchTimings();
    return { size, dimensions, metric, quantization, memoryBytes, lastSearchTimings, simd: Index.simd };
  } catch {
    return undefined;
  }
}

// Messages are handled as they arrive; Index runs its calls in the order they are made.
self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    const [value, transfer = []] = await run(op, args);
    self.postMessage({ id, ok: true, value, info: info() }, transfer);
  } catch (error) {
    self.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error), info: info() });
  }
};
