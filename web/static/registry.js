// registry.js: the registry page. Tabs for care addresses (dispatchers and
// admins) and teams, volunteers, organisations and users (admins); each tab
// lists a searchable, paged table and opens one shared editor. Problems from
// the API are shown above the form and next to the field they name. All
// user data goes into the page through textContent, never as HTML.
(function () {
  "use strict";
  var I = window.qamqorI18n;
  if (I) Object.assign(I.dict, {
    "reg.tab.care": { kk: "Қамқорлықтағылар", ru: "Подопечные", en: "Care addresses" },
    "reg.tab.teams": { kk: "Топтар", ru: "Команды", en: "Teams" },
    "reg.tab.volunteers": { kk: "Еріктілер", ru: "Волонтёры", en: "Volunteers" },
    "reg.tab.organisations": { kk: "Ұйымдар", ru: "Организации", en: "Organisations" },
    "reg.tab.users": { kk: "Пайдаланушылар", ru: "Пользователи", en: "Users" },
    "reg.search": { kk: "Іздеу", ru: "Поиск", en: "Search" },
    "reg.new": { kk: "Жаңа", ru: "Создать", en: "New" },
    "reg.prev": { kk: "Алдыңғы", ru: "Назад", en: "Previous" },
    "reg.next": { kk: "Келесі", ru: "Далее", en: "Next" },
    "reg.of": { kk: "барлығы", ru: "из", en: "of" },
    "reg.none": { kk: "Ештеңе табылмады", ru: "Ничего не найдено", en: "Nothing found" },
    "reg.edit": { kk: "Өзгерту", ru: "Изменить", en: "Edit" },
    "reg.save": { kk: "Сақтау", ru: "Сохранить", en: "Save" },
    "reg.cancel": { kk: "Болдырмау", ru: "Отмена", en: "Cancel" },
    "reg.saved": { kk: "Сақталды", ru: "Сохранено", en: "Saved" },
    "reg.saving": { kk: "Сақталуда…", ru: "Сохранение…", en: "Saving…" },
    "reg.error": { kk: "Сақталмады:", ru: "Не удалось сохранить:", en: "Could not save:" },
    "reg.network_error": { kk: "Сервермен байланыс жоқ; қайталаңыз.", ru: "Нет связи с сервером; повторите.", en: "No connection to the server; try again." },
    "reg.conflict": { kk: "Бұл жазбаны сіз ашқаннан кейін басқа біреу өзгертті.", ru: "Эту запись изменил кто-то другой, пока она была открыта у вас.", en: "Someone else changed this record while you had it open." },
    "reg.conflict_reload": { kk: "Қайта жүктеу (олардың нұсқасы)", ru: "Обновить (их версия)", en: "Reload (their version)" },
    "reg.conflict_overwrite": { kk: "Менікін сақтау (үстінен жазу)", ru: "Сохранить моё (перезаписать)", en: "Save mine (overwrite)" },
    "reg.load_error": { kk: "Тізім жүктелмеді:", ru: "Не удалось загрузить список:", en: "Could not load the list:" },
    "reg.new_title": { kk: "Жаңа жазба", ru: "Новая запись", en: "New record" },
    "reg.edit_title": { kk: "Өзгерту", ru: "Редактирование", en: "Edit" },
    "reg.full_name": { kk: "Аты-жөні", ru: "ФИО", en: "Full name" },
    "reg.name": { kk: "Атауы", ru: "Название", en: "Name" },
    "reg.phone": { kk: "Телефон", ru: "Телефон", en: "Phone" },
    "reg.address": { kk: "Мекенжай", ru: "Адрес", en: "Address" },
    "reg.entrance": { kk: "Кіреберіс", ru: "Подъезд", en: "Entrance" },
    "reg.floor": { kk: "Қабат", ru: "Этаж", en: "Floor" },
    "reg.flat": { kk: "Пәтер", ru: "Квартира", en: "Flat" },
    "reg.pin": { kk: "Картадағы белгі", ru: "Метка на карте", en: "Pin on the map" },
    "reg.base": { kk: "Картадағы база", ru: "База на карте", en: "Base on the map" },
    "reg.lookup": { kk: "Мекенжайды табу", ru: "Найти адрес", en: "Find address" },
    "reg.lookup_hint": { kk: "Көше және үй", ru: "Улица и дом", en: "Street and house" },
    "reg.map_hint": { kk: "Белгіні қою үшін картаны басыңыз.", ru: "Нажмите на карту, чтобы поставить метку.", en: "Click the map to set the pin." },
    "reg.lat": { kk: "Ендік", ru: "Широта", en: "Latitude" },
    "reg.lon": { kk: "Бойлық", ru: "Долгота", en: "Longitude" },
    "reg.needs": { kk: "Қажеттіліктер", ru: "Нужды", en: "Needs" },
    "reg.need.snow": { kk: "Қар тазалау", ru: "Уборка снега", en: "Snow clearing" },
    "reg.need.food": { kk: "Азық-түлік", ru: "Продукты", en: "Food" },
    "reg.preferred_language": { kk: "Қалаған тілі", ru: "Предпочитаемый язык", en: "Preferred language" },
    "lang.kk": { kk: "қазақша", ru: "казахский", en: "Kazakh" },
    "lang.ru": { kk: "орысша", ru: "русский", en: "Russian" },
    "lang.en": { kk: "ағылшынша", ru: "английский", en: "English" },
    "reg.immobile": { kk: "Жүре алмайды", ru: "Маломобилен", en: "Cannot walk / immobile" },
    "reg.consent": { kk: "Деректерді сақтауға келісім бар", ru: "Согласие на хранение данных есть", en: "Consent to store data given" },
    "reg.active": { kk: "Белсенді", ru: "Активен", en: "Active" },
    "reg.inactive": { kk: "белсенді емес", ru: "неактивен", en: "inactive" },
    "reg.mobility_notes": { kk: "Қозғалу туралы ескертпе", ru: "Заметки о мобильности", en: "Mobility notes" },
    "reg.access_notes": { kk: "Кіру жолы (домофон, ит, кілт)", ru: "Доступ (домофон, собака, ключ)", en: "Access notes (intercom, dog, key)" },
    "reg.visit_rule": { kk: "Тұрақты бару", ru: "Регулярный визит", en: "Regular visit" },
    "reg.rule": { kk: "Ереже", ru: "Правило", en: "Rule" },
    "reg.rule.keep": { kk: "Өзгертпеу", ru: "Не менять", en: "Keep as it is" },
    "reg.rule.none": { kk: "Тұрақты бару жоқ", ru: "Без регулярных визитов", en: "No regular visit" },
    "reg.rule.weekly": { kk: "Апта сайын", ru: "Еженедельно", en: "Weekly" },
    "reg.rule.monthly": { kk: "Ай сайын", ru: "Ежемесячно", en: "Monthly" },
    "reg.rule_day": { kk: "Күні (аптада 1–7, айда 1–28)", ru: "День (1–7 в неделе, 1–28 в месяце)", en: "Day (1–7 weekly, 1–28 monthly)" },
    "reg.organisation": { kk: "Ұйым", ru: "Организация", en: "Organisation" },
    "reg.members": { kk: "Мүшелері", ru: "Участники", en: "Members" },
    "reg.multi_hint": { kk: "Бірнешеуін таңдау үшін Ctrl/⌘ басып тұрыңыз.", ru: "Удерживайте Ctrl/⌘, чтобы выбрать несколько.", en: "Ctrl/⌘-click to choose several." },
    "reg.lead": { kk: "Жетекші", ru: "Руководитель", en: "Lead" },
    "reg.car": { kk: "Көлігі бар", ru: "Есть машина", en: "Has a car" },
    "reg.capacity": { kk: "Сыйымдылық (пакет)", ru: "Вместимость (пакетов)", en: "Capacity (packages)" },
    "reg.colour": { kk: "Түсі", ru: "Цвет", en: "Colour" },
    "reg.skills": { kk: "Дағдылар (үтір арқылы)", ru: "Навыки (через запятую)", en: "Skills (comma-separated)" },
    "reg.languages": { kk: "Тілдер (kk, ru, en)", ru: "Языки (kk, ru, en)", en: "Languages (kk, ru, en)" },
    "reg.shift_start": { kk: "Ауысым басталады", ru: "Начало смены", en: "Shift starts" },
    "reg.shift_end": { kk: "Ауысым аяқталады", ru: "Конец смены", en: "Shift ends" },
    "reg.shift": { kk: "Ауысым", ru: "Смена", en: "Shift" },
    "reg.birth_year": { kk: "Туған жылы", ru: "Год рождения", en: "Birth year" },
    "reg.minor": { kk: "кәмелетке толмаған", ru: "несовершеннолетний", en: "minor" },
    "reg.kind": { kk: "Түрі", ru: "Тип", en: "Kind" },
    "org.headquarters": { kk: "Штаб", ru: "Штаб", en: "Headquarters" },
    "org.volunteer_org": { kk: "Еріктілер ұйымы", ru: "Волонтёрская организация", en: "Volunteer organisation" },
    "org.initiative_group": { kk: "Бастамашыл топ", ru: "Инициативная группа", en: "Initiative group" },
    "org.ngo": { kk: "ҮЕҰ", ru: "НКО", en: "NGO" },
    "reg.username": { kk: "Логин", ru: "Логин", en: "Username" },
    "reg.role": { kk: "Рөлі", ru: "Роль", en: "Role" },
    "role.admin": { kk: "Әкімші", ru: "Администратор", en: "Admin" },
    "role.dispatcher": { kk: "Диспетчер", ru: "Диспетчер", en: "Dispatcher" },
    "role.hotline": { kk: "Жедел желі операторы", ru: "Оператор горячей линии", en: "Hotline operator" },
    "role.team_lead": { kk: "Топ жетекшісі", ru: "Руководитель команды", en: "Team lead" },
    "reg.team": { kk: "Топ (жетекшілер үшін)", ru: "Команда (для руководителей)", en: "Team (for team leads)" },
    "reg.password": { kk: "Құпиясөз (жаңа немесе қалпына келтіру)", ru: "Пароль (новый или сброс)", en: "Password (new, or to reset)" },
    "reg.none_option": { kk: "— жоқ —", ru: "— нет —", en: "— none —" },
    "reg.yes": { kk: "иә", ru: "да", en: "yes" },
    "reg.no": { kk: "жоқ", ru: "нет", en: "no" },
    "reg.status": { kk: "Күйі", ru: "Статус", en: "Status" }
  });
  function t(key, fb) { return I ? I.t(key, fb) : (fb || key); }
  var Q = window.qamqor, $ = Q.$, el = Q.el;
  // api resolves to {status, body, total (X-Total-Count)}; an ended session
  // goes to the login page; network failures reject.
  function api(method, url, body, headers) {
    return Q.request(method, url, body, { headers: headers }).then(function (res) {
      if (res.status === 401) window.location.assign("/login?next=" + encodeURIComponent("/registry"));
      res.total = parseInt(res.headers.get("X-Total-Count") || "0", 10);
      return res;
    });
  }

  var PAGE = 25;
  // lookups hold organisations, volunteers and teams by id for names in
  // tables and options in selects (admins only).
  var lookups = { orgs: {}, vols: {}, teams: {} };
  var state = {};   // per tab: {q, offset, total, items}
  var current = null; // the tab shown
  var editing = null; // {kind, item}

  function yesNo(b) { return t(b ? "reg.yes" : "reg.no", b ? "yes" : "no"); }
  function badge(text, cls) { return el("span", "badge " + (cls || ""), text); }
  function orgName(id) { var o = lookups.orgs[id]; return o ? o.name : (id ? "#" + id : ""); }
  function volName(id) { var v = lookups.vols[id]; return v ? v.full_name : (id ? "#" + id : ""); }
  function teamName(id) { var x = lookups.teams[id]; return x ? x.name : (id ? "#" + id : ""); }

  // columns per tab: [i18n key, English, cell(item) → string or Node].
  var columns = {
    care: [
      ["reg.full_name", "Full name", function (c) {
        var s = el("span", null, c.full_name || "—");
        if (!c.active) { s.appendChild(document.createTextNode(" ")); s.appendChild(badge(t("reg.inactive", "inactive"), "off")); }
        return s;
      }],
      ["reg.address", "Address", function (c) {
        var parts = [c.address];
        if (c.entrance) parts.push(t("reg.entrance", "Entrance") + " " + c.entrance);
        if (c.flat) parts.push(t("reg.flat", "Flat") + " " + c.flat);
        return parts.join(", ");
      }],
      ["reg.phone", "Phone", function (c) { return c.phone || ""; }],
      ["reg.needs", "Needs", function (c) { return (c.needs || []).map(function (n) { return t("reg.need." + n, n); }).join(", "); }],
      ["reg.preferred_language", "Language", function (c) { return t("lang." + c.preferred_language, c.preferred_language); }],
      ["reg.consent", "Consent", function (c) { return yesNo(c.consent); }]
    ],
    teams: [
      ["reg.name", "Name", function (x) {
        var s = el("span");
        var sw = el("span", "swatch"); sw.style.backgroundColor = /^#[0-9a-fA-F]{6}$/.test(x.color) ? x.color : "#888";
        s.appendChild(sw); s.appendChild(document.createTextNode(x.name));
        if (!x.active) { s.appendChild(document.createTextNode(" ")); s.appendChild(badge(t("reg.inactive", "inactive"), "off")); }
        return s;
      }],
      ["reg.organisation", "Organisation", function (x) { return orgName(x.organisation_id); }],
      ["reg.members", "Members", function (x) { return (x.member_ids || []).map(volName).join(", "); }],
      ["reg.lead", "Lead", function (x) { return x.lead_volunteer_id ? volName(x.lead_volunteer_id) : ""; }],
      ["reg.car", "Car", function (x) { return yesNo(x.has_vehicle); }],
      ["reg.capacity", "Capacity", function (x) { return x.capacity_packages; }],
      ["reg.shift", "Shift", function (x) { return x.shift_start + "–" + x.shift_end; }]
    ],
    volunteers: [
      ["reg.full_name", "Full name", function (v) {
        var s = el("span", null, v.full_name);
        if (v.minor) { s.appendChild(document.createTextNode(" ")); s.appendChild(badge(t("reg.minor", "minor"), "minor")); }
        if (!v.active) { s.appendChild(document.createTextNode(" ")); s.appendChild(badge(t("reg.inactive", "inactive"), "off")); }
        return s;
      }],
      ["reg.birth_year", "Birth year", function (v) { return v.birth_year; }],
      ["reg.organisation", "Organisation", function (v) { return orgName(v.organisation_id); }],
      ["reg.languages", "Languages", function (v) { return (v.languages || []).join(", "); }],
      ["reg.phone", "Phone", function (v) { return v.phone || ""; }]
    ],
    organisations: [
      ["reg.name", "Name", function (o) { return o.name; }],
      ["reg.kind", "Kind", function (o) { return t("org." + o.kind, o.kind); }],
      ["reg.phone", "Phone", function (o) { return o.phone || ""; }]
    ],
    users: [
      ["reg.username", "Username", function (u) {
        var s = el("span", null, u.username);
        if (!u.active) { s.appendChild(document.createTextNode(" ")); s.appendChild(badge(t("reg.inactive", "inactive"), "off")); }
        return s;
      }],
      ["reg.full_name", "Full name", function (u) { return u.full_name; }],
      ["reg.role", "Role", function (u) { return t("role." + u.role, u.role); }],
      ["reg.team", "Team", function (u) { return u.team_id ? teamName(u.team_id) : ""; }]
    ]
  };
  var endpoints = { care: "/api/care-addresses", teams: "/api/teams", volunteers: "/api/volunteers", organisations: "/api/organisations", users: "/api/users" };

  function panel(kind) { return $("panel-" + kind); }

  function loadList(kind) {
    var st = state[kind], p = panel(kind);
    var url = endpoints[kind] + "?limit=" + PAGE + "&offset=" + st.offset + (st.q ? "&q=" + encodeURIComponent(st.q) : "");
    var seq = ++st.seq;
    return api("GET", url).then(function (res) {
      if (seq !== st.seq) return;
      if (res.status !== 200) {
        p.querySelector(".count").textContent = t("reg.load_error", "Could not load the list:") + " " + ((res.body && res.body.detail) || res.status);
        return;
      }
      st.items = res.body || [];
      st.total = res.total;
      renderList(kind);
    }, function () {
      p.querySelector(".count").textContent = t("reg.network_error", "No connection to the server; try again.");
    });
  }

  function renderList(kind) {
    var st = state[kind], p = panel(kind), cols = columns[kind];
    var thead = p.querySelector("thead"), tbody = p.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    var hr = el("tr");
    cols.forEach(function (c) { var th = el("th", null, t(c[0], c[1])); th.setAttribute("scope", "col"); hr.appendChild(th); });
    hr.appendChild(el("th"));
    thead.appendChild(hr);
    if (!st.items.length) {
      var tr = el("tr"), td = el("td", "muted", t("reg.none", "Nothing found"));
      td.colSpan = cols.length + 1; tr.appendChild(td); tbody.appendChild(tr);
    }
    st.items.forEach(function (item) {
      var tr = el("tr");
      if (item.active === false) tr.className = "inactive";
      cols.forEach(function (c) {
        var v = c[2](item), td = el("td");
        if (v instanceof Node) td.appendChild(v); else td.textContent = v === undefined || v === null ? "" : String(v);
        tr.appendChild(td);
      });
      var td = el("td"), b = el("button", "link", t("reg.edit", "Edit"));
      b.type = "button";
      b.addEventListener("click", function () { openEditor(kind, item); });
      td.appendChild(b); tr.appendChild(td);
      tbody.appendChild(tr);
    });
    var from = st.total ? st.offset + 1 : 0, to = st.offset + st.items.length;
    p.querySelector(".count").textContent = from + "–" + to + " " + t("reg.of", "of") + " " + st.total;
    p.querySelector(".prev").disabled = st.offset <= 0;
    p.querySelector(".next").disabled = to >= st.total;
  }

  function showTab(kind) {
    if (!panel(kind)) return;
    current = kind;
    document.querySelectorAll(".tabs [role=tab]").forEach(function (b) {
      b.setAttribute("aria-selected", b.getAttribute("data-tab") === kind ? "true" : "false");
    });
    document.querySelectorAll(".panel").forEach(function (p) { p.hidden = p.getAttribute("data-kind") !== kind; });
    closeEditor();
    loadList(kind);
  }

  // loadLookups fills the name tables and the selects that need them.
  function loadLookups() {
    var jobs = [];
    if (panel("organisations") || panel("teams")) {
      jobs.push(api("GET", "/api/organisations?limit=500").then(function (r) {
        lookups.orgs = {}; (r.body || []).forEach(function (o) { lookups.orgs[o.id] = o; });
        fillSelect("select.orgs", r.body || [], function (o) { return o.name; });
      }));
    }
    if (panel("volunteers")) {
      jobs.push(api("GET", "/api/volunteers?limit=500").then(function (r) {
        lookups.vols = {}; (r.body || []).forEach(function (v) { lookups.vols[v.id] = v; });
        fillSelect("select.vols", r.body || [], function (v) { return v.full_name + (v.minor ? " (" + t("reg.minor", "minor") + ")" : ""); });
      }));
    }
    if (panel("teams")) {
      jobs.push(api("GET", "/api/teams?limit=500").then(function (r) {
        lookups.teams = {}; (r.body || []).forEach(function (x) { lookups.teams[x.id] = x; });
        fillSelect("select.teams", r.body || [], function (x) { return x.name; });
      }));
    }
    return Promise.all(jobs).catch(function () { /* the tables show ids instead of names */ });
  }

  function fillSelect(sel, items, label) {
    document.querySelectorAll(sel).forEach(function (s) {
      var keep = Array.prototype.map.call(s.selectedOptions || [], function (o) { return o.value; });
      s.textContent = "";
      if (s.classList.contains("optional")) {
        var none = el("option", null, t("reg.none_option", "— none —")); none.value = ""; s.appendChild(none);
      }
      items.forEach(function (it) {
        var o = el("option", null, label(it)); o.value = String(it.id);
        if (keep.indexOf(o.value) >= 0) o.selected = true;
        s.appendChild(o);
      });
    });
  }

  // ---- editor ----

  function form(kind) { return $("form-" + kind); }

  function clearErrors() {
    $("form-error").hidden = true;
    var old = $("form-conflict");
    if (old) old.remove();
    document.querySelectorAll(".editor .invalid").forEach(function (e) { e.classList.remove("invalid"); e.removeAttribute("aria-invalid"); });
    document.querySelectorAll(".editor p.err").forEach(function (e) { e.remove(); });
  }

  function showProblem(f, body, status) {
    var msg = (body && (body.detail || body.title)) || ("HTTP " + status);
    var box = $("form-error");
    box.textContent = t("reg.error", "Could not save:") + " " + msg;
    box.hidden = false;
    var field = body && body.field;
    if (!field) return;
    var target = f.querySelector('[data-field="' + CSS.escape(field) + '"]') || f.querySelector('[name="' + CSS.escape(field) + '"]');
    if (!target) return;
    target.classList.add("invalid");
    target.setAttribute("aria-invalid", "true");
    var p = el("p", "err", msg);
    p.setAttribute("role", "alert");
    (target.closest(".field") || target).appendChild(p);
    if (target.focus) target.focus();
  }

  function setVal(f, name, v) {
    var e = f.elements[name];
    if (!e) return;
    if (e.type === "checkbox") { e.checked = !!v; return; }
    if (e instanceof RadioNodeList) {
      Array.prototype.forEach.call(e, function (c) { c.checked = (v || []).indexOf(c.value) >= 0; });
      return;
    }
    if (e.multiple) {
      var ids = (v || []).map(String);
      Array.prototype.forEach.call(e.options, function (o) { o.selected = ids.indexOf(o.value) >= 0; });
      return;
    }
    e.value = v === undefined || v === null ? "" : (Array.isArray(v) ? v.join(", ") : String(v));
  }

  function openEditor(kind, item) {
    editing = { kind: kind, item: item };
    clearErrors();
    document.querySelectorAll(".editor form").forEach(function (f) { f.hidden = true; });
    var f = form(kind);
    f.reset();
    f.hidden = false;
    $("editor").hidden = false;
    $("status").textContent = "";
    $("editor-title").textContent = item ? t("reg.edit_title", "Edit") + ": " + (item.full_name || item.name || item.username || "#" + item.id)
      : t("reg.new_title", "New record") + " — " + t("reg.tab." + kind, kind);
    if (kind === "users") f.elements.username.readOnly = !!item;
    if (item) {
      Object.keys(item).forEach(function (k) { setVal(f, k, item[k]); });
      if (kind === "care" && item.address) f.querySelector(".lookup-q").value = item.address;
    }
    var first = f.querySelector("input:not([type=hidden]):not([readonly]), select");
    if (first) first.focus();
    setupMap(f);
    $("editor").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function closeEditor() {
    editing = null;
    $("editor").hidden = true;
  }

  function num(v) { v = String(v || "").trim().replace(",", "."); return v === "" ? null : Number(v); }
  function intOrNull(v) { v = String(v || "").trim(); return v === "" ? null : parseInt(v, 10); }
  function list(v) { return String(v || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean); }

  // collect turns a form into the API body.
  function collect(kind, f) {
    var e = f.elements;
    switch (kind) {
      case "care":
        return {
          full_name: e.full_name.value, phone: e.phone.value, address: e.address.value,
          entrance: e.entrance.value, floor: e.floor.value, flat: e.flat.value,
          lat: num(e.lat.value), lon: num(e.lon.value), preferred_language: e.preferred_language.value,
          needs: Array.prototype.filter.call(f.querySelectorAll("input[name=needs]"), function (c) { return c.checked; }).map(function (c) { return c.value; }),
          immobile: e.immobile.checked, mobility_notes: e.mobility_notes.value, access_notes: e.access_notes.value,
          consent: e.consent.checked, active: e.active.checked
        };
      case "teams":
        return {
          name: e.name.value, organisation_id: intOrNull(e.organisation_id.value) || 0,
          lead_volunteer_id: intOrNull(e.lead_volunteer_id.value),
          member_ids: Array.prototype.map.call(e.member_ids.selectedOptions, function (o) { return parseInt(o.value, 10); }),
          lat: num(e.lat.value), lon: num(e.lon.value), has_vehicle: e.has_vehicle.checked,
          capacity_packages: intOrNull(e.capacity_packages.value) || 0, skills: list(e.skills.value), languages: list(e.languages.value),
          shift_start: e.shift_start.value, shift_end: e.shift_end.value, color: e.color.value, active: e.active.checked
        };
      case "volunteers":
        return {
          full_name: e.full_name.value, birth_year: intOrNull(e.birth_year.value) || 0,
          organisation_id: intOrNull(e.organisation_id.value) || 0, phone: e.phone.value,
          languages: list(e.languages.value), active: e.active.checked
        };
      case "organisations":
        return { name: e.name.value, kind: e.kind.value, phone: e.phone.value };
      case "users":
        return {
          username: e.username.value, full_name: e.full_name.value, role: e.role.value,
          team_id: intOrNull(e.team_id.value), organisation_id: intOrNull(e.organisation_id.value),
          active: e.active.checked, password: e.password.value
        };
    }
    return {};
  }

  // showConflict handles a 412: someone saved the record since it was
  // opened. The answer holds their version (current); the user either
  // reloads it into the form or saves their own over it, which sends the
  // form again with If-Match of their version (and gets another 412 if a
  // third person saved meanwhile).
  function showConflict(f, problem) {
    var current = problem && problem.current;
    var kind = editing && editing.kind;
    var box = el("div", "alert conflict");
    box.id = "form-conflict";
    box.setAttribute("role", "alert");
    box.appendChild(el("p", null, t("reg.conflict", "Someone else changed this record while you had it open.")));
    var reload = el("button", null, t("reg.conflict_reload", "Reload (their version)"));
    reload.type = "button";
    var overwrite = el("button", null, t("reg.conflict_overwrite", "Save mine (overwrite)"));
    overwrite.type = "button";
    reload.addEventListener("click", function () {
      if (current && kind) openEditor(kind, current);
    });
    overwrite.addEventListener("click", function () {
      if (current) editing.item.version = current.version;
      box.remove();
      save();
    });
    box.appendChild(reload);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(overwrite);
    $("form-error").after(box);
    reload.focus();
  }

  function save() {
    if (!editing) return;
    var kind = editing.kind, item = editing.item, f = form(kind);
    var body = collect(kind, f);
    if ((kind === "care" || kind === "teams") && (body.lat === null || body.lon === null || isNaN(body.lat) || isNaN(body.lon))) {
      clearErrors();
      showProblem(f, { detail: t("reg.map_hint", "Click the map to set the pin."), field: kind === "care" ? "lat" : "base" }, 422);
      return;
    }
    clearErrors();
    $("save").disabled = true;
    $("status").textContent = t("reg.saving", "Saving…");
    var url = endpoints[kind] + (item ? "/" + item.id : "");
    var headers = item ? { "If-Match": '"' + item.version + '"' } : undefined;
    api(item ? "PUT" : "POST", url, body, headers).then(function (res) {
      if (res.status === 412) {
        $("status").textContent = "";
        showConflict(f, res.body);
        return null;
      }
      if (res.status !== 200 && res.status !== 201) {
        $("status").textContent = "";
        showProblem(f, res.body, res.status);
        return null;
      }
      var saved = res.body;
      if (kind === "care" && f.elements.rule.value) {
        var rule = f.elements.rule.value;
        var day = rule === "none" ? 0 : (intOrNull(f.elements.day.value) || 0);
        return api("PUT", "/api/care-addresses/" + saved.id + "/visit-rule", { rule: rule, day: day }, { "If-Match": '"' + saved.version + '"' }).then(function (r2) {
          if (r2.status >= 300) {
            // The address is saved; keep the editor open on it to fix the rule.
            editing.item = saved;
            $("status").textContent = "";
            showProblem(f, r2.body, r2.status);
            return null;
          }
          return saved;
        });
      }
      return saved;
    }).then(function (saved) {
      if (!saved) return;
      $("status").textContent = t("reg.saved", "Saved");
      closeEditor();
      var after = (kind === "care") ? Promise.resolve() : loadLookups();
      after.then(function () { loadList(kind); });
    }, function () {
      $("status").textContent = "";
      showProblem(f, { detail: t("reg.network_error", "No connection to the server; try again.") }, 0);
    }).then(function () { $("save").disabled = false; });
  }

  // ---- pin: lat/lon inputs, address lookup and (when vendored) Leaflet ----

  var astana = [51.1282, 71.4304];
  var maps = {};

  function setPin(f, lat, lon, label) {
    f.elements.lat.value = lat.toFixed(6);
    f.elements.lon.value = lon.toFixed(6);
    if (label && f.elements.address && !f.elements.address.value) f.elements.address.value = label;
    var m = maps[f.id];
    if (m) {
      if (!m.marker) m.marker = window.L.marker([lat, lon]).addTo(m.map);
      m.marker.setLatLng([lat, lon]);
      m.map.setView([lat, lon], Math.max(m.map.getZoom(), 15));
    }
  }

  function setupMap(f) {
    var box = f.querySelector(".map");
    if (!box || !window.L) return;
    var root = $("registry"), tiles = root.getAttribute("data-tiles");
    box.hidden = false;
    var m = maps[f.id];
    if (!m) {
      var map = window.L.map(box).setView(astana, 12);
      // Without tiles (none configured, or no internet) our own roads show
      // where the pin goes.
      if (window.qamqorMap) window.qamqorMap.baseLayer(map, tiles);
      m = maps[f.id] = { map: map, marker: null };
      map.on("click", function (ev) { setPin(f, ev.latlng.lat, ev.latlng.lng); });
    }
    setTimeout(function () { m.map.invalidateSize(); }, 50);
    var lat = num(f.elements.lat.value), lon = num(f.elements.lon.value);
    if (lat !== null && lon !== null && !isNaN(lat) && !isNaN(lon)) setPin(f, lat, lon);
    else if (m.marker) { m.marker.remove(); m.marker = null; m.map.setView(astana, 12); }
  }

  function lookup(f) {
    var q = f.querySelector(".lookup-q").value.trim(), ul = f.querySelector(".lookup-results");
    if (!q) return;
    api("GET", "/api/geocode?limit=8&q=" + encodeURIComponent(q)).then(function (res) {
      ul.textContent = "";
      var items = res.status === 200 ? (res.body || []).filter(function (c) { return c.kind !== "care_address"; }) : [];
      if (!items.length) ul.appendChild(el("li", "muted", res.body && res.body.detail ? res.body.detail : t("reg.none", "Nothing found")));
      items.forEach(function (c) {
        var li = el("li"), b = el("button", "link", c.label);
        b.type = "button";
        b.addEventListener("click", function () {
          setPin(f, c.lat, c.lon, c.label);
          ul.hidden = true;
        });
        li.appendChild(b); ul.appendChild(li);
      });
      ul.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tabs = document.querySelectorAll(".tabs [role=tab]");
    if (!tabs.length) return;
    document.querySelectorAll(".panel").forEach(function (p) {
      var kind = p.getAttribute("data-kind"), timer = null;
      state[kind] = { q: "", offset: 0, total: 0, items: [], seq: 0 };
      p.querySelector(".q").addEventListener("input", function (ev) {
        clearTimeout(timer);
        timer = setTimeout(function () { state[kind].q = ev.target.value.trim(); state[kind].offset = 0; loadList(kind); }, 250);
      });
      p.querySelector(".prev").addEventListener("click", function () { state[kind].offset = Math.max(0, state[kind].offset - PAGE); loadList(kind); });
      p.querySelector(".next").addEventListener("click", function () { state[kind].offset += PAGE; loadList(kind); });
      p.querySelector(".new").addEventListener("click", function () { openEditor(kind, null); });
    });
    tabs.forEach(function (b) {
      b.addEventListener("click", function () {
        history.replaceState(null, "", "#" + b.getAttribute("data-tab"));
        showTab(b.getAttribute("data-tab"));
      });
    });
    document.querySelectorAll(".editor form").forEach(function (f) {
      f.addEventListener("submit", function (ev) { ev.preventDefault(); save(); });
      var go = f.querySelector(".lookup-go");
      if (go) {
        go.addEventListener("click", function () { lookup(f); });
        f.querySelector(".lookup-q").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); lookup(f); } });
      }
      ["lat", "lon"].forEach(function (n) {
        if (f.elements[n]) f.elements[n].addEventListener("change", function () { setupMap(f); });
      });
    });
    $("save").addEventListener("click", save);
    $("cancel").addEventListener("click", closeEditor);
    document.addEventListener("qamqor:lang", function () { if (current) renderList(current); });
    window.addEventListener("hashchange", function () {
      var k = (location.hash || "").slice(1);
      if (panel(k) && k !== current) showTab(k);
    });
    var want = (location.hash || "").slice(1);
    // A tab the user opened while the lookups were loading stays open (and
    // so does its editor): only a page nobody has touched gets the default.
    loadLookups().then(function () { if (!current) showTab(panel(want) ? want : tabs[0].getAttribute("data-tab")); });
  });
})();
