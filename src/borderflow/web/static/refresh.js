// Pages that refresh themselves (driver status, wait board) without reloading or losing scroll.
(function () {
  "use strict";
  var el = document.querySelector("[data-refresh]");
  if (!el) { return; }
  var every = document.body.classList.contains("board") ? 60000 : 20000;
  function refresh() {
    fetch(el.dataset.refresh, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { el.innerHTML = html; el.dataset.refreshed = String(Date.now()); } })
      .catch(function () { /* offline for a moment: keep what is shown, try again later */ });
  }
  setInterval(refresh, every);
})();
