"""Chronique's own brat notes: what brat's lines cannot carry, written as JSON and read back.

brat has no place for a stance held by the author or aimed at a topic, for a stance's
evidence, scope or ``reported``, for an entity's name, nor for a cluster of mentions
without a QID. :mod:`chronique.interop.brat_export` writes each as an ``AnnotatorNotes``
line whose text is a marker and one JSON object, and :mod:`chronique.interop.brat` reads
them back, so that our own export re-imports losslessly::

    #1	AnnotatorNotes T2	chronique-stance {"id": "s1", "holder": "AUTHOR", "target": "e2", "target_kind": "entity", "polarity": "FAVOR", "scope": "sentence", "reported": false, "evidence": [[0, 21]], "holder_span": null, "target_span": "T2", "relation": null}
    #2	AnnotatorNotes T1	chronique-entity {"id": "e1", "name": "Emmanuel Macron", "spans": ["T1", "T4"]}

A stance note's ``holder`` and ``target`` are the release's entity ids, for people to read;
``holder_span`` and ``target_span`` are the ``T`` ids the importer resolves (``null`` for
an AUTHOR holder and a topic target, whose text is ``target``). ``relation`` names the
``R`` line that draws the same stance in brat, when there is one: on reading, that
relation's label and arguments win over the note's (they are what a brat user edits), and
it is not imported a second time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Iterable

from chronique.interop.base import ToolSpan, ToolStance

STANCE_NOTE = "chronique-stance"
ENTITY_NOTE = "chronique-entity"
EVIDENCE_LABEL = "evidence"


# --- writing -------------------------------------------------------------------------


def stance_note(stance: dict, *, holder_span: str | None, target_span: str | None, relation: str | None) -> str:
    """The whole stance as one line of text (a ``documents`` row's stance, spans as ``T`` ids)."""
    record = {key: stance[key] for key in ("id", "holder", "target", "target_kind", "polarity", "scope", "reported")}
    record["evidence"] = [[quote["start"], quote["end"]] for quote in stance["evidence"]]
    record |= {"holder_span": holder_span, "target_span": target_span, "relation": relation}
    return f"{STANCE_NOTE} {json.dumps(record, ensure_ascii=False)}"


def entity_note(entity: dict, spans: list[str]) -> str:
    """An entity's id, name and the ``T`` ids of its mentions, as one line of text."""
    record = {"id": entity["id"], "name": entity["name"], "spans": spans}
    return f"{ENTITY_NOTE} {json.dumps(record, ensure_ascii=False)}"


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Note:
    """One of our notes as read: the note's id (``#3``), its line, its kind and its JSON object."""

    id: str
    line: int
    kind: str
    record: dict


def note_kind(text: str) -> str | None:
    """:data:`STANCE_NOTE` or :data:`ENTITY_NOTE` when ``text`` is one of our notes, else None."""
    marker = text.split(" ", 1)[0]
    return marker if marker in (STANCE_NOTE, ENTITY_NOTE) else None


def _is_offsets(value: object) -> bool:
    return (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
            and 0 <= value[0] < value[1])


def _stance_problem(record: dict) -> str | None:
    kind = record.get("target_kind")
    if kind not in ("entity", "topic"):
        return f"target_kind is {kind!r}, expected 'entity' or 'topic'"
    if not all(isinstance(record.get(key), str) for key in ("polarity", "scope", "target")):
        return "polarity, scope and target must be strings"
    if not isinstance(record.get("reported"), bool):
        return "reported must be true or false"
    if record.get("holder") != "AUTHOR" and not isinstance(record.get("holder_span"), str):
        return "a holder other than AUTHOR needs holder_span, the T id of one of its mentions"
    if kind == "entity" and not isinstance(record.get("target_span"), str):
        return "an entity target needs target_span, the T id of one of its mentions"
    evidence = record.get("evidence")
    if not isinstance(evidence, list) or not all(_is_offsets(quote) for quote in evidence):
        return "evidence must be a list of [start, end] offsets with start < end"
    return None


def _entity_problem(record: dict) -> str | None:
    spans = record.get("spans")
    if not isinstance(record.get("name"), str) or not isinstance(record.get("id"), str):
        return "id and name must be strings"
    if not isinstance(spans, list) or not spans or not all(isinstance(span, str) for span in spans):
        return "spans must be a non-empty list of T ids"
    return None


def parse_note(note_id: str, line: int, text: str) -> Note | str:
    """One of our notes (``text`` starting with a marker of :func:`note_kind`), or what is wrong with it."""
    kind = note_kind(text)
    try:
        record = json.loads(text[len(kind) + 1 :])
    except json.JSONDecodeError as error:
        return f"its JSON does not parse: {error}"
    if not isinstance(record, dict):
        return "expected a JSON object after the marker"
    problem = _stance_problem(record) if kind == STANCE_NOTE else _entity_problem(record)
    return problem or Note(note_id, line, kind, record)


def with_entities(spans: Iterable[ToolSpan], notes: Iterable[Note]) -> list[ToolSpan]:
    """The spans, each named by an entity note carrying that note's cluster and entity name."""
    entity_of = {span_id: note.record for note in notes if note.kind == ENTITY_NOTE for span_id in note.record["spans"]}
    return [replace(span, entity=f"{ENTITY_NOTE}:{entity_of[span.id]['id']}", entity_name=entity_of[span.id]["name"])
            if span.id in entity_of else span for span in spans]


def _evidence(note: Note, text: str) -> list[ToolSpan]:
    return [ToolSpan(f"{note.id}.evidence{number}", start, end, EVIDENCE_LABEL, text[start:end], note.line)
            for number, (start, end) in enumerate(note.record["evidence"], start=1)]


def note_stances(notes: Iterable[Note], relations: list[ToolStance],
                 text: str) -> tuple[list[ToolStance], list[ToolSpan]]:
    """The relations no stance note names, then one stance per stance note; and the notes' evidence spans.

    A relation a note names lends the stance its holder, target and polarity (a brat user
    edits those on the relation) and is not a stance of its own.
    """
    relation_of = {relation.id: relation for relation in relations}
    stances, evidence, named = [], [], set()
    for note in (note for note in notes if note.kind == STANCE_NOTE):
        record = note.record
        topic = record["target_kind"] == "topic"
        spans = _evidence(note, text)
        stance = ToolStance(note.id, "AUTHOR" if record["holder"] == "AUTHOR" else record["holder_span"],
                            record["target"] if topic else record["target_span"], record["polarity"],
                            tuple(span.id for span in spans), topic, record["scope"], record["reported"], note.line)
        drawn = relation_of.get(record.get("relation"))
        if drawn is not None:
            named.add(drawn.id)
            stance = replace(stance, holder=drawn.holder, target=drawn.target, polarity=drawn.polarity)
        stances.append(stance)
        evidence += spans
    return [relation for relation in relations if relation.id not in named] + stances, evidence
