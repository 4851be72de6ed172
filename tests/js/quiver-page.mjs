// Shared by the browser tests: the engines they run in, the test server and browser, and a
// page of the server's origin with the package loaded.
import { after, before } from "node:test";
import { launchChromium } from "../../scripts/chromium.mjs";
import { firefoxPath, hasFirefox, launchFirefox } from "../../scripts/firefox.mjs";
import { serve } from "../../scripts/serve.mjs";

/** The engines every browser test runs in: Chromium (Blink, V8) and Firefox (Gecko,
 * SpiderMonkey), whose IndexedDB, quota and wasm engines are separate implementations. */
export const ENGINES = ["chromium", "firefox"];

/** Launches `engine` headless (see scripts/chromium.mjs and scripts/firefox.mjs). */
export function launch(engine, options = {}) {
  if (engine === "chromium") return launchChromium();
  if (!hasFirefox()) {
    throw new Error(`Firefox not found at ${firefoxPath()}: run \`bash scripts/setup.sh\` (or set $FIREFOX)`);
  }
  return launchFirefox(options);
}

/** Starts the test server (`serve` options) and `engine` before the suite's tests and stops
 * them after; returns an object whose `server`, `base` (the origin) and `browser` are set
 * once the tests run. */
export function withBrowser(engine, options = {}) {
  const env = {};
  before(async () => {
    env.server = await serve(0, options);
    env.base = `http://127.0.0.1:${env.server.address().port}`;
    env.browser = await launch(engine);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.close();
  });
  return env;
}

/** A page of the test origin with `window.quiver` loaded and a `vectors(first, n, d)` helper
 * that makes the same pseudo-random vectors on every page. */
export async function quiverPage(context, base) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Not `/`, the WordNet demo, which would load its model: any URL of the origin will do for
  // module imports and IndexedDB, and the server answers this one with a plain 404.
  await page.goto(`${base}/blank`);
  await page.evaluate(async () => {
    const module = await import("/dist/index.js");
    await module.default();
    window.quiver = module;
    window.vectors = (await import("/shared/helpers.mjs")).vectors;
  });
  page.errors = errors;
  return page;
}
