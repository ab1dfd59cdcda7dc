// reports.js: the reports page. One date range (default: the last 30 days)
// drives every report; each shows a small bar chart drawn as inline SVG, a
// table and a CSV link for the same range. Values reach the page through
// textContent only.
(function () {
  "use strict";
  var I = window.qamqorI18n;
  if (I) Object.assign(I.dict, {
    "rep.from": { kk: "Басы", ru: "С", en: "From" },
    "rep.to": { kk: "Соңы", ru: "По", en: "To" },
    "rep.show": { kk: "Көрсету", ru: "Показать", en: "Show" },
    "rep.csv": { kk: "CSV жүктеу", ru: "Скачать CSV", en: "Download CSV" },
    "rep.loading": { kk: "Жүктелуде…", ru: "Загрузка…", en: "Loading…" },
    "rep.error": { kk: "Есеп жүктелмеді:", ru: "Не удалось загрузить отчёт:", en: "Could not load the report:" },
    "rep.network_error": { kk: "Сервермен байланыс жоқ.", ru: "Нет связи с сервером.", en: "No connection to the server." },
    "rep.bad_range": { kk: "Соңғы күн бастапқы күннен бұрын болмауы керек.", ru: "Дата окончания не может быть раньше даты начала.", en: "The end date must not be before the start date." },
    "rep.empty": { kk: "Бұл кезеңде деректер жоқ", ru: "За этот период данных нет", en: "No data in this range" },
    "rep.total": { kk: "Барлығы", ru: "Итого", en: "Total" },
    "rep.title.requests": { kk: "Өтінімдер: күн, түр және күй бойынша", ru: "Заявки по дням, видам и статусам", en: "Requests by day, kind and status" },
    "rep.title.visits": { kk: "Орындалған барулар", ru: "Выполненные визиты", en: "Visits done" },
    "rep.title.ontime": { kk: "Уақытылы орындалған үлес", ru: "Доля вовремя", en: "On-time share" },
    "rep.title.alerts": { kk: "Дабылдар: көтерілген және өңделген", ru: "Тревоги: поднятые и обработанные", en: "Alerts raised and handled" },
    "rep.title.hours-volunteers": { kk: "Еріктілердің сағаттары", ru: "Часы волонтёров", en: "Volunteer hours" },
    "rep.title.hours-organisations": { kk: "Ұйымдар бойынша сағаттар", ru: "Часы по организациям", en: "Hours per organisation" },
    "rep.note.requests": { kk: "Жасалған күні бойынша; күйі — қазіргі.", ru: "По дню создания; статус — текущий.", en: "By the day created; the status is the current one." },
    "rep.note.visits": { kk: "«Орындалды» белгісі қойылған аялдамалар, орындалған күні бойынша.", ru: "Остановки со статусом «выполнено», по дню выполнения.", en: "Stops marked done, by the day they were done." },
    "rep.note.ontime": { kk: "Келген уақыт (болмаса — орындалған уақыт) өтінімнің уақыт аралығында болса, аралық жоқ болса — ETA-дан ±30 минут ішінде болса, уақытылы. Екеуі де жоқ барулар есептелмейді.", ru: "Вовремя, если время прибытия (или, если его нет, выполнения) попало в окно заявки, а без окна — в пределах ±30 минут от ETA. Визиты без окна и ETA не оцениваются.", en: "On time when the arrival (or, without one, completion) falls inside the request's window, or without a window within ±30 minutes of the ETA. Visits with neither are not judged." },
    "rep.note.alerts": { kk: "Көтерілген күні бойынша; медиана — өңделгендер бойынша.", ru: "По дню появления; медиана — по обработанным.", en: "By the day raised; the median is over the handled ones." },
    "rep.note.hours-volunteers": { kk: "Аяқталған әр бағыт үшін (finished − started) бағыт басында белгіленген әр қатысушыға есептеледі. Дәл есеп: секундтар бүтін санмен.", ru: "За каждый завершённый маршрут каждому отмеченному на старте участнику засчитывается (finished − started). Точный расчёт в целых секундах.", en: "For each finished route, everyone ticked present at the start gets (finished − started). Exact: whole seconds summed in the database." },
    "rep.note.hours-organisations": { kk: "Ұйым еріктілерінің сағаттарының қосындысы.", ru: "Сумма часов волонтёров организации.", en: "The sum of the hours of the organisation's volunteers." },
    "rep.col.day": { kk: "Күн", ru: "День", en: "Day" },
    "rep.col.kind": { kk: "Түрі", ru: "Вид", en: "Kind" },
    "rep.col.status": { kk: "Күйі", ru: "Статус", en: "Status" },
    "rep.col.count": { kk: "Саны", ru: "Количество", en: "Count" },
    "rep.col.done": { kk: "Орындалды", ru: "Выполнено", en: "Done" },
    "rep.col.judged": { kk: "Бағаланды", ru: "Оценено", en: "Judged" },
    "rep.col.on_time": { kk: "Уақытылы", ru: "Вовремя", en: "On time" },
    "rep.col.share": { kk: "Үлесі", ru: "Доля", en: "Share" },
    "rep.col.raised": { kk: "Көтерілді", ru: "Поднято", en: "Raised" },
    "rep.col.handled": { kk: "Өңделді", ru: "Обработано", en: "Handled" },
    "rep.col.median_minutes": { kk: "Медиана, мин", ru: "Медиана, мин", en: "Median, min" },
    "rep.col.volunteer_id": { kk: "ID", ru: "ID", en: "ID" },
    "rep.col.volunteer": { kk: "Ерікті", ru: "Волонтёр", en: "Volunteer" },
    "rep.col.organisation_id": { kk: "ID", ru: "ID", en: "ID" },
    "rep.col.organisation": { kk: "Ұйым", ru: "Организация", en: "Organisation" },
    "rep.col.routes": { kk: "Бағыттар", ru: "Маршруты", en: "Routes" },
    "rep.col.hours": { kk: "Сағат", ru: "Часы", en: "Hours" },
    "rep.col.minutes": { kk: "Минут", ru: "Минуты", en: "Minutes" },
    "status.new": { kk: "Жаңа", ru: "Новая", en: "New" },
    "status.planned": { kk: "Жоспарланды", ru: "Запланирована", en: "Planned" },
    "status.assigned": { kk: "Тағайындалды", ru: "Назначена", en: "Assigned" },
    "status.in_progress": { kk: "Орындалуда", ru: "В работе", en: "In progress" },
    "status.done": { kk: "Орындалды", ru: "Выполнена", en: "Done" },
    "status.failed": { kk: "Орындалмады", ru: "Не выполнена", en: "Failed" },
    "status.cancelled": { kk: "Бас тартылды", ru: "Отменена", en: "Cancelled" }
  });
  function t(key, fb) { return I ? I.t(key, fb) : (fb || key); }
  var Q = window.qamqor, $ = Q.$, el = Q.el;
  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // charts say which column is the bar label and which the value; rows with
  // the same label are summed (requests of every kind on one day).
  var charts = {
    requests: { x: "day", y: "count" },
    visits: { x: "day", y: "count" },
    ontime: { x: "day", y: "share", pct: true },
    alerts: { x: "day", y: "raised" },
    "hours-volunteers": { x: "volunteer", y: "hours", top: 25 },
    "hours-organisations": { x: "organisation", y: "hours", top: 25 }
  };
  var numeric = { count: 1, done: 1, judged: 1, on_time: 1, share: 1, raised: 1, handled: 1, median_minutes: 1, routes: 1, hours: 1, minutes: 1, volunteer_id: 1, organisation_id: 1 };
  var data = {};

  // localDate is d's date in Astana, whatever the browser's zone.
  function localDate(d) { return window.qamqorI18n.date(d); }

  function cell(col, v) {
    if (v === null || v === undefined) return "—";
    if (col === "share") return (v * 100).toFixed(1) + " %";
    if (col === "kind") return t("kind." + v, v);
    if (col === "status") return t("status." + v, v);
    return String(v);
  }

  function drawChart(svg, rep) {
    var cfg = charts[rep.name], xi = rep.columns.indexOf(cfg.x), yi = rep.columns.indexOf(cfg.y);
    svg.textContent = "";
    var sums = {}, order = [];
    rep.rows.forEach(function (r) {
      var k = String(r[xi]), v = Number(r[yi]);
      if (!(k in sums)) { sums[k] = 0; order.push(k); }
      if (!isNaN(v)) sums[k] += v;
    });
    if (cfg.top) order = order.sort(function (a, b) { return sums[b] - sums[a]; }).slice(0, cfg.top);
    if (!order.length) { svg.style.display = "none"; return; }
    svg.style.display = "";
    var W = svg.clientWidth || 800, H = 150, padL = 36, padB = 18, padT = 8;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var max = cfg.pct ? 1 : Math.max.apply(null, order.map(function (k) { return sums[k]; })) || 1;
    // Bars are at most 56 px wide: one day is one bar, not the whole width.
    var plotW = W - padL - 4, plotH = H - padB - padT, bw = Math.min(plotW / order.length, 56);
    svg.appendChild(svgEl("line", { x1: padL, y1: H - padB, x2: W, y2: H - padB }));
    svg.appendChild(svgEl("text", { x: padL - 4, y: padT + 8, "text-anchor": "end" }, cfg.pct ? "100%" : String(Math.round(max * 100) / 100)));
    svg.appendChild(svgEl("text", { x: padL - 4, y: H - padB, "text-anchor": "end" }, "0"));
    var every = Math.ceil(order.length / Math.max(1, Math.floor(plotW / 70)));
    order.forEach(function (k, i) {
      var v = sums[k], h = Math.max(0, v / max * plotH), x = padL + i * bw;
      var r = svgEl("rect", { x: (x + bw * 0.1).toFixed(1), y: (H - padB - h).toFixed(1), width: Math.max(1, bw * 0.8).toFixed(1), height: h.toFixed(1) });
      var shown = cfg.pct ? (v * 100).toFixed(1) + " %" : String(Math.round(v * 100) / 100);
      r.appendChild(svgEl("title", {}, k + ": " + shown));
      svg.appendChild(r);
      if (order.length <= 14) svg.appendChild(svgEl("text", { x: (x + bw / 2).toFixed(1), y: Math.max(padT + 8, H - padB - h - 3).toFixed(1), "text-anchor": "middle", "class": "val" }, shown));
      if (i % every === 0) {
        var label = cfg.x === "day" ? k.slice(5) : (k.length > 12 ? k.slice(0, 11) + "…" : k);
        svg.appendChild(svgEl("text", { x: (x + bw / 2).toFixed(1), y: H - 5, "text-anchor": "middle" }, label));
      }
    });
  }

  function summaryText(rep) {
    var s = rep.summary;
    if (!s) return "";
    if (rep.name === "ontime") {
      return t("rep.total", "Total") + ": " + t("rep.col.on_time", "On time") + " " + s.on_time + " / " + s.judged +
        " (" + cell("share", s.share) + "), " + t("rep.col.done", "Done") + " " + s.done;
    }
    if (rep.name === "alerts") {
      return t("rep.total", "Total") + ": " + t("rep.col.raised", "Raised") + " " + s.raised + ", " + t("rep.col.handled", "Handled") + " " +
        s.handled + ", " + t("rep.col.median_minutes", "Median, min") + " " + cell("median_minutes", s.median_minutes);
    }
    return "";
  }

  function render(name) {
    var rep = data[name], sec = $("report-" + name);
    if (!rep || !sec) return;
    var thead = sec.querySelector("thead"), tbody = sec.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    var hr = el("tr");
    rep.columns.forEach(function (c) {
      var th = el("th", numeric[c] ? "num" : null, t("rep.col." + c, c));
      th.setAttribute("scope", "col");
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    if (!rep.rows.length) {
      var tr = el("tr"), td = el("td", "muted", t("rep.empty", "No data in this range"));
      td.colSpan = rep.columns.length; tr.appendChild(td); tbody.appendChild(tr);
    }
    rep.rows.forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (v, i) { tr.appendChild(el("td", numeric[rep.columns[i]] ? "num" : null, cell(rep.columns[i], v))); });
      tbody.appendChild(tr);
    });
    var sum = sec.querySelector(".summary"), st = summaryText(rep);
    sum.textContent = st; sum.hidden = !st;
    drawChart(sec.querySelector(".chart"), rep);
  }

  function load() {
    var from = $("from").value, to = $("to").value, err = $("range-error");
    err.hidden = true;
    $("to").classList.remove("invalid"); $("from").classList.remove("invalid");
    if (from && to && to < from) {
      err.textContent = t("rep.bad_range", "The end date must not be before the start date.");
      err.hidden = false; $("to").classList.add("invalid");
      return;
    }
    var qs = "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to);
    history.replaceState(null, "", qs);
    $("status").textContent = t("rep.loading", "Loading…");
    var jobs = Array.prototype.map.call(document.querySelectorAll(".report"), function (sec) {
      var name = sec.getAttribute("data-name");
      sec.querySelector("a.csv").href = "/api/reports/" + name + ".csv" + qs;
      return Q.request("GET", "/api/reports/" + name + qs)
        .then(function (res) {
          if (res.status === 401) window.location.assign("/login?next=" + encodeURIComponent("/reports"));
          if (res.status !== 200) {
            err.textContent = t("rep.error", "Could not load the report:") + " " + ((res.body && res.body.detail) || res.status);
            err.hidden = false;
            var f = res.body && res.body.field;
            if (f && $(f)) $(f).classList.add("invalid");
            return;
          }
          data[name] = res.body;
          render(name);
        });
    });
    Promise.all(jobs).then(function () { $("status").textContent = ""; }, function () {
      $("status").textContent = "";
      err.textContent = t("rep.network_error", "No connection to the server.");
      err.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var q = new URLSearchParams(location.search), today = new Date(), start = new Date();
    start.setDate(today.getDate() - 29);
    $("from").value = q.get("from") || localDate(start);
    $("to").value = q.get("to") || localDate(today);
    $("range").addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
    document.addEventListener("qamqor:lang", function () { Object.keys(data).forEach(render); });
    load();
  });
})();
