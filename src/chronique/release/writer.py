"""Writing a release folder: Parquet shards, atomic publication (the manifest is :mod:`chronique.release.manifest`).

A release is written into a temporary folder beside its destination and renamed
into place only when everything succeeded, so a failed build leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from chronique.run.digest import TableDigest
from chronique.errors import ChroniqueError
from chronique.schema import CONFIGS, FEATURES
from chronique.store.splits import SPLITS


def shard_path(config: str, split: str) -> str:
    return f"data/{config}/{split}-00000-of-00001.parquet"


class ShardWriter:
    """Streams one config/split into a Parquet file, one row group per table, digesting the values as they go."""

    def __init__(self, folder: Path, config: str, split: str):
        self.path = folder / shard_path(config, split)
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

    def close(self) -> None:
        self.writer.close()


@dataclass
class ReleaseWriter:
    """Writes Arrow tables into shards opened lazily, so a split with no rows never gets a file."""

    folder: Path
    shards: dict[tuple[str, str], ShardWriter] = field(default_factory=dict)

    def write_table(self, config: str, split: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        key = (config, split)
        if key not in self.shards:
            self.shards[key] = ShardWriter(self.folder, config, split)
        self.shards[key].write_table(table)

    def close(self) -> None:
        for shard in self.shards.values():
            shard.close()

    def row_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for config in CONFIGS:
            for split in SPLITS:
                if (config, split) in self.shards:
                    counts.setdefault(config, {})[split] = self.shards[(config, split)].rows
        return counts

    def arrow_bytes(self) -> dict[str, dict[str, int]]:
        """In-memory Arrow size of each shard: what the card's ``num_bytes`` means to ``datasets``."""
        return {c: {s: self.shards[(c, s)].arrow_bytes for s in splits} for c, splits in self.row_counts().items()}

    def shard_digests(self) -> dict[str, str]:
        return {f"{c}/{s}": self.shards[(c, s)].digest.hexdigest() for c in CONFIGS for s in SPLITS if (c, s) in self.shards}


def shard_digests_from_files(folder: Path, rows: dict[str, dict[str, int]]) -> dict[str, str]:
    """Recompute the per-shard digests by reading the Parquet files back, row group by row group."""
    digests = {}
    for config, splits in rows.items():
        for split in splits:
            digest = TableDigest()
            with pq.ParquetFile(folder / shard_path(config, split)) as parquet:
                for group in range(parquet.num_row_groups):
                    digest.update(parquet.read_row_group(group))
            digests[f"{config}/{split}"] = digest.hexdigest()
    return digests


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
