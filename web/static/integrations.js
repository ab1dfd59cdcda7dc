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

  loadOrgs().then(loadKeys).catch(fail);
})();
