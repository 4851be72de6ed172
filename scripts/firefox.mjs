// Headless Firefox for the browser tests: Debian's firefox-esr (or $FIREFOX) driven by
// puppeteer-core over WebDriver BiDi, the stock browser with no driver or build of its own
// (Playwright drives only its own patched Firefox, which cannot be downloaded here).
//
// The tests are written against Playwright's API; the few calls they make (newContext,
// newPage, goto, evaluate, exposeFunction, reload, close, the "pageerror" event) have the
// same names and meaning in puppeteer, except that puppeteer calls a context
// `createBrowserContext`. `launchFirefox` adds `newContext` so either browser serves a test.
import { existsSync } from "node:fs";
import puppeteer from "puppeteer-core";

/** Where the browser is: $FIREFOX, else Debian's firefox-esr. */
export const firefoxPath = () => process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/** Whether Firefox is installed (scripts/setup.sh installs it). */
export const hasFirefox = () => existsSync(firefoxPath());

/** Headless Firefox with a fresh profile. `prefs` are extra about:config preferences (for
 * example the storage quota). Its contexts, like Chromium's, keep IndexedDB apart. */
export async function launchFirefox({ prefs = {} } = {}) {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath(),
    headless: true,
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
