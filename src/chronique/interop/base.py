"""What every importer and exporter shares: records, label mappings and the mismatch policy.

An importer is a generator ``(path, *, log) -> Iterator[ToolDocument]``: it reads a
tool's export and yields one :class:`ToolDocument` per document, with the tool's own
text, offsets (already converted to Unicode code points) and label names. It reports
unreadable input into ``log`` as located findings and never prints.

:func:`to_annotation` then turns a :class:`ToolDocument` into our
:class:`~chronique.store.records.Annotation` against the normalised text: labels go through a
:class:`LabelMapping`, and every span whose stored text disagrees with its offsets is
re-anchored by quote or rejected with a finding. :class:`ImportCounts` says how many
spans were imported, re-anchored and rejected; nothing is dropped silently.

An exporter is a function ``(documents, out_dir, **options) -> list[Path]`` over rows of
the ``documents`` config (plain dicts, as ``datasets`` returns them).

A rejected span or stance is a *warning*: it is counted and reported, and the rest of the
document is imported. An unknown label is an *error*: the mapping must be completed first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from chronique.store.annotations import quote
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.store.jsonfiles import JsonFileError, expect_type, line_of_key, parse_json, read_json_text, string_map
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, Quote, Stance
from chronique.interop.nesting import smallest_containers
from chronique.curation.reanchor import place
from chronique.schema import COARSE_OF_FINE, FINE_TYPES, POLARITIES

IGNORE = "IGNORE"
"""Mapping target for tool labels that deliberately have no counterpart in our scheme."""

_MAPPING_HINT = 'write {"labels": {"TOOL LABEL": "FINE TYPE or IGNORE"}, "polarities": {"TOOL LABEL": "FAVOR"}}'


@dataclass(frozen=True, slots=True)
class ToolSpan:
    """One labelled span as the tool stores it. Offsets are code points into ``ToolDocument.text``."""

    id: str
    start: int
    end: int
    label: str
    text: str | None = None  # the text the tool stored with the span, when it stores one
    line: int | None = None  # where the span is in the export file, for findings
    metonymic: bool = False
    qid: str | None = None
    entity: str | None = None  # the tool's own cluster or chain id, when it has one
    parent: str | None = None  # the id of a ToolSpan that contains this one, when the tool nests
    entity_name: str | None = None  # the canonical name of the entity, when the tool stores one


@dataclass(frozen=True, slots=True)
class ToolStance:
    """A stance the tool expresses as a relation or a per-region choice.

    ``holder`` and ``target`` are ids of mention spans, ``"AUTHOR"``, or (target only) a topic
    phrase with ``target_is_topic``. ``evidence`` are ids of mention spans or of
    :attr:`ToolDocument.evidence` spans; when empty, the target span is the evidence.
    """

    id: str
    holder: str
    target: str
    polarity: str
    evidence: tuple[str, ...] = ()
    target_is_topic: bool = False
    scope: str = "sentence"
    reported: bool = False
    line: int | None = None


@dataclass(frozen=True, slots=True)
class DroppedSpan:
    """A span the reader read but could not pass on, and why (a zero-width span, a layer not imported…).

    Readers put these on :attr:`ToolDocument.dropped` instead of forgetting them, so that the
    import's summary accounts for every span of the export (:class:`ImportCounts`).
    """

    id: str
    reason: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ToolDocument:
    doc_id: str
    text: str
    spans: tuple[ToolSpan, ...]
    path: str
    stances: tuple[ToolStance, ...] = ()
    annotator: str | None = None
    line: int | None = None
    date: str | None = None
    evidence: tuple[ToolSpan, ...] = ()  # stance evidence spans that are not mentions
    dropped: tuple[DroppedSpan, ...] = ()  # spans read from the export but not passed on, each with its reason


@dataclass
class ImportCounts:
    """Spans per outcome, accounting for every span read from the export:

    ``read == imported + reanchored + rejected + ignored + dropped``, where ``seen`` spans reached
    the label mapping and ``dropped`` ones did not (the reader, or the nesting rule, set them aside),
    each counted under its reason in ``dropped_reasons``.
    """

    seen: int = 0
    imported: int = 0
    reanchored: int = 0
    rejected: int = 0
    ignored: int = 0
    dropped: int = 0
    documents: int = 0
    stances: int = 0
    rejected_stances: int = 0
    ignored_stances: int = 0
    nested: int = 0  # of the imported and re-anchored spans, those nested in another mention
    dropped_reasons: Counter = field(default_factory=Counter)

    @property
    def read(self) -> int:
        return self.seen + self.dropped

    @property
    def accounted(self) -> int:
        return self.imported + self.reanchored + self.rejected + self.ignored + self.dropped

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped += count
        self.dropped_reasons[reason] += count

    def add(self, other: ImportCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class LabelMapping:
    """Tool label → our fine type (or :data:`IGNORE`), read from a JSON file ``{"labels": {...}, "polarities": {...}}``."""

    labels: Mapping[str, str]
    polarities: Mapping[str, str] = field(default_factory=dict)
    path: str = "(built-in identity mapping)"

    @classmethod
    def identity(cls) -> LabelMapping:
        return cls({t: t for t in FINE_TYPES}, {p: p for p in POLARITIES})

    @classmethod
    def load(cls, path: Path) -> LabelMapping:
        """Read a mapping file; :class:`UsageError` (exit 2) with a located finding when it is unusable.

        The file must be an object whose ``labels`` and ``polarities`` (both optional) are objects of
        string → string; anything else is ``import.mapping.shape``, invalid JSON ``import.mapping.json``
        and too deep a nesting :data:`chronique.store.jsonfiles.DEPTH_CHECK`. A mapping file is an argument
        of the command, so each is a usage error. Targets must be our fine types (polarities) or ``IGNORE``.
        """
        shown, shape = str(path), "import.mapping.shape"
        try:
            text = read_json_text(path, shown, check="import.mapping.json", hint=_MAPPING_HINT)
            data = expect_type(parse_json(text, shown, check="import.mapping.json", hint=_MAPPING_HINT), dict,
                               'an object {"labels": {...}, "polarities": {...}}', shown, check=shape, hint=_MAPPING_HINT)
            labels = string_map(data.get("labels", {}), "labels", text, shown, check=shape, hint=_MAPPING_HINT)
            polarities = string_map(data.get("polarities", {}), "polarities", text, shown, check=shape, hint=_MAPPING_HINT)
        except JsonFileError as error:
            raise UsageError(f"cannot use the label mapping {path}", error.findings) from None
        bad = [finding("import.mapping.target", f"{name}[{key!r}] → {value!r}: expected one of {', '.join(allowed)}, "
                       f"{IGNORE}", shown, line_of_key(text, key, line_of_key(text, name)[1])[0], hint=_MAPPING_HINT)
               for name, entries, allowed in (("labels", labels, FINE_TYPES), ("polarities", polarities, POLARITIES))
               for key, value in entries.items() if value not in allowed and value != IGNORE]
        if bad:
            raise UsageError(f"{path}: mapping targets must be one of {', '.join(FINE_TYPES)}, {IGNORE} "
                             f"(polarities: {', '.join(POLARITIES)}, {IGNORE}); {len(bad)} target(s) are not", bad)
        return cls(labels, polarities, shown)

    def type_of(self, span: ToolSpan, document: ToolDocument, log: FindingLog) -> str | None:
        """Our fine type for a span, None for an ignored label; an unknown label is an error naming label and file."""
        target = self.labels.get(span.label)
        if target is None:
            log.add(finding("import.label.unknown", f"label {span.label!r} is not in the mapping {self.path}",
                            document.path, span.line or document.line, hint=f"add \"{span.label}\" to {self.path}"))
        return None if target in (None, IGNORE) else target


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an item of a converted annotation comes from: the tool's id for it and its line in the tool file."""

    tool_id: str
    line: int | None


Origins = dict[tuple[str, int], Origin]
"""``("mentions" | "stances", index in the annotation) -> Origin``, filled by :func:`to_annotation` on request."""


@dataclass
class _Placed:
    quotes: dict[str, Quote] = field(default_factory=dict)  # span id → its place on our text
    counts: ImportCounts = field(default_factory=ImportCounts)
    mention_of: dict[str, Mention] = field(default_factory=dict)  # span id → the mention made of it


def _place_span(span: ToolSpan, document: ToolDocument, text: str, log: FindingLog, counts: ImportCounts) -> Quote | None:
    """The span on our text: as is when its text agrees, else re-anchored by quote, else rejected with a finding."""
    stored = span.text if span.text is not None else document.text[span.start : span.end]
    in_range = 0 <= span.start < span.end <= len(text)
    if in_range and text[span.start : span.end] == stored and stored.strip():
        counts.imported += 1
        return quote(text, span.start, span.end)
    context = Quote(span.start, span.end, stored, document.text[max(0, span.start - 32) : span.start],
                    document.text[span.end : span.end + 32])
    placement = place(text, context, span.id) if stored.strip() else None
    if placement is not None and placement.outcome != "unplaced":
        counts.reanchored += 1
        return placement.new
    counts.rejected += 1
    found = text[span.start : span.end] if in_range else "(out of range)"
    log.add(finding("import.span.mismatch", f"span {span.id}: stored text {stored!r} does not match {found!r} at "
                    f"{span.start}–{span.end} and could not be re-anchored: rejected", document.path,
                    span.line or document.line, hint="fix the span in the tool and export again"))
    return None


_SET_ASIDE_HINT = "the other spans are imported; fix the span in the tool, or annotate it by hand, if it matters"
_REASONS = {
    "import.nesting.depth": "nested a third level deep (Chronique nests mentions one level, guidelines 1)",
    "import.span.duplicate": "the same span and type as an earlier span",
    "import.nesting.crossing": "crosses an earlier span (mentions nest or are disjoint)",
}


def _set_aside(candidates: list[tuple[ToolSpan, Quote, str]]) -> dict[str, tuple[str, str, str]]:
    """Placed spans the annotation schema cannot hold beside the others → ``(check id, reason, detail)``.

    ``candidates`` are ``(tool span, its place on our text, its type)``. Walking them in text order
    (``start``, then longest first), a span is set aside when it repeats the extent and type of a
    span kept before it, crosses one, or lies at a third level of nesting (inside a span that is
    itself inside another; two spans of one extent are not nested). The outer spans win, so an import
    keeps the two levels the guidelines allow. Ignored spans are not candidates: a layer of sections,
    say, neither contains nor crosses anything.
    """
    ordered = sorted(candidates, key=lambda item: (item[1].start, -item[1].end))
    aside: dict[str, tuple[str, str, str]] = {}
    seen: dict[tuple[int, int, str], str] = {}
    open_spans: list[tuple[str, int, int, int]] = []  # kept spans still open: id, start, end, depth
    for span, anchor, fine_type in ordered:
        start, end = anchor.start, anchor.end
        open_spans = [o for o in open_spans if o[2] > start]
        containers = [o for o in open_spans if o[2] >= end and (o[1], o[2]) != (start, end)]
        crossed = next((o for o in open_spans if o[2] < end), None)
        depth = max((o[3] + 1 for o in containers), default=0)
        if (start, end, fine_type) in seen:
            aside[span.id] = ("import.span.duplicate", _REASONS["import.span.duplicate"],
                              f"repeats span {seen[start, end, fine_type]}")
        elif crossed is not None:
            aside[span.id] = ("import.nesting.crossing", _REASONS["import.nesting.crossing"],
                              f"crosses span {crossed[0]} ({crossed[1]}–{crossed[2]})")
        elif depth >= 2:
            outer = min(containers, key=lambda o: o[3])
            aside[span.id] = ("import.nesting.depth", _REASONS["import.nesting.depth"], f"lies two levels inside span {outer[0]}")
        else:
            seen[start, end, fine_type] = span.id
            open_spans.append((span.id, start, end, depth))
    return aside


def _trimmed(text: str, anchor: Quote) -> Quote:
    """Our spans never start or end with spaces; tools often include them."""
    start, end = anchor.start, anchor.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return anchor if (start, end) == (anchor.start, anchor.end) else quote(text, start, end)


def to_annotation(
    document: ToolDocument,
    *,
    text: str,
    text_sha256: str,
    mapping: LabelMapping,
    log: FindingLog,
    tool: str,
    date: str,
    status: str = "gold",
    guidelines_version: str = "1.0",
    origins: Origins | None = None,
) -> tuple[Annotation, ImportCounts]:
    """Convert one tool document against our normalised ``text``; every span is counted in one outcome.

    ``origins``, when given, is filled with the tool span or stance each mention and stance comes
    from, so that a check of the annotation can be reported in the tool file (the annotation file
    does not exist yet).
    """
    placed = _Placed()
    placed.counts.documents = 1
    for dropped in document.dropped:
        placed.counts.drop(dropped.reason)
    candidates: list[tuple[ToolSpan, Quote, str, ImportCounts]] = []
    for span in document.spans:
        fine_type = mapping.type_of(span, document, log)
        if fine_type is None:
            placed.counts.seen += 1
            if span.label in mapping.labels:
                placed.counts.ignored += 1
            else:
                placed.counts.rejected += 1
            continue
        outcome = ImportCounts()  # imported, re-anchored or rejected: booked once the span is kept
        anchor = _place_span(span, document, text, log, outcome)
        if anchor is None:
            placed.counts.seen += 1
            placed.counts.add(outcome)
            continue
        candidates.append((span, _trimmed(text, anchor), fine_type, outcome))
    set_aside = _set_aside([(span, anchor, fine_type) for span, anchor, fine_type, _ in candidates])
    mentions: list[tuple[ToolSpan, Quote, str]] = []
    for span, anchor, fine_type, outcome in candidates:
        if span.id in set_aside:
            check_id, reason, detail = set_aside[span.id]
            placed.counts.drop(reason)
            log.add(finding(check_id, f"span {span.id} ({span.label!r}, {anchor.start}–{anchor.end}) {detail}: {reason}; "
                            "dropped", document.path, span.line or document.line, hint=_SET_ASIDE_HINT))
            continue
        placed.counts.seen += 1
        placed.counts.add(outcome)
        placed.quotes[span.id] = anchor
        mentions.append((span, anchor, fine_type))
    evidence_counts = ImportCounts()  # evidence spans are not label regions: counted apart, never in ``seen``
    for span in document.evidence:
        anchor = _place_span(span, document, text, log, evidence_counts)
        if anchor is not None:
            placed.quotes[span.id] = _trimmed(text, anchor)
    annotation_mentions, entities = _mentions_and_entities(mentions, placed, origins)
    stances = _stances(document, placed, mapping, log, origins)
    annotators = (document.annotator,) if document.annotator else (tool,)
    provenance = AnnotationProvenance(status, annotators, guidelines_version, tool, date, f"imported from {document.path}")
    annotation = Annotation(document.doc_id, text_sha256, provenance, tuple(annotation_mentions), tuple(entities),
                            tuple(stances), f"annotations/{document.doc_id}.json")
    return annotation, placed.counts


def _mentions_and_entities(mentions: list[tuple[ToolSpan, Quote, str]], placed: _Placed,
                           origins: Origins | None = None) -> tuple[list[Mention], list[Entity]]:
    """Mentions ``m1…`` in text order; one entity per tool cluster, else per QID and coarse class, else per
    mention, named as the tool names it.

    HIPE links a place's location reading and its organisation reading to one QID; clustering by
    QID alone would give one entity two classes (``L3.entity.type-mismatch``), so mentions of one QID
    form one entity per coarse class (LOC and GPE together, ORG apart), each keeping the QID.
    """
    mentions = sorted(mentions, key=lambda item: (item[1].start, -item[1].end))
    # nesting as the guidelines define it, on the placed text: a re-anchored span may have moved out of
    # (or into) the span the tool nested it in
    containers = smallest_containers([(anchor.start, anchor.end) for _, anchor, _ in mentions])
    entity_ids: dict[str, str] = {}
    result, entities = [], []
    for (span, anchor, fine_type), container in zip(mentions, containers):
        key = span.entity or (f"qid:{span.qid}:{COARSE_OF_FINE[fine_type]}" if span.qid and span.qid != "NIL"
                              else f"span:{span.id}")
        if key not in entity_ids:
            entity_ids[key] = f"e{len(entity_ids) + 1}"
            entities.append(Entity(entity_ids[key], span.entity_name or anchor.exact, fine_type, span.qid))
        parent = f"m{container + 1}" if container is not None else None
        placed.counts.nested += parent is not None
        mention = Mention(f"m{len(result) + 1}", anchor, fine_type, entity_ids[key], parent, span.metonymic)
        placed.mention_of[span.id] = mention
        if origins is not None:
            origins[("mentions", len(result))] = Origin(span.id, span.line)  # None: the runner falls back on the document
        result.append(mention)
    return result, entities


def _stance_problem(polarity, holder, target, evidence_ids, evidence) -> str | None:
    if polarity is None:
        return "its polarity is not in the mapping"
    if holder is None or target is None:
        return "its holder or target is not an imported mention"
    if not evidence_ids or len(evidence) != len(evidence_ids):
        return "its evidence spans could not all be placed on the text"
    if holder == target:
        return "its holder and target are the same entity"
    return None


def _stances(document: ToolDocument, placed: _Placed, mapping: LabelMapping, log: FindingLog,
             origins: Origins | None = None) -> list[Stance]:
    """Stances whose holder, target, polarity and every evidence span resolve; the others counted and reported."""
    entity_of = {span_id: mention.entity_id for span_id, mention in placed.mention_of.items()}
    stances = []
    for stance in document.stances:
        polarity = mapping.polarities.get(stance.polarity, stance.polarity if stance.polarity in POLARITIES else None)
        if polarity == IGNORE:
            placed.counts.ignored_stances += 1
            continue
        holder = "AUTHOR" if stance.holder == "AUTHOR" else entity_of.get(stance.holder)
        target = stance.target if stance.target_is_topic else entity_of.get(stance.target)
        evidence_ids = stance.evidence or (() if stance.target_is_topic else (stance.target,))
        evidence = tuple(placed.quotes[e] for e in evidence_ids if e in placed.quotes)
        problem = _stance_problem(polarity, holder, target, evidence_ids, evidence)
        if problem:
            placed.counts.rejected_stances += 1
            log.add(finding("import.stance.unresolved", f"stance {stance.id} ({stance.polarity!r}): {problem}: rejected",
                            document.path, stance.line or document.line,
                            hint="check the relation's spans, and map the relation label in 'polarities' (or to IGNORE)"))
            continue
        placed.counts.stances += 1
        if origins is not None:
            origins[("stances", len(stances))] = Origin(stance.id, stance.line or document.line)
        stances.append(Stance(f"s{len(stances) + 1}", holder, target, "topic" if stance.target_is_topic else "entity",
                              polarity, evidence, stance.scope, stance.reported))
    return stances


Importer = Callable[..., Iterator[ToolDocument]]
Exporter = Callable[..., list[Path]]


def count_outcomes(results: Iterable[ImportCounts]) -> ImportCounts:
    total = ImportCounts()
    for counts in results:
        total.add(counts)
    return total


def label_counter(documents: Iterable[ToolDocument]) -> Counter:
    """How often each tool label occurs: what a mapping file has to cover."""
    return Counter(span.label for document in documents for span in document.spans)
