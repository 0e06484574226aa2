"""Where the build's per-document work runs: executors, chosen by name.

An executor maps a function over argument tuples and gives the results back in the order of
the arguments, whatever order they finish in, with at most two tasks per worker in flight.
Every parallel stage goes through one (the survey of raw files, the groups of chunks), so a
release is the same whichever executor built it and with how many workers: each task is a pure
function of its arguments, and the driver consumes the results in order.

- ``local`` (:class:`LocalExecutor`): this machine. One worker runs the tasks in this process;
  more are a pool of forked processes (:mod:`chronique.run.pool`).
- ``ray`` (:class:`RayExecutor`): Ray tasks, on a local Ray instance by default or on the
  cluster at ``address``. Ray runs a task again when its worker died; a task that keeps failing
  fails the map with :class:`ExecutorError`. Ray comes with the ``ray`` extra and is imported
  only when this executor is chosen.

A worker may need something before its first task (the build context, sent once rather than
with each task): a :class:`WorkerSetup`, run once in each worker process that takes a task.
"""

from __future__ import annotations

import concurrent.futures
import logging
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol

from chronique.errors import ChroniqueError, UsageError
from chronique.run.pool import start_pool

RAY_TASK_RETRIES = 3
"""How many times Ray runs a task again after its worker died, before the build fails."""

RAY_OBJECT_STORE_BYTES = 256 * 2**20
"""The object store of a local Ray instance: results carry no rows (workers write the shards), so little is needed."""

TASKS_PER_WORKER = 2
"""Tasks in flight per worker: one running, one waiting, so no worker idles while the driver reads a result."""


class ExecutorError(ChroniqueError):
    """The executor could not run a task: a worker that kept dying, a cluster that went away."""


@dataclass(frozen=True)
class WorkerSetup:
    """``initializer(*initargs)``, run once in each worker process before its first task of a map."""

    initializer: Callable[..., None]
    initargs: tuple = ()
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class Executor(Protocol):
    """What the build asks of an executor."""

    name: str
    workers: int

    @property
    def in_process(self) -> bool:
        """True when tasks run in the calling process, one after another."""

    def map(self, function: Callable[..., Any], arguments: Iterable[tuple],
            setup: WorkerSetup | None = None) -> Iterator[Any]:
        """``function(*args)`` for each tuple of ``arguments``, in their order."""

    def close(self) -> None:
        """Stop the workers this executor started."""


def in_order(submit: Callable[[tuple], Any], wait: Callable[[Any], Any], arguments: Iterable[tuple], window: int,
             stop: Callable[[list], None]) -> Iterator[Any]:
    """Submit tasks ``window`` ahead and wait for them in submission order. If the consumer stops early
    (an error, an interruption, a generator closed), ``stop`` cancels what has not started and waits
    for what has, so that no task is still writing once the caller cleans up after the failure."""
    pending: deque = deque()
    queue = iter(arguments)

    def top_up() -> None:
        while len(pending) < window and (args := next(queue, None)) is not None:
            pending.append(submit(args))

    try:
        top_up()
        while pending:
            result = wait(pending.popleft())
            top_up()
            yield result
    finally:
        if pending:
            stop(list(pending))


def _stop_futures(futures: list) -> None:
    for future in futures:
        future.cancel()
    concurrent.futures.wait(futures)


_SETUP_DONE: str | None = None
"""In a worker process: the token of the last :class:`WorkerSetup` it ran."""


def run_task(setup: WorkerSetup | None, function: Callable[..., Any], arguments: tuple) -> Any:
    """One task in a worker: the map's set-up, the first time this worker sees it, then the function."""
    global _SETUP_DONE
    if setup is not None and setup.token != _SETUP_DONE:
        setup.initializer(*setup.initargs)
        _SETUP_DONE = setup.token
    return function(*arguments)


class LocalExecutor:
    """Tasks on this machine: in this process for one worker, else in ``workers`` processes forked when
    the executor is made (:mod:`chronique.run.pool`) and kept until :meth:`close`."""

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = workers
        self._pool = start_pool(workers) if workers > 1 else None

    @property
    def in_process(self) -> bool:
        return self._pool is None

    def map(self, function: Callable[..., Any], arguments: Iterable[tuple], setup: WorkerSetup | None = None) -> Iterator[Any]:
        if self._pool is None:
            if setup is not None:
                setup.initializer(*setup.initargs)
            for args in arguments:
                yield function(*args)
            return
        pool = self._pool
        yield from in_order(lambda args: pool.submit(run_task, setup, function, args), lambda future: future.result(),
                            arguments, TASKS_PER_WORKER * self.workers, _stop_futures)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class RayExecutor:
    """Tasks on Ray: a local instance of ``workers`` CPUs (all of this machine's when None), started here
    and stopped by :meth:`close`, or the running cluster at ``address`` (``auto`` finds one started with
    ``ray start``), with ``workers`` tasks running at a time (all its CPUs when None). A Ray instance that
    this process already started is used as it is.

    On a cluster, every node must see the repository and the releases folder at the same path
    (a shared file system): workers read raw files and write shards where the driver says."""

    name = "ray"
    in_process = False

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError as error:
            raise UsageError("the ray executor needs Ray: pip install 'chronique[ray]'") from error
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "logging_level": logging.ERROR, "configure_logging": True}
            if address is None:
                options.update(num_cpus=workers, object_store_memory=RAY_OBJECT_STORE_BYTES)
            else:
                options.update(address=address)
            try:
                ray.init(**options)
            except ConnectionError as error:
                raise ExecutorError(f"no Ray cluster at {address!r}: {error}") from error
            self._started = True
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.retries = RAY_TASK_RETRIES
        self._task = ray.remote(max_retries=self.retries)(run_task)

    def map(self, function: Callable[..., Any], arguments: Iterable[tuple], setup: WorkerSetup | None = None) -> Iterator[Any]:
        ray = self._ray
        shared = ray.put(setup) if setup is not None else None  # stored once, not with every task

        def wait(reference):
            try:
                return ray.get(reference)
            except ray.exceptions.RayTaskError as error:  # the task's own exception: raised as it would be locally
                if isinstance(error.cause, ChroniqueError):  # our own errors travel whole, findings and all
                    raise error.cause from None
                raise error.as_instanceof_cause() from None
            except ray.exceptions.RayError as error:
                raise ExecutorError(f"a Ray task ({function.__name__}) failed {self.retries + 1} times "
                                    f"({type(error).__name__}); the run stopped") from error

        def stop(references: list) -> None:
            for reference in references:
                ray.cancel(reference)  # a running task is interrupted, a waiting one never starts
            ray.wait(references, num_returns=len(references))

        yield from in_order(lambda args: self._task.remote(shared, function, args), wait, arguments,
                            TASKS_PER_WORKER * self.workers, stop)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


EXECUTORS: dict[str, Callable[[int | None, str | None], Executor]] = {
    "local": lambda workers, address: LocalExecutor(workers or 1),
    "ray": lambda workers, address: RayExecutor(workers, address),
}
"""Executors by the name ``--executor`` takes."""


@contextmanager
def open_executor(name: str = "local", workers: int | None = 1,
                  address: str | None = None) -> Iterator[Executor]:
    """The executor called ``name``, closed on the way out."""
    if name not in EXECUTORS:
        raise UsageError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
    if address is not None and name != "ray":
        raise UsageError("--ray-address needs --executor ray")
    if workers is not None and workers < 1:
        raise UsageError("jobs must be 1 or more")
    executor = EXECUTORS[name](workers, address)
    try:
        yield executor
    finally:
        executor.close()
