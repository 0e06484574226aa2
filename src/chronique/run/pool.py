"""The build's worker processes.

Workers are forked, so they start with the parent's objects in shared, copy-on-write pages. A
page stays shared only while nobody writes to it, and the garbage collector writes to every
object it visits: left alone, each worker would end up with its own copy of the parent's whole
heap (the survey's facts of every raw file, the repository), and memory would grow with the
corpus once per process. Freezing the parent's objects out of the collector before the fork
(``gc.freeze``, as the Python documentation advises for pre-fork servers) keeps them shared.
"""

from __future__ import annotations

import gc
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def worker_pool(jobs: int, initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` forked workers that share the parent's objects; the parent's collector is
    back to normal once the pool is closed."""
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, initializer=initializer, initargs=initargs) as pool:
            yield pool
    finally:
        gc.unfreeze()
