// Officer console: panels arrive by server-sent events and replace themselves,
// except one the officer is typing in, which waits until focus leaves it.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var state = document.getElementById("live-state");
  if (!main || !main.dataset.stream || !window.EventSource) { return; }
  var pending = {};
  function busy(el) {
    var a = document.activeElement;
    return a && el.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "hidden";
  }
  function apply(name, html) {
    var el = document.getElementById("panel-" + name);
    if (!el) { return; }
    if (busy(el)) { pending[name] = html; return; }
    el.innerHTML = html;
    delete pending[name];
  }
  document.addEventListener("focusout", function () {
    setTimeout(function () { Object.keys(pending).forEach(function (n) { apply(n, pending[n]); }); }, 0);
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
