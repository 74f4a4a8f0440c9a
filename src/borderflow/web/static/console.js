// Officer console: panels arrive by server-sent events and replace themselves,
// except one the officer is typing in, which waits until focus leaves it, and none
// while a pointer is pressed (the click must land on the form that was pressed).
(function () {
  "use strict";
  var main = document.getElementById("main");
  var state = document.getElementById("live-state");
  if (!main || !main.dataset.stream || !window.EventSource) { return; }
  var pending = {};
  var pressed = false;
  function busy(el) {
    var a = document.activeElement;
    return a && el.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "hidden";
  }
  function apply(name, html) {
    var el = document.getElementById("panel-" + name);
    if (!el) { return; }
    if (pressed || busy(el)) { pending[name] = html; return; }
    el.innerHTML = html;
    delete pending[name];
  }
  function flush() { Object.keys(pending).forEach(function (n) { apply(n, pending[n]); }); }
  document.addEventListener("focusout", function () { setTimeout(flush, 0); });
  document.addEventListener("pointerdown", function () { pressed = true; }, true);
  ["pointerup", "pointercancel"].forEach(function (kind) {
    document.addEventListener(kind, function () {
      setTimeout(function () { pressed = false; flush(); }, 0);  // after the click it ends
    }, true);
  });
  var source = new EventSource(main.dataset.stream);
  var parting = false;  // the server ends each stream after a while; the browser reconnects by itself
  source.addEventListener("open", function () {
    parting = false; state.textContent = state.dataset.connected; state.dataset.live = "1";
  });
  source.addEventListener("bye", function () { parting = true; });
  source.addEventListener("error", function () {
    if (parting) { return; }
    state.textContent = state.dataset.lost; state.dataset.live = "0";
  });
  source.addEventListener("panels", function (event) {
    var panels = JSON.parse(event.data);
    Object.keys(panels).forEach(function (name) { apply(name, panels[name]); });
    main.dataset.updates = String(Number(main.dataset.updates || 0) + 1);
  });
})();
