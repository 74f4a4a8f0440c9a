// Declaration form: more rows on demand, and the API's own checks shown next to each
// field as the declarant goes (only for fields already touched, so a fresh form is calm).
(function () {
  "use strict";
  var form = document.getElementById("declaration");
  if (!form) { return; }
  var touched = {};
  var everything = !!document.getElementById("error-summary");
  var status = document.getElementById("check-state");
  var timer = null;
  if (everything) { document.getElementById("error-summary").focus(); }

  function renumber(node, from, to) {
    ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
      node.querySelectorAll("[" + attr + "]").forEach(function (el) {
        var v = el.getAttribute(attr);
        el.setAttribute(attr, v.split("[" + from + "]").join("[" + to + "]").split("-" + from + "-").join("-" + to + "-"));
      });
    });
    node.querySelectorAll("[data-field]").forEach(function (el) {
      el.dataset.field = el.dataset.field.split("[" + from + "]").join("[" + to + "]");
    });
  }
  form.querySelectorAll("button[data-add]").forEach(function (button) {
    button.addEventListener("click", function () {
      var items = form.querySelectorAll("[data-rows=" + button.dataset.add + "] .item");
      var last = items[items.length - 1];
      var from = Number(last.dataset.index), to = from + 1;
      var copy = last.cloneNode(true);
      copy.dataset.index = String(to);
      renumber(copy, from, to);
      copy.querySelectorAll("input").forEach(function (i) {
        if (i.type === "checkbox" || i.type === "radio") { i.checked = false; } else { i.value = ""; }
        i.removeAttribute("aria-invalid");
      });
      copy.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; s.removeAttribute("aria-invalid"); });
      copy.querySelectorAll(".error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
      copy.querySelectorAll(".field").forEach(function (f) { f.classList.remove("invalid"); });
      last.after(copy);
      var first = copy.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });

  function show(errors) {
    form.querySelectorAll("[data-field]").forEach(function (box) {
      var name = box.dataset.field;
      var groupTouched = Object.keys(touched).some(function (t) { return t.indexOf(name + "[") === 0; });
      if (!everything && !touched[name] && !groupTouched) { return; }
      var messages = errors[name] || [];
      var p = box.classList.contains("error") ? box : box.querySelector(".error");
      var input = box.querySelector("input, select, textarea");
      if (p) { p.textContent = messages.join(" · "); p.hidden = messages.length === 0; }
      if (input) {
        if (messages.length) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
      box.classList.toggle("invalid", messages.length > 0);
    });
  }
  function check() {
    var body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.check, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        show(answer.errors || {});
        var n = Object.keys(answer.errors || {}).length;
        status.textContent = n ? "" : status.dataset.ok || "";
        form.dataset.checked = String(Number(form.dataset.checked || 0) + 1);
      })
      .catch(function () { /* the server checks again on send */ });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name) { touched[event.target.name] = true; }
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
})();
