// i18n.js: labels in Kazakh, Russian and English. The language comes from
// localStorage ("qamqor.lang"), else navigator.language, else Kazakh; the
// #lang switcher changes and saves it, and mirrors it in the qamqor_lang
// cookie so pages the server renders speak it too (API calls send it as
// Accept-Language; see qamqor-common.js). Elements carry data-i18n="key"
// (text), data-i18n-placeholder, data-i18n-title or data-i18n-label
// (aria-label); their English text is the fallback when a key is missing.
// <body data-title-key="..."> names the tab title's key.
//
// Shared helpers for every page script:
//   t(key, fallback)       label in the current language
//   word(group, value)     a status/role/kind as a word: word("status", "new")
//   time(d)                "14:05": 24-hour clock, Astana time (UTC+5)
//   date(d)                "2026-12-06" in Astana
//   dateTime(d)            "2026-12-06 14:05" in Astana
//   today(offsetDays)      Astana's date as YYYY-MM-DD, plus offsetDays
(function () {
  "use strict";
  var dict = {
    "nav.home": { kk: "Басты бет", ru: "Главная", en: "Home" },
    "nav.hotline": { kk: "Жедел желі", ru: "Горячая линия", en: "Hotline" },
    "nav.dispatch": { kk: "Диспетчер картасы", ru: "Карта диспетчера", en: "Dispatch map" },
    "nav.team": { kk: "Менің бағытым", ru: "Мой маршрут", en: "My route" },
    "nav.team_tomorrow": { kk: "Ертеңгі бағыт", ru: "Маршрут на завтра", en: "Tomorrow's route" },
    "nav.security": { kk: "Қауіпсіздік және құпиялылық", ru: "Безопасность и конфиденциальность", en: "Security and privacy" },
    "sec.table": { kk: "Кесте", ru: "Таблица", en: "Table" },
    "sec.rows": { kk: "Өшірілген жолдар", ru: "Обезличено строк", en: "Rows redacted" },
    "sec.twofa": { kk: "Екі факторлы кіру", ru: "Двухфакторный вход", en: "Two-factor login" },
    "sec.twofa.help": { kk: "Белгіленген рөлдердің пайдаланушылары аутентификатор қолданбасының кодымен кіреді; оны келесі кіруде баптайды.", ru: "Пользователи отмеченных ролей входят с кодом из приложения-аутентификатора; настраивают его при следующем входе.", en: "Users of the ticked roles must log in with a code from an authenticator app; they set it up at their next login." },
    "sec.save": { kk: "Сақтау", ru: "Сохранить", en: "Save" },
    "sec.erase": { kk: "Зейнеткердің деректерін өшіру", ru: "Удалить данные пенсионера", en: "Erase a pensioner" },
    "sec.erase.help": { kk: "Аты-жөнін, телефонын, мекенжайын, кіру мәліметтерін және жазбаларын барлық жерден (өтінімдер, аялдамалар, дабылдар, оқиғалар тарихы, импорт) өшіреді. Тек анонимді сандар қалады. Бұны кері қайтару мүмкін емес.", ru: "Удаляет имя, телефон, адрес, данные для входа и заметки везде (заявки, остановки, тревоги, история событий, импорт). Остаются только анонимные счётчики. Отменить нельзя.", en: "Removes the name, phone, address, door details and notes everywhere (requests, stops, alerts, event history, imports). Only anonymous counts remain. This cannot be undone." },
    "sec.erase.id": { kk: "Мекенжай нөмірі", ru: "Номер адреса", en: "Care address id" },
    "sec.erase.confirm": { kk: "Растау үшін нөмірді қайта теріңіз", ru: "Номер ещё раз для подтверждения", en: "The id again, to confirm" },
    "sec.erase.submit": { kk: "Өшіру", ru: "Удалить", en: "Erase" },
    "sec.audit": { kk: "Аудит журналы", ru: "Журнал аудита", en: "Audit trail" },
    "sec.actor": { kk: "Пайдаланушы", ru: "Пользователь", en: "User" },
    "sec.action": { kk: "Әрекет", ru: "Действие", en: "Action" },
    "sec.object": { kk: "Нысан", ru: "Объект", en: "Object" },
    "sec.object_id": { kk: "Нөмір", ru: "Номер", en: "Id" },
    "sec.from": { kk: "Бастап", ru: "С", en: "From" },
    "sec.to": { kk: "Дейін", ru: "По", en: "To" },
    "sec.search": { kk: "Іздеу", ru: "Искать", en: "Search" },
    "sec.csv": { kk: "CSV экспорты", ru: "Экспорт CSV", en: "Export CSV" },
    "sec.total": { kk: "Сәйкес жолдар", ru: "Найдено строк", en: "Matching rows" },
    "sec.when": { kk: "Уақыты", ru: "Когда", en: "When" },
    "sec.source": { kk: "Мекенжай (IP)", ru: "Адрес (IP)", en: "Address" },
    "sec.detail": { kk: "Толығырақ", ru: "Подробности", en: "Detail" },
    "nav.registry": { kk: "Тізілім", ru: "Реестр", en: "Registry" },
    "nav.reports": { kk: "Есептер", ru: "Отчёты", en: "Reports" },
    "nav.hq": { kk: "Штабтың айлық есебі", ru: "Ежемесячный отчёт штаба", en: "HQ monthly report" },
    "nav.imports": { kk: "Импорт және экспорт", ru: "Импорт и экспорт", en: "Import and export" },
    "nav.integrations": { kk: "Интеграциялар", ru: "Интеграции", en: "Integrations" },
    "nav.applications": { kk: "Өтінімдер", ru: "Заявки волонтёров", en: "Applications" },
    "nav.attendance": { kk: "Қатысуды растау", ru: "Подтверждение присутствия", en: "Attendance to confirm" },
    "nav.certificates": { kk: "Сертификаттар", ru: "Сертификаты", en: "Certificates" },
    "nav.logout": { kk: "Шығу", ru: "Выйти", en: "Log out" },
    "nav.lang": { kk: "Тіл", ru: "Язык", en: "Language" },
    "login.title": { kk: "Кіру", ru: "Вход", en: "Log in" },
    "login.username": { kk: "Пайдаланушы аты", ru: "Имя пользователя", en: "Username" },
    "login.password": { kk: "Құпиясөз", ru: "Пароль", en: "Password" },
    "login.submit": { kk: "Кіру", ru: "Войти", en: "Log in" },
    "login.signup": { kk: "Волонтёр болғыңыз келе ме? Өтінім қалдырыңыз", ru: "Хотите стать волонтёром? Оставьте заявку", en: "Want to volunteer? Apply here" },
    "login.failed": { kk: "Пайдаланушы аты немесе құпиясөз қате.", ru: "Неверное имя пользователя или пароль.", en: "Wrong username or password." },
    "login.missing": { kk: "Пайдаланушы аты мен құпиясөзді енгізіңіз.", ru: "Введите имя пользователя и пароль.", en: "Enter your username and password." },
    "twofa.codes.title": { kk: "Қалпына келтіру кодтары", ru: "Коды восстановления", en: "Recovery codes" },
    "twofa.codes.help": { kk: "Екі факторлы кіру қосулы. Бұл бір реттік кодтарды телефоннан бөлек қауіпсіз жерде сақтаңыз: телефон жоғалса, әрқайсысы бір рет кіруге мүмкіндік береді. Олар тек қазір көрсетіледі.", ru: "Двухфакторный вход включён. Храните эти одноразовые коды в надёжном месте отдельно от телефона: каждый позволяет войти один раз, если телефон потерян. Они показываются только сейчас.", en: "Two-factor login is on. Keep these one-time codes somewhere safe, away from your phone: each lets you in once if the phone is lost. They are shown only now." },
    "twofa.continue": { kk: "Жалғастыру", ru: "Продолжить", en: "Continue" },
    "twofa.enrol.title": { kk: "Екі факторлы кіруді баптау", ru: "Настройка двухфакторного входа", en: "Set up two-factor login" },
    "twofa.enrol.help": { kk: "Сіздің рөліңізге екінші фактор қажет. Кодты аутентификатор қолданбасымен сканерлеңіз (Google Authenticator, Aegis, FreeOTP...) немесе кілтті қолмен теріңіз, содан кейін ол көрсеткен алты таңбалы кодты енгізіңіз.", ru: "Для вашей роли нужен второй фактор. Отсканируйте код приложением-аутентификатором (Google Authenticator, Aegis, FreeOTP...) или введите ключ вручную, затем введите показанный шестизначный код.", en: "Your role needs a second factor. Scan the code with an authenticator app (Google Authenticator, Aegis, FreeOTP...), or type the key by hand, then enter the six-digit code it shows." },
    "twofa.enrol.key": { kk: "Кілт", ru: "Ключ", en: "Key" },
    "twofa.enrol.submit": { kk: "Қосу", ru: "Включить", en: "Turn on" },
    "twofa.code": { kk: "Код", ru: "Код", en: "Code" },
    "twofa.totp.help": { kk: "Аутентификатор қолданбасындағы алты таңбалы кодты немесе қалпына келтіру кодтарының бірін енгізіңіз.", ru: "Введите шестизначный код из приложения-аутентификатора или один из кодов восстановления.", en: "Enter the six-digit code from your authenticator app, or one of your recovery codes." },
    "home.signed_in": { kk: "Сіз кірдіңіз:", ru: "Вы вошли как", en: "Signed in as" },
    "home.title": { kk: "Не істегіңіз келеді?", ru: "Что вы хотите сделать?", en: "What would you like to do?" },
    "home.none": { kk: "Сіздің рөліңізге әзірге қолжетімді бет жоқ.", ru: "Для вашей роли пока нет доступных страниц.", en: "No pages are available for your role yet." },
    "error.title": { kk: "Қате", ru: "Ошибка", en: "Error" },
    "error.back": { kk: "Басты бетке", ru: "На главную", en: "Back to the home page" },
    "error.request_id": { kk: "Сұрау идентификаторы", ru: "Идентификатор запроса", en: "Request id" },
    "hotline.title": { kk: "Жаңа өтінім", ru: "Новая заявка", en: "New request" },
    "hotline.search": { kk: "Зейнеткерді немесе мекенжайды табу", ru: "Найти пенсионера или адрес", en: "Find pensioner or address" },
    "hotline.search_hint": { kk: "Атын, телефонын немесе көшесін теріңіз; ↑↓ — таңдау, Enter — растау.", ru: "Введите имя, телефон или улицу; ↑↓ — выбор, Enter — подтвердить.", en: "Type a name, phone or street; ↑↓ to choose, Enter to take." },
    "hotline.no_results": { kk: "Ештеңе табылмады", ru: "Ничего не найдено", en: "Nothing found" },
    "hotline.registered": { kk: "Тіркелген", ru: "Зарегистрирован", en: "Registered" },
    "hotline.address": { kk: "Мекенжай", ru: "Адрес", en: "Address" },
    "hotline.location": { kk: "Орналасуы", ru: "Координаты", en: "Location" },
    "hotline.no_location": { kk: "Іздеуден мекенжайды таңдаңыз", ru: "Выберите адрес из поиска", en: "Choose an address from the search" },
    "hotline.kind": { kk: "Көмек түрі", ru: "Вид помощи", en: "Kind of help" },
    "kind.snow_clearing": { kk: "Қар тазалау", ru: "Уборка снега", en: "Snow clearing" },
    "kind.food_delivery": { kk: "Азық-түлік жеткізу", ru: "Доставка продуктов", en: "Food delivery" },
    "kind.other": { kk: "Басқа", ru: "Другое", en: "Other" },
    "hotline.priority": { kk: "Басымдық", ru: "Приоритет", en: "Priority" },
    "priority.normal": { kk: "Қалыпты", ru: "Обычный", en: "Normal" },
    "priority.high": { kk: "Жоғары", ru: "Высокий", en: "High" },
    "priority.urgent": { kk: "Шұғыл", ru: "Срочный", en: "Urgent" },
    "hotline.window": { kk: "Уақыт аралығы", ru: "Временное окно", en: "Time window" },
    "hotline.optional": { kk: "міндетті емес", ru: "необязательно", en: "optional" },
    "hotline.window_start": { kk: "Бастап", ru: "С", en: "From" },
    "hotline.window_end": { kk: "Дейін", ru: "До", en: "Until" },
    "hotline.service_minutes": { kk: "Орында болатын минут", ru: "Минут на месте", en: "Minutes on site" },
    "hotline.packages": { kk: "Пакеттер саны", ru: "Пакетов", en: "Packages" },
    "hotline.notes": { kk: "Ескертпелер", ru: "Примечания", en: "Notes" },
    "hotline.submit": { kk: "Өтінім жасау", ru: "Создать заявку", en: "Create request" },
    "hotline.force": { kk: "Бәрібір жасау", ru: "Всё равно создать", en: "Create anyway" },
    "hotline.reset": { kk: "Жаңа өтінім", ru: "Новая заявка", en: "New request" },
    "hotline.duplicate": { kk: "Жақын жерде осы түрдегі ашық өтінім бар:", ru: "Рядом уже есть открытая заявка этого вида:", en: "An open request of this kind already exists nearby:" },
    "hotline.request": { kk: "Өтінім", ru: "Заявка", en: "Request" },
    "hotline.created": { kk: "Өтінім жасалды. Нөмірін қоңырау шалушыға оқып беріңіз:", ru: "Заявка создана. Продиктуйте номер звонящему:", en: "Request created. Read the number back to the caller:" },
    "hotline.replayed": { kk: "Бұл өтінім бұрын жасалған:", ru: "Эта заявка уже была создана:", en: "This request was already created:" },
    "hotline.sending": { kk: "Жіберілуде…", ru: "Отправка…", en: "Sending…" },
    "hotline.error": { kk: "Өтінім жасалмады:", ru: "Не удалось создать заявку:", en: "Could not create the request:" },
    "hotline.network_error": { kk: "Сервермен байланыс жоқ; қайталаңыз (өтінім екі рет жасалмайды).", ru: "Нет связи с сервером; повторите (заявка не создастся дважды).", en: "No connection to the server; try again (nothing is created twice)." },
    "hotline.session_expired": { kk: "Сессия аяқталды; қайта кіріңіз.", ru: "Сеанс истёк; войдите снова.", en: "Your session has ended; log in again." },
    "common.network_error": { kk: "Сервермен байланыс жоқ.", ru: "Нет связи с сервером.", en: "No connection to the server." },
    "common.db_unavailable": { kk: "Сервер дерекқорға қосыла алмай тұр. Жұмысыңыз сақталған; бұл хабар жоғалғанда қайталаңыз.", ru: "Сервер не может связаться с базой данных. Ваша работа сохранена; повторите, когда это сообщение исчезнет.", en: "The server cannot reach its database. Your work is kept; try again when this message goes away." },
    "role.admin": { kk: "Әкімші", ru: "Администратор", en: "Admin" },
    "role.dispatcher": { kk: "Диспетчер", ru: "Диспетчер", en: "Dispatcher" },
    "role.hotline": { kk: "Жедел желі операторы", ru: "Оператор горячей линии", en: "Hotline operator" },
    "role.team_lead": { kk: "Топ жетекшісі", ru: "Руководитель команды", en: "Team lead" },
    "role.coordinator": { kk: "Ұйым үйлестірушісі", ru: "Координатор организации", en: "Coordinator" },
    "status.new": { kk: "Жаңа", ru: "Новая", en: "New" },
    "status.planned": { kk: "Жоспарланған", ru: "Запланирована", en: "Planned" },
    "status.assigned": { kk: "Тағайындалған", ru: "Назначена", en: "Assigned" },
    "status.in_progress": { kk: "Орындалуда", ru: "Выполняется", en: "In progress" },
    "status.done": { kk: "Орындалды", ru: "Выполнена", en: "Done" },
    "status.failed": { kk: "Орындалмады", ru: "Не выполнена", en: "Failed" },
    "status.cancelled": { kk: "Тоқтатылды", ru: "Отменена", en: "Cancelled" },
    "title.home": { kk: "Басты бет", ru: "Главная", en: "Home" },
    "title.login": { kk: "Кіру", ru: "Вход", en: "Log in" },
    "title.error": { kk: "Қате", ru: "Ошибка", en: "Error" },
    "hotline.map_label": { kk: "Карта (міндетті емес)", ru: "Карта (необязательно)", en: "Map (optional)" },
    "team.map_label": { kk: "Бағыт картасы", ru: "Карта маршрута", en: "Route map" },
    "request.status": { kk: "Күйі", ru: "Статус", en: "Status" },
    "request.created": { kk: "Жасалды", ru: "Создана", en: "Created" },
    "status.new": { kk: "Жаңа", ru: "Новая", en: "New" }
  };
  var langs = ["kk", "ru", "en"];
  var storeKey = "qamqor.lang";

  function pick() {
    var saved = null;
    try { saved = localStorage.getItem(storeKey); } catch (e) { /* storage may be disabled */ }
    if (langs.indexOf(saved) >= 0) return saved;
    var nav = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);
    for (var i = 0; i < nav.length; i++) {
      var l = String(nav[i]).toLowerCase().slice(0, 2);
      if (l === "kk" || l === "kz") return "kk";
      if (l === "ru") return "ru";
      if (l === "en") return "en";
    }
    return "kk";
  }

  var lang = pick();

  // t returns the text for key in the current language, or fallback.
  function t(key, fallback) {
    var e = dict[key];
    if (e && e[lang]) return e[lang];
    return fallback !== undefined ? fallback : key;
  }

  // word shows a raw value (status, role, kind) as a word: group.value.
  function word(group, value) {
    if (value === null || value === undefined || value === "") return "";
    return t(group + "." + value, String(value).replace(/_/g, " "));
  }

  // Astana keeps UTC+5 all year; formatting by hand keeps every browser on
  // the 24-hour clock and the city's time whatever its own zone or locale.
  var ASTANA_MS = 5 * 3600 * 1000;
  function astana(d) {
    if (!(d instanceof Date)) d = new Date(d);
    if (isNaN(d.getTime())) return null;
    return new Date(d.getTime() + ASTANA_MS);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function time(d) {
    var a = astana(d);
    return a ? pad(a.getUTCHours()) + ":" + pad(a.getUTCMinutes()) : "";
  }
  function date(d) {
    var a = astana(d);
    return a ? a.getUTCFullYear() + "-" + pad(a.getUTCMonth() + 1) + "-" + pad(a.getUTCDate()) : "";
  }
  function dateTime(d) { var x = date(d); return x ? x + " " + time(d) : ""; }
  function today(offsetDays) { return date(new Date(Date.now() + (offsetDays || 0) * 86400000)); }

  function saveCookie() {
    try { document.cookie = "qamqor_lang=" + lang + "; path=/; max-age=31536000; samesite=lax"; } catch (e) { /* ignore */ }
  }

  function apply(root) {
    root = root || document;
    document.documentElement.lang = lang;
    var tk = document.body && document.body.getAttribute("data-title-key");
    if (tk && root === document) document.title = t(tk, document.title.split(" · ")[0]) + " · Qamqor";
    root.querySelectorAll("[data-i18n-label]").forEach(function (el) {
      if (!el.hasAttribute("data-i18n-label-en")) el.setAttribute("data-i18n-label-en", el.getAttribute("aria-label") || "");
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-label"), el.getAttribute("data-i18n-label-en")));
    });
    root.querySelectorAll("[data-i18n]").forEach(function (el) {
      if (!el.hasAttribute("data-i18n-en")) el.setAttribute("data-i18n-en", el.textContent);
      el.textContent = t(el.getAttribute("data-i18n"), el.getAttribute("data-i18n-en"));
    });
    root.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.placeholder = t(el.getAttribute("data-i18n-placeholder"), el.placeholder);
    });
    root.querySelectorAll("[data-i18n-title]").forEach(function (el) {
      el.title = t(el.getAttribute("data-i18n-title"), el.title);
    });
  }

  function set(l) {
    if (langs.indexOf(l) < 0) return;
    lang = l;
    try { localStorage.setItem(storeKey, l); } catch (e) { /* ignore */ }
    saveCookie();
    apply();
    document.dispatchEvent(new CustomEvent("qamqor:lang", { detail: l }));
  }

  saveCookie();
  window.qamqorI18n = {
    t: t, word: word, time: time, date: date, dateTime: dateTime, today: today,
    apply: apply, set: set, lang: function () { return lang; }, dict: dict, langs: langs
  };

  document.addEventListener("DOMContentLoaded", function () {
    apply();
    var sel = document.getElementById("lang");
    if (sel) {
      sel.value = lang;
      sel.addEventListener("change", function () { set(sel.value); });
    }
  });
})();
