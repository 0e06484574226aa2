"""The two consoles every command prints to: stdout for results, stderr for findings and progress."""

from __future__ import annotations

import errno
import os

from rich.console import Console

PIPE_WIDTH = 100_000
"""Rich's width for a pipe or a file: tables keep their natural width and lines are never cut to ``COLUMNS``."""


class _Console(Console):
    """A rich console whose closed pipe is a ``BrokenPipeError`` for :func:`chronique.cli.main`, not rich's
    silent exit 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def make_console(*, stderr: bool) -> Console:
    """The console of stdout or stderr. On a pipe or in a file nothing is cut: tables get their full
    width and lines are not wrapped to ``COLUMNS``; on stderr a finding stays one line at any width.

    Paths and user text are printed literally: with rich's markup and emoji on, a file named
    ':x:' or '[bold]' would be shown as something else than it is.
    """
    options = dict(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=stderr)
    console = _Console(**options)
    return console if console.is_terminal else _Console(**options, width=PIPE_WIDTH)
