"""The build's unit of work: a chunk of raw files, processed alone, in parallel, and cached by content.

A chunk is a run of consecutive raw files in sorted order. :func:`process_chunk` reads its
articles, then runs them through the document steps that :mod:`chronique.pipeline` lists
(:mod:`chronique.run.steps`), and returns a :class:`ChunkResult`:
findings, one small :class:`DocumentSummary` per document for the corpus-level checks,
statistics, and the Arrow tables of its published rows per config and split. The build
consumes results in chunk order, so the output is the same whatever the number of jobs.

Results are cached on disk under a key derived from the chunk's content: each raw file's
SHA-256, each annotation file's SHA-256, the split and source entries of its documents,
the published statuses, and the hash of this package's code and schema. A chunk whose
key is unchanged is read back from the cache instead of being computed again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

import pyarrow as pa

from chronique.checks.corpus import DocumentSummary
from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog
from chronique.run.rows import SplitBatches
from chronique.run.stats import CorpusStats
from chronique.run.steps import Chunk, Step, read_articles, run_steps
from chronique.store.documents import is_safe_id
from chronique.store.files import write_atomically
from chronique.store.records import RawArticle
from chronique.store.repository import Repository
from chronique.store.splits import SPLITS, group_pin, split_of

CHUNK_FILES = 256
"""Raw files per chunk: large enough to amortise the per-chunk cost, small enough to re-do cheaply."""

CODE_KEY_EXCLUDED = frozenset({"version.py"})
"""Package files that shape no row, and so are not part of the cache key."""

@lru_cache(maxsize=None)
def code_version() -> str:
    """SHA-256 of this package's Python sources and schemas: a change to them invalidates the cache.

    ``version.py`` is left out: bumping the version, the documented step before every release,
    changes no row, and keying on it would throw the whole cache away at each release.
    """
    digest = hashlib.sha256()
    package = resources.files("chronique")
    for path in sorted(Path(str(package)).rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and path.name not in CODE_KEY_EXCLUDED:
            digest.update(path.relative_to(Path(str(package))).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ChunkSpec:
    index: int
    paths: tuple[str, ...]  # repository-relative raw files
    key: str = ""  # the chunk's cache key, from what the survey learnt of its files (chronique.run.survey)


@dataclass
class ChunkResult:
    index: int
    key: str
    files: int
    summaries: list[DocumentSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tables: dict[tuple[str, str], pa.Table] = field(default_factory=dict)
    stats: CorpusStats = field(default_factory=CorpusStats)
    withheld: Counter = field(default_factory=Counter)
    kept_out: list = field(default_factory=list)  # doc ids listed in annotations/withheld.tsv
    published: dict[str, list[str]] = field(default_factory=dict)
    from_cache: bool = False


@dataclass(frozen=True)
class BuildContext:
    """What every worker needs, sent once per worker rather than once per chunk.

    ``read`` turns a chunk's raw files into articles, and ``steps`` are the document steps that
    follow (:data:`chronique.pipeline.CHUNK_STEPS`); the chunk's cache key is taken between the two.
    """

    repo: Repository
    statuses: frozenset[str]
    cache_dir: Path | None  # where finished builds left their chunk results (read)
    cache_staging: Path | None = None  # where this build puts new ones, adopted only if it succeeds (write)
    read: Step = read_articles
    steps: tuple[Step, ...] = ()
    staging: Path | None = None  # the release's staging folder, where workers write shards (None: validation only)


_CONTEXT: BuildContext | None = None


def install(context: BuildContext) -> None:
    """Make ``context`` the one this process's chunks run with (a pool's initializer in each worker)."""
    global _CONTEXT
    _CONTEXT = context


def current_context() -> BuildContext:
    return _CONTEXT


def chunk_specs(paths: list[str], size: int | None = None, key: Callable[[ChunkSpec], str] | None = None) -> list[ChunkSpec]:
    """``paths`` (repository-relative, in raw/ order) cut into chunks of ``size`` files, each with its ``key``."""
    size = size or CHUNK_FILES
    specs = [ChunkSpec(i, tuple(paths[start : start + size])) for i, start in enumerate(range(0, len(paths), size))]
    return [replace(spec, key=key(spec)) for spec in specs] if key else specs


def is_cached(cache_dir: Path | None, key: str) -> bool:
    return cache_dir is not None and bool(key) and _cache_path(cache_dir, key).is_file()


def take_cached(spec: ChunkSpec, context: BuildContext) -> ChunkResult:
    """The chunk's cached result; computed after all when the entry is damaged (and then reported)."""
    cached = load_cached(context.cache_dir, spec.key)
    if isinstance(cached, ChunkResult):
        cached.index, cached.from_cache = spec.index, True
        return cached
    result = process_chunk(spec)
    if cached == CORRUPT:
        result.findings.append(finding("build.cache.corrupt", f"cache entry {spec.key[:12]}… of chunk {spec.index} failed "
                                       "its digest check; it was discarded and the chunk recomputed",
                                       str(_cache_path(context.cache_dir, spec.key))))
    return result


# --- one chunk ---------------------------------------------------------------------


KeyRow = tuple[str, int, str, str]
"""What the cache key takes of one article: its path, line, doc id and the SHA-256 of its record."""


def chunk_key(rows: Iterable[KeyRow], annotation_digest: Callable[[str], str | None], context: BuildContext,
              spec: ChunkSpec) -> str:
    """The content address of a chunk's result, from its articles and the digests of their annotation files.

    The driver computes it from what the survey learnt; the worker again from what it read, so that a
    file edited during the build is found (``build.input.changed``) instead of cached under the wrong key."""
    repo = context.repo
    digest = hashlib.sha256(f"{code_version()}\n{sorted(context.statuses)}\n{spec.paths}\n".encode())
    for path, line, doc_id, raw_sha256 in rows:
        relative = repo.annotation_files.get(doc_id) if is_safe_id(doc_id) else None
        annotation = annotation_digest(relative) if relative else None
        digest.update(f"{path}:{line}\t{doc_id}\t{raw_sha256}\t{annotation or '-'}\t{split_of(doc_id, repo)}\t"
                      f"{group_pin(doc_id, repo)}\t{repo.sources.get(doc_id)}\t{repo.withheld.get(doc_id)}\n".encode())
    return digest.hexdigest()


def _read_digest(root: Path) -> Callable[[str], str | None]:
    def digest(relative: str) -> str | None:
        try:
            return hashlib.sha256((root / relative).read_bytes()).hexdigest()
        except OSError:
            return None

    return digest


def compute_chunk(spec: ChunkSpec, articles: list[RawArticle], chunk: Chunk, context: BuildContext, key: str) -> ChunkResult:
    """The chunk's articles through the document steps, then its statistics and tables."""
    result = ChunkResult(spec.index, key, len(spec.paths), published={split: [] for split in SPLITS})
    batches = {split: SplitBatches(batch_documents=10**9) for split in SPLITS}
    for document in run_steps(context.steps, articles, chunk):
        result.stats.add(document)
        result.published[document.split].append(document.doc_id)
        batches[document.split].add(document)
    for split, batch in batches.items():
        if batch.documents:
            for config, table in batch.take().items():
                result.tables[(config, split)] = table
    result.summaries, result.withheld, result.kept_out = chunk.summaries, chunk.dropped, chunk.kept_out
    result.findings = chunk.log.findings
    return result


def process_chunk(spec: ChunkSpec) -> ChunkResult:
    """Read one chunk and compute its result with the document steps; cache it when it has no error."""
    context = _CONTEXT
    chunk = Chunk(context.repo, context.statuses, FindingLog())
    articles = list(context.read(spec.paths, chunk))
    key = chunk_key(((a.path, a.line, a.doc_id, a.raw_sha256) for a in articles), _read_digest(context.repo.root),
                    context, spec)
    if spec.key and key != spec.key:
        chunk.log.add(finding("build.input.changed", f"the raw or annotation files of chunk {spec.index} "
                              f"({spec.paths[0]} to {spec.paths[-1]}) changed while the build was running",
                              spec.paths[0], hint="build again once the files are no longer being edited"))
    result = compute_chunk(spec, articles, chunk, context, spec.key or key)
    if not any(f.severity == "error" for f in result.findings):
        store_cached(context.cache_staging, result)
    return result


# --- the cache ---------------------------------------------------------------------


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.pickle"


_DIGEST_BYTES = 32
CORRUPT = "corrupt"
"""What :func:`load_cached` returns for an entry whose digest does not match: it was discarded."""


def load_cached(cache_dir: Path | None, key: str) -> ChunkResult | str | None:
    """The cached result, None when there is none, or :data:`CORRUPT` for a damaged entry (then deleted).

    Each entry is the SHA-256 of its pickle followed by the pickle, so a flipped bit is found
    before anything is unpickled."""
    if cache_dir is None:
        return None
    path = _cache_path(cache_dir, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None  # absent: compute it
    digest, payload = data[:_DIGEST_BYTES], data[_DIGEST_BYTES:]
    if hashlib.sha256(payload).digest() != digest:
        path.unlink(missing_ok=True)
        return CORRUPT
    try:
        return pickle.loads(payload)
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError):
        path.unlink(missing_ok=True)
        return CORRUPT


def store_cached(cache_dir: Path | None, result: ChunkResult) -> None:
    """Write atomically, so that a reader never sees half an entry."""
    if cache_dir is None:
        return
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(_cache_path(cache_dir, result.key), hashlib.sha256(payload).digest() + payload)


def adopt_cache(staging: Path | None, cache_dir: Path | None, keep: set[str]) -> None:
    """Move this build's new entries into the cache and drop the entries it did not use."""
    if staging is None or cache_dir is None:
        return
    for path in sorted(staging.glob("*/*.pickle")):
        target = _cache_path(cache_dir, path.stem)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    prune_cache(cache_dir, keep)


def prune_cache(cache_dir: Path | None, keep: set[str]) -> None:
    """Remove the entries this build did not use, so the cache holds one corpus's worth."""
    if cache_dir is None or not cache_dir.is_dir():
        return
    for path in cache_dir.glob("*/*.pickle"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)
