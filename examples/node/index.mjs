// quiver in Node >= 20: `npm install quiver`, then `node index.mjs`.
// Ready on import; no init call. Prints the two nearest neighbours of a query.
import { Index } from "quiver";

const dimensions = 8;
/** @param {number} seed */
const vector = (seed) =>
  Float32Array.from({ length: dimensions }, (_, j) => (Math.sin(seed * 12.9898 + j * 78.233) * 43758.5453) % 1);

const index = new Index({ dimensions, quantization: "int8" });
const ids = Array.from({ length: 1000 }, (_, i) => `doc-${i}`);
await index.add(
  ids,
  ids.map((_, i) => vector(i)),
  ids.map((id) => ({ title: id.toUpperCase() })),
);

const hits = await index.search(vector(42), { k: 2 });
console.log(JSON.stringify({ simd: Index.simd, size: index.size, hits: hits.map((h) => h.id) }));
