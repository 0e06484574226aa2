"""Writing a file so that no reader ever sees half of it, and no failed write leaves debris."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` through a temporary
    file in the same folder, renamed into place; on any failure the temporary file is removed and
    ``path`` is left as it was. The folder is created when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def create_exclusively(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` only if no file is there, as one step: a reader sees the whole file or
    none, and a file that appeared in the meantime is never replaced. False when ``path`` existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8"))
        os.link(staging, path)  # fails when path exists, unlike a rename
        return True
    except FileExistsError:
        return False
    finally:
        Path(staging).unlink(missing_ok=True)
