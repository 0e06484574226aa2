"""The declared, versioned schema of a release: label sets and ``datasets.Features``.

Parquet schemas and the dataset card's ``dataset_info`` are both generated from
:data:`FEATURES`, so that ``ClassLabel`` names survive ``load_dataset``. Every
``ClassLabel`` column is stored as int64, the Arrow type ``datasets`` expects.
"""

from __future__ import annotations

import re

from datasets import ClassLabel, Features, List, Value

SCHEMA_VERSION = "1.1"
"""1.1: ``documents`` gained ``origin``, ``beat``, ``domain``, ``genre``; ``ner`` gained the sentence's
``text`` and ``start``; ``stance`` gained ``text_start``. 1.0: the first release."""

FINE_TYPES = ("PER", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "MISC", "DATE")
AUTHOR = "AUTHOR"
"""The stance holder that is the article's author (guidelines 8), in annotation files and rows alike."""
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
"""A release version: MAJOR.MINOR.PATCH, without leading zeros (the ``L0.version.semver`` check)."""
COARSE_TYPES = ("PER", "ORG", "LOC", "MISC")
COARSE_OF_FINE: dict[str, str | None] = {
    "PER": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "MISC": "MISC",
    "DATE": None,
}
POLARITIES = ("FAVOR", "AGAINST", "NEUTRAL")
SCOPES = ("sentence", "paragraph", "document")
STATUSES = ("gold", "silver", "unannotated")


def iob2_labels(types: tuple[str, ...]) -> list[str]:
    """``O`` then ``B-``/``I-`` for each type, in the declared order."""
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


FINE_NER_LABELS = iob2_labels(FINE_TYPES)
COARSE_NER_LABELS = iob2_labels(COARSE_TYPES)

_OFFSETS = List({"start": Value("int32"), "end": Value("int32")})
_QUOTE = {"start": Value("int32"), "end": Value("int32"), "text": Value("string")}

DOCUMENTS = Features(
    {
        "doc_id": Value("string"),
        "date": Value("string"),
        "language": Value("string"),
        "title": Value("string"),
        "source": Value("string"),
        "url": Value("string"),
        "license": Value("string"),
        "origin": Value("string"),
        "beat": Value("string"),
        "domain": Value("string"),
        "genre": Value("string"),
        "text": Value("string"),
        "text_sha256": Value("string"),
        "paragraphs": List({"start": Value("int32"), "end": Value("int32"), "kind": Value("string")}),
        "sentences": _OFFSETS,
        "mentions": List(
            {
                "id": Value("string"),
                "start": Value("int32"),
                "end": Value("int32"),
                "text": Value("string"),
                "type": Value("string"),
                "coarse_type": Value("string"),
                "entity_id": Value("string"),
                "parent_id": Value("string"),
                "metonymic": Value("bool"),
            }
        ),
        "entities": List(
            {"id": Value("string"), "name": Value("string"), "type": Value("string"), "qid": Value("string")}
        ),
        "stances": List(
            {
                "id": Value("string"),
                "holder": Value("string"),
                "target": Value("string"),
                "target_kind": Value("string"),
                "polarity": Value("string"),
                "evidence": List(_QUOTE),
                "scope": Value("string"),
                "reported": Value("bool"),
            }
        ),
        "annotation_status": Value("string"),
        "annotators": List(Value("string")),
        "guidelines_version": Value("string"),
        "provenance": {
            "raw_path": Value("string"),
            "raw_line": Value("int32"),
            "raw_sha256": Value("string"),
            "text_sha256": Value("string"),
            "reader": Value("string"),
        },
    }
)

NER = Features(
    {
        "id": Value("string"),
        "doc_id": Value("string"),
        "sentence_index": Value("int32"),
        "start": Value("int32"),
        "text": Value("string"),
        "tokens": List(Value("string")),
        "ner_tags": List(ClassLabel(names=FINE_NER_LABELS)),
        "coarse_ner_tags": List(ClassLabel(names=COARSE_NER_LABELS)),
        "token_offsets": _OFFSETS,
    }
)

STANCE = Features(
    {
        "id": Value("string"),
        "doc_id": Value("string"),
        "holder": Value("string"),
        "holder_id": Value("string"),
        "target": Value("string"),
        "target_id": Value("string"),
        "target_kind": Value("string"),
        "text": Value("string"),
        "text_start": Value("int32"),
        "evidence": List(_QUOTE),
        "label": ClassLabel(names=list(POLARITIES)),
        "scope": Value("string"),
        "reported": Value("bool"),
    }
)

FEATURES: dict[str, Features] = {"documents": DOCUMENTS, "ner": NER, "stance": STANCE}
CONFIGS = tuple(FEATURES)
