"""INCEpTION and WebAnno imports: what the UIMA CAS XMI and the WebAnno TSV 3.x readers share.

Both formats count offsets in UTF-16 code units, as Java does. :func:`utf16_to_codepoints`
turns them into the code points that Python and :mod:`chronique.interop.base` use, so an
emoji (two units, one code point) does not shift every span after it.

**Which spans are imported.** One span layer per document:

* ``layer=`` (``--layer TYPE``), and optionally ``feature=`` (``--feature NAME``), when given;
* else, among the span layers that have annotations in the document and a feature to take
  labels from (TSV: ``#T_SP`` declarations with a feature column; XMI: the span types present
  that have a string feature, DKPro Core's ``NamedEntity`` and its subtypes counting as one),
  the layer with the most annotations whose label is a key of the mapping's ``labels``; ties go
  to ``NamedEntity``, then to the layer with the most annotations, then to the first declared
  (TSV) or the first custom layer by name (XMI). When other span layers have annotations, an
  ``import.layer.chosen`` warning names the layer imported, why, and the others with their counts.

A span layer's label is its ``value`` feature when it has one, else its first string feature;
a span without a value gets the label ``""`` (map it, or map it to IGNORE). ``NamedEntity``'s
``identifier`` becomes ``ToolSpan.qid`` when it is a Wikidata QID or entity IRI. Nesting is made
explicit: a span strictly inside another one names the smallest such span as ``parent``.

**Every span read is accounted for.** The spans of the span layers not imported, and zero-width
spans (``import.span.empty``: they cannot be mentions), go to :attr:`ToolDocument.dropped` with
their reason, so that the import's counts add up (:class:`~chronique.interop.base.ImportCounts`).
Every other layer with annotations (chains, mostly) is reported once per document
(``import.layer.unsupported``, a warning).

**Folders.** A folder is read with its subfolders, so that INCEpTION's export layout
(``curation/<document>.<ext>/CURATION_USER.xmi``, ``annotation/<document>.<ext>/<user>.tsv``)
can be given at any level (:func:`export_layout` names the documents); a folder holding no file
of the format is an ``import.folder.empty`` error naming the pattern looked for.

**Relations** (XMI types with ``Governor``/``Dependent`` features; TSV ``#T_RL`` layers)
become :class:`ToolStance` records (Governor → holder, Dependent → target) only when their
label is a polarity: FAVOR, AGAINST, NEUTRAL, or a key of ``mapping.polarities`` (which
:func:`~chronique.interop.convert.to_annotation` then maps, IGNORE included). The others are counted
in one ``import.relation.ignored`` warning per layer and document.

The XMI reader is :mod:`chronique.interop.xmi`, the TSV reader :mod:`chronique.interop.webanno_tsv`;
this module holds what they share.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.interop.base import DroppedSpan, LabelMapping, ToolSpan
from chronique.interop.folders import folder_files
from chronique.interop.nesting import with_parents
from chronique.schema import POLARITIES

NAMED_ENTITY = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
MAX_IMPORT_BYTES = 64 * 1024 * 1024
EMPTY_SPAN = "zero-width (import.span.empty)"
"""The :class:`DroppedSpan` reason of a span that covers no text."""
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
                   log: FindingLog, dropped: list[DroppedSpan] | None = None) -> tuple[int, int] | None:
    """UTF-16 ``begin``/``end`` as code points; None, with a finding, when unusable or zero-width.

    A zero-width span is only a warning, so it is also added to ``dropped`` (when given) to be counted.
    """
    start, stop = offsets.get(begin), offsets.get(end)
    if start is None or stop is None or stop < start:
        log.add(finding("import.span.offsets", f"span {span_id}: UTF-16 offsets {begin}–{end} do not fall on "
                        f"character boundaries of the {max(offsets)}-unit text", shown, line,
                        hint="the export is damaged or its text was changed after annotation"))
        return None
    if start == stop:
        log.add(finding("import.span.empty", f"span {span_id} at {start} is zero-width; a mention needs text",
                        shown, line, hint="extend the annotation to cover its words"))
        if dropped is not None:
            dropped.append(DroppedSpan(span_id, EMPTY_SPAN, line))
        return None
    return start, stop


# --- which span layer ------------------------------------------------------------------------


@dataclass(frozen=True)
class SpanLayer:
    """A span layer as the choice sees it: its annotations by label, and whether it can be chosen unasked."""

    name: str
    labels: Counter
    choosable: bool = True  # it has a feature to take labels from (and the feature asked for, if any)
    rank: int = 0  # the last tie-break, lowest first: header order (TSV), custom layers first by name (XMI)

    @property
    def annotations(self) -> int:
        return sum(self.labels.values())

    def covered(self, mapping: LabelMapping) -> int:
        """How many of its annotations have a label the mapping has an entry for."""
        return sum(count for label, count in self.labels.items() if label in mapping.labels)


def not_imported(name: str) -> str:
    """The :class:`DroppedSpan` reason of a span of a layer that is not imported."""
    return f"layer {name} not imported (pass --layer to choose it)"


def choose_span_layer(layers: Sequence[SpanLayer], mapping: LabelMapping, shown: str,
                      log: FindingLog) -> SpanLayer | None:
    """The layer to import when none was asked for (rule in the module docstring); None when no layer can be.

    When other span layers have annotations, an ``import.layer.chosen`` warning names the layer,
    why it was chosen, and the layers left out with their counts.
    """
    def score(layer: SpanLayer) -> tuple:
        return layer.covered(mapping), layer.name == NAMED_ENTITY, layer.annotations, -layer.rank

    ranked = sorted((l for l in layers if l.choosable and l.annotations), key=score, reverse=True)
    if not ranked:
        return None
    chosen, others = ranked[0], [l for l in layers if l is not ranked[0] and l.annotations]
    if others:
        log.add(finding("import.layer.chosen", f"imported span layer {chosen.name}: {_why(chosen, ranked, mapping)}; "
                        "not imported: " + ", ".join(f"{l.name} ({l.annotations} span(s), {l.covered(mapping)} with "
                                                     "labels in the mapping)" for l in others),
                        shown, hint="pass --layer TYPE to import another layer"))
    return chosen


def _why(chosen: SpanLayer, ranked: list[SpanLayer], mapping: LabelMapping) -> str:
    covered = chosen.covered(mapping)
    why = f"{covered} of its {chosen.annotations} span(s) have labels in the mapping {mapping.path}"
    runner_up = ranked[1] if len(ranked) > 1 else None
    if runner_up is None or runner_up.covered(mapping) < covered:
        return why + (", the most of any layer" if runner_up else "")
    if chosen.name == NAMED_ENTITY and runner_up.name != NAMED_ENTITY:
        return why + f", as many as {runner_up.name}, and it is DKPro Core's NamedEntity layer"
    if chosen.annotations > runner_up.annotations:
        return why + f", as many as {runner_up.name}, and it has more spans"
    return why + f", as many as {runner_up.name}, and it comes first"


def report_unsupported_layers(layers: Counter, shown: str, log: FindingLog, *, spans: bool = False) -> None:
    """One ``import.layer.unsupported`` warning per layer that has annotations but is not imported.

    ``spans`` says that these are span layers, which ``--layer`` could import instead.
    """
    hint = ("pass --layer TYPE to import this layer instead" if spans else
            "only span layers, and relations whose label is a polarity, are imported")
    for name, count in sorted(layers.items()):
        log.add(finding("import.layer.unsupported", f"layer {name}: {count} annotation(s) not imported", shown, hint=hint))


def report_ignored_relations(relations: dict[str, Counter], shown: str, log: FindingLog) -> None:
    """One ``import.relation.ignored`` warning per relation layer, with its non-stance labels counted."""
    for name, labels in sorted(relations.items()):
        shown_labels = ", ".join(f"{label!r}×{n}" for label, n in sorted(labels.items()))
        log.add(finding("import.relation.ignored", f"layer {name}: {sum(labels.values())} relation(s) are not "
                        f"stances, their labels ({shown_labels}) are not polarities", shown,
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
    """``path`` itself, or the ``*<suffix>`` files below a folder (subfolders included) in sorted order.

    Subfolders are read so that INCEpTION's export layout works from its top (``curation/``,
    ``annotation/``), see :func:`export_layout`. A folder without any such file is an
    ``import.folder.empty`` error naming the pattern, unless a refused link was the only match. A
    file of the folder that is a symbolic link out of it is refused with an ``import.file.outside``
    error and never read (:mod:`chronique.interop.folders`).
    """
    if path.is_dir():
        found_before = len(log)
        files = folder_files(path, lambda name: Path(name).suffix.lower() == suffix, log, recursive=True)
        if not files and len(log) == found_before:
            everything = folder_files(path, lambda name: True, FindingLog(), recursive=True)  # links out left out
            others = Counter(f"*{p.suffix.lower()}" if p.suffix else p.name for p in everything)
            held = ", ".join(f"{n} {pattern}" for pattern, n in others.most_common(5)) or "no file at all"
            log.add(finding("import.folder.empty", f"no *{suffix} file in this folder or its subfolders (it holds "
                            f"{held})", path.as_posix(), hint=f"pass the folder of the *{suffix} export files, or "
                            "check the import format"))
        return files
    if not path.is_file():
        log.add(finding("import.file.missing", "no such file or folder", path.as_posix()))
        return []
    return [path]


def read_bounded(path: Path, shown: str, log: FindingLog) -> bytes | None:
    """The file's bytes, or None with a finding when it is over :data:`MAX_IMPORT_BYTES`."""
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        log.add(finding("import.file.size", f"file is {size:,} bytes, over the {MAX_IMPORT_BYTES:,}-byte limit",
                        shown, hint="export documents one by one"))
        return None
    return path.read_bytes()
