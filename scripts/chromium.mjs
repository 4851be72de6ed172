// Headless Chromium for the browser tests and benchmarks: Debian's /usr/bin/chromium (or
// $CHROMIUM) driven by playwright-core, which downloads no browser of its own.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** Flags that run Chromium headless, quiet and offline (as root: no sandbox). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches headless Chromium with those flags, and `extraArgs`. */
export function launchChromium(extraArgs = []) {
  return chromium.launch(launchOptions(extraArgs));
}

const launchOptions = (extraArgs) => ({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [...CHROMIUM_ARGS, ...extraArgs],
});

/** Headless Chromium with a fresh on-disk profile, for what measures IndexedDB: there it lives
 * on disk with a normal profile's quota, as in a user's browser. (A page of `launchChromium()`
 * is in an off-the-record context, like incognito, where IndexedDB is kept in memory under a
 * small quota: 1M originals, 1.5 GB, do not fit.) Resolves to the browser context and
 * `close()`, which also deletes the profile. */
export async function launchChromiumProfile(extraArgs = []) {
  const profile = await mkdtemp(join(tmpdir(), "quiver-chromium-"));
  const context = await chromium.launchPersistentContext(profile, launchOptions(extraArgs));
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  return { context, close };
}
