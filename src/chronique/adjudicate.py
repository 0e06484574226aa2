"""Adjudication: several annotators' versions of a document become its gold annotation file.

The versions are ``annotations/versions/<doc_id>/<annotator>.json`` (layout in :mod:`chronique.agreement`).
:func:`adjudicate` compares them item by item. What every annotator agrees on is accepted; every
disagreement is one line of ``annotations/versions/<doc_id>/conflicts.tsv`` for a curator to resolve.
Once every line has a resolution, the next call writes the gold ``annotations/<doc_id>.json``.

What is compared
----------------
Every item is a *unit* on which each annotator casts a value, written as in the annotator columns:

* ``mention``: a span ``(start, end)``; the value is its type and metonymy, ``GPE`` or
  ``GPE metonymic`` (``PER + ORG`` for two mentions on one span). An annotator without a mention
  there votes ``-``.
* ``entity``: a mention span; the value is the canonical name of the mention's entity, ``(none)``
  when it has none. Only annotators with a mention on the span vote.
* ``qid``: an entity (canonical name and coarse class); the value is ``Q90``, ``NIL`` or ``null``.
  Only annotators with that entity vote.
* ``stance``: a (holder, target, rank) unit as defined in :mod:`chronique.agreement`; the value is
  ``POLARITY START-END[,START-END…] SCOPE reported|unreported``, e.g.
  ``FAVOR 120-150,160-170 sentence reported``. An annotator without the record votes ``-``.

A unit whose votes are all equal is accepted. Holders and targets are matched by canonical entity
name (whitespace normalised) and coarse class, or by topic phrase. Parent containment is not voted
on separately: gold parents are recomputed from the final spans (a mention inside another gets the
smallest one containing it as ``parent_id``), so annotators agree on nesting exactly when they agree
on both spans, and a nesting disagreement is the conflict on the outer span.

``conflicts.tsv``
-----------------
UTF-8, LF, tab-separated; a header line, then one line per conflict in text order (tabs shown as
``|`` here)::

    conflict|kind|start|end|item|context|a1|a2|resolution
    c2|mention|44|50|Berlin|…Angela Merkel à ⟦Berlin⟧.⏎⏎Selon le Kremlin…|GPE|LOC|

* ``conflict``: ``c1``, ``c2``… in text order; ``kind``: mention, entity, qid or stance.
* ``start``, ``end``: the span (for a stance, from its first evidence start to its last evidence
  end over all annotators; for a qid, the entity's first mention; empty when there is none).
* ``item``: the span's text, the entity's ``name (class)``, or ``holder → target`` (``#2`` for a rank).
* ``context``: the span with up to 40 characters either side, the span in ``⟦ ⟧``, line breaks as ``⏎``.
* one column per annotator (sorted names) with that annotator's value, ``-`` when they have none.
* ``resolution``: empty until the curator writes one of: an annotator's name (take their value; for
  a mention or stance, one who has none means drop), ``drop`` (no mention, no stance, an unlinked
  mention, a null qid), or a value written like the annotator columns. A name that is also an
  annotator's name means that annotator. Every line needs a resolution, even one made moot by
  another (an entity line of a dropped mention).

Calling :func:`adjudicate` again recomputes the conflicts from the versions and rewrites the file
only if it changes; a resolution is kept while its line (kind, span, item and values) is unchanged,
and a resolution whose line no longer applies is reported (``adjudicate.stale``, a warning).

The gold file
-------------
Status ``gold``, ``annotators`` all of them, ``tool`` ``chronique adjudicate``, ``pass``
``adjudicated``. Mentions ``m1…`` are in text order ``(start, -end)``; entities ``e1…`` are rebuilt
from the kept mentions in order of first mention (then those only stances name), typed like their
first mention; stances ``s1…`` follow guidelines 9.4. The result must pass the JSON Schema and every
check in :data:`chronique.checks.DOCUMENT_CHECKS` before it is written, atomically.

While a conflict is unresolved or a resolution is invalid, no gold file is written and an existing
one is untouched. A complete adjudication writes the gold file when there is none, when the
existing one is silver, or when the existing one is itself an earlier adjudication (the versions and
``conflicts.tsv`` are its source). A gold file made any other way, or one that cannot be read, is
only replaced with ``overwrite_gold=True``; an identical one (date aside) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Literal, Mapping, Sequence

import jsonschema

from chronique.agreement import Ref, entity_class, entity_ref, load_document_versions, name_key, stance_keys, versions_folder
from chronique.annotations import annotation_schema, annotation_to_dict, dumps_annotation, quote, read_annotation
from chronique.checks import DOCUMENT_CHECKS, line_locator
from chronique.documents import is_safe_id, make_document, sha256_text
from chronique.errors import Finding, FindingLog, UsageError
from chronique.preannotate import find_articles
from chronique.readers import display_path
from chronique.records import Annotation, AnnotationProvenance, Entity, Mention, RawArticle, Stance
from chronique.schema import FINE_TYPES, POLARITIES, SCOPES

TOOL = "chronique adjudicate"
CONFLICTS_NAME = "conflicts.tsv"
CONTEXT_CHARS = 40
ABSENT = "-"
DROP = "drop"
FIXED_COLUMNS = ("conflict", "kind", "start", "end", "item", "context")
RESOLUTION = "resolution"

Outcome = Literal["pending", "adjudicated", "unchanged", "refused", "invalid"]


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


def _entities_by_ref(annotation: Annotation) -> dict[Ref, Entity]:
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
    entities = {a: _entities_by_ref(annotation) for a, annotation in versions.items()}
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


# --- conflicts.tsv --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """One line of conflicts.tsv: a unit the annotators disagree on, and the curator's resolution."""

    id: str
    unit: Unit
    shown: tuple[str, ...]  # each annotator's value as written in the file, in annotator order
    resolution: str = ""
    line: int = 0


def _cell(value: str) -> str:
    """A value safe in a TSV cell: tabs become spaces and line breaks ``⏎``."""
    return value.replace("\t", " ").replace("\r", "").replace("\n", "⏎")


def _context(text: str, start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return ""
    return _cell(f"{text[max(0, start - CONTEXT_CHARS):start]}⟦{text[start:end]}⟧{text[end:end + CONTEXT_CHARS]}")


def _offset(value: int | None) -> str:
    return "" if value is None else str(value)


def conflicts_of(units: Sequence[Unit], annotators: Sequence[str]) -> list[Conflict]:
    """The disputed units as conflicts ``c1…`` on lines 2… of the file (line 1 is the header)."""
    disputed = [unit for unit in units if not unit.agreed]
    conflicts = []
    for number, unit in enumerate(disputed, start=1):
        shown = tuple(_cell(KINDS[unit.kind].show(unit.votes[a])) if a in unit.votes else ABSENT for a in annotators)
        conflicts.append(Conflict(f"c{number}", unit, shown, line=number + 1))
    return conflicts


def conflict_line(conflict: Conflict, text: str) -> str:
    unit = conflict.unit
    cells = (conflict.id, unit.kind, _offset(unit.start), _offset(unit.end), _cell(unit.item),
             _context(text, unit.start, unit.end), *conflict.shown, _cell(conflict.resolution))
    return "\t".join(cells)


def render_conflicts(conflicts: Sequence[Conflict], annotators: Sequence[str], text: str) -> str:
    """The whole conflicts.tsv: header, then one line per conflict, LF-terminated."""
    lines = ["\t".join((*FIXED_COLUMNS, *annotators, RESOLUTION))]
    lines += [conflict_line(conflict, text) for conflict in conflicts]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ConflictLine:
    """A line of an existing conflicts.tsv, as what identifies it (``key``) and its resolution."""

    line: int
    key: tuple
    resolution: str
    short: bool = False  # the last cell was missing: fine for an empty resolution, suspicious otherwise


def _line_key(kind: str, start: str, end: str, item: str, shown: Sequence[tuple[str, str]]) -> tuple:
    return kind, start, end, item, tuple(shown)


def read_conflicts(path: Path, shown_path: str, log: FindingLog) -> list[ConflictLine] | None:
    """The lines of an existing conflicts.tsv; None, with located findings, when it is malformed.

    A line missing only its trailing empty resolution cell (an editor stripped the tab) is accepted.
    """
    try:
        lines = path.read_bytes().decode("utf-8").split("\n")
    except UnicodeDecodeError as err:
        log.add(Finding("adjudicate.conflicts-format", f"not valid UTF-8 ({err.reason})", shown_path, 1))
        return None
    header = lines[0].rstrip("\r").split("\t")
    if tuple(header[:6]) != FIXED_COLUMNS or header[-1] != RESOLUTION or len(header) < 8:
        log.add(Finding("adjudicate.conflicts-format", f"expected the header {' '.join(FIXED_COLUMNS)} <annotators…> "
                        f"{RESOLUTION}", shown_path, 1, 1, hint="delete the file to have it written again"))
        return None
    annotators, entries, valid = header[6:-1], [], True
    for number, raw in enumerate(lines[1:], start=2):
        fields = raw.rstrip("\r").split("\t")
        if not raw.strip():
            continue
        short = len(fields) == len(header) - 1
        if len(fields) != len(header) and not short:
            valid = False
            log.add(_format_finding(len(header), len(fields), shown_path, number))
            continue
        fields += [""] * short
        key = _line_key(*fields[1:5], zip(annotators, fields[6:-1]))
        entries.append(ConflictLine(number, key, fields[-1].strip(), short))
    return entries if valid else None


def _format_finding(expected: int, found: int, shown_path: str, line: int) -> Finding:
    return Finding("adjudicate.conflicts-format", f"expected {expected} tab-separated cells, found {found}", shown_path,
                   line, 1, hint="write the resolution in the last cell only, and keep the other cells as written")


def carry_resolutions(conflicts: Sequence[Conflict], previous: Sequence[ConflictLine], annotators: Sequence[str],
                      shown_path: str, log: FindingLog) -> list[Conflict]:
    """The conflicts with the resolutions of the previous file's identical lines; a lost resolution is a warning."""
    by_key = {entry.key: entry for entry in previous}
    carried, used = [], set()
    for conflict in conflicts:
        unit = conflict.unit
        key = _line_key(unit.kind, _offset(unit.start), _offset(unit.end), _cell(unit.item), zip(annotators, conflict.shown))
        entry = by_key.get(key)
        carried.append(replace(conflict, resolution=entry.resolution) if entry else conflict)
        used.add(key)
    for key, entry in by_key.items():
        if key not in used and entry.short:
            # One cell short and matching no conflict: a tab was lost inside the line, not after it.
            log.add(_format_finding(len(annotators) + 7, len(annotators) + 6, shown_path, entry.line))
        elif key not in used and entry.resolution:
            log.add(Finding("adjudicate.stale", f"the {key[0]} conflict on {key[3]!r} ({key[1]}–{key[2]}) formerly on line "
                            f"{entry.line} no longer matches the versions; its resolution {entry.resolution!r} was "
                            "dropped", shown_path, severity="warning", hint="resolve the new lines of the file"))
    return carried


def _write_atomically(path: Path, content: str) -> None:
    """Write through a temporary file in the same folder, so that a reader never sees half a file."""
    staging = path.with_name(f".{path.name}.adjudicate")
    staging.write_text(content, encoding="utf-8")
    os.replace(staging, path)


# --- resolutions --------------------------------------------------------------------------------


def resolve(conflict: Conflict, annotators: Sequence[str], text: str) -> object:
    """The value a resolution stands for; ValueError with what was expected when it stands for none."""
    unit, written = conflict.unit, conflict.resolution
    if written in annotators:
        if written in unit.votes:
            return unit.votes[written]
        raise ValueError(f"{written} has no {unit.kind} value here; choose {', '.join(unit.votes)}, {DROP} or a value")
    kind = KINDS[unit.kind]
    if written in (DROP, kind.show(kind.dropped)):  # a "-" or "(none)" copied from an annotator column means drop too
        return kind.dropped
    try:
        return kind.parse(written, text)
    except ValueError as err:
        names = ", ".join(annotators)
        raise ValueError(f"resolution {written!r} is not an annotator ({names}), {DROP!r}, or {err}") from None


def decide(units: Sequence[Unit], conflicts: Sequence[Conflict], annotators: Sequence[str], text: str,
           shown_path: str, log: FindingLog) -> tuple[dict[tuple[str, tuple], object], int]:
    """The value of every unit: the agreed one or the resolved one; and how many conflicts are unresolved.

    An unresolved line is an ``adjudicate.unresolved`` finding and an invalid one ``adjudicate.resolution``,
    each at its line of conflicts.tsv.
    """
    decisions = {(u.kind, u.key): next(iter(u.votes.values())) for u in units if u.agreed}
    unresolved = 0
    for conflict in conflicts:
        where = f"{conflict.id}: {conflict.unit.kind} {conflict.unit.item!r}"
        if not conflict.resolution:
            unresolved += 1
            log.add(Finding("adjudicate.unresolved", f"{where} has no resolution", shown_path, conflict.line,
                            hint=f"write {', '.join(annotators)}, {DROP} or a value in the {RESOLUTION} column"))
            continue
        try:
            decisions[(conflict.unit.kind, conflict.unit.key)] = resolve(conflict, annotators, text)
        except ValueError as err:
            column = conflict_line(conflict, text).rfind("\t") + 2
            log.add(Finding("adjudicate.resolution", f"{where}: {err}", shown_path, conflict.line, column))
    return decisions, unresolved


# --- the gold annotation ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kept:
    """A mention of the gold file before ids are given."""

    start: int
    end: int
    type: str
    metonymic: bool
    ref: Ref | None


def kept_mentions(units: Sequence[Unit], decisions: Mapping) -> list[_Kept]:
    """The decided mentions in ``(start, -end, type)`` order, each with the entity its span is linked to."""
    kept = []
    for unit in units:
        if unit.kind != "mention":
            continue
        name = decisions.get(("entity", unit.key))
        for fine_type, metonymic in decisions[("mention", unit.key)]:
            ref = ("entity", name, entity_class(fine_type)) if name else None
            kept.append(_Kept(*unit.key, fine_type, metonymic, ref))
    return sorted(kept, key=lambda m: (m.start, -m.end, m.type))


def kept_stances(units: Sequence[Unit], decisions: Mapping) -> list[tuple[Ref, Ref, tuple]]:
    """``(holder, target, value)`` of every decided stance."""
    return [(u.key[0], u.key[1], decisions[("stance", u.key)]) for u in units
            if u.kind == "stance" and decisions[("stance", u.key)] is not None]


def rebuild_entities(mentions: Sequence[_Kept], stances: Sequence[tuple], versions: Mapping[str, Annotation],
                     decisions: Mapping) -> dict[Ref, Entity]:
    """One entity per reference, ids ``e1…`` in order of first mention, then those only stances name.

    The type is that of the first mention (the literal type, guidelines 5), else the annotators';
    the qid is the decided one.
    """
    known: dict[Ref, Entity] = {}
    for annotator in sorted(versions):
        for ref, entity in _entities_by_ref(versions[annotator]).items():
            known.setdefault(ref, entity)
    types: dict[Ref, str] = {}
    for mention in mentions:
        if mention.ref is not None:
            types.setdefault(mention.ref, mention.type)
    for holder, target, _ in stances:
        for ref in (holder, target):
            if ref[0] == "entity" and ref not in types and ref in known:
                types[ref] = known[ref].type
    return {ref: Entity(f"e{n}", ref[1], fine_type, decisions.get(("qid", ref)))
            for n, (ref, fine_type) in enumerate(types.items(), start=1)}


def number_mentions(kept: Sequence[_Kept], entities: Mapping[Ref, Entity], text: str) -> tuple[Mention, ...]:
    """Mentions ``m1…``; the parent of each is the smallest other mention strictly containing it."""
    mentions = []
    for index, mention in enumerate(kept):
        containers = [j for j, outer in enumerate(kept) if outer.start <= mention.start and mention.end <= outer.end
                      and (outer.start, outer.end) != (mention.start, mention.end)]
        parent = min(containers, key=lambda j: (kept[j].end - kept[j].start, j)) if containers else None
        entity = entities.get(mention.ref) if mention.ref else None
        mentions.append(Mention(f"m{index + 1}", quote(text, mention.start, mention.end), mention.type,
                                entity.id if entity else None, f"m{parent + 1}" if parent is not None else None,
                                mention.metonymic))
    return tuple(mentions)


def order_stances(stances: Sequence[tuple], entities: Mapping[Ref, Entity], first_at: Mapping[Ref, int]) -> list[tuple]:
    """Guidelines 9.4: attributed records by first evidence, then target, then holder; AUTHOR
    document-level records after them, by the target's first appearance."""
    def order(record: tuple) -> tuple:
        holder, target, (polarity, spans, scope, reported) = record
        evidence_at = spans[0][0]
        target_at = first_at.get(target, evidence_at)
        if holder[0] == "author" and scope == "document":
            return 1, target_at, evidence_at, 0
        holder_number = int(entities[holder].id[1:]) if holder in entities else 0
        return 0, evidence_at, target_at, holder_number
    return sorted(stances, key=order)


def number_stances(stances: Sequence[tuple], entities: Mapping[Ref, Entity], text: str) -> tuple[Stance, ...]:
    """Stances ``s1…`` with holders and entity targets as the rebuilt entity ids.

    A reference that no entity carries is kept as written, for the checks to report.
    """
    numbered = []
    for n, (holder, target, (polarity, spans, scope, reported)) in enumerate(stances, start=1):
        holder_id = "AUTHOR" if holder[0] == "author" else entities[holder].id if holder in entities else holder[1]
        target_id = target[1] if target[0] == "topic" else entities[target].id if target in entities else target[1]
        evidence = tuple(quote(text, start, end) for start, end in spans)
        numbered.append(Stance(f"s{n}", holder_id, target_id, "topic" if target[0] == "topic" else "entity",
                               polarity, evidence, scope, reported))
    return tuple(numbered)


def _guidelines_version(versions: Mapping[str, Annotation]) -> str:
    found = {annotation.provenance.guidelines_version for annotation in versions.values()}
    return max(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def gold_annotation(doc_id: str, text: str, units: Sequence[Unit], decisions: Mapping,
                    versions: Mapping[str, Annotation], today: str) -> Annotation:
    """The adjudicated annotation of one document from every unit's decided value."""
    kept = kept_mentions(units, decisions)
    stances = kept_stances(units, decisions)
    entities = rebuild_entities(kept, stances, versions, decisions)
    first_at: dict[Ref, int] = {}
    for mention in kept:
        if mention.ref is not None:
            first_at.setdefault(mention.ref, mention.start)
    stances = order_stances(stances, entities, first_at)
    provenance = AnnotationProvenance("gold", tuple(sorted(versions)), _guidelines_version(versions), TOOL, today,
                                      "adjudicated")
    return Annotation(doc_id, sha256_text(text), provenance, number_mentions(kept, entities, text),
                      tuple(entities.values()), number_stances(stances, entities, text), f"annotations/{doc_id}.json")


def verification_findings(article: RawArticle, annotation: Annotation) -> list[Finding]:
    """What the JSON Schema and every document check say about ``annotation`` (empty when it is valid)."""
    found = []
    for error in jsonschema.Draft202012Validator(annotation_schema()).iter_errors(annotation_to_dict(annotation)):
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        found.append(Finding("L1.annotation.schema", f"{where}: {error.message}", annotation.path))
    document = make_document(article, annotation, "train")
    for check in DOCUMENT_CHECKS.values():
        found.extend(check(document, lambda key, index: None))
    return found


# --- writing ------------------------------------------------------------------------------------


def _without_date(annotation: Annotation) -> dict:
    record = annotation_to_dict(annotation)
    record["provenance"] = {k: v for k, v in record["provenance"].items() if k != "date"}
    return record


def write_gold(path: Path, annotation: Annotation, *, repo: Path, overwrite_gold: bool, log: FindingLog) -> Outcome:
    """Write the adjudicated file unless an existing one must be kept; see the module docstring."""
    if path.exists():
        existing = read_annotation(path, root=repo, log=FindingLog())
        if existing is not None and _without_date(existing) == _without_date(annotation):
            return "unchanged"
        foreign = existing is None or (existing.provenance.status == "gold" and existing.provenance.tool != TOOL)
        if foreign and not overwrite_gold:
            what = "cannot be read (it may be gold)" if existing is None else f"is gold from {existing.provenance.tool!r}"
            log.add(Finding("adjudicate.gold-exists", f"{annotation.path} {what}: the adjudication is complete but the "
                            "file is kept", annotation.path, 1, hint="pass overwrite_gold to replace it"))
            return "refused"
    _write_atomically(path, dumps_annotation(annotation_to_dict(annotation)))
    return "adjudicated"


# --- the whole step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjudicationResult:
    """What one call did.

    ``outcome``: ``pending`` (conflicts unresolved, no gold written), ``adjudicated`` (gold written),
    ``unchanged`` (the gold file already held this result), ``refused`` (an existing gold file was
    kept) or ``invalid`` (versions, conflicts.tsv, a resolution or the result are invalid; see the log).
    ``accepted`` counts the units without conflict, by kind (for ``entity`` and ``qid``, agreement
    among the annotators who have the item).
    """

    doc_id: str
    annotators: tuple[str, ...]
    outcome: Outcome
    accepted: dict[str, int]
    conflicts: int
    unresolved: int
    conflicts_path: Path | None
    gold_path: Path | None


@dataclass(frozen=True)
class _Session:
    repo: Path
    doc_id: str
    versions: dict[str, Annotation]
    article: RawArticle
    text: str

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(sorted(self.versions))

    @property
    def conflicts_path(self) -> Path:
        return versions_folder(self.repo, self.doc_id) / CONFLICTS_NAME


def open_session(repo: Path, doc_id: str, log: FindingLog) -> _Session | None:
    """The versions and text of ``doc_id``; None after logging when a version is unreadable or stale.

    Raises :class:`UsageError` for an unsafe id or fewer than two versions, and what
    :func:`chronique.preannotate.find_articles` raises when the raw article cannot be read.
    """
    if not is_safe_id(doc_id):
        raise UsageError(f"document id {doc_id!r} is not a valid id")
    errors = len(log.errors)
    versions = load_document_versions(repo, doc_id, log=log)
    if len(log.errors) > errors:
        return None
    if len(versions) < 2:
        raise UsageError(f"{doc_id} has {len(versions)} version(s) in annotations/versions/{doc_id}/; adjudication "
                         "needs two or more")
    article = find_articles([doc_id], repo)[0]
    text = make_document(article, None, "train").text
    for annotation in versions.values():
        if annotation.text_sha256 != sha256_text(text):
            line = line_locator(repo, annotation.path)("text_sha256", None)
            log.add(Finding("versions.text-hash", "text_sha256 is not that of the normalised raw text", annotation.path,
                            line, hint="the article changed since it was annotated: re-anchor this version"))
    return _Session(repo, doc_id, versions, article, text) if len(log.errors) == errors else None


def sync_conflicts(session: _Session, conflicts: list[Conflict], log: FindingLog) -> list[Conflict] | None:
    """Carry over the existing file's resolutions and write conflicts.tsv if it changes; None if the file is malformed."""
    path = session.conflicts_path
    shown = display_path(path, session.repo)
    if path.exists():
        previous = read_conflicts(path, shown, log)
        if previous is None:
            return None
        errors = len(log.errors)
        conflicts = carry_resolutions(conflicts, previous, session.annotators, shown, log)
        if len(log.errors) > errors:
            return None
    content = render_conflicts(conflicts, session.annotators, session.text)
    if not path.exists() or path.read_bytes() != content.encode("utf-8"):
        _write_atomically(path, content)
    return conflicts


def adjudicate(repo: Path, doc_id: str, *, log: FindingLog, overwrite_gold: bool = False,
               today: str | None = None) -> AdjudicationResult:
    """Compare the versions of ``doc_id``, write conflicts.tsv, and the gold file once every conflict is resolved.

    Problems go to ``log`` as located findings (``path:line: [adjudicate.unresolved] …`` per unresolved
    line); ``today`` (ISO date) defaults to the current date. See the module docstring for the rules.
    """
    repo = repo.resolve()
    session = open_session(repo, doc_id, log)
    if session is None:
        return AdjudicationResult(doc_id, (), "invalid", {}, 0, 0, None, None)
    units = collect_units(session.versions, session.text)
    accepted = {kind: sum(1 for u in units if u.kind == kind and u.agreed) for kind in KINDS}
    conflicts = sync_conflicts(session, conflicts_of(units, session.annotators), log)
    result = AdjudicationResult(doc_id, session.annotators, "invalid", accepted, 0, 0, session.conflicts_path, None)
    if conflicts is None:
        return result
    errors = len(log.errors)
    shown = display_path(session.conflicts_path, repo)
    decisions, unresolved = decide(units, conflicts, session.annotators, session.text, shown, log)
    result = replace(result, conflicts=len(conflicts), unresolved=unresolved)
    if unresolved:
        return replace(result, outcome="pending")
    if len(log.errors) > errors:
        return result
    gold = gold_annotation(doc_id, session.text, units, decisions, session.versions, today or dt.date.today().isoformat())
    problems = verification_findings(session.article, gold)
    if problems:
        log.extend(Finding(f.check_id, f"adjudicated result: {f.message}", shown, None, hint="change the resolutions")
                   for f in problems)
        return result
    path = repo / gold.path
    outcome = write_gold(path, gold, repo=repo, overwrite_gold=overwrite_gold, log=log)
    return replace(result, outcome=outcome, gold_path=path if outcome in ("adjudicated", "unchanged") else None)
