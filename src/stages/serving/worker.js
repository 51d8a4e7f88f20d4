const keep = async (cache, url, response) => {
  // A redirected response cannot answer a navigation: keep its body and headers only.
  if (response.redirected) response = new Response(await response.blob(), { status: response.status, headers: response.headers });
  await cache.put(url, response);
};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(PRECACHE);
    const have = new Set((await cache.keys()).map((r) => r.url));
    for (const { url, revision } of MANIFEST) {
      if (have.has(new URL(url, location.href).href) && !revision) continue;
      const response = await fetch(url, { cache: revision ? "no-cache" : "default" });
      if (!response.ok) throw new Error(`precache: ${url} answered ${response.status}`);
      await keep(cache, url, response);
    }
    if (IMMEDIATE) await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("kiln-precache-") && name !== PRECACHE) await caches.delete(name);
    }
    if (IMMEDIATE) await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

// The URLs a page may be precached under: /about → /about.html, /blog/ → /blog/index.html.
const forms = (href) => {
  const url = new URL(href);
  url.search = "";
  url.hash = "";
  const p = url.pathname;
  const out = [url.href];
  if (p.endsWith("/")) out.push(url.href + "index.html");
  else if (!/\.[a-z0-9]+$/i.test(p)) out.push(url.href + ".html", url.href + "/index.html");
  return out;
};

const cached = async (cacheName, urls) => {
  const cache = await caches.open(cacheName);
  for (const u of urls) {
    const hit = await cache.match(u);
    if (hit) return hit;
  }
  return undefined;
};

const navigate = async (request) => {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      caches.open(PAGES).then((c) => keep(c, forms(request.url)[0], copy));
    }
    return response;
  } catch (error) {
    const urls = forms(request.url);
    const hit = (await cached(PRECACHE, urls)) || (await cached(PAGES, urls)) || (FALLBACK && (await cached(PRECACHE, [new URL(FALLBACK, location.href).href])));
    if (hit) return hit;
    throw error;
  }
};

const asset = async (request) => {
  const hit = (await cached(PRECACHE, [request.url])) || (await cached(RUNTIME, [request.url]));
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && /immutable/.test(response.headers.get("cache-control") || "")) {
    const copy = response.clone();
    caches.open(RUNTIME).then((c) => c.put(request.url, copy));
  }
  return response;
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || request.headers.has("range") || new URL(request.url).origin !== location.origin) return;
  event.respondWith(request.mode === "navigate" ? navigate(request) : asset(request));
});
