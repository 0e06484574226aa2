"""The build's steps inside one chunk, each a small generator over one record type.

:data:`chronique.pipeline.CHUNK_STEPS` lists them in the order they run; :func:`run_steps`
chains them. A step takes the records of the step before and a :class:`Chunk` (what the
chunk knows and collects), and yields what goes on. A record a step does not pass on is
never forgotten: it is counted under its reason in ``Chunk.dropped`` (and, when it is a
problem, reported in ``Chunk.log``), as datatrove's pipeline steps count what they filter.
"""

from __future__ import annotations

from collections import Counter
from itertools import islice
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from chronique.checks.corpus import DocumentSummary, summarise
from chronique.checks.catalogue import finding
from chronique.checks.document import check_document
from chronique.errors import FindingLog
from chronique.store.annotations import read_named_annotation
from chronique.store.documents import is_safe_id, make_documents as make_documents_together
from chronique.store.readers import read_raw
from chronique.store.records import Document, RawArticle
from chronique.store.repository import Repository
from chronique.store.splits import group_pin, split_of

KEPT_OUT = "kept out (annotations/withheld.tsv)"


@dataclass
class Chunk:
    """One chunk's work in progress: its repository and published statuses, and what its steps collect."""

    repo: Repository
    statuses: frozenset[str]
    log: FindingLog
    summaries: list[DocumentSummary] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)  # reason → documents not passed on
    kept_out: list[str] = field(default_factory=list)  # doc ids listed in annotations/withheld.tsv


Step = Callable[[Iterable, Chunk], Iterator]


def run_steps(steps: Iterable[Step], records: Iterable, chunk: Chunk) -> Iterator:
    """The records that come out of ``steps`` applied in order, lazily."""
    for step in steps:
        records = step(records, chunk)
    return iter(records)


# --- raw files → articles ----------------------------------------------------------


def read_articles(keys: Iterable[str], chunk: Chunk) -> Iterator[RawArticle]:
    """The articles of each raw file (by its key in the repository's raw source), read by the reader of its extension."""
    source = chunk.repo.raw
    yield from read_raw((source.file(key) for key in keys), log=chunk.log)


# --- articles → documents ----------------------------------------------------------


def drop_unsafe_and_repeated_ids(articles: Iterable[RawArticle], chunk: Chunk) -> Iterator[RawArticle]:
    """Articles whose id is safe as a file name and not used before in the chunk (across chunks, the
    corpus pass reports a repeated id)."""
    seen: dict[str, str] = {}
    for article in articles:
        if not is_safe_id(article.doc_id):
            chunk.log.add(finding("L0.ids.unsafe", f"document id {article.doc_id!r} is not safe as a file name",
                                  article.path, article.line, col=1, hint="use letters, digits, '_', '.' and '-' only"))
            chunk.dropped["unsafe document id"] += 1
            continue
        if article.doc_id in seen:
            chunk.log.add(finding("L0.ids.duplicate", f"document id {article.doc_id!r} was already used at "
                                  f"{seen[article.doc_id]}", article.path, article.line, col=1))
            chunk.dropped["document id already used"] += 1
            continue
        seen[article.doc_id] = f"{article.path}:{article.line}"
        yield article


def attach_sources(articles: Iterable[RawArticle], chunk: Chunk) -> Iterator[RawArticle]:
    """Each article with what annotations/sources.tsv records for it (licence, origin, beat…)."""
    for article in articles:
        yield chunk.repo.with_sources(article, chunk.log)


SEGMENT_BATCH = 64
"""Articles segmented together: the array work of segmentation is paid once per batch, not per article."""


def make_documents(articles: Iterable[RawArticle], chunk: Chunk) -> Iterator[Document]:
    """Each article normalised and segmented, with its annotation file (if any) and its split; near
    duplicates share a split (:func:`chronique.store.splits.split_of`)."""
    repo = chunk.repo
    articles = iter(articles)
    while batch := list(islice(articles, SEGMENT_BATCH)):
        items = []
        for article in batch:
            relative = repo.annotation_files.get(article.doc_id)
            annotation = read_named_annotation(repo.root / relative, root=repo.root, log=chunk.log) if relative else None
            items.append((article, annotation, split_of(article.doc_id, repo)))
        yield from make_documents_together(items)


def summarise_for_corpus_checks(documents: Iterable[Document], chunk: Chunk) -> Iterator[Document]:
    """Every document, valid or not, counts for the corpus checks (duplicates, leaks, label spread)."""
    for document in documents:
        chunk.summaries.append(summarise(document, group_pin(document.doc_id, chunk.repo)))
        yield document


def drop_invalid(documents: Iterable[Document], chunk: Chunk) -> Iterator[Document]:
    """Documents without an error in the document checks; an unannotated one is flagged (a warning)."""
    root: Path = chunk.repo.root
    for document in documents:
        if document.annotation is None:
            chunk.log.add(finding("L0.status.unannotated", f"document {document.doc_id!r} has no annotation file: "
                                  "status unannotated", document.provenance.raw_path,
                                  document.provenance.raw_line, col=1,
                                  hint=f"annotate it in annotations/{document.doc_id}.json (chronique preannotate helps)"))
        findings = list(check_document(document, root))
        chunk.log.extend(findings)
        if any(f.severity == "error" for f in findings):
            chunk.dropped["has errors"] += 1
            continue
        yield document


def keep_out_withheld(documents: Iterable[Document], chunk: Chunk) -> Iterator[Document]:
    """Documents not listed in annotations/withheld.tsv (texts kept out of releases, with a reason)."""
    for document in documents:
        if document.doc_id in chunk.repo.withheld:
            chunk.dropped[KEPT_OUT] += 1
            chunk.kept_out.append(document.doc_id)
            continue
        yield document


def keep_published_statuses(documents: Iterable[Document], chunk: Chunk) -> Iterator[Document]:
    """Documents whose annotation status is published by this build (``gold`` by default)."""
    for document in documents:
        if document.status not in chunk.statuses:
            chunk.dropped[document.status] += 1
            continue
        yield document
