// Entity index: every corpus entity and every stance target, counted over the documents the facets
// keep, searched by name, type or Wikidata id. An entity opens onto its mentions in context (from the
// search/kwic-*.js shard that holds it), a target onto its stances; each line links into its document.
(function () {
  "use strict";
  var chronique = window.chronique, element = chronique.element;
  var index = chronique.data.documents, found = chronique.data.entities;
  var documents = chronique.records(index.fields, index.rows);
  var search = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var POLARITIES = ["FAVOR", "AGAINST", "NEUTRAL"];

  var entities = chronique.records(found.entity_fields, found.entities);
  var targets = chronique.records(found.target_fields, found.targets);
  entities.forEach(function (entity) { entity.found = [entity.name, entity.type].join(" ").toLowerCase(); });
  targets.forEach(function (target) { target.found = [target.label, target.kind].join(" ").toLowerCase(); });

  function docLink(doc, anchor, text) {
    return element("a", text || doc.doc_id, {href: doc.href + "#" + anchor});
  }

  function toggleRow(row, button, fill) {
    var open = button.getAttribute("aria-expanded") === "true";
    var next = row.nextSibling;
    if (open) {
      if (next && next.classList.contains("detail")) { next.remove(); }
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    var detail = element("tr", null, {"class": "detail"});
    var td = element("td", null, {colspan: String(row.cells.length)});
    var list = element("ol", null, {"class": "kwic"});
    td.appendChild(list);
    detail.appendChild(td);
    row.parentNode.insertBefore(detail, row.nextSibling);
    fill(list);
  }

  // An entity's mentions in context, 100 at a time: its lines run from kwic[0] over kwic[1] lines of the
  // kwic files, each of index.kwic_lines lines; the files are loaded as the list reaches them.
  var PAGE = 100;

  function fillMentions(entity, list) {
    var next = 0, end = entity.kwic[1];
    var more = element("button", "more", {type: "button", "class": "more"});
    var moreItem = element("li", null, {"class": "more"});
    moreItem.appendChild(more);
    more.addEventListener("click", function () { moreItem.remove(); page(PAGE); });
    function page(wanted) {
      if (next >= end) { return; }
      var at = entity.kwic[0] + next, shard = chronique.shard("kwic", Math.floor(at / index.kwic_lines));
      chronique.load(shard[0], shard[1], function (lines) {
        var offset = at % index.kwic_lines, taken = 0;
        while (offset < lines.length && next < end && taken < wanted) {
          if (addLine(lines[offset])) { taken += 1; }
          offset += 1;
          next += 1;
        }
        if (next < end && taken < wanted) { page(wanted - taken); return; }  // the entity goes on in the next file
        if (next < end) { list.appendChild(moreItem); }
      });
    }
    function addLine(line) {
      var doc = documents[line[0]];
      if (!facets.keeps(doc)) { return false; }
      var item = element("li");
      item.appendChild(element("span", line[2], {"class": "left", lang: "fr"}));
      item.appendChild(element("mark", line[3], {lang: "fr"}));
      item.appendChild(element("span", line[4], {"class": "right", lang: "fr"}));
      var where = element("span", null, {"class": "where"});
      where.appendChild(docLink(doc, "mention-" + line[1]));
      where.appendChild(document.createTextNode(" " + (doc.date || "")));
      item.appendChild(where);
      list.appendChild(item);
      return true;
    }
    page(PAGE);
  }

  function fillStances(target, list) {
    target.stances.forEach(function (stance) {
      var doc = documents[stance[0]];
      if (!facets.keeps(doc)) { return; }
      var item = element("li");
      item.appendChild(element("span", stance[3], {"class": "holder", lang: "fr"}));
      item.appendChild(document.createTextNode(" → "));
      item.appendChild(element("span", stance[2], {"class": "polarity p-" + stance[2]}));
      var where = element("span", null, {"class": "where"});
      where.appendChild(docLink(doc, "stance-" + stance[1], doc.doc_id + " " + stance[1]));
      item.appendChild(where);
      list.appendChild(item);
    });
  }

  function opener(text, fill) {
    var button = element("button", text, {type: "button", "class": "opener", "aria-expanded": "false"});
    button.addEventListener("click", function () { toggleRow(button.closest("tr"), button, fill); });
    return button;
  }

  function drawEntity(body, entity) {
    var row = element("tr", null, {"data-entity": String(entity.number)});
    var name = element("td", null, {"data-value": entity.name, lang: "fr"});
    name.appendChild(opener(entity.name, function (list) { fillMentions(entity, list); }));
    row.appendChild(name);
    var type = element("td", null, {"data-value": entity.type});
    type.appendChild(element("span", null, {"class": "swatch t-" + entity.type}));
    type.appendChild(document.createTextNode(entity.type));
    row.appendChild(type);
    var qid = element("td", null, {"data-value": entity.qid || ""});
    if (entity.qid && /^Q[1-9][0-9]*$/.test(entity.qid)) {
      qid.appendChild(element("a", entity.qid, {"class": "qid", href: "https://www.wikidata.org/wiki/" + entity.qid, rel: "noreferrer"}));
    }
    row.appendChild(qid);
    row.appendChild(element("td", entity.documents, {"class": "num", "data-value": entity.documents}));
    row.appendChild(element("td", entity.mentions, {"class": "num", "data-value": entity.mentions}));
    body.appendChild(row);
  }

  function drawTarget(body, target) {
    var row = element("tr", null, {"data-target": String(target.number)});
    var label = element("td", null, {"data-value": target.label, lang: "fr"});
    label.appendChild(opener(target.label, function (list) { fillStances(target, list); }));
    row.appendChild(label);
    row.appendChild(element("td", target.kind, {"data-value": target.kind}));
    POLARITIES.concat(["documents"]).forEach(function (key) {
      row.appendChild(element("td", target[key], {"class": "num", "data-value": target[key]}));
    });
    body.appendChild(row);
  }

  var entityTable = new chronique.PagedTable(document.getElementById("entities"), document.getElementById("entity-pages"), 100, drawEntity);
  var targetTable = new chronique.PagedTable(document.getElementById("targets"), document.getElementById("target-pages"), 50, drawTarget);

  function update() {
    var words = chronique.words(search.value);
    var keep = documents.map(function (doc) { return facets.keeps(doc); });
    var hit = function (record) {
      return words.every(function (w) {
        return (chronique.isQid(w) && (record.qid || "").toLowerCase() === w) || record.found.indexOf(w) >= 0;
      });
    };
    var listed = entities.filter(function (entity) {
      var occurrences = entity.occurrences, docs = 0, mentions = 0;
      for (var i = 0; i < occurrences.length; i += 2) {
        if (keep[occurrences[i]]) { docs += 1; mentions += occurrences[i + 1]; }
      }
      entity.documents = docs;
      entity.mentions = mentions;
      return docs > 0 && hit(entity);
    });
    var stanced = targets.filter(function (target) {
      var docs = {};
      POLARITIES.forEach(function (p) { target[p] = 0; });
      target.stances.forEach(function (stance) {
        if (keep[stance[0]]) { docs[stance[0]] = true; target[stance[2]] = (target[stance[2]] || 0) + 1; }
      });
      target.documents = Object.keys(docs).length;
      return target.documents > 0 && hit(target);
    });
    shown.textContent = listed.length + " of " + entities.length + " entities";
    document.querySelector("#targets-title .count").textContent = stanced.length + " of " + targets.length;
    entityTable.show(listed);
    targetTable.show(stanced);
  }

  var facets = new chronique.Facets(document.getElementById("filters"), update);
  update();
})();
