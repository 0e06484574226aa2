"""Where raw articles come from: the repository's ``raw/`` folder, another local folder, or a folder at
an fsspec URL (``s3://``, ``gs://``, ``memory://``, ``file://``…), read the same way.

A :class:`RawSource` walks its folder in one fixed order and hands out :class:`RawFile` handles; the
readers (:mod:`chronique.store.readers`) read those and never see a path. Each file has a *key*, the
name the build gives it in findings, provenance and its cache: the path relative to the repository for
a local file below it, the absolute path for another local file, and the URL for a file reached
through fsspec. Nothing is ever written through a source.

Both kinds are picklable, so a build's workers (local processes or Ray tasks) read their own files:
on a cluster, every node must be able to reach the URL.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

Stamp = tuple[int, int, int]
"""A local file's size, modification time (ns) and inode: what tells, cheaply, that it changed."""

_PROTOCOL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(where: str) -> bool:
    """Whether ``where`` names a location by URL (``s3://…``) rather than by local path."""
    return bool(_PROTOCOL.match(where))


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies below it, in POSIX form."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def file_stamp(path: Path) -> Stamp:
    status = path.stat()
    return status.st_size, status.st_mtime_ns, status.st_ino


@dataclass(frozen=True, slots=True)
class RawFile:
    """One raw file: ``location`` on the local file system (``fs`` None, read through ``os``) or on ``fs``."""

    key: str
    location: str
    fs: AbstractFileSystem | None = None

    @classmethod
    def local(cls, path: Path, root: Path) -> RawFile:
        return cls(display_path(path, root), str(path))

    @property
    def name(self) -> str:
        return posixpath.basename(self.location) if self.fs is not None else os.path.basename(self.location)

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    def size(self) -> int:
        return os.stat(self.location).st_size if self.fs is None else int(self.fs.size(self.location))

    def read_bytes(self) -> bytes:
        if self.fs is None:
            with open(self.location, "rb") as handle:
                return handle.read()
        return self.fs.cat_file(self.location)

    def open(self) -> IO[bytes]:
        return open(self.location, "rb") if self.fs is None else self.fs.open(self.location, "rb")

    def stamp(self) -> Stamp | None:
        """The local file's stamp; None for a file behind fsspec, whose facts are then read every build
        (object stores give no inode, and not every one a modification time to the nanosecond)."""
        return file_stamp(Path(self.location)) if self.fs is None else None


@dataclass(frozen=True)
class RawSource:
    """A folder of raw articles, walked recursively in sorted order (by name, folder by folder).

    ``root`` is the repository the build reads its annotations from: local files below it are shown
    relative to it. ``fs`` is None for a local folder; else ``folder`` is the folder's path on ``fs``
    and ``url`` the URL it was given as, which prefixes every key.
    """

    root: Path
    folder: str
    fs: AbstractFileSystem | None = None
    url: str | None = None

    @classmethod
    def of_repository(cls, root: Path) -> RawSource:
        return cls(root, str(root / "raw"))

    @classmethod
    def of(cls, where: str | None, root: Path) -> RawSource:
        """The folder at ``where`` (:meth:`at`), or the repository's raw/ when ``where`` is None."""
        return cls.of_repository(root) if where is None else cls.at(where, root)

    @classmethod
    def at(cls, where: str, root: Path) -> RawSource:
        """The folder at ``where``: a local path (relative to the working directory) or an fsspec URL.
        Raises :class:`UsageError` when it is not a folder or its file system is not available."""
        if not is_url(where):
            folder = Path(where).expanduser().resolve()
            if not folder.is_dir():
                raise UsageError(f"{where} is not a folder of raw articles")
            return cls(root, str(folder))
        import fsspec

        try:
            fs, folder = fsspec.core.url_to_fs(where)
        except (ImportError, ValueError) as error:  # a file system whose package is missing, an unknown protocol
            raise UsageError(f"cannot read {where}: {error}") from None
        try:
            is_folder = fs.isdir(folder)
        except OSError as error:
            raise UsageError(f"cannot read {where}: {error}") from None
        if not is_folder:
            raise UsageError(f"{where} is not a folder of raw articles")
        return cls(root, folder.rstrip("/") or "/", fs, where.rstrip("/"))

    @property
    def shown(self) -> str:
        """How the folder is named in messages."""
        return self.url if self.url is not None else display_path(Path(self.folder), self.root)

    def inside(self, key: str) -> str:
        """The path of a file (by key) inside the folder, in POSIX form: what a pattern is matched against."""
        return key.removeprefix(f"{self.shown}/")

    def files(self, log: FindingLog) -> Iterator[RawFile]:
        """Every raw file below the folder in sorted order. Dotfiles (``.gitkeep``) are not articles.

        Local symbolic links are never followed: one is reported, since it could point anywhere."""
        if self.fs is None:
            yield from self._local_files(Path(self.folder), log)
        else:
            yield from self._remote_files(self.folder)

    def file(self, key: str) -> RawFile:
        """The file whose key is ``key`` (a key :meth:`files` gave)."""
        if self.fs is None:
            return RawFile(key, str(self.root / key))
        relative = key[len(self.url):].lstrip("/")
        return RawFile(key, f"{self.folder.rstrip('/')}/{relative}", self.fs)

    def _local_files(self, folder: Path, log: FindingLog) -> Iterator[RawFile]:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                log.add(finding("L0.path.symlink", f"symbolic links are not allowed in {self.shown}/",
                                display_path(path, self.root), hint="copy the article instead of linking to it"))
            elif entry.is_dir():
                yield from self._local_files(path, log)
            else:
                yield RawFile.local(path, self.root)

    def _remote_files(self, folder: str) -> Iterator[RawFile]:
        entries = sorted(self.fs.ls(folder, detail=True), key=lambda e: posixpath.basename(e["name"].rstrip("/")))
        for entry in entries:
            location = entry["name"].rstrip("/")
            name = posixpath.basename(location)
            if name.startswith(".") or location == folder.rstrip("/"):
                continue
            if entry["type"] == "directory":
                yield from self._remote_files(location)
            else:
                relative = location[len(self.folder.rstrip("/")):].lstrip("/")
                yield RawFile(f"{self.url}/{relative}", location, self.fs)
