"""doccano JSON Lines exports: sequence labelling and relation projects, read into ToolDocuments.

One JSON object a line, in either of doccano's two shapes::

    {"id": 7, "text": "Paris et Moscou", "label": [[0, 5, "GPE"], [9, 15, "GPE"]]}
    {"id": 8, "text": "...", "entities": [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 6}, ...],
     "relations": [{"id": 3, "from_id": 1, "to_id": 2, "type": "FAVOR"}]}

``labels`` is accepted for ``label``. Offsets are read as code points into ``text``
(what doccano's Python backend stores); doccano stores no span text, so a span is checked
against ``text`` only. A relation becomes a :class:`ToolStance` holder=``from_id``,
target=``to_id``, polarity=the raw ``type``, for :func:`to_annotation` to map.

The document id is, in order: ``doc_id`` (a field the project was imported with, top level
or under ``meta``), doccano's own ``id``, else ``<file stem>-L<line number>``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from chronique.errors import Finding, FindingLog, UsageError
from chronique.interop.base import LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.jsonfiles import JsonFileError, parse_json
from chronique.schema import POLARITIES

_HINT = "see doccano's JSONL export: {\"text\": ..., \"label\": [[start, end, \"TYPE\"], ...]} or entities/relations"


@dataclass(frozen=True)
class _Line:
    """One line being read: where it is, and how to report a problem there."""

    path: str
    number: int
    log: FindingLog

    def problem(self, check_id: str, message: str, hint: str = _HINT, severity: str = "error") -> None:
        self.log.add(Finding(check_id, message, self.path, self.number, severity=severity, hint=hint))


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


def _stances(where: _Line, items: object, mapping: LabelMapping | None, skipped: Counter) -> list[ToolStance]:
    """``[{"id", "from_id", "to_id", "type"}, ...]`` → ToolStances; with ``mapping``, non-stance labels are counted."""
    if not isinstance(items, list):
        where.problem("import.doccano.relation", f"'relations' must be a list of objects, found {type(items).__name__}")
        return []
    stances = []
    for index, item in enumerate(items, start=1):
        fields = [item.get(key) for key in ("from_id", "to_id", "type")] if isinstance(item, dict) else [None]
        if None in fields or not isinstance(fields[2], str):
            where.problem("import.doccano.relation", f"relation {index}: expected an object with from_id, to_id and "
                          f"type, found {item!r}")
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


def _document(record: dict, path: Path, where: _Line, mapping: LabelMapping | None, skipped: Counter) -> ToolDocument:
    text = record["text"]
    if "entities" in record:
        spans = _entity_spans(where, text, record["entities"])
    else:
        spans = _labelled_spans(where, text, record.get("label", record.get("labels", [])))
    stances = _stances(where, record.get("relations", []), mapping, skipped)
    annotator = record.get("annotator") if isinstance(record.get("annotator"), str) else None
    return ToolDocument(_doc_id(record, path, where.number), text, tuple(spans), where.path, tuple(stances),
                        annotator=annotator, line=where.number)


def read_doccano(path: Path, *, log: FindingLog, mapping: LabelMapping | None = None) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per non-blank line of a doccano JSONL export.

    A line that is not a JSON object with a string ``text``, a malformed span or relation,
    or a document id seen before is an error finding at ``path:line``; the rest of the file
    is still read. With ``mapping``, relations whose type is not one of its polarities (or a
    polarity name) are not stances: they are counted in one warning.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: not a file; expected a doccano JSONL export")
    shown, seen, skipped = path.as_posix(), {}, Counter()
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
            document = _document(record, path, where, mapping, skipped)
            if document.doc_id in seen:
                where.problem("import.doccano.duplicate-id", f"document id {document.doc_id!r} already used on line "
                              f"{seen[document.doc_id]}", hint="give every line its own id or doc_id")
                continue
            seen[document.doc_id] = number
            yield document
    if skipped:
        listed = ", ".join(f"{label} ×{n}" for label, n in sorted(skipped.items()))
        log.add(Finding("import.doccano.relation", f"{sum(skipped.values())} relations are not stances and were not "
                        f"imported ({listed})", shown, severity="warning",
                        hint=f"map their types under \"polarities\" in {mapping.path} if they are stances"))
