// Index page: sort by a column (click its header), filter by text, split and status.
(function () {
  "use strict";
  var table = document.getElementById("documents");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var split = document.getElementById("split-filter");
  var status = document.getElementById("status-filter");
  var shown = document.getElementById("shown");

  function cellValue(row, column, numeric) {
    var value = row.cells[column].getAttribute("data-value") || "";
    return numeric ? Number(value) : value;
  }

  function sortBy(header) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var column = headers.indexOf(header);
    var numeric = header.getAttribute("data-type") === "number";
    var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = cellValue(a, column, numeric), y = cellValue(b, column, numeric);
      var order = numeric ? x - y : x.localeCompare(y);
      // ties keep the date order the page was written in
      return order * direction || rows.indexOf(a) - rows.indexOf(b);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function applyFilters() {
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var visible = (!split.value || row.getAttribute("data-split") === split.value) &&
        (!status.value || row.getAttribute("data-status") === status.value) &&
        words.every(function (word) { return text.indexOf(word) >= 0; });
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " documents";
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
    header.querySelector("button").addEventListener("click", function () { sortBy(header); });
  });
  [filter, split, status].forEach(function (control) {
    control.addEventListener("input", applyFilters);
    control.addEventListener("change", applyFilters);
  });
  filter.form.addEventListener("submit", function (event) { event.preventDefault(); });
  applyFilters();
})();
