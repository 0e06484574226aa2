"""Repository-level state and its level-0 checks.

:class:`Repository` reads what the build needs besides the raw articles: the
annotation files, the split registry, ``annotations/sources.tsv`` (licence and
source of articles whose format cannot carry them) and the existing releases.
Its checks report into a :class:`FindingLog`; nothing here prints or writes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.release.licensing import ORIGINS, UNKNOWN, is_valid_licence
from chronique.store.raw_files import RawSource
from chronique.store.records import RawArticle
from chronique.schema import SEMVER
from chronique.release.manifest import MANIFEST_NAME, read_manifest
from chronique.store.splits import REGISTRY_NAME, NearDuplicateGroups, SplitEntry, load_registry

SOURCES_NAME = "sources.tsv"
WITHHELD_NAME = "withheld.tsv"
"""``doc_id<TAB>reason``: texts kept out of every release (a factual error in a composed text, say)."""


SOURCE_COLUMNS = ("doc_id", "license", "origin", "source", "url", "beat", "domain", "genre")
"""The columns of ``annotations/sources.tsv``: what a raw format cannot carry, per document."""


@dataclass(frozen=True, slots=True)
class SourceEntry:
    doc_id: str
    license: str | None
    origin: str | None
    source: str | None
    url: str | None
    beat: str | None = None
    domain: str | None = None
    genre: str | None = None


def semver_key(version: str) -> tuple[int, int, int] | None:
    match = SEMVER.match(version)
    return tuple(int(part) for part in match.groups()) if match else None


def tsv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, tab-separated fields)`` of a repository table; blank lines and ``#`` comments are
    skipped, and a missing file has no records."""
    if not path.exists():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            yield number, line.split("\t")


def load_sources(path: Path, shown: str, log: FindingLog) -> dict[str, SourceEntry]:
    """One line per document, the tab-separated :data:`SOURCE_COLUMNS`; ``#`` starts a comment.

    Every field but ``doc_id`` may be empty where the raw record carries the value (a JSON Lines
    record has its own ``license`` and ``source``) or where it is not known (``url``)."""
    entries: dict[str, SourceEntry] = {}
    for number, fields in tsv_records(path):
        if len(fields) != len(SOURCE_COLUMNS) or not fields[0]:
            log.add(finding("L0.sources.format", f"expected {len(SOURCE_COLUMNS)} tab-separated fields "
                            f"({', '.join(SOURCE_COLUMNS)}), found {len(fields)}", shown, number, col=1,
                            hint="leave a field empty (two tabs) where the raw record carries it; write 'unknown' "
                            "for a licence or source that is not known"))
            continue
        if fields[0] in entries:
            log.add(finding("L0.sources.format", f"document {fields[0]!r} is described twice", shown, number, col=1))
            continue
        entries[fields[0]] = SourceEntry(*(value or None for value in fields))
    return entries


def load_withheld(path: Path, shown: str, log: FindingLog) -> dict[str, str]:
    """``doc_id<TAB>reason`` lines; ``#`` starts a comment. A text listed here is read and checked, never released."""
    entries: dict[str, str] = {}
    for number, fields in tsv_records(path):
        if len(fields) != 2 or not all(field.strip() for field in fields):
            log.add(finding("L0.withheld.format", f"expected doc_id and a reason, tab-separated; found {len(fields)} "
                            "field(s)", shown, number, col=1, hint="say why the text is kept out, in one line"))
        elif fields[0] in entries:
            log.add(finding("L0.withheld.format", f"document {fields[0]!r} is listed twice", shown, number, col=1))
        else:
            entries[fields[0]] = fields[1].strip()
    return entries


@dataclass
class Repository:
    """Everything the build reads besides raw articles, loaded once."""

    root: Path
    releases: Path
    version: str
    registry: dict[str, SplitEntry] = field(default_factory=dict)
    annotation_files: dict[str, str] = field(default_factory=dict)  # doc_id → repository-relative path
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)  # doc_id → why it is kept out of releases
    # the near-duplicate groups of raw/ (chronique.store.splits.near_duplicate_groups), computed once, in the
    # process that loads the repository, and sent to the build's workers with it
    near_duplicates: NearDuplicateGroups | None = None
    raw: RawSource | None = None  # where the raw articles are read from; None: the repository's raw/

    registry_shown = f"annotations/{REGISTRY_NAME}"
    sources_shown = f"annotations/{SOURCES_NAME}"

    def __post_init__(self) -> None:
        if self.raw is None:
            self.raw = RawSource.of_repository(self.root)

    @classmethod
    def load(cls, root: Path, *, releases: Path, version: str, log: FindingLog, raw: RawSource | None = None) -> Repository:
        repo = cls(root, releases, version, raw=raw)
        repo.registry = load_registry(root / "annotations" / REGISTRY_NAME, cls.registry_shown, log)
        repo.sources = load_sources(root / "annotations" / SOURCES_NAME, cls.sources_shown, log)
        repo.withheld = load_withheld(root / "annotations" / WITHHELD_NAME, f"annotations/{WITHHELD_NAME}", log)
        repo.annotation_files = repo.index_annotations(log)
        repo.check_version(log)
        return repo

    def index_annotations(self, log: FindingLog) -> dict[str, str]:
        """Annotation files by the doc id in their name; they are read one document at a time, later."""
        index = {}
        folder = self.root / "annotations"
        if not folder.is_dir():
            return index
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):  # os.scandir: 100k Path objects cost a second
            if not entry.name.endswith(".json") or entry.name.startswith("."):
                continue
            shown = f"annotations/{entry.name}"
            if entry.is_symlink():
                log.add(finding("L0.path.symlink", "symbolic links are not allowed in annotations/", shown, col=1,
                                hint="copy the file instead of linking to it"))
            else:
                index[entry.name[: -len(".json")]] = shown
        return index

    def only(self, doc_ids: set[str]) -> Repository:
        """A copy that holds what the build's steps look up for ``doc_ids`` only: what one worker needs for one
        group of chunks, so that no worker holds the whole corpus's bookkeeping."""
        def subset(mapping: dict) -> dict:
            return {doc_id: mapping[doc_id] for doc_id in doc_ids if doc_id in mapping}

        groups = self.near_duplicates
        if groups is not None:
            groups = replace(groups, splits=subset(groups.splits), pinned=groups.pinned & doc_ids, pairs=())
        return replace(self, registry=subset(self.registry), annotation_files=subset(self.annotation_files),
                       sources=subset(self.sources), withheld=subset(self.withheld), near_duplicates=groups)

    @property
    def registry_path(self) -> Path:
        return self.root / "annotations" / REGISTRY_NAME

    def released_versions(self) -> list[str]:
        if not self.releases.is_dir():
            return []
        found = [p.name for p in self.releases.iterdir() if (p / MANIFEST_NAME).is_file() and semver_key(p.name)]
        return sorted(found, key=semver_key)

    def check_version(self, log: FindingLog) -> None:
        where = "src/chronique/version.py"
        if semver_key(self.version) is None:
            log.add(finding("L0.version.semver", f"version {self.version!r} is not MAJOR.MINOR.PATCH", where,
                            None, col=1))
            return
        released = self.released_versions()
        if released and semver_key(self.version) < semver_key(released[-1]):
            log.add(finding("L0.version.order", f"version {self.version} is lower than the latest release {released[-1]}",
                            where, None, col=1, hint="bump the version above the latest release"))

    def with_sources(self, article: RawArticle, log: FindingLog) -> RawArticle:
        """The article with what its raw record lacks filled in from sources.tsv, then its licence and origin checked."""
        entry = self.sources.get(article.doc_id)
        if entry is not None:
            article = replace(article, **{name: getattr(article, name) or getattr(entry, name)
                                          for name in SOURCE_COLUMNS[1:]})
        self._check_licence(article, log)
        self._check_origin(article, log)
        return article

    def _check_licence(self, article: RawArticle, log: FindingLog) -> None:
        hint = f"add a line to {self.sources_shown}: {article.doc_id}<TAB>licence<TAB>origin<TAB>source<TAB>url<TAB>…"
        if not article.license:
            log.add(finding("L0.license.missing", f"document {article.doc_id!r} has no licence", article.path,
                            article.line, col=1,
                            hint=hint))
        elif not is_valid_licence(article.license):
            log.add(finding("L0.license.invalid", f"licence {article.license!r} of document {article.doc_id!r} is not an "
                            "SPDX id or 'unknown'", article.path, article.line, col=1,
                            hint="write the SPDX id, e.g. CC-BY-4.0"))
        elif article.license == UNKNOWN:
            log.add(finding("L0.license.unknown", f"the licence of document {article.doc_id!r} is recorded as unknown",
                            article.path, article.line, col=1, hint="find the publisher's terms and record them"))

    def _check_origin(self, article: RawArticle, log: FindingLog) -> None:
        if not article.origin:
            log.add(finding("L0.origin.missing", f"document {article.doc_id!r} has no origin", article.path,
                            article.line, col=1,
                            hint=f"record it in {self.sources_shown}: 'published' (from a publisher) or 'composed' "
                            "(written for the corpus)"))
        elif article.origin not in ORIGINS:
            log.add(finding("L0.origin.invalid", f"origin {article.origin!r} of document {article.doc_id!r} is not one "
                            f"of {', '.join(ORIGINS)}", article.path, article.line, col=1))

    def check_after_stream(self, seen: set[str], assigned: dict[str, str], log: FindingLog) -> None:
        """Checks that need every document id: orphans, registry and sources entries, moved splits."""
        for doc_id, path in sorted(self.annotation_files.items()):
            if doc_id not in seen:
                self.check_unmatched_annotation(path, seen, log)
        for doc_id in sorted(set(self.registry) - seen):
            log.add(finding("L0.splits.unknown-doc", f"document {doc_id!r} is in the registry but not in {self.raw.shown}/",
                            self.registry_shown, None, col=1))
        for doc_id in sorted(set(self.sources) - seen):
            log.add(finding("L0.sources.unknown-doc", f"document {doc_id!r} is described but not in {self.raw.shown}/",
                            self.sources_shown, None, col=1))
        for doc_id in sorted(set(self.withheld) - seen):
            log.add(finding("L0.withheld.unknown-doc", f"document {doc_id!r} is withheld but not in {self.raw.shown}/",
                            f"annotations/{WITHHELD_NAME}", None, col=1))
        self.check_released_splits(assigned, log)

    def check_unmatched_annotation(self, path: str, seen: set[str], log: FindingLog) -> None:
        """A file no raw article matches by name: misnamed when it annotates a known document, else an orphan."""
        from chronique.store.annotations import read_named_annotation

        read_named_annotation(self.root / path, root=self.root, log=log)  # reports L0.annotation.name or file errors
        if not any(f.path == path and f.check_id == "L0.annotation.name" for f in log.findings):
            log.add(finding("L0.annotation.orphan", f"no raw article has id {Path(path).stem!r}", path, 1, col=1,
                            hint="add the article to raw/ or remove the annotation file"))

    def check_released_splits(self, assigned: dict[str, str], log: FindingLog) -> None:
        for version in self.released_versions():
            for split, doc_ids in read_manifest(self.releases / version).documents.items():
                for doc_id in doc_ids:
                    if doc_id in assigned and assigned[doc_id] != split:
                        log.add(finding("L0.splits.moved", f"document {doc_id!r} was released in {split} by {version} "
                                        f"but is now in {assigned[doc_id]}", self.registry_shown, None, col=1,
                                        hint=f"pin it: {doc_id}<TAB>{split}<TAB>released:{version}"))
