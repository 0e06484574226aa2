"""Deterministic, stable train/validation/test splits.

A document keeps the split it was first released in. The committed registry
``annotations/splits.tsv`` records, one line per document, ``doc_id``, ``split`` and
``origin``: ``released:<version>`` (written by the build after a release) or
``override`` (written by a person to force a split). A document not in the registry
is assigned by a hash of its id: 80 % train, 10 % validation, 10 % test.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from chronique.errors import Finding, FindingLog

SPLITS = ("train", "validation", "test")
REGISTRY_NAME = "splits.tsv"
_HEADER = "# doc_id\tsplit\torigin"


@dataclass(frozen=True, slots=True)
class SplitEntry:
    doc_id: str
    split: str
    origin: str


def hash_split(doc_id: str) -> str:
    """The split a new document gets from its id: a stable 80/10/10 bucket of its SHA-256."""
    bucket = int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big") % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


def load_registry(path: Path, shown: str, log: FindingLog) -> dict[str, SplitEntry]:
    """Read the split registry; a missing file is an empty registry. Problems go to ``log``."""
    registry: dict[str, SplitEntry] = {}
    if not path.exists():
        return registry
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            log.add(Finding("L0.splits.format", f"expected 3 tab-separated fields, found {len(fields)}", shown, number,
                            hint="write: doc_id<TAB>split<TAB>override"))
            continue
        doc_id, split, origin = fields
        if split not in SPLITS:
            log.add(Finding("L0.splits.format", f"unknown split {split!r} (known: {', '.join(SPLITS)})", shown, number))
        elif origin != "override" and not origin.startswith("released:"):
            log.add(Finding("L0.splits.format", f"unknown origin {origin!r}; expected 'override' or 'released:<version>'",
                            shown, number))
        elif doc_id in registry:
            log.add(Finding("L0.splits.duplicate", f"document {doc_id!r} is listed twice", shown, number))
        else:
            registry[doc_id] = SplitEntry(doc_id, split, origin)
    return registry


def assign_split(doc_id: str, registry: dict[str, SplitEntry]) -> str:
    entry = registry.get(doc_id)
    return entry.split if entry else hash_split(doc_id)


def updated_registry(registry: dict[str, SplitEntry], released: Iterable[tuple[str, str]], version: str) -> str:
    """Registry text after a release: every released document pinned to its split."""
    entries = dict(registry)
    for doc_id, split in released:
        if doc_id not in entries or entries[doc_id].origin == "override":
            entries[doc_id] = SplitEntry(doc_id, split, f"released:{version}")
    lines = [_HEADER] + [f"{e.doc_id}\t{e.split}\t{e.origin}" for e in sorted(entries.values(), key=lambda e: e.doc_id)]
    return "\n".join(lines) + "\n"
