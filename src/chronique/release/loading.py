"""``chronique.load``: a release as a ``DatasetDict`` or ``Dataset``, from a checkout or a wheel."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from chronique.errors import ChroniqueError, Finding, UsageError
from chronique.schema import CONFIGS, FEATURES, SEMVER
from chronique.version import __version__
from chronique.store.files import write_atomically
from chronique.checks.catalogue import finding

if TYPE_CHECKING:
    from chronique.release.manifest import Manifest

_PACKAGE = Path(__file__).resolve().parents[1]  # the chronique package folder


def release_roots() -> list[Path]:
    """Where releases are looked for: the folder ``CHRONIQUE_RELEASES`` names when it is set (and only
    there, so that a scratch copy is never mixed with the checkout), else the checkout's ``releases/``,
    then the copy shipped in the wheel."""
    chosen = os.environ.get("CHRONIQUE_RELEASES")
    roots = (Path(chosen),) if chosen else (_PACKAGE.parents[1] / "releases", _PACKAGE / "_releases")
    return [path for path in roots if path.is_dir()]


def release_path(version: str | None = None) -> Path:
    """The absolute folder of a release (the current version by default)."""
    version = version or __version__
    for root in release_roots():
        candidate = root / version
        if (candidate / "README.md").is_file():
            return candidate.resolve()
    available = sorted({p.name for root in release_roots() for p in root.iterdir() if SEMVER.match(p.name)})
    raise UsageError(f"release {version} not found; available: {', '.join(available) or 'none'} (run chronique build)")


class TamperedReleaseError(ChroniqueError):
    """A file ``chronique.load`` would open differs from what the release's manifest says."""


_VERIFIED: set[tuple] = set()  # files hashed in this process: (path, size, mtime_ns, inode, sha256)


def _stamp_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chronique" / "verified-files.json"


def _stamps() -> set[tuple]:
    try:
        return {tuple(item) for item in json.loads(_stamp_file().read_text("utf-8"))}
    except (OSError, ValueError, TypeError):
        return set()


def _remember(stamps: set[tuple]) -> None:
    """Keep the stamps for the next process; a cache folder that cannot be written only costs a re-hash."""
    try:
        write_atomically(_stamp_file(), json.dumps(sorted(stamps)))
    except OSError:
        pass


def files_to_open(release: Path, config: str, split: str | None, manifest: Manifest) -> list[str]:
    """The card and the Parquet files of ``config`` (one split, or all) that ``load_dataset`` reads."""
    prefix = f"data/{config}/" + (f"{split}-" if split else "")
    return ["README.md", *sorted(name for name in manifest.files if name.startswith(prefix))]


def check_release_files(release: Path, config: str, split: str | None = None) -> None:
    """Raise :class:`TamperedReleaseError` unless every file ``load`` opens matches the manifest.

    Sizes are compared every time; a file's SHA-256 is computed the first time it is seen with
    a given path, size, modification time and inode, and remembered (in this process and in
    ``$XDG_CACHE_HOME/chronique/verified-files.json``), so that later loads cost a ``stat``.
    """
    from chronique.release.manifest import MANIFEST_DIGEST_NAME, MANIFEST_NAME, file_sha256, read_manifest
    from chronique.release.figures import manifest_digest_findings

    problems = [f for f in manifest_digest_findings(release) if f.severity == "error"]
    manifest = read_manifest(release) if not problems else None
    known, stamps = _VERIFIED | _stamps(), set()
    for name in files_to_open(release, config, split, manifest) if manifest else ():
        entry, path = manifest.files.get(name), release / name
        if entry is None or not path.is_file() or path.stat().st_size != entry.bytes:
            problems.append(finding("load.tampered", "missing, unlisted or not the size the manifest says", str(path)))
            continue
        info = path.stat()
        stamp = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino, entry.sha256)
        if stamp not in known:
            if file_sha256(path) != entry.sha256:
                problems.append(finding("load.tampered", "its SHA-256 is not the manifest's", str(path)))
                continue
            stamps.add(stamp)
    if problems:
        raise TamperedReleaseError(f"release {release} does not match its manifest ({MANIFEST_NAME}, "
                                   f"{MANIFEST_DIGEST_NAME}); run chronique verify {release}, or pass verify=False",
                                   problems)
    if stamps:
        _VERIFIED.update(stamps)
        _remember(known | stamps)


def unknown_config(config: str) -> UsageError:
    """The error for a config name that is not one: it lists the configs, and those with a column of that name."""
    message = f"unknown config {config!r}; the configs are {', '.join(CONFIGS)}"
    holders = [name for name, features in FEATURES.items() if config in features]
    if holders:
        message += f"; {config!r} is a column of {', '.join(holders)}: chronique.load({holders[0]!r})"
    return UsageError(message)


def load(config: str, version: str | None = None, split: str | None = None, *, verify: bool = True, **kwargs):
    """Load a config of a release with ``datasets.load_dataset``.

    Returns a ``DatasetDict``, or a ``Dataset`` when ``split`` is given. The path is made
    absolute, so that it is never mistaken for a Hub repository id. Extra keyword
    arguments (``cache_dir``…) go to ``load_dataset``. Unless ``verify=False``, the files it
    opens are first checked against the release's manifest (:func:`check_release_files`),
    which ``load_dataset`` alone cannot do; a difference raises :class:`TamperedReleaseError`.

    >>> ner = load("ner")                                 # doctest: +SKIP
    >>> ner["train"].features["ner_tags"].feature.names[:3]  # doctest: +SKIP
    ['O', 'B-PER', 'I-PER']
    """
    if config not in CONFIGS:
        raise unknown_config(config)
    from datasets import load_dataset

    release = release_path(version)
    if verify:
        check_release_files(release, config, split)
    return load_dataset(str(release), config, split=split, **kwargs)
