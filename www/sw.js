// The demo site's service worker: a repeat visit downloads nothing but the page itself, and the
// site works with the network gone, whatever cache headers the host sends.
//
// files.json (scripts/build-site.mjs) lists every file of the site with its SHA-256. Files are
// kept in the Cache API under their URL with an `x-sha256` header holding the digest of their
// bytes, computed here as they arrive; a cached file is served only while files.json still
// names that digest, and fetched again otherwise (a new build of the site). The page itself
// (index.html) and files.json are fetched from the network first, and from the cache only
// when the network fails, so that a new build is seen on the next visit.
//
// Registered by demo.js only when files.json exists (the built site, not the dev server).

const CACHE = "quiver-demo-site";
const scope = new URL(self.registration.scope);
const PAGE = new Set(["", "index.html", "files.json", "sw.js"]);
let manifest; // Map: file name (relative to the scope) -> SHA-256, hex
const sizes = new Map(); // file name -> bytes

// The page's own small files (its HTML, CSS and JS modules) load before this worker controls
// it, so on install they are fetched again and kept; the large ones (wasm, model, index) the
// page fetches after, through this worker, which keeps them then.
const SHELL_BYTES = 256 * 1024;
self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const files = await siteFiles(cache);
      const shell = [...(files ?? [])].filter(([name]) => !PAGE.has(name) && sizes.get(name) < SHELL_BYTES);
      await Promise.all(
        shell.map(async ([name, sha256]) => {
          const response = await fetch(key(name), { cache: "no-store" });
          if (response.ok) await keep(cache, name, sha256, response, response.body);
        }),
      );
    })().catch((error) => console.warn(`the site's cache could not keep its small files: ${error.message}`)),
  );
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return;
  }
  const name = decodeURIComponent(url.pathname.slice(scope.pathname.length));
  event.respondWith(respond(event, name));
});

const key = (name) => new URL(name === "" ? "index.html" : name, scope).href;
const hex = (digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");

function remember(files) {
  manifest = new Map(files.map(({ name, sha256 }) => [name, sha256]));
  for (const { name, bytes } of files) sizes.set(name, bytes);
  return manifest;
}

/** files.json as a map, from the network (and kept), else from the cache; undefined if
 * neither has it. (A worker started after the page fetched files.json has not seen it.) */
async function siteFiles(cache) {
  try {
    const response = await fetch(key("files.json"), { cache: "no-store" });
    if (response.ok) {
      await cache.put(key("files.json"), response.clone());
      return remember(await response.json());
    }
  } catch {
    // offline: the kept copy below
  }
  const cached = await cache.match(key("files.json"));
  return cached ? remember(await cached.json()) : undefined;
}

async function respond(event, name) {
  const cache = await caches.open(CACHE);
  if (PAGE.has(name)) {
    try {
      const response = await fetch(event.request, { cache: "no-store" });
      if (response.ok) {
        await cache.put(key(name), response.clone());
        if (name === "files.json") remember(await response.clone().json());
      }
      return response;
    } catch (error) {
      const cached = await cache.match(key(name));
      if (cached) return cached;
      throw error;
    }
  }
  manifest ??= await siteFiles(cache);
  const sha256 = manifest?.get(name);
  if (!sha256) return fetch(event.request); // not a file of this build: the network, not kept
  const cached = await cache.match(key(name));
  if (cached?.headers.get("x-sha256") === sha256) return cached;
  const response = await fetch(event.request, { cache: "no-store" });
  if (!response.ok || !response.body) return response;
  // One copy streams to the page (which shows its progress), the other is hashed and kept.
  const [page, kept] = response.body.tee();
  event.waitUntil(keep(cache, name, sha256, response, kept));
  return new Response(page, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Reads `stream` whole; keeps it if its digest is the one files.json names. */
async function keep(cache, name, sha256, response, stream) {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  if (hex(await crypto.subtle.digest("SHA-256", bytes)) !== sha256) return; // a stale or damaged copy
  const headers = new Headers(response.headers);
  headers.set("x-sha256", sha256);
  headers.set("content-length", String(bytes.length));
  await cache.put(key(name), new Response(bytes, { status: 200, headers }));
}
