// hotline.js: the operator's new-request form. Search suggests registered
// pensioners first, then addresses; choosing one fills the address and
// location. Each form gets one Idempotency-Key, so a double click or a retry
// after a lost answer never creates a second request. All user data goes
// into the page through textContent, never as HTML.
(function () {
  "use strict";
  var i18n = window.qamqorI18n;
  function t(key, fallback) { return i18n ? i18n.t(key, fallback) : (fallback || key); }
  function $(id) { return document.getElementById(id); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; plain-http LAN set-ups fall back.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }

  // api calls the JSON API and resolves to {status, body}; network
  // failures reject.
  function api(method, url, body, headers) {
    var h = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    if (body !== undefined) h["Content-Type"] = "application/json";
    for (var k in headers || {}) h[k] = headers[k];
    return fetch(url, {
      method: method, headers: h, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      if (res.status === 401) {
        showFormError(t("hotline.session_expired", "Your session has ended; log in again."));
        window.location.assign("/login?next=" + encodeURIComponent("/hotline"));
      }
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        return { status: res.status, body: data };
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("hotline"), search = $("search"), list = $("suggestions");
    var idemKey = uuid();
    var candidates = [], active = -1, searchSeq = 0, searchTimer = null, busy = false;

    function noLocation() {
      var span = document.createElement("span");
      span.setAttribute("data-i18n", "hotline.no_location");
      span.textContent = t("hotline.no_location", "Choose an address from the search");
      $("location").textContent = "";
      $("location").appendChild(span);
    }

    // --- search with live suggestions ---------------------------------
    function closeList() {
      list.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function renderList() {
      list.textContent = "";
      if (!candidates.length) {
        var li = document.createElement("li");
        li.className = "muted";
        li.textContent = t("hotline.no_results", "Nothing found");
        list.appendChild(li);
      }
      candidates.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = "sugg-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        if (c.care_address_id) {
          li.className = "care";
          var badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = t("hotline.registered", "Registered");
          li.appendChild(badge);
          var who = [c.name, c.phone].filter(Boolean).join(", ");
          li.appendChild(document.createTextNode((who ? who + " — " : "") + c.label));
        } else {
          li.textContent = c.label;
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      search.setAttribute("aria-expanded", "true");
      if (active >= 0) search.setAttribute("aria-activedescendant", "sugg-" + active);
    }

    function runSearch() {
      var q = search.value.trim();
      if (q.length < 2) { candidates = []; closeList(); return; }
      var seq = ++searchSeq;
      api("GET", "/api/geocode?limit=10&q=" + encodeURIComponent(q)).then(function (res) {
        if (seq !== searchSeq) return; // a newer search is under way
        if (res.status !== 200 || !Array.isArray(res.body)) { candidates = []; closeList(); return; }
        // Registered pensioners first, as the geocoder ranks them, then the rest.
        candidates = res.body.filter(function (c) { return c.care_address_id; })
          .concat(res.body.filter(function (c) { return !c.care_address_id; }));
        active = candidates.length ? 0 : -1;
        renderList();
      }).catch(function () { /* suggestions are best effort */ });
    }

    search.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(runSearch, 200);
    });
    search.addEventListener("keydown", function (e) {
      if (list.hidden && e.key === "ArrowDown") { runSearch(); return; }
      if (list.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!candidates.length) return;
        active = (active + (e.key === "ArrowDown" ? 1 : candidates.length - 1)) % candidates.length;
        renderList();
        var el = $("sugg-" + active);
        if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (active >= 0) choose(active);
      } else if (e.key === "Escape") {
        closeList();
      }
    });
    search.addEventListener("blur", function () { setTimeout(closeList, 100); });

    function choose(i) {
      var c = candidates[i];
      if (!c) return;
      $("address").value = c.label;
      $("lat").value = c.lat;
      $("lon").value = c.lon;
      $("care_address_id").value = c.care_address_id || "";
      $("location").textContent = Number(c.lat).toFixed(5) + ", " + Number(c.lon).toFixed(5) +
        (c.name ? " — " + c.name : "");
      search.value = c.care_address_id && c.name ? c.name : c.label;
      closeList();
      checkDuplicates();
      $("kind").focus();
    }

    // Typing an address by hand drops the chosen location: it would no
    // longer match.
    $("address").addEventListener("input", function () {
      $("lat").value = $("lon").value = $("care_address_id").value = "";
      noLocation();
      showDuplicates([]);
    });
    $("kind").addEventListener("change", checkDuplicates);

    // --- duplicate warning --------------------------------------------
    function checkDuplicates() {
      var q = "kind=" + encodeURIComponent($("kind").value);
      if ($("care_address_id").value) q += "&care_address_id=" + encodeURIComponent($("care_address_id").value);
      else if ($("lat").value) q += "&lat=" + encodeURIComponent($("lat").value) + "&lon=" + encodeURIComponent($("lon").value);
      else { showDuplicates([]); return; }
      api("GET", "/api/requests/duplicates?" + q).then(function (res) {
        showDuplicates(res.status === 200 && Array.isArray(res.body) ? res.body : []);
      }).catch(function () { /* the 409 on submit still catches it */ });
    }

    function showDuplicates(reqs) {
      var box = $("duplicates"), ul = box.querySelector("ul");
      ul.textContent = "";
      reqs.forEach(function (r) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = r.url || ("/api/requests/" + r.id);
        a.textContent = t("hotline.request", "Request") + " № " + r.id;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" — " + [r.address, t("kind." + r.kind, r.kind), r.status].filter(Boolean).join(", ")));
        ul.appendChild(li);
      });
      box.hidden = reqs.length === 0;
      $("force").hidden = reqs.length === 0;
    }

    // --- submit ---------------------------------------------------------
    function num(id) { var v = $(id).value.trim(); return v === "" ? undefined : Number(v); }
    function when(id) {
      var v = $(id).value;
      if (!v) return undefined;
      var d = new Date(v); // datetime-local is local time
      return isNaN(d) ? v : d.toISOString();
    }

    function input(force) {
      var in_ = {
        kind: $("kind").value,
        priority: $("priority").value,
        address: $("address").value,
        notes: $("notes").value,
        force: !!force
      };
      if ($("care_address_id").value) in_.care_address_id = Number($("care_address_id").value);
      if ($("lat").value) { in_.lat = Number($("lat").value); in_.lon = Number($("lon").value); }
      var sm = num("service_minutes"), pk = num("packages");
      if (sm !== undefined) in_.service_minutes = sm;
      if (pk !== undefined) in_.packages = pk;
      var ws = when("window_start"), we = when("window_end");
      if (ws) in_.window_start = ws;
      if (we) in_.window_end = we;
      return in_;
    }

    function clearErrors() {
      form.querySelectorAll(".err").forEach(function (p) { p.hidden = true; p.textContent = ""; });
      $("form-error").hidden = true;
    }

    function showFormError(msg) {
      var p = $("form-error");
      p.textContent = msg;
      p.hidden = false;
    }

    function showFieldError(field, msg) {
      var target = null;
      form.querySelectorAll(".err").forEach(function (p) {
        if (!target && field && p.getAttribute("data-for").split(" ").indexOf(field) >= 0) target = p;
      });
      if (!target) { showFormError(t("hotline.error", "Could not create the request:") + " " + msg); return; }
      target.textContent = msg;
      target.hidden = false;
      var el = $(field === "lat" || field === "lon" || field === "care_address_id" ? "search" : field);
      if (el) el.focus();
    }

    function submit(force) {
      if (busy) return; // double click: the first submission is still out
      busy = true;
      clearErrors();
      $("submit").disabled = $("force").disabled = true;
      $("status").textContent = t("hotline.sending", "Sending…");
      api("POST", "/api/requests", input(force), { "Idempotency-Key": idemKey }).then(function (res) {
        if (res.status === 201 || res.status === 200) {
          confirmCreated(res.body, res.status === 200);
        } else if (res.status === 409 && res.body && res.body.duplicate_id) {
          showDuplicates([{ id: res.body.duplicate_id, url: res.body.duplicate_url, address: res.body.detail }]);
          $("force").focus();
        } else if (res.body && res.body.detail) {
          showFieldError(res.body.field, res.body.detail);
        } else {
          showFormError(t("hotline.error", "Could not create the request:") + " HTTP " + res.status);
        }
      }).catch(function () {
        // The key stays the same, so retrying cannot create a second request.
        showFormError(t("hotline.network_error", "No connection to the server; try again (nothing is created twice)."));
      }).then(function () {
        busy = false;
        $("submit").disabled = $("force").disabled = false;
        $("status").textContent = "";
      });
    }

    function confirmCreated(r, replayed) {
      form.hidden = true;
      $("confirmation-text").textContent = replayed
        ? t("hotline.replayed", "This request was already created:")
        : t("hotline.created", "Request created. Read the number back to the caller:");
      $("request-number").textContent = r.id;
      $("confirmation-summary").textContent = [t("kind." + r.kind, r.kind), r.address,
        t("priority." + r.priority, r.priority)].filter(Boolean).join(" · ");
      $("confirmation").hidden = false;
      $("reset").focus();
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); submit(false); });
    $("force").addEventListener("click", function () { submit(true); });
    $("reset").addEventListener("click", function () {
      form.reset();
      $("lat").value = $("lon").value = $("care_address_id").value = "";
      noLocation();
      showDuplicates([]);
      clearErrors();
      idemKey = uuid(); // a new form is a new request
      $("confirmation").hidden = true;
      form.hidden = false;
      search.focus();
    });
    document.addEventListener("qamqor:lang", function () { if (!list.hidden) renderList(); });
  });
})();
