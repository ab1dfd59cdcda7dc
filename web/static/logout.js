// logout.js: logging out clears what this browser kept of the team's work
// (routes with pensioners' first names and flats, the outbox, the team
// page's offline copy), so a shared or lost phone does not keep personal
// data after its user left. Unsent updates are named before they are lost.
(function () {
  "use strict";
  var i18n = window.qamqorI18n;
  if (i18n) {
    Object.assign(i18n.dict, {
      "logout.unsent": { kk: "Жіберілмеген жаңартулар бар. Бәрібір шығасыз ба? Олар жойылады.", ru: "Есть неотправленные обновления. Всё равно выйти? Они будут удалены.", en: "Some updates have not been sent yet. Log out anyway? They will be lost." }
    });
  }
  function t(key, en) { return i18n ? i18n.t(key, en) : en; }

  function teamKeys() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf("qamqor.team.") === 0) keys.push(k);
    }
    return keys;
  }

  function unsent(keys) {
    var n = 0;
    keys.forEach(function (k) {
      if (!/\.outbox$/.test(k)) return;
      try { var v = JSON.parse(localStorage.getItem(k)); n += (v && v.length) || 0; } catch (e) { /* ignore */ }
    });
    return n;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || !form.classList || !form.classList.contains("logout")) return;
    var keys;
    try { keys = teamKeys(); } catch (e) { return; /* storage disabled: nothing kept */ }
    if (unsent(keys) > 0 && !window.confirm(t("logout.unsent", "Some updates have not been sent yet. Log out anyway? They will be lost."))) {
      ev.preventDefault();
      return;
    }
    keys.forEach(function (k) { localStorage.removeItem(k); });
    if (!(window.caches && caches.keys)) return;
    // Finish deleting the offline copy before the page goes away (at most
    // a second), then submit for real (form.submit fires no new event).
    ev.preventDefault();
    var done = false;
    function go() { if (!done) { done = true; form.submit(); } }
    setTimeout(go, 1000);
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("qamqor-team") === 0; })
        .map(function (n) { return caches.delete(n); }));
    }).then(go, go);
  }, true);
})();
