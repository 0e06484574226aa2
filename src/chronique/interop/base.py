"""What every importer and exporter shares: records, label mappings and the mismatch policy.

An importer is a generator ``(path, *, log) -> Iterator[ToolDocument]``: it reads a
tool's export and yields one :class:`ToolDocument` per document, with the tool's own
text, offsets (already converted to Unicode code points) and label names. It reports
unreadable input into ``log`` as located findings and never prints.

:func:`chronique.interop.convert.to_annotation` then turns a :class:`ToolDocument` into our
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

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.store.jsonfiles import JsonFileError, expect_type, line_of_key, parse_json, read_json_text, string_map
from chronique.schema import FINE_TYPES, POLARITIES

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
