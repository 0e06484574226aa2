"""Chronique: a French news corpus with gold entity and stance annotations.

The public API is what ``__all__`` lists; every other module is internal.

>>> import chronique
>>> ner = chronique.load("ner")                   # doctest: +SKIP
>>> report = chronique.validate(Path("."))        # doctest: +SKIP
>>> result = chronique.build(Path("."))           # doctest: +SKIP

``build`` and ``validate`` (with their records) are imported when first used, so that
``import chronique`` for loading data does not pull in the build.
"""

from chronique.errors import ChroniqueError, Finding, InputError, UsageError
from chronique.release.loading import load, release_path
from chronique.version import __version__

_BUILD_API = {"build", "validate", "BuildResult", "ValidationReport"}

__all__ = ["__version__", "load", "release_path", "build", "validate", "BuildResult", "ValidationReport",
           "Finding", "ChroniqueError", "InputError", "UsageError"]


def __getattr__(name: str):
    if name in _BUILD_API:
        from chronique import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'chronique' has no attribute {name!r}")
