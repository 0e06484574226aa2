"""The build, in order: raw files → articles → documents → checks → rows → release.

Read :func:`build` top to bottom for the whole data flow. Each step is a generator
over one record type; problems go to a shared :class:`FindingLog`, and nothing is
published unless the log holds no error once the stream is exhausted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from chronique.card import refresh_card, render_card
from chronique.card_checks import check_card
from chronique.croissant import write_croissant
from chronique.recording import record_release
from chronique.checks import check_document, finding
from chronique.corpus_checks import CorpusChecker
from chronique.documents import is_safe_id, make_document
from chronique.errors import Finding, FindingLog, ReleaseExistsError, UsageError, raise_if_errors
from chronique.readers import read_raw, walk_raw
from chronique.records import Document, RawArticle
from chronique.repository import Repository
from chronique.release import (
    MANIFEST_NAME,
    ReleaseWriter,
    fingerprint,
    publish,
    read_manifest,
    refresh_manifest_files,
    release_date,
    staging_folder,
    write_manifest,
)
from chronique.rows import ROW_BUILDERS
from chronique.schema import STATUSES
from chronique.splits import SPLITS, assign_split, updated_registry
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


@dataclass
class ValidationReport:
    findings: list[Finding]
    stats: dict[str, dict]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def to_dict(self) -> dict:
        return {"valid": not self.errors, "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.to_dict() for f in self.findings], "statistics": self.stats}


# --- steps -------------------------------------------------------------------------


def to_documents(articles: Iterable[RawArticle], repo: Repository, log: FindingLog) -> Iterator[Document]:
    """Normalise and segment each article with its annotation and split; refuse unsafe and duplicate ids."""
    seen: dict[str, str] = {}
    for article in articles:
        if not is_safe_id(article.doc_id):
            log.add(finding("L0.ids.unsafe", f"document id {article.doc_id!r} is not safe as a file name", article.path,
                            article.line, hint="use letters, digits, '_', '.' and '-' only"))
            continue
        if article.doc_id in seen:
            log.add(finding("L0.ids.duplicate", f"document id {article.doc_id!r} was already used at {seen[article.doc_id]}",
                            article.path, article.line))
            continue
        seen[article.doc_id] = f"{article.path}:{article.line}"
        article = repo.with_sources(article, log)
        yield make_document(article, repo.annotations.get(article.doc_id), assign_split(article.doc_id, repo.registry))


def checked(documents: Iterable[Document], root: Path, log: FindingLog) -> Iterator[Document]:
    """Run the document checks; a document with an error is not passed on."""
    for document in documents:
        if document.annotation is None:
            log.add(finding("L0.status.unannotated", f"document {document.doc_id!r} has no annotation file: status "
                            "unannotated", document.provenance.raw_path, document.provenance.raw_line,
                            hint=f"annotate it in annotations/{document.doc_id}.json (chronique preannotate helps)"))
        findings = list(check_document(document, root))
        log.extend(findings)
        if not any(f.severity == "error" for f in findings):
            yield document


def observed(documents: Iterable[Document], *callbacks: OnDocument) -> Iterator[Document]:
    for document in documents:
        for callback in callbacks:
            callback(document)
        yield document


@dataclass
class CorpusPass:
    """One pass over the corpus: every document checked, and what the post-stream checks need."""

    repo: Repository
    log: FindingLog
    seen: set[str] = field(default_factory=set)
    assigned: dict[str, str] = field(default_factory=dict)
    corpus: CorpusChecker = field(default_factory=CorpusChecker)

    def documents(self) -> Iterator[Document]:
        """raw/ → articles → documents → checked documents, in sorted file order."""
        root, log = self.repo.root, self.log
        articles = read_raw(walk_raw(root / "raw", root=root, log=log), root=root, log=log)
        documents = to_documents(articles, self.repo, log)
        documents = observed(documents, self._remember, self.corpus.add)
        return checked(documents, root, log)

    def _remember(self, document: Document) -> None:
        self.seen.add(document.doc_id)
        self.assigned[document.doc_id] = document.split

    def finish(self) -> None:
        """The checks that need the whole corpus; call once the stream is exhausted."""
        self.repo.check_after_stream(self.seen, self.assigned, self.log)
        self.corpus.finish(self.log)


def open_pass(repo_root: Path, *, version: str, releases: Path | None) -> CorpusPass:
    repo_root = repo_root.resolve()
    releases = (releases or repo_root / "releases").resolve()
    log = FindingLog()
    return CorpusPass(Repository.load(repo_root, releases=releases, version=version, log=log), log)


# --- validation and build ---------------------------------------------------------


def validate(repo: Path, *, version: str = __version__, releases: Path | None = None,
             on_document: OnDocument | None = None) -> ValidationReport:
    """Run every check over the repository without writing anything."""
    corpus = open_pass(repo, version=version, releases=releases)
    stats = CorpusStats()
    for document in observed(corpus.documents(), *([on_document] if on_document else [])):
        stats.add(document)
    corpus.finish()
    check_release_card(corpus.repo, corpus.log)
    return ValidationReport(corpus.log.findings, stats.to_dict(SPLITS))


def check_release_card(repo: Repository, log: FindingLog) -> None:
    """The card of the current version's release, when it has been built."""
    folder = repo.releases / repo.version
    if (folder / "README.md").is_file() and (folder / MANIFEST_NAME).is_file():
        documents = sum(read_manifest(folder)["rows"].get("documents", {}).values())
        log.extend(check_card(folder / "README.md", documents=documents,
                              shown=f"{folder.relative_to(repo.root).as_posix() if folder.is_relative_to(repo.root) else folder}/README.md"))


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

    Every validation check runs in the same pass. Raises :class:`InputError` with every
    finding when there is any error, and :class:`ReleaseExistsError` when the version
    exists with other content; in both cases nothing is written.
    """
    statuses = frozenset(statuses)
    if unknown := statuses - set(STATUSES):
        raise UsageError(f"unknown annotation status {sorted(unknown)}; known: {', '.join(STATUSES)}")
    corpus = open_pass(repo, version=version, releases=releases)
    log, releases = corpus.log, corpus.repo.releases
    stats, withheld = CorpusStats(), Counter()
    published: dict[str, list[str]] = {split: [] for split in SPLITS}

    with staging_folder(releases, version) as staging:
        writer = ReleaseWriter(staging)
        for document in observed(corpus.documents(), *([on_document] if on_document else [])):
            if document.status not in statuses:
                withheld[document.status] += 1
                continue
            stats.add(document)
            published[document.split].append(document.doc_id)
            for config, rows_of in ROW_BUILDERS.items():
                for row in rows_of(document):
                    writer.write(config, document.split, row)
        writer.close()
        corpus.finish()
        if not any(published.values()) and not log.errors:
            log.add(finding("L0.release.empty", f"no document has a published status ({', '.join(sorted(statuses))})",
                            "raw", None, hint="annotate a document or pass --status"))
        raise_if_errors(log, "the build found problems and published nothing")

        rows, digests = writer.row_counts(), writer.shard_digests()
        split_stats = stats.to_dict(SPLITS)
        destination = releases / version
        result = BuildResult(version, destination, "published", fingerprint(digests), rows, split_stats, dict(withheld),
                             log.warnings)
        if destination.exists():
            existing = read_manifest(destination)["fingerprint"] if (destination / MANIFEST_NAME).exists() else None
            if existing != result.fingerprint:
                raise ReleaseExistsError(
                    f"release {version} already exists at {destination} with different content; "
                    f"bump the version in src/chronique/version.py and build again"
                )
            result.outcome = "unchanged"
            write_croissant(destination)
            refresh_card(destination)
        else:
            released = release_date()
            card = staging / "README.md"
            card.write_text(render_card(version=version, rows=rows, stats=split_stats, released=released,
                                        arrow_bytes=writer.arrow_bytes()), encoding="utf-8")
            log.extend(check_card(card, documents=sum(split_stats[s]["documents"] for s in split_stats),
                                  shown=f"releases/{version}/README.md"))
            raise_if_errors(log, "the generated dataset card is invalid; nothing was published")
            write_manifest(staging, version=version, rows=rows, digests=digests, documents=published,
                           statistics=split_stats, released=released, arrow_bytes=writer.arrow_bytes())
            write_croissant(staging)
            refresh_manifest_files(staging)
            publish(staging, destination)

    if update_registry:
        released_docs = [(doc_id, split) for split, ids in published.items() for doc_id in ids]
        corpus.repo.registry_path.write_text(updated_registry(corpus.repo.registry, released_docs, version), encoding="utf-8")
        record_release(corpus.repo.root, destination)
    return result
