"""Converting a tool's document into our annotation: spans placed on the normalised text, set aside
when the schema cannot hold them, clustered into entities; stances resolved; every span counted.

:func:`to_annotation` is the one conversion every importer's documents go through
(:mod:`chronique.interop.base` holds the records it reads and the counts it returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chronique.checks.catalogue import finding
from chronique.curation.reanchor import place
from chronique.errors import FindingLog
from chronique.interop.base import IGNORE, ImportCounts, LabelMapping, ToolDocument, ToolSpan
from chronique.interop.nesting import smallest_containers
from chronique.schema import COARSE_OF_FINE, POLARITIES
from chronique.store.annotations import quote
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, Quote, Stance


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
    mentions = _kept(_candidates(document, text, mapping, log, placed.counts), document, placed, log)
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


Candidate = tuple[ToolSpan, Quote, str, ImportCounts]
"""A span placed on our text: the tool span, its place, its type, and its outcome (imported or re-anchored)."""


def _candidates(document: ToolDocument, text: str, mapping: LabelMapping, log: FindingLog,
                counts: ImportCounts) -> list[Candidate]:
    """Every span whose label maps to a type, placed on ``text``; ignored, unknown and unplaceable spans are
    counted in ``counts`` here."""
    candidates = []
    for span in document.spans:
        fine_type = mapping.type_of(span, document, log)
        if fine_type is None:
            counts.seen += 1
            if span.label in mapping.labels:
                counts.ignored += 1
            else:
                counts.rejected += 1
            continue
        outcome = ImportCounts()  # imported, re-anchored or rejected: booked once the span is kept
        anchor = _place_span(span, document, text, log, outcome)
        if anchor is None:
            counts.seen += 1
            counts.add(outcome)
            continue
        candidates.append((span, _trimmed(text, anchor), fine_type, outcome))
    return candidates


def _kept(candidates: list[Candidate], document: ToolDocument, placed: _Placed,
          log: FindingLog) -> list[tuple[ToolSpan, Quote, str]]:
    """The candidates the schema can hold together; each one set aside is counted and reported at its line."""
    set_aside = _set_aside([(span, anchor, fine_type) for span, anchor, fine_type, _ in candidates])
    mentions = []
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
    return mentions


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
