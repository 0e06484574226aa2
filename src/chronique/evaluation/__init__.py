"""Scoring NER and stance predictions against a release or a gold file.

>>> from chronique.evaluation import evaluate_ner              # doctest: +SKIP
>>> scores = evaluate_ner(Path("releases/1.0.0"), Path("pred.conll"), split="test")  # doctest: +SKIP
>>> scores.strict.micro.f1                                     # doctest: +SKIP

Gold is a release folder (its ``ner`` config, with ``split``; see :mod:`chronique.evaluation.gold`
for the split used without one), a HIPE TSV file or a CoNLL file. Predictions are token tags
in CoNLL columns (IOB2, IOB1 or IOBES), a HIPE TSV file, or spans (``doc_id`` or sentence
``id``, ``start``, ``end``, ``type``) in JSON Lines (``.jsonl``), a JSON array (``.json``) or
Parquet, whose offsets are characters of the document text.

Warnings go to the ``log`` given, if any: the split used when the release lacks ``test``,
and predicted types outside the gold's label set (:mod:`chronique.evaluation.labels`).

Against a HIPE gold file the HIPE scorer's conventions apply: one matching segment per
document, per-type counts attributed to the gold entity's type, and predicted types that
the gold lacks ignored. Elsewhere the conventions of seqeval apply (see
:mod:`chronique.evaluation.metrics`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, InputError, UsageError
from chronique.evaluation.gold import load_release_split, release_gold
from chronique.evaluation.inputs import (
    FORMAT,
    SPAN_SUFFIXES,
    SpanPrediction,
    TokenDocument,
    TokenSentence,
    _mismatch,
    align_hipe,
    align_sentences,
    is_span_file,
    json_lines,
    read_conll_tokens,
    read_hipe_tokens,
    read_span_predictions,
    read_text,
)
from chronique.evaluation.labels import label_set_warning, predicted_type_counts
from chronique.interop.hipe import HIPE_COLUMN_NAMES
from chronique.evaluation.metrics import NerScores, StanceScores, decode_tags, score_documents, score_stance

__all__ = ["NerScores", "StanceScores", "evaluate_ner", "evaluate_stance", "decode_tags", "score_documents"]


def _is_hipe(path: Path) -> bool:
    return read_text(path, "the gold").startswith("TOKEN\t")


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise UsageError(f"{path}: no such {what}")


@dataclass
class _Scoring:
    """Gold and predictions made into scorer segments, with what the label-set warning needs."""

    documents: list[list[tuple[list, list]]]
    gold_types: list[str]
    locate: Callable[[set[str]], int | None]  # the prediction file's line of the first entity of these types
    label_set: str | None = None
    options: dict = field(default_factory=dict)


def _token_segments(gold: list[TokenDocument], pred: list[TokenDocument], scheme: str, ill_formed: str):
    return [[(decode_tags(g.tags, "iob2", ill_formed), decode_tags(p.tags, scheme, ill_formed))
             for g, p in zip(gold_doc.sentences, pred_doc.sentences)] for gold_doc, pred_doc in zip(gold, pred)]


def _first_line(lines: Iterable[int | None]) -> int | None:
    return min((line for line in lines if line is not None), default=None)


def _token_locator(pred: list[TokenDocument], scheme: str, ill_formed: str) -> Callable[[set[str]], int | None]:
    def locate(kinds: set[str]) -> int | None:
        return _first_line(sentence.lines[first] if sentence.lines else sentence.line
                           for sentence in (s for d in pred for s in d.sentences)
                           for kind, first, _ in decode_tags(sentence.tags, scheme, ill_formed) if kind in kinds)
    return locate


def _token_scoring(gold: list[TokenDocument], pred: list[TokenDocument], scheme: str, ill_formed: str,
                   gold_types: list[str] | None = None, label_set: str | None = None,
                   options: dict | None = None) -> _Scoring:
    """Token segments; without ``gold_types`` (a gold file, not a release) the types the gold holds."""
    documents = _token_segments(gold, pred, scheme, ill_formed)
    if gold_types is None:
        gold_types = sorted({g[0] for segments in documents for entities, _ in segments for g in entities})
    return _Scoring(documents, gold_types, _token_locator(pred, scheme, ill_formed), label_set, options or {})


def _char_entities(sentence: TokenSentence, ill_formed: str) -> list[tuple[str, int, int]]:
    return [(kind, sentence.starts[a], sentence.ends[b - 1]) for kind, a, b in decode_tags(sentence.tags, "iob2", ill_formed)]


def _span_segments(gold: list[TokenDocument], predictions: list[SpanPrediction], pred_path: Path, ill_formed: str):
    """One segment per document, in character offsets; every prediction must name a gold document or sentence."""
    doc_of = {d.doc_id: d.doc_id for d in gold} | {s.id: d.doc_id for d in gold for s in d.sentences}
    extent = {d.doc_id: d.sentences[-1].ends[-1] if d.sentences and d.sentences[-1].ends else 0 for d in gold}
    by_doc: dict[str, list] = {d.doc_id: [] for d in gold}
    for p in predictions:
        doc_id = doc_of.get(p.key)
        if doc_id is None:
            raise _mismatch(f"line {p.line}: {p.key!r} is neither a gold document nor a gold sentence", str(pred_path), p.line)
        if not 0 <= p.start < p.end <= extent[doc_id]:
            raise _mismatch(f"line {p.line}: offsets {p.start}–{p.end} fall outside document {doc_id}", str(pred_path), p.line)
        by_doc[doc_id].append((p.type, p.start, p.end))
    for document in gold:
        gold_entities = [e for s in document.sentences for e in _char_entities(s, ill_formed)]
        yield [(gold_entities, sorted(by_doc[document.doc_id], key=lambda e: (e[1], e[2], e[0])))]


def _release_scoring(gold: Path, pred: Path, *, split, labels, scheme, ill_formed, cache_dir, log) -> _Scoring:
    documents, types = release_gold(gold, split, labels, log, cache_dir)
    if is_span_file(pred):
        predictions = read_span_predictions(pred)
        return _Scoring(list(_span_segments(documents, predictions, pred, ill_formed)), types,
                        lambda kinds: _first_line(p.line for p in predictions if p.type in kinds), labels)
    aligned = align_sentences(documents, read_conll_tokens(pred), str(pred))
    return _token_scoring(documents, aligned, scheme, ill_formed, types, label_set=labels)


def _file_scoring(gold: Path, pred: Path, *, scheme, ill_formed, labels, reading, hipe_column) -> _Scoring:
    if is_span_file(pred):
        raise UsageError(f"{pred}: span predictions ({', '.join(SPAN_SUFFIXES)}) are scored against a release "
                         "folder, whose documents give their character offsets; pass --gold releases/<version>")
    if _is_hipe(gold):
        column = hipe_column or HIPE_COLUMN_NAMES[(labels or "coarse", reading or "literal")]
        documents = read_hipe_tokens(gold, column)
        aligned = align_hipe(documents, read_hipe_tokens(pred, column), str(pred))
        return _token_scoring(documents, aligned, scheme, ill_formed,
                              options={"attribution": "gold", "restrict_to_gold_types": True})
    chosen = [name for name, value in (("labels", labels), ("reading", reading), ("column", hipe_column)) if value]
    if chosen:
        raise UsageError(f"{gold}: a CoNLL gold file has one tag column, so --{', --'.join(chosen)} cannot choose "
                         "one; these options choose the labels of a release or the column of a HIPE file")
    documents = [TokenDocument(gold.stem, read_conll_tokens(gold))]
    aligned = align_sentences(documents, read_conll_tokens(pred), str(pred))
    return _token_scoring(documents, aligned, scheme, ill_formed)


def evaluate_ner(gold: Path, pred: Path, *, split: str | None = None, labels: str | None = None, scheme: str = "iob2",
                 ill_formed: str = "begin", reading: str | None = None, hipe_column: str | None = None,
                 cache_dir: str | None = None, log: FindingLog | None = None) -> NerScores:
    """Score predictions against gold; see the module docstring for the accepted inputs and the warnings.

    ``labels`` is ``coarse`` (the default) or ``fine``. Against a HIPE file, it and ``reading``
    (``literal``, the default, or ``metonymic``) choose the tag column (``fine`` + ``metonymic`` →
    ``NE-FINE-METO``, :data:`~chronique.interop.hipe.HIPE_COLUMN_NAMES`); ``hipe_column`` names any
    column directly (``NE-NESTED``, ``NE-FINE-COMP``). A CoNLL gold file has one column: choosing
    one there is a :class:`UsageError`, as are ``reading`` and ``hipe_column`` against a release.
    """
    _require_file(pred, "prediction file")
    _require_file(gold, "gold release or file")
    log = FindingLog() if log is None else log
    if gold.is_dir():
        chosen = [name for name, value in (("reading", reading), ("column", hipe_column)) if value]
        if chosen:
            raise UsageError(f"--{', --'.join(chosen)} choose(s) a column of a HIPE gold file; against a release, "
                             "--labels coarse or fine chooses the label set")
        scoring = _release_scoring(gold, pred, split=split, labels=labels or "coarse", scheme=scheme,
                                   ill_formed=ill_formed, cache_dir=cache_dir, log=log)
    else:
        scoring = _file_scoring(gold, pred, scheme=scheme, ill_formed=ill_formed, labels=labels, reading=reading,
                                hipe_column=hipe_column)
    counts = predicted_type_counts(scoring.documents)
    unknown = {kind: n for kind, n in counts.items() if kind not in scoring.gold_types}
    if unknown:
        log.add(label_set_warning(Counter(unknown), scoring.gold_types, pred, scoring.locate(set(unknown)),
                                  label_set=scoring.label_set,
                                  ignored=scoring.options.get("restrict_to_gold_types", False)))
    return score_documents(scoring.documents, **scoring.options)


def _stance_label(row: object, names: list[str]) -> str | None:
    """The label name of a prediction: a name, or its integer id in the ``label`` ClassLabel."""
    label = row.get("label") if isinstance(row, dict) else None
    if isinstance(label, str) and label in names:
        return label
    if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < len(names):
        return names[label]
    return None


def evaluate_stance(release: Path, pred: Path, *, split: str | None = None, cache_dir: str | None = None,
                    log: FindingLog | None = None) -> StanceScores:
    """Score stance labels: ``pred`` is JSON Lines of ``{"id": stance row id, "label": "FAVOR"|...}``, one per gold
    row; a label may also be its integer id in the ``stance`` config's ``label`` feature (0 FAVOR, 1 AGAINST,
    2 NEUTRAL). The split is chosen as for NER (:mod:`chronique.evaluation.gold`)."""
    _require_file(pred, "prediction file")
    _require_file(release, "gold release")
    log = FindingLog() if log is None else log
    data, _ = load_release_split(release, "stance", split, log, cache_dir)
    names = list(data.features["label"].names)
    gold = {row["id"]: names[row["label"]] for row in data}
    predicted = {}
    for number, row in json_lines(pred):
        label = _stance_label(row, names)
        if label is None or not isinstance(row.get("id"), (str, int)):
            ids = ", ".join(f"{i} {name}" for i, name in enumerate(names))
            message = f'expected {{"id": stance row id, "label": one of {", ".join(names)}, or its number ({ids})}}'
            raise InputError(f"{pred}:{number}: {message}", [finding(FORMAT, message, str(pred), number)])
        predicted[row["id"]] = label
    missing = [key for key in gold if key not in predicted]
    if missing:
        raise _mismatch(f"stance {missing[0]} has no prediction ({len(missing)} missing)", str(pred))
    return score_stance([gold[k] for k in gold], [predicted[k] for k in gold], names)
