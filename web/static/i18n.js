// i18n.js: labels in Kazakh, Russian and English. The language comes from
// localStorage ("qamqor.lang"), else navigator.language, else Kazakh; the
// #lang switcher changes and saves it. Elements carry data-i18n="key" (text),
// data-i18n-placeholder or data-i18n-title; their English text is the
// fallback when a key is missing.
(function () {
  "use strict";
  var dict = {
    "nav.home": { kk: "Басты бет", ru: "Главная", en: "Home" },
    "nav.hotline": { kk: "Жедел желі", ru: "Горячая линия", en: "Hotline" },
    "nav.dispatch": { kk: "Диспетчер картасы", ru: "Карта диспетчера", en: "Dispatch map" },
    "nav.team": { kk: "Менің бағытым", ru: "Мой маршрут", en: "My route" },
    "nav.registry": { kk: "Тізілім", ru: "Реестр", en: "Registry" },
    "nav.reports": { kk: "Есептер", ru: "Отчёты", en: "Reports" },
    "nav.logout": { kk: "Шығу", ru: "Выйти", en: "Log out" },
    "nav.lang": { kk: "Тіл", ru: "Язык", en: "Language" },
    "login.title": { kk: "Кіру", ru: "Вход", en: "Log in" },
    "login.username": { kk: "Пайдаланушы аты", ru: "Имя пользователя", en: "Username" },
    "login.password": { kk: "Құпиясөз", ru: "Пароль", en: "Password" },
    "login.submit": { kk: "Кіру", ru: "Войти", en: "Log in" },
    "login.failed": { kk: "Пайдаланушы аты немесе құпиясөз қате.", ru: "Неверное имя пользователя или пароль.", en: "Wrong username or password." },
    "login.missing": { kk: "Пайдаланушы аты мен құпиясөзді енгізіңіз.", ru: "Введите имя пользователя и пароль.", en: "Enter your username and password." },
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
    "hotline.session_expired": { kk: "Сессия аяқталды; қайта кіріңіз.", ru: "Сеанс истёк; войдите снова.", en: "Your session has ended; log in again." }
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

  function apply(root) {
    root = root || document;
    document.documentElement.lang = lang;
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
    apply();
    document.dispatchEvent(new CustomEvent("qamqor:lang", { detail: l }));
  }

  window.qamqorI18n = { t: t, apply: apply, set: set, lang: function () { return lang; }, dict: dict, langs: langs };

  document.addEventListener("DOMContentLoaded", function () {
    apply();
    var sel = document.getElementById("lang");
    if (sel) {
      sel.value = lang;
      sel.addEventListener("change", function () { set(sel.value); });
    }
  });
})();
