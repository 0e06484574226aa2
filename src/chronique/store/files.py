"""Writing a file so that no reader ever sees half of it, and no failed write leaves debris."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def _written_beside(path: Path, content: str | bytes) -> Iterator[str]:
    """A complete temporary file holding ``content`` (text as UTF-8) in ``path``'s folder, created when
    missing; the temporary file is gone once the block ends, whether it was put in place or not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        yield staging
    finally:
        Path(staging).unlink(missing_ok=True)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` through a temporary
    file in the same folder, renamed into place; on any failure the temporary file is removed and
    ``path`` is left as it was. The folder is created when missing."""
    with _written_beside(path, content) as staging:
        os.replace(staging, path)


def create_exclusively(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` only if no file is there, as one step: a reader sees the whole file or
    none, and a file that appeared in the meantime is never replaced. False when ``path`` existed."""
    with _written_beside(path, content) as staging:
        try:
            os.link(staging, path)  # fails when path exists, unlike a rename
        except FileExistsError:
            return False
    return True
