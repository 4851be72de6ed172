// `npm run bench` (part): the two kernel tiers side by side in headless Chromium, the engine
// with relaxed SIMD. Median time of the int8 dot-product kernel over 100k 384-d codes, and
// of a full int8 scan with fused top-10 (ScanBench: the real Codes::scan), per tier.
// Usage: node benches/tiers.mjs   (after `node scripts/build.mjs --bench`)

import { launchChromium } from "../scripts/chromium.mjs";
import { serve } from "../scripts/serve.mjs";

const server = await serve(0);
const browser = await launchChromium();
const page = await browser.newPage();
page.on("pageerror", (e) => console.error(e));
await page.goto(`http://127.0.0.1:${server.address().port}/blank`);
const results = await page.evaluate(async () => {
  const { median } = await import("/shared/helpers.mjs");
  // Warm-up until the wasm is tiered up (at least 10 runs and 300 ms), then 31 timed runs.
  const time = (fn) => {
    const start = performance.now();
    for (let i = 0; i < 10 || performance.now() - start < 300; i++) fn();
    const ms = [];
    for (let i = 0; i < 31; i++) {
      const t = performance.now();
      fn();
      ms.push(performance.now() - t);
    }
    return median(ms);
  };
  const out = {};
  for (const dir of ["pkg-bench", "pkg-bench-relaxed"]) {
    const glue = await import(`/${dir}/quiver.js`);
    await glue.default();
    const kernel = new glue.KernelBench("dot_i8", true, 100_000, 384);
    const scan = new glue.ScanBench("int8", 100_000, 384);
    out[glue.Index.simd] = { kernel: time(() => kernel.run()), scan: time(() => scan.run(10)) };
  }
  return out;
});
await browser.close();
server.close();

const { simd128: plain, "relaxed-simd": relaxed } = results;
const version = (await import("node:child_process"))
  .execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  })
  .trim();
console.log(`\nSIMD tiers in ${version}, 100k int8 codes of 384 dimensions, medians`);
for (const [name, key] of [
  ["int8 dot kernel", "kernel"],
  ["int8 scan, top-10", "scan"],
]) {
  const ratio = plain[key] / relaxed[key];
  console.log(
    `${name.padEnd(18)} simd128 ${plain[key].toFixed(2)} ms   relaxed-simd ${relaxed[key].toFixed(2)} ms   ` +
      `${ratio.toFixed(2)}x  ${ratio > 1.2 ? "faster" : "NOT measurably faster"}`,
  );
}
