// telegram.js: link the user's Telegram chat for notifications. The box
// stays hidden when the server has no bot (503). Linking: ask for a
// one-time code, show "/start CODE" (and the bot link), poll until linked.
(function () {
  "use strict";
  var I = window.qamqorI18n;
  if (I) Object.assign(I.dict, {
    "tg.title": { kk: "Telegram хабарламалары", ru: "Уведомления в Telegram", en: "Telegram notifications" },
    "tg.link": { kk: "Telegram-ды байланыстыру", ru: "Подключить Telegram", en: "Link Telegram" },
    "tg.unlink": { kk: "Ажырату", ru: "Отключить", en: "Unlink" },
    "tg.linked": { kk: "Telegram байланыстырылды: бағыттар мен өзгерістер чатқа келеді.", ru: "Telegram подключён: маршруты и изменения придут в чат.", en: "Telegram is linked: routes and changes come to the chat." },
    "tg.send": { kk: "Ботқа мына хабарды жіберіңіз (15 минут жарамды):", ru: "Отправьте боту это сообщение (действует 15 минут):", en: "Send the bot this message (valid for 15 minutes):" },
    "tg.open_bot": { kk: "Ботты ашу", ru: "Открыть бота", en: "Open the bot" }
  });
  function t(key, fb) { return I ? I.t(key, fb) : (fb || key); }
  var Q = window.qamqor;
  var box = document.getElementById("telegram");
  if (!Q || !box) return;
  var $ = Q.$, timer = null;

  function show(linked) {
    box.hidden = false;
    $("tg-linked").hidden = !linked;
    $("tg-unlink").hidden = !linked;
    $("tg-link").hidden = linked;
    if (linked) $("tg-code-box").hidden = true;
  }

  function poll() {
    Q.api("GET", "/api/telegram/link").then(function (l) {
      show(l.linked);
      if (l.linked && timer) { clearInterval(timer); timer = null; }
    }, function () {});
  }

  $("tg-link").addEventListener("click", function () {
    Q.api("POST", "/api/telegram/link").then(function (r) {
      $("tg-command").textContent = r.command;
      var a = $("tg-bot");
      a.hidden = !r.bot_url;
      if (r.bot_url) a.href = r.bot_url;
      $("tg-code-box").hidden = false;
      if (!timer) timer = setInterval(poll, 3000);
    }, function (e) { $("tg-command").textContent = e.message; $("tg-code-box").hidden = false; });
  });
  $("tg-unlink").addEventListener("click", function () {
    Q.api("DELETE", "/api/telegram/link").then(function () { show(false); }, function () {});
  });
  Q.api("GET", "/api/telegram/link").then(function (l) { show(l.linked); }, function () { box.hidden = true; });
})();
