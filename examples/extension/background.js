// A Manifest V3 service worker that keeps a persistent quiver index in IndexedDB and
// searches it offline. Copy node_modules/quiver/dist into this folder as ./quiver/
// (service workers cannot resolve bare "quiver" imports without a bundler), and allow
// WebAssembly with 'wasm-unsafe-eval' in the manifest's content_security_policy.
import init, { Index } from "./quiver/index.js";

const dimensions = 16;
/** @param {number} seed */
const vector = (seed) =>
  Float32Array.from({ length: dimensions }, (_, j) => (Math.sin(seed * 12.9898 + j * 78.233) * 43758.5453) % 1);

/** Whether this run built the notes (false when they were already stored). */
let builtNow = false;

/** The notes index: created on the first run, reopened (ready to search) afterwards. */
async function openNotes() {
  await init();
  const index = await Index.open("notes", { dimensions, quantization: "int8" });
  if (index.size === 0) {
    builtNow = true;
    const ids = Array.from({ length: 500 }, (_, i) => `note-${i}`);
    await index.add(
      ids,
      ids.map((_, i) => vector(i)),
      ids.map((id) => ({ title: `Note ${id}` })),
    );
  }
  return index;
}
const notes = openNotes();

/** Searches the notes for the vector made from `seed`; answers messages from the
 * extension's pages, and is what the example's test calls. */
async function search(/** @type {number} */ seed, k = 3) {
  const index = await notes;
  const hits = await index.search(vector(seed), { k });
  return { simd: Index.simd, size: index.size, builtNow, hits: hits.map((h) => h.id) };
}
Object.assign(globalThis, { search });

chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  search(message.seed, message.k).then(reply, (error) => reply({ error: String(error) }));
  return true; // reply asynchronously
});
