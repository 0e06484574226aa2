"""The files of a tool's export folder, without ever leaving that folder.

An export folder comes from elsewhere (an archive, a colleague, a shared drive) and may hold
symbolic links: ``passwd.ann -> /etc/passwd`` would otherwise be read as an annotation file
and its lines quoted in syntax errors. Every importer that reads more than the one file it
was given finds its files here:

* :func:`folder_files` walks a folder (sorted, optionally recursively) and returns the files
  whose name matches, each resolved and checked to lie inside the folder;
* :func:`inside_folder` checks one more file an importer reads beside another (brat's ``.txt``
  beside its ``.ann``, INCEpTION's ``TypeSystem.xml``).

Policy: a matching file (or a folder) that is a symbolic link resolving outside the input
folder is **refused**: an ``import.file.outside`` error located at the link, naming where it
points, and the file is never opened, so nothing of it can be printed. Since an import with an
error writes nothing, a hostile folder imports nothing. A link that stays inside the folder is
an ordinary file of it; a linked folder inside it is not walked twice (its files are read
where they are).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog

OUTSIDE = "import.file.outside"


def _resolves_inside(path: Path, base: Path) -> bool:
    resolved = path.resolve()
    return resolved == base or resolved.is_relative_to(base)


def inside_folder(path: Path, folder: Path, log: FindingLog, what: str = "file") -> bool:
    """True when ``path`` (which need not exist) resolves inside ``folder``; else False after an error finding."""
    base = folder.resolve()
    if _resolves_inside(path, base):
        return True
    log.add(finding(OUTSIDE, f"this {what} is a symbolic link to {path.resolve()}, outside the input folder {base}; "
                    "it is not read", path.as_posix(), hint="copy the file into the export folder, or remove the link"))
    return False


def folder_files(folder: Path, matches: Callable[[str], bool], log: FindingLog, *, recursive: bool) -> list[Path]:
    """The regular files below ``folder`` whose name ``matches``, sorted by their path relative to it.

    Links are not followed out of the folder (see the module docstring); a linked folder is
    never descended into, and one that points outside is refused like a file.
    """
    found = []
    for root, folders, names in os.walk(folder, followlinks=False):
        here = Path(root)
        for name in sorted(folders):
            if (here / name).is_symlink():
                inside_folder(here / name, folder, log, "folder")  # refused when outside; never walked either way
        for name in names:
            path = here / name
            if matches(name) and (not path.is_symlink() or inside_folder(path, folder, log)) and path.is_file():
                found.append(path)
        if not recursive:
            break
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())
