"""``chronique.load``: a release as a ``DatasetDict`` or ``Dataset``, from a checkout or a wheel."""

from __future__ import annotations

import re
from pathlib import Path

from chronique.errors import UsageError
from chronique.schema import CONFIGS
from chronique.version import __version__

_PACKAGE = Path(__file__).resolve().parent
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def release_roots() -> list[Path]:
    """Where releases are looked for: the checkout's ``releases/``, then the copy shipped in the wheel."""
    return [path for path in (_PACKAGE.parents[1] / "releases", _PACKAGE / "_releases") if path.is_dir()]


def release_path(version: str | None = None) -> Path:
    """The absolute folder of a release (the current version by default)."""
    version = version or __version__
    for root in release_roots():
        candidate = root / version
        if (candidate / "README.md").is_file():
            return candidate.resolve()
    available = sorted({p.name for root in release_roots() for p in root.iterdir() if _SEMVER.match(p.name)})
    raise UsageError(f"release {version} not found; available: {', '.join(available) or 'none'} (run chronique build)")


def load(config: str, version: str | None = None, split: str | None = None, **kwargs):
    """Load a config of a release with ``datasets.load_dataset``.

    Returns a ``DatasetDict``, or a ``Dataset`` when ``split`` is given. The path is made
    absolute, so that it is never mistaken for a Hub repository id. Extra keyword
    arguments (``cache_dir``…) go to ``load_dataset``.

    >>> ner = load("ner")                                 # doctest: +SKIP
    >>> ner["train"].features["ner_tags"].feature.names[:3]  # doctest: +SKIP
    ['O', 'B-PER', 'I-PER']
    """
    if config not in CONFIGS:
        raise UsageError(f"unknown config {config!r}; known: {', '.join(CONFIGS)}")
    from datasets import load_dataset

    return load_dataset(str(release_path(version)), config, split=split, **kwargs)
