"""Agreement between several annotators' versions of the same documents.

The versions are stored and read as :mod:`chronique.store.annotator_versions` describes.

Measures
--------
* **Entity F1**, per pair of annotators, per fine type and micro over all types. *Strict*: two
  mentions match when they have the same ``start``, ``end`` and ``type``. *Overlap*: same type and
  overlapping spans, matched one to one, greedily by overlap length (the longest overlap first; ties
  are broken by the two spans themselves, so that the matching does not depend on which annotator
  comes first). ``F1 = 2·matched / (n_first + n_second)``: symmetric, and ``None`` when neither
  annotator has a mention.
* **Cohen's kappa on tokens**, per pair. The normalised text is tokenised with
  :func:`chronique.text.segment.tokenize`, split at both annotators' mention edges so that every token
  lies wholly inside or outside each mention. A token's label is the type of the outermost mention
  covering it, or ``O``. Kappa is computed per document and over all tokens of all documents the
  pair shares; it is ``None`` when chance agreement is 1 (both label every token alike).
* **Krippendorff's alpha, nominal**, on stance polarity, over all annotators at once. A *unit* is
  one (document, holder, target, rank): holder and target are ``AUTHOR``, an entity named by its
  canonical name and coarse class (``("entity", "Vladimir Poutine", "PER")``), or a topic phrase;
  whitespace is normalised, nothing else. ``rank`` numbers an annotator's records for the same
  holder and target in the order of their first evidence span, so that two attitudes of one holder
  to one target are two units. FAVOR, AGAINST and NEUTRAL are coded 0, 1, 2; an annotator without
  a record for a unit gives ``np.nan``. ``krippendorff.alpha`` defaults to the *interval* level,
  which would call FAVOR–NEUTRAL a bigger disagreement than FAVOR–AGAINST, so the level is always
  passed as ``"nominal"``. Alpha is ``None`` when fewer than two distinct values are pairable.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import krippendorff
import numpy as np

from chronique.checks.document import line_locator
from chronique.store.documents import sha256_text
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.store.records import Annotation, Entity, Mention, Stance
from chronique.schema import COARSE_OF_FINE, POLARITIES
from chronique.text.segment import tokenize
from chronique.store.annotator_versions import load_texts, load_versions

OUTSIDE = "O"
POLARITY_CODES = {polarity: code for code, polarity in enumerate(POLARITIES)}

Ref = tuple[str, str, str]
"""What a stance holder or target refers to: ``(kind, name, class)``; kind is ``author``, ``entity``,
``topic`` or ``missing`` (an entity id the file does not define)."""
StanceKey = tuple[Ref, Ref, int]
"""A stance unit of one document: ``(holder, target, rank)``."""
Versions = Mapping[str, Mapping[str, Annotation]]
"""``doc_id -> annotator -> Annotation``."""


# --- entity F1 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchCounts:
    """Matched mentions and each annotator's total; F1 is ``None`` when both totals are 0."""

    matched: int = 0
    first: int = 0
    second: int = 0

    @property
    def f1(self) -> float | None:
        total = self.first + self.second
        return 2 * self.matched / total if total else None

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(self.matched + other.matched, self.first + other.first, self.second + other.second)

    def to_dict(self) -> dict:
        return {"matched": self.matched, "first": self.first, "second": self.second, "f1": self.f1}


@dataclass(frozen=True)
class SpanF1:
    """Strict and overlap matching of one slice of mentions (one type, one document, or all)."""

    strict: MatchCounts = MatchCounts()
    overlap: MatchCounts = MatchCounts()

    def __add__(self, other: SpanF1) -> SpanF1:
        return SpanF1(self.strict + other.strict, self.overlap + other.overlap)

    def to_dict(self) -> dict:
        return {"strict": self.strict.to_dict(), "overlap": self.overlap.to_dict()}


@dataclass(frozen=True)
class EntityAgreement:
    """Micro-averaged F1 over all types, and the same per fine type."""

    overall: SpanF1 = SpanF1()
    by_type: dict[str, SpanF1] = field(default_factory=dict)

    def __add__(self, other: EntityAgreement) -> EntityAgreement:
        types = sorted(set(self.by_type) | set(other.by_type))
        merged = {t: self.by_type.get(t, SpanF1()) + other.by_type.get(t, SpanF1()) for t in types}
        return EntityAgreement(self.overall + other.overall, merged)

    def to_dict(self) -> dict:
        return {**self.overall.to_dict(), "by_type": {t: s.to_dict() for t, s in self.by_type.items()}}


def strict_matches(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> int:
    """How many ``(start, end)`` spans the two lists share, each span used once."""
    return sum((Counter(first) & Counter(second)).values())


def overlap_matches(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> int:
    """One-to-one matches between overlapping spans, greedily by overlap length.

    The tie-break key is the sorted pair of spans, the same whichever list comes first, so the
    count is symmetric.
    """
    candidates = []
    for (i, a), (j, b) in itertools.product(enumerate(first), enumerate(second)):
        overlap = min(a[1], b[1]) - max(a[0], b[0])
        if overlap > 0:
            candidates.append((-overlap, tuple(sorted((a, b))), i, j))
    used_first, used_second = set(), set()
    for _, _, i, j in sorted(candidates, key=lambda c: c[:2]):
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
    return len(used_first)


def _spans_by_type(mentions: Iterable[Mention]) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mention in mentions:
        spans[mention.type].append((mention.start, mention.end))
    return spans


def entity_agreement(first: Sequence[Mention], second: Sequence[Mention]) -> EntityAgreement:
    """Strict and overlap F1 between two annotators' mentions of one document, per type and overall.

    >>> entity_agreement([], []).overall.strict.f1 is None
    True
    """
    a, b = _spans_by_type(first), _spans_by_type(second)
    by_type = {}
    for fine_type in sorted(set(a) | set(b)):
        x, y = a.get(fine_type, []), b.get(fine_type, [])
        by_type[fine_type] = SpanF1(MatchCounts(strict_matches(x, y), len(x), len(y)),
                                    MatchCounts(overlap_matches(x, y), len(x), len(y)))
    return EntityAgreement(sum(by_type.values(), SpanF1()), by_type)


# --- Cohen's kappa on tokens -------------------------------------------------------------


@dataclass(frozen=True)
class KappaScore:
    """Cohen's kappa with its observed and chance agreement over ``tokens`` tokens."""

    kappa: float | None
    observed: float | None
    expected: float | None
    tokens: int

    def to_dict(self) -> dict:
        return {"kappa": self.kappa, "observed": self.observed, "expected": self.expected, "tokens": self.tokens}


def token_labels(mentions: Sequence[Mention], tokens: Sequence[tuple[int, int]]) -> list[str]:
    """The type of the outermost mention covering each token, or ``O``.

    ``tokens`` are ``(start, end)`` in text order and must not straddle a mention edge. Mentions are
    painted innermost first, so an outer mention (earlier start, then later end) has the last word.
    """
    labels = [OUTSIDE] * len(tokens)
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    for mention in sorted(mentions, key=lambda m: (m.start, -m.end, m.type), reverse=True):
        first, last = bisect.bisect_left(starts, mention.start), bisect.bisect_right(ends, mention.end)
        for index in range(first, last):
            labels[index] = mention.type
    return labels


def pair_tokens(text: str, first: Sequence[Mention], second: Sequence[Mention]) -> list[tuple[int, int]]:
    """Tokens of ``text`` split at every mention edge of both annotators."""
    edges = {edge for m in (*first, *second) for edge in (m.start, m.end) if 0 <= edge <= len(text)}
    return [(span.start, span.end) for span in tokenize(text, boundaries=edges)]


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> KappaScore:
    """Cohen's kappa of two label sequences of the same length: ``(p_o - p_e) / (1 - p_e)``.

    ``p_e`` sums, over labels, the product of the two annotators' label proportions.
    """
    if len(first) != len(second):
        raise ValueError(f"label sequences differ in length: {len(first)} and {len(second)}")
    n = len(first)
    if n == 0:
        return KappaScore(None, None, None, 0)
    observed = sum(a == b for a, b in zip(first, second)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return KappaScore(kappa, observed, expected, n)


def document_labels(text: str, first: Sequence[Mention], second: Sequence[Mention]) -> tuple[list[str], list[str]]:
    """Both annotators' token labels over the same tokens of one document."""
    tokens = pair_tokens(text, first, second)
    return token_labels(first, tokens), token_labels(second, tokens)


# --- Krippendorff's alpha on stance polarity ---------------------------------------------


@dataclass(frozen=True)
class AlphaScore:
    """Nominal alpha over ``units`` stance units, ``pairable`` of which have two values or more."""

    alpha: float | None
    units: int
    pairable: int
    annotators: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "level": "nominal", "units": self.units, "pairable_units": self.pairable,
                "annotators": list(self.annotators)}


def name_key(name: str) -> str:
    """A canonical name or topic phrase with its whitespace normalised: what identifies it across annotators."""
    return " ".join(name.split())


def entity_class(fine_type: str) -> str:
    """The coarse class of a fine type (``GPE`` -> ``LOC``); ``DATE``, which has none, is its own class."""
    return COARSE_OF_FINE.get(fine_type) or fine_type


def entity_ref(entity: Entity) -> Ref:
    """What identifies an entity across annotators: its canonical name and coarse class."""
    return ("entity", name_key(entity.name), entity_class(entity.type))


def stance_refs(stance: Stance, entities: Mapping[str, Entity]) -> tuple[Ref, Ref]:
    """The holder and target of a stance as references that do not depend on the file's entity ids."""
    def ref(value: str) -> Ref:
        entity = entities.get(value)
        return entity_ref(entity) if entity is not None else ("missing", value, "")

    holder = ("author", "AUTHOR", "") if stance.holder == "AUTHOR" else ref(stance.holder)
    target = ("topic", name_key(stance.target), "") if stance.target_kind == "topic" else ref(stance.target)
    return holder, target


def stance_keys(annotation: Annotation) -> list[tuple[StanceKey, Stance]]:
    """Each stance with its unit key ``(holder, target, rank)``; rank counts from 1 in evidence order."""
    entities = {entity.id: entity for entity in annotation.entities}
    grouped: dict[tuple[Ref, Ref], list[Stance]] = defaultdict(list)
    for stance in annotation.stances:
        grouped[stance_refs(stance, entities)].append(stance)
    keyed = []
    for (holder, target), stances in sorted(grouped.items()):
        ordered = sorted(stances, key=lambda s: ([(q.start, q.end) for q in s.evidence], s.polarity))
        keyed.extend(((holder, target, rank), stance) for rank, stance in enumerate(ordered, start=1))
    return keyed


def reliability_matrix(versions: Versions, annotators: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, StanceKey]]]:
    """Polarity codes, one row per annotator and one column per ``(doc_id, unit)``; ``np.nan`` when missing."""
    values: dict[tuple[str, StanceKey], dict[str, int]] = defaultdict(dict)
    for doc_id in sorted(versions):
        for annotator, annotation in versions[doc_id].items():
            for key, stance in stance_keys(annotation):
                values[(doc_id, key)][annotator] = POLARITY_CODES[stance.polarity]
    units = sorted(values)
    matrix = np.full((len(annotators), len(units)), np.nan)
    for column, unit in enumerate(units):
        for row, annotator in enumerate(annotators):
            matrix[row, column] = values[unit].get(annotator, np.nan)
    return matrix, units


def nominal_alpha(matrix: np.ndarray) -> tuple[float | None, int]:
    """Krippendorff's alpha at the nominal level, and the number of pairable units.

    ``None`` when fewer than two distinct values occur in pairable units (alpha is then 0/0).
    """
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2 if matrix.size else np.zeros(0, dtype=bool)
    values = matrix[:, pairable]
    if len(set(values[~np.isnan(values)].tolist())) < 2:
        return None, int(pairable.sum())
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    return float(alpha), int(pairable.sum())


def stance_alpha(versions: Versions) -> AlphaScore:
    """Nominal alpha on stance polarity over every annotator of ``versions``; see the module docstring."""
    annotators = tuple(sorted({a for by_annotator in versions.values() for a in by_annotator}))
    matrix, units = reliability_matrix(versions, annotators)
    alpha, pairable = nominal_alpha(matrix)
    return AlphaScore(alpha, len(units), pairable, annotators)


# --- the report --------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentAgreement:
    """One pair on one document; ``kappa`` is None when the document's text was not given."""

    entities: EntityAgreement
    kappa: KappaScore | None

    def to_dict(self) -> dict:
        return {"entities": self.entities.to_dict(), "token_kappa": self.kappa.to_dict() if self.kappa else None}


@dataclass(frozen=True)
class PairAgreement:
    """Two annotators over the documents they both annotated: pooled scores and per-document ones."""

    first: str
    second: str
    entities: EntityAgreement
    kappa: KappaScore
    by_document: dict[str, DocumentAgreement]

    def to_dict(self) -> dict:
        return {"first": self.first, "second": self.second, "documents": sorted(self.by_document),
                "entities": self.entities.to_dict(), "token_kappa": self.kappa.to_dict(),
                "by_document": {doc_id: d.to_dict() for doc_id, d in self.by_document.items()}}


@dataclass(frozen=True)
class AgreementReport:
    """Pairwise entity and token agreement, and stance alpha over all annotators, overall and per document."""

    annotators: tuple[str, ...]
    documents: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    stance: AlphaScore
    stance_by_document: dict[str, AlphaScore]
    without_text: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-ready dict; undefined scores are ``null``."""
        return {"annotators": list(self.annotators), "documents": list(self.documents),
                "without_text": list(self.without_text), "pairs": [p.to_dict() for p in self.pairs],
                "stance_alpha": self.stance.to_dict(),
                "stance_alpha_by_document": {d: s.to_dict() for d, s in self.stance_by_document.items()}}


def pair_agreement(first: str, second: str, versions: Versions, texts: Mapping[str, str]) -> PairAgreement:
    """Entity F1 and token kappa of two annotators over the documents both annotated."""
    by_document: dict[str, DocumentAgreement] = {}
    pooled_first: list[str] = []
    pooled_second: list[str] = []
    for doc_id in sorted(d for d, by in versions.items() if first in by and second in by):
        a, b = versions[doc_id][first].mentions, versions[doc_id][second].mentions
        kappa = None
        if doc_id in texts:
            labels_a, labels_b = document_labels(texts[doc_id], a, b)
            pooled_first += labels_a
            pooled_second += labels_b
            kappa = cohen_kappa(labels_a, labels_b)
        by_document[doc_id] = DocumentAgreement(entity_agreement(a, b), kappa)
    entities = sum((d.entities for d in by_document.values()), EntityAgreement())
    return PairAgreement(first, second, entities, cohen_kappa(pooled_first, pooled_second), by_document)


def agreement_report(versions: Versions, *, texts: Mapping[str, str] | None = None) -> AgreementReport:
    """Every pair's entity F1 and token kappa, and stance alpha, from ``doc_id -> annotator -> Annotation``.

    ``texts`` maps doc_id to its normalised text (see :func:`load_texts`); kappa needs it, and the
    documents without one are listed in ``without_text`` and left out of kappa.
    """
    texts = texts or {}
    annotators = tuple(sorted({a for by_annotator in versions.values() for a in by_annotator}))
    pairs = tuple(pair_agreement(a, b, versions, texts) for a, b in itertools.combinations(annotators, 2))
    by_document = {doc_id: stance_alpha({doc_id: versions[doc_id]}) for doc_id in sorted(versions)}
    return AgreementReport(annotators, tuple(sorted(versions)), pairs, stance_alpha(versions), by_document,
                           tuple(sorted(set(versions) - set(texts))))


def repository_agreement(repo: Path, *, log: FindingLog) -> AgreementReport:
    """:func:`agreement_report` over ``repo``'s versions, with texts read from ``raw/``.

    A version whose text hash is not that of its raw text has stale offsets: it is logged
    (``versions.text-hash``) and its document is left out of kappa.
    """
    versions = load_versions(repo, log=log)
    texts = load_texts(repo, versions, log=log)
    for doc_id, by_annotator in versions.items():
        if doc_id not in texts:
            continue
        digest = sha256_text(texts[doc_id])
        for annotation in by_annotator.values():
            if annotation.text_sha256 != digest:
                line = line_locator(repo, annotation.path)("text_sha256", None)
                log.add(finding("versions.text-hash", "text_sha256 is not that of the normalised raw text",
                                annotation.path, line, hint="re-anchor the version on the current text"))
                texts.pop(doc_id, None)
    return agreement_report(versions, texts=texts)
