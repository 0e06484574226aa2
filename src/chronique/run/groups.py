"""Groups of chunks: the build's unit of output, written by one worker straight into the release's staging folder.

:data:`GROUP_CHUNKS` consecutive chunks form a group. The worker that takes a group runs its
chunks in order (each read back from the chunk cache when unchanged, see
:mod:`chronique.run.chunks`) and streams their rows into one Parquet shard per config and
split, digesting and hashing them as it goes. What comes back to the build holds no rows: the
chunks' findings, summaries and statistics, and a :class:`~chronique.release.writer.ShardFile`
for each shard. Row order is the order of groups, then chunks, then documents, whatever the
number of workers; the release names the shards in that order once every group is in.

A group whose key (the digest of its chunks' keys) is in the cache is taken whole: its shards
are copied into the staging folder (checked against their SHA-256 on the way) and its
bookkeeping read back, so an unchanged group costs neither decoding nor encoding. A group is
cached only when none of its chunks has an error. Shards are copied, never linked, both ways:
a release and the cache never share a file.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from chronique.run import chunks as chunk_work
from chronique.run.chunks import BuildContext, ChunkResult, ChunkSpec
from chronique.run.executors import Executor, WorkerSetup
from chronique.checks.catalogue import finding
from chronique.release.writer import GroupWriter, ShardFile
from chronique.schema import CONFIGS
from chronique.store.files import write_atomically
from chronique.store.repository import Repository
from chronique.store.splits import SPLITS

GROUP_CHUNKS = 8
"""Chunks per group, so files per shard (2,048): a shard is a few tens of MB, and one edit re-encodes one group."""

GROUPS_FOLDER = "groups"
META_NAME = "meta.pickle"


@dataclass(frozen=True)
class GroupSpec:
    index: int
    chunks: tuple[ChunkSpec, ...]
    key: str  # the digest of its chunks' keys


@dataclass
class GroupResult:
    index: int
    key: str
    chunks: list[ChunkResult]  # without their tables: the rows are in the shards
    shards: list[ShardFile] = field(default_factory=list)
    from_cache: bool = False

    @property
    def files(self) -> int:
        return sum(chunk.files for chunk in self.chunks)


def group_specs(chunks: list[ChunkSpec], size: int | None = None) -> list[GroupSpec]:
    """Consecutive chunks, ``size`` (:data:`GROUP_CHUNKS`) to a group, each group keyed by its chunks' keys."""
    size = size or GROUP_CHUNKS
    groups = []
    for index, start in enumerate(range(0, len(chunks), size)):
        members = tuple(chunks[start : start + size])
        key = hashlib.sha256("".join(f"{c.key}\n" for c in members).encode("ascii")).hexdigest()
        groups.append(GroupSpec(index, members, key))
    return groups


def _table_order(key: tuple[str, str]) -> tuple[int, int]:
    config, split = key
    return CONFIGS.index(config), SPLITS.index(split)


def process_group(spec: GroupSpec, repo: Repository | None = None) -> GroupResult:
    """Run a group's chunks, write their rows into its shards (when the build writes a release), cache it.

    ``repo``, when given, is the repository as far as this group's documents go (:meth:`Repository.only`)."""
    if repo is not None:
        chunk_work.install(replace(chunk_work.current_context(), repo=repo))
    context = chunk_work.current_context()
    writer = GroupWriter(context.staging, spec.index) if context.staging is not None else None
    results = []
    for chunk in spec.chunks:
        if chunk_work.is_cached(context.cache_dir, chunk.key):
            result = chunk_work.take_cached(chunk, context)
        else:
            result = chunk_work.process_chunk(chunk)
        if writer is not None:
            for (config, split), table in sorted(result.tables.items(), key=lambda item: _table_order(item[0])):
                writer.write_table(config, split, table)
        results.append(replace(result, tables={}))
    group = GroupResult(spec.index, spec.key, results, writer.close() if writer is not None else [])
    if writer is not None and not any(f.severity == "error" for r in results for f in r.findings):
        store_group(context.cache_staging, group, context.staging)
    return group


def run_groups(specs: list[GroupSpec], *, executor: Executor, context: BuildContext,
               doc_ids: Callable[[GroupSpec], set[str]] | None = None) -> Iterator[GroupResult]:
    """Each group's result, in order: taken from the cache in this process when its key is there, else
    computed by :func:`process_group` on ``executor``, which is given work only if some group must be computed.

    With ``doc_ids`` (the documents a group holds), each worker starts with an empty repository and
    receives, with each group, the part of it that the group's documents need."""
    chunk_work.install(context)
    to_compute = [spec for spec in specs if not is_group_cached(context.cache_dir, spec.key)]
    computing = {spec.index for spec in to_compute}
    if executor.in_process or not to_compute:
        for spec in specs:
            yield process_group(spec) if spec.index in computing else take_group(spec, context)
        return
    shell = replace(context, repo=context.repo.only(set())) if doc_ids else context
    parts = ((spec, context.repo.only(doc_ids(spec)) if doc_ids else None) for spec in to_compute)
    computed = executor.map(process_group, parts, WorkerSetup(chunk_work.install, (shell,)))
    try:
        for spec in specs:
            yield next(computed) if spec.index in computing else take_group(spec, context)
    finally:
        computed.close()


# --- the group cache -----------------------------------------------------------------


def _group_folder(cache_dir: Path, key: str) -> Path:
    return cache_dir / GROUPS_FOLDER / key[:2] / key


def _cached_shard_name(shard: ShardFile) -> str:
    return f"{shard.config}-{shard.split}.parquet"


def is_group_cached(cache_dir: Path | None, key: str) -> bool:
    return cache_dir is not None and (_group_folder(cache_dir, key) / META_NAME).is_file()


def _copy(source: Path, target: Path) -> str:
    """Copy a shard (never a link: a release and the cache must not share a file) and return its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        while block := reader.read(1 << 20):
            digest.update(block)
            writer.write(block)
    return digest.hexdigest()


def store_group(cache_staging: Path | None, group: GroupResult, release_staging: Path) -> None:
    """Keep a group's bookkeeping and shards for the next build; adopted only if this build succeeds."""
    if cache_staging is None:
        return
    folder = _group_folder(cache_staging, group.key)
    for shard in group.shards:
        _copy(release_staging / shard.staged, folder / _cached_shard_name(shard))
    payload = pickle.dumps((group.chunks, group.shards), protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(folder / META_NAME, hashlib.sha256(payload).digest() + payload)


def _load_meta(folder: Path) -> tuple[list[ChunkResult], list[ShardFile]] | None:
    """A cached group's bookkeeping, or None when it fails its digest."""
    try:
        data = (folder / META_NAME).read_bytes()
        digest, payload = data[:32], data[32:]
        if hashlib.sha256(payload).digest() != digest:
            return None
        return pickle.loads(payload)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError):
        return None


def _place(folder: Path, shards: list[ShardFile], index: int, staging: Path | None) -> list[ShardFile] | None:
    """The cached shards copied into the staging folder under this group's index, each checked against the
    SHA-256 it was written with (a damaged one must not reach a release); None when one fails."""
    placed = []
    for shard in shards:
        staged = f"data/{shard.config}/.group-{index:05d}-{shard.split}.parquet"
        source = folder / _cached_shard_name(shard)
        try:
            found = _copy(source, staging / staged) if staging is not None else shard.sha256  # validation writes none
        except OSError:
            return None
        if found != shard.sha256:
            return None
        placed.append(replace(shard, group=index, staged=staged))
    return placed


def take_group(spec: GroupSpec, context: BuildContext) -> GroupResult:
    """A cached group, its shards linked into the staging folder; computed after all when the entry is damaged
    (a damaged chunk entry inside it is reported when the chunk is computed again)."""
    folder = _group_folder(context.cache_dir, spec.key)
    meta = _load_meta(folder)
    placed = _place(folder, meta[1], spec.index, context.staging) if meta is not None else None
    if placed is None:
        shutil.rmtree(folder, ignore_errors=True)
        result = process_group(spec)
        result.chunks[0].findings.append(finding(
            "build.cache.corrupt", f"cache entry {spec.key[:12]}… of chunk group {spec.index} failed its digest check; "
            "it was discarded and the group recomputed", str(folder)))
        return result
    chunks = meta[0]
    for chunk, chunk_spec in zip(chunks, spec.chunks):
        chunk.index, chunk.from_cache = chunk_spec.index, True
    return GroupResult(spec.index, spec.key, chunks, placed, from_cache=True)


def adopt_groups(cache_staging: Path | None, cache_dir: Path | None, keep: set[str]) -> None:
    """Move this build's new groups into the cache and remove the groups it did not use."""
    if cache_staging is None or cache_dir is None:
        return
    for folder in sorted((cache_staging / GROUPS_FOLDER).glob("*/*")):
        target = _group_folder(cache_dir, folder.name)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
    for folder in (cache_dir / GROUPS_FOLDER).glob("*/*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
