"""Predicted types outside the gold's label set.

A prediction of a type the gold cannot hold is always wrong, so many of them mean a label
set mix-up (fine types such as GPE or DATE scored against the coarse gold) rather than a bad
system. The scorer says so in an ``evaluate.labels`` warning instead of a silently low F1.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from chronique.checks.catalogue import finding
from chronique.errors import Finding
from chronique.schema import FINE_TYPES

LABELS_CHECK = "evaluate.labels"


def predicted_type_counts(documents: Iterable[Sequence[tuple[Sequence, Sequence]]]) -> Counter:
    """How many predicted entities of each type the ``(gold, predicted)`` segments of the documents hold."""
    return Counter(entity[0] for segments in documents for _, predicted in segments for entity in predicted)


def label_set_warning(counts: Counter, known: Sequence[str], pred_path: Path, line: int | None, *,
                      label_set: str | None, ignored: bool) -> Finding:
    """The warning for predicted types (``counts``, each with its number of entities) that ``known`` lacks.

    ``label_set`` is ``"coarse"`` or ``"fine"`` for a release's gold, None for a gold file;
    ``ignored`` says that the scorer leaves such predictions out (HIPE) rather than counting them wrong.
    """
    unknown = ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items()))
    gold = f"the gold's {label_set} label set" if label_set else "the gold's types"
    effect = "they are ignored, as the HIPE scorer does" if ignored else "each counts as a false positive"
    message = f"predicted types not in {gold} ({', '.join(known) or 'none'}): {unknown}; {effect}"
    if label_set == "coarse" and set(counts) <= set(FINE_TYPES):
        hint = "these are fine types: score with --labels fine"
    elif label_set == "coarse":
        hint = "rename the predicted types to the coarse ones, or to the fine ones and score with --labels fine"
    elif label_set:
        hint = "rename the predicted types to the release's fine types"
    else:
        hint = "map the predicted types onto the gold's types before scoring"
    return finding(LABELS_CHECK, message, str(pred_path), line, hint=hint)
