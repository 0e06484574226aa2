"""INCEpTION and WebAnno imports: what the UIMA CAS XMI and the WebAnno TSV 3.x readers share.

Both formats count offsets in UTF-16 code units, as Java does. :func:`utf16_to_codepoints`
turns them into the code points that Python and :mod:`chronique.interop.base` use, so an
emoji (two units, one code point) does not shift every span after it.

**Which spans are imported.** One span layer per document:

* ``layer=`` (and optionally ``feature=``) when given;
* else the DKPro Core ``NamedEntity`` layer, when the document has it (XMI) or declares it
  (TSV): label = feature ``value``, and ``identifier`` becomes ``ToolSpan.qid`` when it is a
  Wikidata QID or entity IRI;
* else, in XMI, the first custom span layer (``webanno.custom.*`` or ``custom.*``, by name)
  that has a string feature; in TSV, the first ``#T_SP`` layer (header order) with a feature
  column.

A span layer's label is its ``value`` feature when it has one, else its first string feature;
a span without a value gets the label ``""`` (map it, or map it to IGNORE). Nesting is made
explicit: a span strictly inside another one names the smallest such span as ``parent``.
Zero-width spans cannot be mentions and are reported (``import.span.empty``). Every other layer
with annotations is reported once per document (``import.layer.unsupported``, a warning).

**Relations** (XMI types with ``Governor``/``Dependent`` features; TSV ``#T_RL`` layers)
become :class:`ToolStance` records (Governor → holder, Dependent → target) only when their
label is a polarity: FAVOR, AGAINST, NEUTRAL, or a key of ``mapping.polarities`` (which
:func:`~chronique.interop.base.to_annotation` then maps, IGNORE included). The others are counted
in one ``import.relation.ignored`` warning per layer and document.

The XMI reader is :mod:`chronique.interop.xmi`, the TSV reader :mod:`chronique.interop.webanno_tsv`;
this module holds what they share.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from chronique.errors import Finding, FindingLog
from chronique.interop.base import LabelMapping, ToolSpan
from chronique.interop.folders import folder_files
from chronique.interop.nesting import with_parents
from chronique.schema import POLARITIES

NAMED_ENTITY = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
MAX_IMPORT_BYTES = 64 * 1024 * 1024
_QID = re.compile(r"^(?:https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q[1-9][0-9]*)$")


def utf16_to_codepoints(text: str) -> dict[int, int]:
    """Every UTF-16 offset on a character boundary of ``text`` → the code-point offset there.

    ``utf16_to_codepoints("a😊b") == {0: 0, 1: 1, 3: 2, 4: 3}``: the emoji takes two units, and
    offset 2, inside it, is absent, so a caller reports such an offset instead of cutting a character.
    """
    mapping, units = {}, 0
    for index, char in enumerate(text):
        mapping[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    mapping[units] = len(text)
    return mapping


def wikidata_qid(identifier: str | None) -> str | None:
    """The QID of ``Q42`` or ``http://www.wikidata.org/entity/Q42``; None for anything else (other KBs, NIL)."""
    match = _QID.match(identifier.strip()) if identifier else None
    return match.group(1) if match else None


def relation_stance_labels(mapping: LabelMapping | None) -> frozenset[str]:
    """Relation labels that denote a stance: our polarities and the mapping's polarity keys."""
    return frozenset(POLARITIES) | frozenset(mapping.polarities if mapping else ())


def label_feature(features: Sequence[str]) -> str | None:
    """The feature holding a layer's label: ``value`` when the layer has one, else its first string feature."""
    return "value" if "value" in features else next(iter(features), None)


def nested_in_text_order(spans: Sequence[ToolSpan]) -> tuple[ToolSpan, ...]:
    """Spans in text order ``(start, -end)``, each naming its smallest container as ``parent``.

    INCEpTION stores overlapping spans side by side; our mentions need nesting explicit
    (rule in :mod:`chronique.interop.nesting`).
    """
    return tuple(sorted(with_parents(spans), key=lambda s: (s.start, -s.end)))


def converted_span(span_id: str, begin: int, end: int, offsets: dict[int, int], shown: str, line: int | None,
                   log: FindingLog) -> tuple[int, int] | None:
    """UTF-16 ``begin``/``end`` as code points; None, with a finding, when unusable or zero-width."""
    start, stop = offsets.get(begin), offsets.get(end)
    if start is None or stop is None or stop < start:
        log.add(Finding("import.span.offsets", f"span {span_id}: UTF-16 offsets {begin}–{end} do not fall on "
                        f"character boundaries of the {max(offsets)}-unit text", shown, line,
                        hint="the export is damaged or its text was changed after annotation"))
        return None
    if start == stop:
        log.add(Finding("import.span.empty", f"span {span_id} at {start} is zero-width; a mention needs text",
                        shown, line, severity="warning", hint="extend the annotation to cover its words"))
        return None
    return start, stop


def report_unsupported_layers(layers: Counter, shown: str, log: FindingLog) -> None:
    """One ``import.layer.unsupported`` warning per layer that has annotations but is not imported."""
    for name, count in sorted(layers.items()):
        log.add(Finding("import.layer.unsupported", f"layer {name}: {count} annotation(s) not imported", shown,
                        severity="warning", hint="pass layer= to import this layer instead"))


def report_ignored_relations(relations: dict[str, Counter], shown: str, log: FindingLog) -> None:
    """One ``import.relation.ignored`` warning per relation layer, with its non-stance labels counted."""
    for name, labels in sorted(relations.items()):
        shown_labels = ", ".join(f"{label!r}×{n}" for label, n in sorted(labels.items()))
        log.add(Finding("import.relation.ignored", f"layer {name}: {sum(labels.values())} relation(s) are not "
                        f"stances, their labels ({shown_labels}) are not polarities", shown, severity="warning",
                        hint="map a relation label to FAVOR, AGAINST or NEUTRAL under \"polarities\" to import it"))


CURATION_NAMES = frozenset({"CURATION_USER", "INITIAL_CAS"})
"""File stems INCEpTION and WebAnno give the curated and the initial version of a document."""


def export_layout(file: Path) -> tuple[str | None, str | None]:
    """``(document id, annotator)`` that INCEpTION's export layout gives a file, or ``(None, None)``.

    INCEpTION and WebAnno export one folder per source document, named after it with its extension
    (``annotation/report.txt/alice.tsv``), holding one file per user, or ``CURATION_USER`` for the
    curated version. There the file name is a user, not a document: the id comes from the folder,
    and the user is the annotator (none for the curation, which is nobody's own version)."""
    folder = Path(file.parent.name)
    if file.stem in CURATION_NAMES:
        return (folder.stem or None), None
    if folder.suffix and folder.stem:
        return folder.stem, file.stem
    return None, None


def import_files(path: Path, suffix: str, log: FindingLog) -> list[Path]:
    """``path`` itself, or the ``*<suffix>`` files of a folder in sorted order.

    A file of the folder that is a symbolic link out of it is refused with an ``import.file.outside``
    error and never read (:mod:`chronique.interop.folders`).
    """
    if path.is_dir():
        return folder_files(path, lambda name: Path(name).suffix.lower() == suffix, log, recursive=False)
    if not path.is_file():
        log.add(Finding("import.file.missing", "no such file or folder", path.as_posix()))
        return []
    return [path]


def read_bounded(path: Path, shown: str, log: FindingLog) -> bytes | None:
    """The file's bytes, or None with a finding when it is over :data:`MAX_IMPORT_BYTES`."""
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        log.add(Finding("import.file.size", f"file is {size:,} bytes, over the {MAX_IMPORT_BYTES:,}-byte limit",
                        shown, hint="export documents one by one"))
        return None
    return path.read_bytes()
