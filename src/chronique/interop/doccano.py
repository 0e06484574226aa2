"""doccano JSON Lines exports: sequence labelling and relation projects, read into ToolDocuments.

One JSON object a line, in one of three shapes, told apart by the key that holds the spans::

    {"id": 7, "text": "Paris et Moscou", "label": [[0, 5, "GPE"], [9, 15, "GPE"]]}
    {"id": 8, "text": "...", "entities": [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 6}, ...],
     "relations": [{"id": 3, "from_id": 1, "to_id": 2, "type": "FAVOR"}]}
    {"id": 9, "text": "...", "annotations": [{"id": 4, "label": 3, "start_offset": 0, "end_offset": 6, "user": 1}]}

``labels`` is accepted for ``label``. The third shape is doccano 1.x's export: ``label`` is
a label id (a number) or a name. A number becomes the label ``"3"``, so the mapping file maps
ids to types (``{"labels": {"3": "PER"}}``) and an id it lacks is the usual
``import.label.unknown`` error. Its ``user`` (a number) names the annotator
``doccano-user-<n>``; a line annotated by several users is read as one document per user, to
import as annotator versions (``--as-version``): their spans are never merged.

Offsets are read as code points into ``text`` (what doccano's Python backend stores); doccano
stores no span text, so a span is checked against ``text`` only. A relation becomes a
:class:`ToolStance` holder=``from_id``, target=``to_id``, polarity=the raw ``type``, for
:func:`to_annotation` to map.

A line of an unknown shape is an ``import.doccano.shape`` error, never a document with its
spans left behind: spans under two of the keys above, or anything else that holds what look
like spans (a list of ``[start, end, ...]`` or of objects with offsets, at the top level or
one object down; ``meta`` is the project's own and is not searched). A malformed item of a
known list is an ``import.doccano.span`` error. A line with only ``text`` (and metadata) is
a document without mentions; the lines of a file that hold no span key at all are listed in
one warning, since an export of an unannotated text still writes an empty ``label`` list.

The document id is, in order: ``doc_id`` (a field the project was imported with, top level
or under ``meta``), doccano's own ``id``, else ``<file stem>-L<line number>``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, Severity, UsageError
from chronique.interop.base import LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.store.jsonfiles import JsonFileError, parse_json
from chronique.schema import POLARITIES

_HINT = ("see doccano's JSONL export: {\"text\": ..., \"label\": [[start, end, \"TYPE\"], ...]}, or \"entities\": "
         "[{\"id\", \"label\", \"start_offset\", \"end_offset\"}, ...] with \"relations\", or \"annotations\": "
         "[{\"label\": <id>, \"start_offset\", \"end_offset\", \"user\"}, ...]")
_SPAN_KEYS = ("label", "labels", "entities", "annotations")
_NOT_SEARCHED = frozenset({*_SPAN_KEYS, "relations", "text", "meta"})  # known, or the project's own metadata
_OFFSET_KEYS = frozenset({"start_offset", "end_offset", "start", "end", "begin", "startOffset", "endOffset"})


@dataclass(frozen=True)
class _Line:
    """One line being read: where it is, and how to report a problem there."""

    path: str
    number: int
    log: FindingLog

    def problem(self, check_id: str, message: str, hint: str = _HINT, severity: Severity | None = None) -> None:
        """A finding at this line; ``severity`` only for an id the catalogue leaves to the caller."""
        self.log.add(finding(check_id, message, self.path, self.number, severity=severity, hint=hint))


def _is_offset(value: object) -> bool:
    return type(value) is int  # bool is an int subclass, and true/false are not offsets


def _checked_span(where: _Line, text: str, span_id: str, start: object, end: object, label: object) -> ToolSpan | None:
    """A ToolSpan when the offsets are integers inside ``text`` with ``start < end`` and the label a string."""
    if not (_is_offset(start) and _is_offset(end) and isinstance(label, str) and label):
        where.problem("import.doccano.span", f"span {span_id}: expected integer offsets and a label, found "
                      f"{start!r}, {end!r}, {label!r}")
        return None
    if not 0 <= start < end <= len(text):
        where.problem("import.doccano.span", f"span {span_id} ({label}) at {start}–{end} lies outside the text "
                      f"(0–{len(text)}) or is empty", hint="fix the span in doccano and export again")
        return None
    return ToolSpan(span_id, start, end, label, None, where.number)


def _labelled_spans(where: _Line, text: str, items: object) -> list[ToolSpan]:
    """``[[start, end, "TYPE"], ...]`` (sequence labelling)."""
    if not isinstance(items, list):
        where.problem("import.doccano.span", f"'label' must be a list of [start, end, label], found {type(items).__name__}")
        return []
    spans = []
    for index, item in enumerate(items, start=1):
        if not (isinstance(item, list) and len(item) == 3):
            where.problem("import.doccano.span", f"label {index}: expected [start, end, label], found {item!r}")
            continue
        span = _checked_span(where, text, str(index), *item)
        if span is not None:
            spans.append(span)
    return spans


def _entity_spans(where: _Line, text: str, items: object) -> list[ToolSpan]:
    """``[{"id", "label", "start_offset", "end_offset"}, ...]`` (relation projects); ids must be unique."""
    if not isinstance(items, list):
        where.problem("import.doccano.span", f"'entities' must be a list of objects, found {type(items).__name__}")
        return []
    spans, seen = [], set()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "id" not in item:
            where.problem("import.doccano.span", f"entity {index}: expected an object with id, label, start_offset, "
                          f"end_offset, found {item!r}")
            continue
        span_id = str(item["id"])
        if span_id in seen:
            where.problem("import.doccano.span", f"entity id {span_id} appears twice")
            continue
        seen.add(span_id)
        span = _checked_span(where, text, span_id, item.get("start_offset"), item.get("end_offset"), item.get("label"))
        if span is not None:
            spans.append(span)
    return spans


def _annotation_spans(where: _Line, text: str, items: object) -> dict[object, list[ToolSpan]]:
    """``[{"label", "start_offset", "end_offset", "user"?, "id"?}, ...]`` (doccano 1.x) → spans by ``user``.

    A numeric label (doccano's label id) becomes its string: the mapping file maps ``"3"``, not 3.
    ``user`` may be missing (the key None), a number or a name; ids, when given, must be unique.
    """
    if not isinstance(items, list):
        where.problem("import.doccano.span", f"'annotations' must be a list of objects, found {type(items).__name__}")
        return {}
    by_user: dict[object, list[ToolSpan]] = {}
    seen = set()
    for index, item in enumerate(items, start=1):
        if not (isinstance(item, dict) and {"label", "start_offset", "end_offset"} <= item.keys()):
            where.problem("import.doccano.span", f"annotation {index}: expected an object with label, start_offset and "
                          f"end_offset, found {item!r}")
            continue
        span_id, user, label = str(item.get("id", index)), item.get("user"), item["label"]
        if span_id in seen:
            where.problem("import.doccano.span", f"annotation id {span_id} appears twice")
            continue
        seen.add(span_id)
        if not (user is None or type(user) is int or (isinstance(user, str) and user)):
            where.problem("import.doccano.span", f"annotation {span_id}: 'user' must be a user id or name, found {user!r}")
            continue
        label = str(label) if type(label) is int else label  # a label id; bool is not one
        span = _checked_span(where, text, span_id, item["start_offset"], item["end_offset"], label)
        if span is not None:
            by_user.setdefault(user, []).append(span)
    return by_user


def _user_name(user: object) -> str | None:
    """The annotator a doccano user stands for: ``doccano-user-<id>`` for a number, a name as it is."""
    return f"doccano-user-{user}" if type(user) is int else user


def _stances(where: _Line, items: object, mapping: LabelMapping | None, skipped: Counter) -> list[ToolStance]:
    """``[{"id", "from_id", "to_id", "type"}, ...]`` → ToolStances; with ``mapping``, non-stance labels are counted."""
    if not isinstance(items, list):
        where.problem("import.doccano.relation", f"'relations' must be a list of objects, found {type(items).__name__}",
                      severity="error")
        return []
    stances = []
    for index, item in enumerate(items, start=1):
        fields = [item.get(key) for key in ("from_id", "to_id", "type")] if isinstance(item, dict) else [None]
        if None in fields or not isinstance(fields[2], str):
            where.problem("import.doccano.relation", f"relation {index}: expected an object with from_id, to_id and "
                          f"type, found {item!r}", severity="error")
            continue
        holder, target, label = fields
        if mapping is not None and label not in mapping.polarities and label not in POLARITIES:
            skipped[label] += 1
            continue
        stances.append(ToolStance(str(item.get("id", index)), str(holder), str(target), label, line=where.number))
    return stances


def _doc_id(record: dict, path: Path, number: int) -> str:
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    for value in (record.get("doc_id"), meta.get("doc_id"), record.get("id")):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return f"{path.stem}-L{number}"


def _record(raw: bytes, where: _Line) -> dict | None:
    """The JSON object of a line with a string ``text``, or None after a located finding."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        where.problem("import.doccano.encoding", f"not UTF-8: {error.reason} at byte {error.start} of the line",
                      hint="save the file as UTF-8")
        return None
    try:
        record = parse_json(text, where.path, check="import.doccano.json", line=where.number, hint=_HINT)
    except JsonFileError as error:  # invalid, or nested deeper than any doccano record
        where.log.extend(replace(f, col=None) for f in error.findings)  # located by line, as every finding here
        return None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        where.problem("import.doccano.text", f"expected an object with a string 'text', found "
                      f"{type(record).__name__}{'' if not isinstance(record, dict) else ' without one'}")
        return None
    return record


def _looks_like_spans(value: object, depth: int = 2) -> bool:
    """A list holding ``[start, end, ...]`` or an object with an offset key, in ``value`` or (depth 2) one object down."""
    if isinstance(value, list):
        return any((isinstance(item, list) and len(item) >= 2 and all(_is_offset(v) for v in item[:2]))
                   or (isinstance(item, dict) and not _OFFSET_KEYS.isdisjoint(item)) for item in value)
    return depth > 1 and isinstance(value, dict) and any(_looks_like_spans(v, depth - 1) for v in value.values())


def _span_key(record: dict, where: _Line) -> str | None:
    """The key that holds the line's spans, ``""`` when it has none, or None after an ``import.doccano.shape`` error.

    Two span keys that both hold something, or what looks like spans under any other key (``meta``
    excepted), is a shape this reader does not know: reading the line anyway would leave spans behind.
    """
    present = [key for key in _SPAN_KEYS if key in record]
    filled = [key for key in present if record[key] != []]
    unknown = [key for key, value in record.items() if key not in _NOT_SEARCHED and _looks_like_spans(value)]
    if len(filled) > 1:
        where.problem("import.doccano.shape", f"spans under both {filled[0]!r} and {filled[1]!r}: a line holds one "
                      "shape, and reading one of them would leave the other behind")
        return None
    if unknown:
        where.problem("import.doccano.shape", f"{', '.join(map(repr, unknown))} {'hold' if unknown[1:] else 'holds'} "
                      f"what look like spans, in a shape this reader does not know; the spans it reads are under "
                      f"{', '.join(_SPAN_KEYS)}")
        return None
    return (filled or present or [""])[0]


def _documents(record: dict, key: str, path: Path, where: _Line, mapping: LabelMapping | None,
               skipped: Counter) -> list[ToolDocument]:
    """The line's document; for the ``annotations`` shape, one per user whose spans it holds (each user's version)."""
    text, doc_id = record["text"], _doc_id(record, path, where.number)
    if key == "entities":
        groups = {None: _entity_spans(where, text, record["entities"])}
    elif key == "annotations":
        groups = _annotation_spans(where, text, record["annotations"]) or {None: []}
    else:
        groups = {None: _labelled_spans(where, text, record.get(key, [])) if key else []}
    stances = _stances(where, record.get("relations", []), mapping, skipped)
    owner = {span.id: user for user, spans in groups.items() for span in spans}
    first = next(iter(groups))
    named = record.get("annotator") if isinstance(record.get("annotator"), str) else None
    # One user: the project's own annotator field, if any, names them; several: each is named after their user id.
    names = {user: (named or _user_name(user)) if len(groups) == 1 else (_user_name(user) or named) for user in groups}
    return [ToolDocument(doc_id, text, tuple(spans), where.path,
                         tuple(s for s in stances if owner.get(s.holder, first) == user),  # a relation goes with its from_id
                         annotator=names[user], line=where.number)
            for user, spans in groups.items()]


def read_doccano(path: Path, *, log: FindingLog, mapping: LabelMapping | None = None) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per non-blank line of a doccano JSONL export (per user, in the ``annotations`` shape).

    A line that is not a JSON object with a string ``text``, of an unknown shape, with a
    malformed span or relation, or with a document id seen before is an error finding at
    ``path:line``; the rest of the file is still read. With ``mapping``, relations whose type
    is not one of its polarities (or a polarity name) are not stances: they are counted in one
    warning. The lines without any span key are listed in one warning, and so are the label
    ids of the ``annotations`` shape that ``mapping`` lacks (each span is an error of the import).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: not a file; expected a doccano JSONL export")
    shown, seen, skipped, bare, label_ids = path.as_posix(), {}, Counter(), [], set()
    with path.open("rb") as handle:
        # Binary lines end at b"\n" only; a text-mode split would also cut at U+2028 inside a string.
        for number, raw in enumerate(handle, start=1):
            raw = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
            if not raw.strip():
                continue
            where = _Line(shown, number, log)
            record = _record(raw, where)
            if record is None:
                continue
            key = _span_key(record, where)
            if key is None:
                continue
            if not key:
                bare.append(number)
            documents = _documents(record, key, path, where, mapping, skipped)
            if key == "annotations":
                label_ids.update(s.label for d in documents for s in d.spans if s.label.isdecimal())
            doc_id = documents[0].doc_id
            if doc_id in seen:
                where.problem("import.doccano.duplicate-id", f"document id {doc_id!r} already used on line "
                              f"{seen[doc_id]}", hint="give every line its own id or doc_id")
                continue
            seen[doc_id] = number
            yield from documents
    unmapped = sorted(label_ids - set(mapping.labels), key=int) if mapping is not None else []
    if unmapped:  # each span is an import.label.unknown error already; this says where the names come from
        log.add(finding("import.doccano.label-id", f"label id{'s' if unmapped[1:] else ''} {', '.join(unmapped)} "
                        f"{'are' if unmapped[1:] else 'is'} not in the mapping "
                        f"{mapping.path}: a doccano 1.x export names each label by its id", shown,
                        hint='write a mapping file from the project\'s label settings, {"labels": {"3": "PER", ...}}, '
                        "and pass it with --mapping"))
    if bare:
        lines = ", ".join(map(str, bare[:10])) + (", …" if len(bare) > 10 else "")
        log.add(finding("import.doccano.no-spans", f"{len(bare)} line(s) hold no {', '.join(_SPAN_KEYS)} key and are "
                        f"read as documents without mentions (line{'s' if bare[1:] else ''} {lines})", shown, bare[0],
                        hint="doccano writes an empty list for an unannotated text; a line without one may come from "
                        "another tool, or hold its spans under a key this reader does not know"))
    if skipped:
        listed = ", ".join(f"{label} ×{n}" for label, n in sorted(skipped.items()))
        log.add(finding("import.doccano.relation", f"{sum(skipped.values())} relations are not stances and were not "
                        f"imported ({listed})", shown, severity="warning",
                        hint=f"map their types under \"polarities\" in {mapping.path} if they are stances"))
