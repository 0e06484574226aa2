"""Commands that build, check, compare and publish the corpus: build, validate, verify, diff, publish."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from chronique.cli.options import (JOBS_HELP, QUIET_FINDINGS_HELP, Commands, add_jobs_option, add_quiet_option,
                                   add_raw_option, add_repo_option, open_command_executor)
from chronique.errors import UsageError
from chronique.schema import STATUSES
from chronique.store.splits import SPLITS
from chronique.version import __version__


def add_build(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="build releases/<version>/ from raw/ and annotations/",
        description="Read raw/ and annotations/, check them, and write the Parquet release releases/<version>/ "
        "(dataset card, data files, manifest). Nothing is written when any check fails; an existing release "
        "with other content is never overwritten.",
    )
    add_repo_option(parser)
    parser.add_argument("--releases", help="folder of releases (default: <repo>/releases)")
    parser.add_argument("--status", nargs="+", choices=STATUSES, default=["gold"],
                        help="annotation statuses to publish (default: gold)")
    parser.add_argument("--no-registry-update", action="store_true",
                        help="do not pin released documents in annotations/splits.tsv")
    add_jobs_option(parser, help=f"{JOBS_HELP}; the output is the same for any N")
    add_raw_option(parser)
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute every document instead of reusing unchanged chunks from .cache/chronique-build")
    add_quiet_option(parser)
    parser.set_defaults(handler=build_cli)


def build_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.pipeline import build, default_cache

    repo = Path(args.repo)
    quiet = args.quiet or not errors.is_terminal
    columns = [SpinnerColumn(), TextColumn("building {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with open_command_executor(args) as executor, \
            Progress(*columns, console=errors, disable=quiet, transient=True) as progress:
        task = progress.add_task(__version__, total=_count_raw_files(repo / "raw" if args.raw is None else args.raw))
        result = build(
            repo,
            releases=Path(args.releases) if args.releases else None,
            statuses=args.status,
            on_progress=lambda files: progress.advance(task, files),
            update_registry=not args.no_registry_update,
            executor=executor,
            cache=None if args.no_cache else default_cache(repo),
            raw=args.raw,
        )
    for warning in result.warnings:
        errors.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    if not args.quiet:
        console.print(summary_table(result))
        console.print(targets_table(result.stats, repo))
        if result.withheld:
            console.print(not_published_line(result.withheld, args.status), markup=False)
        console.print(f"{result.path}\nfingerprint {result.fingerprint}", markup=False, soft_wrap=True)
    return 0


def _count_raw_files(raw: Path | str) -> int | None:
    """How many files a local raw folder holds, for the progress bar; None (no total shown) for a URL."""
    from chronique.store.raw_files import is_url

    if isinstance(raw, str) and is_url(raw):
        return None
    try:
        return sum(1 for p in Path(raw).rglob("*") if p.is_file() and not p.name.startswith("."))
    except OSError:
        return None


def summary_table(result) -> Table:
    table = Table(title=f"Chronique {result.version} {result.outcome}")
    splits = [s for s in SPLITS if s in result.stats]
    table.add_column("")
    for split in splits:
        table.add_column(split, justify="right")
    for label in ("documents", "sentences", "tokens", "entities"):
        table.add_row(label, *(f"{result.stats[s][label]:,}" for s in splits))
    types = sorted({t for s in splits for t in result.stats[s]["mentions"]})
    for fine_type in types:
        table.add_row(f"mentions {fine_type}", *(str(result.stats[s]["mentions"].get(fine_type, 0)) for s in splits))
    table.add_row("stances", *(str(sum(result.stats[s]["stances"].values())) for s in splits))
    return table


def targets_table(stats: dict[str, dict], repo: Path) -> Table:
    """The release's figures beside the corpus targets, each marked met or missed."""
    from chronique.run.stats import CORPUS_TARGETS, corpus_figures

    versions = repo / "annotations" / "versions"
    doubly = sum(1 for p in versions.iterdir() if len(list(p.glob("*.json"))) >= 2) if versions.is_dir() else 0
    table = Table(title="corpus targets")
    for column in ("measure", "release", "target", ""):
        table.add_column(column, justify="right" if column in ("release", "target") else "left")
    for measure, value in corpus_figures(stats, doubly).items():
        target = CORPUS_TARGETS[measure]
        shown = (lambda v: f"{v:.1%}") if isinstance(target, float) else (lambda v: f"{v:,}")
        table.add_row(measure, shown(value), f"≥ {shown(target)}", "met" if value >= target else "MISSED")
    return table


def not_published_line(withheld: dict[str, int], statuses: list[str]) -> str:
    """What the build left out and why: the ``--status`` hint only when annotation statuses are the reason."""
    from chronique.run.steps import KEPT_OUT

    listed = ", ".join(f"{n} {reason}" for reason, n in sorted(withheld.items()))
    by_status = [reason for reason in withheld if reason != KEPT_OUT]
    hint = f" (statuses other than {', '.join(statuses)} need --status)" if by_status else ""
    return f"not published: {listed}{hint}"


def add_validate(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="check raw/, annotations/ and the split registry; write nothing",
        description="Run every validation check (levels L0 repository, L1 files, L2 anchoring, L3 annotation rules, "
        "L4 corpus) and report each finding as path:line:col: [check-id] message. Exit 0 when there is no error "
        "(warnings allowed), 1 when there is one, 2 on a usage error.",
    )
    add_repo_option(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text lines or one JSON document")
    parser.add_argument("--max-errors", type=int, metavar="N", help="show at most N errors (all are still counted)")
    parser.add_argument("--list-checks", action="store_true", help="list every check id with its explanation")
    add_jobs_option(parser)
    add_raw_option(parser)
    add_quiet_option(parser, help=QUIET_FINDINGS_HELP)
    parser.set_defaults(handler=validate_cli)


def validate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.checks.catalogue import CHECKS
    from chronique.pipeline import validate

    if args.list_checks:
        for check_id, info in CHECKS.items():
            sys.stdout.write(f"{check_id}\t{info.severity}\t{info.explanation}\n")
        return 0
    if args.max_errors is not None and args.max_errors < 0:
        raise UsageError("--max-errors must be 0 or more")
    with open_command_executor(args) as executor:
        report = validate(Path(args.repo), executor=executor, raw=args.raw)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_findings(report.findings, errors, args.max_errors)
        if not args.quiet:
            console.print(distribution_table(report.stats))
            verdict = "valid" if not report.errors else "INVALID"
            console.print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)", markup=False)
    return 1 if report.errors else 0


def _print_findings(findings, errors: Console, max_errors: int | None) -> None:
    shown_errors = 0
    for item in findings:
        if item.severity == "error":
            shown_errors += 1
            if max_errors is not None and shown_errors > max_errors:
                continue
        errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
    hidden = shown_errors - max_errors if max_errors is not None and shown_errors > max_errors else 0
    if hidden:
        errors.print(f"… {hidden} more error(s) not shown (--max-errors {max_errors})", markup=False)


def distribution_table(stats: dict[str, dict]) -> Table:
    table = Table(title="labels by split")
    splits = list(stats)
    table.add_column("")
    for split in splits:
        table.add_column(split, justify="right")
    table.add_row("documents", *(str(stats[s]["documents"]) for s in splits))
    for key, label in (("mentions", "mentions"), ("stances", "stances")):
        for name in sorted({n for s in splits for n in stats[s][key]}):
            table.add_row(f"{label} {name}", *(str(stats[s][key].get(name, 0)) for s in splits))
    return table


def add_publish(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="upload a release to the Hugging Face Hub and tag it v<version>",
        description="Check a release folder against its manifest (version and every file's SHA-256), then upload it "
        "to a dataset repository on the Hugging Face Hub in one commit to main and tag that commit v<version>. "
        "Refused, before anything is uploaded, when a file differs from the manifest or the tag already exists. "
        "The token comes from HF_TOKEN or `hf auth login` and is never printed. --dry-run prints what would be "
        "sent, file by file, and sends nothing.",
    )
    parser.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the dataset repository on the Hub")
    parser.add_argument("--version", required=True, help="the release version to publish, tagged v<version>")
    parser.add_argument("--release", help="release folder (default: releases/<version>)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent and where; send nothing")
    parser.add_argument("--include-restricted", action="store_true",
                        help="upload texts whose licence does not allow redistribution (refused by default)")
    parser.set_defaults(handler=publish_cli)


def publish_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.release.loading import release_path
    from chronique.release.publish import describe, plan_publication, publish

    release = Path(args.release) if args.release else release_path(args.version)
    plan = plan_publication(release, repo_id=args.repo_id, version=args.version,
                            include_restricted=args.include_restricted)
    console.print(describe(plan), markup=False, highlight=False, soft_wrap=True)
    if args.dry_run:
        console.print("dry run: nothing was sent", markup=False)
        return 0
    result = publish(plan)
    console.print(f"published {result.files} files to {result.url}, commit {result.commit_oid}, tagged {result.tag}",
                  markup=False, highlight=False, soft_wrap=True)
    return 0


def add_diff(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="list what changed between two releases; optionally write the CHANGELOG entry",
        description="Compare release A (before) with release B (after): documents added, removed or whose text "
        "changed; mentions and stances added, removed and relabelled; statistics deltas; and the suggested version "
        "bump (major: schema or label set; minor: documents or layers added; patch: corrections; none: the "
        "releases are the same). Prints a "
        "CHANGELOG entry in Markdown, or JSON with --json. Exit 1 when a document moved split (the CHANGELOG is then "
        "not written), 2 when A or B is not a release.",
    )
    parser.add_argument("a", metavar="A", help="the earlier release folder, e.g. releases/0.1.0")
    parser.add_argument("b", metavar="B", help="the later release folder, e.g. releases/0.2.0")
    parser.add_argument("--json", action="store_true", help="print the diff as JSON instead of Markdown")
    parser.add_argument("--changelog", metavar="PATH",
                        help="insert the entry into this CHANGELOG (below its title; an entry for B's version is "
                        "replaced)")
    parser.add_argument("--date", help="date of the entry (default: B's release date, else today)")
    parser.add_argument("--limit", type=int, default=10, metavar="N",
                        help="list at most N items of each kind (default: 10)")
    parser.set_defaults(handler=diff_cli)


def diff_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.release.changelog import prepend_changelog
    from chronique.release.diff import diff_releases

    before, after = Path(args.a), Path(args.b)
    if args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    diff = diff_releases(before, after)
    for move in diff.split_moves:
        errors.print(f"{after}: [diff.split-moved] document {move.doc_id!r} moved from {move.split_before} to "
                     f"{move.split_after}; hint: a released document keeps its split: pin it back in "
                     "annotations/splits.tsv and build a new version", markup=False, highlight=False, soft_wrap=True)
    entry = diff.to_markdown(date=args.date, limit=args.limit)
    sys.stdout.write(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2) + "\n" if args.json else entry)
    if diff.split_moves:
        if args.changelog:
            errors.print(f"{args.changelog} not updated: documents moved split", markup=False, highlight=False,
                         soft_wrap=True)
        return 1
    if args.changelog:
        prepend_changelog(Path(args.changelog), entry)
        errors.print(f"wrote the {diff.version_after} entry of {args.changelog} "
                     f"(suggested version bump: {diff.bump_description})", markup=False, highlight=False,
                     soft_wrap=True)
    return 0


def add_verify(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="check a release folder against its manifest",
        description="Re-hash every file the manifest lists, report files missing or not listed, and recompute the "
        "content fingerprint from the Parquet rows. Each problem is a path: [check-id] message line "
        "(verify.checksum, verify.missing, verify.unlisted, verify.unreadable, verify.fingerprint, verify.manifest). "
        "Exit 0 when the release is intact, 1 when it is not, 2 when the folder does not exist or is the folder of "
        "releases (the latest release is then named).",
    )
    parser.add_argument("release", metavar="RELEASE", help="release folder, e.g. releases/0.1.0")
    add_quiet_option(parser, help=QUIET_FINDINGS_HELP)
    parser.set_defaults(handler=verify_cli)


def verify_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.release.verify import verify_release

    findings = verify_release(Path(args.release))
    for item in findings:
        errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
    failed = [f for f in findings if f.severity == "error"]
    if not args.quiet:
        verdict = "intact" if not failed else "DAMAGED"
        console.print(f"{args.release}: {verdict}: {len(failed)} error(s), {len(findings) - len(failed)} warning(s)",
                      markup=False, highlight=False, soft_wrap=True)
    return 1 if failed else 0
