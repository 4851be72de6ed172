/** Model files as bytes, a fetch Response, or where to read them from. */
export type ModelFile = Uint8Array | ArrayBuffer | ArrayBufferView | Response | string | URL;

export interface ModelFiles {
  /** config.json */
  config: ModelFile;
  /** tokenizer.json */
  tokenizer: ModelFile;
  /** model.safetensors (float32, float16 or bfloat16) */
  weights: ModelFile;
}

export interface EmbedOptions {
  /** Texts per model call (default 32); texts are sorted by length into batches. */
  batch?: number;
}

/** sentence-transformers/all-MiniLM-L6-v2 in wasm: word pieces truncated to 256, BERT, mean
 * pooling, L2 normalisation, as sentence-transformers computes it. */
export class Embedder {
  private constructor();
  /** `source`: the folder (URL, or in Node a path) holding config.json, tokenizer.json and
   * model.safetensors, or the three files. */
  static load(source: string | URL | ModelFiles): Promise<Embedder>;
  /** Floats per embedding (384). */
  readonly dimension: number;
  /** Size of the embedder module's linear memory in bytes (weights and working memory); 0
   * before the first load. It only grows. */
  static readonly wasmMemoryBytes: number;
  /** A flat Float32Array, texts.length x dimension, unit vectors, row i for text i. */
  embed(texts: string | string[], options?: EmbedOptions): Promise<Float32Array>;
  /** Frees the model's memory; the embedder cannot be used afterwards. */
  free(): void;
}

/** An Embedder in a dedicated Web Worker, so that loading the model and embedding never
 * block the page (browsers: `quiver/embedder`'s browser entry; not in Node). Model URLs are
 * resolved against the page; bytes spanning their whole buffer are transferred. */
export class WorkerEmbedder {
  private constructor();
  /** As `Embedder.load`, in a new worker; the worker ends if loading fails. */
  static load(source: string | URL | ModelFiles): Promise<WorkerEmbedder>;
  /** Floats per embedding (384). */
  readonly dimension: number;
  /** As `Embedder.embed`. */
  embed(texts: string | string[], options?: EmbedOptions): Promise<Float32Array>;
  /** The worker's embedder module's linear memory in bytes. */
  memoryBytes(): Promise<number>;
  /** Ends the worker and frees the model; pending and later calls reject. */
  terminate(): void;
}
