"""NER and stance metrics: strict and fuzzy matching, micro, type-macro and document-macro scores.

Entities are ``(type, start, end)`` with ``end`` exclusive, grouped in *segments* (a
sentence, or a whole document) inside *documents*. Matching follows the procedure of the
HIPE scorer, applied segment by segment: each prediction, in order, is

- **strict-correct** when a gold entity has its type and both boundaries;
- otherwise matched to the first gold entity with the same boundaries but another type
  (strict and fuzzy incorrect), or to the first not-yet-matched gold entity it overlaps
  (**fuzzy-correct** when the types agree, incorrect otherwise);
- otherwise spurious. Gold entities never matched are missed.

TP = correct, FP = predictions − TP, FN = gold entities − TP, for each scheme.

Per-type counts can be attributed two ways (``attribution``):

- ``"own"`` (default, as seqeval and conlleval): a prediction counts under its own type,
  a gold entity under its own type;
- ``"gold"`` (as the HIPE scorer): correct and incorrect predictions count under the
  type of the gold entity they matched; spurious ones under their own type. With
  ``restrict_to_gold_types`` predictions of types absent from the gold are ignored, as HIPE does.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

# Re-exported: scores are computed on entities decoded from tag sequences (see chronique.text.tags).
from chronique.text.tags import IllFormed, decode_tags  # noqa: F401

Entity = tuple[str, int, int]
Scheme = Literal["strict", "fuzzy"]
SCHEMES: tuple[Scheme, ...] = ("strict", "fuzzy")


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class _Tally:
    """Counts of one scheme: ``correct`` by type, predictions and gold entities by type."""

    correct: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    gold: Counter = field(default_factory=Counter)

    def add(self, other: _Tally) -> None:
        self.correct.update(other.correct)
        self.predicted.update(other.predicted)
        self.gold.update(other.gold)

    def prf(self, kind: str | None = None) -> PRF:
        pick = (lambda c: sum(c.values())) if kind is None else (lambda c: c[kind])
        tp = pick(self.correct)
        return PRF(tp, pick(self.predicted) - tp, pick(self.gold) - tp)


def _overlaps(a: Entity, b: Entity) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def match_segment(gold: Sequence[Entity], pred: Sequence[Entity], *, attribution: str = "own",
                  types: set[str] | None = None) -> dict[Scheme, _Tally]:
    """Strict and fuzzy tallies of one segment (see the module docstring for the procedure)."""
    if types is not None:
        gold = [g for g in gold if g[0] in types]
        pred = [p for p in pred if p[0] in types]
    tallies = {scheme: _Tally() for scheme in SCHEMES}
    matched: list[Entity] = []
    for p in pred:
        outcome, target = _match_prediction(p, gold, matched)
        for scheme in SCHEMES:
            correct = outcome == "exact" or (scheme == "fuzzy" and outcome == "overlap-same-type")
            kind = target[0] if attribution == "gold" and target is not None else p[0]
            tallies[scheme].predicted[kind] += 1
            if correct:
                tallies[scheme].correct[kind] += 1
    for scheme in SCHEMES:
        if attribution == "gold":
            tallies[scheme].gold.update(_gold_counts_hipe(gold, matched))
        else:
            tallies[scheme].gold.update(g[0] for g in gold)
    return tallies


def _match_prediction(p: Entity, gold: Sequence[Entity], matched: list[Entity]) -> tuple[str, Entity | None]:
    for g in gold:
        if g == p:
            matched.append(g)
            return "exact", g
    for g in gold:
        if (g[1], g[2]) == (p[1], p[2]):
            matched.append(g)
            return "same-span-other-type", g
        if _overlaps(g, p) and g not in matched:
            matched.append(g)
            return ("overlap-same-type" if g[0] == p[0] else "overlap-other-type"), g
    return "spurious", None


def _gold_counts_hipe(gold: Sequence[Entity], matched: list[Entity]) -> Counter:
    """HIPE's 'possible': each matched gold entity once per match, each unmatched one once."""
    counts = Counter(g[0] for g in matched)
    counts.update(g[0] for g in gold if g not in matched)
    return counts


@dataclass(frozen=True)
class SchemeScores:
    micro: PRF
    per_type: dict[str, PRF]
    type_macro: dict[str, float]
    document_macro: dict[str, float]

    def to_dict(self) -> dict:
        return {"micro": self.micro.to_dict(), "per_type": {k: v.to_dict() for k, v in self.per_type.items()},
                "type_macro": self.type_macro, "document_macro": self.document_macro}


def _mean_std(values: list[float]) -> tuple[float, float]:
    return (statistics.fmean(values), statistics.pstdev(values)) if values else (0.0, 0.0)


def _document_macro(documents: list[_Tally]) -> dict[str, float]:
    """Mean and population standard deviation over documents, as HIPE: P over documents with predictions,
    R over documents with gold entities, F1 over documents with both."""
    p = [t.prf().precision for t in documents if sum(t.predicted.values())]
    r = [t.prf().recall for t in documents if sum(t.gold.values())]
    f = [t.prf().f1 for t in documents if sum(t.predicted.values()) and sum(t.gold.values())]
    (pm, ps), (rm, rs), (fm, fs) = _mean_std(p), _mean_std(r), _mean_std(f)
    return {"precision": pm, "recall": rm, "f1": fm, "precision_std": ps, "recall_std": rs, "f1_std": fs}


def _scheme_scores(total: _Tally, documents: list[_Tally]) -> SchemeScores:
    kinds = sorted(set(total.gold) | set(total.predicted))
    per_type = {kind: total.prf(kind) for kind in kinds}
    macro = {name: statistics.fmean(getattr(s, name) for s in per_type.values()) if per_type else 0.0
             for name in ("precision", "recall", "f1")}
    return SchemeScores(total.prf(), per_type, macro, _document_macro(documents))


@dataclass(frozen=True)
class NerScores:
    strict: SchemeScores
    fuzzy: SchemeScores
    documents: int
    attribution: str

    def to_dict(self) -> dict:
        return {"strict": self.strict.to_dict(), "fuzzy": self.fuzzy.to_dict(), "documents": self.documents,
                "attribution": self.attribution}


Segments = Sequence[tuple[Sequence[Entity], Sequence[Entity]]]


def score_documents(documents: Iterable[Segments], *, attribution: str = "own",
                    restrict_to_gold_types: bool = False) -> NerScores:
    """Scores of documents, each a list of ``(gold entities, predicted entities)`` segments."""
    documents = [list(segments) for segments in documents]
    types = {g[0] for segments in documents for gold, _ in segments for g in gold} if restrict_to_gold_types else None
    totals = {scheme: _Tally() for scheme in SCHEMES}
    per_document = defaultdict(list)
    for segments in documents:
        doc_tally = {scheme: _Tally() for scheme in SCHEMES}
        for gold, pred in segments:
            for scheme, tally in match_segment(gold, pred, attribution=attribution, types=types).items():
                doc_tally[scheme].add(tally)
        for scheme in SCHEMES:
            totals[scheme].add(doc_tally[scheme])
            per_document[scheme].append(doc_tally[scheme])
    return NerScores(*(_scheme_scores(totals[s], per_document[s]) for s in SCHEMES), len(documents), attribution)


@dataclass(frozen=True)
class StanceScores:
    """``macro_f1`` averages over every label; ``macro_f1_present`` over ``labels_present``, those the gold holds."""

    accuracy: float
    macro_f1: float
    per_class: dict[str, PRF]
    count: int
    macro_f1_present: float = 0.0
    labels_present: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "macro_f1_present": self.macro_f1_present,
                "labels_present": list(self.labels_present), "count": self.count,
                "per_class": {k: v.to_dict() for k, v in self.per_class.items()}}


def score_stance(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> StanceScores:
    """Accuracy and two macro-F1: over ``labels`` (every label counts, even one absent from the gold, as 0) and
    over the labels present in the gold."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted stance labels differ in number")
    per_class = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        per_class[label] = PRF(tp, sum(p == label for p in pred) - tp, sum(g == label for g in gold) - tp)
    accuracy = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    in_gold = set(gold)
    present = tuple(label for label in labels if label in in_gold)
    macro_present = statistics.fmean(per_class[label].f1 for label in present) if present else 0.0
    return StanceScores(accuracy, statistics.fmean(c.f1 for c in per_class.values()), per_class, len(gold),
                        macro_present, present)
