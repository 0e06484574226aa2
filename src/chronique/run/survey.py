"""What the build learns of each input file before the chunks, remembered between builds.

Before any chunk runs, the build needs a few facts about every raw article: its id and line,
the SHA-256 of its record, and the MinHash signature of its normalised text (near duplicates
must share a split, so they are grouped first). Reading every file for them costs as much as
a good part of the build, so the facts of each file are kept in a :class:`FileMemo` beside the
build cache, under the file's path and *stamp* (size, modification time in nanoseconds, inode).
A file whose stamp is unchanged is not read again; the others are read in the build's worker
processes. A file behind fsspec (:mod:`chronique.store.raw_files`) has no stamp and is read every build. Annotation files are remembered the same way, by their SHA-256.

A stamp can only be trusted once the file's modification time is safely in the past (a write
within the same clock tick would leave it unchanged), so files modified in the last
:data:`SETTLE_SECONDS` are read every time, as git does with its index.

The chunks then check what they read against these facts (:func:`chronique.run.chunks.chunk_key`):
a file edited while the build runs stops the build instead of being cached under the wrong facts.
"""

from __future__ import annotations

import hashlib
import pickle
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from chronique.errors import FindingLog
from chronique.store.files import write_atomically
from chronique.store.raw_files import RawSource, Stamp, file_stamp
from chronique.store.readers import read_raw
from chronique.text.normalize import normalize_text

MEMO_NAME = "inputs.pickle"
MEMO_FORMAT = 1
SETTLE_SECONDS = 2.0
"""How long after its last modification a file's stamp is trusted to reveal any change."""

@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """One article of a raw file as the reader yields it, with the MinHash signature of its normalised text."""

    doc_id: str
    line: int
    raw_sha256: str
    signature: bytes  # 64 little-endian uint32


@dataclass(frozen=True, slots=True)
class RawFacts:
    stamp: Stamp | None  # None: a file behind fsspec, learnt again every build
    articles: tuple[ArticleFacts, ...]


def _settled(stamp: Stamp | None, now_ns: int) -> bool:
    return stamp is not None and now_ns - stamp[1] > SETTLE_SECONDS * 1e9


def signature_text(body: str) -> str:
    """The text whose words the signature hashes: the normalised body. Normalising changes the words only
    through NFC and the invisible characters it removes, so a body without either is used as it is."""
    from chronique.text.normalize import _INVISIBLE

    if unicodedata.is_normalized("NFC", body) and not _INVISIBLE.search(body):
        return body
    return normalize_text(body)


def learn_raw_files(source: RawSource, keys: Iterable[str]) -> list[tuple[str, RawFacts]]:
    """The facts of each raw file of ``source`` (by key); problems are left to the chunks, which report them."""
    from chronique.checks.corpus import minhash

    learnt = []
    for key in keys:
        file = source.file(key)
        try:
            stamp = file.stamp()
            articles = tuple(ArticleFacts(a.doc_id, a.line, a.raw_sha256,
                                          minhash(signature_text(a.body)).astype("<u4").tobytes())
                             for a in read_raw([file], log=FindingLog()))
        except OSError:
            continue
        learnt.append((key, RawFacts(stamp, articles)))
    return learnt


@dataclass
class FileMemo:
    """Facts of raw files (by key) and digests of annotation files (by repository-relative path), valid
    while the stamp holds."""

    raw: dict[str, RawFacts] = field(default_factory=dict)
    annotations: dict[str, tuple[Stamp, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, cache: Path | None) -> FileMemo:
        """The memo a previous build left in ``cache``; an empty one when there is none or it cannot be read."""
        if cache is None:
            return cls()
        try:
            data = (cache / MEMO_NAME).read_bytes()
            digest, payload = data[:32], data[32:]
            if hashlib.sha256(payload).digest() != digest:
                return cls()
            version, raw, annotations = pickle.loads(payload)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return cls()
        return cls(raw, annotations) if version == MEMO_FORMAT else cls()

    def save(self, cache: Path | None, keep_raw: Iterable[str], keep_annotations: Iterable[str]) -> None:
        """Write the memo for the files of this build only, settled stamps only, atomically."""
        if cache is None:
            return
        now = time.time_ns()
        raw = {p: self.raw[p] for p in keep_raw if p in self.raw and _settled(self.raw[p].stamp, now)}
        annotations = {p: self.annotations[p] for p in keep_annotations
                       if p in self.annotations and _settled(self.annotations[p][0], now)}
        payload = pickle.dumps((MEMO_FORMAT, raw, annotations), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(cache / MEMO_NAME, hashlib.sha256(payload).digest() + payload)

    def articles(self, paths: Iterable[str]) -> Iterator[tuple[str, ArticleFacts]]:
        """``(path, article)`` for each article the survey found in ``paths``, in order."""
        for relative in paths:
            facts = self.raw.get(relative)
            for article in facts.articles if facts else ():
                yield relative, article

    def stale_raw(self, source: RawSource, keys: Iterable[str]) -> list[str]:
        """The raw files whose facts must be read again: unknown, changed, modified too recently to tell,
        or without a stamp."""
        now = time.time_ns()
        stale = []
        for key in keys:
            known = self.raw.get(key)
            try:
                stamp = source.file(key).stamp()
            except OSError:
                stale.append(key)
                continue
            if known is None or known.stamp != stamp or not _settled(stamp, now):
                stale.append(key)
        return stale

    def annotation_digest(self, root: Path, relative: str) -> str | None:
        """SHA-256 of an annotation file, read only when its stamp changed; None when it cannot be read."""
        path = root / relative
        try:
            stamp = file_stamp(path)
            known = self.annotations.get(relative)
            if known is not None and known[0] == stamp and _settled(stamp, time.time_ns()):
                return known[1]
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        self.annotations[relative] = (stamp, digest)
        return digest


def signatures_in_order(memo: FileMemo, paths: Iterable[str], is_safe: Callable[[str], bool]) -> tuple[list[str], np.ndarray]:
    """Doc ids and signatures (one row each) of the first article of each safe id, in raw/ order."""
    doc_ids: list[str] = []
    rows: list[bytes] = []
    seen: set[str] = set()
    for _, article in memo.articles(paths):
        if is_safe(article.doc_id) and article.doc_id not in seen:
            seen.add(article.doc_id)
            doc_ids.append(article.doc_id)
            rows.append(article.signature)
    matrix = np.frombuffer(b"".join(rows), dtype="<u4").reshape(len(rows), -1) if rows else np.zeros((0, 64), "<u4")
    return doc_ids, matrix.astype(np.uint32)

