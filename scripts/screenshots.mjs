#!/usr/bin/env node
// Takes the README's screenshots of the WordNet demo in headless Chromium: a search, and the
// notes panel with a note found by a query. Needs what npm start builds (dist/, .model/,
// www/generated/).
//   node scripts/screenshots.mjs   -> www/screenshots/search.png, www/screenshots/notes.png
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { serve } from "./serve.mjs";

const out = fileURLToPath(new URL("../www/screenshots/", import.meta.url));
mkdirSync(out, { recursive: true });
const server = await serve(0, { isolated: true });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.getByText(/^Ready in /).waitFor({ timeout: 120_000 });

const search = async (text) => {
  await page.fill("#query", text);
  await page.click("#go");
  await page.getByText(`results for “${text}”`).waitFor({ timeout: 60_000 });
};
await search("a small domesticated feline kept as a pet");
await page.screenshot({ path: `${out}search.png`, fullPage: true });

await page.fill("#note", "Buy tuna and a scratching post before Mia's birthday");
await page.click("#add");
await page.getByText("Note added and saved in IndexedDB.").waitFor();
await search("what should I buy for the cat");
const box = await page.locator(".notes").boundingBox(); // relative to the viewport
box.y += await page.evaluate(() => window.scrollY); // the clip of a full-page shot is not
const margin = 24;
await page.screenshot({
  path: `${out}notes.png`,
  fullPage: true,
  clip: { x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin },
});
console.log(`wrote ${out}search.png and ${out}notes.png`);
await browser.close();
server.close();
