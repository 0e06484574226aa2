// Shared by the document index and the entity index: the search index (search/*.js files, each a call
// to chronique.receive), loaded a part at a time; the filter form both pages carry; sortable, paged tables.
// Every value from the data is put in the page as text (textContent), never as markup.
(function () {
  "use strict";
  var chronique = window.chronique = window.chronique || {};
  var data = chronique.data = chronique.data || {};
  var waiting = {};

  chronique.receive = function (name, value) {
    data[name] = value;
    (waiting[name] || []).forEach(function (callback) { callback(value); });
    delete waiting[name];
  };

  // a part of the index by its file (relative to the page) and name, loaded once
  chronique.load = function (path, name, callback) {
    if (data[name] !== undefined) { callback(data[name]); return; }
    if (!waiting[name]) {
      waiting[name] = [];
      var element = document.createElement("script");
      element.src = path;
      document.head.appendChild(element);
    }
    waiting[name].push(callback);
  };

  chronique.shard = function (part, index) {
    return ["search/" + part + "-" + ("00" + index).slice(-3) + ".js", part + "-" + index];
  };

  chronique.records = function (fields, rows) {
    return rows.map(function (values, number) {
      var record = {number: number};
      fields.forEach(function (field, i) { record[field] = values[i]; });
      return record;
    });
  };

  chronique.words = function (value) { return value.trim().toLowerCase().split(/\s+/).filter(Boolean); };

  // A word shaped like a Wikidata id (q90) finds that id only, not the ids it begins (q901).
  var QID = /^q[1-9][0-9]*$/;
  chronique.isQid = function (word) { return QID.test(word); };

  chronique.element = function (name, text, attributes) {
    var element = document.createElement(name);
    if (text !== undefined && text !== null) { element.textContent = String(text); }
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key] !== undefined && attributes[key] !== null) { element.setAttribute(key, attributes[key]); }
    });
    return element;
  };

  // The facets of the filter form (split, status, beat, genre, date range), applied to documents.
  // A document dated to a month or a year is kept when that period overlaps the range.
  chronique.Facets = function (form, onChange) {
    var ids = ["split", "status", "beat", "genre"];
    var controls = ids.map(function (id) { return document.getElementById(id + "-filter"); });
    var from = document.getElementById("date-from"), to = document.getElementById("date-to");
    var all = controls.concat([from, to, document.getElementById("filter")]), last = null;
    // redraw only when a value changed: the search box's change event on blur must not redraw
    // the table under a click that is on its way
    function changed() {
      var state = all.map(function (control) { return control.value; }).join("\u0000");
      if (state !== last) { last = state; onChange(); }
    }
    all.forEach(function (control) {
      control.addEventListener("input", changed);
      control.addEventListener("change", changed);
    });
    // a reload or a step back may give the controls their former values after the first drawing
    window.addEventListener("pageshow", changed);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    this.keeps = function (doc) {
      for (var i = 0; i < ids.length; i += 1) {
        if (controls[i].value && doc[ids[i]] !== controls[i].value) { return false; }
      }
      var date = doc.date || "";
      var first = date.length === 4 ? date + "-01-01" : date.length === 7 ? date + "-01" : date;
      var last = date.length === 4 ? date + "-12-31" : date.length === 7 ? date + "-31" : date;
      if (from.value && (!date || last < from.value)) { return false; }
      if (to.value && (!date || first > to.value)) { return false; }
      return true;
    };
    this.active = function () {
      return controls.some(function (c) { return c.value; }) || Boolean(from.value || to.value);
    };
  };

  // A table whose rows are drawn a page at a time from records; a header click sorts by its column.
  chronique.PagedTable = function (table, nav, size, drawRow) {
    var body = table.tBodies[0], records = [], page = 0;
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var sortKey = null, direction = 1, numeric = false;
    this.show = function (list) { records = list; page = 0; sort(); draw(); };
    function sort() {
      if (sortKey === null) { return; }
      var order = records.map(function (r, i) { return i; });
      var keyed = records.map(function (r) { return r[sortKey]; });
      order.sort(function (a, b) {
        var x = keyed[a], y = keyed[b];
        var diff = numeric ? (x || 0) - (y || 0) : String(x || "").localeCompare(String(y || ""));
        return diff * direction || a - b;  // ties keep their order
      });
      records = order.map(function (i) { return records[i]; });
    }
    function draw() {
      var pages = Math.max(1, Math.ceil(records.length / size));
      page = Math.min(page, pages - 1);
      while (body.firstChild) { body.removeChild(body.firstChild); }
      records.slice(page * size, (page + 1) * size).forEach(function (record) { drawRow(body, record); });
      nav.querySelector(".where").textContent = "page " + (page + 1) + " of " + pages;
      nav.querySelector('[data-step="-1"]').disabled = page === 0;
      nav.querySelector('[data-step="1"]').disabled = page >= pages - 1;
      nav.hidden = pages === 1;
    }
    headers.forEach(function (header) {
      header.querySelector("button").addEventListener("click", function () {
        var key = header.getAttribute("data-key");
        direction = sortKey === key ? -direction : 1;
        sortKey = key;
        numeric = header.getAttribute("data-type") === "number";
        headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        sort();
        draw();
      });
    });
    Array.prototype.forEach.call(nav.querySelectorAll("button"), function (button) {
      button.addEventListener("click", function () { page += Number(button.getAttribute("data-step")); draw(); });
    });
  };
})();
