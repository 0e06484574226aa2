"""The gold of a release: the rows of one config and split, the split chosen the same way for every task.

Without ``split``, the scorer uses ``test``; a release without it (a seed-only build holds only
``train``) is scored on its only split, with an ``evaluate.split`` warning saying so, and one
with several other splits is a :class:`~chronique.errors.UsageError` naming them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.evaluation.inputs import TokenDocument, TokenSentence

DEFAULT_SPLIT = "test"
SPLIT_CHECK = "evaluate.split"


def choose_split(release: Path, available: Sequence[str], requested: str | None, log: FindingLog) -> str:
    """``requested`` if the release has it; without one, ``test``, else the release's only split (with a warning)."""
    listed = ", ".join(available) or "none"
    if requested is not None:
        if requested in available:
            return requested
        raise UsageError(f"{release} has no {requested!r} split; it has {listed}: pass --split with one of them")
    if DEFAULT_SPLIT in available:
        return DEFAULT_SPLIT
    if len(available) == 1:
        log.add(finding(SPLIT_CHECK, f"the release has no {DEFAULT_SPLIT!r} split; scored its only split, "
                        f"{available[0]!r}", str(release)))
        return available[0]
    raise UsageError(f"{release} has no {DEFAULT_SPLIT!r} split; it has {listed}: pass --split with one of them")


def load_release_split(release: Path, config: str, split: str | None, log: FindingLog, cache_dir: str | None = None):
    """``(rows, split)``: the ``datasets.Dataset`` of ``config`` in the split :func:`choose_split` picks."""
    from datasets import load_dataset

    if not (release / "README.md").is_file():
        raise UsageError(f"{release} is not a release folder (it has no README.md); pass a release folder such as "
                         "releases/<version>, or a gold HIPE TSV or CoNLL file")
    try:
        data = load_dataset(str(release.resolve()), config, cache_dir=cache_dir)
    except (ValueError, FileNotFoundError) as error:  # no such config, or its files are gone
        raise UsageError(f"{release}: cannot load its {config!r} config: {error}") from None
    chosen = choose_split(release, list(data), split, log)
    return data[chosen], chosen


def type_names(tag_names: Sequence[str]) -> list[str]:
    """The entity types of IOB2 tag names, in order: ``["O", "B-PER", "I-PER"]`` → ``["PER"]``."""
    return list(dict.fromkeys(name.partition("-")[2] for name in tag_names if name != "O"))


def release_gold(release: Path, split: str | None, labels: str, log: FindingLog,
                 cache_dir: str | None = None) -> tuple[list[TokenDocument], list[str]]:
    """The ``ner`` rows of a release split as documents of sentences (tag names, character offsets), and the
    label set's types."""
    if labels not in ("coarse", "fine"):
        raise UsageError("labels must be 'coarse' or 'fine'")
    column = "coarse_ner_tags" if labels == "coarse" else "ner_tags"
    rows, _ = load_release_split(release, "ner", split, log, cache_dir)
    names = rows.features[column].feature.names
    documents: dict[str, TokenDocument] = {}
    for row in rows:
        sentence = TokenSentence(row["id"], row["tokens"], [names[t] for t in row[column]],
                                 starts=[o["start"] for o in row["token_offsets"]], ends=[o["end"] for o in row["token_offsets"]])
        documents.setdefault(row["doc_id"], TokenDocument(row["doc_id"], [])).sentences.append(sentence)
    return list(documents.values()), type_names(names)
