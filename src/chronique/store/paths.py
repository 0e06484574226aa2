"""Paths we write to, built only from checked names and checked to stay inside their folder.

Document ids and annotator names come from input files (a raw record, a tool export), and
they become file and folder names. One pattern decides what is safe as a name, for every
caller: letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit, at most
128 characters, no ``..``, no trailing dot, and never a Windows device name (``CON``,
``NUL``, ``aux``, ``LPT1``, ``con.txt``), which would name a device rather than a file
on a clone made on Windows. :func:`contained` then resolves the joined path and refuses
it unless it lies inside the intended folder, so that a symbolic link inside the
repository cannot send a write elsewhere either.
"""

from __future__ import annotations

import re
from pathlib import Path

from chronique.errors import ChroniqueError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SAFE_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit, at most 128 characters"
WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


def is_safe_name(value: object) -> bool:
    """True when ``value`` may be used as one file or folder name (see the module docstring)."""
    if not isinstance(value, str) or not SAFE_NAME.match(value) or ".." in value or value.endswith("."):
        return False
    return value.split(".", 1)[0].upper() not in WINDOWS_DEVICES


class UnsafePathError(ChroniqueError):
    """A path built from input would leave its folder, or uses a name that is not safe (exit code 1)."""


def contained(folder: Path, *names: str) -> Path:
    """``folder / names...`` resolved, after checking each name and that the result stays inside ``folder``."""
    for name in names:
        if not is_safe_name(name):
            raise UnsafePathError(f"{name!r} is not safe as a file name ({SAFE_NAME_RULE})")
    base = folder.resolve()
    path = base.joinpath(*names).resolve()
    if path == base or not path.is_relative_to(base):
        raise UnsafePathError(f"{base.joinpath(*names)} resolves to {path}, outside {base}")
    return path
