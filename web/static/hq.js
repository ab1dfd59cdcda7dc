// hq.js: the HQ report is rendered on the server in the page's language;
// switching the language reloads it so the figures' labels follow.
(function () {
  "use strict";
  document.addEventListener("qamqor:lang", function () { window.location.reload(); });
})();
