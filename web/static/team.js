// team.js: the team lead's phone in the field. It shows today's route (stops,
// map, navigation links) and reports progress: start with the roster, each
// stop's outcome, finish. Every update goes into an outbox in localStorage
// first, with an Idempotency-Key made once, and is shown at once
// (optimistically); the outbox is sent in order when the connection allows,
// retried with backoff, and an update the server refuses (409, 422) is shown
// and dropped. While the route is active the phone shares its position.
// Live events on /ws?topic=team:<id> make the page reload the route. All
// data goes into the page through textContent, never as HTML.
(function () {
  "use strict";
  var i18n = window.qamqorI18n;
  if (i18n) {
    Object.assign(i18n.dict, {
      "team.title": { kk: "Менің бағытым", ru: "Мой маршрут", en: "My route" },
      "team.loading": { kk: "Жүктелуде…", ru: "Загрузка…", en: "Loading…" },
      "team.pick": { kk: "Топ нөмірі", ru: "Номер команды", en: "Team number" },
      "team.show": { kk: "Көрсету", ru: "Показать", en: "Show" },
      "team.no_team": { kk: "Сіз әлі ешбір топқа тіркелмегенсіз. Диспетчерге хабарласыңыз.", ru: "Вы пока не состоите в команде. Обратитесь к диспетчеру.", en: "You are not assigned to a team yet. Ask a dispatcher." },
      "team.offline": { kk: "Байланыс жоқ. Өзгерістер телефонда сақталады және байланыс қалпына келгенде жіберіледі.", ru: "Нет связи. Изменения сохранены в телефоне и будут отправлены, когда связь появится.", en: "No connection. Updates are kept on this phone and sent when the connection is back." },
      "team.unsent": { kk: "жіберілмеген", ru: "не отправлено", en: "unsent" },
      "team.unsent_help": { kk: "Телефонда сақталған, байланысты күтуде:", ru: "Сохранено в телефоне, ждёт связи:", en: "Saved on this phone, waiting for the connection:" },
      "team.send_now": { kk: "Қазір жіберу", ru: "Отправить сейчас", en: "Send now" },
      "team.retry_in": { kk: "қайта жіберу: {s} с кейін", ru: "повтор через {s} с", en: "retry in {s} s" },
      "team.roster": { kk: "Бүгін кім келді?", ru: "Кто сегодня вышел?", en: "Who is here today?" },
      "team.roster_help": { kk: "Келген еріктілерді белгілеңіз: олардың сағаттары бағыт басталғаннан бастап, ерте кетсе — кеткенге дейін, әйтпесе аяқталғанға дейін есептеледі.", ru: "Отметьте пришедших волонтёров: их часы считаются от начала маршрута до ухода или до конца маршрута.", en: "Tick the volunteers who came: their hours count from the start until they leave or the route finishes." },
      "team.roster_none": { kk: "Топ құрамы қолжетімсіз; диспетчерге хабарласыңыз.", ru: "Состав команды недоступен; обратитесь к диспетчеру.", en: "The team roster is not available; ask a dispatcher." },
      "team.roster_empty": { kk: "Кемінде бір еріктіні белгілеңіз.", ru: "Отметьте хотя бы одного волонтёра.", en: "Tick at least one volunteer." },
      "team.lead": { kk: "топ жетекшісі", ru: "руководитель", en: "team lead" },
      "team.start": { kk: "Бағытты бастау", ru: "Начать маршрут", en: "Start route" },
      "team.today": { kk: "Бүгін", ru: "Сегодня", en: "Today" },
      "team.tomorrow": { kk: "Ертең", ru: "Завтра", en: "Tomorrow" },
      "team.start_anyway": { kk: "Бәрібір бастау", ru: "Всё равно начать", en: "Start anyway" },
      "team.start_early": { kk: "Бұл бағыт бүгінге емес, {day} күніне арналған. Оны қазір бастау керек пе?", ru: "Этот маршрут не на сегодня, а на {day}. Начать его сейчас?", en: "This route is for {day}, not today. Start it now?" },
      "team.finish": { kk: "Бағытты аяқтау", ru: "Завершить маршрут", en: "Finish route" },
      "team.finish_pending": { kk: "Кейбір аялдамалар әлі ашық. Бәрібір аяқтау керек пе? Олардың өтінімдері диспетчерге қайтады.", ru: "Некоторые остановки ещё не пройдены. Всё равно завершить? Их заявки вернутся диспетчеру.", en: "Some stops are still open. Finish anyway? Their requests go back to the dispatcher." },
      "team.finish_anyway": { kk: "Бәрібір аяқтау", ru: "Всё равно завершить", en: "Finish anyway" },
      "team.finish_arrived": { kk: "Алдымен ағымдағы аялдамадағы сапардың қалай аяқталғанын көрсетіңіз.", ru: "Сначала отметьте, чем закончился визит на текущей остановке.", en: "First say how the visit at the current stop ended." },
      "team.cancel": { kk: "Болдырмау", ru: "Отмена", en: "Cancel" },
      "team.no_route": { kk: "Бүгінге бағыт әлі жоқ. Диспетчер жариялағанда ол осында пайда болады.", ru: "На сегодня маршрута пока нет. Он появится здесь, когда диспетчер его опубликует.", en: "No route for today yet. It appears here as soon as a dispatcher publishes it." },
      "team.start_first": { kk: "Алдымен құрамды белгілеп, бағытты бастаңыз.", ru: "Сначала отметьте состав и начните маршрут.", en: "Tick the roster and start the route first." },
      "team.stops_left": { kk: "{n} аялдама қалды", ru: "осталось остановок: {n}", en: "{n} stops left" },
      "team.arrived": { kk: "Келдік", ru: "На месте", en: "Arrived" },
      "team.done": { kk: "Орындалды", ru: "Выполнено", en: "Done" },
      "team.not_home": { kk: "Үйде жоқ", ru: "Нет дома", en: "Not home" },
      "team.no_access": { kk: "Кіру мүмкін емес", ru: "Нет доступа", en: "Could not access" },
      "team.note": { kk: "Ескертпе (не болды?)", ru: "Примечание (что случилось?)", en: "Note (what happened?)" },
      "team.confirm": { kk: "Растау", ru: "Подтвердить", en: "Confirm" },
      "team.navigate": { kk: "Жол көрсету:", ru: "Маршрут в:", en: "Navigate:" },
      "team.map_app": { kk: "Карта қолданбасы", ru: "Приложение карт", en: "Map app" },
      "team.call": { kk: "Қоңырау шалу", ru: "Позвонить", en: "Call" },
      "team.entrance": { kk: "Подъезд", ru: "Подъезд", en: "Entrance" },
      "team.floor": { kk: "Қабат", ru: "Этаж", en: "Floor" },
      "team.flat": { kk: "Пәтер", ru: "Квартира", en: "Flat" },
      "team.packages": { kk: "Пакеттер", ru: "Пакетов", en: "Packages" },
      "team.who": { kk: "Кім", ru: "Кто", en: "Who" },
      "team.way_in": { kk: "Кіреберіс", ru: "Вход", en: "Way in" },
      "team.access": { kk: "Кіру", ru: "Доступ", en: "Access" },
      "team.phone": { kk: "Телефон", ru: "Телефон", en: "Phone" },
      "team.notes": { kk: "Ескертпе", ru: "Примечание", en: "Notes" },
      "team.outcome": { kk: "Нәтиже", ru: "Итог", en: "Outcome" },
      "team.immobile": { kk: "Жүре алмайды", ru: "Маломобильный", en: "Cannot walk" },
      "team.eta": { kk: "Келу уақыты", ru: "Прибытие", en: "ETA" },
      "team.waiting": { kk: "жіберілмеді", ru: "не отправлено", en: "not sent yet" },
      "team.op.start": { kk: "Бағытты бастау", ru: "Начало маршрута", en: "Start route" },
      "team.op.finish": { kk: "Бағытты аяқтау", ru: "Завершение маршрута", en: "Finish route" },
      "team.op.stop": { kk: "{n}-аялдама", ru: "Остановка {n}", en: "Stop {n}" },
      "team.refused": { kk: "Сервер қабылдамады", ru: "Сервер не принял", en: "The server refused" },
      "team.session_expired": { kk: "Сессия аяқталды; қайта кіріңіз. Жіберілмегендер сақталған.", ru: "Сеанс истёк; войдите снова. Неотправленное сохранено.", en: "Your session has ended; log in again. Unsent updates are kept." },
      "team.login": { kk: "Кіру", ru: "Войти", en: "Log in" },
      "team.dismiss": { kk: "Жабу", ru: "Закрыть", en: "Dismiss" },
      "team.error": { kk: "Бағыт жүктелмеді", ru: "Не удалось загрузить маршрут", en: "Could not load the route" },
      "route.published": { kk: "басталмаған", ru: "не начат", en: "not started" },
      "route.in_progress": { kk: "жолда", ru: "в пути", en: "in progress" },
      "route.finished": { kk: "аяқталды", ru: "завершён", en: "finished" },
      "route.cancelled": { kk: "болдырылмады", ru: "отменён", en: "cancelled" },
      "stop.pending": { kk: "күтуде", ru: "ожидает", en: "pending" },
      "stop.arrived": { kk: "орнында", ru: "на месте", en: "arrived" },
      "stop.done": { kk: "орындалды", ru: "выполнено", en: "done" },
      "stop.not_home": { kk: "үйде жоқ", ru: "нет дома", en: "not home" },
      "stop.no_access": { kk: "кіру мүмкін емес", ru: "нет доступа", en: "no access" },
      "stop.removed": { kk: "алынып тасталды", ru: "снята", en: "removed" }
    });
  }
  function t(key, fallback, vars) {
    var s = i18n ? i18n.t(key, fallback) : (fallback || key);
    for (var k in vars || {}) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }
  var Q = window.qamqor, $ = Q.$, el = Q.el, uuid = Q.uuid;

  // api resolves to {status, body}, never from the HTTP cache; network
  // failures reject.
  function api(method, url, body, headers) {
    return Q.request(method, url, body, { headers: headers, cache: "no-store" });
  }

  function store(key, v) {
    try {
      if (v === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(v));
    } catch (e) { /* storage full or disabled: the page still works online */ }
  }
  // keepable is what of a route the phone may keep in its storage: door
  // details (entrance, floor, flat, access notes, the immobile flag, the
  // phone, notes) only while the route runs. Once it finishes, or for any
  // other day, the phone forgets them (the server sends them only then, too).
  function keepable(rt) {
    if (!rt || rt.status === "in_progress") return rt;
    var copy = JSON.parse(JSON.stringify(rt));
    (copy.stops || []).forEach(function (s) {
      delete s.notes;
      if (s.visit) {
        ["phone", "entrance", "floor", "flat", "access_notes", "immobile"].forEach(function (k) { delete s.visit[k]; });
      }
    });
    return copy;
  }
  function storeRoute(key, v) {
    store(key, v === null ? null : { route: keepable(v.route), path: v.path });
  }
  function load(key, def) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v === null ? def : v; } catch (e) { return def; }
  }

  var FINAL = { done: true, not_home: true, no_access: true, removed: true };

  document.addEventListener("DOMContentLoaded", function () {
    var app = $("team-app");
    var teamId = app ? Number(app.getAttribute("data-team-id")) : 0;
    if (!teamId) {
      window.qamqorTeam = { unsent: function () { return 0; }, stopStatuses: function () { return {}; } };
      return;
    }
    // ?day=YYYY-MM-DD shows another day's route (a lead checking
    // tomorrow's); without it the server picks today in Astana.
    var day = new URLSearchParams(location.search).get("day") || "";
    if (day === "tomorrow") day = i18n.today(1);
    if (day === "today") day = "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) day = "";
    var today = i18n.today(0);
    if (day === today) day = "";
    $(day ? "day-tomorrow" : "day-today").setAttribute("aria-current", "page");
    if (day && day !== i18n.today(1)) {
      $("day-tomorrow").removeAttribute("aria-current");
    }
    var sharePosition = app.getAttribute("data-share-position") === "true";
    var tileURL = app.getAttribute("data-tile-template");
    var K = { outbox: "qamqor.team." + teamId + ".outbox", route: "qamqor.team." + teamId + ".route", members: "qamqor.team." + teamId + ".members", roster: "qamqor.team." + teamId + ".roster" };

    var outbox = load(K.outbox, []);
    var cached = load(K.route, null);
    if (cached && cached.route && cached.route.status !== "in_progress") storeRoute(K.route, cached);
    var route = cached && cached.route || null, path = cached && cached.path || null;
    var members = load(K.members, null);
    var ticked = load(K.roster, {});
    var loaded = false, netDown = !navigator.onLine, flushing = false, flushTimer = null;
    var openNote = null; // {stopId, status, text}
    var finishAsk = false;

    // --- messages -------------------------------------------------------
    function message(text, withLogin) {
      var box = $("team-messages");
      var p = el("p", "alert");
      p.appendChild(document.createTextNode(text + " "));
      if (withLogin) {
        var a = el("a", null, t("team.login", "Log in"));
        a.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        p.appendChild(a);
        p.appendChild(document.createTextNode(" "));
      }
      var x = el("button", "link", t("team.dismiss", "Dismiss"));
      x.type = "button";
      x.addEventListener("click", function () { p.remove(); });
      p.appendChild(x);
      box.appendChild(p);
      while (box.children.length > 4) box.removeChild(box.firstChild);
    }
    function problemText(res) {
      var b = res.body || {};
      return b.detail || b.title || ("HTTP " + res.status);
    }

    function setNet(down) {
      netDown = down;
      $("offline-banner").hidden = !down && navigator.onLine;
    }
    window.addEventListener("offline", function () { setNet(true); });
    window.addEventListener("online", function () { setNet(false); flush(true); loadRoute(); connect(true); });

    // --- the view: the server's route plus the unsent updates -------------
    function view() {
      if (!route) return null;
      var v = { id: route.id, status: route.status, day: route.day, stops: [] };
      var byId = {};
      (route.stops || []).forEach(function (s) {
        var c = Object.assign({}, s, { unsent: false });
        byId[s.id] = c;
        v.stops.push(c);
      });
      outbox.forEach(function (op) {
        if (op.routeId !== route.id) return;
        if (op.type === "start" && v.status === "published") v.status = "in_progress";
        if (op.type === "stop") {
          var s = byId[op.stopId];
          if (s && !FINAL[s.status]) { s.status = op.status; s.unsent = true; if (op.body.note) s.note = op.body.note; }
          if (v.status === "published") v.status = "in_progress";
        }
        if (op.type === "finish") {
          v.status = "finished";
          if (op.body.force) v.stops.forEach(function (s) { if (s.status === "pending") s.status = "removed"; });
        }
      });
      v.stops = v.stops.filter(function (s) { return s.status !== "removed"; });
      var act = -1;
      v.stops.forEach(function (s, i) { if (act < 0 && s.status === "arrived") act = i; });
      if (act < 0 && v.status === "in_progress") v.stops.forEach(function (s, i) { if (act < 0 && s.status === "pending") act = i; });
      v.stops.forEach(function (s, i) { s.isActive = i === act; s.n = i + 1; });
      return v;
    }

    // --- outbox ---------------------------------------------------------
    function saveOutbox() { store(K.outbox, outbox); }

    function enqueue(op) {
      op.key = uuid();
      op.created = Date.now();
      op.attempts = 0;
      op.nextAt = 0;
      outbox.push(op);
      saveOutbox();
      render();
      flush(true);
    }

    function drop(op) {
      outbox = outbox.filter(function (o) { return o.key !== op.key; });
      saveOutbox();
    }

    function backoff(op) {
      op.attempts = (op.attempts || 0) + 1;
      var delay = Math.min(60000, 1000 * Math.pow(2, Math.min(op.attempts, 6)));
      op.nextAt = Date.now() + delay * (0.75 + Math.random() * 0.5);
      saveOutbox();
      renderOutbox();
    }

    // applyAnswer folds a successful answer into the route so the screen
    // does not flicker back before the route is reloaded.
    function applyAnswer(op, body) {
      if (!route || !body || op.routeId !== route.id) return;
      if (op.type === "stop" && body.stop) {
        (route.stops || []).forEach(function (s) {
          if (s.id === body.stop.id) { s.status = body.stop.status; s.note = body.stop.note; }
        });
        if (body.route_status) route.status = body.route_status;
      } else if ((op.type === "start" || op.type === "finish") && body.route) {
        route.status = body.route.status;
        var removed = body.removed_stop_ids || [];
        route.stops = (route.stops || []).filter(function (s) { return removed.indexOf(s.id) < 0; });
      }
      storeRoute(K.route, { route: route, path: path });
    }

    // flush sends the outbox in order, one update at a time: a stop's
    // "done" must not overtake its "arrived", nor the route's start.
    function flush(now) {
      if (flushing || !outbox.length) { renderOutbox(); return; }
      var op = outbox[0];
      if (!now && op.nextAt > Date.now()) return;
      flushing = true;
      api("POST", op.url, op.body, { "Idempotency-Key": op.key }).then(function (res) {
        flushing = false;
        setNet(false);
        if (res.status >= 200 && res.status < 300) {
          drop(op);
          applyAnswer(op, res.body);
          render();
          if (outbox.length) flush(true);
          else loadRoute();
          return;
        }
        if (res.status === 401) {
          message(t("team.session_expired", "Your session has ended; log in again. Unsent updates are kept."), true);
          backoff(op);
          return;
        }
        if (res.status === 408 || res.status === 429 || res.status >= 500) { backoff(op); return; }
        // 409, 422 and other refusals will not change on retry: say so and
        // move on.
        drop(op);
        message(t("team.refused", "The server refused") + " — " + op.label + ": " + problemText(res));
        render();
        if (outbox.length) flush(true);
        else loadRoute();
      }, function () {
        flushing = false;
        setNet(true);
        backoff(op);
      });
    }

    // --- loading --------------------------------------------------------
    var routeSeq = 0;
    function loadRoute() {
      var seq = ++routeSeq;
      return api("GET", "/api/teams/" + teamId + "/route" + (day ? "?day=" + encodeURIComponent(day) : "")).then(function (res) {
        if (seq !== routeSeq) return;
        setNet(false);
        loaded = true;
        if (res.status === 200 && res.body) {
          var changed = !route || route.id !== res.body.id;
          route = res.body;
          storeRoute(K.route, { route: route, path: changed ? null : path });
          if (changed) { path = null; fitted = false; }
          if (changed || !path) loadPath();
        } else if (res.status === 404) {
          route = null;
          path = null;
          storeRoute(K.route, null);
        } else if (res.status === 401) {
          message(t("team.session_expired", "Your session has ended; log in again. Unsent updates are kept."), true);
        } else {
          message(t("team.error", "Could not load the route") + ": " + problemText(res));
        }
        render();
      }, function () {
        if (seq === routeSeq) setNet(true);
        loaded = true;
        render();
      });
    }

    function loadPath() {
      if (!route) return;
      var id = route.id;
      api("GET", "/api/routes/" + id).then(function (res) {
        if (!route || route.id !== id || res.status !== 200 || !res.body) return;
        path = Array.isArray(res.body.path) && res.body.path.length > 1 ? res.body.path : null;
        storeRoute(K.route, { route: route, path: path });
        drawMap(view());
      }, function () { /* the straight line between stops will do */ });
    }

    function loadMembers() {
      api("GET", "/api/teams/" + teamId + "/members").then(function (res) {
        if (res.status === 200 && res.body && Array.isArray(res.body.members)) {
          members = res.body;
          store(K.members, members);
          render();
        } else if (!members) {
          members = { members: [], error: problemText(res) };
          render();
        }
      }, function () { /* the cached roster, if any, stays */ });
    }

    var refetchTimer = null;
    function scheduleRefetch(withPath) {
      clearTimeout(refetchTimer);
      refetchTimer = setTimeout(function () {
        if (withPath) path = null;
        loadRoute();
      }, 300);
    }

    // --- rendering ------------------------------------------------------
    function fmtTime(iso) {
      if (!iso) return "";
      var d = new Date(iso);
      if (isNaN(d)) return "";
      return window.qamqorI18n.time(d); // 24-hour clock, Astana time
    }

    function render() {
      var v = view();
      renderSummary(v);
      renderRoster(v);
      renderStops(v);
      renderFinish(v);
      renderOutbox();
      drawMap(v);
      updateGeo(v);
    }

    function renderSummary(v) {
      var p = $("route-summary");
      p.removeAttribute("data-i18n");
      if (!v) {
        p.textContent = loaded ? t("team.no_route", "No route for today yet.") : t("team.loading", "Loading…");
        return;
      }
      var left = v.stops.filter(function (s) { return !FINAL[s.status]; }).length;
      var parts = [v.day, t("route." + v.status, v.status)];
      if (v.status === "in_progress" || v.status === "published") parts.push(t("team.stops_left", "{n} stops left", { n: left }));
      p.textContent = parts.join(" · ");
    }

    function renderRoster(v) {
      var box = $("roster");
      var show = !!v && v.status === "published";
      box.hidden = !show;
      if (!show) return;
      if (!members) loadMembers();
      var ul = $("roster-list");
      ul.textContent = "";
      var list = members && members.members || [];
      if (members && !list.length) ul.appendChild(el("li", "muted", t("team.roster_none", "The team roster is not available; ask a dispatcher.") + (members.error ? " (" + members.error + ")" : "")));
      list.forEach(function (m) {
        var li = el("li");
        var label = el("label");
        var cb = document.createElement("input");
        cb.type = "checkbox";
        cb.value = m.id;
        cb.checked = !!ticked[m.id];
        cb.addEventListener("change", function () {
          if (cb.checked) ticked[m.id] = true; else delete ticked[m.id];
          store(K.roster, ticked);
        });
        label.appendChild(cb);
        label.appendChild(document.createTextNode(" " + m.full_name));
        if (m.lead) label.appendChild(el("span", "tag", t("team.lead", "team lead")));
        li.appendChild(label);
        ul.appendChild(li);
      });
      $("start-route").disabled = !list.length;
    }

    function navLinks(s) {
      var lat = Number(s.lat).toFixed(6), lon = Number(s.lon).toFixed(6);
      return [
        ["2GIS", "https://2gis.kz/astana/geo/" + lon + "," + lat, "nav-2gis"],
        ["Yandex", "https://yandex.kz/maps/?rtext=~" + lat + "," + lon + "&rtt=auto", "nav-yandex"],
        ["Google", "https://www.google.com/maps/dir/?api=1&destination=" + lat + "," + lon, "nav-google"],
        [t("team.map_app", "Map app"), "geo:" + lat + "," + lon + "?q=" + lat + "," + lon, "nav-geo"]
      ];
    }

    function stopButtons(v, s) {
      var wrap = el("div", "acts");
      if (v.status !== "in_progress" || FINAL[s.status]) {
        if (v.status === "published" && !FINAL[s.status]) wrap.appendChild(el("p", "muted small", t("team.start_first", "Tick the roster and start the route first.")));
        return wrap;
      }
      var opts = s.status === "arrived" ? ["done", "not_home", "no_access"] : ["arrived", "done", "not_home", "no_access"];
      opts.forEach(function (st) {
        var b = el("button", "act act-" + st, t("team." + st, st));
        b.type = "button";
        b.setAttribute("data-action", st);
        if ((st === "arrived" && s.isActive) || (st === "done" && s.status === "arrived")) b.classList.add("primary");
        b.addEventListener("click", function () {
          if (st === "not_home" || st === "no_access") {
            openNote = { stopId: s.id, status: st, text: "" };
            render();
            var ta = document.querySelector('.note-form[data-stop-id="' + s.id + '"] textarea');
            if (ta) ta.focus();
            return;
          }
          report(s, st, "");
        });
        wrap.appendChild(b);
      });
      return wrap;
    }

    function noteForm(s) {
      var f = el("div", "note-form");
      f.setAttribute("data-stop-id", s.id);
      var id = "note-" + s.id;
      var l = el("label", null, t("team.note", "Note (what happened?)") + " — " + t("team." + openNote.status, openNote.status));
      l.htmlFor = id;
      var ta = document.createElement("textarea");
      ta.id = id;
      ta.rows = 2;
      ta.maxLength = 2000;
      ta.value = openNote.text;
      ta.addEventListener("input", function () { openNote.text = ta.value; });
      var ok = el("button", "primary", t("team.confirm", "Confirm"));
      ok.type = "button";
      ok.className = "primary confirm-note";
      ok.addEventListener("click", function () {
        var st = openNote.status, text = openNote.text;
        openNote = null;
        report(s, st, text);
      });
      var cancel = el("button", null, t("team.cancel", "Cancel"));
      cancel.type = "button";
      cancel.addEventListener("click", function () { openNote = null; render(); });
      f.appendChild(l);
      f.appendChild(ta);
      var row = el("div", "row-btns");
      row.appendChild(ok);
      row.appendChild(cancel);
      f.appendChild(row);
      return f;
    }

    function report(s, status, note) {
      var body = { status: status };
      if (note) body.note = note;
      enqueue({
        type: "stop", routeId: route.id, stopId: s.id, status: status, body: body,
        url: "/api/stops/" + s.id + "/status",
        label: t("team.op.stop", "Stop {n}", { n: s.n }) + ": " + t("stop." + status, status)
      });
    }

    function renderStops(v) {
      var ol = $("stops");
      var focusId = document.activeElement && document.activeElement.id;
      ol.textContent = "";
      if (!v) return;
      v.stops.forEach(function (s) {
        var li = el("li", "stop st-" + s.status + (s.isActive ? " active" : "") + (s.unsent ? " unsent" : ""));
        li.id = "stop-" + s.id;
        li.setAttribute("data-stop-id", s.id);
        li.setAttribute("data-status", s.status);
        var head = el("div", "stop-head");
        head.appendChild(el("span", "num", s.n));
        var main = el("div", "addr");
        main.appendChild(el("strong", null, s.address));
        var meta = [t("kind." + s.kind, s.kind)];
        if (s.eta && !FINAL[s.status]) meta.push(t("team.eta", "ETA") + " " + fmtTime(s.eta));
        main.appendChild(el("div", "meta muted", meta.join(" · ")));
        head.appendChild(main);
        var badge = el("span", "status st-" + s.status, t("stop." + s.status, s.status) + (s.unsent ? " *" : ""));
        if (s.unsent) badge.title = t("team.waiting", "not sent yet");
        head.appendChild(badge);
        li.appendChild(head);

        var dl = el("dl", "visit");
        function row(k, val) {
          if (val === undefined || val === null || val === "") return;
          dl.appendChild(el("dt", null, k));
          var dd = el("dd");
          if (val instanceof Node) dd.appendChild(val); else dd.textContent = String(val);
          dl.appendChild(dd);
        }
        var vi = s.visit || {};
        if (vi.name) row(t("team.who", "Who"), vi.name + (vi.immobile ? " · " + t("team.immobile", "Cannot walk") : ""));
        var way = [];
        if (vi.entrance) way.push(t("team.entrance", "Entrance") + " " + vi.entrance);
        if (vi.floor) way.push(t("team.floor", "Floor") + " " + vi.floor);
        if (vi.flat) way.push(t("team.flat", "Flat") + " " + vi.flat);
        if (way.length) row(t("team.way_in", "Way in"), way.join(", "));
        if (vi.access_notes) row(t("team.access", "Access"), vi.access_notes);
        if (vi.phone) {
          var a = el("a", "phone", vi.phone);
          a.href = "tel:" + vi.phone.replace(/[^+\d]/g, "");
          a.setAttribute("aria-label", t("team.call", "Call") + " " + vi.phone);
          row(t("team.phone", "Phone"), a);
        }
        if (s.packages) row(t("team.packages", "Packages"), s.packages);
        if (s.notes) row(t("team.notes", "Notes"), s.notes);
        if (s.note) row(t("team.outcome", "Outcome"), s.note);
        if (dl.children.length) li.appendChild(dl);

        if (!FINAL[s.status]) {
          var nav = el("div", "nav");
          nav.appendChild(el("span", "muted small", t("team.navigate", "Navigate:")));
          navLinks(s).forEach(function (n) {
            var a = el("a", "navlink " + n[2], n[0]);
            a.href = n[1];
            if (n[1].indexOf("http") === 0) { a.target = "_blank"; a.rel = "noopener"; }
            nav.appendChild(a);
          });
          li.appendChild(nav);
        }
        li.appendChild(stopButtons(v, s));
        if (openNote && openNote.stopId === s.id && !FINAL[s.status]) li.appendChild(noteForm(s));
        ol.appendChild(li);
      });
      if (focusId && $(focusId)) $(focusId).focus();
    }

    function renderFinish(v) {
      var show = !!v && v.status === "in_progress";
      $("finish-box").hidden = !show;
      $("finish-confirm").hidden = !(show && finishAsk);
      $("finish-route").hidden = show && finishAsk;
    }

    function renderOutbox() {
      var n = outbox.length;
      $("unsent-count").textContent = n;
      $("unsent-toggle").hidden = n === 0;
      $("unsent-toggle").classList.toggle("some", n > 0);
      var ul = $("unsent-list");
      ul.textContent = "";
      outbox.forEach(function (op) {
        var txt = op.label;
        if (op.nextAt > Date.now()) txt += " — " + t("team.retry_in", "retry in {s} s", { s: Math.ceil((op.nextAt - Date.now()) / 1000) });
        ul.appendChild(el("li", null, txt));
      });
      if (n === 0) {
        $("unsent-box").hidden = true;
        $("unsent-toggle").setAttribute("aria-expanded", "false");
      }
    }

    // --- actions ----------------------------------------------------------
    $("unsent-toggle").addEventListener("click", function () {
      var box = $("unsent-box");
      box.hidden = !box.hidden;
      $("unsent-toggle").setAttribute("aria-expanded", box.hidden ? "false" : "true");
    });
    $("send-now").addEventListener("click", function () { flush(true); });

    $("start-route").addEventListener("click", function () {
      var v = view();
      if (!v || v.status !== "published") return;
      // A route for another day is started only after a warning: a lead
      // looking at tomorrow's stops must not start them tonight by mistake.
      if (v.day && v.day !== i18n.today(0)) {
        $("start-early-text").textContent = t("team.start_early", "This route is for {day}, not today. Start it now?", { day: v.day });
        $("start-early").hidden = false;
        $("start-early-no").focus();
        return;
      }
      startRoute();
    });
    $("start-early-no").addEventListener("click", function () { $("start-early").hidden = true; $("start-route").focus(); });
    $("start-early-yes").addEventListener("click", function () { $("start-early").hidden = true; startRoute(); });
    function startRoute() {
      var v = view();
      if (!v || v.status !== "published") return;
      var ids = Object.keys(ticked).map(Number).filter(function (id) {
        return (members && members.members || []).some(function (m) { return m.id === id; });
      });
      if (!ids.length) { message(t("team.roster_empty", "Tick at least one volunteer.")); return; }
      enqueue({
        type: "start", routeId: v.id, body: { present_volunteer_ids: ids },
        url: "/api/routes/" + v.id + "/start", label: t("team.op.start", "Start route")
      });
    }

    function finish(force) {
      var v = view();
      if (!v || v.status !== "in_progress") return;
      finishAsk = false;
      enqueue({
        type: "finish", routeId: v.id, body: { force: !!force },
        url: "/api/routes/" + v.id + "/finish", label: t("team.op.finish", "Finish route")
      });
    }
    $("finish-route").addEventListener("click", function () {
      var v = view();
      if (!v) return;
      if (v.stops.some(function (s) { return s.status === "arrived"; })) {
        message(t("team.finish_arrived", "First say how the visit at the current stop ended."));
        return;
      }
      if (v.stops.some(function (s) { return s.status === "pending"; })) {
        finishAsk = true;
        render();
        $("finish-force").focus();
        return;
      }
      finish(false);
    });
    $("finish-force").addEventListener("click", function () { finish(true); });
    $("finish-cancel").addEventListener("click", function () { finishAsk = false; render(); });

    // --- map ------------------------------------------------------------
    var map = null, pathLayer = null, stopLayer = null, meLayer = null, fitted = false;
    function initMap() {
      if (!window.L || !$("team-map")) return;
      map = L.map("team-map", { zoomControl: true }).setView([51.1282, 71.4304], 12);
      // Without tiles (no internet) our own roads lead to the stops.
      qamqorMap.baseLayer(map, tileURL || "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
      pathLayer = L.layerGroup().addTo(map);
      stopLayer = L.layerGroup().addTo(map);
      meLayer = L.layerGroup().addTo(map);
      // Pins are spread for the zoom they are seen at.
      map.on("zoomend", function () { if (fitted) drawMap(view()); });
    }

    function drawMap(v) {
      if (!map) return;
      pathLayer.clearLayers();
      stopLayer.clearLayers();
      if (!v || !v.stops.length) return;
      var pts = path || v.stops.map(function (s) { return [s.lat, s.lon]; });
      if (pts.length > 1) L.polyline(pts, { color: "#0b6bcb", weight: 5, opacity: 0.75 }).addTo(pathLayer);
      if (!fitted) {
        var b = L.latLngBounds(v.stops.map(function (s) { return [s.lat, s.lon]; }));
        if (lastPos) b.extend(lastPos);
        map.fitBounds(b, { padding: [24, 24], maxZoom: 16, animate: false });
        fitted = true;
      }
      var offs = spread(v.stops);
      v.stops.forEach(function (s, i) {
        var icon = L.divIcon({
          className: "stop-pin st-" + s.status + (s.isActive ? " active" : ""),
          html: String(Number(s.n)), iconSize: [28, 28], iconAnchor: [14 - offs[i][0], 14 - offs[i][1]]
        });
        L.marker([s.lat, s.lon], { icon: icon, keyboard: false, title: s.n + ". " + s.address })
          .on("click", function () {
            var li = $("stop-" + s.id);
            if (li) li.scrollIntoView({ behavior: "smooth", block: "start" });
          }).addTo(stopLayer);
      });
    }

    // spread returns a pixel offset per stop so that no two pins overlap at
    // the current zoom (flats of one building, neighbours across a yard):
    // a pin too close to one already placed moves round it on a ring.
    var PIN = 30;
    function spread(stops) {
      var placed = [];
      return stops.map(function (s) {
        var p = map.latLngToLayerPoint([s.lat, s.lon]);
        var off = [0, 0];
        var clash = function (o) {
          return placed.some(function (q) { return Math.abs(q.x - p.x - o[0]) < PIN && Math.abs(q.y - p.y - o[1]) < PIN; });
        };
        for (var i = 0; clash(off) && i < 48; i++) {
          var ring = 1 + Math.floor(i / 8), a = (i % 8) * Math.PI / 4 + ring * 0.4;
          off = [Math.round(ring * PIN * Math.cos(a)), Math.round(ring * PIN * Math.sin(a))];
        }
        placed.push({ x: p.x + off[0], y: p.y + off[1] });
        return off;
      });
    }

    var lastPos = null;
    function drawTeam(lat, lon, acc) {
      lastPos = [lat, lon];
      if (!map) return;
      meLayer.clearLayers();
      if (acc && acc < 500) L.circle(lastPos, { radius: acc, color: "#2e8b57", weight: 1, fillOpacity: 0.1 }).addTo(meLayer);
      L.circleMarker(lastPos, { radius: 8, color: "#fff", weight: 3, fillColor: "#2e8b57", fillOpacity: 1 }).addTo(meLayer);
    }

    // --- position sharing -------------------------------------------------
    var watchId = null, lastSent = 0, POS_EVERY = 5000;
    function updateGeo(v) {
      var want = sharePosition && !!v && v.status === "in_progress" && !!navigator.geolocation;
      if (want && watchId === null) {
        watchId = navigator.geolocation.watchPosition(onPosition, function () { /* denied or unavailable */ },
          { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
      } else if (!want && watchId !== null) {
        navigator.geolocation.clearWatch(watchId);
        watchId = null;
      }
    }
    function onPosition(p) {
      var c = p.coords;
      drawTeam(c.latitude, c.longitude, c.accuracy);
      var now = Date.now();
      if (now - lastSent < POS_EVERY || netDown || !navigator.onLine) return;
      lastSent = now;
      // Positions are not queued: an old position is worth nothing.
      api("POST", "/api/teams/" + teamId + "/position", {
        lat: c.latitude, lon: c.longitude, accuracy_m: Math.round(c.accuracy || 0)
      }).then(function (res) {
        if (res.status === 200 && res.body && Array.isArray(res.body.etas)) applyETAs(res.body.etas);
      }, function () { setNet(true); });
    }
    function applyETAs(etas) {
      if (!route || !etas.length) return;
      var m = {};
      etas.forEach(function (e) { m[e.stop_id] = e.eta; });
      (route.stops || []).forEach(function (s) { if (s.id in m) s.eta = m[s.id]; });
      renderStops(view());
    }

    // --- live updates ---------------------------------------------------
    var ws = null, wsDelay = 1000, wsTimer = null, lastEvent = null;
    function connect(now) {
      if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
      clearTimeout(wsTimer);
      if (!now && !navigator.onLine) { wsTimer = setTimeout(connect, wsDelay); return; }
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
        "/ws?topic=team:" + teamId + (lastEvent !== null ? "&since=" + lastEvent : "");
      try { ws = new WebSocket(url); } catch (e) { retry(); return; }
      ws.onopen = function () { wsDelay = 1000; setNet(false); loadRoute(); };
      ws.onmessage = function (e) {
        String(e.data).split("\n").forEach(function (line) {
          if (!line.trim()) return;
          var m;
          try { m = JSON.parse(line); } catch (err) { return; }
          onEvent(m);
        });
      };
      ws.onclose = function () { ws = null; retry(); };
    }
    function retry() {
      clearTimeout(wsTimer);
      wsTimer = setTimeout(connect, wsDelay * (0.75 + Math.random() * 0.5));
      wsDelay = Math.min(wsDelay * 2, 30000);
    }
    function onEvent(m) {
      if (m.type === "hello") { lastEvent = m.last_id; return; }
      if (m.type === "reset") { lastEvent = m.last_id; scheduleRefetch(true); return; }
      if (typeof m.id === "number") lastEvent = Math.max(lastEvent || 0, m.id);
      switch (m.type) {
        case "route.published":
        case "route.changed":
          scheduleRefetch(true);
          break;
        case "stop.updated":
        case "route.started":
        case "route.finished":
          scheduleRefetch(false);
          break;
        case "team.position":
          var p = m.payload || {};
          if (typeof p.lat === "number" && typeof p.lon === "number" && watchId === null) drawTeam(p.lat, p.lon, p.accuracy_m);
          if (Array.isArray(p.etas)) applyETAs(p.etas);
          break;
      }
    }

    // --- offline reloads ------------------------------------------------
    // team-sw.js caches this page and its assets so it can be reloaded
    // without network; the route then comes from localStorage (K.route).
    // The page's first load did not go through the worker, so it asks the
    // worker to cache it, again whenever a new worker takes over (a new
    // worker starts with an empty cache).
    var offlineReady = false;
    function warmWorker() {
      navigator.serviceWorker.ready.then(function (reg) {
        if (!reg.active) return;
        var ch = new MessageChannel();
        ch.port1.onmessage = function (e) { offlineReady = !!(e.data && e.data.ok); };
        reg.active.postMessage({ type: "warm", url: location.href }, [ch.port2]);
      });
    }
    function registerWorker() {
      if (!("serviceWorker" in navigator)) return;
      navigator.serviceWorker.register("/team-sw.js", { scope: "/team" }).then(warmWorker, function (err) {
        console.warn("team: no offline reloads:", err && err.message || err);
      });
      navigator.serviceWorker.addEventListener("controllerchange", warmWorker);
    }

    // --- start ----------------------------------------------------------
    window.qamqorTeam = {
      // offlineReady is true once the worker holds this page and its assets.
      offlineReady: function () { return offlineReady; },
      unsent: function () { return outbox.length; },
      stopStatuses: function () {
        var out = {};
        var v = view();
        (v ? v.stops : []).forEach(function (s) { out[s.id] = s.status; });
        return out;
      },
      flush: function () { flush(true); }
    };
    document.addEventListener("qamqor:lang", render);
    initMap();
    setNet(!navigator.onLine);
    render();
    loadRoute();
    flush(true);
    connect(true);
    registerWorker();
    // Periodic retries: the online event is unreliable on some phones.
    flushTimer = setInterval(function () { flush(false); renderOutbox(); }, 5000);
  });
})();
