"""Optional dependencies, imported only where they are needed.

A command that needs one which is not installed stops with a :class:`UsageError` naming
the extra to install, as ``chronique preannotate`` does, never with a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from chronique.errors import UsageError

MODELS_INSTALL = "pip install 'chronique[models]'"
"""How to install the ``models`` extra (spaCy and its French pipelines)."""


def import_spacy(purpose: str) -> ModuleType:
    """The ``spacy`` module; :class:`UsageError` (exit 2) with the install hint when it cannot be imported.

    ``purpose`` names what needs it, e.g. ``"the spaCy DocBin export"``.
    """
    try:
        return importlib.import_module("spacy")
    except ImportError as error:
        raise UsageError(f"{purpose} needs spaCy, which cannot be imported ({error}); "
                         f"install it with {MODELS_INSTALL}") from error
