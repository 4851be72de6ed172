// Several pages and a worker on one persistent index, in headless Chromium: writes from any
// of them are seen by the others at their next call, concurrent writers lose nothing, and a
// schema upgrade or deletion by another context neither deadlocks nor corrupts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES, quiverPage, withBrowser } from "./quiver-page.mjs";

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine);

    const D = 32;

    /** Opens `name` in the page as `window.index` (creating it with `options`). */
    const open = (page, name, options) =>
      page.evaluate(
        async ([name, options]) => {
          window.index = await quiver.Index.open(name, options ?? undefined);
          return index.size;
        },
        [name, options],
      );

    /** Adds ids `${prefix}${first}..` with the shared pseudo-random vectors. */
    const add = (page, prefix, first, n) =>
      page.evaluate(
        async ([prefix, first, n, d]) => {
          const ids = Array.from({ length: n }, (_, i) => `${prefix}${first + i}`);
          await index.add(
            ids,
            vectors(first, n, d),
            ids.map((id) => ({ id })),
          );
          return index.size;
        },
        [prefix, first, n, D],
      );

    /** Searches 3 fixed queries (exact and rescored); returns the hits and the size after. */
    const probe = (page) =>
      page.evaluate(async (d) => {
        const hits = [];
        for (let q = 0; q < 3; q++) {
          hits.push(await index.search(vectors(10_000 + q, 1, d), { k: 8, exact: true }));
          hits.push(await index.search(vectors(10_000 + q, 1, d), { k: 8 }));
        }
        return { hits, size: index.size };
      }, D);

    test("two pages on one index see each other's writes at their next call", async () => {
      const context = await env.browser.newContext();
      const [a, b] = [await quiverPage(context, env.base), await quiverPage(context, env.base)];
      assert.equal(await open(a, "shared", { dimensions: D, quantization: "binary" }), 0);
      assert.equal(await open(b, "shared"), 0);

      // A crosses the fit threshold (256); B, still at generation 0, must catch up on its own.
      assert.equal(await add(a, "a", 0, 300), 300);
      const seenByB = await probe(b);
      assert.equal(seenByB.size, 300, "B's search reloaded A's write");
      assert.deepEqual(seenByB, await probe(a), "both pages answer the same");
      const get = (page, id) =>
        page.evaluate(async (id) => {
          const found = await index.get(id);
          return found && { metadata: found.metadata, vector: Array.from(found.vector) };
        }, id);
      assert.equal((await get(b, "a7")).metadata.id, "a7");
      assert.deepEqual(await get(b, "a7"), await get(a, "a7"));

      // B upserts half of A's ids and deletes others; A's next call sees all of it.
      assert.equal(await add(b, "a", 150, 300), 450);
      assert.equal(await b.evaluate(() => index.delete(["a0", "a1", "a2", "missing"])), 3);
      const after = await probe(a);
      assert.equal(after.size, 447);
      assert.deepEqual(after, await probe(b));
      assert.equal(await get(a, "a1"), undefined, "A sees B's delete");

      // Writes racing from both pages: every one lands, none overwrites another.
      await Promise.all([
        a.evaluate(async (d) => {
          for (let i = 0; i < 20; i++) await index.add([`ra${i}`], vectors(20_000 + i, 1, d));
        }, D),
        b.evaluate(async (d) => {
          for (let i = 0; i < 20; i++) await index.add([`rb${i}`], vectors(30_000 + i, 1, d));
        }, D),
      ]);
      const fresh = await quiverPage(context, env.base);
      assert.equal(await open(fresh, "shared"), 487, "a fresh page finds all 40 racing adds");
      assert.deepEqual(await probe(fresh), await probe(a));
      assert.deepEqual(await probe(fresh), await probe(b));
      for (const page of [a, b, fresh]) assert.deepEqual(page.errors, []);
      await context.close();
    });

    test("a page and a worker on one index see each other's writes", async () => {
      const context = await env.browser.newContext();
      const page = await quiverPage(context, env.base);
      await open(page, "worker-shared", { dimensions: D, quantization: "int8" });
      await add(page, "p", 0, 300);
      const fromWorker = await page.evaluate(async (d) => {
        // A module worker that opens the same index, adds, and reports what it sees.
        const source = `
      import init, { Index } from "${location.origin}/dist/index.js";
      await init();
      const index = await Index.open("worker-shared");
      const before = index.size;
      const v = new Float32Array(${d} * 5).map((_, i) => Math.cos(i));
      await index.add(["w0", "w1", "w2", "w3", "w4"], v, [1, 2, 3, 4, 5]);
      await index.delete(["p0"]);
      postMessage({ before, after: index.size, got: await index.get("p3") });`;
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        const worker = new Worker(url, { type: "module" });
        return new Promise((resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
        });
      }, D);
      assert.equal(fromWorker.before, 300);
      assert.equal(fromWorker.after, 304);
      assert.deepEqual(fromWorker.got.metadata, { id: "p3" });
      const seen = await page.evaluate(async () => {
        const w2 = await index.get("w2");
        return { w2: w2?.metadata, p0: await index.get("p0"), size: index.size };
      });
      assert.deepEqual(seen, { w2: 3, p0: undefined, size: 304 });
      assert.deepEqual(page.errors, []);
      await context.close();
    });

    test("an upgrade or deletion by another page closes the index cleanly, without deadlock", async () => {
      const context = await env.browser.newContext();
      const [holder, other] = [await quiverPage(context, env.base), await quiverPage(context, env.base)];
      await open(holder, "upgraded", { dimensions: D });
      await add(holder, "h", 0, 100);
      await open(holder, "deleted", { dimensions: D });
      await add(holder, "h", 0, 10);
      await holder.evaluate(async () => {
        window.upgraded = await quiver.Index.open("upgraded");
        window.deleted = await quiver.Index.open("deleted");
      });

      // A newer build upgrades the schema while the holder has it open: the upgrade must go
      // through (the holder's connection closes on `versionchange`), not wait forever.
      const upgrade = await other.evaluate(
        () =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve("blocked for 10 s"), 10_000);
            const request = indexedDB.open("quiver:upgraded", 2);
            request.onupgradeneeded = () => request.result.createObjectStore("future");
            request.onsuccess = async () => {
              clearTimeout(timer);
              const db = request.result;
              const pages = await new Promise((r) => {
                const count = db.transaction("pages").objectStore("pages").count();
                count.onsuccess = () => r(count.result);
              });
              db.close();
              resolve({ version: db.version, pages });
            };
            request.onerror = () => resolve(String(request.error));
          }),
      );
      assert.deepEqual(upgrade, { version: 2, pages: 1 }, "the upgrade ran and kept the data");
      const deletion = await other.evaluate(
        () =>
          new Promise((resolve) => {
            const request = indexedDB.deleteDatabase("quiver:deleted");
            request.onsuccess = () => resolve("deleted");
            request.onblocked = () => resolve("blocked");
            request.onerror = () => resolve(String(request.error));
          }),
      );
      assert.equal(deletion, "deleted");

      const after = await holder.evaluate(async (d) => {
        const message = (p) =>
          p.then(
            () => "resolved",
            (e) => e.message,
          );
        return {
          search: await message(upgraded.search(vectors(0, 1, d))),
          add: await message(deleted.add(["x"], vectors(0, 1, d))),
          reopen: await message(quiver.Index.open("upgraded")),
        };
      }, D);
      assert.match(after.search, /deleted or upgraded .* in another tab or worker.*open it again/);
      assert.match(after.add, /deleted or upgraded .* in another tab or worker/);
      assert.match(after.reopen, /written by a newer quiver/);
      await context.close();
    });
  });
}
