"""The ``chronique`` command line: thin wrappers that call the library and report.

Only this package prints and chooses exit codes: 0 success, 1 invalid data or refused
release, 2 usage error. User errors are reported as ``path:line:col: [check-id] message``
lines, never as tracebacks.

Each command's options are declared beside its handler, in one module per group of
commands (:mod:`.data`, :mod:`.annotate`, :mod:`.score`, :mod:`.browse`); options that
several commands share are declared once in :mod:`.options`; :mod:`.app` assembles the
parser from its registry of commands and runs :func:`main`.
"""

from chronique.cli.app import main, make_parser

__all__ = ["main", "make_parser"]
