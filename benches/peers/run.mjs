// `npm run bench:peers`: quiver against the in-browser vector libraries, in Node and in
// headless Chromium, on the same data, each run in a fresh process or browser so that memory
// figures are its own. Writes benches/peers/results.json, then BENCHMARKS.md and its plots
// (report.mjs).
//
//   node benches/peers/run.mjs [--sets wordnet-10k,wordnet-100k,synthetic-1m]
//                              [--envs node,chromium] [--only <text in the run's name>]
//                              [--cap <seconds a run may take, default 240>] [--resume]
//                              [--report-only]
//
// The peers are pinned in benches/peers/package.json and installed here on first use. The real
// sets need ../shared/data; without it they are skipped with a note and the synthetic set runs.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromiumProfile } from "../../scripts/chromium.mjs";
import { serve } from "../../scripts/serve.mjs";
import { hasRealData, prepare, profileOf, SETS } from "./data.mjs";
import { RUNS, runKey } from "./libraries.mjs";
import { describeLibraries, writeReport } from "./report.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const RESULTS = `${here}results.json`;

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const sets = arg("sets", Object.keys(SETS).join(",")).split(",");
const envs = arg("envs", "node,chromium").split(",");
const only = arg("only", "");
const capS = Number(arg("cap", 240));
const resume = process.argv.includes("--resume"); // keep the runs results.json already has

const saved = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : { runs: [] };
const save = (entry) => {
  saved.runs = saved.runs.filter((r) => !(r.env === entry.env && r.set === entry.set && r.key === entry.key));
  saved.runs.push({ ...entry, at: new Date().toISOString() });
  writeFileSync(RESULTS, `${JSON.stringify(saved, null, 1)}\n`);
};

if (!process.argv.includes("--report-only")) {
  if (!existsSync(`${here}node_modules/@electric-sql/pglite`)) {
    console.log("installing the pinned peer libraries (benches/peers/package.json) ...");
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit" });
  }
  execFileSync("node", ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  saved.machine = machine();
  saved.libraries = describeLibraries();
  saved.cap = capS;

  for (const set of sets) {
    if (SETS[set].source === "real" && !hasRealData()) {
      console.log(`SKIPPED ${set}: ../shared/data not found (set QUIVER_DATA to its folder)`);
      continue;
    }
    prepare(set);
    saved.sets = { ...saved.sets, [set]: profileOf(set) };
    for (const env of envs) {
      for (const run of RUNS.filter((r) => (!r.envs || r.envs.includes(env)) && runKey(r).includes(only))) {
        const key = runKey(run);
        if (resume && saved.runs.some((r) => r.env === env && r.set === set && r.key === key)) continue;
        const skip = skipReason(env, set, key);
        const entry = skip ? { skipped: skip } : await (env === "node" ? inNode : inChromium)(key, set);
        save({ env, set, key, library: run.library, setting: run.setting, ...entry });
        console.log(`${env.padEnd(8)} ${set.padEnd(13)} ${key.padEnd(60)} ${summary(entry)}`);
      }
    }
  }
}
writeReport(saved);

// At 1M, a run whose build at 100k (same environment) failed, or took more than a tenth of the
// cap, is not started: its build grows at least linearly, so it would exceed the cap.
function skipReason(env, set, key) {
  if (SETS[set].n < 1_000_000) return null;
  const at100k = saved.runs.find((r) => r.env === env && r.set === "wordnet-100k" && r.key === key);
  if (!at100k) return null;
  if (at100k.error) return `not run: it failed at 100k (${at100k.error.split("\n")[0]})`;
  if (at100k.skipped) return `not run: ${at100k.skipped.replace(/^not run: /, "")}`;
  if (at100k.buildMs / 1000 > capS / 10) {
    return `not run: its build took ${(at100k.buildMs / 1000).toFixed(0)} s at 100k, so 1M would take over ${((10 * at100k.buildMs) / 1000).toFixed(0)} s, past the ${capS} s cap`;
  }
  return null;
}

function summary(entry) {
  if (entry.skipped) return entry.skipped;
  if (entry.error) return `ERROR ${entry.error.split("\n")[0].slice(0, 120)}`;
  return `recall ${entry.recall.toFixed(3)}  p50 ${entry.p50.toFixed(3)} ms  build ${(entry.buildMs / 1000).toFixed(1)} s`;
}

function inNode(key, set) {
  return new Promise((resolve) => {
    const child = spawn("node", ["--expose-gc", "--max-old-space-size=16384", `${here}node-run.mjs`, key, set], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "",
      err = "",
      phase = "starting";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
      for (const m of String(d).matchAll(/^phase: (.*)$/gm)) phase = m[1];
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), capS * 1000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) resolve(JSON.parse(line.slice(7)));
      else if (code === null) resolve({ error: `gave up after the ${capS} s cap while ${phase}` });
      else resolve({ error: firstError(err) ?? `exited with code ${code} while ${phase}`, phase });
    });
  });
}

// The thrown message, without Node's stack and source excerpt.
function firstError(stderr) {
  const line = stderr.split("\n").find((l) => /^(\w*Error|Exception)\b|^Error /.test(l.trim()));
  return line?.trim();
}

async function inChromium(key, set) {
  const server = await serve(0, {
    isolated: true,
    mounts: [
      ["/dist/", `${root}dist`],
      ["/benches/peers/", here],
    ],
  });
  // An on-disk profile, as a user's browser has (IndexedDB on disk, a normal quota).
  const { context, close } = await launchChromiumProfile(["--js-flags=--expose-gc", "--enable-precise-memory-info"]);
  let phase = "starting",
    pageError = null,
    timer;
  try {
    const page = await context.newPage();
    page.on("console", (m) => {
      const t = m.text();
      if (t.startsWith("phase: ")) phase = t.slice(7);
    });
    page.on("pageerror", (e) => {
      pageError ??= e.message;
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/benches/peers/page.html`);
    await page.waitForFunction(() => window.benchReady === true);
    const cap = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ error: `gave up after the ${capS} s cap while ${phase}` }), capS * 1000);
    });
    return await Promise.race([page.evaluate(([k, s]) => window.runBench(k, s), [key, set]), cap]);
  } catch (e) {
    const message = e.message.replace(/^page\.evaluate: /, "").split("\n")[0];
    return { error: pageError && !message.includes(pageError) ? `${message} (page: ${pageError})` : message, phase };
  } finally {
    clearTimeout(timer);
    await close().catch(() => {});
    server.close();
  }
}

function machine() {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1];
  const chromiumVersion = execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
  const memGb = Number(readFileSync("/proc/meminfo", "utf8").match(/MemTotal:\s*(\d+)/)[1]) / 1024 / 1024;
  return {
    cpu,
    cores: Number(execFileSync("nproc", { encoding: "utf8" })),
    memoryGb: Math.round(memGb),
    node: process.version,
    chromium: chromiumVersion,
    date: new Date().toISOString().slice(0, 10),
  };
}
