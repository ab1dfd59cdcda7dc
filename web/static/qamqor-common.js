// qamqor-common.js: helpers the page scripts share, as window.qamqor.
// Templates load it (deferred) after i18n.js and before the page's script.
//
//   $(id), el(tag, cls, text)   DOM look-up and creation; text goes in
//                               through textContent, never as HTML.
//   csrf()                      the token of <meta name="csrf-token">.
//   uuid()                      a random UUID v4 for Idempotency-Key:
//                               crypto.randomUUID, else getRandomValues
//                               (plain-http LAN set-ups), else Math.random.
//   request(method, url, body, {headers, cache})
//                               sends JSON with X-CSRF-Token and resolves to
//                               {status, ok, statusText, body, headers}; body
//                               is the decoded JSON or null. Only network
//                               failures reject.
//   api(method, url, body, {headers, cache})
//                               the same, but resolves to the body when the
//                               answer is 2xx and otherwise rejects with an
//                               Error whose message is readable (the
//                               problem's detail or title), with .status and
//                               .problem; network failures reject with
//                               .network set.
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      try { return crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function request(method, url, body, opts) {
    opts = opts || {};
    var h = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    // Problem details come back in the language the user picked.
    if (window.qamqorI18n) h["Accept-Language"] = qamqorI18n.lang();
    if (body !== undefined) h["Content-Type"] = "application/json";
    for (var k in opts.headers || {}) h[k] = opts.headers[k];
    var init = {
      method: method, headers: h, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    };
    if (opts.cache) init.cache = opts.cache;
    return fetch(url, init).then(function (res) {
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (res.status === 503 && data && data.code === "unavailable" && res.headers.get("Retry-After")) {
          outage(Number(res.headers.get("Retry-After")) || 5);
        } else if (res.status < 500) {
          recovered();
        }
        return { status: res.status, ok: res.ok, statusText: res.statusText, body: data, headers: res.headers };
      });
    });
  }

  // outage shows a banner while the server answers 503 "unavailable" (its
  // database is unreachable) and checks /readyz until it is ready again;
  // the page keeps its state and the user retries when the banner goes.
  var banner = null, readyTimer = null;
  function outage(retryAfter) {
    if (!banner) {
      banner = el("div", "qamqor-outage", window.qamqorI18n ? qamqorI18n.t("common.db_unavailable") :
        "The server cannot reach its database. Your work is kept; try again when this message goes away.");
      banner.setAttribute("role", "alert");
      banner.id = "qamqor-outage";
      var st = banner.style;
      st.position = "fixed"; st.top = "0"; st.left = "0"; st.right = "0"; st.zIndex = "10000";
      st.padding = "8px 12px"; st.background = "#b00020"; st.color = "#fff"; st.font = "600 14px sans-serif";
      st.textAlign = "center";
      document.body.appendChild(banner);
    }
    if (readyTimer) return;
    readyTimer = setTimeout(function check() {
      fetch("/readyz", { cache: "no-store" }).then(function (r) {
        if (r.ok) { readyTimer = null; recovered(); }
        else readyTimer = setTimeout(check, Math.max(retryAfter, 2) * 1000);
      }, function () { readyTimer = setTimeout(check, Math.max(retryAfter, 2) * 1000); });
    }, Math.max(retryAfter, 2) * 1000);
  }

  function recovered() {
    if (banner) { banner.remove(); banner = null; }
  }

  function api(method, url, body, opts) {
    return request(method, url, body, opts).then(function (r) {
      if (r.ok) return r.body;
      var e = new Error((r.body && (r.body.detail || r.body.title)) || (r.status + " " + r.statusText));
      e.status = r.status;
      e.problem = r.body;
      throw e;
    }, function () {
      var e = new Error(window.qamqorI18n ? qamqorI18n.t("common.network_error") : "No connection to the server.");
      e.network = true;
      throw e;
    });
  }

  window.qamqor = { $: $, el: el, csrf: csrf, uuid: uuid, request: request, api: api };
})();
