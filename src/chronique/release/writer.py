"""Writing a release folder: Parquet shards, atomic publication (the manifest is :mod:`chronique.release.manifest`).

A release is written into a temporary folder beside its destination and renamed
into place only when everything succeeded, so a failed build leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from chronique.run.digest import TableDigest
from chronique.errors import ChroniqueError
from chronique.release.manifest import FileEntry, file_sha256
from chronique.schema import CONFIGS, FEATURES
from chronique.store.splits import SPLITS


def shard_path(config: str, split: str, index: int = 0, count: int = 1) -> str:
    """Where shard ``index`` of ``count`` of a config and split lies in a release folder."""
    return f"data/{config}/{split}-{index:05d}-of-{count:05d}.parquet"


def shard_pattern(config: str, split: str) -> str:
    """The glob that matches every shard of a config and split."""
    return f"data/{config}/{split}-*-of-*.parquet"


_SHARD_NAME = re.compile(r"^data/([^/]+)/([^/-]+)-(\d{5})-of-(\d{5})\.parquet$")


def shard_counts(paths: Iterable[str]) -> dict[str, dict[str, int]]:
    """How many shards each config and split has, from a release's file paths (a manifest's ``files``)."""
    counts: dict[str, dict[str, int]] = {}
    for path in paths:
        if match := _SHARD_NAME.match(path):
            config, split = match.group(1), match.group(2)
            counts.setdefault(config, {})[split] = counts.get(config, {}).get(split, 0) + 1
    return counts


def listed_shards(files: Iterable[str], config: str, split: str) -> list[str]:
    """The shard files of a config and split that a file table (a manifest's ``files``) lists, in row order."""
    count = shard_counts(files).get(config, {}).get(split, 0)
    return [shard_path(config, split, index, count) for index in range(count)]


def release_shards(folder: Path, config: str, split: str) -> list[Path]:
    """The shard files of a config and split in a release folder, in row order."""
    return sorted(folder.glob(shard_pattern(config, split)))


def combined_digest(digests: list[str]) -> str:
    """The row digest of a config and split from its shards' digests, in row order: the shard's own when there
    is one, so a release of one shard per split states what releases always stated."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(f"{digest}\n" for digest in digests).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ShardFile:
    """One Parquet file of a release, written by the worker that built its group of chunks.

    ``staged`` is its path inside the staging folder until the release names it (:meth:`ReleaseShards.name`)."""

    config: str
    split: str
    group: int
    rows: int
    arrow_bytes: int
    digest: str
    sha256: str
    size: int
    staged: str


class ShardWriter:
    """Streams one config/split of one group of chunks into a Parquet file, one row group per table,
    digesting the values as they go."""

    def __init__(self, folder: Path, config: str, split: str, group: int):
        self.folder, self.config, self.split, self.group = folder, config, split, group
        self.staged = f"data/{config}/.group-{group:05d}-{split}.parquet"
        self.path = folder / self.staged
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = FEATURES[config].arrow_schema
        # zstd level 1: the files of the default level, written a quarter faster
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd", compression_level=1)
        self.rows = 0
        self.arrow_bytes = 0
        self.digest = TableDigest()

    def write_table(self, table: pa.Table) -> None:
        if table.schema != self.schema:
            table = table.cast(self.schema)
        self.digest.update(table)
        self.rows += table.num_rows
        self.arrow_bytes += table.nbytes
        self.writer.write_table(table)

    def close(self) -> ShardFile:
        self.writer.close()
        return ShardFile(self.config, self.split, self.group, self.rows, self.arrow_bytes, self.digest.hexdigest(),
                         file_sha256(self.path), self.path.stat().st_size, self.staged)


@dataclass
class GroupWriter:
    """The shards of one group of chunks, opened lazily, so a split with no rows never gets a file."""

    folder: Path
    group: int
    shards: dict[tuple[str, str], ShardWriter] = field(default_factory=dict)

    def write_table(self, config: str, split: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        key = (config, split)
        if key not in self.shards:
            self.shards[key] = ShardWriter(self.folder, config, split, self.group)
        self.shards[key].write_table(table)

    def close(self) -> list[ShardFile]:
        return [shard.close() for shard in self.shards.values()]


@dataclass
class ReleaseShards:
    """Every shard of a release, gathered group by group, then named in row order."""

    folder: Path
    files: list[ShardFile] = field(default_factory=list)

    def add(self, shards: list[ShardFile]) -> None:
        self.files.extend(shards)

    def _by_config_split(self) -> dict[tuple[str, str], list[ShardFile]]:
        grouped: dict[tuple[str, str], list[ShardFile]] = {}
        for shard in sorted(self.files, key=lambda f: (CONFIGS.index(f.config), SPLITS.index(f.split), f.group)):
            grouped.setdefault((shard.config, shard.split), []).append(shard)
        return grouped

    def name(self) -> dict[str, FileEntry]:
        """Give each staged shard its release name; the checksums of the named files, by release path."""
        entries = {}
        for (config, split), shards in self._by_config_split().items():
            for index, shard in enumerate(shards):
                final = shard_path(config, split, index, len(shards))
                os.replace(self.folder / shard.staged, self.folder / final)
                entries[final] = FileEntry(shard.sha256, shard.size)
        return entries

    def _per_split(self, value) -> dict[str, dict]:
        """``{config: {split: value(its shards)}}``, in the declared order of configs and splits."""
        folded: dict[str, dict] = {}
        for (config, split), shards in self._by_config_split().items():
            folded.setdefault(config, {})[split] = value(shards)
        return folded

    def row_counts(self) -> dict[str, dict[str, int]]:
        return self._per_split(lambda shards: sum(s.rows for s in shards))

    def arrow_bytes(self) -> dict[str, dict[str, int]]:
        """In-memory Arrow size of each config and split: what the card's ``num_bytes`` means to ``datasets``."""
        return self._per_split(lambda shards: sum(s.arrow_bytes for s in shards))

    def shard_digests(self) -> dict[str, str]:
        return {f"{config}/{split}": digest for config, splits in
                self._per_split(lambda shards: combined_digest([s.digest for s in shards])).items()
                for split, digest in splits.items()}

    def counts(self) -> dict[str, dict[str, int]]:
        """How many shards each config and split has."""
        return self._per_split(len)


def table_digest_of_file(path: Path) -> str:
    """The row digest of one Parquet file, read back row group by row group."""
    digest = TableDigest()
    with pq.ParquetFile(path) as parquet:
        for group in range(parquet.num_row_groups):
            digest.update(parquet.read_row_group(group))
    return digest.hexdigest()


def shard_digests_from_files(folder: Path, rows: dict[str, dict[str, int]]) -> dict[str, str]:
    """Recompute the per-config-and-split digests by reading the Parquet files back."""
    return {f"{config}/{split}": combined_digest([table_digest_of_file(path) for path in release_shards(folder, config, split)])
            for config, splits in rows.items() for split in splits}


def release_date() -> str:
    """Today, or the date of ``SOURCE_DATE_EPOCH`` when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


LOCK_NAME = ".build.lock"
"""Held by the one build writing into a releases folder; holds that build's pid."""


class BuildLockedError(ChroniqueError):
    """Another live build holds the releases folder's lock."""


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text("utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _take_lock(path: Path) -> int:
    """Create the lock file exclusively; a lock whose process is gone is stale and is replaced once."""
    for _ in range(2):
        try:
            return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _pid_in(path)
            if pid is not None and _alive(pid):
                raise BuildLockedError(f"another build is running (pid {pid}) on {path.parent}; wait for it to "
                                       f"finish, or remove {path} if that process is not a build") from None
            path.unlink(missing_ok=True)
    raise BuildLockedError(f"another build took {path} while this one started; try again")


@contextmanager
def build_lock(releases: Path, *also_clean: Path | None) -> Iterator[None]:
    """Hold ``releases/.build.lock`` for one build, and remove the staging folders that killed
    builds left behind (in ``releases`` and in each of ``also_clean``): while the lock is held,
    no live build owns any of them."""
    releases.mkdir(parents=True, exist_ok=True)
    path = releases / LOCK_NAME
    handle = _take_lock(path)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")
    try:
        for folder in (releases, *also_clean):
            if folder is not None and folder.is_dir():
                for stale in sorted(folder.glob(".staging-*")):
                    shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        if _pid_in(path) == os.getpid():
            path.unlink(missing_ok=True)


@contextmanager
def staging_folder(releases: Path, version: str) -> Iterator[Path]:
    """A temporary folder beside ``releases/<version>``, removed unless it was published."""
    releases.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".staging-{version}-", dir=releases))
    try:
        yield folder
    finally:
        if folder.exists():
            shutil.rmtree(folder)


def publish(staged: Path, destination: Path) -> None:
    """Move a complete staged release into place in one rename."""
    os.chmod(staged, 0o755)
    os.rename(staged, destination)
