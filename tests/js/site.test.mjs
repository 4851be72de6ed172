// The static site (`npm run build:site`, site/) as a host would serve it: a plain file server
// under a sub-path, with no COOP/COEP headers and `Cache-Control: no-store`, in Chromium and
// Firefox; and the float16 conversion of the model it ships; and axe-core's accessibility
// checks of the page at desktop and phone widths (Chromium).

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AxeBuilder } from "@axe-core/playwright";
import { halfBits, SITE } from "../../scripts/build-site.mjs";
import { serve } from "../../scripts/serve.mjs";
import { ENGINES, launch } from "./quiver-page.mjs";
import { ui } from "./ui.mjs";

const bits = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];

test("float32 to float16 rounds to nearest even, saturates to infinity and keeps subnormals", () => {
  const cases = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0, 0],
    [-0, 0x8000],
    [65504, 0x7bff], // the largest float16
    [65519, 0x7bff], // below the midpoint to 65536
    [65520, 0x7c00], // the midpoint rounds to even: infinity
    [1e10, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // the smallest normal
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -25, 0x0000], // halfway to it: ties to even, zero
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal steps: ties to even, 2
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next float16: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: even is 1+2^-9
    [0.1, 0x2e66],
  ];
  for (const [value, expected] of cases) {
    assert.equal(halfBits(bits(value)), expected, `${value}: 0x${halfBits(bits(value)).toString(16)}`);
  }
  assert.equal(halfBits(bits(Number.NaN)) & 0x7e00, 0x7e00, "NaN stays NaN");
});

const PREFIX = "/some/project/";

/** site/ under PREFIX, as a project page host serves it: no isolation headers, nothing
 * cacheable (scripts/serve.mjs). Counts the bytes it sends. */
async function staticServer() {
  const served = { bytes: 0, files: 0, names: [] };
  const onSent = (name, bytes) => {
    served.bytes += bytes;
    served.files++;
    served.names.push(name);
  };
  return { server: await serve(0, { mounts: [[PREFIX, SITE]], onSent }), served };
}

/** What the server sent since this call: files, bytes and names. */
function counter(served) {
  const at = { ...served, names: served.names.length };
  return () => ({
    files: served.files - at.files,
    bytes: served.bytes - at.bytes,
    names: served.names.slice(at.names),
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const env = {};
    before(async () => {
      assert.ok(existsSync(join(SITE, "files.json")), "site/ is missing: run npm run build:site");
      Object.assign(env, await staticServer());
      env.browser = await launch(engine);
      // One profile for the three visits (Playwright's browser.newPage() would make a new one
      // each time; puppeteer's pages share the default one).
      env.context = engine === "chromium" ? await env.browser.newContext() : env.browser;
      env.url = `http://127.0.0.1:${env.server.address().port}${PREFIX}`;
    });
    after(async () => {
      await env.browser?.close();
      env.server?.close();
    });

    /** Opens the site in a new page, finds cat (typed key by key when `typing`, an object
     * that gets the longest task seen meanwhile), and returns how long the page took to be
     * ready by its own status line. */
    async function visit(typing) {
      const page = await env.context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(env.url);
      const { fill, click, waitText, texts, text } = ui(page);
      await waitText(/^Ready in .* WordNet synsets/, 180_000);
      const ready = Number((await text("#status")).match(/^Ready in ([\d.]+) s/)[1]);
      assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false, "no COOP/COEP here");
      const query = "a small domesticated feline kept as a pet";
      if (typing) {
        // Typed a keystroke at a time, 40 ms apart, never submitted: the results follow.
        // (Chromium reports the page's long tasks meanwhile; Firefox has no such observer.)
        await page.evaluate(() => {
          window.longTasks = PerformanceObserver.supportedEntryTypes.includes("longtask") ? [] : null;
          if (!window.longTasks) return;
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
          }).observe({ type: "longtask" });
        });
        for (let n = 1; n <= query.length; n++) {
          await fill("#query", query.slice(0, n));
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
      } else {
        await fill("#query", query);
        await click("#go");
      }
      await waitText(`results for “${query}”`, 120_000);
      if (typing) {
        const tasks = await page.evaluate(() => window.longTasks);
        typing.longTasks = tasks; // tasks over 50 ms, the only ones the observer reports
      }
      const titles = await texts("#hits > li strong");
      assert.ok(
        titles.slice(0, 5).some((title) => title.split(", ").includes("cat")),
        JSON.stringify(titles.slice(0, 5)),
      );
      assert.deepEqual(errors, []);
      await page.close();
      return ready;
    }

    if (engine === "chromium") {
      // axe-core drives Playwright's pages, so Chromium alone.
      test("axe-core finds no accessibility violations, at desktop and phone widths, with results shown", async () => {
        for (const viewport of [
          { width: 1280, height: 800 },
          { width: 390, height: 844 },
        ]) {
          const context = await env.browser.newContext({ viewport });
          const page = await context.newPage();
          await page.goto(env.url);
          const { fill, click, waitText } = ui(page);
          await waitText(/^Ready in .* WordNet synsets/, 180_000);
          await fill("#query", "a small domesticated feline kept as a pet");
          await click("#go");
          await waitText("results for", 120_000);
          const { violations, passes } = await new AxeBuilder({ page }).analyze();
          console.log(`axe-core at ${viewport.width} px: ${passes.length} rules passed, ${violations.length} violated`);
          const found = violations.map(({ id, nodes }) => `${id}: ${nodes.map((n) => n.target.join(" ")).join(", ")}`);
          assert.deepEqual(found, [], `at ${viewport.width} px wide`);
          // Nothing wider than the screen: a phone scrolls down, never sideways.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `at ${viewport.width} px the page is ${overflow} px wider than the screen`);
          await context.close();
        }
      });
    }

    test("served under a sub-path by a plain file server: found, kept, and found again offline", async () => {
      let count = counter(env.served);
      const first = await visit();
      const firstFetched = count();
      const site = JSON.parse(readFileSync(join(SITE, "files.json"), "utf8"));
      const siteBytes = site.reduce((sum, { bytes }) => sum + bytes, 0);
      assert.ok(firstFetched.bytes <= siteBytes * 1.01 + 65536, `first visit fetched ${firstFetched.bytes} B`);

      count = counter(env.served);
      const typing = {};
      const second = await visit(typing);
      const secondFetched = count();
      assert.ok(
        secondFetched.bytes < 2 ** 20,
        `a repeat visit fetched ${secondFetched.files} files, ${secondFetched.bytes} B: the site's cache missed`,
      );

      env.server.close();
      env.server.closeAllConnections();
      const offline = await visit();
      console.log(
        `${engine}: the site under ${PREFIX}, without COOP/COEP, no-store: first visit ${firstFetched.files} files ` +
          `${(firstFetched.bytes / 2 ** 20).toFixed(1)} MB, ready in ${first} s; repeat visit ${secondFetched.files} ` +
          `files ${(secondFetched.bytes / 1024).toFixed(1)} KB (${secondFetched.names.join(", ")}), ready in ` +
          `${second} s; offline, ready in ${offline} s; typing a query, the results followed` +
          (typing.longTasks === null
            ? ""
            : ` (tasks over 50 ms on the page meanwhile: ${JSON.stringify(typing.longTasks)})`),
      );
    });
  });
}
