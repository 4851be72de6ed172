// The WordNet demo (www/, what `npm start` serves) end to end in headless Chromium: it loads
// the prebuilt index (scripts/demo-data.mjs) and the embedder, finds `cat` from a description,
// shows stage timings, memory and the agreement with exact search, builds another
// quantization on demand, and keeps a visitor's note across a reload.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { withChromium } from "./quiver-page.mjs";

const generated = fileURLToPath(new URL("../../www/generated/wordnet.qvr", import.meta.url));
const env = withChromium({ isolated: true }); // as npm start serves it

async function openDemo(page) {
  await page.goto(`${env.base}/`);
  await page.getByText(/^Ready in .* 20,000 WordNet synsets/).waitFor({ timeout: 120_000 });
}

async function searchFor(page, text) {
  await page.fill("#query", text);
  await page.click("#go");
  await page.getByText(`results for “${text}”`).waitFor({ timeout: 120_000 });
  return page.$$eval("#hits > li", (items) => items.map((item) => item.querySelector("strong").textContent));
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
  const rows = await page.$$eval("#timings tr, #memory tr", (trs) =>
    trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]),
  );
  const value = (start) => rows.find(([name]) => name.startsWith(start))?.[1];
  assert.match(value("Embedding the query"), /^\d+(\.\d+)? ms$/);
  assert.match(value("Scan of 20,000 binary codes"), /^\d+(\.\d+)? ms$/);
  assert.match(value("Rescoring 100 candidates"), /^\d+(\.\d+)? ms$/);
  assert.match(value("WordNet index"), /^\d+\.\d MB$/);
  assert.match(value("Embedder's wasm memory"), /^\d+\.\d MB$/);
  assert.match(await page.textContent("#agreement"), /^(9|10) of these 10 are in the exact top 10/);

  // Another quantization is built in the page from the originals; codes only, no rescoring.
  await page.getByText("Search settings").click(); // the settings are folded away at first
  await page.selectOption("#quantization", "int8");
  await page.uncheck("#rescore");
  const int8 = await searchFor(page, "a small domesticated feline kept as a pet");
  assert.ok(
    int8.slice(0, 5).some((title) => title.split(", ").includes("cat")),
    JSON.stringify(int8),
  );
  assert.ok((await page.textContent("#timings")).includes("Scan of 20,000 int8 codes"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("a visitor's note is embedded, searchable, and still there after a reload", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await openDemo(page);
  const note = "my neighbour's <b>tabby</b> sleeps on our porch";
  await page.fill("#note", note);
  await page.click("#add");
  await page.getByText("Note added and saved in IndexedDB.").waitFor();
  await searchFor(page, "a cat sleeping outside");
  assert.equal(await page.textContent("#note-hits > li strong"), note, "the note is shown as text, not HTML");
  assert.match(await page.textContent("#timings"), /IndexedDB reads \(your notes' originals\)\d+(\.\d+)? ms/);

  await page.reload();
  await openDemo(page);
  assert.deepEqual(await page.$$eval("#notes li span", (spans) => spans.map((s) => s.textContent)), [note]);
  assert.equal(await page.$$eval("#notes b", (bold) => bold.length), 0);
  await page.click("#notes li button");
  await page.waitForFunction(() => document.getElementById("note-count").textContent === "0");
  await page.reload();
  await openDemo(page);
  assert.equal(await page.textContent("#note-count"), "0");
  await context.close();
});
