// The `Embedder` class shared by the browser (embedder.js) and Node (embedder-node.js) entry
// points; they differ only in how the wasm module loads and how model files are read.

/** The files a sentence-transformers repository holds that the embedder reads. */
export const MODEL_FILES = { config: "config.json", tokenizer: "tokenizer.json", weights: "model.safetensors" };

/** Bytes of one model file given as bytes, a Response, or a URL/path for `read` to fetch. */
async function bytesOf(name, value, read) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof Response !== "undefined" && value instanceof Response) return responseBytes(value, name);
  if (typeof value === "string" || value instanceof URL) return read(value);
  throw new TypeError(
    `Embedder.load: files.${name} is ${describe(value)}; expected a Uint8Array, an ArrayBuffer, a Response, or a URL`,
  );
}

async function responseBytes(response, what) {
  if (!response.ok) throw new Error(`Embedder.load: ${what} answered HTTP ${response.status} (${response.url})`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Reads a URL with fetch, failing with the URL and status rather than parsing an error page. */
export async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Embedder.load: could not fetch ${url}: ${error.message}`);
  }
  return responseBytes(response, `GET ${url}`);
}

const describe = (value) => (value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`);

/** Returns the Embedder class over the wasm binding `Core`, once `ready()` has resolved;
 * `read(urlOrPath)` fetches one file; `memoryBytes()` is the module's linear memory size. */
export function defineEmbedder(Core, ready, read, memoryBytes) {
  return class Embedder {
    /** Size of the embedder module's linear memory in bytes (the model's weights, about
     * 90 MB, and working memory); 0 before the first load. It only grows. */
    static get wasmMemoryBytes() {
      return memoryBytes();
    }

    #core;

    /** Use `Embedder.load`. */
    constructor(core) {
      this.#core = core;
    }

    /** Loads all-MiniLM-L6-v2 (or another BERT sentence-transformers model): `source` is the
     * folder that holds config.json, tokenizer.json and model.safetensors (a URL, or in Node a
     * path), or `{ config, tokenizer, weights }`, each bytes, a Response or a URL. */
    static async load(source) {
      let files;
      if (typeof source === "string" || source instanceof URL) {
        const base = String(source).endsWith("/") ? String(source) : `${source}/`;
        files = Object.fromEntries(Object.entries(MODEL_FILES).map(([key, file]) => [key, base + file]));
      } else if (source && typeof source === "object") {
        files = source;
        for (const key of Object.keys(MODEL_FILES)) {
          if (!(key in files))
            throw new TypeError(`Embedder.load: files.${key} is missing; expected { config, tokenizer, weights }`);
        }
      } else {
        throw new TypeError(
          `Embedder.load: source is ${describe(source)}; expected a folder URL or { config, tokenizer, weights }`,
        );
      }
      const [, config, tokenizer, weights] = await Promise.all([
        ready(),
        ...Object.keys(MODEL_FILES).map((key) => bytesOf(key, files[key], read)),
      ]);
      return new Embedder(new Core(config, tokenizer, weights));
    }

    /** Floats per embedding (384). */
    get dimension() {
      return this.#alive().dimension;
    }

    /** Embeds a text or an array of texts into a flat Float32Array (texts.length x dimension),
     * unit length, ready for `Index.add` and `Index.search`. `options.batch`: texts per model
     * call (default 32). */
    async embed(texts, options = {}) {
      const list = typeof texts === "string" ? [texts] : texts;
      if (!Array.isArray(list))
        throw new TypeError(`embed: texts is ${describe(texts)}; expected a string or an array of strings`);
      const bad = list.findIndex((text) => typeof text !== "string");
      if (bad >= 0) throw new TypeError(`embed: texts[${bad}] is ${describe(list[bad])}; expected a string`);
      const { batch } = options;
      if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) {
        throw new RangeError(`embed: options.batch is ${batch}; expected an integer >= 1`);
      }
      return this.#alive().embed(list, batch);
    }

    /** Frees the model's memory (about 90 MB); the embedder cannot be used afterwards. */
    free() {
      this.#core?.free();
      this.#core = undefined;
    }

    #alive() {
      if (!this.#core) throw new Error("this Embedder was freed");
      return this.#core;
    }
  };
}
