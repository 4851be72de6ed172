// Exact top-k by a plain JavaScript loop over float32 rows of 384: the peer benchmark's
// ground truth (data.mjs), its "JS brute force" library, and `npm run bench`'s yardstick.
const D = 384;

/** The rows of the k best inner products of `q` with the rows of `docs`, best first (ties:
 * lower row first). Sums are JavaScript doubles. */
export function jsLoopTopK(docs, q, k) {
  const n = docs.length / D;
  const best = []; // [score, row], best first
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0, o = i * D; j < D; j++) s += q[j] * docs[o + j];
    if (best.length < k || s > best[k - 1][0]) {
      let at = Math.min(best.length, k - 1);
      while (at > 0 && best[at - 1][0] < s) at--;
      best.splice(at, 0, [s, i]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, r]) => r);
}
