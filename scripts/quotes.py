"""Annotate by quotation: show a document's numbered paragraphs, or anchor a quote draft.

Usage (from the repository root, with the package installed):

    python scripts/quotes.py show DOC_ID
    python scripts/quotes.py draft DOC_ID > DRAFT.json          # an existing annotation, as a draft to edit
    python scripts/quotes.py convert DRAFT.json [--as-version] [--pass single-annotator] [--reviewer NAME]

``show`` prints the normalised text, one numbered paragraph at a time, as a draft's ``p``
numbers refer to it. ``convert`` anchors the draft (see ``chronique.interop.quotes``),
runs the schema and every document check on the result, and writes
``annotations/<doc_id>.json`` (or, with ``--as-version``,
``annotations/versions/<doc_id>/<annotator>.json``) only when all of them pass. Each
problem is printed as ``path:line: [check-id] message``; the exit code is 1 when there
is any. A file written by another annotator is never replaced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from chronique.store.annotations import GUIDELINES_VERSION, dumps_annotation, read_annotation, schema_errors
from chronique.checks.document import check_document
from chronique.store.documents import is_safe_id, make_document, sha256_text
from chronique.errors import Finding, FindingLog
from chronique.interop.quotes import draft_to_record, numbered_paragraphs, record_to_draft
from chronique.text.normalize import normalize_text
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_source

ROOT = Path(__file__).resolve().parents[1]
ANNOTATOR = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def raw_article(doc_id: str):
    log = FindingLog()
    for article in read_source(RawSource.of_repository(ROOT), log):
        if article.doc_id == doc_id:
            return article
    raise SystemExit(f"no raw article has the id {doc_id!r}")


def show(doc_id: str) -> int:
    text = normalize_text(raw_article(doc_id).body)
    for number, start, end in numbered_paragraphs(text):
        print(f"[p{number}] {text[start:end]}\n")
    return 0


def draft(doc_id: str) -> int:
    """Print the quote draft of ``annotations/<doc_id>.json``, for correcting it by quotation."""
    path = target_path(doc_id, "x", False)
    text = normalize_text(raw_article(doc_id).body)
    record = json.loads(path.read_text(encoding="utf-8"))
    print(json.dumps(record_to_draft(record, text), ensure_ascii=False, indent=1))
    return 0


def target_path(doc_id: str, annotator: str, as_version: bool) -> Path:
    """Where the file goes, built from checked parts and checked to stay inside its folder."""
    folder = (ROOT / "annotations" / "versions" / doc_id) if as_version else (ROOT / "annotations")
    path = (folder / (f"{annotator}.json" if as_version else f"{doc_id}.json")).resolve()
    if path.parent != folder.resolve():
        raise SystemExit(f"refusing to write outside {folder}: {path}")
    return path


def may_replace(path: Path, annotator: str, log: FindingLog, people: list[str] | None = None) -> bool:
    """Only the annotator's own file (reviewed or not), or the file a draft was exported from, may be replaced."""
    if not path.exists():
        return True
    existing = read_annotation(path, root=ROOT, log=FindingLog())
    if existing is not None and list(existing.provenance.annotators)[:1] == [annotator] and people is None:
        return True
    if existing is not None and people is not None and list(existing.provenance.annotators) == people:
        return True
    log.add(Finding("quotes.overwrite", f"{path.relative_to(ROOT)} is another annotator's file; it is never replaced",
                    str(path.relative_to(ROOT)), 1))
    return False


def convert(draft_path: Path, as_version: bool, pass_name: str, status: str, reviewer: str | None = None) -> int:
    log = FindingLog()
    raw = draft_path.read_text(encoding="utf-8")
    draft = json.loads(raw)
    doc_id, annotator = draft.get("doc_id"), draft.get("annotator")
    if not (isinstance(doc_id, str) and is_safe_id(doc_id)) or not (isinstance(annotator, str) and ANNOTATOR.match(annotator)):
        print(f"{draft_path}:1: [quotes.format] 'doc_id' must be a document id and 'annotator' match {ANNOTATOR.pattern}")
        return 1
    if reviewer is not None and (not ANNOTATOR.match(reviewer) or reviewer == annotator):
        print(f"{draft_path}:1: [quotes.format] the reviewer must match {ANNOTATOR.pattern} and differ from the annotator")
        return 1
    article = raw_article(doc_id)
    text = normalize_text(article.body)
    # an annotator's version stays silver until adjudication or review promotes it (chronique.store.annotator_versions)
    provenance = {"status": "silver" if as_version else status, "annotators": [annotator, *([reviewer] if reviewer else [])],
                  "guidelines_version": GUIDELINES_VERSION, "tool": "manual", "date": dt.date.today().isoformat(),
                  "pass": "reviewed" if reviewer else pass_name}
    exported = draft.get("provenance") if isinstance(draft.get("provenance"), dict) else None
    people = list(exported["annotators"]) if exported else None
    if exported:  # a correction of an existing file: its people stay, the corrector is added, an adjudication stays one
        provenance["annotators"] = people + ([reviewer] if reviewer and reviewer not in people else [])
        provenance["pass"] = "adjudicated" if exported.get("pass") == "adjudicated" else provenance["pass"]
    record = draft_to_record(draft, text=text, text_sha256=sha256_text(text), path=str(draft_path), raw=raw,
                             log=log, provenance=provenance)
    path = target_path(doc_id, annotator, as_version)
    if record is not None and may_replace(path, annotator, log, people):
        write_checked(record, article, path, log)
    for finding in log.findings:
        print(finding)
    if log.errors:
        return 1
    print(f"wrote {path.relative_to(ROOT)}: {len(record['mentions'])} mentions, {len(record['entities'])} entities, "
          f"{len(record['stances'])} stances")
    return 0


def write_checked(record: dict, article, path: Path, log: FindingLog) -> None:
    """Write to a temporary file beside ``path``, check it there, and move it into place only if clean."""
    for error in schema_errors(record):
        log.add(Finding("quotes.schema", f"{'/'.join(map(str, error.absolute_path))}: {error.message}", str(path), None))
    if log.errors:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".draft-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(dumps_annotation(record))
        annotation = read_annotation(Path(temporary), root=ROOT, log=log)
        if annotation is not None:
            document = make_document(article, annotation, "train")
            for finding in check_document(document, ROOT):
                if finding.severity == "error":
                    log.add(finding)
        if not log.errors:
            os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show_cmd = commands.add_parser("show", help="print a document's numbered paragraphs")
    show_cmd.add_argument("doc_id")
    draft_cmd = commands.add_parser("draft", help="print an existing annotation file as a quote draft to edit")
    draft_cmd.add_argument("doc_id")
    conv = commands.add_parser("convert", help="anchor a quote draft and write its annotation file")
    conv.add_argument("draft", type=Path)
    conv.add_argument("--as-version", action="store_true", help="write annotations/versions/<doc_id>/<annotator>.json")
    conv.add_argument("--pass", dest="pass_name", default="single-annotator",
                      choices=("single-annotator", "double-blind", "adjudicated"))
    conv.add_argument("--status", default="gold", choices=("gold", "silver"))
    conv.add_argument("--reviewer", help="a second person who read every sentence of the annotator's file against the "
                      "guidelines and corrected it: recorded after the annotator, with pass 'reviewed'")
    args = parser.parse_args(argv)
    if args.command == "show":
        return show(args.doc_id)
    if args.command == "draft":
        return draft(args.doc_id)
    return convert(args.draft, args.as_version, args.pass_name, args.status, args.reviewer)


if __name__ == "__main__":
    sys.exit(main())
