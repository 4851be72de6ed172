import type { InitOptions, Tier } from "./index.js";
import type { Hit, IndexOptions, Listed, ListOptions, Metric, Quantization, SearchOptions, Where } from "./quiver.js";

/** An Index in a dedicated Web Worker: the same calls, each returning a promise. Vectors
 * (and `fromBytes` bytes) are transferred, not copied, when an array spans its whole
 * ArrayBuffer: the caller's array is left empty. */
export class WorkerIndex {
  /** `new Index(options)` in a new worker. */
  static create(options: IndexOptions, init?: InitOptions): Promise<WorkerIndex>;
  /** `Index.open(name, options)` (IndexedDB) in a new worker. */
  static open(name: string, options?: IndexOptions, init?: InitOptions): Promise<WorkerIndex>;
  /** `Index.fromBytes(bytes)` in a new worker. */
  static fromBytes(bytes: Uint8Array, init?: InitOptions): Promise<WorkerIndex>;

  add(ids: string[], vectors: Float32Array | Float32Array[], metadata?: unknown[]): Promise<void>;
  search(query: Float32Array, options?: SearchOptions): Promise<Hit[]>;
  delete(ids: string[]): Promise<number>;
  /** How many vectors `where` selects (all without it). */
  count(where?: Where): Promise<number>;
  /** A page of ids and metadata in id order. */
  list(options?: ListOptions): Promise<Listed[]>;
  get(id: string): Promise<{ vector?: Float32Array; metadata?: unknown } | undefined>;
  toBytes(options?: { originals?: boolean }): Promise<Uint8Array>;
  /** Closes the index, then ends the worker. */
  close(): Promise<void>;
  /** Ends the worker at once; pending calls reject. */
  terminate(): void;

  /** As of the last finished call. */
  readonly size: number;
  readonly dimensions: number;
  readonly metric: Metric;
  readonly quantization: Quantization;
  readonly memoryBytes: number;
  /** The last search: [scan ms, IndexedDB reads ms, rescoring ms, originals read]. */
  lastSearchTimings(): Float64Array;
  /** The kernel tier the worker runs. */
  readonly simd: Tier;
}
