"""Writing a release folder: Parquet shards, manifest, fingerprint, atomic publication.

A release is written into a temporary folder beside its destination and renamed
into place only when everything succeeded, so a failed build leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from chronique.schema import CONFIGS, FEATURES, SCHEMA_VERSION
from chronique.splits import SPLITS

MANIFEST_NAME = "manifest.json"
ROW_GROUP_SIZE = 2_000


def shard_path(config: str, split: str) -> str:
    return f"data/{config}/{split}-00000-of-00001.parquet"


def canonical_row(row: dict) -> bytes:
    """The bytes a row contributes to the fingerprint: sorted-key JSON, independent of file encoding."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


class ShardWriter:
    """Streams one config/split into a Parquet file in row groups, hashing rows as they go."""

    def __init__(self, folder: Path, config: str, split: str):
        self.path = folder / shard_path(config, split)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.features = FEATURES[config]
        self.schema = self.features.arrow_schema
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.buffer: list[dict] = []
        self.rows = 0
        self.arrow_bytes = 0
        self.digest = hashlib.sha256()

    def write(self, row: dict) -> None:
        self.digest.update(canonical_row(row))
        self.buffer.append(row)
        self.rows += 1
        if len(self.buffer) >= ROW_GROUP_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            table = pa.Table.from_pylist(self.buffer, schema=self.schema)
            self.arrow_bytes += table.nbytes
            self.writer.write_table(table)
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


@dataclass
class ReleaseWriter:
    """Opens a shard lazily on its first row, so a split with no rows never gets a file."""

    folder: Path
    shards: dict[tuple[str, str], ShardWriter] = field(default_factory=dict)

    def write(self, config: str, split: str, row: dict) -> None:
        key = (config, split)
        if key not in self.shards:
            self.shards[key] = ShardWriter(self.folder, config, split)
        self.shards[key].write(row)

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


def fingerprint(shard_digests: dict[str, str]) -> str:
    """The release's content fingerprint: a hash over the logical rows of every config and split."""
    lines = "".join(f"{key}\t{digest}\n" for key, digest in sorted(shard_digests.items()))
    return hashlib.sha256(f"schema {SCHEMA_VERSION}\n{lines}".encode("utf-8")).hexdigest()


def shard_digests_from_files(folder: Path, rows: dict[str, dict[str, int]]) -> dict[str, str]:
    """Recompute the per-shard row digests by reading the Parquet files back."""
    digests = {}
    for config, splits in rows.items():
        for split in splits:
            digest = hashlib.sha256()
            table = pq.read_table(folder / shard_path(config, split))
            for batch in table.to_batches(ROW_GROUP_SIZE):
                for row in batch.to_pylist():
                    digest.update(canonical_row(row))
            digests[f"{config}/{split}"] = digest.hexdigest()
    return digests


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(folder: Path) -> dict[str, dict]:
    """SHA-256 and size of every file of a release but the manifest itself."""
    return {
        path.relative_to(folder).as_posix(): {"sha256": file_sha256(path), "bytes": path.stat().st_size}
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    }


def _dump_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def release_date() -> str:
    """Today, or the date of ``SOURCE_DATE_EPOCH`` when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.date().isoformat()


def write_manifest(folder: Path, *, version: str, rows: dict, digests: dict[str, str], documents: dict[str, list[str]],
                   statistics: dict, released: str, arrow_bytes: dict) -> dict:
    """Write ``manifest.json``: checksums of every other file, row counts, fingerprint, statistics and split membership."""
    manifest = {
        "name": "chronique",
        "version": version,
        "released": released,
        "schema_version": SCHEMA_VERSION,
        "fingerprint": fingerprint(digests),
        "shard_digests": dict(sorted(digests.items())),
        "rows": rows,
        "arrow_bytes": arrow_bytes,
        "statistics": statistics,
        "documents": {split: documents[split] for split in SPLITS if documents.get(split)},
        "files": file_checksums(folder),
    }
    _dump_manifest(folder, manifest)
    return manifest


def refresh_manifest_files(folder: Path) -> dict:
    """Recompute the checksums of a release whose documentation (not data) was regenerated."""
    manifest = read_manifest(folder)
    manifest["files"] = file_checksums(folder)
    _dump_manifest(folder, manifest)
    return manifest


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))


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
