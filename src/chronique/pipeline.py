"""The build, in order: raw files → articles → documents → checks → rows → release.

Read :func:`build` top to bottom for the whole data flow. Each step is a generator
over one record type; problems go to a shared :class:`FindingLog`, and nothing is
published unless the log holds no error once the stream is exhausted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from chronique.annotations import load_annotations
from chronique.checks import check_document
from chronique.card import render_card
from chronique.documents import is_safe_id, make_document
from chronique.errors import Finding, FindingLog, ReleaseExistsError, UsageError, raise_if_errors
from chronique.readers import read_raw, walk_raw
from chronique.records import Annotation, Document, RawArticle
from chronique.release import (
    MANIFEST_NAME,
    ReleaseWriter,
    fingerprint,
    publish,
    read_manifest,
    staging_folder,
    write_manifest,
)
from chronique.rows import ROW_BUILDERS
from chronique.schema import STATUSES
from chronique.splits import REGISTRY_NAME, SPLITS, SplitEntry, assign_split, load_registry, updated_registry
from chronique.stats import CorpusStats
from chronique.version import __version__

OnDocument = Callable[[Document], None]


@dataclass
class BuildResult:
    version: str
    path: Path
    outcome: str  # "published" or "unchanged"
    fingerprint: str
    rows: dict[str, dict[str, int]]
    stats: dict[str, dict]
    withheld: dict[str, int] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)


# --- steps -------------------------------------------------------------------------


def to_documents(
    articles: Iterable[RawArticle], annotations: dict[str, Annotation], registry: dict[str, SplitEntry], log: FindingLog
) -> Iterator[Document]:
    """Normalise and segment each article; refuse unsafe and duplicate ids."""
    seen: dict[str, str] = {}
    for article in articles:
        where = f"{article.path}:{article.line}"
        if not is_safe_id(article.doc_id):
            log.add(Finding("L0.ids.unsafe", f"document id {article.doc_id!r} is not safe as a file name", article.path,
                            article.line, hint="use letters, digits, '_', '.' and '-' only"))
            continue
        if article.doc_id in seen:
            log.add(Finding("L0.ids.duplicate", f"document id {article.doc_id!r} was already used at {seen[article.doc_id]}",
                            article.path, article.line))
            continue
        seen[article.doc_id] = where
        yield make_document(article, annotations.get(article.doc_id), assign_split(article.doc_id, registry))


def checked(documents: Iterable[Document], root: Path, log: FindingLog) -> Iterator[Document]:
    """Run the document checks; a document with an error is not passed on."""
    for document in documents:
        findings = list(check_document(document, root))
        log.extend(findings)
        if not any(f.severity == "error" for f in findings):
            yield document


def with_status(documents: Iterable[Document], statuses: frozenset[str], withheld: Counter) -> Iterator[Document]:
    """Keep the documents whose annotation status is published; count the others."""
    for document in documents:
        if document.status in statuses:
            yield document
        else:
            withheld[document.status] += 1


def observed(documents: Iterable[Document], *callbacks: OnDocument) -> Iterator[Document]:
    for document in documents:
        for callback in callbacks:
            callback(document)
        yield document


# --- repository-level checks ------------------------------------------------------


def check_orphan_annotations(annotations: dict[str, Annotation], seen: set[str], log: FindingLog) -> None:
    for doc_id, annotation in sorted(annotations.items()):
        if doc_id not in seen:
            log.add(Finding("L0.annotation.orphan", f"no raw article has id {doc_id!r}", annotation.path, 1,
                            hint="add the article to raw/ or remove the annotation file"))


def check_released_splits(releases: Path, assigned: dict[str, str], registry_path: str, log: FindingLog) -> None:
    """No document that an earlier release published may change split."""
    if not releases.is_dir():
        return
    for manifest_path in sorted(releases.glob(f"*/{MANIFEST_NAME}")):
        manifest = json.loads(manifest_path.read_text("utf-8"))
        for split, doc_ids in manifest.get("documents", {}).items():
            for doc_id in doc_ids:
                if doc_id in assigned and assigned[doc_id] != split:
                    log.add(Finding("L0.splits.moved", f"document {doc_id!r} was released in {split} by {manifest['version']} "
                                    f"but is now in {assigned[doc_id]}", registry_path, None,
                                    hint=f"pin it: {doc_id}\t{split}\treleased:{manifest['version']}"))


# --- the build --------------------------------------------------------------------


def build(
    repo: Path,
    *,
    version: str = __version__,
    releases: Path | None = None,
    statuses: Iterable[str] = ("gold",),
    on_document: OnDocument | None = None,
    update_registry: bool = True,
) -> BuildResult:
    """Build ``releases/<version>/`` from ``repo``'s ``raw/`` and ``annotations/``.

    Raises :class:`InputError` with every finding when the data is invalid, and
    :class:`ReleaseExistsError` when the version exists with other content; in both
    cases nothing is written.
    """
    repo = repo.resolve()
    releases = (releases or repo / "releases").resolve()
    statuses = frozenset(statuses)
    if unknown := statuses - set(STATUSES):
        raise UsageError(f"unknown annotation status {sorted(unknown)}; known: {', '.join(STATUSES)}")
    log = FindingLog()
    registry_file = repo / "annotations" / REGISTRY_NAME
    registry_shown = f"annotations/{REGISTRY_NAME}"
    registry = load_registry(registry_file, registry_shown, log)
    annotations = load_annotations(repo / "annotations", root=repo, log=log)

    stats, withheld, assigned = CorpusStats(), Counter(), {}
    published: dict[str, list[str]] = {split: [] for split in SPLITS}
    seen: set[str] = set()

    with staging_folder(releases, version) as staging:
        writer = ReleaseWriter(staging)
        articles = read_raw(walk_raw(repo / "raw", root=repo, log=log), root=repo, log=log)
        documents = to_documents(articles, annotations, registry, log)
        documents = observed(documents, lambda d: seen.add(d.doc_id), lambda d: assigned.__setitem__(d.doc_id, d.split))
        documents = with_status(checked(documents, repo, log), statuses, withheld)
        for document in observed(documents, *([on_document] if on_document else [])):
            stats.add(document)
            published[document.split].append(document.doc_id)
            for config, rows_of in ROW_BUILDERS.items():
                for row in rows_of(document):
                    writer.write(config, document.split, row)
        writer.close()

        check_orphan_annotations(annotations, seen, log)
        check_released_splits(releases, assigned, registry_shown, log)
        if not any(published.values()) and not log.errors:
            log.add(Finding("L0.release.empty", f"no document has a published status ({', '.join(sorted(statuses))})",
                            "raw", None, hint="annotate a document or pass --status"))
        raise_if_errors(log, "the build found problems and published nothing")

        rows, digests = writer.row_counts(), writer.shard_digests()
        print_stats = stats.to_dict(SPLITS)
        destination = releases / version
        result = BuildResult(version, destination, "published", fingerprint(digests), rows, print_stats, dict(withheld), log.warnings)
        if destination.exists():
            existing = read_manifest(destination)["fingerprint"] if (destination / MANIFEST_NAME).exists() else None
            if existing != result.fingerprint:
                raise ReleaseExistsError(
                    f"release {version} already exists at {destination} with different content; "
                    f"bump the version in src/chronique/version.py and build again"
                )
            result.outcome = "unchanged"
            return result
        (staging / "README.md").write_text(render_card(version=version, rows=rows, stats=print_stats), encoding="utf-8")
        write_manifest(staging, version=version, rows=rows, digests=digests, documents=published)
        publish(staging, destination)

    if update_registry:
        registry_file.parent.mkdir(parents=True, exist_ok=True)
        released = [(doc_id, split) for split, ids in published.items() for doc_id in ids]
        registry_file.write_text(updated_registry(registry, released, version), encoding="utf-8")
    return result
