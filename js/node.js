// quiver for Node >= 20: ready on import (the .wasm is read and compiled synchronously).
// `init` exists so that code shared with browsers may call it; here it does nothing.
// QUIVER_TIER=simd128 (or relaxed-simd) forces a tier, as init({ tier }) does in browsers.
import { readFileSync } from "node:fs";
import { Index, initSync } from "./quiver.js";
import { chooseTier, WASM_FILES } from "./tier.js";

const tier = chooseTier(process.env.QUIVER_TIER || undefined);
initSync({ module: readFileSync(new URL(`./${WASM_FILES[tier]}`, import.meta.url)) });

export { Index };

/** Already loaded on import; resolves at once. */
export default async function init(_options) {}
