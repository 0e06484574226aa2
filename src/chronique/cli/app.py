"""The ``chronique`` program: its parser, assembled from every command module, and :func:`main`, which runs
a command and turns what goes wrong into a message and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from chronique.cli import annotate, browse, data, score
from chronique.cli.console import make_console
from chronique.cli.options import Commands, require_repository
from chronique.errors import ChroniqueError
from chronique.version import __version__

COMMANDS: dict[str, Callable[[Commands, str], None]] = {
    "build": data.add_build,
    "validate": data.add_validate,
    "reanchor": annotate.add_reanchor,
    "import": annotate.add_import,
    "export": annotate.add_export,
    "evaluate": score.add_evaluate,
    "baseline": score.add_baseline,
    "agreement": annotate.add_agreement,
    "adjudicate": annotate.add_adjudicate,
    "publish": data.add_publish,
    "diff": data.add_diff,
    "verify": data.add_verify,
    "browse": browse.add_browse,
    "preannotate": annotate.add_preannotate,
}
"""Every command, in the order ``chronique --help`` lists them: its name and the function that adds its
parser (options and handler) under that name. A new command is one such function plus one entry."""

WRITING_COMMANDS = {
    "build": "nothing was published",  # the release is staged and renamed into place only after success
    "publish": "nothing was published",
    "import": "nothing was written",  # an import writes only once every document passed
    "adjudicate": "nothing more was written",
    "preannotate": "nothing more was written",
    "reanchor": "nothing more was written",
    "baseline": "nothing more was written",
    "export": "nothing more was written",
    "browse": "nothing more was written",
}
"""What a command that writes says after an I/O error or an interruption; the others only read, and say nothing."""


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chronique",
        description="Build, check and load Chronique, a French news corpus with entity and stance annotations.",
    )
    parser.add_argument("--version", action="version", version=f"chronique {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add_command in COMMANDS.items():
        add_command(commands, name)
    return parser


def _hide_datasets_progress() -> None:
    """No ``datasets`` progress bar in our output (they leak into pipes and logs); on a terminal our own
    progress shows what runs. ``HF_DATASETS_DISABLE_PROGRESS_BARS``, when set, is the user's choice."""
    if "HF_DATASETS_DISABLE_PROGRESS_BARS" in os.environ:
        return
    os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"  # read when datasets is first imported
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()


def _end_on_closed_pipe() -> int:
    """The reader of stdout went away (``| head``): end quietly, as the Python documentation recommends,
    pointing stdout at devnull so that the interpreter's last flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured in a test): nothing to flush
        pass
    return 128 + 13  # 141, what a shell reports for a command ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    console, errors = make_console(stderr=False), make_console(stderr=True)
    parser = make_parser()
    args = parser.parse_args(argv)
    _hide_datasets_progress()
    note = WRITING_COMMANDS.get(args.command)
    try:
        require_repository(args)
        status = args.handler(args, console, errors)
        sys.stdout.flush()  # a closed pipe is noticed here rather than at the interpreter's exit
        return status
    except BrokenPipeError:
        return _end_on_closed_pipe()
    except ChroniqueError as error:
        for finding in error.findings:
            errors.print(str(finding), markup=False, highlight=False, soft_wrap=True)
        errors.print(f"chronique {args.command}: {error}", markup=False, highlight=False, soft_wrap=True)
        return error.exit_code
    except OSError as error:
        where = error.filename or "chronique"
        errors.print(f"{where}: [io] {error.strerror or error}" + (f"; {note}" if note else ""), markup=False,
                     highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        errors.print("interrupted" + (f"; {note}" if note else ""), markup=False)
        return 130
