"""The HTML pages of the browser: index, one page per document, statistics.

Every function returns a complete page as a string. Text from the release is escaped with
:func:`chronique.browse.markup.escape`; the only markup built from data is the annotated text
(:func:`chronique.browse.markup.render_text`). Pages link to each other with relative URLs and
load only ``assets/`` files, so that the site opens from the file system.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Mapping, Sequence

from chronique.browse.markup import escape, qid_link, render_text, tag, type_class
from chronique.schema import AUTHOR, FINE_TYPES, POLARITIES
from chronique.store.documents import is_safe_id

TYPE_NAMES = {
    "PER": "person", "ORG": "organisation", "GPE": "geopolitical entity", "LOC": "location", "FAC": "facility",
    "NORP": "nationality, religious or political group", "EVENT": "event", "MISC": "miscellaneous", "DATE": "date",
}


def layout(*, title: str, body: str, version: str, root: str = "", scripts: Sequence[str] = (), page: str) -> str:
    """A page with the site header; ``root`` is the relative path back to the site folder, ``scripts`` the
    site's files the page runs, in order."""
    script_tag = "".join(f'\n<script src="{root}{escape(path)}"></script>' for path in scripts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chronique browse">
<title>{escape(title)} · Chronique {escape(version)}</title>
<link rel="stylesheet" href="{root}assets/browse.css">
</head>
<body class="page-{page}">
<header class="site">
<a class="brand" href="{root}index.html">Chronique {escape(version)}</a>
<nav><a href="{root}index.html">Documents</a> <a href="{root}entities.html">Entities</a> <a href="{root}stats.html">Statistics</a></nav>
</header>
<main>
{body}
</main>{script_tag}
</body>
</html>
"""


def page_name(doc_id: str) -> str:
    """The file name (without .html) of a document's pages; an id unsafe as a file name gets a hashed one."""
    return doc_id if is_safe_id(doc_id) else "doc-" + hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:16]


def document_href(doc_id: str) -> str:
    """The page of a document, relative to the site folder."""
    return f"documents/{page_name(doc_id)}.html"


def snippet(text: str, length: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


# --- index and entity pages (filled in by their scripts from search/) --------------------

INDEX_COLUMNS = (
    ("doc_id", "document", "text"), ("title", "title / beginning", "text"), ("date", "date", "text"),
    ("split", "split", "text"), ("status", "status", "text"), ("mentions", "mentions", "number"),
    ("entity_count", "entities", "number"), ("stances", "stances", "number"),
)
ENTITY_COLUMNS = (("name", "entity", "text"), ("type", "type", "text"), ("qid", "Wikidata", "text"),
                  ("documents", "documents", "number"), ("mentions", "mentions", "number"))
TARGET_COLUMNS = (("label", "target", "text"), ("kind", "kind", "text"), ("FAVOR", "FAVOR", "number"),
                  ("AGAINST", "AGAINST", "number"), ("NEUTRAL", "NEUTRAL", "number"),
                  ("documents", "documents", "number"))
FACETS = (("split", "Split"), ("status", "Status"), ("beat", "Beat"), ("genre", "Genre"))
DATA_SCRIPTS = ("assets/search.js", "search/documents.js", "search/entities.js")  # search.js receives the data


def _select(element_id: str, label: str, values: Sequence[str]) -> str:
    options = '<option value="">all</option>' + "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return f'<label>{label} <select id="{element_id}">{options}</select></label>'


def filters_form(facets: Mapping[str, Sequence[str]], *, placeholder: str, noun: str) -> str:
    """The filter form of the index and entity pages: words, split, status, beat, genre and a date range."""
    selects = "\n".join(_select(f"{key}-filter", label, facets.get(key, ())) for key, label in FACETS)
    return f"""<form class="filters" id="filters" role="search" autocomplete="off">
<label>Search <input type="search" id="filter" placeholder="{escape(placeholder)}"></label>
{selects}
<label>From <input type="date" id="date-from"></label>
<label>to <input type="date" id="date-to"></label>
<output id="shown" aria-live="polite">{escape(noun)}</output>
</form>"""


def _sortable_head(columns: Sequence[tuple[str, str, str]]) -> str:
    return "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}" aria-sort="none"{" class=num" if kind == "number" else ""}>'
        f'<button type="button">{label}</button></th>'
        for key, label, kind in columns
    )


def _pages_nav(element_id: str) -> str:
    return (f'<nav class="pages" id="{element_id}"><button type="button" data-step="-1">← previous</button> '
            f'<span class="where"></span> <button type="button" data-step="1">next →</button></nav>')


NOSCRIPT = "<noscript><p class=\"notice\">This page is drawn by JavaScript from the files of search/.</p></noscript>"


def index_page(facets: Mapping[str, Sequence[str]], *, version: str, documents: int) -> str:
    """Every document with its date, split, status and counts, a page at a time; sorted, searched and filtered
    by ``index.js`` from ``search/documents.js`` (words of the text from ``search/text-*.js``)."""
    body = f"""<h1>Documents</h1>
{filters_form(facets, placeholder="words of the text, id, title, entity or Wikidata id (Q90)", noun=f"{documents} documents")}
{NOSCRIPT}
<table id="documents" class="documents">
<thead><tr>{_sortable_head(INDEX_COLUMNS)}</tr></thead>
<tbody></tbody>
</table>
{_pages_nav("pages")}
<p class="hint">Click a column header to sort; click again to reverse.</p>"""
    return layout(title="Documents", body=body, version=version, scripts=DATA_SCRIPTS + ("assets/index.js",),
                  page="index")


def entities_page(facets: Mapping[str, Sequence[str]], *, version: str, entities: int, targets: int) -> str:
    """Every corpus entity and stance target, with the documents and mentions they have among the filtered
    documents; each opens onto its mentions in context (``entity-index.js``)."""
    body = f"""<h1>Entities</h1>
<p class="hint">An entity gathers the entities of every document that share its Wikidata id, or else its type and
name. Counts are over the documents the filters keep. Open an entity for its mentions in context.</p>
{filters_form(facets, placeholder="entity name, type or Wikidata id", noun=f"{entities} entities")}
{NOSCRIPT}
<table id="entities" class="documents index">
<thead><tr>{_sortable_head(ENTITY_COLUMNS)}</tr></thead>
<tbody></tbody>
</table>
{_pages_nav("entity-pages")}
<h2 id="targets-title">Stance targets <span class="count">{targets}</span></h2>
<p class="hint">Entity targets and topics, with the polarity of the stances taken on them.</p>
<table id="targets" class="documents index">
<thead><tr>{_sortable_head(TARGET_COLUMNS)}</tr></thead>
<tbody></tbody>
</table>
{_pages_nav("target-pages")}"""
    return layout(title="Entities", body=body, version=version,
                  scripts=DATA_SCRIPTS + ("assets/entity-index.js",), page="entities")


# --- one document ----------------------------------------------------------------------


def _legend(row: Mapping) -> str:
    counts = Counter(m["type"] for m in row["mentions"] or ())
    items = "".join(
        f'<li><span class="swatch {type_class(t)}"></span><b>{t}</b> {escape(TYPE_NAMES[t])} '
        f'<span class="count">{counts[t]}</span></li>'
        for t in FINE_TYPES
    )
    return f"""<section class="legend" aria-labelledby="legend-title">
<h2 id="legend-title">Mention types</h2>
<ul class="types">{items}</ul>
<label class="toggle"><input type="checkbox" id="labels-toggle"> type labels in the text</label>
<ul class="marks">
<li><span class="mention t-GPE sample"><span class="mention t-NORP nested sample">nested</span> in parent</span></li>
<li><span class="mention t-ORG metonymic sample">metonymic</span> dashed, marked ↺</li>
<li><span class="evidence hl-evidence sample">evidence</span> of the selected stance</li>
<li><span class="hl-holder sample">holder</span> and <span class="hl-target sample">target</span> mentions of the selected stance</li>
</ul>
</section>"""


def _party(value: str, names: Mapping[str, str], *, is_entity: bool = True) -> str:
    if value == AUTHOR:
        return '<span class="author">the author</span>'
    if is_entity:
        return escape(names.get(value, value))
    return f"<q>{escape(value)}</q>"


def _stance_item(stance: Mapping, names: Mapping[str, str]) -> str:
    target_is_entity = stance["target_kind"] == "entity"
    polarity = stance["polarity"] if stance["polarity"] in POLARITIES else "other"
    attributes = {"type": "button", "class": "stance", "id": f"stance-{stance['id']}", "aria-pressed": "false",
                  "data-stance": stance["id"],
                  "data-holder": stance["holder"], "data-target": stance["target"] if target_is_entity else None}
    evidence = " ".join(f"{q['start']}-{q['end']}" for q in stance["evidence"])
    return (f"<li>{tag('button', attributes)}"
            f'<span class="parties">{_party(stance["holder"], names)} → '
            f'{_party(stance["target"], names, is_entity=target_is_entity)}</span> '
            f'<span class="facts"><span class="polarity p-{polarity}">{escape(stance["polarity"])}</span> '
            f'<span class="scope">{escape(stance["scope"])}</span> '
            f'<span class="reported">{"reported" if stance["reported"] else "direct"}</span> '
            f'<span class="evidence-count" data-quotes="{escape(evidence)}">{len(stance["evidence"])} evidence</span></span>'
            f"</button></li>")


def _stances(row: Mapping, names: Mapping[str, str]) -> str:
    stances = row["stances"] or ()
    items = "\n".join(_stance_item(s, names) for s in stances) or '<li class="none">No stance annotated.</li>'
    return f"""<section class="stances" aria-labelledby="stances-title">
<h2 id="stances-title">Stances <span class="count">{len(stances)}</span></h2>
<p class="hint">Select a stance to highlight its holder, its target and its evidence in the text.</p>
<ol id="stance-list">
{items}
</ol>
</section>"""


def _entities(row: Mapping) -> str:
    per_entity = Counter(m["entity_id"] for m in row["mentions"] or () if m["entity_id"])
    lines = "\n".join(
        f'<tr><td>{escape(e["id"])}</td><td lang="fr">{escape(e["name"])}</td>'
        f'<td><span class="swatch {type_class(e["type"])}"></span>{escape(e["type"])}</td>'
        f'<td>{qid_link(e["qid"])}</td><td class="num">{per_entity[e["id"]]}</td></tr>'
        for e in row["entities"] or ()
    )
    if not lines:
        return ""
    return f"""<section class="entities">
<h2>Entities</h2>
<table><thead><tr><th>id</th><th>name</th><th>type</th><th>Wikidata</th><th class="num">mentions</th></tr></thead>
<tbody>
{lines}
</tbody></table>
</section>"""


def _meta(row: Mapping) -> str:
    items = [("document", row["doc_id"]), ("date", row["date"]), ("split", row["split"]),
             ("status", row["annotation_status"]), ("annotators", ", ".join(row["annotators"] or ()) or None),
             ("source", row["source"]), ("licence", row["license"]), ("url", row["url"])]
    return '<dl class="meta">' + "".join(
        f"<div><dt>{name}</dt><dd>{escape(value)}</dd></div>" for name, value in items if value) + "</dl>"


def document_heading(row: Mapping) -> str:
    """The title, or for an untitled document the beginning of its text (its id is shown once, below)."""
    return row["title"] or snippet(row["text"], 80)


def _pager(previous: str | None, following: str | None) -> str:
    left = f'<a rel="prev" href="{escape(previous)}">← previous</a>' if previous else "<span></span>"
    right = f'<a rel="next" href="{escape(following)}">next →</a>' if following else "<span></span>"
    return f'<nav class="pager">{left}<a href="../index.html">all documents</a>{right}</nav>'


def document_page(row: Mapping, *, version: str, previous: str | None = None, following: str | None = None,
                  curation: str | None = None) -> str:
    """The annotated text, legend, hover details and stance list of one ``documents`` row."""
    names = {e["id"]: e["name"] for e in row["entities"] or ()}
    heading = document_heading(row)
    unannotated = ('<p class="notice">This document is not annotated: its text is shown without mentions.</p>'
                   if row["annotation_status"] == "unannotated" else "")
    body = f"""{_pager(previous, following)}
<h1 lang="fr">{escape(heading)}</h1>
{_meta(row)}{f'<p class="hint"><a href="../{escape(curation)}">the annotators’ versions side by side</a></p>' if curation else ""}
{unannotated}
<div class="reading">
<article id="text" class="text" lang="fr">
{render_text(row)}
</article>
<aside class="side">
{_legend(row)}
<section id="mention-info" class="mention-info" aria-live="polite">
<h2>Mention</h2>
<p class="hint">Hover over or focus a mention to see its type, entity and Wikidata id.</p>
</section>
{_stances(row, names)}
</aside>
</div>
{_entities(row)}"""
    return layout(title=heading, body=body, version=version, root="../", scripts=("assets/document.js",), page="document")


# --- statistics ------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f'<td{" class=num" if isinstance(v, (int, float)) else ""}>{escape(v)}</td>' for v in r)
        + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="figures">{cap}<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def figure(src: str, alt: str, caption: str, data: str) -> str:
    return (f'<figure><img src="{escape(src)}" alt="{escape(alt)}"><figcaption>{escape(caption)}</figcaption>'
            f"<details><summary>the numbers</summary>{data}</details></figure>")


def stats_page(*, version: str, summary: str, figures: Sequence[str], agreement: str) -> str:
    body = f"""<h1>Statistics</h1>
<section><h2>Size</h2>{summary}</section>
<section class="plots"><h2>Distributions</h2>
{"".join(figures)}
</section>
<section id="agreement"><h2>Inter-annotator agreement</h2>
{agreement}
</section>"""
    return layout(title="Statistics", body=body, version=version, page="stats")
