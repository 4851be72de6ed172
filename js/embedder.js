// quiver's embedder for browsers, workers and bundlers: `await Embedder.load(url)`. A module of
// its own (its .wasm is about 1.1 MB gzipped): the core package never loads it.

import { defineEmbedder, fetchBytes } from "./embedder-common.js";
import initModule, { EmbedderCore } from "./quiver_embed.js";

let loading, wasm;
/** Loads the wasm module once; a failed load may be retried. */
function ready() {
  loading ??= initModule({ module_or_path: new URL("./quiver_embed_bg.wasm", import.meta.url) }).then(
    (exports) => {
      wasm = exports;
    },
    (error) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

export const Embedder = defineEmbedder(EmbedderCore, ready, fetchBytes, () => wasm?.memory.buffer.byteLength ?? 0);

// The same, in a dedicated Web Worker (browsers).
export { WorkerEmbedder } from "./embedder-worker.js";
