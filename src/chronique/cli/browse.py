"""The command that writes a static site to read a release: browse."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console

from chronique.cli.options import Commands, add_quiet_option


def add_browse(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="write a static HTML site to read a release's documents, annotations and statistics",
        description="Write a self-contained static site for a release: an index of every document (sortable, "
        "searched by text, entity or Wikidata id, filtered by split, status, beat, genre and dates), an index of the "
        "corpus's entities and stance targets with their mentions in context, one page per document with its "
        "mentions highlighted by type and its stances, a curation page per document with several annotators' "
        "versions, and a statistics page with figures and inter-annotator agreement. It opens from the file system "
        "(no server, no network). "
        "DIR is replaced whole if it holds a site written before; any other non-empty folder is refused.",
    )
    parser.add_argument("--release", help="release folder (default: the current release)")
    parser.add_argument("--out", default="site", metavar="DIR", help="folder to write the site into (default: site)")
    add_quiet_option(parser)
    parser.set_defaults(handler=browse_cli)


def browse_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.browse import write_site
    from chronique.release.loading import release_path

    release = Path(args.release) if args.release else release_path()
    busy = not args.quiet and errors.is_terminal
    with errors.status(f"writing the browser of {release}", spinner="dots") if busy else nullcontext():
        result = write_site(release, Path(args.out))
    for item in result.findings:
        errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
    if not args.quiet:
        console.print(f"wrote {len(result.files)} files for {result.documents} document(s) of release {result.version} "
                      f"({result.annotators}) to {result.out}\nopen {result.index.resolve().as_uri()}",
                      markup=False, highlight=False, soft_wrap=True)
    return 0
