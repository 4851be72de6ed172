// Headless Chromium for the browser tests and benchmarks: Debian's /usr/bin/chromium (or
// $CHROMIUM) driven by playwright-core, which downloads no browser of its own.
import { chromium } from "playwright-core";

/** Flags that run Chromium headless, quiet and offline (as root: no sandbox). */
export const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Launches headless Chromium with those flags, and `extraArgs`. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...extraArgs] });
}
