"""Import and export formats, keyed by name.

Each entry names the module and function that implement it; the module is imported
only when the format is used, because some pull in heavy libraries (spaCy, cassis).
Adding a format is one function plus one entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from chronique.errors import UsageError

TOKEN_FORMATS = frozenset({"conll", "conll-iob1", "hipe", "hipe-fine"})
"""Formats that keep only tokens: their rebuilt text is realigned onto the raw text before conversion."""

@dataclass(frozen=True)
class Importer:
    """Where a format's reader lives, and which reader options it takes.

    Every reader is called the same way, ``read(path, log=…, **options)``, with only the options
    named here (``mapping`` when the reader uses the label mapping as it reads; ``layer``,
    ``feature``, ``typesystem`` for the INCEpTION formats), so no caller inspects signatures.
    """

    module: str
    function: str
    options: frozenset[str] = frozenset()


_INCEPTION_OPTIONS = frozenset({"mapping", "layer", "feature"})

IMPORTERS: dict[str, Importer] = {
    "labelstudio": Importer("chronique.interop.labelstudio", "read_labelstudio"),
    "inception-xmi": Importer("chronique.interop.xmi", "read_inception_xmi", _INCEPTION_OPTIONS | {"typesystem"}),
    "webanno-tsv3": Importer("chronique.interop.webanno_tsv", "read_webanno_tsv3", _INCEPTION_OPTIONS),
    "brat": Importer("chronique.interop.brat", "read_brat", frozenset({"mapping"})),
    "doccano": Importer("chronique.interop.doccano", "read_doccano", frozenset({"mapping"})),
    "conll": Importer("chronique.interop.conll", "read_conll"),
    "conll-iob1": Importer("chronique.interop.conll", "read_conll_iob1"),
    "hipe": Importer("chronique.interop.hipe", "read_hipe"),
    "hipe-fine": Importer("chronique.interop.hipe", "read_hipe_fine"),
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


def _known(registry: dict, name: str, kind: str) -> None:
    if name not in registry:
        raise UsageError(f"unknown {kind} format {name!r}; known: {', '.join(sorted(registry))}")


def importer(name: str) -> Callable:
    _known(IMPORTERS, name, "import")
    entry = IMPORTERS[name]
    return getattr(importlib.import_module(entry.module), entry.function)


def taken_options(name: str) -> frozenset[str]:
    """The options the reader of format ``name`` takes (see :class:`Importer`)."""
    _known(IMPORTERS, name, "import")
    return IMPORTERS[name].options


def exporter(name: str) -> Callable:
    _known(EXPORTERS, name, "export")
    module, function = EXPORTERS[name]
    return getattr(importlib.import_module(module), function)


def realigner(name: str) -> Callable | None:
    """``realign(document, text)`` for token formats, None for formats that keep the text."""
    if name not in TOKEN_FORMATS:
        return None
    from chronique.interop.conll import realign

    return realign
