// The browser build in real headless Chromium (Debian's, driven by playwright-core) and
// Firefox (Debian's firefox-esr, driven by puppeteer-core), served
// from 127.0.0.1 exactly as `npm start` serves it: the documented `init()` + `Index` path,
// and the synthetic-data playground page end to end (the WordNet demo: demo.test.mjs).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES, withBrowser } from "./quiver-page.mjs";
import { ui } from "./ui.mjs";

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine);

    test("the README's browser snippet: init() then Index works in a page", async () => {
      const page = await env.browser.newPage();
      await page.goto(`${env.base}/blank`); // any URL of the origin (a 404), for module imports
      const result = await page.evaluate(async () => {
        const { default: init, Index } = await import("/dist/index.js");
        const { hashed } = await import("/shared/helpers.mjs");
        await init();
        const index = new Index({ dimensions: 384, quantization: "int8" });
        const n = 2000,
          d = 384,
          data = hashed(n * d);
        await index.add(
          Array.from({ length: n }, (_, i) => `v${i}`),
          data,
        );
        const hits = await index.search(data.subarray(7 * d, 8 * d), { k: 3 });
        let error = "";
        try {
          await index.search(new Float32Array(3));
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
        return { simd: Index.simd, first: hits[0].id, count: hits.length, error };
      });
      assert.deepEqual(result, {
        // Chromium has exact relaxed SIMD (114+), so init() picks that tier.
        simd: "relaxed-simd",
        first: "v7",
        count: 3,
        error: "vector 0 has 3 values, but the index has 384 dimensions",
      });
      await page.close();
    });

    test("the playground page builds an index and reports recall against exact search", async () => {
      const page = await env.browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${env.base}/playground.html`);
      const { waitText, select, click, rows: table } = ui(page);
      await waitText("Engine ready (relaxed-simd)");
      await select("#count", "10000");
      await select("#quantization", "int8");
      await click("#build");
      await waitText("Built a int8 index of 10,000 vectors.", 60_000);
      await click("#query");
      await waitText("Ran 50 queries.", 60_000);
      const rows = await table("#results tr");
      const recall = Number(rows.find(([name]) => name.startsWith("Recall@10"))[1]);
      assert.ok(recall >= 0.99, `int8 recall@10 in the demo: ${recall}`);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
}
