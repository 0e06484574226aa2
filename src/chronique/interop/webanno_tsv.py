"""WebAnno TSV 3.x, INCEpTION's tabular export.

Which spans and relations are imported, and how offsets are converted, is shared with the
XMI reader and described in :mod:`chronique.interop.inception`. The text is rebuilt from the
``#Text=`` lines; token rows carry UTF-16 offsets, and stacked and multi-token annotations are
joined by their ``[n]`` ids (see :func:`read_webanno_tsv3`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.interop.base import DroppedSpan, LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.interop.inception import (
    SpanLayer,
    choose_span_layer,
    export_layout,
    converted_span,
    import_files,
    label_feature,
    nested_in_text_order,
    not_imported,
    read_bounded,
    relation_stance_labels,
    report_ignored_relations,
    report_unsupported_layers,
    utf16_to_codepoints,
    wikidata_qid,
)
from chronique.interop.webanno_cells import (OLD_TEXT_ESCAPES, TEXT_ESCAPES, TextBuilder, cell_value, split_id, split_stack,
                                            unescaper)

_FORMAT = re.compile(r"^#FORMAT=WebAnno TSV (?P<major>\d+)\.(?P<minor>\d+)$")
_UNIT = re.compile(r"^\d+-\d+(?:\.\d+)?$")
_OFFSETS = re.compile(r"^(\d+)-(\d+)$")


@dataclass
class _TsvLayer:
    """One ``#T_SP``/``#T_RL``/``#T_CH`` declaration and where its columns sit in a token row."""

    kind: str
    name: str
    columns: list[str]  # feature declarations; [""] for a layer without features
    start: int  # index of its first column in a token row

    def primitive(self) -> list[str]:
        """Plain feature columns: not slot roles/targets (``ROLE_…``, type names) nor relation bases (``BT_…``)."""
        return [c for c in self.columns if c and not c.startswith(("ROLE_", "BT_")) and "." not in c]

    def field(self, fields: list[str], column: str) -> str:
        return fields[self.start + self.columns.index(column)]


@dataclass(frozen=True)
class _TsvChoice:
    """A span layer, its label column (None: no plain feature) and its identifier column."""

    layer: _TsvLayer
    label: str | None
    identifier: str | None


@dataclass
class _PendingSpan:
    id: str
    begin: int  # UTF-16
    end: int
    label: str
    qid: str | None
    line: int


@dataclass
class _PendingRelation:
    layer: _TsvLayer
    label: str
    source: tuple[str, int]  # unit id, disambiguation id (0: the unit's first annotation)
    target: tuple[str, int]
    line: int


@dataclass
class _LayerSpans:
    """The spans of one span layer, joined over their rows."""

    spans: dict[tuple, _PendingSpan] = field(default_factory=dict)
    at_unit: dict[str, list[tuple]] = field(default_factory=dict)  # unit id → span keys by stacking index


@dataclass
class _TsvState:
    """What a TSV file has shown so far: text, token units, the spans of every span layer, relations."""

    builder: TextBuilder = field(default_factory=TextBuilder)
    pending_text: list[str] = field(default_factory=list)
    layers: dict[str, _LayerSpans] = field(default_factory=dict)  # span layer name → its spans
    relations: list[_PendingRelation] = field(default_factory=list)
    unused: Counter = field(default_factory=Counter)
    token: tuple[int, int] | None = None  # UTF-16 offsets of the last token row (not sub-token)
    broken_offsets: bool = False  # a row's offsets are inverted or go backwards: the file is not imported


def read_webanno_tsv3(
    path: Path,
    *,
    log: FindingLog,
    layer: str | None = None,
    feature: str | None = None,
    mapping: LabelMapping | None = None,
) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per WebAnno TSV 3.x file (``path`` or the ``*.tsv`` files of a folder).

    The text is rebuilt from the ``#Text=`` lines at the tokens' offsets (sentences that touch lose
    the format's line break, gaps become spaces, as INCEpTION does); offsets become code points.
    Multi-token spans are joined by their ``[n]`` ids, stacked values (``a|b``) are separate spans,
    sub-token rows (``1-2.1``) carry their own offsets, and escaped characters are restored. The
    document id is the file stem, except in INCEpTION's export layout (``<document>.<ext>/<user>.tsv``,
    :func:`~chronique.interop.inception.export_layout`), where it is the folder's name and the user is the
    annotator. ``layer``/``feature``/``mapping`` as for :func:`read_inception_xmi`: every ``#T_SP``
    layer is read, and the one imported is chosen once its spans and labels are known.
    A token row whose offsets are inverted or go back into the token before it (or a sub-token
    outside its token) is an ``import.tsv.offsets`` error, and that file yields no document.
    """
    mapping = mapping or LabelMapping.identity()
    stance_labels = relation_stance_labels(mapping)
    for file in import_files(path, ".tsv", log):
        document = _read_tsv_file(file, layer, feature, mapping, stance_labels, log)
        if document is not None:
            yield document


def _tsv_lines(file: Path, shown: str, log: FindingLog) -> list[str] | None:
    data = read_bounded(file, shown, log)
    if data is None:
        return None
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        log.add(finding("import.file.encoding", f"not valid UTF-8 at byte {error.start}", shown,
                        hint="WebAnno TSV is UTF-8; export the document again"))
        return None
    # Only \n separates lines: str.splitlines would also split at characters the #Text lines keep as is.
    return [line.removesuffix("\r") for line in text.split("\n")]


def _tsv_header(lines: list[str], shown: str, log: FindingLog) -> tuple[tuple[int, int], list[_TsvLayer]] | None:
    """The format version and the layer declarations; None, with a finding, when this is not TSV 3.x."""
    match = _FORMAT.match(lines[0]) if lines else None
    if match is None or match["major"] != "3":
        log.add(finding("import.tsv.format", f"expected '#FORMAT=WebAnno TSV 3.x' on line 1, found "
                        f"{(lines or [''])[0][:60]!r}", shown, 1, hint="export as WebAnno TSV v3"))
        return None
    layers, start = [], 3  # a token row starts with id, offsets and token text
    for line in lines[1:]:
        if not line.startswith("#T_"):
            break
        kind, _, declaration = line[3:].partition("=")
        # Empty parts are dropped, as INCEpTION does: "SimpleSpan|" is a layer without features.
        name, *columns = [part for part in declaration.split("|") if part] or ["(unnamed)"]
        layers.append(_TsvLayer(kind, name, columns or [""], start))
        start += len(columns or [""])
    return (int(match["major"]), int(match["minor"])), layers


def _span_readers(layers: list[_TsvLayer], feature: str | None) -> dict[str, _TsvChoice]:
    """How to read each ``#T_SP`` layer: ``feature`` where the layer has it, else its label feature."""
    readers = {}
    for current in (l for l in layers if l.kind == "SP"):
        primitive = current.primitive()
        label = feature if feature in primitive else label_feature(primitive)
        readers[current.name] = _TsvChoice(current, label, "identifier" if "identifier" in primitive else None)
    return readers


def _requested_layer(layers: list[_TsvLayer], layer: str | None, feature: str | None, shown: str,
                     log: FindingLog) -> bool:
    """False, with an ``import.layer.unknown`` error, when the header has no span layer ``layer`` with ``feature``."""
    spans = [l for l in layers if l.kind == "SP" and (layer is None or l.name == layer)]
    if (spans or layer is None) and (feature is None or any(feature in l.primitive() for l in spans)):
        return True
    log.add(finding("import.layer.unknown", (f"no span layer {layer!r}" if layer else "no span layer")
                    + (f" with feature {feature!r}" if feature else "") + " in the header", shown, 2,
                    hint="check the #T_SP= lines, and --layer TYPE and --feature NAME"))
    return False


def _choose_tsv_layer(readers: dict[str, _TsvChoice], state: _TsvState, layer: str | None, feature: str | None,
                      requested: bool, mapping: LabelMapping, shown: str, log: FindingLog) -> _TsvChoice | None:
    """The span layer to import: ``layer``, else the one :func:`choose_span_layer` picks; None when there is none
    (or when the layer or feature asked for is not in the header: not ``requested``).

    The span layers with annotations that are not imported are reported, in the choice's note or
    (with ``layer``, or without a choice) one ``import.layer.unsupported`` warning each.
    """
    stats = [SpanLayer(name, Counter(p.label for p in state.layers.get(name, _LayerSpans()).spans.values()),
                       reader.label is not None and (feature is None or reader.label == feature), rank)
             for rank, (name, reader) in enumerate(readers.items())]
    if not requested or layer is not None:
        chosen = readers.get(layer) if requested else None
    else:
        picked = choose_span_layer(stats, mapping, shown, log)
        chosen = readers[picked.name] if picked else None
        if picked is None and (any(s.annotations for s in stats) or not any(s.choosable for s in stats)):
            log.add(finding("import.layer.none", "no span layer with a feature column has annotations", shown, 2,
                            hint="pass --layer TYPE to choose the span layer"))
    if layer is not None or chosen is None:
        report_unsupported_layers(Counter({s.name: s.annotations for s in stats if s.annotations and
                                           (chosen is None or s.name != chosen.layer.name)}), shown, log, spans=True)
    return chosen


def _read_tsv_file(file: Path, layer: str | None, feature: str | None, mapping: LabelMapping,
                   stance_labels: frozenset[str], log: FindingLog) -> ToolDocument | None:
    shown = file.as_posix()
    lines = _tsv_lines(file, shown, log)
    header = _tsv_header(lines, shown, log) if lines is not None else None
    if header is None:
        return None
    version, layers = header
    requested = _requested_layer(layers, layer, feature, shown, log)
    readers = _span_readers(layers, feature)
    unescape_text = unescaper(TEXT_ESCAPES) if version[1] >= 2 else unescaper(OLD_TEXT_ESCAPES, java_unicode=True)
    width = 3 + sum(len(l.columns) for l in layers)
    state = _TsvState()
    for number, line in enumerate(lines[1 + len(layers) :], start=2 + len(layers)):
        if line.startswith("#Text="):
            state.pending_text.append(unescape_text(line[len("#Text=") :]))
        elif line and not line.startswith("#"):
            _tsv_row(line.split("\t"), number, width, layers, readers, state, shown, log)
    if state.pending_text:  # a last sentence without token rows still belongs to the text
        state.builder.add_sentence("\n".join(state.pending_text), state.builder.units)
    if state.broken_offsets:
        return None  # spans joined over such rows would silently lose or gain tokens
    text = state.builder.text()
    chosen = _choose_tsv_layer(readers, state, layer, feature, requested, mapping, shown, log)
    dropped: list[DroppedSpan] = []
    spans = _tsv_spans(state, chosen, utf16_to_codepoints(text), dropped, shown, log)
    stances = _tsv_stances(state, chosen, stance_labels, shown, log)
    report_unsupported_layers(state.unused, shown, log)
    doc_id, user = export_layout(file)
    return ToolDocument(doc_id or file.stem, text, nested_in_text_order(spans), shown, tuple(stances), annotator=user,
                        line=1, dropped=tuple(dropped))


def _tsv_row(fields: list[str], number: int, width: int, layers: list[_TsvLayer], readers: dict[str, _TsvChoice],
             state: _TsvState, shown: str, log: FindingLog) -> None:
    """One token or sub-token row: place its sentence's text if it opens one, then read its columns."""
    offsets = _OFFSETS.match(fields[1]) if len(fields) >= width else None
    if offsets is None or not _UNIT.match(fields[0]):
        log.add(finding("import.tsv.malformed", f"expected a token row of {width} tab-separated fields "
                        f"(id, begin-end, token, …), found {len(fields)}: {fields[0][:40]!r}", shown, number,
                        hint="the file was edited by hand or truncated; export it again"))
        return
    unit, begin, end = fields[0], int(offsets[1]), int(offsets[2])
    problem = _offsets_problem(unit, begin, end, state)
    if problem:
        state.broken_offsets = True
        log.add(finding("import.tsv.offsets", f"token {unit} at {begin}-{end}: {problem}; nothing of this file is "
                        "imported", shown, number, hint="the file was edited by hand or damaged; export it again"))
        return
    if state.pending_text:
        if not state.builder.add_sentence("\n".join(state.pending_text), begin):
            log.add(finding("import.tsv.offsets", f"sentence starts at offset {begin}, inside the text before it",
                            shown, number, hint="the offsets do not match the #Text lines; export again"))
        state.pending_text = []
    for current in layers:
        values = fields[current.start : current.start + len(current.columns)]
        if all(value == "_" for value in values):
            continue
        if current.kind == "SP" and readers[current.name].layer is current:
            _add_spans(fields, unit, begin, end, number, readers[current.name],
                       state.layers.setdefault(current.name, _LayerSpans()))
        elif current.kind == "RL" and any(c.startswith("BT_") for c in current.columns):
            _add_relations(fields, unit, number, current, state)
        else:
            state.unused[current.name] += 1


def _offsets_problem(unit: str, begin: int, end: int, state: _TsvState) -> str | None:
    """Why a row's offsets cannot be right, or None; the last token row's offsets are updated.

    Token rows run forward through the text (each starts at or after the end of the one before);
    a sub-token row (``1-2.1``) lies inside its token. A multi-token span is joined from the rows
    of its ``[n]`` id by their first begin and last end, so one inverted or backward row would
    shrink or stretch it without a trace.
    """
    if end < begin:
        return "the end offset is before the begin offset"
    if "." in unit:
        if state.token is None or not state.token[0] <= begin <= end <= state.token[1]:
            return f"a sub-token must lie inside its token {state.token[0]}-{state.token[1]}" if state.token else \
                "a sub-token row comes before any token row"
        return None
    if state.token is not None and begin < state.token[1]:
        return f"it starts before the end of the token before it ({state.token[0]}-{state.token[1]})"
    state.token = (begin, end)
    return None


def _add_spans(fields: list[str], unit: str, begin: int, end: int, number: int, chosen: _TsvChoice,
               state: _LayerSpans) -> None:
    """Each stacked value starts a span or, through its ``[n]`` id, extends one seen on an earlier unit."""
    layer = chosen.layer
    identifiers = split_stack(layer.field(fields, chosen.identifier)) if chosen.identifier else []
    keys = state.at_unit.setdefault(unit, [])
    # Without a plain feature, the first column (a placeholder or slot role) only says a span is there.
    for index, raw in enumerate(split_stack(layer.field(fields, chosen.label or layer.columns[0]))):
        value, tag = split_id(raw)
        key = ("id", tag) if tag and tag.isdigit() else ("unit", unit, index)
        span = state.spans.get(key)
        if span is None:
            identifier = cell_value(split_id(identifiers[index])[0]) if index < len(identifiers) else ""
            span_id = f"{unit}[{tag}]" if key[0] == "id" else f"{unit}:{index}"
            label = cell_value(value) if chosen.label else ""
            state.spans[key] = _PendingSpan(span_id, begin, end, label, wikidata_qid(identifier), number)
        else:
            span.begin, span.end = min(span.begin, begin), max(span.end, end)
        keys.append(key)


def _add_relations(fields: list[str], unit: str, number: int, layer: _TsvLayer, state: _TsvState) -> None:
    """Relations sit on their target's row; the ``BT_`` column names the source: ``1-2[3_4]`` (source, target ids)."""
    base = next(c for c in layer.columns if c.startswith("BT_"))
    primitive = layer.primitive()
    label_column = label_feature(primitive)
    labels = split_stack(layer.field(fields, label_column)) if label_column else []
    for index, raw in enumerate(split_stack(layer.field(fields, base))):
        source, tag = split_id(raw)
        ids = tag.split("_") if tag else ["0", "0"]
        source_id, target_id = (int(i) if i.isdigit() else 0 for i in (ids + ["0", "0"])[:2])
        label = cell_value(split_id(labels[index])[0]) if index < len(labels) else ""
        state.relations.append(_PendingRelation(layer, label, (source, source_id), (unit, target_id), number))


def _tsv_spans(state: _TsvState, chosen: _TsvChoice | None, offsets: dict[int, int], dropped: list[DroppedSpan],
               shown: str, log: FindingLog) -> list[ToolSpan]:
    """The chosen layer's spans in code points; every span of the other layers goes to ``dropped``."""
    spans = []
    for name, layer_spans in state.layers.items():
        if chosen is None or name != chosen.layer.name:
            dropped.extend(DroppedSpan(p.id, not_imported(name), p.line) for p in layer_spans.spans.values())
            continue
        for pending in layer_spans.spans.values():
            place = converted_span(pending.id, pending.begin, pending.end, offsets, shown, pending.line, log, dropped)
            if place is not None:
                spans.append(ToolSpan(pending.id, *place, pending.label, line=pending.line, qid=pending.qid))
    return spans


def _resolve(spans: _LayerSpans, reference: tuple[str, int]) -> str:
    """The span id a relation end names: by ``[n]`` id, else the first span on that unit (as INCEpTION does)."""
    unit, tag = reference
    key = ("id", str(tag)) if tag > 0 else next(iter(spans.at_unit.get(unit, [])), None)
    span = spans.spans.get(key)
    return span.id if span else f"{unit}[{tag}] (not a span of the imported layer)"


def _tsv_stances(state: _TsvState, chosen: _TsvChoice | None, stance_labels: frozenset[str], shown: str,
                 log: FindingLog) -> list[ToolStance]:
    stances, ignored = [], {}
    for number, relation in enumerate(state.relations, start=1):
        base = next(c for c in relation.layer.columns if c.startswith("BT_")).removeprefix("BT_")
        if relation.label not in stance_labels:
            ignored.setdefault(relation.layer.name, Counter())[relation.label] += 1
            continue
        on_layer = chosen is not None and base == chosen.layer.name
        layer_spans = state.layers.get(base, _LayerSpans())
        holder, target = ((_resolve(layer_spans, r) if on_layer else f"{r[0]} ({base})") for r in
                          (relation.source, relation.target))
        stances.append(ToolStance(f"r{number}", holder, target, relation.label, line=relation.line))
    report_ignored_relations(ignored, shown, log)
    return stances
