// quiver's embedder for Node >= 20: the .wasm is compiled on import; model files are read
// from paths or file: URLs (http(s) URLs are fetched).

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { defineEmbedder, fetchBytes } from "./embedder-common.js";
import { EmbedderCore, initSync } from "./quiver_embed.js";

const wasm = initSync({ module: readFileSync(new URL("./quiver_embed_bg.wasm", import.meta.url)) });

async function read(location) {
  const text = String(location);
  if (/^https?:/.test(text)) return fetchBytes(text);
  try {
    return new Uint8Array(await readFile(text.startsWith("file:") ? new URL(text) : text));
  } catch (error) {
    throw new Error(`Embedder.load: could not read ${text}: ${error.message}`);
  }
}

export const Embedder = defineEmbedder(
  EmbedderCore,
  async () => {},
  read,
  () => wasm.memory.buffer.byteLength,
);
