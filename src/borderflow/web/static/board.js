// The wait board on a wall screen: when its rows do not all fit the screen, show them a page
// at a time, turning every 15 seconds, with "Page 1 of 2" shown; every row is seen in turn.
(function () {
  "use strict";
  var holder = document.getElementById("board-rows");
  if (!holder) { return; }
  var TURN_MS = 15000;
  var pages = [], shown = 0, timer = null;

  function rows() { return Array.prototype.slice.call(holder.querySelectorAll("tr.gate-row")); }

  function paginate() {
    var all = rows(), pager = holder.querySelector(".pager");
    all.forEach(function (row) { row.hidden = false; });
    pages = [];
    // a phone scrolls through the rows stacked as cards; only a wall screen turns pages
    if (!all.length || !pager || window.matchMedia("(max-width: 40rem)").matches) {
      if (pager) { pager.hidden = true; }
      return;
    }
    var bottom = window.innerHeight - 8;
    pager.hidden = true;
    if (all[all.length - 1].getBoundingClientRect().bottom <= bottom) {
      pages.push(all);
    } else {
      // The table sizes its columns to the rows on show, so a row's height with every row shown
      // is not its height on a page: fill each page row by row, measured as it will be seen.
      pager.hidden = false;
      pager.textContent = pager.dataset.words.replace("{page}", "9").replace("{pages}", "9");
      all.forEach(function (row) { row.hidden = true; });
      var page = [];
      all.forEach(function (row) {
        row.hidden = false;
        if (page.length && row.getBoundingClientRect().bottom > bottom) {
          page.forEach(function (earlier) { earlier.hidden = true; });
          pages.push(page);
          page = [];
        }
        page.push(row);
      });
      pages.push(page);
    }
    if (shown >= pages.length) { shown = 0; }
    show();
  }

  function show() {
    var pager = holder.querySelector(".pager");
    if (!pager) { return; }
    pages.forEach(function (page, i) { page.forEach(function (row) { row.hidden = i !== shown; }); });
    pager.hidden = pages.length < 2;
    pager.textContent = pager.dataset.words.replace("{page}", String(shown + 1)).replace("{pages}", String(pages.length));
    holder.dataset.page = String(shown + 1);
  }

  function turn() {
    if (pages.length > 1) { shown = (shown + 1) % pages.length; show(); }
  }

  paginate();
  timer = setInterval(turn, TURN_MS);
  window.addEventListener("resize", paginate);
  window.addEventListener("load", paginate);  // the logo and fonts arrive late and move the rows
  // refresh.js puts in new rows: page them again, keeping the page on show
  new MutationObserver(function () { paginate(); }).observe(holder, { childList: true });
})();
