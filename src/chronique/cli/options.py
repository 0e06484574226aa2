"""Options and argument types that several commands share, each declared once here.

Where commands give a shared option different help texts today, both texts are named here,
side by side, and each command says which one it shows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chronique.errors import UsageError

Commands = argparse._SubParsersAction
"""What ``add_subparsers`` returns: each command module adds its parser to it."""

REPO_HELP = "repository folder holding raw/ and annotations/ (default: .)"
REPO_HELP_BRIEF = "repository folder (default: .)"
QUIET_HELP = "print nothing but errors"
QUIET_FINDINGS_HELP = "print findings only"
JOBS_HELP = "worker processes (default: 1; with --executor ray, every CPU of the Ray instance or cluster)"


def add_repo_option(parser: argparse.ArgumentParser, help: str = REPO_HELP) -> None:
    """``--repo PATH``: the repository a command works on, checked by :func:`require_repository`."""
    parser.add_argument("--repo", default=".", help=help)


def require_repository(args: argparse.Namespace) -> None:
    """A command working on a repository (``--repo``) needs its raw/ folder: say so before anything is read."""
    if getattr(args, "repo", None) is None or getattr(args, "list_checks", False):
        return
    repo = Path(args.repo)
    if not (repo / "raw").is_dir():
        where = "the current folder" if args.repo == "." else str(repo)
        if str(repo.resolve()) != where:
            where += f" ({repo.resolve()})"
        raise UsageError(f"{where} has no raw/ folder, so it is not a Chronique repository; hint: "
                         "run chronique from the repository folder (the one holding raw/ and annotations/), "
                         "or pass --repo PATH")


def add_quiet_option(parser: argparse.ArgumentParser, help: str = QUIET_HELP) -> None:
    """``--quiet``: print less; the help says what is still printed."""
    parser.add_argument("--quiet", action="store_true", help=help)


def add_jobs_option(parser: argparse.ArgumentParser, help: str = JOBS_HELP) -> None:
    """``--jobs N``, ``--executor`` and ``--ray-address``: where a command's per-document work runs, and on
    how many workers (:mod:`chronique.run.executors`)."""
    parser.add_argument("--jobs", type=int, metavar="N", help=help)
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local: processes on this machine (default); ray: Ray tasks, on a local Ray instance "
                        "unless --ray-address is given (needs chronique[ray])")
    parser.add_argument("--ray-address", metavar="ADDRESS",
                        help="the Ray cluster to run on, as ray.init takes it: 'auto' for the one started on this "
                        "machine with 'ray start', or ray://HOST:10001")


def add_raw_option(parser: argparse.ArgumentParser) -> None:
    """``--raw WHERE``: read the raw articles from another folder or an fsspec URL instead of ``<repo>/raw``."""
    parser.add_argument("--raw", metavar="WHERE",
                        help="read the raw articles from this folder or fsspec URL (s3://bucket/crawl, memory://…; "
                        "on a Ray cluster, one every node can read) instead of <repo>/raw; annotations stay in <repo>")


def open_command_executor(args: argparse.Namespace):
    """The executor that ``--executor``, ``--jobs`` and ``--ray-address`` ask for, as a context manager."""
    from chronique.run.executors import open_executor

    return open_executor(args.executor, args.jobs, args.ray_address)


def add_release_options(parser: argparse.ArgumentParser) -> None:
    """``--version`` and ``--release``: the release a command reads, by version or by folder."""
    parser.add_argument("--version", help="release version (default: current)")
    parser.add_argument("--release", help="release folder (overrides --version)")


def read_manifest_rows(release: Path) -> dict[str, int]:
    """The number of documents in each split of a release, as its manifest records them."""
    from chronique.release.manifest import read_manifest

    return read_manifest(release).rows.get("documents", {})


def safe_name(value: str) -> str:
    """An argparse type: a name that may become a file name or a recorded pseudonym."""
    from chronique.store.paths import SAFE_NAME_RULE, is_safe_name

    if not is_safe_name(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a safe name ({SAFE_NAME_RULE})")
    return value
