"""The document-level validation checks (levels 2 and 3).

Every check has a stable id ``L<level>.<area>.<name>`` and a one-line explanation in
:mod:`chronique.checks.catalogue`. Checks of levels 0, 1 and 4 run where their data is read
(:mod:`chronique.store.readers`, :mod:`chronique.store.annotations`, :mod:`chronique.store.repository`,
:mod:`chronique.checks.corpus`); levels 2 and 3 run per document here, from
:data:`DOCUMENT_CHECKS`: one function ``(document, locate) -> Iterator[Finding]`` per id.
``locate(key, index)`` gives the line of ``key[index]`` in the annotation file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterator

from chronique.checks.catalogue import finding as catalogue_finding
from chronique.errors import Finding
from chronique.store.records import Document, Quote
from chronique.schema import COARSE_OF_FINE

Locate = Callable[[str, int | None], int]
DocumentCheck = Callable[[Document, Locate], Iterator[Finding]]

def finding(check_id: str, message: str, path: str, line: int | None = None, col: int | None = 1,
            hint: str | None = None) -> Finding:
    """:func:`chronique.checks.catalogue.finding`, at column 1 unless told otherwise.

    The checks here point at the line of an item of the annotation file, and their findings have
    always shown column 1 there; the catalogue's constructor leaves the column out by default, as
    :class:`~chronique.errors.Finding` does.
    """
    return catalogue_finding(check_id, message, path, line, col, hint=hint)


# --- level 2: anchoring ------------------------------------------------------------


def _mention_quotes(document: Document) -> Iterator[tuple[int, Quote, str]]:
    for index, mention in enumerate(document.annotation.mentions):
        yield index, mention.anchor, mention.id


def _evidence_quotes(document: Document) -> Iterator[tuple[int, Quote, str]]:
    for index, stance in enumerate(document.annotation.stances):
        for quote in stance.evidence:
            yield index, quote, f"{stance.id} evidence"


def _in_range(quote: Quote, size: int) -> bool:
    return 0 <= quote.start < quote.end <= size


def check_text_hash(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    if annotation.text_sha256 != document.text_sha256:
        yield finding("L2.anchor.text-hash", f"text_sha256 {annotation.text_sha256[:12]}… is not that of the normalised "
                      f"text ({document.text_sha256[:12]}…)", annotation.path, locate("text_sha256", None),
                      hint="the raw text or the normalisation changed: run chronique reanchor")


def check_mention_ranges(document: Document, locate: Locate) -> Iterator[Finding]:
    for index, quote, what in _mention_quotes(document):
        if not _in_range(quote, len(document.text)):
            yield finding("L2.anchor.range", f"{what}: offsets {quote.start}–{quote.end} are not a non-empty range inside "
                          f"the text (0–{len(document.text)})", document.annotation.path, locate("mentions", index))


def check_evidence_ranges(document: Document, locate: Locate) -> Iterator[Finding]:
    for index, quote, what in _evidence_quotes(document):
        if not _in_range(quote, len(document.text)):
            yield finding("L2.evidence.range", f"{what}: offsets {quote.start}–{quote.end} are not a non-empty range "
                          f"inside the document (0–{len(document.text)})", document.annotation.path, locate("stances", index))


def check_exact(document: Document, locate: Locate) -> Iterator[Finding]:
    text = document.text
    for key, quotes in (("mentions", _mention_quotes), ("stances", _evidence_quotes)):
        for index, quote, what in quotes(document):
            if _in_range(quote, len(text)) and text[quote.start : quote.end] != quote.exact:
                yield finding("L2.anchor.text-mismatch", f"{what}: expected {quote.exact!r}, found "
                              f"{text[quote.start:quote.end]!r} at {quote.start}–{quote.end}", document.annotation.path,
                              locate(key, index), hint="run chronique reanchor")


def _inside_word(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1].isalnum() and text[offset].isalnum()


def check_token_boundaries(document: Document, locate: Locate) -> Iterator[Finding]:
    """An edge that splits a token between two letters or digits (``Kremli|n``) is a warning: in our own
    texts it is a slip to fix (the project's corpus is tested to have none), but OCR text glues real
    tokens (``ParisLondres``, HIPE ``NoSpaceAfter``), and an import must not lose such a span. The
    tokeniser splits a token at every annotated edge (``Franco|-russe``), by design."""
    text, forced = document.text, set(document.forced_cuts)
    if not forced:
        return
    for key, quotes in (("mentions", _mention_quotes), ("stances", _evidence_quotes)):
        for index, quote, what in quotes(document):
            if not _in_range(quote, len(text)):
                continue
            for edge in (quote.start, quote.end):
                if edge in forced and _inside_word(text, edge):
                    word_start = edge
                    while word_start > 0 and text[word_start - 1].isalnum():
                        word_start -= 1
                    yield finding("L2.anchor.token-boundary", f"{what}: offset {edge} cuts the word starting at "
                                  f"{word_start} ({text[word_start:edge]!r}|{text[edge:edge + 10].split(' ')[0]!r})",
                                  document.annotation.path, locate(key, index), hint="extend the span to whole words")
                    break


_ELIDED_START = re.compile(r"^[lLdD]['’]")
_CLOSERS = {"»": "«", ")": "(", "”": "“"}
_HYPHENS = "-‐‑"


def evidence_edges_ok(exact: str) -> bool:
    """Whether an evidence text starts and ends as guidelines 9.2 ask (see ``L2.evidence.edges``)."""
    if not exact or _ELIDED_START.match(exact) or not exact[0].isalnum():
        return False
    last = exact[-1]
    return last.isalnum() or (last in _CLOSERS and exact.rfind(_CLOSERS[last]) > 0)


def check_evidence_edges(document: Document, locate: Locate) -> Iterator[Finding]:
    for index, quote, what in _evidence_quotes(document):
        if not evidence_edges_ok(quote.exact):
            yield finding("L2.evidence.edges", f"{what}: evidence {quote.exact[:40]!r}… starts or ends on punctuation or "
                          "an elided l'/d'", document.annotation.path, locate("stances", index),
                          hint="trim the span to the words that carry the attitude (guidelines 9.2)")


def check_hyphen_cuts(document: Document, locate: Locate) -> Iterator[Finding]:
    text = document.text
    for index, quote, what in _mention_quotes(document):
        if not _in_range(quote, len(text)):
            continue
        before = quote.start >= 2 and text[quote.start - 1] in _HYPHENS and text[quote.start - 2].isalnum()
        after = quote.end + 1 < len(text) and text[quote.end] in _HYPHENS and text[quote.end + 1].isalnum()
        if before or after:
            yield finding("L2.anchor.hyphen-cut", f"{what}: {quote.exact!r} is cut out of a hyphenated token",
                          document.annotation.path, locate("mentions", index),
                          hint="annotate the whole hyphenated token, or nothing (guidelines 1.3, 12.22)")


_ISO_POINT = r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
_ISO_DATE_VALUE = re.compile(rf"^{_ISO_POINT}(?:/{_ISO_POINT})?$")


def check_entity_usage(document: Document, locate: Locate) -> Iterator[Finding]:
    mentioned = {m.entity_id for m in document.annotation.mentions}
    for index, entity in enumerate(document.annotation.entities):
        if entity.id not in mentioned:
            yield finding("L3.entity.unmentioned", f"entity {entity.id} {entity.name!r} has no mention",
                          document.annotation.path, locate("entities", index),
                          hint="remove it, or point the stance that uses it at the entity of a mention")


def check_date_values(document: Document, locate: Locate) -> Iterator[Finding]:
    for index, entity in enumerate(document.annotation.entities):
        if entity.type == "DATE" and not _ISO_DATE_VALUE.match(entity.name):
            yield finding("L3.entity.date-value", f"DATE entity {entity.id} is named {entity.name!r}, not an ISO 8601 "
                          "value", document.annotation.path, locate("entities", index),
                          hint="write 2017-06-18, 2017-06, 2017 or an interval such as 1990/1999 (guidelines 12.19)")


# --- level 3: annotation rules -----------------------------------------------------


def check_duplicate_ids(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    for key, items in (("mentions", annotation.mentions), ("entities", annotation.entities), ("stances", annotation.stances)):
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in seen:
                yield finding("L3.ids.duplicate", f"{key} id {item.id!r} is used twice", annotation.path, locate(key, index))
            seen.add(item.id)


def check_entity_refs(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    entities = {e.id for e in annotation.entities}
    for index, mention in enumerate(annotation.mentions):
        if mention.entity_id is not None and mention.entity_id not in entities:
            yield finding("L3.ref.entity", f"{mention.id}: entity {mention.entity_id!r} does not exist",
                          annotation.path, locate("mentions", index), hint="add it to 'entities' or fix the id")


def check_parent_refs(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    mentions = {m.id for m in annotation.mentions}
    for index, mention in enumerate(annotation.mentions):
        if mention.parent_id is not None and mention.parent_id not in mentions:
            yield finding("L3.ref.parent", f"{mention.id}: parent {mention.parent_id!r} does not exist",
                          annotation.path, locate("mentions", index))


def _is_entity_reference(role: str, value: str, target_kind: str) -> bool:
    return (role == "holder" and value != "AUTHOR") or (role == "target" and target_kind == "entity")


def check_stance_refs(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    entities = {e.id for e in annotation.entities}
    for index, stance in enumerate(annotation.stances):
        for role, value in (("holder", stance.holder), ("target", stance.target)):
            if _is_entity_reference(role, value, stance.target_kind) and value not in entities:
                yield finding("L3.ref.stance", f"{stance.id}: {role} {value!r} is not an entity of this document",
                              annotation.path, locate("stances", index),
                              hint="use an entity id, AUTHOR as holder, or target_kind 'topic' for a topic phrase")


def check_stance_self(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    for index, stance in enumerate(annotation.stances):
        if stance.holder == stance.target:
            yield finding("L3.stance.self", f"{stance.id}: holder and target are both {stance.holder!r}",
                          annotation.path, locate("stances", index))


def check_entity_types(document: Document, locate: Locate) -> Iterator[Finding]:
    annotation = document.annotation
    types = {e.id: e.type for e in annotation.entities}
    for index, mention in enumerate(annotation.mentions):
        entity_type = types.get(mention.entity_id)
        if entity_type is not None and COARSE_OF_FINE[entity_type] != COARSE_OF_FINE[mention.type]:
            yield finding("L3.entity.type-mismatch", f"{mention.id}: type {mention.type} does not fit entity "
                          f"{mention.entity_id} of type {entity_type}", annotation.path, locate("mentions", index))


def _parent_of(document: Document):
    mentions = {m.id: m for m in document.annotation.mentions}
    return lambda mention: mentions.get(mention.parent_id) if mention.parent_id else None


def check_parent_contains(document: Document, locate: Locate) -> Iterator[Finding]:
    parent_of = _parent_of(document)
    for index, mention in enumerate(document.annotation.mentions):
        parent = parent_of(mention)
        if parent is not None and (parent is mention or not (parent.start <= mention.start and mention.end <= parent.end)
                                   or (parent.start, parent.end) == (mention.start, mention.end)):
            yield finding("L3.nesting.parent", f"{mention.id}: parent {parent.id} ({parent.start}–{parent.end}) does not "
                          f"strictly contain it ({mention.start}–{mention.end})", document.annotation.path,
                          locate("mentions", index))


def check_nesting_depth(document: Document, locate: Locate) -> Iterator[Finding]:
    parent_of = _parent_of(document)
    for index, mention in enumerate(document.annotation.mentions):
        parent = parent_of(mention)
        if parent is not None and parent.parent_id is not None:
            yield finding("L3.nesting.depth", f"{mention.id}: nested in {parent.id}, which is itself nested",
                          document.annotation.path, locate("mentions", index), hint="nest at most one level deep")


def _ordered(document: Document):
    return sorted(enumerate(document.annotation.mentions), key=lambda pair: (pair[1].start, -pair[1].end))


def check_crossing_and_missing_parents(document: Document, locate: Locate) -> Iterator[Finding]:
    """Crossing spans, and spans strictly inside another one without a parent_id (one sweep over sorted spans)."""
    ordered = _ordered(document)
    for position, (_, outer) in enumerate(ordered):
        for index, inner in ordered[position + 1 :]:
            if inner.start >= outer.end:
                break
            if inner.end > outer.end:
                yield finding("L3.nesting.crossing", f"{outer.id} ({outer.start}–{outer.end}) and {inner.id} "
                              f"({inner.start}–{inner.end}) cross", document.annotation.path, locate("mentions", index),
                              hint="spans must nest or be disjoint")
            elif (inner.start, inner.end) != (outer.start, outer.end) and inner.parent_id is None:
                yield finding("L3.nesting.missing-parent", f"{inner.id} lies inside {outer.id} but has no parent_id",
                              document.annotation.path, locate("mentions", index), hint=f"set parent_id to {outer.id!r}")


def check_duplicate_mentions(document: Document, locate: Locate) -> Iterator[Finding]:
    seen: dict[tuple[int, int, str], str] = {}
    for index, mention in enumerate(document.annotation.mentions):
        key = (mention.start, mention.end, mention.type)
        if key in seen:
            yield finding("L3.mention.duplicate", f"{mention.id} duplicates {seen[key]} ({mention.type} "
                          f"{mention.start}–{mention.end})", document.annotation.path, locate("mentions", index))
        seen.setdefault(key, mention.id)


def _check_split_nesting(check_id: str) -> DocumentCheck:
    """One id of :func:`check_crossing_and_missing_parents`, so that the registry stays one id per entry."""
    def run(document: Document, locate: Locate) -> Iterator[Finding]:
        return (f for f in check_crossing_and_missing_parents(document, locate) if f.check_id == check_id)
    return run


DOCUMENT_CHECKS: dict[str, DocumentCheck] = {
    "L2.anchor.text-hash": check_text_hash,
    "L2.anchor.range": check_mention_ranges,
    "L2.evidence.range": check_evidence_ranges,
    "L2.anchor.text-mismatch": check_exact,
    "L2.anchor.token-boundary": check_token_boundaries,
    "L2.anchor.hyphen-cut": check_hyphen_cuts,
    "L2.evidence.edges": check_evidence_edges,
    "L3.ids.duplicate": check_duplicate_ids,
    "L3.ref.entity": check_entity_refs,
    "L3.ref.parent": check_parent_refs,
    "L3.ref.stance": check_stance_refs,
    "L3.stance.self": check_stance_self,
    "L3.entity.type-mismatch": check_entity_types,
    "L3.nesting.parent": check_parent_contains,
    "L3.nesting.depth": check_nesting_depth,
    "L3.nesting.crossing": _check_split_nesting("L3.nesting.crossing"),
    "L3.nesting.missing-parent": _check_split_nesting("L3.nesting.missing-parent"),
    "L3.mention.duplicate": check_duplicate_mentions,
    "L3.entity.unmentioned": check_entity_usage,
    "L3.entity.date-value": check_date_values,
}


def line_locator(root: Path, path: str) -> Locate:
    """A ``locate`` function over an annotation file, read lazily when a finding needs a line."""
    from chronique.store.annotations import _line_of_item

    cache: list[str] = []

    def locate(key: str, index: int | None) -> int:
        if not cache:
            cache.append((root / path).read_text("utf-8"))
        return _line_of_item(cache[0], [key] if index is None else [key, index])

    return locate


def check_annotation(document: Document, locate: Locate | None = None, *, schema: bool = True) -> Iterator[Finding]:
    """Every finding about an annotated document's annotation, the one check that the build, imports,
    pre-annotation and adjudication all run before they accept an annotation.

    With ``schema``, the annotation is first checked against the JSON Schema (the validator the
    annotation reader uses, so every path agrees); the build passes ``schema=False`` because its
    files were just read through that schema. Then every level-2 and level-3 check of
    :data:`DOCUMENT_CHECKS` runs. ``locate(key, index)`` gives the line of an item (None: no line).
    Findings are yielded one at a time, right after the ``locate`` call for the item they are
    about, so a caller can relocate each one into a tool file as it comes.
    """
    annotation = document.annotation
    if annotation is None:
        return
    if schema:
        from chronique.store.annotations import annotation_to_dict, schema_errors

        for error in schema_errors(annotation_to_dict(annotation)):
            where = "/".join(map(str, error.absolute_path)) or "(top level)"
            yield catalogue_finding("L1.annotation.schema", f"{where}: {error.message}", annotation.path)
    locate = locate or _no_line
    for check in DOCUMENT_CHECKS.values():
        yield from check(document, locate)


def _no_line(key: str, index: int | None) -> None:
    return None


def check_document(document: Document, root: Path) -> Iterator[Finding]:
    """:func:`check_annotation` on a document of the repository, located by the lines of its file."""
    if document.annotation is None:
        return
    yield from check_annotation(document, line_locator(root, document.annotation.path), schema=False)
