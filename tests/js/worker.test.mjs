// quiver/worker in real Chromium: a WorkerIndex answers exactly as an Index in the page,
// transfers whole vectors instead of copying them, rejects bad input with Index's message,
// and a persistent index written from the worker is there for the page.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES, withBrowser } from "./quiver-page.mjs";

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine);

    test("a WorkerIndex mirrors Index, off the main thread", async () => {
      const page = await env.browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async () => {
        const { default: init, Index } = await import("/dist/index.js");
        const { WorkerIndex } = await import("/dist/worker.js");
        await init();
        const d = 64,
          n = 3000;
        const { hashed } = await import("/shared/helpers.mjs");
        const make = () => hashed(n * d);
        const ids = Array.from({ length: n }, (_, i) => `v${i}`);
        const meta = ids.map((id, i) => ({ id, i }));
        const options = { dimensions: d, quantization: "int8", fields: { i: "number" } };

        const local = new Index(options);
        await local.add(ids, make(), meta);
        const remote = await WorkerIndex.create(options);
        const sent = make();
        await remote.add(ids, sent, meta);

        const queries = make();
        const same = [];
        for (let q = 0; q < 20; q++) {
          const query = queries.slice(q * 97 * d, (q * 97 + 1) * d);
          const a = await local.search(query, { k: 5 });
          const b = await remote.search(query.subarray(0), { k: 5 }); // a view of a whole buffer
          same.push(JSON.stringify(a) === JSON.stringify(b));
        }
        // A part of a larger buffer is copied, not transferred: the caller keeps it.
        const part = queries.subarray(d, 2 * d);
        await remote.search(part, { k: 1 });

        const badMessages = [];
        for (const [ix, call] of [
          [local, (i) => i.search(new Float32Array(3))],
          [remote, (i) => i.search(new Float32Array(3))],
        ]) {
          try {
            await call(ix);
            badMessages.push("no error");
          } catch (e) {
            badMessages.push(e instanceof Error ? e.message : `not an Error: ${e}`);
          }
        }
        const got = await remote.get("v7");
        const where = { i: { gte: 10, lt: 20 } };
        const filtered = {
          count: await remote.count(where),
          list: (await remote.list({ where, after: "v15" })).map((e) => e.id),
          same:
            JSON.stringify(await remote.search(queries.slice(0, d), { k: 3, where })) ===
            JSON.stringify(await local.search(queries.slice(0, d), { k: 3, where })),
        };
        const bytes = await remote.toBytes();
        const copy = Index.fromBytes(bytes);
        const fromCopy = await copy.search(queries.slice(0, d), { k: 3 });
        const fromRemote = await remote.search(queries.slice(0, d), { k: 3 });
        const deleted = await remote.delete(["v1", "v2", "nope"]);
        const info = {
          size: remote.size,
          dimensions: remote.dimensions,
          quantization: remote.quantization,
          simd: remote.simd,
          memory: remote.memoryBytes > 0,
          // The worker's in-memory index reads nothing from IndexedDB.
          timings: Array.from(remote.lastSearchTimings(), (v, phase) => (phase === 1 ? v : v >= 0)),
        };
        await remote.close();
        let afterClose = "";
        try {
          await remote.search(queries.slice(0, d));
        } catch (e) {
          afterClose = e.message;
        }
        return {
          same,
          transferred: sent.byteLength,
          partKept: part.byteLength,
          badMessages,
          got: { metadata: got.metadata, length: got.vector.length },
          bytesMatch: JSON.stringify(fromCopy) === JSON.stringify(fromRemote),
          deleted,
          info,
          afterClose,
          filtered,
        };
      });
      assert.deepEqual(result.same, new Array(20).fill(true));
      assert.equal(result.transferred, 0, "the whole vector array was transferred");
      assert.equal(result.partKept, 64 * 4, "a subarray of a larger buffer is copied");
      assert.deepEqual(result.badMessages, new Array(2).fill("vector 0 has 3 values, but the index has 64 dimensions"));
      assert.deepEqual(result.got, { metadata: { id: "v7", i: 7 }, length: 64 });
      assert.ok(result.bytesMatch);
      assert.deepEqual(result.filtered, { count: 10, list: ["v16", "v17", "v18", "v19"], same: true });
      assert.equal(result.deleted, 2);
      assert.deepEqual(result.info, {
        size: 2998,
        dimensions: 64,
        quantization: "int8",
        simd: "relaxed-simd",
        memory: true,
        timings: [true, 0, true, true],
      });
      assert.equal(result.afterClose, "this WorkerIndex was closed");
      assert.deepEqual(errors, []);
      await page.close();
    });

    test("a persistent WorkerIndex writes what the page then opens", async () => {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async () => {
        const { default: init, Index } = await import("/dist/index.js");
        const { WorkerIndex } = await import("/dist/worker.js");
        await init();
        const d = 32;
        const vector = (seed) => Float32Array.from({ length: d }, (_, j) => Math.sin(seed * 7.1 + j));
        const remote = await WorkerIndex.open("notes", { dimensions: d });
        await remote.add(["a", "b", "c"], [vector(1), vector(2), vector(3)], [{ t: "A" }, { t: "B" }, { t: "C" }]);
        await remote.close();
        const index = await Index.open("notes");
        const hits = await index.search(vector(2), { k: 1 });
        let wrongOptions = "";
        try {
          await WorkerIndex.open("notes", { dimensions: 8 });
        } catch (e) {
          wrongOptions = e.message;
        }
        return { size: index.size, hit: hits[0].id, metadata: hits[0].metadata, wrongOptions };
      });
      assert.deepEqual(
        { size: result.size, hit: result.hit, metadata: result.metadata },
        { size: 3, hit: "b", metadata: { t: "B" } },
      );
      assert.match(result.wrongOptions, /index "notes" is stored with dimensions 32/);
      await context.close();
    });
  });
}
