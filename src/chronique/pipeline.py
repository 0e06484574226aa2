"""The build, in order: raw files → chunks → (articles → documents → checks → rows) → release.

raw/ is surveyed first (:mod:`chronique.run.survey`: what each file holds, remembered between
builds), which groups near duplicates. Then raw files are cut into chunks that
:mod:`chronique.run.chunks` processes alone, in groups that :mod:`chronique.run.groups` hands to
parallel workers: each chunk's files are read (:data:`READ_STEP`), then its articles go through
:data:`CHUNK_STEPS`, the generators listed below in the order they run, and what comes out
becomes rows, which the worker writes into its group's shards. Every document a step does not
pass on is counted under its reason. Results come back in group order; then :func:`build`
names the shards, runs the checks that need the whole corpus, writes the card, the manifest
and croissant.json, and moves the release into place. Problems go to a shared :class:`FindingLog`, and nothing is published
unless the log holds no error once every chunk was read. Read :func:`build` top to bottom.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from chronique.release.card import render_card
from chronique.release.citation import CITATION_NAME, Citation, read_citation
from chronique.checks.card import check_card, check_citations
from chronique.release.croissant import write_croissant
from chronique.release.recording import record_release
from chronique.checks.catalogue import finding
from chronique.run import steps
from chronique.run.chunks import CHUNK_FILES, BuildContext, adopt_cache, chunk_key, chunk_specs
from chronique.run.executors import Executor, LocalExecutor, open_executor
from chronique.run.groups import GroupResult, adopt_groups, group_specs, run_groups
from chronique.run.survey import FileMemo, learn_raw_files, signatures_in_order
from chronique.checks.corpus import CorpusChecker, DocumentSummary
from chronique.errors import Finding, FindingLog, InputError, ReleaseExistsError, UsageError, raise_if_errors
from chronique.store.documents import is_safe_id
from chronique.store.raw_files import RawSource
from chronique.store.repository import Repository
from chronique.release.manifest import MANIFEST_NAME, fingerprint, read_manifest, refresh_manifest_files, write_manifest
from chronique.release.writer import ReleaseShards, build_lock, publish, release_date, staging_folder
from chronique.schema import STATUSES
from chronique.store.splits import SPLITS, group_signatures, near_duplicate_groups, updated_registry
from chronique.run.stats import CorpusStats
from chronique.release.verify import verify_release
from chronique.version import __version__


READ_STEP = steps.read_articles  # a chunk's raw files → articles, by the reader of each file's extension;
# the chunk's cache key is taken here, and an unchanged chunk's result is read back instead of the steps below

CHUNK_STEPS: tuple[steps.Step, ...] = (
    steps.drop_unsafe_and_repeated_ids,  # ids must be safe as file names and used once
    steps.attach_sources,  # licence, origin, beat… from annotations/sources.tsv
    steps.make_documents,  # annotation file attached, text normalised and segmented, split assigned
    steps.summarise_for_corpus_checks,  # every document, valid or not, for the corpus-level checks
    steps.drop_invalid,  # the document checks; a document with an error goes no further
    steps.keep_out_withheld,  # texts annotations/withheld.tsv keeps out of releases
    steps.keep_published_statuses,  # gold only, unless the build is asked for more
)
"""The document steps of one chunk, in order; what comes out of the last becomes rows."""


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
    chunks: int = 0  # chunks of raw files the build went through
    cache_hits: int = 0  # of them, read back from the build cache instead of computed


@dataclass
class ValidationReport:
    log: FindingLog
    stats: dict[str, dict]

    @property
    def findings(self) -> list[Finding]:
        return self.log.findings

    @property
    def errors(self) -> list[Finding]:
        return self.log.errors

    @property
    def warnings(self) -> list[Finding]:
        return self.log.warnings

    def to_dict(self) -> dict:
        return {"valid": not self.errors, "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.to_dict() for f in self.findings], "statistics": self.stats}


# --- the corpus pass ---------------------------------------------------------------

OnProgress = Callable[[int], None]


@dataclass
class CorpusPass:
    """One pass over the corpus, chunk by chunk: what the repository-level and corpus-level checks need."""

    repo: Repository
    log: FindingLog
    raw_paths: list[str] = field(default_factory=list)  # the raw files' keys (chronique.store.raw_files), in order
    memo: FileMemo = field(default_factory=FileMemo)
    seen: dict[str, str] = field(default_factory=dict)  # doc_id → where it was first read
    assigned: dict[str, str] = field(default_factory=dict)
    corpus: CorpusChecker = field(default_factory=CorpusChecker)
    keys: set[str] = field(default_factory=set)
    chunks: int = 0
    cache_hits: int = 0

    def results(self, context: BuildContext, executor: Executor, on_progress: OnProgress | None) -> Iterator[GroupResult]:
        """raw/ in sorted order, cut into chunks and groups of chunks, each read, checked and converted (on
        ``executor``); the groups come back in order, their shards written."""
        specs = group_specs(chunk_specs(self.raw_paths, key=lambda spec: self._key(spec, context)))
        for group in run_groups(specs, executor=executor, context=context, doc_ids=self._doc_ids):
            for result in group.chunks:
                self.log.extend(result.findings)
                for summary in result.summaries:
                    self._remember(summary)
                self.keys.add(result.key)
                self.chunks += 1
                self.cache_hits += result.from_cache
            self.keys.add(group.key)
            if on_progress:
                on_progress(group.files)
            yield group

    def _key(self, spec, context: BuildContext) -> str:
        """A chunk's cache key from the survey's facts, without reading its files."""
        rows = ((path, a.line, a.doc_id, a.raw_sha256) for path, a in self.memo.articles(spec.paths))
        return chunk_key(rows, lambda relative: self.memo.annotation_digest(self.repo.root, relative), context, spec)

    def _doc_ids(self, group) -> set[str]:
        """The ids of a group's articles, as the survey found them."""
        return {a.doc_id for chunk in group.chunks for _, a in self.memo.articles(chunk.paths)}

    def _remember(self, summary: DocumentSummary) -> None:
        if summary.doc_id in self.seen:  # inside one chunk the chunk reports it; across chunks, here
            self.log.add(finding("L0.ids.duplicate", f"document id {summary.doc_id!r} was already used at "
                                 f"{self.seen[summary.doc_id]}", summary.path, summary.line, 1))
            return
        self.seen[summary.doc_id] = f"{summary.path}:{summary.line}"
        self.assigned[summary.doc_id] = summary.split
        self.corpus.add(summary)

    def finish(self) -> None:
        """The checks that need the whole corpus; call once every chunk was read."""
        self.repo.check_after_stream(set(self.seen), self.assigned, self.log)
        self.corpus.finish(near_duplicate_groups(self.repo).pairs, self.log)

    def remember_inputs(self, cache: Path | None) -> None:
        """Keep what the survey learnt for the next build (with a cache only)."""
        self.memo.save(cache, self.raw_paths, self.repo.annotation_files.values())


def survey(corpus: CorpusPass, executor: Executor, cache: Path | None) -> None:
    """Learn the facts of every raw file the memo does not hold (on ``executor``), then group near
    duplicates from their signatures, before any chunk is cut: the chunks' splits depend on the groups."""
    source = corpus.repo.raw
    corpus.memo = FileMemo.load(cache)
    stale = corpus.memo.stale_raw(source, corpus.raw_paths)
    batches = [stale[start : start + CHUNK_FILES] for start in range(0, len(stale), CHUNK_FILES)]
    for facts in executor.map(learn_raw_files, ((source, batch) for batch in batches)):
        corpus.memo.raw.update(facts)
    group_signatures(corpus.repo, *signatures_in_order(corpus.memo, corpus.raw_paths, is_safe_id))


def open_pass(repo_root: Path, *, version: str, releases: Path | None, executor: Executor | None = None,
              cache: Path | None = None, raw: str | None = None) -> CorpusPass:
    """The repository loaded and its raw files surveyed (on ``executor``; by default in this process).

    The raw files are the repository's ``raw/``, or those of the folder or fsspec URL ``raw``."""
    repo_root = repo_root.resolve()
    releases = (releases or repo_root / "releases").resolve()
    log = FindingLog()
    source = RawSource.of(raw, repo_root)
    repo = Repository.load(repo_root, releases=releases, version=version, log=log, raw=source)
    corpus = CorpusPass(repo, log, [file.key for file in source.files(log)])
    survey(corpus, executor or LocalExecutor(1), cache)  # here, once, before the workers receive the repository
    return corpus


def default_cache(repo: Path) -> Path:
    return repo.resolve() / ".cache" / "chronique-build"


# --- validation and build ---------------------------------------------------------


@contextmanager
def using_executor(executor: Executor | None, jobs: int) -> Iterator[Executor]:
    """``executor`` when the caller gives one (the caller closes it), else a local one of ``jobs`` workers, closed here."""
    if executor is not None:
        yield executor
        return
    with open_executor("local", jobs) as local:
        yield local


def validate(repo: Path, *, version: str = __version__, releases: Path | None = None, jobs: int = 1,
             on_progress: OnProgress | None = None, cache: Path | None = None,
             executor: Executor | None = None, raw: str | None = None) -> ValidationReport:
    """Run every check over the repository without writing anything (but the build cache, when given).

    The work runs on ``executor`` (:mod:`chronique.run.executors`), by default in ``jobs`` local processes.
    ``raw``, a folder or an fsspec URL, replaces the repository's ``raw/`` as the source of the articles."""
    stats = CorpusStats()
    with using_executor(executor, jobs) as executor:
        corpus = open_pass(repo, version=version, releases=releases, executor=executor, cache=cache, raw=raw)
        context = BuildContext(corpus.repo, frozenset(STATUSES), cache, read=READ_STEP, steps=CHUNK_STEPS)
        for group in corpus.results(context, executor, on_progress):
            for result in group.chunks:
                stats.merge(result.stats)
    corpus.finish()
    corpus.remember_inputs(cache)
    repository_citation(corpus.repo.root, corpus.log)
    check_release_card(corpus.repo, corpus.log)
    return ValidationReport(corpus.log, stats.to_dict(SPLITS))


def check_release_card(repo: Repository, log: FindingLog) -> None:
    """The card of the current version's release, when it has been built."""
    folder = repo.releases / repo.version
    if (folder / "README.md").is_file() and (folder / MANIFEST_NAME).is_file():
        manifest = read_manifest(folder)
        documents = sum(manifest.rows.get("documents", {}).values())
        shown = f"{folder.relative_to(repo.root).as_posix() if folder.is_relative_to(repo.root) else folder}/README.md"
        log.extend(check_card(folder / "README.md", documents=documents, shown=shown))
        if manifest.citation is not None:  # releases before 0.2.0 did not yet take their citation from CITATION.cff
            log.extend(check_citations(folder, repo.root / CITATION_NAME, shown))


def build(
    repo: Path,
    *,
    version: str = __version__,
    releases: Path | None = None,
    statuses: Iterable[str] = ("gold",),
    on_progress: OnProgress | None = None,
    update_registry: bool = True,
    jobs: int = 1,
    cache: Path | None = None,
    executor: Executor | None = None,
    raw: str | None = None,
) -> BuildResult:
    """Build ``releases/<version>/`` from ``repo``'s ``raw/`` and ``annotations/``.

    Every validation check runs in the same pass. The work runs on ``executor``
    (:mod:`chronique.run.executors`), by default in ``jobs`` local processes; with ``cache``,
    chunks whose content did not change are read back instead of recomputed. The output
    depends on none of these. ``raw``, a folder or an fsspec URL, replaces the repository's
    ``raw/`` as the source of the articles (their provenance then names it). Raises :class:`InputError` with every finding when there is
    any error, and :class:`ReleaseExistsError` when the version exists with other content;
    in both cases nothing is written.
    """
    statuses = frozenset(statuses)
    if unknown := statuses - set(STATUSES):
        raise UsageError(f"unknown annotation status {sorted(unknown)}; known: {', '.join(STATUSES)}")
    with using_executor(executor, jobs) as executor:
        return _build_on(executor, repo, version=version, releases=releases, statuses=statuses,
                         on_progress=on_progress, update_registry=update_registry, cache=cache, raw=raw)


def _build_on(executor: Executor, repo: Path, *, version: str, releases: Path | None, statuses: frozenset[str],
              on_progress: OnProgress | None, update_registry: bool, cache: Path | None,
              raw: str | None) -> BuildResult:
    corpus = open_pass(repo, version=version, releases=releases, executor=executor, cache=cache, raw=raw)
    log, releases = corpus.log, corpus.repo.releases
    if (releases / version).exists():
        refuse_damaged_release(releases / version)
    stats, withheld, kept_out = CorpusStats(), Counter(), []
    published: dict[str, list[str]] = {split: [] for split in SPLITS}
    with build_lock(releases, cache), staging_folder(releases, version) as staging, \
            cache_staging_folder(cache) as cache_staging:
        # new cache entries wait in a folder inside the cache (its own file system, so that adopting
        # them is a rename); a failed build leaves the cache as it was
        context = BuildContext(corpus.repo, statuses, cache, cache_staging, read=READ_STEP, steps=CHUNK_STEPS,
                               staging=staging)
        shards = ReleaseShards(staging)
        for group in corpus.results(context, executor, on_progress):
            for result in group.chunks:
                stats.merge(result.stats)
                withheld.update(result.withheld)
                kept_out.extend(result.kept_out)
                for split, doc_ids in result.published.items():
                    published[split].extend(doc_ids)
            shards.add(group.shards)
        corpus.finish()
        citation = repository_citation(corpus.repo.root, log)
        if not any(published.values()) and not log.errors:
            log.add(finding("L0.release.empty", f"no document has a published status ({', '.join(sorted(statuses))})",
                            "raw", None, 1, hint="annotate a document or pass --status"))
        raise_if_errors(log, "the build found problems and published nothing")
        adopt_cache(context.cache_staging, cache, corpus.keys)
        adopt_groups(context.cache_staging, cache, corpus.keys)
        corpus.remember_inputs(cache)
        notes = ReleaseNotes(citation, [{"doc_id": d, "reason": corpus.repo.withheld[d]} for d in sorted(kept_out)],
                             _agreement(corpus.repo.root, set().union(*published.values())))
        result = _publish(staging, shards, stats, published, version, releases, log, dict(withheld), notes)
        result.chunks, result.cache_hits = corpus.chunks, corpus.cache_hits

    if update_registry:
        _pin_released(corpus.repo, published, version, result.path)
    return result


def _pin_released(repo: Repository, published: dict[str, list[str]], version: str, release: Path) -> None:
    """After a release: the split registry pins each released document, and the files at the top of the
    repository (CITATION.cff, DATASHEET.md, CHANGELOG.md) describe the release."""
    released_docs = [(doc_id, split) for split, ids in published.items() for doc_id in ids]
    repo.registry_path.write_text(updated_registry(repo.registry, released_docs, version), encoding="utf-8")
    record_release(repo.root, release)


@contextmanager
def cache_staging_folder(cache: Path | None) -> Iterator[Path | None]:
    """A temporary folder inside ``cache`` for this build's new entries (None without a cache), always removed."""
    if cache is None:
        yield None
        return
    cache.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def refuse_damaged_release(folder: Path) -> None:
    """A release folder that fails ``verify`` stops the build: rebuilding over it would launder the damage."""
    findings = [f for f in verify_release(folder) if f.severity == "error"]
    if findings:
        damaged = [finding("release.damaged", f"{folder.name} fails verify: [{f.check_id}] {f.message}", f.path,
                           f.line, hint="restore the release folder from git (git checkout -- releases/) and build again")
                   for f in findings]
        raise InputError(f"release {folder.name} at {folder} is damaged; nothing was built", damaged)


@dataclass(frozen=True)
class ReleaseNotes:
    """What a release states besides its data: how to cite it, the texts kept out, the agreement measured."""

    citation: Citation
    kept_out: list[dict]
    agreement: str | None


def _agreement(root: Path, released: set[str]) -> str | None:
    from chronique.curation.agreement_tables import agreement_section  # krippendorff and numpy only when a build gets this far

    return agreement_section(root, released)


def repository_citation(root: Path, log: FindingLog) -> Citation | None:
    """The citation a release states, read from the repository's CITATION.cff (the one source of it);
    None, with an ``L0.citation.missing`` finding, when it cannot be read."""
    try:
        return read_citation(root / CITATION_NAME)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.add(finding("L0.citation.missing", f"cannot read the title and authors: {type(error).__name__}: {error}",
                        CITATION_NAME, None, 1, hint="the release's citation is generated from CITATION.cff; restore it"))
        return None


def _publish(staging: Path, shards: ReleaseShards, stats: CorpusStats, published: dict[str, list[str]], version: str,
             releases: Path, log: FindingLog, withheld: dict[str, int], notes: ReleaseNotes) -> BuildResult:
    """Move the staged release into place, or confirm that an identical one is there already."""
    rows, digests = shards.row_counts(), shards.shard_digests()
    split_stats = stats.to_dict(SPLITS)
    destination = releases / version
    result = BuildResult(version, destination, "published", fingerprint(digests), rows, split_stats, withheld, log.warnings)
    if destination.exists():
        refuse_damaged_release(destination)
        if read_manifest(destination).fingerprint != result.fingerprint:
            raise ReleaseExistsError(
                f"release {version} already exists at {destination} with different content; "
                f"bump the version in src/chronique/version.py and build again"
            )
        result.outcome = "unchanged"  # nothing under an existing release is ever rewritten
        return result
    released = release_date()
    named = shards.name()
    card = staging / "README.md"
    card.write_text(render_card(version=version, rows=rows, stats=split_stats, released=released, citation=notes.citation,
                                arrow_bytes=shards.arrow_bytes(), agreement=notes.agreement, kept_out=notes.kept_out,
                                shard_counts=shards.counts()),
                    encoding="utf-8")
    log.extend(check_card(card, documents=sum(s["documents"] for s in split_stats.values()),
                          shown=f"releases/{version}/README.md"))
    raise_if_errors(log, "the generated dataset card is invalid; nothing was published")
    write_manifest(staging, version=version, rows=rows, digests=digests, documents=published,
                   statistics=split_stats, released=released, arrow_bytes=shards.arrow_bytes(),
                   citation=notes.citation.to_dict(), agreement=notes.agreement, kept_out=notes.kept_out,
                   known_files=named)
    write_croissant(staging)
    refresh_manifest_files(staging, named)
    publish(staging, destination)
    return result
