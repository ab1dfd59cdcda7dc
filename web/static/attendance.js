// attendance.js: on the team lead's phone, who of the crew is checked in on
// today's started route. A volunteer leaving early is checked out with one
// tap (their hours end there); everyone still in is checked out when the
// route finishes, and a dispatcher or coordinator then confirms the times.
// Online only: a check-out is a plain request, shown again from the server.
(function () {
  "use strict";
  var i18n = window.qamqorI18n;
  if (i18n) {
    Object.assign(i18n.dict, {
      "att.title": { kk: "Кім қазір бағытта", ru: "Кто сейчас на маршруте", en: "Who is on the route now" },
      "att.help": { kk: "Ерте кеткен еріктіні белгілеңіз: оның сағаттары сол сәтте аяқталады.", ru: "Отметьте волонтёра, который уходит раньше: его часы заканчиваются в этот момент.", en: "Mark a volunteer who leaves early: their hours end at that moment." },
      "att.leaves": { kk: "Кетті", ru: "Ушёл(ла)", en: "Leaves now" },
      "att.in": { kk: "келді", ru: "пришёл(ла)", en: "in" },
      "att.out": { kk: "кетті", ru: "ушёл(ла)", en: "out" },
      "att.confirmed": { kk: "Уақыттар расталды.", ru: "Время подтверждено.", en: "The times are confirmed." },
      "att.waiting": { kk: "Диспетчер немесе үйлестіруші уақыттарды растайды.", ru: "Диспетчер или координатор подтвердит время.", en: "A dispatcher or coordinator will confirm the times." }
    });
  }
  function t(key, fb) { return i18n ? i18n.t(key, fb) : fb; }
  function hhmm(s) { return i18n ? i18n.time(new Date(s)) : s; }

  document.addEventListener("DOMContentLoaded", function () {
    var Q = window.qamqor, box = document.getElementById("attendance"), app = document.getElementById("team-app");
    if (!Q || !box || !app) return;
    var teamId = Number(app.getAttribute("data-team-id"));
    if (!teamId) return;
    var day = new URLSearchParams(location.search).get("day") || "";
    var list = document.getElementById("attendance-list"), note = document.getElementById("attendance-note");
    var routeId = 0;

    function show(sheet) {
      list.textContent = "";
      box.hidden = !sheet || !sheet.rows.length;
      if (box.hidden) return;
      sheet.rows.forEach(function (a) {
        var li = Q.el("li");
        var text = a.name + " · " + t("att.in", "in") + " " + hhmm(a.check_in);
        if (a.check_out) text += " · " + t("att.out", "out") + " " + hhmm(a.check_out);
        li.appendChild(document.createTextNode(text));
        if (!a.check_out && !sheet.confirmed && sheet.route_status === "in_progress") {
          var b = Q.el("button", "small", t("att.leaves", "Leaves now"));
          b.type = "button";
          b.addEventListener("click", function () {
            b.disabled = true;
            Q.api("POST", "/api/routes/" + routeId + "/attendance/" + a.volunteer_id + "/checkout").then(show, function (e) {
              note.textContent = e.message;
              b.disabled = false;
            });
          });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(b);
        }
        list.appendChild(li);
      });
      note.textContent = sheet.confirmed ? t("att.confirmed", "The times are confirmed.") :
        sheet.route_status === "finished" ? t("att.waiting", "A dispatcher or coordinator will confirm the times.") : "";
    }

    function refresh() {
      var url = "/api/teams/" + teamId + "/route" + (/^\d{4}-\d{2}-\d{2}$/.test(day) ? "?day=" + day : "");
      Q.api("GET", url).then(function (rt) {
        if (!rt || (rt.status !== "in_progress" && rt.status !== "finished")) { show(null); return; }
        routeId = rt.id;
        return Q.api("GET", "/api/routes/" + routeId + "/attendance").then(show);
      }).catch(function () { /* offline or no route: keep what is shown */ });
    }
    refresh();
    setInterval(refresh, 30000);
    document.addEventListener("qamqor:lang", refresh);
  });
})();
