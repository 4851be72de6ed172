// Headless Firefox for the browser tests: Debian's firefox-esr (or $FIREFOX) driven by
// puppeteer-core over WebDriver BiDi, the stock browser with no driver or build of its own
// (Playwright drives only its own patched Firefox, which cannot be downloaded here).
//
// The tests are written against Playwright's API; the few calls they make (newContext,
// newPage, goto, evaluate, exposeFunction, reload, close, the "pageerror" event) have the
// same names and meaning in puppeteer, except that puppeteer calls a context
// `createBrowserContext`. `launchFirefox` adds `newContext` so either browser serves a test.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

/** Where the browser is: $FIREFOX, else Debian's firefox-esr. */
export const firefoxPath = () => process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/** Whether Firefox is installed (scripts/setup.sh installs it). */
export const hasFirefox = () => existsSync(firefoxPath());

/** Headless Firefox with a fresh profile. `prefs` are extra about:config preferences (for
 * example the storage quota). Its contexts, like Chromium's, keep IndexedDB apart. */
export async function launchFirefox({ prefs = {}, userDataDir } = {}) {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath(),
    headless: true,
    userDataDir,
    extraPrefsFirefox: {
      // Offline and quiet: no updates, telemetry or first-run pages.
      "app.update.enabled": false,
      "browser.shell.checkDefaultBrowser": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      ...prefs,
    },
  });
  browser.newContext = () => browser.createBrowserContext();
  return browser;
}

/** Firefox with an on-disk profile that outlives the browser: `start()` launches (again) on
 * the same profile, `remove()` deletes it. For tests of what survives a restart. */
export async function firefoxProfile() {
  const dir = await mkdtemp(join(tmpdir(), "quiver-firefox-"));
  return {
    start: (options = {}) => launchFirefox({ ...options, userDataDir: dir }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
