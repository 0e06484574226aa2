"""Scoring NER and stance predictions against a release or a gold file.

>>> from chronique.evaluation import evaluate_ner              # doctest: +SKIP
>>> scores = evaluate_ner(Path("releases/0.1.0"), Path("pred.conll"), split="train")  # doctest: +SKIP
>>> scores.strict.micro.f1                                     # doctest: +SKIP

Gold is a release folder (its ``ner`` config, with ``split``), a HIPE TSV file or a CoNLL
file. Predictions are token tags in CoNLL columns (IOB2, IOB1 or IOBES), a HIPE TSV file,
or spans (``doc_id`` or sentence ``id``, ``start``, ``end``, ``type``) in JSON Lines or
Parquet, whose offsets are characters of the document text.

Against a HIPE gold file the HIPE scorer's conventions apply: one matching segment per
document, per-type counts attributed to the gold entity's type, and predicted types that
the gold lacks ignored. Elsewhere the conventions of seqeval apply (see
:mod:`chronique.evaluation.metrics`).
"""

from __future__ import annotations

from pathlib import Path

from chronique.errors import Finding, InputError, UsageError
from chronique.evaluation.inputs import (
    TokenDocument,
    TokenSentence,
    _mismatch,
    align_hipe,
    align_sentences,
    json_lines,
    read_conll_tokens,
    read_hipe_tokens,
    read_span_predictions,
)
from chronique.evaluation.metrics import NerScores, StanceScores, decode_tags, score_documents, score_stance
from chronique.schema import POLARITIES

__all__ = ["NerScores", "StanceScores", "evaluate_ner", "evaluate_stance", "decode_tags", "score_documents"]


def _is_hipe(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        return handle.readline().startswith("TOKEN\t")


def release_gold(release: Path, split: str, labels: str, cache_dir: str | None = None) -> list[TokenDocument]:
    """The ``ner`` rows of a release split as documents of sentences, with tag names and character offsets."""
    from datasets import load_dataset

    if labels not in ("coarse", "fine"):
        raise UsageError("labels must be 'coarse' or 'fine'")
    column = "coarse_ner_tags" if labels == "coarse" else "ner_tags"
    data = load_dataset(str(release.resolve()), "ner", cache_dir=cache_dir)
    if split not in data:
        raise UsageError(f"{release} has no {split!r} split; it has {', '.join(data)}")
    names = data[split].features[column].feature.names
    documents: dict[str, TokenDocument] = {}
    for row in data[split]:
        sentence = TokenSentence(row["id"], row["tokens"], [names[t] for t in row[column]],
                                 starts=[o["start"] for o in row["token_offsets"]], ends=[o["end"] for o in row["token_offsets"]])
        documents.setdefault(row["doc_id"], TokenDocument(row["doc_id"], [])).sentences.append(sentence)
    return list(documents.values())


def _token_segments(gold: list[TokenDocument], pred: list[TokenDocument], scheme: str, ill_formed: str):
    for gold_doc, pred_doc in zip(gold, pred):
        yield [(decode_tags(g.tags, "iob2", ill_formed), decode_tags(p.tags, scheme, ill_formed))
               for g, p in zip(gold_doc.sentences, pred_doc.sentences)]


def _char_entities(sentence: TokenSentence, ill_formed: str) -> list[tuple[str, int, int]]:
    return [(kind, sentence.starts[a], sentence.ends[b - 1]) for kind, a, b in decode_tags(sentence.tags, "iob2", ill_formed)]


def _span_segments(gold: list[TokenDocument], pred_path: Path, ill_formed: str):
    """One segment per document, in character offsets; every prediction must name a gold document or sentence."""
    predictions = read_span_predictions(pred_path)
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


def evaluate_ner(gold: Path, pred: Path, *, split: str | None = None, labels: str = "coarse", scheme: str = "iob2",
                 ill_formed: str = "begin", hipe_column: str = "NE-COARSE-LIT", cache_dir: str | None = None) -> NerScores:
    """Score predictions against gold; see the module docstring for the accepted inputs."""
    if not pred.exists() or not gold.exists():
        raise UsageError(f"{pred if not pred.exists() else gold} does not exist")
    if gold.is_dir():
        documents = release_gold(gold, split or "test", labels, cache_dir)
        if pred.suffix in (".jsonl", ".parquet"):
            return score_documents(_span_segments(documents, pred, ill_formed))
        aligned = align_sentences(documents, read_conll_tokens(pred), str(pred))
        return score_documents(_token_segments(documents, aligned, scheme, ill_formed))
    if _is_hipe(gold):
        documents = read_hipe_tokens(gold, hipe_column)
        aligned = align_hipe(documents, read_hipe_tokens(pred, hipe_column), str(pred))
        return score_documents(_token_segments(documents, aligned, scheme, ill_formed), attribution="gold",
                               restrict_to_gold_types=True)
    sentences = read_conll_tokens(gold)
    documents = [TokenDocument(gold.stem, sentences)]
    aligned = align_sentences(documents, read_conll_tokens(pred), str(pred))
    return score_documents(_token_segments(documents, aligned, scheme, ill_formed))


def evaluate_stance(release: Path, pred: Path, *, split: str = "test", cache_dir: str | None = None) -> StanceScores:
    """Score stance labels: ``pred`` is JSON Lines of ``{"id": stance row id, "label": "FAVOR"|...}``, one per gold row."""
    from datasets import load_dataset

    data = load_dataset(str(release.resolve()), "stance", split=split, cache_dir=cache_dir)
    names = data.features["label"].names
    gold = {row["id"]: names[row["label"]] for row in data}
    predicted = {}
    for number, row in json_lines(pred):
        if not isinstance(row, dict) or not isinstance(row.get("id"), (str, int)) or row.get("label") not in POLARITIES:
            message = f'expected {{"id": stance row id, "label": one of {", ".join(POLARITIES)}}}'
            raise InputError(f"{pred}:{number}: {message}", [Finding("evaluate.format", message, str(pred), number)])
        predicted[row["id"]] = row["label"]
    missing = [key for key in gold if key not in predicted]
    if missing:
        raise _mismatch(f"stance {missing[0]} has no prediction ({len(missing)} missing)", str(pred))
    return score_stance([gold[k] for k in gold], [predicted[k] for k in gold], POLARITIES)
