// Document index: every document a page at a time, sorted by a column, searched by words (of the id,
// title, date, beat, genre, entity names and Wikidata ids, then of the text) and filtered by the facets.
(function () {
  "use strict";
  var chronique = window.chronique, element = chronique.element;
  var index = chronique.data.documents, found = chronique.data.entities;
  var documents = chronique.records(index.fields, index.rows);
  var entities = found.entities;
  var search = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var shards = Math.ceil(documents.length / index.text_shard);

  // what a document is found by before its text is read
  documents.forEach(function (doc) {
    var parts = [doc.doc_id, doc.title, doc.date, doc.beat, doc.genre];
    doc.qids = {};
    doc.entities.forEach(function (number) {
      parts.push(entities[number][0]);
      if (entities[number][2]) { doc.qids[entities[number][2].toLowerCase()] = true; }
    });
    doc.found = parts.filter(Boolean).join(" ").toLowerCase();
  });

  function cell(row, value, shownAs, className) {
    var td = element("td", shownAs === undefined ? value : shownAs, {"data-value": value, "class": className});
    row.appendChild(td);
    return td;
  }

  function drawRow(body, doc) {
    var row = element("tr", null, {"data-split": doc.split, "data-status": doc.status});
    var link = element("a", doc.doc_id, {href: doc.href});
    cell(row, doc.doc_id, "").appendChild(link);
    cell(row, (doc.title || "").toLowerCase(), doc.title).lang = "fr";
    cell(row, doc.date || "", doc.date || "", "date");
    cell(row, doc.split);
    cell(row, doc.status, "").appendChild(element("span", doc.status, {"class": "status s-" + doc.status}));
    ["mentions", "entity_count", "stances"].forEach(function (key) { cell(row, doc[key], doc[key], "num"); });
    body.appendChild(row);
  }

  var table = new chronique.PagedTable(document.getElementById("documents"), document.getElementById("pages"), 100, drawRow);
  var texts = null;

  function loadTexts(then) {
    var left = shards, loaded = [];
    if (!left) { texts = []; then(); return; }
    for (var i = 0; i < shards; i += 1) {
      (function (i) {
        var shard = chronique.shard("text", i);
        chronique.load(shard[0], shard[1], function (value) {
          loaded[i] = value;
          left -= 1;
          if (!left) { texts = [].concat.apply([], loaded); then(); }
        });
      })(i);
    }
  }

  function matches(doc, words) {
    return words.every(function (word) {
      if (chronique.isQid(word)) { return Boolean(doc.qids[word]); }
      return doc.found.indexOf(word) >= 0 || (texts !== null && texts[doc.number].indexOf(word) >= 0);
    });
  }

  function update() {
    var words = chronique.words(search.value);
    var kept = documents.filter(function (doc) { return facets.keeps(doc); });
    var wordy = words.some(function (word) { return !chronique.isQid(word); });  // a Wikidata id needs no text
    var unsure = texts === null && wordy && kept.some(function (doc) { return !matches(doc, words); });
    if (words.length && unsure) {
      shown.textContent = "searching the texts…";
      loadTexts(update);
      return;
    }
    kept = kept.filter(function (doc) { return matches(doc, words); });
    shown.textContent = kept.length + " of " + documents.length + " documents";
    table.show(kept);
  }

  var facets = new chronique.Facets(document.getElementById("filters"), update);
  update();
})();
