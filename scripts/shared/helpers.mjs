// Helpers of the tests and benchmarks, written once. Browser-safe (no imports): Node code
// imports this file, and pages served by scripts/serve.mjs import it from
// /shared/helpers.mjs (inside `page.evaluate`).

/** The median of `xs` (the upper one of an even count); `xs` is not changed. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A pseudo-random value in (-1, 1) for the integer `i`: the fraction of a sine hash, the
 * same in every engine. */
export const hash = (i) => (Math.sin(i * 12.9898) * 43758.5453) % 1;

/** `length` values, value `i` = `hash(i)`. */
export function hashed(length) {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = hash(i);
  return out;
}

/** `n` vectors of `d` values, row-major, rows `first..first + n` of an endless sequence:
 * value `j` of row `r` hashes `(r, j)`, so pages and workers make the same vectors. */
export function vectors(first, n, d) {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (Math.sin((first + i) * 12.9898 + j * 78.233) * 43758.5453) % 1;
  }
  return out;
}
