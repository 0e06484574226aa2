"""The worker processes of the local executor (:mod:`chronique.run.executors`).

Workers are forked once, when the executor opens, before the command has read anything: they
start with the imported code and none of the data that the build gathers later (the survey's
facts of every raw file, the repository, the bookkeeping of every document read so far). Forked
later, each would hold that heap in copy-on-write pages that turn into copies as soon as
anything touches them, and count in its share of memory even when they do not, so every worker
would grow with the corpus. What a worker needs travels with its tasks instead.

The imported code stays in pages the workers share with the parent, as long as nobody writes to
them; the garbage collector writes to every object it visits, so the parent's objects are frozen
out of it (``gc.freeze``, as the Python documentation advises before a fork) while the workers
are forked.
"""

from __future__ import annotations

import gc
from concurrent.futures import ProcessPoolExecutor, wait


def _ready() -> None:
    """A task that does nothing: submitting one per worker makes the pool fork them all now."""


def start_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of ``jobs`` worker processes, forked now."""
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(jobs)
        wait([pool.submit(_ready) for _ in range(jobs)])
    finally:
        gc.unfreeze()
    return pool
