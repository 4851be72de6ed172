// The worker side of WorkerEmbedder (./embedder-worker.js): one Embedder, calls answered in
// the order they arrive. Embeddings are transferred back, not copied.

import { Embedder } from "./embedder.js";

let embedder;
let queue = Promise.resolve();

const ops = {
  async load([source]) {
    embedder = await Embedder.load(source);
    return { value: embedder.dimension };
  },
  async embed([texts, options]) {
    const vectors = await embedder.embed(texts, options);
    return { value: vectors, transfer: [vectors.buffer] };
  },
  memoryBytes() {
    return { value: Embedder.wasmMemoryBytes };
  },
};

self.onmessage = ({ data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      const { value, transfer = [] } = await ops[op](args);
      self.postMessage({ id, ok: true, value }, transfer);
    } catch (error) {
      self.postMessage({ id, ok: false, name: error?.name, message: error?.message ?? String(error) });
    }
  });
};
