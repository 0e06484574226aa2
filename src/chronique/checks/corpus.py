"""Level-4 corpus checks: train/test leakage and split balance.

Near duplicates are found with MinHash over word 5-gram shingles: each document
gets 64 min-hashes; locality-sensitive hashing in 16 bands of 4 rows proposes
candidate pairs, and a pair whose estimated Jaccard similarity is at least
:data:`NEAR_DUPLICATE_THRESHOLD` (0.8) across two splits is reported. Only the
signatures (256 bytes a document) are held while the pairs are found, and only the pairs after.

The pairs are found once per build, before the chunks, by
:func:`chronique.store.splits.near_duplicate_groups`, which also decides the splits: near
duplicates that the registry does not pin get the split of their group. The check here
takes those pairs and reports the ones whose documents ended up in two splits; such a pair
is one that ``annotations/splits.tsv`` pins apart, and the finding points at the pin.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np
from xxhash import xxh64_intdigest

from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog
from chronique.store.records import Document

SHINGLE_WORDS = 5
PERMUTATIONS = 64
BANDS = 16
NEAR_DUPLICATE_THRESHOLD = 0.8
CORPUS_PATH = "(corpus)"
REGISTRY_SHOWN = "annotations/splits.tsv"
_WORD = re.compile(r"\w+")
_RNG = np.random.default_rng(20201116)
_A = _RNG.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)


_SHINGLE_PRIME = np.uint64(0x100000001B3)


def shingle_hashes(text: str) -> np.ndarray:
    """64-bit hashes of the lower-cased word 5-grams of ``text`` (the whole text when shorter).

    Each word is hashed once with xxHash64; a 5-gram's hash combines its five word hashes
    polynomially, vectorised, so the cost per word stays a fraction of a microsecond.
    """
    words = _WORD.findall(text.lower()) or [""]
    hashed = np.fromiter((xxh64_intdigest(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    count = max(1, len(words) - SHINGLE_WORDS + 1)
    grams = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(min(SHINGLE_WORDS, len(words))):
            grams = grams * _SHINGLE_PRIME + hashed[k : k + count]
    return grams


def minhash(text: str) -> np.ndarray:
    """The MinHash signature of a text: for each of 64 hash functions, the top 32 bits of the minimum."""
    hashes = shingle_hashes(text)
    with np.errstate(over="ignore"):
        mixed = hashes[None, :] * _A[:, None] + _B[:, None]
    return (mixed.min(axis=1) >> np.uint64(32)).astype(np.uint32)


def candidate_pairs(signatures: Sequence[np.ndarray]) -> set[tuple[int, int]]:
    """Pairs of documents (indices into ``signatures``, the smaller first) that share at least one LSH band."""
    if len(signatures) < 2:
        return set()
    matrix = np.vstack(signatures)
    rows = PERMUTATIONS // BANDS
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        keys = np.ascontiguousarray(matrix[:, band * rows : (band + 1) * rows]).view(np.dtype((np.void, rows * 4))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        run_starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        for start, end in zip(run_starts, np.r_[run_starts[1:], len(order)]):
            members = sorted(order[start:end].tolist())
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs


def near_duplicate_pairs(signatures: Sequence[np.ndarray]) -> Iterator[tuple[int, int, float]]:
    """``(a, b, similarity)`` for each pair of documents whose estimated Jaccard similarity is at least
    :data:`NEAR_DUPLICATE_THRESHOLD`, in index order.

    The one definition of a near duplicate: the L4 check reports these pairs across splits, and the
    split assignment keeps them together, so the two cannot disagree."""
    for a, b in sorted(candidate_pairs(signatures)):
        similarity = float(np.mean(signatures[a] == signatures[b]))
        if similarity >= NEAR_DUPLICATE_THRESHOLD:
            yield a, b, similarity


@dataclass(frozen=True)
class DocumentSummary:
    """What the corpus-level checks need of one document; small, so that a whole corpus of them fits in memory."""

    doc_id: str
    split: str
    path: str
    line: int
    text_sha256: str
    types: frozenset[str]
    pinned_at: tuple[str, int | None] | None = None  # the registry line pinning a document that has near duplicates


def summarise(document: Document, pinned_at: tuple[str, int | None] | None = None) -> DocumentSummary:
    """The summary of a document; ``pinned_at`` is :func:`chronique.store.splits.group_pin` of it."""
    types = frozenset(m.type for m in document.annotation.mentions) if document.annotation else frozenset()
    return DocumentSummary(document.doc_id, document.split, document.provenance.raw_path, document.provenance.raw_line,
                           document.text_sha256, types, pinned_at)


@dataclass
class CorpusChecker:
    """Collects what the level-4 checks need while document summaries stream past."""

    doc_ids: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    pins: list[tuple[str, int | None] | None] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # doc id → its position in the lists above
    first_of_text: dict[str, str] = field(default_factory=dict)
    types_per_split: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    findings: FindingLog = field(default_factory=FindingLog)

    def add(self, summary: DocumentSummary) -> None:
        first = self.first_of_text.setdefault(summary.text_sha256, summary.doc_id)
        if first != summary.doc_id:
            self.findings.add(finding("L4.leak.exact-duplicate", f"document {summary.doc_id!r} has the same text as "
                                      f"{first!r}", summary.path, summary.line, col=1,
                                      hint="remove one of the two articles"))
        self.index.setdefault(summary.doc_id, len(self.doc_ids))
        self.doc_ids.append(summary.doc_id)
        self.splits.append(summary.split)
        self.pins.append(summary.pinned_at)
        self.types_per_split.setdefault(summary.split, set()).update(summary.types)

    def check_near_duplicates(self, pairs: Iterable[tuple[str, str, float]], log: FindingLog) -> None:
        """Near duplicates (the corpus's pairs, found once per build) in different splits: a leak of training
        text into evaluation."""
        for first, second, similarity in pairs:
            a, b = self.index.get(first), self.index.get(second)
            if a is not None and b is not None and self.splits[a] != self.splits[b]:
                log.add(self.pinned_apart(a, b, similarity))

    def pinned_apart(self, a: int, b: int, similarity: float) -> Finding:
        """The finding for near duplicates in two splits, at the registry line of the first that is pinned.

        The build gives near duplicates the registry does not pin the split of their group, so two of them
        end up apart only when the registry pins members of one group to different splits."""
        pins = [pin for pin in (self.pins[a], self.pins[b]) if pin]
        path, line = pins[0] if pins else (CORPUS_PATH, None)
        cause = "that the split registry pins apart" if pins else "in different splits"
        return finding("L4.leak.near-duplicate", f"{self._placed(a, pins)} and {self._placed(b, pins)} are near "
                       f"duplicates (estimated Jaccard {similarity:.2f} ≥ {NEAR_DUPLICATE_THRESHOLD}) {cause}", path,
                       line, col=1,
                       hint=f"pin both to one split in {REGISTRY_SHOWN} (a released document keeps its split: change "
                       "the other's line), or drop one of the two articles")

    def _placed(self, index: int, pins: list) -> str:
        """A document and its split for a message, with the registry line that put it there, if any."""
        pin = self.pins[index]
        if pin is None:
            why = ", not pinned: its near-duplicate group's pin placed it" if pins else ""
        else:
            why = ", pinned" if pin[1] is None else f", pinned on line {pin[1]}"
        return f"{self.doc_ids[index]!r} ({self.splits[index]}{why})"

    def check_missing_types(self, log: FindingLog) -> None:
        annotated = {split: types for split, types in self.types_per_split.items() if types}
        everywhere = set().union(*annotated.values()) if annotated else set()
        for split, types in sorted(annotated.items()):
            if len(annotated) > 1 and (missing := everywhere - types):
                log.add(finding("L4.split.missing-type", f"split {split} has no mention of type(s) {', '.join(sorted(missing))} "
                                f"that other splits have", CORPUS_PATH, None, col=1))

    def finish(self, near_duplicates: Iterable[tuple[str, str, float]], log: FindingLog) -> None:
        log.extend(self.findings)
        self.check_near_duplicates(near_duplicates, log)
        self.check_missing_types(log)
