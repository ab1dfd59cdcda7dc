// dispatch.js: the dispatcher's live map (templates/dispatch.html).
//
// It loads a snapshot (GET /api/map/requests, /api/teams/positions,
// /api/routes?day=, /api/alerts?status=open, /api/districts), then applies
// the events of /ws?topic=dispatch incrementally. After a drop it reconnects
// with backoff and resumes from the last event id; a "reset" reloads the
// snapshot. Every piece of user data reaches the page through textContent.
//
// Test hook: window.qamqorDispatch = {lastEventId, markerCount(),
// requestIds(), ...}.
(function () {
  "use strict";

  var I = window.qamqorI18n;
  Object.assign(I.dict, {
    "dispatch.offline": { kk: "Сервермен байланыс жоқ: жаңартулар тоқтатылды, қайта қосылуда…", ru: "Нет связи с сервером: обновления приостановлены, переподключение…", en: "No connection to the server: live updates are paused, reconnecting…" },
    "dispatch.no_tiles": { kk: "Карта тайлдары жүктелмейді; жолдар өз дерекқорымыздан салынды.", ru: "Тайлы карты не загружаются; дороги нарисованы из нашей базы.", en: "Map tiles cannot load; roads are drawn from our own database." },
    "dispatch.day": { kk: "Күн", ru: "День", en: "Day" },
    "dispatch.kind": { kk: "Түрі", ru: "Вид", en: "Kind" },
    "dispatch.kinds": { kk: "Түрлері", ru: "Виды", en: "Kinds" },
    "dispatch.status": { kk: "Күйі", ru: "Статус", en: "Status" },
    "dispatch.district": { kk: "Аудан", ru: "Район", en: "District" },
    "dispatch.districts": { kk: "Аудандар (таңдалмаса — бүкіл қала)", ru: "Районы (ничего — весь город)", en: "Districts (none: whole city)" },
    "dispatch.organisation": { kk: "Ұйым", ru: "Организация", en: "Organisation" },
    "dispatch.all": { kk: "Барлығы", ru: "Все", en: "All" },
    "dispatch.open_statuses": { kk: "Ашық", ru: "Открытые", en: "Open" },
    "dispatch.counts": { kk: "Картада: {shown} / {total} өтінім", ru: "На карте: {shown} из {total} заявок", en: "On the map: {shown} of {total} requests" },
    "dispatch.plan": { kk: "Күнді жоспарлау", ru: "Спланировать день", en: "Plan a day" },
    "dispatch.plan_start": { kk: "Жоспарлау", ru: "Спланировать", en: "Plan" },
    "dispatch.plan_running": { kk: "Жоспарлануда…", ru: "Идёт планирование…", en: "Planning…" },
    "dispatch.plan_done": { kk: "Жоспар дайын: жоба бағыттарын қарап, жариялаңыз.", ru: "План готов: проверьте черновики маршрутов и опубликуйте.", en: "Plan ready: review the draft routes and publish them." },
    "dispatch.plan_result": { kk: "Бағыттарға қосылды: {assigned}; қосылмады: {unplanned}.", ru: "В маршрутах: {assigned}; не назначено: {unplanned}.", en: "On routes: {assigned}; not assigned: {unplanned}." },
    "dispatch.plan_failed": { kk: "Жоспарлау сәтсіз аяқталды:", ru: "Планирование не удалось:", en: "Planning failed:" },
    "dispatch.routes": { kk: "Бағыттар", ru: "Маршруты", en: "Routes" },
    "dispatch.show_drafts": { kk: "Жобаларды картада көрсету", ru: "Показывать черновики на карте", en: "Show drafts on the map" },
    "dispatch.publish": { kk: "Таңдалған жобаларды жариялау", ru: "Опубликовать выбранные черновики", en: "Publish selected drafts" },
    "dispatch.published": { kk: "Жарияланған бағыттар:", ru: "Опубликовано маршрутов:", en: "Routes published:" },
    "dispatch.no_routes": { kk: "Бұл күнге бағыт жоқ.", ru: "На этот день маршрутов нет.", en: "No routes for this day." },
    "dispatch.stops": { kk: "Аялдамалар", ru: "Остановки", en: "Stops" },
    "dispatch.eta_next": { kk: "келесі", ru: "следующая", en: "next" },
    "dispatch.eta_end": { kk: "аяқталуы", ru: "окончание", en: "ends" },
    "dispatch.lock": { kk: "Бекіту", ru: "Закрепить", en: "Lock" },
    "dispatch.conflict": { kk: "Бұл аялдаманы басқа диспетчер жаңа ғана өзгертті; картада олардың нұсқасы көрсетілді.", ru: "Эту остановку только что изменил другой диспетчер; на карте показана их версия.", en: "Another dispatcher just changed this stop; the map now shows their version." },
    "dispatch.conflict_reload": { kk: "Олардың нұсқасын қалдыру", ru: "Оставить их версию", en: "Keep theirs (reload)" },
    "dispatch.publish_conflict": { kk: "Басқа диспетчер жобаны сіз қарағаннан кейін өзгертті; ештеңе жарияланған жоқ. Картадағы жаңа нұсқаны қарап, қайта жариялаңыз.", ru: "Другой диспетчер изменил черновик после вашей проверки; ничего не опубликовано. Проверьте новую версию на карте и опубликуйте снова.", en: "Another dispatcher changed a draft after you reviewed it; nothing was published. Check the new version on the map and publish again." },
    "dispatch.conflict_overwrite": { kk: "Менікін қолдану (үстінен жазу)", ru: "Применить моё (перезаписать)", en: "Apply mine (overwrite)" },
    "dispatch.move": { kk: "Жылжыту", ru: "Перенести", en: "Move" },
    "dispatch.move_to": { kk: "Қай бағытқа", ru: "В маршрут", en: "To route" },
    "dispatch.position": { kk: "Орны", ru: "Позиция", en: "Position" },
    "dispatch.remove": { kk: "Алып тастау", ru: "Убрать", en: "Remove" },
    "dispatch.remove_confirm": { kk: "Аялдаманы бағыттан алып тастау керек пе? Өтінім қайта кезекке түседі.", ru: "Убрать остановку из маршрута? Заявка вернётся в очередь.", en: "Take this stop off its route? The request goes back to the queue." },
    "dispatch.drag_hint": { kk: "Аялдамаларды сүйреп ретін өзгертуге болады.", ru: "Остановки можно перетаскивать.", en: "Drag stops to reorder them." },
    "dispatch.queue": { kk: "Тағайындалмаған өтінімдер", ru: "Неназначенные заявки", en: "Unassigned queue" },
    "dispatch.queue_empty": { kk: "Тағайындалмаған өтінім жоқ.", ru: "Неназначенных заявок нет.", en: "No unassigned requests." },
    "dispatch.more": { kk: "және тағы {n}", ru: "и ещё {n}", en: "and {n} more" },
    "dispatch.cancel_request": { kk: "Өтінімнен бас тарту", ru: "Отменить заявку", en: "Cancel request" },
    "dispatch.approve_visit": { kk: "Келісімсіз баруды мақұлдау", ru: "Одобрить визит без согласия", en: "Approve visit without consent" },
    "dispatch.visit_approved": { kk: "Бару мақұлданды, келесі жоспарға кіреді: өтінім", ru: "Визит одобрен, войдёт в следующий план: заявка", en: "Visit approved, the next plan includes request" },
    "dispatch.cancel_confirm": { kk: "Өтінімнен бас тарту керек пе?", ru: "Отменить заявку?", en: "Cancel this request?" },
    "dispatch.cancelled": { kk: "Өтінімнен бас тартылды", ru: "Заявка отменена", en: "Request cancelled" },
    "dispatch.alerts": { kk: "Ашық дабылдар", ru: "Открытые тревоги", en: "Open alerts" },
    "dispatch.alerts_bar": { kk: "Дабылдар", ru: "Тревоги", en: "Welfare alerts" },
    "dispatch.alert_show": { kk: "Көрсету", ru: "Показать", en: "Show" },
    "dispatch.close": { kk: "Жабу", ru: "Закрыть", en: "Close" },
    "keys.title": { kk: "Пернетақта тіркесімдері", ru: "Горячие клавиши", en: "Keyboard shortcuts" },
    "keys.alert": { kk: "Ең жаңа дабыл", ru: "Последняя тревога", en: "Newest welfare alert" },
    "keys.queue": { kk: "Тағайындалмаған кезек", ru: "Нераспределённые заявки", en: "Unassigned queue" },
    "keys.routes": { kk: "Бағыттар", ru: "Маршруты", en: "Routes" },
    "keys.plan": { kk: "Күнді жоспарлау", ru: "Спланировать день", en: "Plan a day" },
    "keys.campaign": { kk: "Науқан ашу", ru: "Открыть кампанию", en: "Open a campaign" },
    "keys.day": { kk: "Күн", ru: "День", en: "Day" },
    "keys.prev_next": { kk: "Алдыңғы / келесі күн", ru: "Предыдущий / следующий день", en: "Previous / next day" },
    "keys.publish": { kk: "Таңдалған жобаларды жариялау", ru: "Опубликовать выбранные черновики", en: "Publish the selected drafts" },
    "keys.map": { kk: "Карта (көрсеткілер жылжытады, + және − масштаб)", ru: "Карта (стрелки двигают, + и − масштаб)", en: "Map (arrows move, + and − zoom)" },
    "keys.help": { kk: "Осы тізім", ru: "Этот список", en: "This list" },
    "keys.close": { kk: "Жабу", ru: "Закрыть", en: "Close" },
    "keys.hint": { kk: "пернетақта тіркесімдері", ru: "горячие клавиши", en: "keyboard shortcuts" },
    "dispatch.moved": { kk: "Аялдама жылжытылды.", ru: "Остановка перенесена.", en: "Stop moved." },
    "dispatch.if_moved": { kk: "Жылжытсаңыз:", ru: "Если перенести:", en: "If moved:" },
    "dispatch.over_shift": { kk: "ауысымнан {min} мин артық", ru: "на {min} мин позже конца смены", en: "{min} min past the shift" },
    "dispatch.windows_missed": { kk: "{n} уақыт аралығы өтіп кетеді", ru: "пропущено окон: {n}", en: "{n} time window(s) missed" },
    "dispatch.in_shift": { kk: "ауысымға сияды", ru: "в пределах смены", en: "within the shift" },
    "dispatch.alerts_empty": { kk: "Ашық дабыл жоқ.", ru: "Открытых тревог нет.", en: "No open alerts." },
    "dispatch.handle": { kk: "Шешілді", ru: "Обработано", en: "Handled" },
    "dispatch.handle_note": { kk: "Не істелді?", ru: "Что сделано?", en: "What was done?" },
    "dispatch.campaign": { kk: "Науқан ашу", ru: "Открыть кампанию", en: "Open a campaign" },
    "dispatch.campaign_kind": { kk: "Науқан", ru: "Кампания", en: "Campaign" },
    "dispatch.title": { kk: "Атауы", ru: "Название", en: "Title" },
    "dispatch.snowfall_cm": { kk: "Қар қалыңдығы, см", ru: "Снегопад, см", en: "Snowfall, cm" },
    "dispatch.packages_per_address": { kk: "Бір мекенжайға пакет", ru: "Пакетов на адрес", en: "Packages per address" },
    "dispatch.campaign_open": { kk: "Науқанды ашу", ru: "Открыть кампанию", en: "Open campaign" },
    "dispatch.campaign_opened": { kk: "Науқан ашылды, жасалған өтінімдер:", ru: "Кампания открыта, создано заявок:", en: "Campaign opened; requests created:" },
    "dispatch.network_error": { kk: "Сервермен байланыс жоқ; қайталаңыз.", ru: "Нет связи с сервером; повторите.", en: "No connection to the server; try again." },
    "dispatch.session_expired": { kk: "Сессия аяқталды; қайта кіріңіз.", ru: "Сеанс истёк; войдите снова.", en: "Your session has ended; log in again." },
    "dispatch.error": { kk: "Орындалмады:", ru: "Не удалось:", en: "Could not do that:" },
    "dispatch.request": { kk: "Өтінім", ru: "Заявка", en: "Request" },
    "dispatch.team": { kk: "Топ", ru: "Команда", en: "Team" },
    "dispatch.at_base": { kk: "базада (орны белгісіз)", ru: "на базе (позиция неизвестна)", en: "at base (no position yet)" },
    "dispatch.seen": { kk: "соңғы орны", ru: "последняя позиция", en: "last seen" },
    "dispatch.no_route": { kk: "бүгін бағыт жоқ", ru: "сегодня без маршрута", en: "no route today" },
    "dispatch.layer_requests": { kk: "Өтінімдер", ru: "Заявки", en: "Requests" },
    "dispatch.layer_teams": { kk: "Топтар", ru: "Команды", en: "Teams" },
    "dispatch.layer_routes": { kk: "Бағыттар", ru: "Маршруты", en: "Routes" },
    "dispatch.layer_districts": { kk: "Аудан шекаралары", ru: "Границы районов", en: "District borders" },
    "dispatch.layer_alerts": { kk: "Дабылдар", ru: "Тревоги", en: "Alerts" },
    "dispatch.layer_roads": { kk: "Жолдар (өз деректер)", ru: "Дороги (наши данные)", en: "Roads (our data)" },
    "dispatch.legend_shapes": { kk: "● қар  ■ азық-түлік  ▲ басқа", ru: "● снег  ■ продукты  ▲ другое", en: "● snow  ■ food  ▲ other" },
    "dispatch.unassigned_reason": { kk: "Себебі", ru: "Причина", en: "Reason" },
    "status.new": { kk: "Жаңа", ru: "Новая", en: "New" },
    "status.planned": { kk: "Жоспарланған", ru: "Запланирована", en: "Planned" },
    "status.assigned": { kk: "Тағайындалған", ru: "Назначена", en: "Assigned" },
    "status.in_progress": { kk: "Орындалуда", ru: "Выполняется", en: "In progress" },
    "status.done": { kk: "Орындалды", ru: "Выполнена", en: "Done" },
    "status.failed": { kk: "Орындалмады", ru: "Не выполнена", en: "Failed" },
    "status.cancelled": { kk: "Бас тартылды", ru: "Отменена", en: "Cancelled" },
    "route.draft": { kk: "жоба", ru: "черновик", en: "draft" },
    "route.published": { kk: "жарияланған", ru: "опубликован", en: "published" },
    "route.in_progress": { kk: "жолда", ru: "в пути", en: "in progress" },
    "route.finished": { kk: "аяқталды", ru: "завершён", en: "finished" },
    "route.cancelled": { kk: "бас тартылды", ru: "отменён", en: "cancelled" },
    "stop.pending": { kk: "күтуде", ru: "ожидает", en: "pending" },
    "stop.arrived": { kk: "орнында", ru: "на месте", en: "arrived" },
    "stop.done": { kk: "орындалды", ru: "выполнено", en: "done" },
    "stop.not_home": { kk: "үйде жоқ", ru: "нет дома", en: "not home" },
    "stop.no_access": { kk: "кіру мүмкін емес", ru: "нет доступа", en: "no access" },
    "stop.removed": { kk: "алынды", ru: "убрана", en: "removed" },
    "alert.not_home": { kk: "Үйде жоқ (жалғыз зейнеткер)", ru: "Нет дома (одинокий пенсионер)", en: "Not at home (lives alone)" },
    "campaign.snowfall": { kk: "Қар жауу", ru: "Снегопад", en: "Snowfall" },
    "campaign.food": { kk: "Азық-түлік пакеттері", ru: "Продуктовые наборы", en: "Food packages" }
  });
  function t(key, fallback) { return I.t(key, fallback); }
  function tf(key, vars) {
    return t(key).replace(/\{(\w+)\}/g, function (_, k) { return vars[k] !== undefined ? String(vars[k]) : ""; });
  }

  var KINDS = ["snow_clearing", "food_delivery", "other"];
  var STATUSES = ["new", "planned", "assigned", "in_progress", "done", "failed", "cancelled"];
  var OPEN = { "new": 1, planned: 1, assigned: 1, in_progress: 1 };
  var CANCELLABLE = { "new": 1, planned: 1, assigned: 1 };
  var PRIORITIES = ["normal", "high", "urgent"];
  var ASTANA = [51.1282, 71.4304];

  var Q = window.qamqor, $ = Q.$, el = Q.el;
  var root, map, cluster, teamLayer, routeLayer, districtLayer, alertLayer, roadLayer, layerControl;
  var S = {
    requests: {}, // id → {p: properties, lat, lon, marker, shown}
    teams: {}, // id → {p, lat, lon, marker}
    routes: {}, // id → route JSON from /api/routes
    alerts: {}, // id → {a, lat, lon, marker}
    districts: [],
    lastId: 0,
    ready: false, // snapshot loaded; events before it wait in pending
    pending: [],
    planJob: null,
    expanded: {}, // route id → stops list open
    selected: {} // draft route id → chosen for publishing
  };

  // ---- helpers ----

  // inkOn is black or white, whichever reads better on colour c (WCAG
  // relative luminance; the darker ink above 0.18).
  function inkOn(c) {
    var h = c.replace("#", "");
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var v = parseInt(h.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return L > 0.18 ? "#000" : "#fff";
  }
  function safeColor(c) { return /^#[0-9a-fA-F]{3,8}$/.test(c || "") ? c : "#3366cc"; }

  function fmtTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return "";
    return window.qamqorI18n.time(d); // 24-hour clock, Astana time
  }

  // api sends a JSON request and resolves with the decoded body; failures
  // reject with an Error whose message is readable (the problem's detail,
  // or this page's words for an ended session or a lost connection).
  function api(method, url, body, headers) {
    return Q.api(method, url, body, { headers: headers }).catch(function (e) {
      if (e.network) e.message = t("dispatch.network_error");
      else if (e.status === 401) e.message = t("dispatch.session_expired");
      throw e;
    });
  }

  // notice shows a toast at the bottom of the window (not at the top of a
  // scrolled panel): confirmations for 6 s, errors for 15 s, each with a
  // close button.
  function notice(text, ok) {
    var box = $("toasts");
    var n = el("div", "toast" + (ok ? " ok" : ""));
    n.setAttribute("role", ok ? "status" : "alert");
    n.appendChild(document.createTextNode(text));
    var x = el("button", null, "×");
    x.type = "button";
    x.setAttribute("aria-label", t("dispatch.close"));
    x.addEventListener("click", function () { n.remove(); });
    n.appendChild(x);
    box.appendChild(n);
    while (box.children.length > 4) box.removeChild(box.firstChild);
    setTimeout(function () { n.remove(); }, ok ? 6000 : 15000);
  }
  function fail(err) {
    notice(t("dispatch.error") + " " + (err && err.message ? err.message : String(err)));
  }

  // later coalesces re-renders: each name runs once per animation frame.
  var queued = {};
  function later(name, fn) {
    if (queued[name]) return;
    queued[name] = true;
    requestAnimationFrame(function () { queued[name] = false; fn(); });
  }
  // debounce runs fn once, ms after the last call for name.
  var timers = {};
  function debounce(name, ms, fn) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(fn, ms);
  }

  function day() { return $("f-day").value || root.dataset.today; }
  function filters() {
    return { kind: $("f-kind").value, status: $("f-status").value, district: $("f-district").value, org: $("f-org").value };
  }

  // ---- requests ----

  var iconCache = {};
  function requestIcon(p) {
    var kind = KINDS.indexOf(p.kind) >= 0 ? p.kind : "other";
    var st = STATUSES.indexOf(p.status) >= 0 ? p.status : "new";
    var pr = PRIORITIES.indexOf(p.priority) >= 0 ? p.priority : "normal";
    var k = kind + "|" + st + "|" + pr;
    if (!iconCache[k]) {
      // Only whitelisted tokens reach this markup, never user data.
      iconCache[k] = L.divIcon({ className: "rq-icon", iconSize: [16, 16], iconAnchor: [8, 8],
        html: '<span class="rq k-' + kind + " s-" + st + " p-" + pr + '"></span>' });
    }
    return iconCache[k];
  }

  function visible(p) {
    var f = filters();
    if (f.kind && p.kind !== f.kind) return false;
    if (f.status === "open") { if (!OPEN[p.status]) return false; }
    else if (f.status && p.status !== f.status) return false;
    if (f.district && String(p.district_id) !== f.district) return false;
    if (f.org && String(p.organisation_id) !== f.org) return false;
    return true;
  }

  // upsertRequest adds or updates one request from API or event
  // properties; it returns the entry.
  function upsertRequest(p, lat, lon, batch) {
    if (!p || !p.id) return null;
    var r = S.requests[p.id];
    if (!r) {
      if (typeof lat !== "number" || typeof lon !== "number") return null;
      var m = L.marker([lat, lon], { icon: requestIcon(p), keyboard: false });
      m.qid = p.id;
      r = S.requests[p.id] = { p: p, lat: lat, lon: lon, marker: m, shown: false };
    } else {
      var before = r.p;
      r.p = Object.assign({}, r.p, p);
      if (before.kind !== r.p.kind || before.status !== r.p.status || before.priority !== r.p.priority) {
        r.marker.setIcon(requestIcon(r.p));
      }
      if (typeof lat === "number" && typeof lon === "number" && (lat !== r.lat || lon !== r.lon)) {
        r.lat = lat; r.lon = lon;
        r.marker.setLatLng([lat, lon]);
      }
    }
    var want = visible(r.p);
    if (want !== r.shown) {
      r.shown = want;
      if (batch) (want ? batch.add : batch.remove).push(r.marker);
      else if (want) cluster.addLayer(r.marker);
      else cluster.removeLayer(r.marker);
    }
    return r;
  }

  // The snapshot of /api/map/requests replaces every request.
  function loadRequests() {
    return api("GET", "/api/map/requests").then(function (fc) {
      var seen = {};
      var batch = { add: [], remove: [] };
      (fc.features || []).forEach(function (f) {
        var c = f.geometry && f.geometry.coordinates;
        if (!c) return;
        seen[f.properties.id] = true;
        upsertRequest(f.properties, c[1], c[0], batch);
      });
      Object.keys(S.requests).forEach(function (id) {
        if (!seen[id]) {
          if (S.requests[id].shown) batch.remove.push(S.requests[id].marker);
          delete S.requests[id];
        }
      });
      if (batch.remove.length) cluster.removeLayers(batch.remove);
      if (batch.add.length) cluster.addLayers(batch.add);
      renderRequestsSide();
    });
  }

  function applyFilters() {
    var batch = { add: [], remove: [] };
    Object.keys(S.requests).forEach(function (id) {
      var r = S.requests[id];
      var want = visible(r.p);
      if (want !== r.shown) {
        r.shown = want;
        (want ? batch.add : batch.remove).push(r.marker);
      }
    });
    if (batch.remove.length) cluster.removeLayers(batch.remove);
    if (batch.add.length) cluster.addLayers(batch.add);
    renderRequestsSide();
    drawRoutes();
    drawTeams();
  }

  function renderRequestsSide() {
    later("queue", renderQueue);
    later("counts", renderCounts);
  }

  function renderCounts() {
    var total = 0, shown = 0;
    Object.keys(S.requests).forEach(function (id) {
      total++;
      if (S.requests[id].shown) shown++;
    });
    $("counts").textContent = tf("dispatch.counts", { shown: shown, total: total });
  }

  function requestLine(p) {
    var parts = ["№ " + p.id, t("kind." + p.kind, p.kind), t("status." + p.status, p.status)];
    if (p.priority && p.priority !== "normal") parts.push(t("priority." + p.priority, p.priority));
    return parts.join(" · ");
  }

  function cancelRequest(id) {
    if (!confirm(t("dispatch.cancel_confirm"))) return;
    api("POST", "/api/requests/" + id + "/status", { status: "cancelled" }).then(function (req) {
      upsertRequest(req, req.lat, req.lon);
      renderRequestsSide();
      map.closePopup();
      notice(t("dispatch.cancelled") + " № " + id, true);
    }, fail);
  }

  // approveVisit records the dispatcher's explicit approval of a visit to a
  // pensioner without recorded consent (dispatch.VisitAllowed).
  function approveVisit(id) {
    api("POST", "/api/requests/" + id + "/approve-visit", {}).then(function () {
      var r = S.requests[id];
      if (r) { r.p.needs_visit_approval = false; r.p.unassigned_reason = ""; }
      renderRequestsSide();
      map.closePopup();
      notice(t("dispatch.visit_approved") + " № " + id, true);
    }, fail);
  }

  function approveButton(id) {
    var b = el("button", null, t("dispatch.approve_visit"));
    b.type = "button";
    b.className = "approve-visit";
    b.addEventListener("click", function () { approveVisit(id); });
    return b;
  }

  function requestPopup(id) {
    var r = S.requests[id];
    var box = el("div");
    if (!r) return box;
    box.appendChild(el("strong", null, requestLine(r.p)));
    box.appendChild(el("div", null, r.p.address));
    if (r.p.packages) box.appendChild(el("div", null, t("hotline.packages", "Packages") + ": " + r.p.packages));
    if (r.p.team_id && S.teams[r.p.team_id]) box.appendChild(el("div", null, t("dispatch.team") + ": " + S.teams[r.p.team_id].p.name));
    if (r.p.unassigned_reason) box.appendChild(el("div", "reason", t("dispatch.unassigned_reason") + ": " + r.p.unassigned_reason));
    if (r.p.needs_visit_approval) box.appendChild(approveButton(id));
    if (CANCELLABLE[r.p.status]) {
      var ops = el("div", "ops");
      var b = el("button", "danger", t("dispatch.cancel_request"));
      b.type = "button";
      b.addEventListener("click", function () { cancelRequest(id); });
      ops.appendChild(b);
      box.appendChild(ops);
    }
    return box;
  }

  function focusRequest(id) {
    var r = S.requests[id];
    if (!r) return;
    var open = function () { L.popup().setLatLng([r.lat, r.lon]).setContent(requestPopup(id)).openOn(map); };
    if (r.shown) cluster.zoomToShowLayer(r.marker, open);
    else { map.setView([r.lat, r.lon], Math.max(map.getZoom(), 15)); open(); }
  }

  function renderQueue() {
    var f = filters();
    var list = [];
    Object.keys(S.requests).forEach(function (id) {
      var p = S.requests[id].p;
      if (p.status !== "new") return;
      if (f.kind && p.kind !== f.kind) return;
      if (f.district && String(p.district_id) !== f.district) return;
      list.push(p);
    });
    var rank = function (p) { return p.priority === "urgent" ? 0 : p.priority === "high" ? 1 : 2; };
    list.sort(function (a, b) { return rank(a) - rank(b) || a.id - b.id; });
    var ul = $("queue");
    ul.textContent = "";
    var max = 150;
    list.slice(0, max).forEach(function (p) {
      var li = el("li");
      li.appendChild(el("div", null, requestLine(p)));
      var a = el("div", "addr", p.address);
      a.tabIndex = 0;
      a.addEventListener("click", function () { focusRequest(p.id); });
      a.addEventListener("keydown", function (e) { if (e.key === "Enter") focusRequest(p.id); });
      li.appendChild(a);
      if (p.unassigned_reason) li.appendChild(el("div", "reason", t("dispatch.unassigned_reason") + ": " + p.unassigned_reason));
      if (p.needs_visit_approval) li.appendChild(approveButton(p.id));
      var b = el("button", "danger", t("dispatch.cancel_request"));
      b.type = "button";
      b.addEventListener("click", function () { cancelRequest(p.id); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    if (list.length > max) ul.appendChild(el("li", "muted", tf("dispatch.more", { n: list.length - max })));
    $("queue-count").textContent = "(" + list.length + ")";
    $("queue-empty").hidden = list.length > 0;
  }

  // ---- teams ----

  function teamIcon(tm) {
    var d = el("div", "team" + (tm.p.at_base ? " at-base" : ""), String(tm.p.name || "").slice(0, 2));
    d.style.background = safeColor(tm.p.color);
    d.style.color = inkOn(safeColor(tm.p.color));
    return L.divIcon({ className: "team-icon", html: d, iconSize: [26, 26], iconAnchor: [13, 13] });
  }

  function teamPopup(id) {
    var tm = S.teams[id];
    var box = el("div");
    if (!tm) return box;
    box.appendChild(el("strong", null, tm.p.name));
    box.appendChild(el("div", null, tm.p.organisation));
    var rt = tm.p.route_id && S.routes[tm.p.route_id];
    box.appendChild(el("div", null, rt ? t("dispatch.routes") + " #" + rt.id + " · " + t("route." + rt.status, rt.status) + " · " + progress(rt).done + "/" + progress(rt).total : t("dispatch.no_route")));
    box.appendChild(el("div", "muted", tm.p.at_base ? t("dispatch.at_base") : t("dispatch.seen") + " " + fmtTime(tm.p.position_at)));
    return box;
  }

  function upsertTeam(p, lat, lon) {
    var tm = S.teams[p.id];
    if (!tm) {
      tm = S.teams[p.id] = { p: p, lat: lat, lon: lon, marker: null };
      tm.marker = L.marker([lat, lon], { icon: teamIcon(tm), zIndexOffset: 1000, title: p.name });
      tm.marker.bindPopup(function () { return teamPopup(p.id); });
    } else {
      tm.p = Object.assign({}, tm.p, p);
      tm.lat = lat; tm.lon = lon;
      tm.marker.setLatLng([lat, lon]);
      tm.marker.setIcon(teamIcon(tm));
    }
    return tm;
  }

  function loadTeams() {
    return api("GET", "/api/teams/positions?day=" + encodeURIComponent(day())).then(function (fc) {
      var orgs = {};
      (fc.features || []).forEach(function (f) {
        var c = f.geometry.coordinates;
        upsertTeam(f.properties, c[1], c[0]);
        orgs[f.properties.organisation_id] = f.properties.organisation;
      });
      fillSelect($("f-org"), Object.keys(orgs).map(function (id) { return { value: id, label: orgs[id] }; }));
      drawTeams();
      // Routes and alerts show team names and colours.
      drawRoutes();
      later("routes", renderRoutes);
      later("alerts", renderAlerts);
    });
  }

  function drawTeams() {
    var org = filters().org;
    Object.keys(S.teams).forEach(function (id) {
      var tm = S.teams[id];
      var want = !org || String(tm.p.organisation_id) === org;
      if (want && !teamLayer.hasLayer(tm.marker)) teamLayer.addLayer(tm.marker);
      if (!want && teamLayer.hasLayer(tm.marker)) teamLayer.removeLayer(tm.marker);
    });
  }

  function teamName(id) { return S.teams[id] ? S.teams[id].p.name : "#" + id; }
  function teamColor(id) { return S.teams[id] ? safeColor(S.teams[id].p.color) : "#3366cc"; }

  // ---- routes ----

  function progress(rt) {
    var done = 0, total = 0, next = null, last = null;
    (rt.stops || []).forEach(function (s) {
      if (s.status === "removed") return;
      total++;
      if (s.status !== "pending" && s.status !== "arrived") done++;
      else {
        if (!next) next = s;
        last = s;
      }
    });
    return { done: done, total: total, next: next, last: last };
  }

  function liveOrDraft(rt) { return rt.status === "draft" || rt.status === "published" || rt.status === "in_progress"; }

  function loadRoutes() {
    return api("GET", "/api/routes?day=" + encodeURIComponent(day())).then(function (list) {
      S.routes = {};
      (list || []).forEach(function (rt) { S.routes[rt.id] = rt; });
      Object.keys(S.selected).forEach(function (id) { if (!S.routes[id]) delete S.selected[id]; });
      drawRoutes();
      later("routes", renderRoutes);
    });
  }

  // reloadRoute fetches changed routes, a few hundred ms after the last
  // event that touched them.
  var dirtyRoutes = {};
  function reloadRoute(id) {
    if (!id) return;
    dirtyRoutes[id] = true;
    debounce("routes", 300, function () {
      var ids = Object.keys(dirtyRoutes);
      dirtyRoutes = {};
      Promise.all(ids.map(function (rid) {
        return api("GET", "/api/routes/" + rid).then(function (rt) {
          if (rt.day === day() && rt.status !== "cancelled") S.routes[rt.id] = rt;
          else delete S.routes[rt.id];
        }, function (err) {
          if (err.status === 404) delete S.routes[rid];
        });
      })).then(function () {
        drawRoutes();
        later("routes", renderRoutes);
      });
    });
  }

  function drawRoutes() {
    routeLayer.clearLayers();
    var org = filters().org;
    var drafts = $("show-drafts").checked;
    Object.keys(S.routes).forEach(function (id) {
      var rt = S.routes[id];
      if (rt.status === "cancelled" || (rt.status === "draft" && !drafts)) return;
      if (org && S.teams[rt.team_id] && String(S.teams[rt.team_id].p.organisation_id) !== org) return;
      var color = teamColor(rt.team_id);
      var path = rt.path && rt.path.length ? rt.path : (rt.stops || []).filter(function (s) { return s.status !== "removed"; }).map(function (s) { return [s.lat, s.lon]; });
      if (path.length > 1) {
        var line = L.polyline(path, { color: color, weight: rt.status === "draft" ? 3 : 4,
          opacity: rt.status === "finished" ? 0.45 : 0.85, dashArray: rt.status === "draft" ? "6 6" : null });
        line.bindTooltip(teamName(rt.team_id) + " · " + t("route." + rt.status, rt.status), { sticky: true });
        routeLayer.addLayer(line);
      }
      (rt.stops || []).forEach(function (s) {
        if (s.status === "removed") return;
        var span = el("span", null, s.seq);
        span.style.background = color;
        var m = L.marker([s.lat, s.lon], { icon: L.divIcon({ className: "stop-icon" + (rt.status === "draft" ? " draft" : "") + (S.expanded[rt.id] ? " focus" : ""), html: span, iconSize: [18, 18], iconAnchor: [9, 9] }), zIndexOffset: S.expanded[rt.id] ? 800 : 500 });
        m.bindTooltip(s.seq + ". " + s.address + " · " + t("stop." + s.status, s.status) + (s.eta ? " · " + fmtTime(s.eta) : ""));
        m.on("click", function () { focusRequest(s.request_id); });
        routeLayer.addLayer(m);
      });
    });
  }

  // fitRoute shows the whole route: its path and stops, and the team.
  function fitRoute(rt) {
    var pts = (rt.path && rt.path.length ? rt.path : []).slice();
    (rt.stops || []).forEach(function (s) { if (s.status !== "removed") pts.push([s.lat, s.lon]); });
    if (!pts.length) return;
    map.fitBounds(L.latLngBounds(pts).pad(0.1), { maxZoom: 16 });
  }

  function routeOptions(except) {
    return Object.keys(S.routes).map(function (id) { return S.routes[id]; })
      .filter(function (r) { return liveOrDraft(r) && r.id !== except; })
      .sort(function (a, b) { return teamName(a.team_id).localeCompare(teamName(b.team_id)); });
  }

  // stopVersion is the version of a stop as the page last loaded it.
  function stopVersion(id) {
    var v;
    Object.keys(S.routes).forEach(function (rid) {
      (S.routes[rid].stops || []).forEach(function (s) { if (s.id === id) v = s.version; });
    });
    return v;
  }

  // postStop edits a stop with If-Match of the version shown (or of
  // version, when the dispatcher chose to overwrite). A 412 means another
  // dispatcher changed the stop since: see conflict.
  function postStop(stopID, what, body, changed, version) {
    var v = version !== undefined ? version : stopVersion(stopID);
    var headers = v ? { "If-Match": '"' + v + '"' } : undefined;
    return api("POST", "/api/stops/" + stopID + "/" + what, body, headers).then(function (res) {
      (res.changed_routes || [res.route_id]).concat(changed || []).forEach(reloadRoute);
      debounce("requests", 800, function () { loadRequests().catch(fail); });
      if (what === "move") {
        var over = (res.impacts || []).some(function (im) { return im.over_shift_min > 0 || (im.missed_windows || []).length; });
        notice(t("dispatch.moved") + (res.impacts && res.impacts.length ? "\n" + impactsText(null, res.impacts) : ""), !over);
      }
      return res;
    }, function (err) {
      if (err.status !== 412) return fail(err);
      (changed || []).forEach(reloadRoute);
      if (err.problem && err.problem.current) reloadRoute(err.problem.current.route_id);
      conflict(stopID, what, body, changed, err.problem);
    });
  }

  // conflict tells the dispatcher their edit was not applied because the
  // stop changed, reloads the routes to show the other version, and offers
  // to keep it or to apply the edit over it.
  function conflict(stopID, what, body, changed, problem) {
    // A toast that stays until the dispatcher chooses.
    var n = el("div", "toast");
    n.setAttribute("role", "alert");
    n.appendChild(el("span", null, t("dispatch.conflict") + " "));
    var keep = el("button", null, t("dispatch.conflict_reload"));
    keep.type = "button";
    keep.addEventListener("click", function () { n.remove(); loadRoutes().catch(fail); });
    var mine = el("button", null, t("dispatch.conflict_overwrite"));
    mine.type = "button";
    mine.addEventListener("click", function () {
      n.remove();
      postStop(stopID, what, body, changed, problem && problem.current_version);
    });
    n.appendChild(keep);
    n.appendChild(document.createTextNode(" "));
    n.appendChild(mine);
    $("toasts").appendChild(n);
  }

  var dragStop = null;

  // impactsText says, per route, when its last visit ends, how far past
  // the shift and how many windows are missed; with before, as "was → now".
  function impactsText(before, after) {
    var was = {};
    (before || []).forEach(function (im) { was[im.route_id] = im; });
    return (after || []).map(function (im) {
      var b = was[im.route_id];
      var end = (b && b.ends_at && b.ends_at !== im.ends_at ? fmtTime(b.ends_at) + " → " : "") + (im.ends_at ? fmtTime(im.ends_at) : "—");
      var parts = [teamName(im.team_id) + ": " + t("dispatch.eta_end") + " " + end];
      parts.push(im.over_shift_min > 0 ? "⚠ " + tf("dispatch.over_shift", { min: im.over_shift_min }) : t("dispatch.in_shift"));
      var missed = (im.missed_windows || []).length;
      if (missed) parts.push("⚠ " + tf("dispatch.windows_missed", { n: missed }));
      return parts.join(", ");
    }).join("\n");
  }

  // previewMove shows in box what moving stop s would do, before the
  // dispatcher confirms it.
  var previewSeq = 0;
  function previewMove(s, routeID, position, box) {
    var seq = ++previewSeq;
    var v = stopVersion(s.id);
    api("POST", "/api/stops/" + s.id + "/move", { route_id: routeID, position: position, dry_run: true }, v ? { "If-Match": '"' + v + '"' } : undefined).then(function (res) {
      if (seq !== previewSeq) return;
      box.textContent = t("dispatch.if_moved") + "\n" + impactsText(res.before, res.after);
      var bad = (res.after || []).some(function (im) { return im.over_shift_min > 0 || (im.missed_windows || []).length; });
      box.classList.toggle("bad", bad);
      box.hidden = false;
    }, function (err) {
      if (seq !== previewSeq) return;
      box.textContent = err.message;
      box.classList.add("bad");
      box.hidden = false;
    });
  }

  function stopItem(rt, s, index) {
    var li = el("li");
    li.appendChild(el("span", "seq", s.seq));
    var text = el("span", s.status === "pending" || s.status === "arrived" ? "" : "done",
      s.address + " · " + t("stop." + s.status, s.status) + (s.eta ? " · " + fmtTime(s.eta) : ""));
    text.addEventListener("click", function () { focusRequest(s.request_id); });
    li.appendChild(text);
    if (s.status !== "pending" || !liveOrDraft(rt)) return li;

    // Drag and drop: drop a stop on another stop to take its place.
    li.draggable = true;
    li.addEventListener("dragstart", function (e) {
      dragStop = { id: s.id, route: rt.id };
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", String(s.id));
    });
    li.addEventListener("dragover", function (e) { if (dragStop && dragStop.id !== s.id) { e.preventDefault(); li.classList.add("drop-before"); } });
    li.addEventListener("dragleave", function () { li.classList.remove("drop-before"); });
    li.addEventListener("drop", function (e) {
      e.preventDefault();
      li.classList.remove("drop-before");
      if (!dragStop || dragStop.id === s.id) return;
      var from = dragStop;
      dragStop = null;
      postStop(from.id, "move", { route_id: rt.id, position: index + 1 }, [from.route]);
    });

    var ops = el("span", "ops");
    var lockLabel = el("label", "check");
    var lock = el("input");
    lock.type = "checkbox";
    lock.checked = !!s.locked;
    lock.addEventListener("change", function () { postStop(s.id, "lock", { locked: lock.checked }, [rt.id]); });
    lockLabel.appendChild(lock);
    lockLabel.appendChild(el("span", null, t("dispatch.lock")));
    ops.appendChild(lockLabel);

    var sel = el("select");
    sel.setAttribute("aria-label", t("dispatch.move_to"));
    var own = el("option", null, teamName(rt.team_id) + " (" + t("route." + rt.status, rt.status) + ")");
    own.value = rt.id;
    sel.appendChild(own);
    routeOptions(rt.id).forEach(function (o) {
      var opt = el("option", null, teamName(o.team_id) + " (" + t("route." + o.status, o.status) + ")");
      opt.value = o.id;
      sel.appendChild(opt);
    });
    ops.appendChild(sel);
    var pos = el("input");
    pos.type = "number";
    pos.min = "1";
    pos.value = String(index + 1);
    pos.title = t("dispatch.position");
    pos.setAttribute("aria-label", t("dispatch.position"));
    ops.appendChild(pos);
    var mv = el("button", null, t("dispatch.move"));
    mv.type = "button";
    mv.addEventListener("click", function () {
      var n = parseInt(pos.value, 10);
      cons.hidden = true;
      postStop(s.id, "move", { route_id: Number(sel.value), position: n > 0 ? n : 1 }, [rt.id]);
    });
    ops.appendChild(mv);
    // The consequence shows as soon as a target is chosen, before Move.
    var cons = el("div", "consequence");
    cons.setAttribute("aria-live", "polite");
    cons.hidden = true;
    var ask = function () {
      var n = parseInt(pos.value, 10);
      previewMove(s, Number(sel.value), n > 0 ? n : 1, cons);
    };
    sel.addEventListener("change", ask);
    pos.addEventListener("change", ask);
    var rm = el("button", "danger", t("dispatch.remove"));
    rm.type = "button";
    rm.addEventListener("click", function () {
      if (confirm(t("dispatch.remove_confirm"))) postStop(s.id, "remove", undefined, [rt.id]);
    });
    ops.appendChild(rm);
    li.appendChild(ops);
    li.appendChild(cons);
    return li;
  }

  function renderRoutes() {
    var ul = $("routes");
    ul.textContent = "";
    var org = filters().org;
    var list = Object.keys(S.routes).map(function (id) { return S.routes[id]; })
      .filter(function (r) { return r.status !== "cancelled" && (!org || !S.teams[r.team_id] || String(S.teams[r.team_id].p.organisation_id) === org); });
    var order = { draft: 0, in_progress: 1, published: 2, finished: 3 };
    list.sort(function (a, b) { return (order[a.status] - order[b.status]) || teamName(a.team_id).localeCompare(teamName(b.team_id)); });
    list.forEach(function (rt) {
      var li = el("li");
      li.dataset.routeId = rt.id;
      var head = el("div", "route-head");
      if (rt.status === "draft") {
        var cb = el("input");
        cb.type = "checkbox";
        cb.checked = !!S.selected[rt.id];
        cb.setAttribute("aria-label", t("dispatch.publish") + " " + teamName(rt.team_id));
        cb.addEventListener("change", function () {
          if (cb.checked) S.selected[rt.id] = true; else delete S.selected[rt.id];
          updatePublish();
        });
        head.appendChild(cb);
      }
      var sw = el("span", "swatch");
      sw.style.background = teamColor(rt.team_id);
      head.appendChild(sw);
      var name = el("span", "name", teamName(rt.team_id));
      name.tabIndex = 0;
      var toggle = function () {
        S.expanded[rt.id] = !S.expanded[rt.id];
        later("routes", renderRoutes);
        drawRoutes();
        if (S.expanded[rt.id]) fitRoute(rt);
      };
      name.addEventListener("click", toggle);
      name.addEventListener("keydown", function (e) { if (e.key === "Enter") toggle(); });
      head.appendChild(name);
      head.appendChild(el("span", "badge " + rt.status, t("route." + rt.status, rt.status)));
      var pr = progress(rt);
      var meter = el("span", "meter");
      var bar = el("span");
      bar.style.width = (pr.total ? Math.round(100 * pr.done / pr.total) : 0) + "%";
      meter.appendChild(bar);
      head.appendChild(meter);
      head.appendChild(el("span", null, pr.done + "/" + pr.total));
      li.appendChild(head);
      var meta = [];
      if (pr.next && pr.next.eta) meta.push(t("dispatch.eta_next") + " " + fmtTime(pr.next.eta));
      if (pr.last && pr.last.eta) meta.push(t("dispatch.eta_end") + " " + fmtTime(pr.last.eta));
      if (rt.distance_m) meta.push((rt.distance_m / 1000).toFixed(1) + " km");
      if (meta.length) li.appendChild(el("div", "route-meta", meta.join(" · ")));
      if (S.expanded[rt.id]) {
        var stops = el("ol", "stops");
        var shown = (rt.stops || []).filter(function (s) { return s.status !== "removed"; });
        shown.forEach(function (s, i) { stops.appendChild(stopItem(rt, s, i)); });
        li.appendChild(stops);
        if (liveOrDraft(rt)) li.appendChild(el("div", "route-meta", t("dispatch.drag_hint")));
      }
      ul.appendChild(li);
    });
    $("routes-count").textContent = "(" + list.length + ")";
    $("routes-empty").hidden = list.length > 0;
    updatePublish();
  }

  function updatePublish() {
    $("publish").disabled = !Object.keys(S.selected).some(function (id) { return S.routes[id] && S.routes[id].status === "draft"; });
  }

  function publish() {
    var ids = Object.keys(S.selected).map(Number).filter(function (id) { return S.routes[id] && S.routes[id].status === "draft"; });
    if (!ids.length) return;
    $("publish").disabled = true;
    // The ETags of the drafts as shown: a draft another dispatcher changed
    // meanwhile is not published unseen (412); the map reloads it instead.
    var etags = {};
    ids.forEach(function (id) { if (S.routes[id].etag) etags[id] = S.routes[id].etag; });
    api("POST", "/api/routes/publish", { route_ids: ids, etags: etags }).then(function (res) {
      S.selected = {};
      notice(t("dispatch.published") + " " + (res.published || []).length, true);
      return Promise.all([loadRoutes(), loadRequests(), loadTeams()]);
    }).catch(function (err) {
      if (err.status !== 412) return fail(err);
      notice(t("dispatch.publish_conflict"));
      return loadRoutes();
    }).then(updatePublish);
  }

  // ---- alerts ----

  function alertPlace(a) {
    if (typeof a.lat === "number" && typeof a.lon === "number") return [a.lat, a.lon];
    var r = a.request_id && S.requests[a.request_id];
    return r ? [r.lat, r.lon] : null;
  }

  function upsertAlert(a) {
    var cur = S.alerts[a.id];
    if (a.status && a.status !== "open") { removeAlert(a.id); return; }
    if (cur) { cur.a = Object.assign({}, cur.a, a); }
    else cur = S.alerts[a.id] = { a: a, marker: null };
    var at = alertPlace(cur.a);
    if (at && !cur.marker) {
      cur.marker = L.marker(at, { icon: L.divIcon({ className: "alert-icon", html: "<span>!</span>", iconSize: [24, 24], iconAnchor: [12, 12] }), zIndexOffset: 2000 });
      cur.marker.bindTooltip(function () { return alertText(cur.a); });
      alertLayer.addLayer(cur.marker);
    }
    later("alerts", renderAlerts);
  }

  function removeAlert(id) {
    var cur = S.alerts[id];
    if (!cur) return;
    if (cur.marker) alertLayer.removeLayer(cur.marker);
    delete S.alerts[id];
    later("alerts", renderAlerts);
  }

  function alertText(a) {
    return [t("alert." + a.kind, a.kind), a.address, a.name, a.phone].filter(Boolean).join(" · ");
  }

  function loadAlerts() {
    return api("GET", "/api/alerts?status=open").then(function (list) {
      var open = {};
      (list || []).forEach(function (a) { open[a.id] = true; upsertAlert(a); });
      Object.keys(S.alerts).forEach(function (id) { if (!open[id]) removeAlert(Number(id)); });
      later("alerts", renderAlerts);
    });
  }

  // freshAlert marks a new alert: a pulse, a short sound, the count in the
  // tab title, so a dispatcher looking elsewhere notices.
  var fresh = {};
  function freshAlert(id) {
    fresh[id] = true;
    setTimeout(function () { delete fresh[id]; later("alerts", renderAlerts); }, 15000);
    beep();
    var bar = $("alert-bar");
    bar.classList.remove("fresh");
    void bar.offsetWidth; // restart the animation
    bar.classList.add("fresh");
  }
  var audio = null;
  function beep() {
    try {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      audio = audio || new AC();
      [0, 0.35].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, audio.currentTime + at);
        g.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + at + 0.25);
        o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.3);
      });
      S.beeps = (S.beeps || 0) + 1;
    } catch (e) { /* no sound: the bar and the title still show it */ }
  }
  function showAlert(a) {
    var at = alertPlace(a);
    if (at) map.setView(at, Math.max(map.getZoom(), 16));
    $("box-alerts").open = true;
    var li = document.querySelector('#alerts li[data-alert-id="' + a.id + '"]');
    if (li) { li.scrollIntoView({ block: "nearest" }); var f = li.querySelector("input"); if (f) f.focus(); }
  }

  function renderAlerts() {
    var ul = $("alerts");
    ul.textContent = "";
    var list = Object.keys(S.alerts).map(function (id) { return S.alerts[id].a; }).sort(function (a, b) { return a.id - b.id; });
    // Newest first: the one that just came in is the one to act on.
    list.reverse();
    list.forEach(function (a) {
      var li = el("li", fresh[a.id] ? "fresh" : null);
      li.setAttribute("data-alert-id", a.id);
      if (a.name || a.phone) {
        var who = el("div", "who", a.name || "");
        if (a.phone) {
          if (a.name) who.appendChild(document.createTextNode(" · "));
          var tel = el("a", null, a.phone);
          tel.href = "tel:" + String(a.phone).replace(/[^0-9+]/g, "");
          who.appendChild(tel);
        }
        li.appendChild(who);
      }
      li.appendChild(el("div", null, "#" + a.id + " · " + t("alert." + a.kind, a.kind) + " · " + fmtTime(a.created_at) + (a.team_id ? " · " + teamName(a.team_id) : "")));
      var addr = el("div", "addr", a.address || "");
      addr.tabIndex = 0;
      addr.addEventListener("click", function () {
        var at = alertPlace(a);
        if (at) map.setView(at, Math.max(map.getZoom(), 16));
      });
      li.appendChild(addr);
      if (a.note) li.appendChild(el("div", "muted", a.note));
      var ops = el("div", "ops");
      var note = el("input");
      note.maxLength = 2000;
      note.placeholder = t("dispatch.handle_note");
      note.setAttribute("aria-label", t("dispatch.handle_note"));
      var b = el("button", "primary", t("dispatch.handle"));
      b.type = "button";
      b.addEventListener("click", function () {
        b.disabled = true;
        api("POST", "/api/alerts/" + a.id + "/handle", { note: note.value }).then(function () {
          removeAlert(a.id);
        }, function (err) { b.disabled = false; fail(err); });
      });
      ops.appendChild(note);
      ops.appendChild(b);
      li.appendChild(ops);
      ul.appendChild(li);
    });
    $("alerts-count").textContent = "(" + list.length + ")";
    $("alerts-empty").hidden = list.length > 0;
    $("box-alerts").classList.toggle("has-alerts", list.length > 0);
    var bar = $("alert-bar");
    bar.hidden = list.length === 0;
    $("alert-bar-count").textContent = String(list.length);
    $("alert-bar-text").textContent = list.length ? [t("alert." + list[0].kind, list[0].kind), list[0].name, list[0].phone, list[0].address].filter(Boolean).join(" · ") : "";
    bar.onclick = list.length ? function () { showAlert(list[0]); } : null;
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = list.length ? "(" + list.length + ") " + base : base;
  }

  // ---- districts ----

  function districtName(p) { return I.lang() === "kk" ? (p.name_kk || p.name_ru) : (p.name_ru || p.name_kk); }

  function fillSelect(sel, items) {
    var cur = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    items.sort(function (a, b) { return String(a.label).localeCompare(String(b.label)); }).forEach(function (it) {
      var o = el("option", null, it.label);
      o.value = it.value;
      sel.appendChild(o);
    });
    sel.value = cur;
    if (sel.value !== cur) sel.value = "";
  }

  function renderDistrictChoices() {
    fillSelect($("f-district"), S.districts.map(function (p) { return { value: String(p.id), label: districtName(p) }; }));
    document.querySelectorAll(".district-checks").forEach(function (box) {
      var checked = {};
      box.querySelectorAll("input:checked").forEach(function (i) { checked[i.value] = true; });
      box.textContent = "";
      S.districts.forEach(function (p) {
        var l = el("label", "check");
        var i = el("input");
        i.type = "checkbox";
        i.name = box.dataset.name;
        i.value = p.id;
        i.checked = !!checked[p.id];
        l.appendChild(i);
        l.appendChild(el("span", null, districtName(p)));
        box.appendChild(l);
      });
    });
    districtLayer.eachLayer(function (l) {
      if (l.feature) l.setTooltipContent(districtName(l.feature.properties));
    });
  }

  function loadDistricts() {
    return api("GET", "/api/districts").then(function (fc) {
      districtLayer.clearLayers();
      districtLayer.addData(fc);
      S.districts = (fc.features || []).map(function (f) { return f.properties; });
      renderDistrictChoices();
    });
  }

  // ---- events ----

  function applyEvent(ev) {
    var p = ev.payload || {};
    switch (ev.type) {
      case "request.created":
        upsertRequest(p, p.lat, p.lon);
        renderRequestsSide();
        break;
      case "request.status_changed": {
        var req = p.request || { id: p.id || ev.entity_id, status: p.to };
        if (!req.id) req.id = ev.entity_id;
        if (!req.status && p.to) req.status = p.to;
        upsertRequest(req, req.lat, req.lon);
        renderRequestsSide();
        break;
      }
      case "route.drafted":
      case "route.changed":
      case "route.published":
      case "route.started":
      case "route.finished":
        reloadRoute(ev.entity_id);
        debounce("requests", 1500, function () { loadRequests().catch(fail); });
        if (ev.type === "route.published" || ev.type === "route.started") debounce("teams", 1000, function () { loadTeams().catch(fail); });
        break;
      case "stop.updated": {
        var st = p.stop || {};
        if (st.route_id) reloadRoute(st.route_id);
        if (st.request_id && p.request_status) {
          upsertRequest({ id: st.request_id, status: p.request_status });
          renderRequestsSide();
        }
        break;
      }
      case "team.position": {
        var tm = S.teams[p.team_id || ev.entity_id];
        if (tm && typeof p.lat === "number") {
          upsertTeam({ id: tm.p.id, at_base: false, position_at: p.at || ev.created_at }, p.lat, p.lon);
        }
        if (p.route_id && S.routes[p.route_id] && p.etas && p.etas.length) reloadRoute(p.route_id);
        break;
      }
      case "alert.raised":
        // The event carries no personal data; the alert list (for roles
        // that may see it) has the pensioner's name and phone.
        upsertAlert(Object.assign({ id: ev.entity_id, status: "open", created_at: ev.created_at }, p));
        freshAlert(p.id || ev.entity_id);
        loadAlerts().catch(fail);
        break;
      case "alert.handled":
        removeAlert(p.id || ev.entity_id);
        break;
      case "plan.progress":
        // The event carries the planner's English text; the job view
        // says it in the user's language.
        if (S.planJob && (p.id || ev.entity_id) === S.planJob) { planProgress(p.progress); pollPlan(S.planJob, 0); }
        break;
      case "plan.finished":
      case "plan.failed":
        if (S.planJob && (p.id || ev.entity_id) === S.planJob) pollPlan(S.planJob, 0); // localised message and result
        else debounce("replan", 500, function () { Promise.all([loadRoutes(), loadRequests()]).catch(fail); });
        break;
    }
  }

  function handleMessage(text) {
    text.split("\n").forEach(function (line) {
      if (!line.trim()) return;
      var m;
      try { m = JSON.parse(line); } catch (e) { return; }
      if (m.type === "hello") {
        setOnline(true);
        if (!S.ready && !S.loading) {
          S.lastId = Math.max(S.lastId, m.last_id || 0);
          snapshot();
        }
        return;
      }
      if (m.type === "reset") {
        S.lastId = m.last_id || 0;
        S.ready = false;
        snapshot();
        return;
      }
      if (typeof m.id !== "number") return;
      if (m.id <= S.lastId && S.ready) return;
      S.lastId = Math.max(S.lastId, m.id);
      if (!S.ready) { S.pending.push(m); return; }
      try { applyEvent(m); } catch (e) { if (window.console) console.error("event", m, e); }
    });
  }

  function snapshot() {
    S.loading = true;
    return Promise.all([loadTeams(), loadRequests(), loadRoutes(), loadAlerts()]).then(function () {
      S.ready = true;
      S.loading = false;
      var evs = S.pending;
      S.pending = [];
      evs.forEach(function (ev) { try { applyEvent(ev); } catch (e) { /* keep going */ } });
    }, function (err) {
      S.loading = false;
      fail(err);
      setTimeout(function () { if (!S.ready) snapshot(); }, 5000);
    });
  }

  var ws = null, backoff = 1000, reconnectTimer = 0;
  function setOnline(on) {
    $("offline-banner").hidden = on;
    if (on) backoff = 1000;
  }
  function connect() {
    clearTimeout(reconnectTimer);
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
    var url = (location.protocol === "https:" ? "wss" : "ws") + "://" + location.host + "/ws?topic=dispatch" +
      (S.ready || S.lastId > 0 ? "&since=" + S.lastId : "");
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws.onmessage = function (e) { if (typeof e.data === "string") handleMessage(e.data); };
    ws.onclose = function () {
      ws = null;
      setOnline(false);
      scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }
  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    var wait = backoff * (0.75 + Math.random() * 0.5);
    backoff = Math.min(backoff * 2, 30000);
    reconnectTimer = setTimeout(connect, wait);
  }

  // ---- planning ----

  var pollTimer = 0;
  function planProgress(pct, msg) {
    $("plan-status").hidden = false;
    $("plan-progress").value = pct || 0;
    if (msg !== undefined || !$("plan-message").textContent) $("plan-message").textContent = msg || t("dispatch.plan_running");
  }
  function planEnded(status, msg, result) {
    clearTimeout(pollTimer);
    S.planJob = null;
    $("plan-form").querySelector("button[type=submit]").disabled = false;
    if (status === "failed") {
      $("plan-status").hidden = true;
      notice(t("dispatch.plan_failed") + " " + (msg || ""));
      return;
    }
    $("plan-progress").value = 100;
    var res = result;
    if (typeof res === "string") { try { res = JSON.parse(res); } catch (e) { res = null; } }
    $("plan-message").textContent = t("dispatch.plan_done") + (res && typeof res.assigned === "number"
      ? " " + tf("dispatch.plan_result", { assigned: res.assigned, unplanned: (res.unplanned || []).length }) : "");
    $("box-routes").open = true;
    Promise.all([loadRoutes(), loadRequests()]).then(function () {
      Object.keys(S.routes).forEach(function (id) { if (S.routes[id].status === "draft") S.selected[id] = true; });
      later("routes", renderRoutes);
    }).catch(fail);
  }
  function pollPlan(id, wait) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(function () {
      if (S.planJob !== id) return;
      api("GET", "/api/plans/" + id).then(function (job) {
        if (S.planJob !== id) return;
        if (job.status === "running") { planProgress(job.progress, job.message); pollPlan(id); }
        else planEnded(job.status === "failed" ? "failed" : "finished", job.message, job.result);
      }, function () { pollPlan(id); });
    }, wait === undefined ? 2000 : wait);
  }
  function checked(name) {
    return Array.prototype.map.call(document.querySelectorAll('input[name="' + name + '"]:checked'), function (i) { return i.value; });
  }
  function startPlan(e) {
    e.preventDefault();
    var d = $("plan-day").value;
    var scope = { day: d, kinds: checked("plan-kind"), district_ids: checked("plan-district").map(Number) };
    var btn = e.target.querySelector("button[type=submit]");
    btn.disabled = true;
    api("POST", "/api/plans", scope).then(function (res) {
      S.planJob = res.job_id;
      planProgress(0, t("dispatch.plan_running"));
      if (d !== day()) { $("f-day").value = d; changeDay(); }
      pollPlan(res.job_id);
    }, function (err) { btn.disabled = false; fail(err); });
  }

  // ---- campaigns ----

  function campaignKindChanged() {
    var food = $("c-kind").value === "food";
    $("c-snow-label").hidden = food;
    $("c-pack-label").hidden = !food;
  }
  var campaignKey = null;
  function openCampaign(e) {
    e.preventDefault();
    var kind = $("c-kind").value;
    var body = { kind: kind, day: $("c-day").value, title: $("c-title").value, district_ids: checked("c-district").map(Number) };
    if (kind === "snowfall") body.snowfall_cm = $("c-snow").value === "" ? null : Number($("c-snow").value);
    else body.packages_per_address = Number($("c-pack").value) || 0;
    campaignKey = campaignKey || Q.uuid();
    var btn = e.target.querySelector("button[type=submit]");
    btn.disabled = true;
    api("POST", "/api/campaigns", body, { "Idempotency-Key": campaignKey }).then(function (c) {
      campaignKey = null;
      notice(t("dispatch.campaign_opened") + " " + (c.created !== undefined ? c.created : c.requests_created), true);
      debounce("requests", 1500, function () { loadRequests().catch(fail); });
    }, function (err) {
      if (!err.network) campaignKey = null;
      fail(err);
    }).then(function () { btn.disabled = false; });
  }

  // ---- map ----

  function legend() {
    var ul = $("legend");
    ul.textContent = "";
    STATUSES.forEach(function (st) {
      var li = el("li");
      li.appendChild(el("span", "rq k-snow_clearing s-" + st));
      li.appendChild(el("span", null, t("status." + st, st)));
      ul.appendChild(li);
    });
    ul.appendChild(el("li", null, t("dispatch.legend_shapes")));
  }

  function layersControl() {
    if (layerControl) map.removeControl(layerControl);
    var o = {};
    o[t("dispatch.layer_requests")] = cluster;
    o[t("dispatch.layer_teams")] = teamLayer;
    o[t("dispatch.layer_routes")] = routeLayer;
    o[t("dispatch.layer_districts")] = districtLayer;
    o[t("dispatch.layer_alerts")] = alertLayer;
    o[t("dispatch.layer_roads")] = roadLayer;
    layerControl = L.control.layers(null, o, { collapsed: true }).addTo(map);
  }

  // The day shown lives in the address (?day=), so a reload or a shared
  // link keeps it.
  function dayFromURL() {
    var d = new URLSearchParams(location.search).get("day") || "";
    if (/^\d{4}-\d\d-\d\d$/.test(d)) $("f-day").value = d;
  }
  function changeDay() {
    var u = new URL(location.href);
    if (day() === root.dataset.today) u.searchParams.delete("day"); else u.searchParams.set("day", day());
    history.replaceState(null, "", u.pathname + u.search + u.hash);
    S.selected = {};
    Promise.all([loadRoutes(), loadTeams()]).catch(fail);
  }

  function rerender() {
    legend();
    layersControl();
    renderDistrictChoices();
    later("queue", renderQueue);
    later("counts", renderCounts);
    later("routes", renderRoutes);
    later("alerts", renderAlerts);
    drawRoutes();
  }

  // fit gives the page the window's height below the header.
  function fit() {
    if (window.matchMedia("(max-width: 900px)").matches) root.style.height = "";
    else root.style.height = Math.max(400, window.innerHeight - root.getBoundingClientRect().top - window.scrollY) + "px";
    if (map) map.invalidateSize();
  }

  function init() {
    root = $("dispatch");
    if (!root || !window.L) return;
    fit();
    window.addEventListener("resize", function () { debounce("fit", 100, fit); });

    map = L.map("map", { zoomControl: true, preferCanvas: false }).setView(ASTANA, 12);
    // Without tiles (no internet) the map draws our own roads and says so.
    roadLayer = qamqorMap.baseLayer(map, root.dataset.tileTemplate, {
      onOffline: function (on) { $("tiles-banner").hidden = !on; }
    }).roads;
    // Stop numbers: every route's from zoom 12 (district level); below that
    // only those of the routes the dispatcher expanded.
    var far = function () { map.getContainer().classList.toggle("far", map.getZoom() < 12); };
    map.on("zoomend", far);
    far();

    districtLayer = L.geoJSON(null, {
      style: { color: "#17324d", weight: 2, opacity: 0.7, fillOpacity: 0.03, dashArray: "4 4" },
      onEachFeature: function (f, layer) { layer.bindTooltip(districtName(f.properties), { sticky: true, className: "district-label" }); }
    }).addTo(map);
    routeLayer = L.layerGroup().addTo(map);
    cluster = L.markerClusterGroup({ chunkedLoading: true, chunkInterval: 150, chunkDelay: 30, disableClusteringAtZoom: 17,
      maxClusterRadius: 50, spiderfyOnMaxZoom: false, showCoverageOnHover: false, removeOutsideVisibleBounds: true,
      // Clusters are white discs with a dark ring, sized by count: the plugin's green,
      // yellow and orange read as the statuses "done" and "planned".
      iconCreateFunction: function (c) {
        var n = c.getChildCount(), size = n < 10 ? 30 : n < 100 ? 36 : 44;
        return L.divIcon({ html: "<span>" + n + "</span>", className: "rq-cluster", iconSize: [size, size] });
      } }).addTo(map);
    cluster.on("click", function (e) {
      var id = e.layer && e.layer.qid;
      if (id) L.popup().setLatLng(e.layer.getLatLng()).setContent(requestPopup(id)).openOn(map);
    });
    teamLayer = L.layerGroup().addTo(map);
    alertLayer = L.layerGroup().addTo(map);

    dayFromURL();
    ["f-kind", "f-status", "f-district", "f-org"].forEach(function (id) { $(id).addEventListener("change", applyFilters); });
    $("f-day").addEventListener("change", changeDay);
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
    $("show-drafts").addEventListener("change", drawRoutes);
    $("publish").addEventListener("click", publish);
    $("plan-form").addEventListener("submit", startPlan);
    $("campaign-form").addEventListener("submit", openCampaign);
    $("c-kind").addEventListener("change", campaignKindChanged);
    campaignKindChanged();
    document.addEventListener("qamqor:lang", rerender);
    document.addEventListener("keydown", shortcut);
    $("shortcuts-close").addEventListener("click", function () { toggleHelp(false); });
    window.addEventListener("online", function () { backoff = 1000; connect(); });

    legend();
    layersControl();
    loadDistricts().catch(fail);
    connect();
    // Without live updates (no hub) the page still shows the snapshot.
    setTimeout(function () { if (!S.ready && !S.loading) snapshot(); }, 3000);
  }

  // ---- keyboard ----

  // shortcut handles the dispatcher's single-key shortcuts; typing in a
  // field, or with Ctrl/Alt/Meta held, is never taken.
  function shortcut(e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented) return;
    var tag = (e.target && e.target.tagName) || "";
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(tag) || (e.target && e.target.isContentEditable)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var box = function (id, focus) {
      var b = $(id);
      b.open = true;
      b.scrollIntoView({ block: "nearest" });
      var f = focus ? b.querySelector(focus) : b.querySelector("summary");
      if (f) f.focus();
    };
    var shiftDay = function (n) {
      var d = new Date(day() + "T12:00:00Z");
      d.setUTCDate(d.getUTCDate() + n);
      $("f-day").value = d.toISOString().slice(0, 10);
      changeDay();
    };
    switch (e.key) {
      case "?": toggleHelp(); break;
      case "Escape":
        if (!$("shortcuts").hidden) toggleHelp(false);
        else map.closePopup();
        return;
      case "a": {
        var list = Object.keys(S.alerts).map(function (id) { return S.alerts[id].a; }).sort(function (x, y) { return y.id - x.id; });
        if (list.length) showAlert(list[0]); else box("box-alerts");
        break;
      }
      case "q": box("box-queue", "#queue .addr"); break;
      case "r": box("box-routes", "#routes .name"); break;
      case "p": box("box-plan", "#plan-day"); break;
      case "c": box("box-campaign", "#c-kind"); break;
      case "d": $("f-day").focus(); break;
      case "[": shiftDay(-1); break;
      case "]": shiftDay(1); break;
      case "u": if (!$("publish").disabled) publish(); break;
      case "m": map.getContainer().focus(); break;
      default: return;
    }
    e.preventDefault();
  }
  var helpReturn = null;
  function toggleHelp(show) {
    var h = $("shortcuts");
    show = show === undefined ? h.hidden : show;
    if (show) { helpReturn = document.activeElement; h.hidden = false; $("shortcuts-close").focus(); }
    else { h.hidden = true; if (helpReturn && helpReturn.focus) helpReturn.focus(); }
  }

  window.qamqorDispatch = {
    get lastEventId() { return S.lastId; },
    markerCount: function () { return cluster ? cluster.getLayers().length : 0; },
    requestIds: function () { return Object.keys(S.requests).map(Number).sort(function (a, b) { return a - b; }); },
    routeIds: function () { return Object.keys(S.routes).map(Number); },
    alertIds: function () { return Object.keys(S.alerts).map(Number); },
    beeps: function () { return S.beeps || 0; },
    bounds: function () { var b = map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; },
    zoom: function () { return map.getZoom(); },
    setZoom: function (z) { map.setZoom(z, { animate: false }); },
    ready: function () { return S.ready; },
    online: function () { return !!ws && ws.readyState === WebSocket.OPEN; }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
