// Timing helpers of the Node benchmarks.

import { median } from "../scripts/shared/helpers.mjs";

export { median };

/** Times `a(i)` and `b(i)` (sync or async) in turn, `runs` times each after 100 of each to warm
 * up, and returns their two medians in ms. Alternating puts the shared machine's load on both
 * alike, so their ratio holds where two separate timings drift apart (measured: Index.search's
 * default over scan only came out 1.45× and 0.97× in two runs 15 minutes apart). */
export async function alternate(a, b, runs) {
  for (let i = 0; i < 100; i++) {
    await a(i);
    await b(i);
  }
  const [ta, tb] = [[], []];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await a(i);
    ta.push(performance.now() - t);
    t = performance.now();
    await b(i);
    tb.push(performance.now() - t);
  }
  return [median(ta), median(tb)];
}
