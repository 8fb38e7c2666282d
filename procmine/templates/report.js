// procmine report: sortable tables, collapsible sections that print in full.
(function () {
  "use strict";
  function sortValue(cell) {
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent; }
    if (raw === "") { return null; }
    var number = Number(raw);
    return isNaN(number) ? raw : number;
  }
  function compare(a, b) {
    if (a === null) { return b === null ? 0 : 1; }
    if (b === null) { return -1; }
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a).localeCompare(String(b));
  }
  function sortTable(table, column, header) {
    var numeric = header.classList.contains("num");
    var current = header.getAttribute("aria-sort");
    var order = current ? (current === "descending" ? "ascending" : "descending")
                        : (numeric ? "descending" : "ascending");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", order);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = order === "ascending" ? 1 : -1;
    rows.sort(function (r1, r2) {
      var a = sortValue(r1.cells[column]), b = sortValue(r2.cells[column]);
      if (a === null || b === null) { return compare(a, b); }
      return sign * compare(a, b);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortTable(table, column, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortTable(table, column, th);
        }
      });
    });
  });
  var sections = document.querySelectorAll("details.section");
  function setAll(open) {
    Array.prototype.forEach.call(sections, function (d) { d.open = open; });
  }
  var toggle = document.getElementById("toggle-all");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var anyClosed = Array.prototype.some.call(sections, function (d) { return !d.open; });
      setAll(anyClosed);
    });
  }
  var before = [];
  window.addEventListener("beforeprint", function () {
    before = Array.prototype.map.call(sections, function (d) { return d.open; });
    setAll(true);
  });
  window.addEventListener("afterprint", function () {
    Array.prototype.forEach.call(sections, function (d, i) { d.open = before[i] !== false; });
  });
  Array.prototype.forEach.call(document.querySelectorAll("nav.toc a"), function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target && target.tagName === "DETAILS") { target.open = true; }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("figure.graph"), function (figure) {
    figure.addEventListener("click", function () { figure.classList.toggle("zoom"); });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
