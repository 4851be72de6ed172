export type {
  Condition,
  FieldKind,
  Hit,
  IndexOptions,
  Listed,
  ListOptions,
  Metric,
  Quantization,
  SearchOptions,
  Where,
} from "./quiver.js";
export { Index } from "./quiver.js";

/** The kernel tiers: SIMD128, or SIMD128 plus relaxed SIMD's int8 dot product. */
export type Tier = "simd128" | "relaxed-simd";

export interface InitOptions {
  /** Force a tier instead of the fastest this engine runs exactly. */
  tier?: Tier;
  /** Where to fetch `file` ("quiver_bg.wasm" or "quiver_relaxed_bg.wasm") from, when it is
   * not served next to this module (a CDN, `chrome.runtime.getURL(...)`). */
  locate?: (file: string, tier: Tier) => string | URL;
}

/** Loads the wasm module once (browsers, workers, bundlers; in Node it is loaded on import
 * and this resolves at once). Call and await it before using `Index`. */
export default function init(options?: InitOptions): Promise<void>;
