"""Curation pages: the annotators' versions of a document side by side, each disagreement marked with its kind.

The units and conflicts are the adjudication's own (:func:`chronique.curation.adjudication_units.collect_units`,
:func:`chronique.curation.conflicts.conflicts_of`), so each disagreement here is a line of
``annotations/versions/<doc_id>/conflicts.tsv`` and links to it; the file's lines are shown on the
page, and a disagreement the file does not hold yet (it was not rewritten since the versions changed)
says so. The kinds compare every annotator with the first (:data:`KIND_NAMES`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from chronique.browse.markup import escape, render_text
from chronique.browse.pages import document_heading, layout, page_name
from chronique.errors import FindingLog

KIND_NAMES = {
    "boundary": "an overlapping mention with other limits",
    "type": "the same span with another type or reading",
    "missing": "the first annotator's mention or stance, left out by another",
    "extra": "a mention or stance another annotator added",
    "link": "the mention is linked to another entity",
    "qid": "the entity is given another Wikidata id",
    "stance polarity": "the same stance with another polarity",
    "stance": "the same stance with other evidence, scope or reporting",
}
"""Each kind of disagreement, with what it means."""
MENTION_KINDS = ("boundary", "type", "missing", "extra")


@dataclass(frozen=True)
class Disagreement:
    conflict: str  # its id in conflicts.tsv: c1, c2…
    kind: str  # a key of KIND_NAMES
    unit_kind: str  # mention, entity, qid or stance
    start: int | None
    end: int | None
    item: str
    shown: tuple[str, ...]  # each annotator's value, as conflicts.tsv writes it
    fine_type: str | None  # the type of the mention it is about, for the agreement plots
    line: int | None  # its line in the conflicts.tsv on disk; None when the file does not hold it


@dataclass(frozen=True)
class CurationDocument:
    doc_id: str
    text: str
    versions: Mapping  # annotator → chronique.store.records.Annotation
    disagreements: tuple[Disagreement, ...]
    agreed: int
    conflicts_shown: str
    conflicts_lines: tuple[tuple[str, ...], ...] | None  # the file's lines as cells (header first), None: no file

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(self.versions)


def _spans(annotation) -> dict[tuple[int, int], str]:
    return {(m.start, m.end): m.type for m in annotation.mentions}


def mention_kind(start: int, end: int, votes: Mapping[str, tuple], annotators: Sequence[str],
                 spans: Mapping[str, Mapping[tuple[int, int], str]]) -> str:
    """boundary, type, missing or extra, for a mention span the annotators disagree on (``spans``: each
    annotator's mention spans and their types)."""
    present = [a for a in annotators if votes.get(a)]
    absent = [a for a in annotators if not votes.get(a)]
    if not absent:
        return "type"
    if any(s < end and start < e and (s, e) != (start, end) for a in absent for s, e in spans[a]):
        return "boundary"
    return "missing" if annotators[0] in present else "extra"


def stance_kind(votes: Mapping[str, object], annotators: Sequence[str]) -> str:
    if any(votes.get(a) is None for a in annotators):
        return "missing" if votes.get(annotators[0]) is not None else "extra"
    return "stance polarity" if len({votes[a][0] for a in annotators}) > 1 else "stance"


def disagreement_kind(unit, annotators: Sequence[str], spans: Mapping[str, Mapping[tuple[int, int], str]]) -> str:
    if unit.kind == "mention":
        return mention_kind(unit.start, unit.end, unit.votes, annotators, spans)
    if unit.kind == "stance":
        return stance_kind(unit.votes, annotators)
    return {"entity": "link", "qid": "qid"}[unit.kind]


def _fine_type(unit, spans: Mapping[str, Mapping[tuple[int, int], str]]) -> str | None:
    if unit.kind != "mention":
        return None
    return next((by_span[(unit.start, unit.end)] for by_span in spans.values() if (unit.start, unit.end) in by_span), None)


def _text_of(path: Path) -> str | None:
    """The file's text; None when it is absent or not UTF-8 (``chronique adjudicate`` reports that)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def curation_document(repo: Path, doc_id: str, versions: Mapping, text: str) -> CurationDocument:
    """The curation view of ``doc_id`` from its annotators' ``versions`` (two or more) and its ``text``."""
    from chronique.curation.adjudicate import CONFLICTS_NAME
    from chronique.curation.adjudication_units import collect_units
    from chronique.curation.conflicts import conflict_key, conflicts_of, parse_conflicts
    from chronique.store.annotator_versions import versions_folder
    from chronique.store.raw_files import display_path

    annotators = tuple(sorted(versions))
    versions = {a: versions[a] for a in annotators}
    spans = {a: _spans(annotation) for a, annotation in versions.items()}
    units = collect_units(versions, text)
    path = versions_folder(repo, doc_id) / CONFLICTS_NAME
    shown_path = display_path(path, repo)
    written = _text_of(path)
    on_disk = parse_conflicts(written, shown_path, FindingLog()) if written is not None else None
    lines = {entry.key: entry.line for entry in on_disk or ()}
    disagreements = []
    for conflict in conflicts_of(units, annotators):
        unit = conflict.unit
        disagreements.append(Disagreement(conflict.id, disagreement_kind(unit, annotators, spans), unit.kind,
                                          unit.start, unit.end, unit.item, conflict.shown, _fine_type(unit, spans),
                                          lines.get(conflict_key(conflict, annotators))))
    cells = tuple(tuple(line.split("\t")) for line in written.split("\n") if line) if written is not None else None
    return CurationDocument(doc_id, text, versions, tuple(disagreements), sum(1 for u in units if u.agreed),
                            shown_path, cells)


def curation_documents(repo: Path, versions: Mapping[str, Mapping], texts: Mapping[str, str]) -> list[CurationDocument]:
    """Every document of ``versions`` (doc id → annotator → annotation) with two versions or more and a
    text in ``texts``, in id order."""
    return [curation_document(repo, doc_id, versions[doc_id], texts[doc_id])
            for doc_id in sorted(versions) if len(versions[doc_id]) >= 2 and doc_id in texts]


def curation_href(doc_id: str) -> str:
    """The curation page of a document, relative to the site folder."""
    return f"curation/{page_name(doc_id)}.html"


# --- the page ---------------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[dict]:
    found, position = [], 0
    for block in text.split("\n\n"):
        if block.strip():
            found.append({"start": position, "end": position + len(block), "kind": "body"})
        position += len(block) + 2
    return found


def version_row(document: CurationDocument, annotator: str) -> dict:
    """One annotator's version as a ``documents`` row the renderer takes, its disputed mentions marked."""
    marks: dict[tuple[int, int], Disagreement] = {}
    for item in document.disagreements:
        if item.unit_kind in ("mention", "entity") and item.start is not None:
            marks.setdefault((item.start, item.end), item)
    annotation = document.versions[annotator]
    mentions = []
    for mention in annotation.mentions:
        mark = marks.get((mention.start, mention.end))
        mentions.append({"id": mention.id, "start": mention.start, "end": mention.end, "type": mention.type,
                         "entity_id": mention.entity_id, "parent_id": mention.parent_id,
                         "metonymic": mention.metonymic,
                         "disagreement": mark.kind if mark else None, "conflict": mark.conflict if mark else None})
    return {"text": document.text, "paragraphs": _paragraphs(document.text), "mentions": mentions, "stances": [],
            "entities": [{"id": e.id, "name": e.name, "type": e.type, "qid": e.qid} for e in annotation.entities]}


def _gold_link(item: Disagreement, gold: Mapping | None, root: str) -> str:
    if gold is None:
        return '<span class="none">no gold yet</span>'
    href = f"{root}{gold['href']}"
    for mention in gold["mentions"] or ():
        if item.start is not None and (mention["start"], mention["end"]) == (item.start, item.end):
            return f'<a href="{escape(href)}#mention-{escape(mention["id"])}">gold {escape(mention["type"])}</a>'
    return f'<a href="{escape(href)}">gold document</a>'


def _disagreement_rows(document: CurationDocument, gold: Mapping | None) -> str:
    rows = []
    for item in document.disagreements:
        line = (f'<a href="#line-{item.line}">line {item.line}</a>' if item.line is not None
                else '<span class="none">not in the file yet</span>')
        text = escape(document.text[item.start:item.end]) if item.start is not None else ""
        values = "".join(f'<td class="value">{escape(value)}</td>' for value in item.shown)
        rows.append(f'<tr id="{escape(item.conflict)}" class="d-{escape(item.kind.replace(" ", "-"))}">'
                    f'<td>{escape(item.conflict)}</td><td><span class="kind">{escape(item.kind)}</span></td>'
                    f'<td>{escape(item.unit_kind)}</td><td lang="fr">{escape(item.item)}</td>'
                    f'<td lang="fr" class="span">{text}</td>{values}<td>{line}</td><td>{_gold_link(item, gold, "../")}</td></tr>')
    return "\n".join(rows)


def _file_table(document: CurationDocument) -> str:
    if document.conflicts_lines is None:
        return f'<p class="notice">{escape(document.conflicts_shown)} has not been written yet (chronique adjudicate).</p>'
    header, *lines = document.conflicts_lines
    head = "".join(f"<th>{escape(cell)}</th>" for cell in ("line", *header))
    body = "\n".join(f'<tr id="line-{number}"><td class="num">{number}</td>'
                     + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
                     for number, cells in enumerate(lines, start=2))
    return f'<table class="figures conflicts"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def curation_page(document: CurationDocument, *, gold: Mapping | None, version: str) -> str:
    """The versions of ``document`` side by side, then every disagreement and the lines of conflicts.tsv."""
    counts = Counter(item.kind for item in document.disagreements)
    legend = "".join(f'<li class="d-{escape(kind.replace(" ", "-"))}"><span class="kind">{escape(kind)}</span> '
                     f'{escape(KIND_NAMES[kind])} <span class="count">{counts[kind]}</span></li>'
                     for kind in KIND_NAMES if counts[kind])
    columns = "\n".join(f'<section class="version"><h2>{escape(annotator)}</h2>'
                        f'<article class="text" lang="fr">{render_text(version_row(document, annotator))}</article></section>'
                        for annotator in document.annotators)
    headers = "".join(f"<th>{escape(a)}</th>" for a in document.annotators)
    heading = document_heading(gold) if gold else document.doc_id
    gold_line = (f'<a href="../{escape(gold["href"])}">the gold document</a>' if gold
                 else "no gold document in this release yet")
    body = f"""<h1 lang="fr">{escape(heading)}</h1>
<dl class="meta"><div><dt>document</dt><dd>{escape(document.doc_id)}</dd></div>
<div><dt>versions</dt><dd>{escape(", ".join(document.annotators))}</dd></div>
<div><dt>agreed units</dt><dd>{document.agreed}</dd></div><div><dt>disagreements</dt><dd>{len(document.disagreements)}</dd></div>
<div><dt>adjudicated</dt><dd>{gold_line}</dd></div></dl>
<p class="hint">Mentions on which the versions agree are drawn plainly; a disputed one is framed and tagged with the
kind of disagreement, compared with the first version. Hover over it for its conflict.</p>
<ul class="kinds">{legend}</ul>
<div class="versions">
{columns}
</div>
<h2>Disagreements</h2>
<table class="figures disagreements"><thead><tr><th>conflict</th><th>kind</th><th>unit</th><th>item</th><th>text</th>
{headers}<th>conflicts.tsv</th><th>gold</th></tr></thead>
<tbody>
{_disagreement_rows(document, gold)}
</tbody></table>
<h2>{escape(document.conflicts_shown)}</h2>
{_file_table(document)}"""
    return layout(title=f"Curation of {heading}", body=body, version=version, root="../", page="curation")


def curation_list(documents: Sequence[CurationDocument]) -> str:
    """The list of curation pages for the statistics page's agreement section."""
    items = "".join(f'<li><a href="{escape(curation_href(d.doc_id))}">{escape(d.doc_id)}</a> '
                    f'<span class="count">{len(d.disagreements)} disagreement(s), {escape(", ".join(d.annotators))}</span></li>'
                    for d in documents)
    return f'<details class="curation-list"><summary>{len(documents)} curation page(s): the versions side by side</summary><ul>{items}</ul></details>'
