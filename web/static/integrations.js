// integrations.js: the admin's integrations page: Open311 API keys (create,
// show the secret once, revoke). Values reach the page through textContent
// only.
(function () {
  "use strict";
  var I = window.qamqorI18n;
  if (I) Object.assign(I.dict, {
    "int.keys": { kk: "Open311 API кілттері", ru: "API-ключи Open311", en: "Open311 API keys" },
    "int.keys_note": { kk: "Басқа жүйелер /open311/v2/ арқылы кілтпен өтінім береді. Жаңа кілт бір рет көрсетіледі; Qamqor тек оның хешін сақтайды.", ru: "Другие системы подают заявки через /open311/v2/ с ключом. Новый ключ показывается один раз; Qamqor хранит только его хеш.", en: "Other systems file requests through /open311/v2/ with a key. A new key is shown once; Qamqor keeps only its hash." },
    "int.org": { kk: "Ұйым", ru: "Организация", en: "Organisation" },
    "int.name": { kk: "Атауы", ru: "Название", en: "Name" },
    "int.rate": { kk: "Минутына сұраулар", ru: "Запросов в минуту", en: "Requests per minute" },
    "int.create_key": { kk: "Кілт жасау", ru: "Создать ключ", en: "Create key" },
    "int.secret_once": { kk: "Кілтті қазір көшіріңіз; ол қайта көрсетілмейді:", ru: "Скопируйте ключ сейчас; он больше не будет показан:", en: "Copy the key now; it will not be shown again:" },
    "int.prefix": { kk: "Басы", ru: "Префикс", en: "Prefix" },
    "int.last_used": { kk: "Соңғы қолданылуы", ru: "Последнее использование", en: "Last used" },
    "int.state": { kk: "Күйі", ru: "Состояние", en: "State" },
    "int.active": { kk: "Белсенді", ru: "Активен", en: "Active" },
    "int.revoked": { kk: "Қайтарылды", ru: "Отозван", en: "Revoked" },
    "int.revoke": { kk: "Қайтарып алу", ru: "Отозвать", en: "Revoke" },
    "int.never": { kk: "Ешқашан", ru: "Никогда", en: "Never" },
    "int.hooks": { kk: "Вебхуктар", ru: "Вебхуки", en: "Webhooks" },
    "int.hooks_note": { kk: "Qamqor таңдалған оқиғаларды URL-ге Standard Webhooks схемасымен қол қойып жібереді (webhook-id, webhook-timestamp, webhook-signature). Жеке деректерді тек сенімді жазылым алады.", ru: "Qamqor отправляет выбранные события на URL с подписью по схеме Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). Персональные данные получает только доверенная подписка.", en: "Qamqor POSTs the chosen events to the URL, signed by the Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature). Only a trusted subscription gets personal data." },
    "int.description": { kk: "Сипаттама", ru: "Описание", en: "Description" },
    "int.events": { kk: "Оқиғалар", ru: "События", en: "Events" },
    "int.ev.request.created": { kk: "Өтінім жасалды", ru: "Заявка создана", en: "Request created" },
    "int.ev.request.status_changed": { kk: "Өтінім күйі өзгерді", ru: "Статус заявки изменён", en: "Request status changed" },
    "int.ev.route.published": { kk: "Бағыт жарияланды", ru: "Маршрут опубликован", en: "Route published" },
    "int.ev.alert.raised": { kk: "Дабыл", ru: "Тревога", en: "Alert" },
    "int.trusted": { kk: "Сенімді: жеке деректерді ала алады", ru: "Доверенная: может получать персональные данные", en: "Trusted: may receive personal data" },
    "int.trusted_short": { kk: "Сенімді", ru: "Доверенная", en: "Trusted" },
    "int.create_hook": { kk: "Вебхук қосу", ru: "Добавить вебхук", en: "Add webhook" },
    "int.hook_secret_once": { kk: "Қабылдаушыға осы қолтаңба кілтін қазір беріңіз; ол қайта көрсетілмейді:", ru: "Передайте получателю этот секрет подписи сейчас; он больше не будет показан:", en: "Give the receiver this signing secret now; it will not be shown again:" },
    "int.log": { kk: "Жеткізу журналы", ru: "Журнал доставки", en: "Delivery log" },
    "int.attempts": { kk: "Талпыныстар", ru: "Попытки", en: "Attempts" },
    "int.last_status": { kk: "Соңғы жауап", ru: "Последний ответ", en: "Last answer" },
    "int.delivered": { kk: "Жеткізілді", ru: "Доставлено", en: "Delivered" },
    "int.failed": { kk: "Сәтсіз", ru: "Не доставлено", en: "Failed" },
    "int.pending": { kk: "Күтуде", ru: "Ожидает", en: "Pending" },
    "int.disable": { kk: "Өшіру", ru: "Выключить", en: "Disable" },
    "int.enable": { kk: "Қосу", ru: "Включить", en: "Enable" },
    "int.show_log": { kk: "Журнал", ru: "Журнал", en: "Log" },
    "int.yes": { kk: "иә", ru: "да", en: "yes" },
    "int.no": { kk: "жоқ", ru: "нет", en: "no" },
    "int.confirm_revoke": { kk: "Кілтті қайтарып алу керек пе? Оны қолданатын жүйе бірден тоқтайды.", ru: "Отозвать ключ? Система, которая его использует, сразу перестанет работать.", en: "Revoke the key? The system using it stops working at once." }
  });
  function t(key, fb) { return I ? I.t(key, fb) : (fb || key); }
  var Q = window.qamqor, $ = Q.$, el = Q.el;

  function fmt(ts) {
    if (!ts) return t("int.never", "Never");
    return new Date(ts).toLocaleString("ru-RU", { timeZone: "Asia/Almaty", hour12: false });
  }

  function fail(e) {
    var p = $("page-error");
    p.textContent = e.message;
    p.hidden = false;
  }

  function loadOrgs() {
    return Q.api("GET", "/api/organisations?limit=500").then(function (orgs) {
      var sel = $("key-org");
      sel.textContent = "";
      (orgs || []).forEach(function (o) { sel.appendChild(el("option", "", o.name)).value = o.id; });
    });
  }

  function loadKeys() {
    return Q.api("GET", "/api/api-keys").then(function (keys) {
      var tb = $("key-table").tBodies[0];
      tb.textContent = "";
      (keys || []).forEach(function (k) {
        var tr = el("tr");
        [k.id, k.prefix + "…", k.organisation_name, k.name, k.rate_per_minute, fmt(k.last_used_at),
          k.revoked_at ? t("int.revoked", "Revoked") + " " + fmt(k.revoked_at) : t("int.active", "Active")].forEach(function (v) {
          tr.appendChild(el("td", "", v));
        });
        var td = el("td");
        if (!k.revoked_at) {
          var b = el("button", "", t("int.revoke", "Revoke"));
          b.type = "button";
          b.addEventListener("click", function () {
            if (!window.confirm(t("int.confirm_revoke", "Revoke the key?"))) return;
            Q.api("POST", "/api/api-keys/" + k.id + "/revoke").then(loadKeys, fail);
          });
          td.appendChild(b);
        }
        tr.appendChild(td);
        tb.appendChild(tr);
      });
    });
  }

  $("key-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("page-error").hidden = true;
    Q.api("POST", "/api/api-keys", {
      organisation_id: Number($("key-org").value), name: $("key-name").value,
      rate_per_minute: Number($("key-rate").value) || 0
    }).then(function (k) {
      $("key-secret-value").textContent = k.secret;
      $("key-secret").hidden = false;
      $("key-name").value = "";
      return loadKeys();
    }).catch(fail);
  });

  function showLog(h) {
    Q.api("GET", "/api/webhooks/" + h.id + "/deliveries").then(function (ds) {
      $("hook-log-id").textContent = "#" + h.id;
      var tb = $("hook-log-table").tBodies[0];
      tb.textContent = "";
      (ds || []).forEach(function (d) {
        var tr = el("tr");
        var state = d.delivered_at ? t("int.delivered", "Delivered") + " " + fmt(d.delivered_at)
          : d.failed_at ? t("int.failed", "Failed") + " " + fmt(d.failed_at) : t("int.pending", "Pending") + " " + fmt(d.next_at);
        [d.msg_id, t("int.ev." + d.event_type, d.event_type), d.attempts, (d.last_status || "") + " " + (d.last_error || ""), state].forEach(function (v) {
          tr.appendChild(el("td", "", v));
        });
        tb.appendChild(tr);
      });
      $("hook-log").hidden = false;
    }).catch(fail);
  }

  function loadHooks() {
    return Q.api("GET", "/api/webhooks").then(function (hs) {
      var tb = $("hook-table").tBodies[0];
      tb.textContent = "";
      (hs || []).forEach(function (h) {
        var tr = el("tr");
        [h.id, h.url, h.events.map(function (e) { return t("int.ev." + e, e); }).join(", "),
          h.trusted ? t("int.yes", "yes") : t("int.no", "no"), h.active ? t("int.active", "Active") : t("int.revoked", "Revoked")].forEach(function (v) {
          tr.appendChild(el("td", "", v));
        });
        var td = el("td");
        var b = el("button", "", h.active ? t("int.disable", "Disable") : t("int.enable", "Enable"));
        b.type = "button";
        b.addEventListener("click", function () {
          Q.api("POST", "/api/webhooks/" + h.id + "/active", { active: !h.active }).then(loadHooks, fail);
        });
        var lg = el("button", "", t("int.show_log", "Log"));
        lg.type = "button";
        lg.addEventListener("click", function () { showLog(h); });
        td.appendChild(b);
        td.appendChild(lg);
        tr.appendChild(td);
        tb.appendChild(tr);
      });
    });
  }

  $("hook-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("page-error").hidden = true;
    var events = Array.prototype.filter.call(document.querySelectorAll('input[name="hook-event"]'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    Q.api("POST", "/api/webhooks", {
      url: $("hook-url").value, description: $("hook-desc").value, events: events, trusted: $("hook-trusted").checked
    }).then(function (h) {
      $("hook-secret-value").textContent = h.secret;
      $("hook-secret").hidden = false;
      $("hook-url").value = "";
      return loadHooks();
    }).catch(fail);
  });

  loadOrgs().then(loadKeys).then(loadHooks).catch(fail);
})();
