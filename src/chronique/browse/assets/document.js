// Document page: mention details on hover or focus, and stance selection that highlights
// the holder's mentions, the target's mentions and the evidence spans in the text.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var info = document.getElementById("mention-info");
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.stance"));
  var HIGHLIGHTS = ["hl-holder", "hl-target", "hl-evidence"];
  var WIKIDATA = "https://www.wikidata.org/wiki/";
  // readers who ask for less motion get an instant jump to the evidence, not a smooth scroll
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function all(selector) { return Array.prototype.slice.call(text.querySelectorAll(selector)); }

  function row(list, name, value) {
    var term = document.createElement("dt"), definition = document.createElement("dd");
    term.textContent = name;
    if (value instanceof Node) { definition.appendChild(value); } else { definition.textContent = value; }
    list.appendChild(term);
    list.appendChild(definition);
  }

  function showMention(mention) {
    var list = document.createElement("dl");
    var data = mention.dataset;
    row(list, "text", mention.textContent);
    row(list, "type", data.type);
    row(list, "entity", data.name ? data.name + " (" + data.entity + ")" : "none");
    if (data.qid) {
      var link = document.createElement("a");
      link.className = "qid";
      link.textContent = data.qid;
      if (/^Q[1-9][0-9]*$/.test(data.qid)) { link.href = WIKIDATA + data.qid; link.rel = "noreferrer"; }
      row(list, "Wikidata", link);
    } else {
      row(list, "Wikidata", "no QID");
    }
    if (data.parent) {
      var parent = text.querySelector('.mention[data-id="' + CSS.escape(data.parent) + '"]');
      row(list, "inside", parent ? parent.textContent + " (" + parent.dataset.type + ")" : data.parent);
    }
    if (mention.classList.contains("metonymic")) { row(list, "metonymic", "yes"); }
    var old = info.querySelector("dl, p.hint");
    if (old) { old.remove(); }
    info.appendChild(list);
    all(".mention.focus").forEach(function (m) { m.classList.remove("focus"); });
    mention.classList.add("focus");
  }

  // The arrow from the selected stance's holder to its target: between the holder mention and the target
  // mention nearest to each other, drawn over the text (an SVG the size of the article).
  var SVG = "http://www.w3.org/2000/svg", link = null, linked = null;

  function centre(element) {
    var box = element.getClientRects()[0] || element.getBoundingClientRect(), base = text.getBoundingClientRect();
    return {x: box.left + box.width / 2 - base.left, top: box.top - base.top, bottom: box.bottom - base.top};
  }

  function nearestPair(holders, targets) {
    var best = null;
    holders.forEach(function (h) {
      targets.forEach(function (t) {
        if (h === t || h.contains(t) || t.contains(h)) { return; }
        var a = centre(h), b = centre(t), d = Math.abs(a.x - b.x) + 3 * Math.abs(a.top - b.top);
        if (!best || d < best.d) { best = {d: d, from: a, to: b}; }
      });
    });
    return best;
  }

  function drawLink() {
    if (link) { link.remove(); link = null; }
    if (!linked) { return; }
    var pair = nearestPair(linked.holders, linked.targets);
    if (!pair) { return; }
    link = document.createElementNS(SVG, "svg");
    link.setAttribute("class", "stance-link");
    link.setAttribute("aria-hidden", "true");
    link.setAttribute("width", text.scrollWidth);
    link.setAttribute("height", text.scrollHeight);
    var marker = document.createElementNS(SVG, "marker");
    marker.setAttribute("id", "arrow-head");
    marker.setAttribute("viewBox", "0 0 10 10");
    marker.setAttribute("refX", "9"); marker.setAttribute("refY", "5");
    marker.setAttribute("markerWidth", "7"); marker.setAttribute("markerHeight", "7");
    marker.setAttribute("orient", "auto-start-reverse");
    var head = document.createElementNS(SVG, "path");
    head.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
    marker.appendChild(head);
    var defs = document.createElementNS(SVG, "defs");
    defs.appendChild(marker);
    link.appendChild(defs);
    var from = pair.from, to = pair.to, lift = Math.min(60, 18 + Math.abs(from.x - to.x) / 6);
    var top = Math.min(from.top, to.top) - lift;
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M " + from.x + " " + from.top + " C " + from.x + " " + top + ", " + to.x + " " + top +
                      ", " + to.x + " " + (to.top - 2));
    path.setAttribute("marker-end", "url(#arrow-head)");
    link.appendChild(path);
    text.appendChild(link);
  }
  window.addEventListener("resize", drawLink);

  function clearSelection() {
    linked = null;
    drawLink();
    HIGHLIGHTS.forEach(function (name) {
      all("." + name).forEach(function (element) { element.classList.remove(name); });
    });
    buttons.forEach(function (button) { button.setAttribute("aria-pressed", "false"); });
  }

  function hasStance(element, id) {
    return (element.getAttribute("data-stances") || "").split(" ").indexOf(id) >= 0;
  }

  function select(button) {
    var wasSelected = button.getAttribute("aria-pressed") === "true";
    clearSelection();
    if (wasSelected) { return; }
    button.setAttribute("aria-pressed", "true");
    var id = button.dataset.stance, holder = button.dataset.holder, target = button.dataset.target;
    all(".mention").forEach(function (mention) {
      if (holder && mention.dataset.entity === holder) { mention.classList.add("hl-holder"); }
      if (target && mention.dataset.entity === target) { mention.classList.add("hl-target"); }
    });
    linked = {holders: all(".hl-holder"), targets: all(".hl-target")};
    drawLink();
    var evidence = all(".evidence").filter(function (span) { return hasStance(span, id); });
    evidence.forEach(function (span) { span.classList.add("hl-evidence"); });
    if (evidence.length) { evidence[0].scrollIntoView({block: "center", behavior: reducedMotion ? "auto" : "smooth"}); }
  }

  // inline type labels: the reader's choice is kept for the other pages when the browser allows it
  var labels = document.getElementById("labels-toggle");
  function showLabels(on) { text.classList.toggle("labels", on); labels.checked = on; }
  try { showLabels(window.localStorage.getItem("chronique.labels") === "on"); } catch (error) { showLabels(false); }
  labels.addEventListener("change", function () {
    showLabels(labels.checked);
    try { window.localStorage.setItem("chronique.labels", labels.checked ? "on" : "off"); } catch (error) { /* file:// may refuse */ }
  });

  text.addEventListener("mouseover", function (event) {
    var mention = event.target.closest(".mention");
    if (mention) { showMention(mention); }
  });
  all(".mention").forEach(function (mention) {
    mention.tabIndex = 0;
    mention.addEventListener("focus", function (event) { event.stopPropagation(); showMention(mention); });
  });
  buttons.forEach(function (button) {
    button.addEventListener("click", function () { select(button); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clearSelection(); }
  });
  // a link to #stance-<id> (from the entity index) opens with that stance selected
  function selectFromHash() {
    var wanted = /^#stance-/.test(window.location.hash) && document.getElementById(window.location.hash.slice(1));
    if (wanted && wanted.classList.contains("stance") && wanted.getAttribute("aria-pressed") !== "true") { select(wanted); }
  }
  window.addEventListener("hashchange", selectFromHash);
  selectFromHash();
})();
