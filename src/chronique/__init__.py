"""Chronique: a French news corpus with gold entity and stance annotations.

>>> import chronique
>>> ner = chronique.load("ner")          # doctest: +SKIP
"""

from chronique.release.loading import load, release_path
from chronique.version import __version__

__all__ = ["__version__", "load", "release_path"]
