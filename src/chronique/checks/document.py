"""The catalogue of validation checks, and the document-level ones (levels 2 and 3).

Every check has a stable id ``L<level>.<area>.<name>`` and a one-line explanation in
:data:`CATALOGUE`. Checks of levels 0, 1 and 4 run where their data is read
(:mod:`chronique.store.readers`, :mod:`chronique.store.annotations`, :mod:`chronique.store.repository`,
:mod:`chronique.checks.corpus`); levels 2 and 3 run per document here, from
:data:`DOCUMENT_CHECKS`: one function ``(document, locate) -> Iterator[Finding]`` per id.
``locate(key, index)`` gives the line of ``key[index]`` in the annotation file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from chronique.errors import Finding
from chronique.store.records import Document, Quote
from chronique.schema import COARSE_OF_FINE

Locate = Callable[[str, int | None], int]
DocumentCheck = Callable[[Document, Locate], Iterator[Finding]]


@dataclass(frozen=True)
class CheckInfo:
    level: int
    explanation: str
    severity: str = "error"


_INFO = {
    # L0 repository
    "L0.ids.unsafe": "document ids are safe as file names: letters, digits, '_', '.', '-'; no '/', '..' or control characters",
    "L0.ids.duplicate": "no two raw articles share a document id",
    "L0.path.symlink": "raw/ and annotations/ hold no symbolic links (they could point outside the repository)",
    "L0.annotation.orphan": "every annotation file has its raw article",
    "L0.annotation.name": "an annotation file is named after the document it annotates",
    "L0.status.unannotated": "every raw article has an annotation status; one without an annotation file is not published",
    "L0.splits.format": "each line of the split registry is doc_id, split (train/validation/test), origin",
    "L0.splits.duplicate": "the split registry lists a document once",
    "L0.splits.unknown-doc": "the split registry lists only documents present in raw/",
    "L0.splits.moved": "no document changes the split an earlier release published it in",
    "L0.version.semver": "the dataset version is valid SemVer (MAJOR.MINOR.PATCH)",
    "L0.version.order": "the dataset version is not lower than the latest release",
    "L0.sources.format": "each line of annotations/sources.tsv is doc_id, license, origin, source, url, beat, domain, genre",
    "L0.sources.unknown-doc": "annotations/sources.tsv describes only documents present in raw/",
    "L0.license.missing": "every document has a licence, from its raw record or annotations/sources.tsv",
    "L0.license.unknown": "a document whose licence is recorded as unknown is flagged for follow-up",
    "L0.withheld.format": "each line of annotations/withheld.tsv is doc_id, then why the text is kept out of releases",
    "L0.withheld.unknown-doc": "annotations/withheld.tsv lists only documents present in raw/",
    "L0.citation.missing": "CITATION.cff, the one source of every citation a release states, is present and readable",
    "L0.license.invalid": "a licence is an SPDX id (CC-BY-4.0) or 'unknown'",
    "L0.origin.missing": "every document has an origin, from its raw record or annotations/sources.tsv",
    "L0.origin.invalid": "an origin is 'published' (text from a publisher) or 'composed' (written for the corpus)",
    "L0.release.empty": "a release holds at least one document",
    # L1 files
    "L1.raw.size": "a raw article is at most 5 MiB",
    "L1.raw.empty": "a raw file holds text",
    "L1.raw.bom": "raw files are UTF-8 without a byte-order mark",
    "L1.raw.encoding": "raw files are valid UTF-8",
    "L1.raw.nul": "raw files hold no NUL byte",
    "L1.raw.crlf": "raw text files use LF line endings",
    "L1.raw.header": "a raw .txt article starts with 'date YYYY-MM' or 'date YYYY-MM-DD'",
    "L1.raw.date": "the date exists in the calendar and has the form YYYY-MM or YYYY-MM-DD",
    "L1.raw.extension": "a raw file's extension has a registered reader",
    "L1.raw.json": "a JSON Lines record is a valid JSON object",
    "L1.raw.field": "a JSON Lines record has non-empty string 'id' and 'text'",
    "L1.annotation.size": "an annotation file is at most 20 MiB",
    "L1.annotation.empty": "an annotation file is not empty",
    "L1.annotation.bom": "annotation files are UTF-8 without a byte-order mark",
    "L1.annotation.encoding": "annotation files are valid UTF-8",
    "L1.annotation.nul": "annotation files hold no NUL byte",
    "L1.annotation.crlf": "annotation files use LF line endings",
    "L1.annotation.json": "an annotation file is valid JSON",
    "L1.annotation.schema": "an annotation file is valid against the shipped JSON Schema",
    # L2 anchoring
    "L2.anchor.text-hash": "the annotation's text_sha256 is the SHA-256 of the normalised text",
    "L2.anchor.range": "mention offsets lie inside the text and start < end",
    "L2.anchor.text-mismatch": "text[start:end] equals the quote's exact text",
    "L2.anchor.token-boundary": "a span edge between two letters or digits of one word is flagged (an annotator's "
                                "slip in running text, or a real boundary between tokens glued in OCR text, such as "
                                "HIPE's NoSpaceAfter; the tokeniser cuts there either way)",
    "L2.evidence.range": "stance evidence spans lie inside the document and start < end",
    "L2.evidence.edges": "evidence starts on a letter or digit, not an elided l'/d', and ends on one or on a closing "
                         "» ) ” opened inside the span (guidelines 9.2)",
    "L2.anchor.hyphen-cut": "a mention starting or ending inside a hyphenated token (Saint-|Denis; guidelines 1.3) is "
                            "flagged: our guidelines annotate the whole token, other corpora (HIPE) do not",
    # L3 annotation rules
    "L3.type.unknown": "mention and entity types are among the fine types",
    "L3.stance.polarity": "stance polarity is FAVOR, AGAINST or NEUTRAL",
    "L3.entity.qid": "a Wikidata id has the form Q<digits> or NIL",
    "L3.ids.duplicate": "mention, entity and stance ids are unique in their file",
    "L3.nesting.parent": "a mention's parent_id names a mention that contains it",
    "L3.nesting.missing-parent": "a mention inside another one names it as parent_id",
    "L3.nesting.depth": "nesting is at most one level deep",
    "L3.nesting.crossing": "mention spans nest or are disjoint, never cross",
    "L3.mention.duplicate": "no two mentions have the same span and type",
    "L3.ref.entity": "every mention's entity_id names an entity of the file",
    "L3.ref.parent": "every parent_id names a mention of the file",
    "L3.ref.stance": "every stance holder (other than AUTHOR) and entity target names an entity of the file",
    "L3.stance.self": "a stance's holder differs from its target",
    "L3.entity.type-mismatch": "the mentions of one entity have types of the same coarse class as the entity",
    "L3.entity.unmentioned": "every entity has at least one mention (guidelines 6)",
    "L3.entity.date-value": "a DATE entity is named by an ISO 8601 date, month or year, or an interval of them (12.19)",
    # L4 corpus
    "L4.leak.exact-duplicate": "no text appears twice in the corpus (train/test leakage)",
    "L4.leak.near-duplicate": "no two documents in different splits have shingle Jaccard similarity ≥ 0.8",
    "L4.split.missing-type": "each split has every mention type that the other splits have",
    "L4.card.parse": "the release's dataset card parses with huggingface_hub without warnings",
    "L4.card.license": "the card's licence is a Hub licence identifier",
    "L4.card.task": "the card's task categories and task ids are known to the Hub",
    "L4.card.size": "the card's size category matches the number of documents",
    "L4.card.citation": "the card's BibTeX, croissant.json and CITATION.cff agree on title, authors, version, year and URL",
}
_WARNINGS = {"L2.anchor.token-boundary", "L2.anchor.hyphen-cut", "L0.status.unannotated", "L0.license.unknown", "L3.entity.date-value", "L0.withheld.unknown-doc", "L0.splits.unknown-doc", "L0.sources.unknown-doc",
             "L4.split.missing-type"}

CATALOGUE: dict[str, CheckInfo] = {
    check_id: CheckInfo(int(check_id[1]), text, "warning" if check_id in _WARNINGS else "error")
    for check_id, text in _INFO.items()
}


def finding(check_id: str, message: str, path: str, line: int | None = None, col: int | None = 1,
            hint: str | None = None) -> Finding:
    """A finding whose severity comes from the catalogue."""
    return Finding(check_id, message, path, line, col, CATALOGUE[check_id].severity, hint)


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
            yield Finding("L1.annotation.schema", f"{where}: {error.message}", annotation.path)
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
