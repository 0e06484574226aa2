"""Import and export formats, keyed by name.

Each entry names the module and function that implement it; the module is imported
only when the format is used, because some pull in heavy libraries (spaCy, cassis).
Adding a format is one function plus one entry here.
"""

from __future__ import annotations

import importlib
from typing import Callable

from chronique.errors import UsageError

TOKEN_FORMATS = frozenset({"conll", "conll-iob1", "hipe", "hipe-fine"})
"""Formats that keep only tokens: their rebuilt text is realigned onto the raw text before conversion."""

IMPORTERS: dict[str, tuple[str, str]] = {
    "labelstudio": ("chronique.interop.labelstudio", "read_labelstudio"),
    "inception-xmi": ("chronique.interop.xmi", "read_inception_xmi"),
    "webanno-tsv3": ("chronique.interop.webanno_tsv", "read_webanno_tsv3"),
    "brat": ("chronique.interop.brat", "read_brat"),
    "doccano": ("chronique.interop.doccano", "read_doccano"),
    "conll": ("chronique.interop.conll", "read_conll"),
    "conll-iob1": ("chronique.interop.conll", "read_conll_iob1"),
    "hipe": ("chronique.interop.hipe", "read_hipe"),
    "hipe-fine": ("chronique.interop.hipe", "read_hipe_fine"),
}

EXPORTERS: dict[str, tuple[str, str]] = {
    "labelstudio": ("chronique.interop.labelstudio_export", "export_labelstudio"),
    "brat": ("chronique.interop.brat_export", "export_brat"),
    "conll": ("chronique.interop.conll", "export_conll"),
    "hipe": ("chronique.interop.hipe", "export_hipe"),
    "docbin": ("chronique.interop.spacy_docbin", "export_docbin_folder"),
    "spacy": ("chronique.interop.spacy_docbin", "export_docbin_folder"),  # the name spaCy users look for
}

PER_SPLIT_FORMATS = frozenset({"docbin", "spacy"})
"""Export formats written one file per split, named after it (``train.fine.spacy``): a trainer takes them apart."""


def _resolve(registry: dict[str, tuple[str, str]], name: str, kind: str) -> Callable:
    if name not in registry:
        raise UsageError(f"unknown {kind} format {name!r}; known: {', '.join(sorted(registry))}")
    module, function = registry[name]
    return getattr(importlib.import_module(module), function)


def importer(name: str) -> Callable:
    return _resolve(IMPORTERS, name, "import")


def exporter(name: str) -> Callable:
    return _resolve(EXPORTERS, name, "export")


def realigner(name: str) -> Callable | None:
    """``realign(document, text)`` for token formats, None for formats that keep the text."""
    if name not in TOKEN_FORMATS:
        return None
    from chronique.interop.conll import realign

    return realign
