/* jpmacro-bt comparison page: sort the metrics table, switch the equity chart's scale. No network. */
(function () {
  "use strict";
  function sortBy(table, th, col) {
    var current = th.getAttribute("aria-sort");
    var ascending = current ? current === "descending" : th.dataset.sort === "text";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = x === undefined || x === "", ny = y === undefined || y === "";
      if (nx || ny) { return nx - ny; } /* undefined values last, either way */
      var c = th.dataset.sort === "num" ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      if (!th.dataset.sort) { return; }
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th, col); }
      });
    });
  });
  var box = document.getElementById("log-scale");
  var linear = document.getElementById("equity-linear");
  var log = document.getElementById("equity-log");
  if (box && linear && log) {
    var show = function () { linear.hidden = box.checked; log.hidden = !box.checked; };
    box.addEventListener("change", show);
    show();
  }
  document.body.setAttribute("data-ready", "1");
})();
