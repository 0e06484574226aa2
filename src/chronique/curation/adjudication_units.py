"""Adjudication units: what each annotator says about each item of a document, and how values are written.

Every item is a *unit* on which each annotator casts a value, written as in the annotator columns:

* ``mention``: a span ``(start, end)``; the value is its type and metonymy, ``GPE`` or
  ``GPE metonymic`` (``PER + ORG`` for two mentions on one span). An annotator without a mention
  there votes ``-``.
* ``entity``: a mention span; the value is the canonical name of the mention's entity, ``(none)``
  when it has none. Only annotators with a mention on the span vote.
* ``qid``: an entity (canonical name and coarse class); the value is ``Q90``, ``NIL`` or ``null``.
  Only annotators with that entity vote.
* ``stance``: a (holder, target, rank) unit as defined in :mod:`chronique.curation.agreement`; the value is
  ``POLARITY START-END[,START-END…] SCOPE reported|unreported``, e.g.
  ``FAVOR 120-150,160-170 sentence reported``. An annotator without the record votes ``-``.

A unit whose votes are all equal is accepted. Holders and targets are matched by canonical entity
name (whitespace normalised) and coarse class, or by topic phrase. Parent containment is not voted
on separately: gold parents are recomputed from the final spans (a mention inside another gets the
smallest one containing it as ``parent_id``), so annotators agree on nesting exactly when they agree
on both spans, and a nesting disagreement is the conflict on the outer span.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Mapping

from chronique.curation.agreement import Ref, entity_ref, name_key, stance_keys
from chronique.store.records import Annotation, Entity, Stance
from chronique.schema import FINE_TYPES, POLARITIES, SCOPES

ABSENT = "-"


# --- kinds: how a value is shown in conflicts.tsv and read back from a resolution -----------------


def _show_mention(value: tuple) -> str:
    return " + ".join(f"{t} metonymic" if metonymic else t for t, metonymic in value) or ABSENT


def _parse_mention(written: str, text: str) -> tuple:
    value = []
    for part in written.split("+"):
        words = part.split()
        if not words or words[0] not in FINE_TYPES or words[1:] not in ([], ["metonymic"]):
            raise ValueError(f"TYPE or 'TYPE metonymic' with TYPE among {', '.join(FINE_TYPES)}")
        value.append((words[0], len(words) == 2))
    return tuple(sorted(set(value)))


def _show_qid(value: str | None) -> str:
    return value or "null"


def _parse_qid(written: str, text: str) -> str | None:
    if written == "null":
        return None
    if not re.fullmatch(r"Q[1-9][0-9]*|NIL", written):
        raise ValueError("a Wikidata id (Q42), NIL or null")
    return written


def _show_stance(value: tuple | None) -> str:
    if value is None:
        return ABSENT
    polarity, spans, scope, reported = value
    evidence = ",".join(f"{start}-{end}" for start, end in spans)
    return f"{polarity} {evidence} {scope} {'reported' if reported else 'unreported'}"


_STANCE_VALUE = re.compile(rf"({'|'.join(POLARITIES)}) (\d+-\d+(?:,\d+-\d+)*) ({'|'.join(SCOPES)}) (reported|unreported)")


def _parse_stance(written: str, text: str) -> tuple:
    match = _STANCE_VALUE.fullmatch(" ".join(written.split()))
    if not match:
        raise ValueError("a stance 'POLARITY START-END[,START-END] SCOPE reported|unreported'")
    spans = tuple(sorted(tuple(map(int, pair.split("-"))) for pair in match.group(2).split(",")))
    if not all(0 <= start < end <= len(text) for start, end in spans):
        raise ValueError(f"evidence spans inside the text (0–{len(text)}) with start < end")
    return match.group(1), spans, match.group(3), match.group(4) == "reported"


@dataclass(frozen=True)
class Kind:
    """How one kind of unit shows a value and reads a written one (``parse`` raises ValueError saying what it expects)."""

    show: Callable[[object], str]
    parse: Callable[[str, str], object]
    dropped: object
    absent_votes: bool  # an annotator without the item votes ``dropped`` (otherwise they do not vote)


KINDS: dict[str, Kind] = {
    "mention": Kind(_show_mention, _parse_mention, (), True),
    "entity": Kind(lambda value: value or "(none)", lambda written, text: name_key(written), None, False),
    "qid": Kind(_show_qid, _parse_qid, None, False),
    "stance": Kind(_show_stance, _parse_stance, None, True),
}


# --- units: what each annotator says about each item ------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One item and each voting annotator's value; ``start``/``end`` place it in the text (None: nowhere)."""

    kind: str
    key: tuple
    start: int | None
    end: int | None
    item: str
    votes: dict[str, object]

    @property
    def agreed(self) -> bool:
        return len(set(self.votes.values())) == 1


def _mention_values(annotation: Annotation) -> dict[tuple[int, int], tuple]:
    values: dict[tuple[int, int], set] = defaultdict(set)
    for mention in annotation.mentions:
        values[(mention.start, mention.end)].add((mention.type, mention.metonymic))
    return {span: tuple(sorted(value)) for span, value in values.items()}


def _links(annotation: Annotation) -> dict[tuple[int, int], str | None]:
    """The canonical entity name of each mention span (of its first mention when a span has two)."""
    entities = {entity.id: entity for entity in annotation.entities}
    links: dict[tuple[int, int], str | None] = {}
    for mention in sorted(annotation.mentions, key=lambda m: (m.start, m.end, m.type)):
        entity = entities.get(mention.entity_id)
        links.setdefault((mention.start, mention.end), name_key(entity.name) if entity else None)
    return links


def span_units(versions: Mapping[str, Annotation], text: str) -> list[Unit]:
    """A ``mention`` and an ``entity`` unit for every span that some annotator annotated."""
    values = {a: _mention_values(annotation) for a, annotation in versions.items()}
    links = {a: _links(annotation) for a, annotation in versions.items()}
    units = []
    for span in sorted(set().union(*values.values())):
        surface = text[span[0] : span[1]]
        units.append(Unit("mention", span, *span, surface, {a: values[a].get(span, ()) for a in versions}))
        units.append(Unit("entity", span, *span, surface, {a: links[a][span] for a in versions if span in links[a]}))
    return units


def entities_by_ref(annotation: Annotation) -> dict[Ref, Entity]:
    found: dict[Ref, Entity] = {}
    for entity in annotation.entities:
        found.setdefault(entity_ref(entity), entity)
    return found


def _first_spans(annotation: Annotation) -> dict[Ref, tuple[int, int]]:
    """The first mention span of each entity reference."""
    entities = {entity.id: entity_ref(entity) for entity in annotation.entities}
    first: dict[Ref, tuple[int, int]] = {}
    for mention in sorted(annotation.mentions, key=lambda m: (m.start, -m.end)):
        if mention.entity_id in entities:
            first.setdefault(entities[mention.entity_id], (mention.start, mention.end))
    return first


def qid_units(versions: Mapping[str, Annotation]) -> list[Unit]:
    """A ``qid`` unit for every entity (name and coarse class) of any version."""
    entities = {a: entities_by_ref(annotation) for a, annotation in versions.items()}
    firsts = [_first_spans(annotation) for annotation in versions.values()]
    units = []
    for ref in sorted(set().union(*entities.values())):
        spans = [first[ref] for first in firsts if ref in first]
        start, end = min(spans) if spans else (None, None)
        votes = {a: entities[a][ref].qid for a in versions if ref in entities[a]}
        units.append(Unit("qid", ref, start, end, f"{ref[1]} ({ref[2]})", votes))
    return units


def _show_ref(ref: Ref) -> str:
    return {"topic": f"topic: {ref[1]}", "missing": f"?{ref[1]}"}.get(ref[0], ref[1])


def stance_units(versions: Mapping[str, Annotation]) -> list[Unit]:
    """A ``stance`` unit for every (holder, target, rank) of any version."""
    values = {a: {key: _stance_value(stance) for key, stance in stance_keys(annotation)}
              for a, annotation in versions.items()}
    units = []
    for key in sorted(set().union(*values.values())):
        votes = {a: values[a].get(key) for a in versions}
        spans = [span for vote in votes.values() if vote is not None for span in vote[1]]
        holder, target, rank = key
        item = f"{_show_ref(holder)} → {_show_ref(target)}" + (f" #{rank}" if rank > 1 else "")
        units.append(Unit("stance", key, min(s for s, _ in spans), max(e for _, e in spans), item, votes))
    return units


def _stance_value(stance: Stance) -> tuple:
    return stance.polarity, tuple(sorted((q.start, q.end) for q in stance.evidence)), stance.scope, stance.reported


_KIND_ORDER = tuple(KINDS)


def collect_units(versions: Mapping[str, Annotation], text: str) -> list[Unit]:
    """Every unit of every kind, in text order (outer spans first), then kind, then item."""
    units = [*span_units(versions, text), *qid_units(versions), *stance_units(versions)]
    return sorted(units, key=lambda u: (u.start is None, u.start or 0, -(u.end or 0), _KIND_ORDER.index(u.kind),
                                        u.item, u.key))
