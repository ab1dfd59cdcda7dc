// team-sw.js: the service worker of the team page, so that a lead's phone
// that has loaded /team once can reload it without network. It is served
// from /team-sw.js (web/sw.go) and registered by team.js with scope /team.
//
//   - Navigations to /team and /team?...: network first; the answer is
//     cached (with the assets it links) and the cached copy is served when
//     the network fails, is too slow or the proxy answers 502-504.
//   - /static/...?v=HASH: cache first. The URL changes whenever the file
//     does, so a cached copy never goes stale; older versions of a file are
//     dropped when a new one is cached.
//   - Everything else, /api/ and /ws above all, is not touched: the route
//     shown offline is the copy team.js keeps in localStorage.
//
// Bump VERSION when this file's caching changes: activate deletes every
// other qamqor-team-* cache.
"use strict";

var VERSION = "qamqor-team-v1";
var PREFIX = "qamqor-team-";
// PAGE_TIMEOUT_MS is how long a navigation waits for the network before
// the cached page is shown (the network answer still refreshes the cache).
var PAGE_TIMEOUT_MS = 8000;
var ASSET_RE = /(?:src|href)="(\/static\/[^"?#]+\?v=[0-9a-f]+)"/g;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf(PREFIX) === 0 && k !== VERSION;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname === "/team") {
    page(event);
  } else if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
    event.respondWith(asset(event));
  }
});

// The page tells the worker to cache it (its first load did not go
// through the worker) and gets {ok} back on the port it sends.
self.addEventListener("message", function (event) {
  var d = event.data || {}, port = event.ports && event.ports[0];
  if (d.type !== "warm" || typeof d.url !== "string") return;
  var url = new URL(d.url, self.location.origin);
  if (url.origin !== self.location.origin || url.pathname !== "/team") {
    if (port) port.postMessage({ ok: false });
    return;
  }
  event.waitUntil(warm(url.href).then(function (ok) {
    if (port) port.postMessage({ ok: ok });
  }, function () {
    if (port) port.postMessage({ ok: false });
  }));
});

// pageKey drops ?day= and the fragment: team.js reads the day from the
// address, so the HTML is the same for every day.
function pageKey(href) {
  var u = new URL(href);
  u.searchParams.delete("day");
  u.hash = "";
  return u.href;
}

// cacheable is a plain 200 from this origin: not a redirect to /login.
function cacheable(res) {
  return res && res.status === 200 && res.type === "basic" && !res.redirected;
}

function cachedPage(key) {
  return caches.open(VERSION).then(function (c) { return c.match(key); });
}

function page(event) {
  var key = pageKey(event.request.url);
  var stored = Promise.resolve();
  var net = fetch(event.request).then(function (res) {
    if (cacheable(res)) stored = storePage(key, res.clone());
    return res;
  });
  event.waitUntil(net.then(function () { return stored; }, function () {}).catch(function () {}));
  event.respondWith(new Promise(function (resolve, reject) {
    var settled = false;
    function give(res) {
      if (settled || !res) return;
      settled = true;
      resolve(res);
    }
    var timer = setTimeout(function () { cachedPage(key).then(give, function () {}); }, PAGE_TIMEOUT_MS);
    net.then(function (res) {
      clearTimeout(timer);
      if (res.status >= 502 && res.status <= 504) {
        cachedPage(key).then(function (hit) { give(hit || res); }, function () { give(res); });
      } else {
        give(res);
      }
    }, function (err) {
      clearTimeout(timer);
      cachedPage(key).then(function (hit) {
        if (hit) give(hit);
        else if (!settled) { settled = true; reject(err); }
      }, function () {
        if (!settled) { settled = true; reject(err); }
      });
    });
  }));
}

// storePage caches a page and every asset it links; it resolves to true
// when all are cached.
function storePage(key, res) {
  return res.clone().text().then(function (html) {
    return caches.open(VERSION).then(function (c) {
      return c.put(key, res).then(function () { return cacheAssets(c, html); });
    });
  });
}

function warm(href) {
  var key = pageKey(href);
  return caches.open(VERSION).then(function (c) {
    return c.match(key).then(function (hit) {
      if (hit) return hit.text().then(function (html) { return cacheAssets(c, html); });
      return fetch(href, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
        return cacheable(res) ? storePage(key, res) : false;
      });
    });
  });
}

function cacheAssets(c, html) {
  var urls = [], m;
  ASSET_RE.lastIndex = 0;
  while ((m = ASSET_RE.exec(html)) !== null) {
    var u = new URL(m[1].replace(/&amp;/g, "&"), self.location.origin).href;
    if (urls.indexOf(u) < 0) urls.push(u);
  }
  return Promise.all(urls.map(function (u) {
    return c.match(u).then(function (hit) {
      if (hit) return true;
      return fetch(u).then(function (res) {
        if (!current(u, res)) return false;
        return putAsset(c, u, res).then(function () { return true; });
      });
    }).catch(function () { return false; });
  })).then(function (oks) {
    return oks.every(Boolean);
  });
}

// current is true when the server sent the version the URL names: after a
// deploy an old ?v= is answered with the new file, which must not be
// cached under the old name.
function current(href, res) {
  if (!res || res.status !== 200 || res.type !== "basic") return false;
  var v = new URL(href).searchParams.get("v");
  return res.headers.get("ETag") === '"' + v + '"';
}

// putAsset caches an asset and drops the other versions of the same file.
function putAsset(c, href, res) {
  var path = new URL(href).pathname;
  return c.put(href, res).then(function () {
    return c.keys();
  }).then(function (reqs) {
    return Promise.all(reqs.filter(function (r) {
      var u = new URL(r.url);
      return u.pathname === path && u.href !== href;
    }).map(function (r) { return c.delete(r); }));
  });
}

function asset(event) {
  var req = event.request;
  return caches.open(VERSION).then(function (c) {
    return c.match(req.url).then(function (hit) {
      if (hit) return hit;
      return fetch(req).then(function (res) {
        if (current(req.url, res)) {
          event.waitUntil(putAsset(c, req.url, res.clone()).catch(function () {}));
        }
        return res;
      });
    });
  }, function () {
    return fetch(req); // no Cache API (storage off): just the network
  });
}
