"""The annotated text of one document as HTML: mentions and stance evidence as nested ``<span>``\\ s.

Every span to draw is a :class:`Markup`. :func:`render_block` walks the sorted list of their
boundaries and keeps a stack of open spans, so that the output is always well nested:

* mentions are never split (gold mentions nest properly, see the L3 checks): a mention that
  opens inside an evidence span which ends before it closes that evidence span, opens, and
  reopens the evidence inside itself;
* an evidence span that crosses a mention boundary is closed there and reopened on the other
  side, so it becomes several pieces that carry the same ``data-quote``;
* where two spans share both ends, the mention is outside the evidence, and a parent mention
  outside its child.

All text and attribute values are HTML-escaped here; callers pass plain strings.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from chronique.schema import FINE_TYPES

MENTION, EVIDENCE = 0, 1
"""Layers: a lower layer is kept whole and drawn outside a higher one with the same extent."""

_QID = re.compile(r"^Q[1-9][0-9]*$")
WIKIDATA = "https://www.wikidata.org/wiki/"


def escape(value: object) -> str:
    """``value`` as HTML text or attribute value (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


def tag(name: str, attributes: Mapping[str, object | None]) -> str:
    """An opening tag; attributes whose value is None are left out, all values are escaped."""
    parts = [name] + [f'{key}="{escape(value)}"' for key, value in attributes.items() if value is not None]
    return "<" + " ".join(parts) + ">"


def qid_link(qid: str | None) -> str:
    """A Wikidata link whose text is the QID (a plain hyperlink: nothing is fetched), or ``""``."""
    if not qid:
        return ""
    if not _QID.match(qid):
        return escape(qid)
    return f'<a class="qid" href="{WIKIDATA}{qid}" rel="noreferrer">{qid}</a>'


@dataclass(frozen=True)
class Markup:
    """A span ``[start, end)`` of the text to wrap in ``open_tag`` … ``</span>``."""

    start: int
    end: int
    layer: int
    depth: int
    open_tag: str

    def order(self) -> tuple[int, int, int, int]:
        """Opening order at one position: the longest first, then mentions, then parents."""
        return (-self.end, self.layer, self.depth, self.start)


def type_class(fine_type: str | None) -> str:
    return f"t-{fine_type}" if fine_type in FINE_TYPES else "t-other"


def mention_title(mention: Mapping, entity: Mapping | None) -> str:
    """The hover text of a mention: ``GPE — Russie — Wikidata Q159 — metonymic``."""
    parts = [mention["type"]]
    if entity:
        parts.append(entity["name"])
        if entity.get("qid"):
            parts.append(f"Wikidata {entity['qid']}")
    if mention.get("metonymic"):
        parts.append("metonymic")
    return " — ".join(str(p) for p in parts)


def _depths(mentions: Sequence[Mapping]) -> dict[str, int]:
    parents = {m["id"]: m.get("parent_id") for m in mentions}
    depths: dict[str, int] = {}
    for mention_id in parents:
        depth, seen, current = 0, {mention_id}, parents[mention_id]
        while current in parents and current not in seen:
            depth, current = depth + 1, parents[current]
            seen.add(current)
        depths[mention_id] = depth
    return depths


def mention_markups(row: Mapping) -> list[Markup]:
    """One markup per mention of a ``documents`` row."""
    entities = {e["id"]: e for e in row.get("entities") or ()}
    mentions = row.get("mentions") or ()
    depths = _depths(mentions)
    markups = []
    for mention in mentions:
        entity = entities.get(mention.get("entity_id"))
        classes = ["mention", type_class(mention["type"])]
        if mention.get("parent_id"):
            classes.append("nested")
        if mention.get("metonymic"):
            classes.append("metonymic")
        disputed = mention.get("disagreement")  # on curation pages: the kind of disagreement, and its conflict
        if disputed:
            classes += ["disputed", "d-" + disputed.replace(" ", "-")]
        attributes = {
            "class": " ".join(classes), "id": f"mention-{mention['id']}", "data-id": mention["id"],
            "data-type": mention["type"],
            "data-entity": mention.get("entity_id"), "data-name": entity["name"] if entity else None,
            "data-qid": entity.get("qid") if entity else None, "data-parent": mention.get("parent_id"),
            "title": mention_title(mention, entity) + (f" — {disputed} ({mention['conflict']})" if disputed else ""),
            "data-disagreement": disputed, "data-conflict": mention.get("conflict") if disputed else None,
        }
        markups.append(Markup(mention["start"], mention["end"], MENTION, depths[mention["id"]], tag("span", attributes)))
    return markups


def evidence_markups(row: Mapping) -> list[Markup]:
    """One markup per distinct evidence span; stances that share a span share its markup."""
    stances_of: dict[tuple[int, int], list[str]] = {}
    for stance in row.get("stances") or ():
        for quote in stance["evidence"]:
            stances_of.setdefault((quote["start"], quote["end"]), []).append(stance["id"])
    return [
        Markup(start, end, EVIDENCE, 0, tag("span", {"class": "evidence", "data-quote": f"{start}-{end}",
                                                      "data-stances": " ".join(ids)}))
        for (start, end), ids in sorted(stances_of.items())
    ]


class _Writer:
    """Output pieces and the stack of open spans; a span closed right after it opened leaves nothing."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.stack: list[tuple[Markup, int]] = []

    def open(self, markup: Markup) -> None:
        """Push ``markup``; a mention first closes the evidence pieces above the innermost open mention
        that would end inside it, and reopens them inside itself (the others outside)."""
        if markup.layer != MENTION:
            self._push(markup)
            return
        innermost = max((i for i, (m, _) in enumerate(self.stack) if m.layer == MENTION), default=-1)
        crossed = [i for i in range(innermost + 1, len(self.stack)) if self.stack[i][0].end < markup.end]
        popped = [self._pop() for _ in range(len(self.stack) - crossed[0])][::-1] if crossed else []
        for evidence in popped:
            if evidence.end >= markup.end:
                self._push(evidence)
        self._push(markup)
        for evidence in popped:
            if evidence.end < markup.end:
                self._push(evidence)

    def close_until(self, position: int) -> list[Markup]:
        """Close every span that ends at ``position`` and those above it; return the ones that go on."""
        ending = [i for i, (markup, _) in enumerate(self.stack) if markup.end <= position]
        if not ending:
            return []
        popped = [self._pop() for _ in range(len(self.stack) - ending[0])]
        return [markup for markup in popped if markup.end > position]

    def _push(self, markup: Markup) -> None:
        self.stack.append((markup, len(self.pieces)))
        self.pieces.append(markup.open_tag)

    def _pop(self) -> Markup:
        markup, opened_at = self.stack.pop()
        if opened_at == len(self.pieces) - 1:
            self.pieces.pop()
        else:
            self.pieces.append("</span>")
        return markup


def render_block(text: str, start: int, end: int, markups: Iterable[Markup]) -> str:
    """``text[start:end]`` escaped, with the markups (clipped to the block) as well-nested spans."""
    clipped = [Markup(max(m.start, start), min(m.end, end), m.layer, m.depth, m.open_tag)
               for m in markups if m.start < end and m.end > start and m.start < m.end]
    starting: dict[int, list[Markup]] = {}
    for markup in clipped:
        starting.setdefault(markup.start, []).append(markup)
    boundaries = sorted({start, end} | {m.start for m in clipped} | {m.end for m in clipped})
    writer = _Writer()
    for position, following in zip(boundaries, boundaries[1:] + [end]):
        continuing = writer.close_until(position)
        for markup in sorted(continuing + starting.get(position, []), key=Markup.order):
            writer.open(markup)
        writer.pieces.append(escape(text[position:following]))
    writer.close_until(end)
    return "".join(writer.pieces)


def blocks(row: Mapping) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of the paragraphs, plus any non-blank text between them as a body block."""
    text = row["text"]
    paragraphs = sorted((p["start"], p["end"], p["kind"]) for p in row.get("paragraphs") or ())
    found, position = [], 0
    for start, end, kind in paragraphs + [(len(text), len(text), "")]:
        if text[position:start].strip():
            found.append((position, start, "body"))
        if end > start:
            found.append((start, end, kind))
        position = max(position, end)
    return found


def render_text(row: Mapping) -> str:
    """The document's text as ``<h2>`` headings and ``<p>`` paragraphs with every mention and evidence span."""
    markups = mention_markups(row) + evidence_markups(row)
    out = []
    for start, end, kind in blocks(row):
        element = "h2" if kind == "heading" else "p"
        out.append(f"<{element}>{render_block(row['text'], start, end, markups)}</{element}>")
    return "\n".join(out)
