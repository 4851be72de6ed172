#!/usr/bin/env node
import { readFile } from "node:fs/promises";
// Serves the demo on 127.0.0.1: www/ at /, the package build (dist/) at /dist/, the model
// files (scripts/model.mjs) at /model/.
// Usage: node scripts/serve.mjs [--port N]   (default 8080, or $PORT; cross-origin isolated,
// as npm start serves it; npm start also builds what it serves: scripts/start.mjs)
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Starts the server on 127.0.0.1:`port` (0 = any free port); resolves to the http.Server.
 * Benchmarks and tests also get `/pkg-bench/` and `/pkg-bench-relaxed/` (the benchmark
 * builds) and, with `data`, that folder at `/data/`. With `site`, only that folder, at `/`.
 * With `mounts` ([[prefix, folder], ...]), only those. `isolated` sends the COOP/COEP headers
 * that make a page cross-origin isolated (so performance.now() has 5 µs steps, not 100 µs).
 * `onSent(path, bytes)` hears of each file sent (its path below the mount). Every answer is
 * `Cache-Control: no-store`. */
export function serve(port, { data, site, mounts: only, isolated, onSent } = {}) {
  const mounts = (
    only ??
    (site
      ? [["/", site]]
      : [
          ["/pkg-bench/", join(root, "pkg", "bench-web")],
          ["/dist/", join(root, "dist")],
          ["/pkg-bench-relaxed/", join(root, "pkg", "bench-web-relaxed")],
          ...(data ? [["/data/", data]] : []),
          ["/model/", join(root, ".model")],
          ["/shared/", join(root, "scripts", "shared")],
          ["/", join(root, "www")],
        ])
  ).map(([prefix, folder]) => [prefix, normalize(folder).replace(/[\\/]$/, "")]);
  const isolation = isolated
    ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }
    : {};
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p)) ?? [];
    if (!dir) {
      res.writeHead(404).end("not found");
      return;
    }
    const file = normalize(join(dir, path.slice(prefix.length) || "index.html"));
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end("forbidden");
      return;
    }
    try {
      const body = await readFile(file.endsWith(sep) ? join(file, "index.html") : file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
        ...isolation,
      });
      res.end(body);
      onSent?.(path.slice(prefix.length) || "/", body.length);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portArg = process.argv.indexOf("--port");
  const port = Number(portArg > 0 ? process.argv[portArg + 1] : (process.env.PORT ?? 8080));
  const server = await serve(port, { isolated: true });
  console.log(`quiver demo: http://127.0.0.1:${server.address().port}/`);
}
