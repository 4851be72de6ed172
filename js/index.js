// quiver for browsers, workers and bundlers: `await init()` once, then use `Index`.
//
// init() picks the kernel tier (./tier.js) and fetches its .wasm from next to this file.
// Both files are named in `new URL(..., import.meta.url)` form, which Vite, webpack and
// Parcel recognise and copy into the build output.
import initModule, { Index } from "./quiver.js";
import { chooseTier, WASM_FILES } from "./tier.js";

export { Index };

const URLS = {
  simd128: () => new URL("./quiver_bg.wasm", import.meta.url),
  "relaxed-simd": () => new URL("./quiver_relaxed_bg.wasm", import.meta.url),
};

let loading;

/** Loads the module once; later calls return the same promise (a failed load may be
 * retried). Options: `tier` forces "simd128" or "relaxed-simd"; `locate(file, tier)`
 * returns where to fetch a .wasm from (a CDN, an extension URL) instead of next to this file. */
export default function init(options = {}) {
  loading ??= (async () => {
    const tier = chooseTier(options.tier);
    const url = options.locate ? options.locate(WASM_FILES[tier], tier) : URLS[tier]();
    await initModule({ module_or_path: url });
  })().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
