// The WordNet demo (www/, what `npm start` serves) end to end in headless Chromium: it loads
// the prebuilt index (scripts/demo-data.mjs) and the embedder, finds `cat` from a description,
// shows stage timings, memory and the agreement with exact search, builds another
// quantization on demand, and keeps a visitor's note across a reload.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ENGINES, withBrowser } from "./quiver-page.mjs";
import { ui } from "./ui.mjs";

const generated = fileURLToPath(new URL("../../www/generated/wordnet.qvr", import.meta.url));
// How many synsets the prebuilt index holds (npm test builds 5,000, npm start 20,000), as the
// page prints it.
const stamp = fileURLToPath(new URL("../../www/generated/wordnet.json", import.meta.url));
const synsets = existsSync(stamp) ? JSON.parse(readFileSync(stamp, "utf8")).synsets.toLocaleString("en-US") : "?";
for (const engine of ENGINES) {
  describe(engine, () => {
    const env = withBrowser(engine, { isolated: true }); // as npm start serves it

    async function openDemo(page) {
      await page.goto(`${env.base}/`);
      await ui(page).waitText(new RegExp(`^Ready in .* ${synsets} WordNet synsets`), 180_000);
    }

    async function searchFor(page, text) {
      const { fill, click, waitText, texts } = ui(page);
      await fill("#query", text);
      await click("#go");
      await waitText(`results for “${text}”`, 120_000);
      return texts("#hits > li strong");
    }

    test("a description finds its word, with timings, memory and agreement with exact search", async () => {
      assert.ok(existsSync(generated), "www/generated/wordnet.qvr is missing: run node scripts/demo-data.mjs");
      const page = await env.browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await openDemo(page);

      const titles = await searchFor(page, "a small domesticated feline kept as a pet");
      assert.equal(titles.length, 10);
      const top5 = titles.slice(0, 5).map((title) => title.split(", "));
      assert.ok(
        top5.some((words) => words.includes("cat")),
        `top 5: ${JSON.stringify(titles.slice(0, 5))}`,
      );
      const { click, select, check, text, rows: table } = ui(page);
      const rows = await table("#timings tr, #memory tr");
      const value = (start) => rows.find(([name]) => name.startsWith(start))?.[1];
      assert.match(value("Embedding the query"), /^\d+(\.\d+)? ms$/);
      assert.match(value(`Scan of ${synsets} binary codes`), /^\d+(\.\d+)? ms$/);
      // The demo's index keeps its originals in memory, where every candidate is re-scored.
      assert.match(value("Rescoring 100 candidates"), /^\d+(\.\d+)? ms$/);
      assert.match(value("WordNet index"), /^\d+\.\d MB$/);
      assert.match(value("Embedder's wasm memory"), /^\d+\.\d MB$/);
      assert.match(await text("#agreement"), /^(9|10) of these 10 are in the exact top 10/);

      // Another quantization is built in the page from the originals; codes only, no rescoring.
      await click("summary", "Search settings"); // the settings are folded away at first
      await select("#quantization", "int8");
      await check("#rescore", false);
      const int8 = await searchFor(page, "a small domesticated feline kept as a pet");
      assert.ok(
        int8.slice(0, 5).some((title) => title.split(", ").includes("cat")),
        JSON.stringify(int8),
      );
      assert.ok((await text("#timings")).includes(`Scan of ${synsets} int8 codes`));

      // The part-of-speech filter: the index declares `pos`, and every hit is a verb.
      await select("#pos", "verb");
      await searchFor(page, "move fast on foot");
      const kinds = await ui(page).texts("#hits > li .meta");
      assert.equal(kinds.length, 10);
      for (const kind of kinds) assert.match(kind, /^verb · score /);
      assert.match(await text("#agreement"), /exact top 10 \(a scan of every original vector of a verb\)/);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test("a visitor's note is embedded, searchable, and still there after a reload", async () => {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      const { fill, click, waitText, waitTextOf, text, texts } = ui(page);
      await openDemo(page);
      const note = "my neighbour's <b>tabby</b> sleeps on our porch";
      await fill("#note", note);
      await click("#add");
      await waitText("Note added and saved in IndexedDB.", 60_000);
      await searchFor(page, "a cat sleeping outside");
      assert.equal(await text("#note-hits > li strong"), note, "the note is shown as text, not HTML");
      assert.match(await text("#timings"), /IndexedDB reads \(your notes' originals\)\d+(\.\d+)? ms/);

      await page.reload();
      await openDemo(page);
      assert.deepEqual(await texts("#notes li span"), [note]);
      assert.deepEqual(await texts("#notes b"), []);
      await click("#notes li button");
      await waitTextOf("#note-count", "0");
      await page.reload();
      await openDemo(page);
      assert.equal(await text("#note-count"), "0");
      await context.close();
    });
  });
}
