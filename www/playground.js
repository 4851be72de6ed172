// The playground: builds an index of synthetic embeddings (clustered, 384-d, like sentence
// embeddings) and measures search latency, recall against exact search, and memory.
// Text from anywhere is only ever set with textContent, never as HTML.
import init, { Index } from "./dist/index.js";

const D = 384;
const $ = (id) => document.getElementById(id);
let index = null;
let data = null;

function clustered(n, seed = 7) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const centres = Array.from({ length: 64 * D }, next);
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = (next() * 32 + 32) | 0;
    for (let j = 0; j < D; j++) out[i * D + j] = centres[c * D + j] + 0.9 * next();
  }
  return out;
}

function show(rows) {
  const body = $("results").tBodies[0];
  body.replaceChildren(
    ...rows.map(([name, value]) => {
      const tr = document.createElement("tr");
      for (const text of [name, value]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  $("results").hidden = false;
}

async function build(event) {
  event.preventDefault();
  $("build").disabled = $("query").disabled = true;
  const n = Number($("count").value);
  const quantization = $("quantization").value;
  $("status").textContent = `Generating ${n.toLocaleString()} vectors…`;
  await new Promise(requestAnimationFrame);
  data = clustered(n);
  if (index) await index.close();
  index = new Index({ dimensions: D, quantization });
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
  const t = performance.now();
  await index.add(ids, data);
  const addMs = performance.now() - t;
  $("status").textContent = `Built a ${quantization} index of ${n.toLocaleString()} vectors.`;
  show([
    ["Vectors", n.toLocaleString()],
    ["Add (encode + insert)", `${addMs.toFixed(0)} ms`],
    ["memoryBytes (codes + ids + originals)", `${(index.memoryBytes / 1e6).toFixed(1)} MB`],
    ["of which originals (f32)", `${((n * D * 4) / 1e6).toFixed(1)} MB`],
    ["SIMD tier", Index.simd],
  ]);
  $("build").disabled = $("query").disabled = false;
}

async function query() {
  $("query").disabled = true;
  const k = Number($("k").value),
    oversampling = Number($("oversampling").value);
  const rescore = $("rescore").checked;
  const times = [],
    exactTimes = [];
  let overlap = 0;
  try {
    for (let i = 0; i < 50; i++) {
      const q = data.subarray(((i * 997) % (data.length / D)) * D, (((i * 997) % (data.length / D)) + 1) * D);
      let t = performance.now();
      const hits = await index.search(q, { k, oversampling, rescore });
      times.push(performance.now() - t);
      t = performance.now();
      const exact = await index.search(q, { k, exact: true });
      exactTimes.push(performance.now() - t);
      const truth = new Set(exact.map((h) => h.id));
      overlap += hits.filter((h) => truth.has(h.id)).length / exact.length;
    }
  } catch (e) {
    $("status").textContent = `Search failed: ${e.message}`;
    $("query").disabled = false;
    return;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  $("status").textContent = "Ran 50 queries.";
  show([
    ["Median search latency", `${median(times).toFixed(2)} ms`],
    ["Median exact f32 scan latency", `${median(exactTimes).toFixed(2)} ms`],
    [`Recall@${k} vs exact search`, (overlap / 50).toFixed(3)],
    ["memoryBytes", `${(index.memoryBytes / 1e6).toFixed(1)} MB`],
  ]);
  $("query").disabled = false;
}

await init();
$("status").textContent = `Engine ready (${Index.simd}). Choose settings and build an index.`;
$("controls").addEventListener("submit", build);
$("query").addEventListener("click", query);
