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
      "hotline.duplicate_checking": { kk: "Қайталанатын өтінімдер тексерілуде…", ru: "Проверяем дубликаты…", en: "Checking for duplicates…" },
      "hotline.err_location": { kk: "Іздеуден мекенжайды таңдаңыз немесе картаға белгі қойыңыз.", ru: "Выберите адрес в поиске или поставьте метку на карте.", en: "Choose an address in the search or put the pin on the map." },
      "hotline.err_address": { kk: "Мекенжайды жазыңыз.", ru: "Впишите адрес.", en: "Type the address." },
      "hotline.err_window_order": { kk: "Аралықтың соңы басынан кейін болуы керек.", ru: "Конец окна должен быть позже начала.", en: "The window must end after it starts." },
      "hotline.err_window_pair": { kk: "Аралықтың басын да, соңын да толтырыңыз (немесе екеуін де бос қалдырыңыз).", ru: "Заполните и начало, и конец окна (или оставьте оба пустыми).", en: "Fill in both the start and the end of the window (or leave both empty)." },
      "hotline.err_minutes": { kk: "Орында болу уақыты: 1-ден 480 минутқа дейін.", ru: "Время на месте: от 1 до 480 минут.", en: "Minutes on site: 1 to 480." },
      "hotline.err_packages": { kk: "Пакет саны: 0-ден 1000-ға дейін.", ru: "Пакетов: от 0 до 1000.", en: "Packages: 0 to 1000." },
      "hotline.dup_open": { kk: "ашу", ru: "открыть", en: "open" }
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
        // The geocoder's order: the exact house first, a pensioner first
        // only when the query names them or their exact address.
        candidates = res.body;
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
        a.href = "/requests/" + r.id; // a page, not the API's JSON
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = t("hotline.request", "Request") + " № " + r.id;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" — " + [r.address, r.kind ? t("kind." + r.kind, r.kind) : "",
          r.status ? i18n.word("status", r.status) : ""].filter(Boolean).join(", ")));
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
    // when reads a datetime-local field as Astana time (UTC+5), whatever
    // the zone of the operator's computer.
    function when(id) {
      var v = $(id).value;
      if (!v) return undefined;
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v) ? v + ":00+05:00" : v;
    }

    // check finds, before sending, every mistake the form can see itself,
    // so the operator fixes them all in one go; the server still checks.
    function check() {
      var errs = [];
      if (!$("lat").value) errs.push(["lat", t("hotline.err_location")]);
      else if (!$("address").value.trim() && !$("care_address_id").value) errs.push(["address", t("hotline.err_address")]);
      var ws = $("window_start").value, we = $("window_end").value;
      if ((ws && !we) || (!ws && we)) errs.push(["window_end", t("hotline.err_window_pair")]);
      else if (ws && we && we <= ws) errs.push(["window_end", t("hotline.err_window_order")]);
      var sm = num("service_minutes"), pk = num("packages");
      if (sm !== undefined && !(sm >= 1 && sm <= 480)) errs.push(["service_minutes", t("hotline.err_minutes")]);
      if (pk !== undefined && !(pk >= 0 && pk <= 1000)) errs.push(["packages", t("hotline.err_packages")]);
      return errs;
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

    // showFieldError shows msg under field's input; focus goes to the
    // first field in error unless noFocus.
    function showFieldError(field, msg, noFocus) {
      var target = null;
      form.querySelectorAll(".err").forEach(function (p) {
        if (!target && field && p.getAttribute("data-for").split(" ").indexOf(field) >= 0) target = p;
      });
      if (!target) { showFormError(t("hotline.error", "Could not create the request:") + " " + msg); return; }
      target.textContent = target.hidden || !target.textContent ? msg : target.textContent + " " + msg;
      target.hidden = false;
      var el = $(field === "lat" || field === "lon" || field === "care_address_id" ? "search" : field);
      if (el && !noFocus) el.focus();
    }

    // An error goes away as soon as its field changes: it may no longer be
    // true, and a stale message misleads.
    form.querySelectorAll(".err").forEach(function (p) {
      p.getAttribute("data-for").split(" ").forEach(function (f) {
        var el = $(f);
        if (!el || el.type === "hidden") return;
        ["input", "change"].forEach(function (ev) {
          el.addEventListener(ev, function () { p.hidden = true; p.textContent = ""; $("form-error").hidden = true; });
        });
      });
    });

    function submit(force) {
      if (busy) return; // double click: the first submission is still out
      clearErrors();
      var errs = check();
      if (errs.length) {
        errs.forEach(function (e, i) { showFieldError(e[0], e[1], i > 0); });
        return;
      }
      busy = true;
      var focusForce = false;
      $("submit").disabled = $("force").disabled = true;
      $("status").textContent = t("hotline.sending", "Sending…");
      api("POST", "/api/requests", input(force), { "Idempotency-Key": idemKey }).then(function (res) {
        if (res.status === 201 || res.status === 200) {
          confirmCreated(res.body, res.status === 200);
        } else if (res.status === 409 && res.body && res.body.duplicate_id) {
          showDuplicates([{ id: res.body.duplicate_id, address: res.body.duplicate_address,
            kind: res.body.duplicate_kind, status: res.body.duplicate_status }]);
          focusForce = true;
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
        // Only now is the button enabled and able to take the focus.
        if (focusForce) $("force").focus();
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
