// Type-checks the shipped .d.ts (tsc --noEmit, in the examples test): each
// line marked as an expected error must be one, so types that decayed to `any` fail it.
import init, { type Hit, Index, type IndexOptions, type Listed, type Where } from "quiver";
import { WorkerEmbedder } from "quiver/embedder";
import { WorkerIndex } from "quiver/worker";

export async function checks(): Promise<Hit[]> {
  await init({ tier: "simd128" });
  // @ts-expect-error: not a tier
  await init({ tier: "avx2" });
  const options: IndexOptions = { dimensions: 4, metric: "cosine", quantization: "pq", pq: { bits: 4 } };
  // @ts-expect-error: not a quantization
  new Index({ dimensions: 4, quantization: "float16" });
  const index = new Index(options);
  // @ts-expect-error: ids are strings
  await index.add([1, 2], new Float32Array(8));
  const size: number = index.size;
  const notes = new Index({ dimensions: 4, fields: { pos: "keyword", year: "number", draft: "boolean" } });
  // @ts-expect-error: not a field kind
  new Index({ dimensions: 4, fields: { pos: "enum" } });
  const where: Where = { pos: ["noun", "verb"], year: { gte: 1950, lt: 1960 }, not: { draft: true } };
  const counted: number = await notes.count(where);
  const page: Listed[] = await notes.list({ where, after: "a", limit: 10 });
  await notes.search(new Float32Array(4), { k: 3, where });
  // @ts-expect-error: limit is a number
  await notes.list({ limit: "10" });
  console.log(counted, page[0]?.id);
  const remote = await WorkerIndex.create({ dimensions: 4 });
  // @ts-expect-error: the query is a Float32Array
  await remote.search([1, 2, 3, 4]);
  const deleted: number = await remote.delete(["a"]);
  const listed: number = (await remote.list({ where: { ids: ["a"] } })).length + (await remote.count());
  console.log(size, deleted, listed, remote.simd);
  const embedder = await WorkerEmbedder.load("model/");
  const vectors: Float32Array = await embedder.embed(["a cat"], { batch: 8 });
  // @ts-expect-error: texts are strings
  await embedder.embed([1]);
  const memory: number = await embedder.memoryBytes();
  console.log(vectors.length, embedder.dimension, memory);
  embedder.terminate();
  return index.search(new Float32Array(4), { k: 2, oversampling: 2 });
}
