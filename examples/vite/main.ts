// quiver in an app built with Vite: `init()` once, then Index on the page and WorkerIndex
// off the main thread. Vite copies both .wasm tiers and bundles the worker by itself.
import init, { type Hit, Index } from "quiver";
import { WorkerIndex } from "quiver/worker";

const dimensions = 16;
const vector = (seed: number): Float32Array =>
  Float32Array.from({ length: dimensions }, (_, j) => (Math.sin(seed * 12.9898 + j * 78.233) * 43758.5453) % 1);
const ids = Array.from({ length: 2000 }, (_, i) => `item-${i}`);

async function main(): Promise<void> {
  await init();
  const index = new Index({ dimensions, quantization: "binary" });
  await index.add(
    ids,
    ids.map((_, i) => vector(i)),
  );
  const hits: Hit[] = await index.search(vector(7), { k: 3 });

  const remote = await WorkerIndex.create({ dimensions, quantization: "int8" });
  await remote.add(
    ids,
    ids.map((_, i) => vector(i)),
  );
  const remoteHits = await remote.search(vector(7), { k: 3 });
  await remote.close();

  const status = document.getElementById("status");
  if (!status) throw new Error("the page has no #status element");
  status.textContent = JSON.stringify({
    simd: Index.simd,
    page: hits.map((h) => h.id),
    worker: remoteHits.map((h) => h.id),
  });
  status.dataset.done = "true";
}

main().catch((error: unknown) => {
  const status = document.getElementById("status");
  if (status) status.textContent = `failed: ${error}`;
});
