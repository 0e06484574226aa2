"""Document-level checks that the build runs before it publishes anything.

``DOCUMENT_CHECKS`` maps a stable check id to a one-line explanation and a
function ``(document, locate) -> Iterator[Finding]``. ``locate(key, index)``
gives the annotation file line of ``key[index]`` (one item per line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from chronique.errors import Finding
from chronique.records import Document, Quote
from chronique.schema import COARSE_OF_FINE

Locate = Callable[[str, int | None], int]


@dataclass(frozen=True)
class Check:
    explanation: str
    run: Callable[[Document, Locate], Iterator[Finding]]


def _quotes(document: Document) -> Iterator[tuple[str, int, Quote, str]]:
    annotation = document.annotation
    for index, mention in enumerate(annotation.mentions):
        yield "mentions", index, mention.anchor, mention.id
    for index, stance in enumerate(annotation.stances):
        for quote in stance.evidence:
            yield "stances", index, quote, f"{stance.id} evidence"


def check_text_hash(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    if annotation.text_sha256 != document.text_sha256:
        yield Finding("L2.anchor.text-hash", f"text_sha256 {annotation.text_sha256[:12]}… does not match the normalised text "
                      f"{document.text_sha256[:12]}…", annotation.path, locate("text_sha256", None), 1,
                      hint="the raw text or the normalisation changed: run chronique reanchor")


def check_ranges(document: Document, locate: Locate) -> Iterator[Finding]:
    size = len(document.text)
    for key, index, quote, what in _quotes(document):
        if not 0 <= quote.start < quote.end <= size:
            yield Finding("L2.anchor.range", f"{what}: offsets {quote.start}–{quote.end} are not a non-empty range inside the "
                          f"text (0–{size})", document.annotation.path, locate(key, index), 1)


def check_exact(document: Document, locate: Locate) -> Iterator[Finding]:
    text = document.text
    for key, index, quote, what in _quotes(document):
        if 0 <= quote.start < quote.end <= len(text) and text[quote.start : quote.end] != quote.exact:
            yield Finding("L2.anchor.text-mismatch", f"{what}: expected {quote.exact!r}, found "
                          f"{text[quote.start:quote.end]!r} at {quote.start}–{quote.end}", document.annotation.path,
                          locate(key, index), 1, hint="run chronique reanchor")


def check_references(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    entities = {e.id: e for e in annotation.entities}
    mentions = {m.id: m for m in annotation.mentions}
    for index, mention in enumerate(annotation.mentions):
        if mention.entity_id is not None and mention.entity_id not in entities:
            yield Finding("L3.ref.entity", f"{mention.id}: entity {mention.entity_id!r} does not exist",
                          annotation.path, locate("mentions", index), 1)
        elif mention.entity_id is not None and COARSE_OF_FINE[entities[mention.entity_id].type] != COARSE_OF_FINE[mention.type]:
            yield Finding("L3.entity.type-mismatch", f"{mention.id}: type {mention.type} is incompatible with entity "
                          f"{mention.entity_id} of type {entities[mention.entity_id].type}", annotation.path, locate("mentions", index), 1)
        if mention.parent_id is not None and mention.parent_id not in mentions:
            yield Finding("L3.ref.parent", f"{mention.id}: parent {mention.parent_id!r} does not exist",
                          annotation.path, locate("mentions", index), 1)
    for index, stance in enumerate(annotation.stances):
        for role, value in (("holder", stance.holder), ("target", stance.target)):
            is_entity_ref = role == "holder" and value != "AUTHOR" or role == "target" and stance.target_kind == "entity"
            if is_entity_ref and value not in entities:
                yield Finding("L3.ref.stance", f"{stance.id}: {role} {value!r} is not an entity of this document",
                              annotation.path, locate("stances", index), 1)
        if stance.holder == stance.target:
            yield Finding("L3.stance.self", f"{stance.id}: holder and target are both {stance.holder!r}",
                          annotation.path, locate("stances", index), 1)


def check_nesting(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    mentions = {m.id: m for m in annotation.mentions}
    ordered = sorted(enumerate(annotation.mentions), key=lambda im: (im[1].start, -im[1].end))
    for index, mention in enumerate(annotation.mentions):
        parent = mentions.get(mention.parent_id) if mention.parent_id else None
        if parent is not None:
            if not (parent.start <= mention.start and mention.end <= parent.end) or parent == mention:
                yield Finding("L3.nesting.parent", f"{mention.id}: parent {parent.id} ({parent.start}–{parent.end}) does not "
                              f"contain it ({mention.start}–{mention.end})", annotation.path, locate("mentions", index), 1)
            elif parent.parent_id is not None:
                yield Finding("L3.nesting.depth", f"{mention.id}: nested inside {parent.id}, itself nested: depth > 1",
                              annotation.path, locate("mentions", index), 1)
    for (i, a), (j, b) in zip(ordered, ordered[1:]):
        if (a.start, a.end) == (b.start, b.end) and a.type == b.type:
            yield Finding("L3.mention.duplicate", f"{b.id} duplicates {a.id} ({a.type} {a.start}–{a.end})",
                          annotation.path, locate("mentions", j), 1)
    for (i, a) in ordered:
        for (j, b) in ordered:
            if a.start < b.start < a.end < b.end:
                yield Finding("L3.nesting.crossing", f"{a.id} ({a.start}–{a.end}) and {b.id} ({b.start}–{b.end}) cross",
                              annotation.path, locate("mentions", j), 1, hint="spans must nest or be disjoint")
            elif a.start <= b.start and b.end <= a.end and a is not b and b.parent_id is None and (a.start, a.end) != (b.start, b.end):
                yield Finding("L3.nesting.parent", f"{b.id} lies inside {a.id} but has no parent_id",
                              annotation.path, locate("mentions", j), 1, hint=f"set parent_id to {a.id!r}")


DOCUMENT_CHECKS: dict[str, Check] = {
    "L2.anchor.text-hash": Check("the annotation's text_sha256 is that of the normalised text", check_text_hash),
    "L2.anchor.range": Check("offsets lie inside the text and start < end", check_ranges),
    "L2.anchor.text-mismatch": Check("text[start:end] equals the quote's exact text", check_exact),
    "L3.refs": Check("entity, parent, holder and target references resolve; holder differs from target", check_references),
    "L3.nesting": Check("spans nest at most one level deep, never cross, and are not duplicated", check_nesting),
}


def line_locator(root: Path, path: str) -> Locate:
    """A ``locate`` function over an annotation file, read lazily when a finding needs a line."""
    from chronique.annotations import _line_of_item

    cache: list[str] = []

    def locate(key: str, index: int | None) -> int:
        if not cache:
            cache.append((root / path).read_text("utf-8"))
        return _line_of_item(cache[0], [key] if index is None else [key, index])

    return locate


def check_document(document: Document, root: Path) -> Iterator[Finding]:
    """Run every document check on an annotated document."""
    if document.annotation is None:
        return
    locate = line_locator(root, document.annotation.path)
    for check in DOCUMENT_CHECKS.values():
        yield from check.run(document, locate)
