// imports.js: the import and export page. Upload a file, see the columns
// recognised and the fate of the first 20 rows, confirm, download the
// rejected rows. Large files stage and apply in the background; the page
// polls their progress. Values reach the page through textContent only.
(function () {
  "use strict";
  var I = window.qamqorI18n;
  if (I) Object.assign(I.dict, {
    "nav.imports": { kk: "Импорт және экспорт", ru: "Импорт и экспорт", en: "Import and export" },
    "imp.title": { kk: "Тізімді импорттау", ru: "Импорт списка", en: "Import a list" },
    "imp.hint": { kk: "Тақырып жолы бар CSV немесе XLSX. Бағандар қазақ, орыс не ағылшын тіліндегі атауы бойынша танылады (Аты-жөні, Телефон, Мекенжай, Пәтер, Тілі…). Растағанша ештеңе өзгермейді.", ru: "CSV или XLSX со строкой заголовков. Столбцы распознаются по названиям на казахском, русском или английском (ФИО, Телефон, Адрес, Кв., Язык, Маломобильный, Примечание…). Пока вы не подтвердите, ничего не меняется.", en: "CSV or XLSX with a header row. Columns are recognised by their names in Kazakh, Russian or English (ФИО, Телефон, Адрес, Кв., Язык, Маломобильный, Примечание…). Nothing changes until you confirm." },
    "imp.kind": { kk: "Файлда не бар", ru: "Что в файле", en: "What the file holds" },
    "imp.kind.care-addresses": { kk: "Зейнеткерлер (мекенжайлар)", ru: "Пенсионеры (адреса)", en: "Pensioners (care addresses)" },
    "imp.kind.volunteers": { kk: "Еріктілер", ru: "Волонтёры", en: "Volunteers" },
    "imp.kind.teams": { kk: "Топтар", ru: "Команды", en: "Teams" },
    "imp.org": { kk: "Ұйым (еріктілер, топтар)", ru: "Организация (волонтёры, команды)", en: "Organisation (volunteers, teams)" },
    "imp.org_from_file": { kk: "— файлдағы ұйым бағанынан —", ru: "— из столбца организации в файле —", en: "— from the file's organisation column —" },
    "imp.file": { kk: "Файл", ru: "Файл", en: "File" },
    "imp.upload": { kk: "Жүктеу және алдын ала қарау", ru: "Загрузить и просмотреть", en: "Upload and preview" },
    "imp.mapping": { kk: "Қай баған қандай?", ru: "Какой столбец что означает?", en: "Which column is which?" },
    "imp.mapping_hint": { kk: "Кейбір бағандар нақты танылмады. Әр бағанның өрісін таңдап, қайта жүктеңіз.", ru: "Некоторые столбцы не удалось распознать точно. Выберите поле для каждого столбца и загрузите снова.", en: "Some columns could not be recognised for sure. Choose the field of each column, then upload again." },
    "imp.ignore": { kk: "— елемеу —", ru: "— пропустить —", en: "— ignore —" },
    "imp.rows": { kk: "Жолдар", ru: "Строк", en: "Rows" },
    "imp.created": { kk: "Жаңа", ru: "Новых", en: "New" },
    "imp.updated": { kk: "Жаңартылған", ru: "Обновлённых", en: "Updated" },
    "imp.unchanged": { kk: "Өзгеріссіз", ru: "Без изменений", en: "Unchanged" },
    "imp.rejected": { kk: "Қабылданбаған", ru: "Отклонено", en: "Rejected" },
    "imp.preview": { kk: "Алғашқы жолдар", ru: "Первые строки", en: "First rows" },
    "imp.line": { kk: "Жол", ru: "Строка", en: "Line" },
    "imp.row": { kk: "Жазба", ru: "Запись", en: "Row" },
    "imp.fate": { kk: "Не болады", ru: "Что произойдёт", en: "What happens" },
    "imp.reason": { kk: "Себебі", ru: "Причина", en: "Reason" },
    "imp.fate.create": { kk: "жаңадан қосылады", ru: "будет добавлена", en: "will be created" },
    "imp.fate.update": { kk: "жаңартылады", ru: "будет обновлена", en: "will be updated" },
    "imp.fate.unchanged": { kk: "өзгеріссіз", ru: "без изменений", en: "unchanged" },
    "imp.fate.reject": { kk: "қабылданбайды", ru: "отклонена", en: "rejected" },
    "imp.apply": { kk: "Импортты растау", ru: "Подтвердить импорт", en: "Confirm import" },
    "imp.rejects": { kk: "Қабылданбаған жолдарды жүктеу", ru: "Скачать отклонённые строки", en: "Download rejected rows" },
    "imp.ignored": { kk: "Еленбеген бағандар:", ru: "Пропущенные столбцы:", en: "Ignored columns:" },
    "imp.status.new": { kk: "Кезекте…", ru: "В очереди…", en: "Queued…" },
    "imp.status.staging": { kk: "Тексерілуде…", ru: "Проверка…", en: "Checking…" },
    "imp.status.staged": { kk: "Тексерілді. Ештеңе өзгерген жоқ: алдын ала қарап, растаңыз.", ru: "Проверено. Ничего не изменено: просмотрите и подтвердите.", en: "Checked. Nothing has changed yet: review and confirm." },
    "imp.status.applying": { kk: "Импортталуда…", ru: "Импорт…", en: "Importing…" },
    "imp.status.applied": { kk: "Импортталды.", ru: "Импорт выполнен.", en: "Imported." },
    "imp.status.failed": { kk: "Импорт сәтсіз аяқталды; ештеңе өзгерген жоқ:", ru: "Импорт не удался; ничего не изменено:", en: "The import failed; nothing was changed:" },
    "exp.title": { kk: "Экспорт", ru: "Экспорт", en: "Export" },
    "exp.kind": { kk: "Не", ru: "Что", en: "What" },
    "exp.kind.care-addresses": { kk: "Зейнеткерлер", ru: "Пенсионеры", en: "Pensioners" },
    "exp.kind.volunteers": { kk: "Еріктілер", ru: "Волонтёры", en: "Volunteers" },
    "exp.kind.teams": { kk: "Топтар", ru: "Команды", en: "Teams" },
    "exp.kind.requests": { kk: "Өтінімдер", ru: "Заявки", en: "Requests" },
    "exp.kind.hours": { kk: "Еріктілердің сағаттары", ru: "Часы волонтёров", en: "Volunteer hours" },
    "exp.format": { kk: "Пішімі", ru: "Формат", en: "Format" },
    "exp.download": { kk: "Жүктеу", ru: "Скачать", en: "Download" }
  });
  var q = window.qamqor;
  var $ = q.$;
  function t(k, fb) { return I ? I.t(k, fb) : fb; }

  var current = null; // the import shown
  var lastFile = null;

  function showError(msg) {
    var p = $("imp-error");
    p.textContent = msg || "";
    p.hidden = !msg;
  }

  function send(mapping) {
    var file = lastFile;
    if (!file) return;
    showError("");
    var fd = new FormData();
    fd.append("kind", $("kind").value);
    if ($("org").value) fd.append("org", $("org").value);
    if (mapping) fd.append("mapping", JSON.stringify(mapping));
    fd.append("file", file);
    var h = { "Accept": "application/json", "X-CSRF-Token": q.csrf() };
    if (I) h["Accept-Language"] = I.lang();
    fetch("/api/imports", { method: "POST", body: fd, headers: h, credentials: "same-origin" })
      .then(function (res) { return res.json().then(function (b) { return { ok: res.ok, body: b }; }); })
      .then(function (r) {
        if (!r.ok) {
          showError((r.body && (r.body.detail || r.body.title)) || "error");
          if (r.body && r.body.header) showMapping(r.body.header, r.body.fields || []);
          return;
        }
        $("mapping").hidden = true;
        show(r.body);
      }, function () { showError(t("common.network_error", "No connection to the server.")); });
  }

  function showMapping(header, names) {
    var body = $("mapping-rows");
    body.textContent = "";
    header.forEach(function (h) {
      var tr = q.el("tr");
      tr.appendChild(q.el("th", null, h));
      var td = q.el("td");
      var sel = q.el("select");
      sel.dataset.header = h;
      sel.appendChild(new Option(t("imp.ignore", "— ignore —"), ""));
      names.forEach(function (n) { sel.appendChild(new Option(n, n)); });
      td.appendChild(sel);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    $("mapping").hidden = false;
  }

  function show(imp) {
    current = imp;
    $("result").hidden = false;
    var st = $("imp-status");
    st.textContent = t("imp.status." + imp.status, imp.status) + (imp.error ? " " + imp.error : "");
    var prog = $("imp-progress");
    var busy = imp.status === "new" || imp.status === "staging" || imp.status === "applying";
    prog.hidden = !busy;
    prog.value = imp.rows_total ? Math.round(100 * imp.rows_done / imp.rows_total) : 0;
    if (imp.ignored && imp.ignored.length) {
      $("imp-ignored").hidden = false;
      $("imp-ignored").textContent = t("imp.ignored", "Ignored columns:") + " " + imp.ignored.join(", ");
    }
    var c = imp.counts || {};
    document.querySelectorAll("#imp-counts td").forEach(function (td) { td.textContent = String(c[td.dataset.k] || 0); });
    $("apply").disabled = imp.status !== "staged";
    var rej = $("rejects");
    rej.hidden = !c.rejected;
    rej.href = "/api/imports/" + imp.id + "/rejects?format=csv&lang=" + (I ? I.lang() : "en");
    if (busy) { setTimeout(poll, 700); return; }
    loadPreview();
  }

  function poll() {
    if (!current) return;
    q.api("GET", "/api/imports/" + current.id).then(function (imp) {
      imp.ignored = current.ignored;
      show(imp);
    }, function (e) { showError(e.message); });
  }

  function loadPreview() {
    q.api("GET", "/api/imports/" + current.id + "/rows?limit=20").then(function (rows) {
      var body = document.querySelector("#preview tbody");
      body.textContent = "";
      rows.forEach(function (r) {
        var tr = q.el("tr", "fate-" + r.fate);
        tr.appendChild(q.el("td", null, String(r.line)));
        tr.appendChild(q.el("td", null, r.label || ""));
        tr.appendChild(q.el("td", null, t("imp.fate." + r.fate, r.fate)));
        tr.appendChild(q.el("td", null, r.reason_text || ""));
        body.appendChild(tr);
      });
    }, function (e) { showError(e.message); });
  }

  // Organisations for volunteers and teams (admins may list them; for
  // others the list stays empty and care addresses need none).
  function loadOrganisations() {
    q.api("GET", "/api/organisations?limit=500").then(function (orgs) {
      var sel = $("org");
      (orgs || []).forEach(function (o) { sel.appendChild(new Option(o.name, String(o.id))); });
    }, function () { /* not an admin: nothing to choose */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadOrganisations();
    $("upload").addEventListener("submit", function (ev) {
      ev.preventDefault();
      lastFile = $("file").files[0] || null;
      if (!lastFile) { showError(t("imp.file", "File") + "?"); return; }
      send(null);
    });
    $("mapping-send").addEventListener("click", function () {
      var m = {};
      document.querySelectorAll("#mapping-rows select").forEach(function (s) { m[s.dataset.header] = s.value; });
      send(m);
    });
    $("apply").addEventListener("click", function () {
      if (!current) return;
      $("apply").disabled = true;
      q.api("POST", "/api/imports/" + current.id + "/apply").then(function (imp) {
        imp.ignored = current.ignored;
        show(imp);
      }, function (e) { showError(e.message); });
    });
    $("export").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var u = "/api/export/" + encodeURIComponent($("exp-kind").value) + "?format=" + $("exp-format").value;
      if ($("exp-from").value && $("exp-to").value) u += "&from=" + $("exp-from").value + "&to=" + $("exp-to").value;
      window.location.href = u;
    });
  });
})();
