// The two kernel tiers in real Chromium and Firefox: init() picks relaxed SIMD in both, a
// tier can be forced, and both tiers return identical results (ids and scores bit for bit)
// for every quantization and metric, at a dimension that is not a multiple of 16 (kernel
// tails).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ENGINES, withBrowser } from "./quiver-page.mjs";

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine);

    test("the browser gets the relaxed tier; a tier can be forced and its .wasm located", async () => {
      const page = await env.browser.newPage();
      // A page of the origin that does not load quiver itself (the demo at / calls init()).
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async () => {
        const tier = await import("/dist/tier.js");
        const { default: init, Index } = await import("/dist/index.js");
        // `locate` says where each .wasm is fetched from (here the same place, by another URL).
        const located = [];
        await init({
          tier: "simd128",
          locate: (file, chosen) => {
            located.push([file, chosen]);
            return new URL(`/dist/${file}?located`, location.origin);
          },
        });
        const errors = [];
        try {
          tier.chooseTier("avx512");
        } catch (e) {
          errors.push(e.message);
        }
        return { chosen: tier.chooseTier(), exact: tier.hasExactRelaxedDot(), forced: Index.simd, located, errors };
      });
      assert.deepEqual(result, {
        chosen: "relaxed-simd",
        exact: true,
        forced: "simd128",
        located: [["quiver_bg.wasm", "simd128"]],
        errors: ['unknown tier "avx512": expected "simd128" or "relaxed-simd"'],
      });
      await page.close();
    });

    test("the SIMD128 and relaxed tiers answer identically", async () => {
      const page = await env.browser.newPage();
      await page.goto(`${env.base}/blank`);
      const result = await page.evaluate(async () => {
        // Each query string makes a separate module instance, so both tiers run side by side.
        const load = async (tag, file) => {
          const glue = await import(`/dist/quiver.js?${tag}`);
          await glue.default({ module_or_path: `/dist/${file}` });
          return glue.Index;
        };
        const tiers = [await load("a", "quiver_bg.wasm"), await load("b", "quiver_relaxed_bg.wasm")];
        const d = 100,
          n = 3000;
        const data = (await import("/shared/helpers.mjs")).hashed(n * d);
        const ids = Array.from({ length: n }, (_, i) => `v${i}`);
        const configs = [];
        for (const metric of ["cosine", "dot", "l2"]) {
          for (const quantization of ["int8", "binary", "pq", "none"]) {
            configs.push({
              dimensions: d,
              metric,
              quantization,
              pq: quantization === "pq" ? { subspaces: 25, seed: 7 } : undefined,
            });
          }
        }
        const differences = [];
        let compared = 0;
        for (const options of configs) {
          const answers = [];
          for (const Index of tiers) {
            const index = new Index(options);
            await index.add(ids, data);
            const out = [];
            for (let q = 0; q < 40; q++) {
              const query = data.slice(q * 71 * d, (q * 71 + 1) * d).map((v, j) => v + 0.05 * Math.cos(q + j));
              for (const search of [{ k: 10, rescore: false }, { k: 10 }]) {
                out.push((await index.search(query, search)).map((h) => `${h.id}:${h.score}`).join(" "));
              }
            }
            answers.push(out);
            index.free();
          }
          compared += answers[0].length;
          answers[0].forEach((a, i) => {
            if (a !== answers[1][i]) differences.push(`${JSON.stringify(options)} #${i}: ${a} | ${answers[1][i]}`);
          });
        }
        return { simd: tiers.map((I) => I.simd), compared, differences: differences.slice(0, 3) };
      });
      assert.deepEqual(result.simd, ["simd128", "relaxed-simd"]);
      assert.equal(result.compared, 12 * 80);
      assert.deepEqual(result.differences, []);
      await page.close();
    });
  });
}
