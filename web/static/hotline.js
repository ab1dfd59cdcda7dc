// hotline.js: the operator's new-request form. Search suggests registered
// pensioners first, then addresses; choosing one fills the address and
// location and moves the map pin. The map is optional (the keyboard path
// never enters it): a click or a dragged pin sets the location, and when no
// suggestion was chosen a reverse-geocode lookup fills the address. The
// duplicate warning is checked as soon as a location is known. Each form
// gets one Idempotency-Key, so a double click or a retry after a lost answer
// never creates a second request. All user data goes into the page through
// textContent, never as HTML.
(function () {
  "use strict";
  var i18n = window.qamqorI18n;
  if (i18n) {
    Object.assign(i18n.dict, {
      "hotline.map_hint": { kk: "Карта (міндетті емес): белгіні қою үшін басыңыз немесе орнын түзету үшін сүйреңіз.", ru: "Карта (необязательно): щёлкните, чтобы поставить метку, или перетащите её, чтобы уточнить место.", en: "Map (optional): click to place the pin or drag it to correct the location." },
      "hotline.reverse_looking": { kk: "Мекенжай ізделуде…", ru: "Ищем адрес…", en: "Looking up the address…" },
      "hotline.reverse_found": { kk: "Мекенжай картадан толтырылды — тексеріңіз.", ru: "Адрес заполнен по карте — проверьте его.", en: "Address filled in from the map — check it." },
      "hotline.reverse_none": { kk: "Жақын жерде мекенжай табылмады; оны қолмен теріңіз.", ru: "Рядом не найден адрес; введите его вручную.", en: "No address found near the pin; type it in." },
      "hotline.pin_moved": { kk: "белгі картада қойылды", ru: "метка поставлена на карте", en: "pin placed on the map" },
      "hotline.duplicate_checking": { kk: "Қайталанатын өтінімдер тексерілуде…", ru: "Проверяем дубликаты…", en: "Checking for duplicates…" }
    });
  }
  function t(key, fallback) { return i18n ? i18n.t(key, fallback) : (fallback || key); }
  var Q = window.qamqor, $ = Q.$, uuid = Q.uuid;

  // api calls the JSON API and resolves to {status, body}; network
  // failures reject. An ended session says so and goes to the login page.
  function api(method, url, body, headers) {
    return Q.request(method, url, body, { headers: headers }).then(function (res) {
      if (res.status === 401) {
        var p = $("form-error");
        p.textContent = t("hotline.session_expired", "Your session has ended; log in again.");
        p.hidden = false;
        window.location.assign("/login?next=" + encodeURIComponent("/hotline"));
      }
      return res;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("hotline"), search = $("search"), list = $("suggestions");
    var idemKey = uuid();
    var candidates = [], active = -1, searchSeq = 0, searchTimer = null, busy = false;
    // fromSuggestion: the location came from a chosen suggestion;
    // addressAuto: the address text was filled in by reverse geocoding.
    var fromSuggestion = false, addressAuto = false, reverseSeq = 0, dupSeq = 0, chosenName = "";

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
      fromSuggestion = true;
      addressAuto = false;
      chosenName = c.care_address_id && c.name ? c.name : "";
      closeList();
      placePin(Number(c.lat), Number(c.lon), true);
      checkDuplicates();
      $("kind").focus();
    }

    // Typing an address by hand drops the chosen location: it would no
    // longer match.
    // A pin the operator placed on the map stays: the text is theirs to
    // correct (a flat number, a landmark).
    $("address").addEventListener("input", function () {
      addressAuto = false;
      if (!fromSuggestion) return;
      fromSuggestion = false;
      $("lat").value = $("lon").value = $("care_address_id").value = "";
      noLocation();
      removePin();
      showDuplicates([]);
    });
    $("kind").addEventListener("change", checkDuplicates);

    // --- duplicate warning --------------------------------------------
    function checkDuplicates() {
      var q = "kind=" + encodeURIComponent($("kind").value);
      if ($("care_address_id").value) q += "&care_address_id=" + encodeURIComponent($("care_address_id").value);
      else if ($("lat").value) q += "&lat=" + encodeURIComponent($("lat").value) + "&lon=" + encodeURIComponent($("lon").value);
      else { showDuplicates([]); return; }
      var seq = ++dupSeq;
      $("status").textContent = t("hotline.duplicate_checking", "Checking for duplicates…");
      api("GET", "/api/requests/duplicates?" + q).then(function (res) {
        if (seq !== dupSeq) return; // the location changed meanwhile
        $("status").textContent = "";
        showDuplicates(res.status === 200 && Array.isArray(res.body) ? res.body : []);
      }).catch(function () { if (seq === dupSeq) $("status").textContent = ""; /* the 409 on submit still catches it */ });
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

    // --- map (optional; mouse and touch only) ---------------------------
    var map = null, marker = null, cityView = { center: [51.1282, 71.4304], zoom: 12 };

    function initMap(cfg) {
      var box = $("hotline-map");
      if (!window.L || !box || map) return;
      box.style.height = "18rem"; // CSSOM: the CSP forbids inline style attributes
      if (cfg && Array.isArray(cfg.center)) cityView = { center: cfg.center, zoom: cfg.zoom || 12 };
      map = L.map(box, { keyboard: false }).setView(cityView.center, cityView.zoom);
      // Without tiles (no internet) our own roads show where the pin is.
      qamqorMap.baseLayer(map, cfg && cfg.tile_url || "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
      // Keep the map out of the tab order: operators on the phone tab from
      // the address straight to the kind of help.
      box.setAttribute("tabindex", "-1");
      box.querySelectorAll("a, button, [tabindex]").forEach(function (e) { e.setAttribute("tabindex", "-1"); });
      map.on("click", function (e) { pinFromMap(e.latlng.lat, e.latlng.lng); });
      if ($("lat").value) placePin(Number($("lat").value), Number($("lon").value), true);
    }

    function placePin(lat, lon, pan) {
      if (!map || isNaN(lat) || isNaN(lon)) return;
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, keyboard: false, autoPan: true }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          pinFromMap(p.lat, p.lng);
        });
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (pan) map.setView([lat, lon], Math.max(map.getZoom(), 16));
    }

    function removePin() {
      if (marker) { marker.remove(); marker = null; }
    }

    // pinFromMap sets the location from a click or a dragged pin. A
    // registered pensioner stays linked (the pin corrects their location);
    // otherwise the address is looked up unless the operator typed one.
    function pinFromMap(lat, lon) {
      placePin(lat, lon, false);
      $("lat").value = lat.toFixed(6);
      $("lon").value = lon.toFixed(6);
      var who = $("care_address_id").value ? chosenName : "";
      $("location").textContent = lat.toFixed(5) + ", " + lon.toFixed(5) + (who ? " — " + who : "") +
        " (" + t("hotline.pin_moved", "pin placed on the map") + ")";
      if (!$("care_address_id").value) fromSuggestion = false;
      clearErrors();
      checkDuplicates();
      if (!$("care_address_id").value && ($("address").value.trim() === "" || addressAuto)) reverse(lat, lon);
    }

    function reverse(lat, lon) {
      var seq = ++reverseSeq;
      $("reverse-status").textContent = t("hotline.reverse_looking", "Looking up the address…");
      api("GET", "/api/geocode/reverse?lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon)).then(function (res) {
        if (seq !== reverseSeq) return;
        if (res.status === 200 && res.body && res.body.label) {
          if ($("address").value.trim() === "" || addressAuto) {
            $("address").value = res.body.label;
            addressAuto = true;
          }
          $("reverse-status").textContent = t("hotline.reverse_found", "Address filled in from the map — check it.");
        } else {
          $("reverse-status").textContent = t("hotline.reverse_none", "No address found near the pin; type it in.");
        }
      }).catch(function () {
        if (seq === reverseSeq) $("reverse-status").textContent = "";
      });
    }

    api("GET", "/api/map-config").then(function (res) {
      initMap(res.status === 200 ? res.body : null);
    }).catch(function () { initMap(null); });

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
      fromSuggestion = addressAuto = false;
      chosenName = "";
      removePin();
      $("reverse-status").textContent = "";
      if (map) map.setView(cityView.center, cityView.zoom);
      noLocation();
      showDuplicates([]);
      clearErrors();
      idemKey = uuid(); // a new form is a new request
      $("confirmation").hidden = true;
      form.hidden = false;
      if (map) map.invalidateSize();
      search.focus();
    });
    document.addEventListener("qamqor:lang", function () { if (!list.hidden) renderList(); });
  });
})();
