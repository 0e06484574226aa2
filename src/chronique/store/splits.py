"""Deterministic, stable train/validation/test splits.

A document keeps the split it was first released in. The committed registry
``annotations/splits.tsv`` records, one line per document, ``doc_id``, ``split`` and
``origin``: ``released:<version>`` (written by the build after a release) or
``override`` (written by a person to force a split). A document not in the registry
is assigned by a hash of its id: 80 % train, 10 % validation, 10 % test.

Near duplicates stay together. Documents whose texts are near duplicates (the test of
the ``L4.leak.near-duplicate`` check, :func:`chronique.checks.corpus.near_duplicate_pairs`)
form groups, transitively; a document the registry does not pin takes its group's split:

* the pin of the group's pinned member with the smallest ``doc_id``, when a member is pinned;
* otherwise the hash split of the group's smallest ``doc_id``.

The "first member" is thus chosen by ``doc_id`` alone, never by file order, chunking or
the number of jobs, so the same corpus always gets the same splits. Pinned members keep
their pins even when these disagree: the registry is what a person wrote or a release
promised, and the L4 check reports the pair that the pins separate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog

if TYPE_CHECKING:  # the repository imports this module
    from chronique.store.repository import Repository

SPLITS = ("train", "validation", "test")
REGISTRY_NAME = "splits.tsv"
_HEADER = "# doc_id\tsplit\torigin"


@dataclass(frozen=True, slots=True)
class SplitEntry:
    doc_id: str
    split: str
    origin: str
    line: int | None = field(default=None, compare=False)  # where the registry file says so, when read from it


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
            log.add(finding("L0.splits.format", f"expected 3 tab-separated fields, found {len(fields)}", shown, number,
                            hint="write: doc_id<TAB>split<TAB>override"))
            continue
        doc_id, split, origin = fields
        if split not in SPLITS:
            log.add(finding("L0.splits.format", f"unknown split {split!r} (known: {', '.join(SPLITS)})", shown, number))
        elif origin != "override" and not origin.startswith("released:"):
            log.add(finding("L0.splits.format", f"unknown origin {origin!r}; expected 'override' or 'released:<version>'",
                            shown, number))
        elif doc_id in registry:
            log.add(finding("L0.splits.duplicate", f"document {doc_id!r} is listed twice", shown, number))
        else:
            registry[doc_id] = SplitEntry(doc_id, split, origin, number)
    return registry


def assign_split(doc_id: str, registry: dict[str, SplitEntry], grouped: Mapping[str, str] | None = None) -> str:
    """A document's split: its registry pin, else the split of its near-duplicate group (``grouped``, from
    :func:`group_near_duplicates`), else its hash split."""
    entry = registry.get(doc_id)
    if entry:
        return entry.split
    return (grouped or {}).get(doc_id) or hash_split(doc_id)


# --- near-duplicate groups ---------------------------------------------------------


@dataclass(frozen=True)
class NearDuplicateGroups:
    """How a corpus's near-duplicate groups shape its splits.

    Only documents that have a near duplicate appear here; every other one keeps its pin or hash split.
    """

    splits: dict[str, str] = field(default_factory=dict)  # member not pinned → its group's split
    pinned: frozenset[str] = frozenset()  # members the registry pins
    pairs: tuple[tuple[str, str, float], ...] = ()  # (doc id, doc id, estimated Jaccard), for the L4 check


def _connected(count: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The groups (of two or more) that ``pairs`` connect among ``range(count)``: a union-find, in index order."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(root(i), []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def group_split(members: Iterable[str], registry: Mapping[str, SplitEntry]) -> str:
    """The split of a near-duplicate group, decided by its first member: the pinned member with the smallest
    doc_id when any is pinned, else the smallest doc_id, by its hash."""
    ordered = sorted(members)
    pinned = [doc_id for doc_id in ordered if doc_id in registry]
    return registry[pinned[0]].split if pinned else hash_split(ordered[0])


def group_near_duplicates(doc_ids: Sequence[str], pairs: Iterable[tuple[int, int]],
                          registry: Mapping[str, SplitEntry]) -> NearDuplicateGroups:
    """Group the documents that ``pairs`` (indices into ``doc_ids``) join as near duplicates, and give each
    group's members that the registry does not pin the group's split (:func:`group_split`)."""
    splits: dict[str, str] = {}
    pinned: set[str] = set()
    for members in _connected(len(doc_ids), pairs):
        ids = [doc_ids[i] for i in members]
        split = group_split(ids, registry)
        for doc_id in ids:
            if doc_id in registry:
                pinned.add(doc_id)
            else:
                splits[doc_id] = split
    return NearDuplicateGroups(splits, frozenset(pinned))


def corpus_signatures(root: Path) -> tuple[list[str], Sequence]:
    """The doc ids of ``root/raw`` and the MinHash signatures of their texts, as the build's corpus pass sees them:
    in raw/ order, the first article of each safe id, its text normalised as a document's is. Read here, in
    this process; the build reads them in its workers and remembers them (:mod:`chronique.run.survey`).

    Reading problems are left to the build's own pass, which reports them."""
    from chronique.run.survey import FileMemo, learn_raw_files, signatures_in_order
    from chronique.store.documents import is_safe_id
    from chronique.store.raw_files import RawSource

    source = RawSource.of_repository(root)
    keys = [file.key for file in source.files(FindingLog())]
    memo = FileMemo(dict(learn_raw_files(source, keys)))
    return signatures_in_order(memo, keys, is_safe_id)


def group_signatures(repo: Repository, doc_ids: Sequence[str], signatures: Sequence) -> NearDuplicateGroups:
    """The near-duplicate groups of documents with these signatures, kept on the repository for the build's steps."""
    from chronique.checks.corpus import near_duplicate_pairs

    pairs = list(near_duplicate_pairs(signatures))
    groups = group_near_duplicates(doc_ids, ((a, b) for a, b, _ in pairs), repo.registry)
    repo.near_duplicates = replace(groups, pairs=tuple((doc_ids[a], doc_ids[b], s) for a, b, s in pairs))
    return repo.near_duplicates


def near_duplicate_groups(repo: Repository) -> NearDuplicateGroups:
    """The near-duplicate groups of ``repo``'s corpus, computed on first use and kept on the repository.

    The build computes them in the process that loads the repository, before any worker starts, from the
    signatures its survey of raw/ found (:func:`group_signatures`); the L4 check then reports their pairs
    that end up in two splits, and the workers receive them with the repository. Without a survey they are
    computed here from raw/. A later build loads a new repository, so edits to raw/ are always seen."""
    if repo.near_duplicates is None:
        group_signatures(repo, *corpus_signatures(repo.root))
    return repo.near_duplicates


def split_of(doc_id: str, repo: Repository) -> str:
    """The split the build gives a document of ``repo``: its pin, else its near-duplicate group's, else its hash."""
    return assign_split(doc_id, repo.registry, near_duplicate_groups(repo).splits)


def group_pin(doc_id: str, repo: Repository) -> tuple[str, int | None] | None:
    """Where the registry pins a document that has near duplicates, for the L4 check to point at; None for
    any other document, so that registry edits elsewhere leave the chunk cache alone."""
    entry = repo.registry.get(doc_id)
    if entry is None or doc_id not in near_duplicate_groups(repo).pinned:
        return None
    return repo.registry_shown, entry.line


def updated_registry(registry: dict[str, SplitEntry], released: Iterable[tuple[str, str]], version: str) -> str:
    """Registry text after a release: every released document pinned to its split."""
    entries = dict(registry)
    for doc_id, split in released:
        if doc_id not in entries or entries[doc_id].origin == "override":
            entries[doc_id] = SplitEntry(doc_id, split, f"released:{version}")
    lines = [_HEADER] + [f"{e.doc_id}\t{e.split}\t{e.origin}" for e in sorted(entries.values(), key=lambda e: e.doc_id)]
    return "\n".join(lines) + "\n"
