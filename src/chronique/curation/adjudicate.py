"""Adjudication: several annotators' versions of a document become its gold annotation file.

The versions are ``annotations/versions/<doc_id>/<annotator>.json`` (layout in :mod:`chronique.store.annotator_versions`).
:func:`adjudicate` compares them item by item. What every annotator agrees on is accepted; every
disagreement is one line of ``annotations/versions/<doc_id>/conflicts.tsv`` for a curator to resolve.
Once every line has a resolution, the next call writes the gold ``annotations/<doc_id>.json``.

The steps live in their own modules: :mod:`chronique.curation.adjudication_units` (what is compared),
:mod:`chronique.curation.conflicts` (the ``conflicts.tsv`` format and its resolutions) and
:mod:`chronique.curation.adjudicated_gold` (the gold file). This module runs them for one document.

While a conflict is unresolved or a resolution is invalid, no gold file is written and an existing
one is untouched. A complete adjudication writes the gold file when there is none, when the
existing one is silver, or when the existing one is itself an earlier adjudication (the versions and
``conflicts.tsv`` are its source). A gold file made any other way, or one that cannot be read, is
only replaced with ``overwrite_gold=True``; an identical one (date aside) is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from chronique.curation.conflicts import Conflict, carry_resolutions, conflicts_of, decide, read_conflicts, render_conflicts
from chronique.curation.adjudicated_gold import TOOL, gold_annotation, verification_findings
from chronique.curation.adjudication_units import KINDS, collect_units
from chronique.store.annotations import annotation_to_dict, dumps_annotation, read_annotation
from chronique.checks.document import line_locator
from chronique.store.documents import is_safe_id, make_document, sha256_text
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.curation.preannotate import find_articles
from chronique.store.raw_files import display_path
from chronique.store.records import Annotation, RawArticle
from chronique.store.annotator_versions import load_document_versions, versions_folder
from chronique.store.files import write_atomically

CONFLICTS_NAME = "conflicts.tsv"

Outcome = Literal["pending", "adjudicated", "unchanged", "refused", "invalid"]


# --- writing ------------------------------------------------------------------------------------


def _without_date(annotation: Annotation) -> dict:
    record = annotation_to_dict(annotation)
    record["provenance"] = {k: v for k, v in record["provenance"].items() if k != "date"}
    return record


def write_gold(path: Path, annotation: Annotation, *, repo: Path, overwrite_gold: bool, log: FindingLog) -> Outcome:
    """Write the adjudicated file unless an existing one must be kept; see the module docstring."""
    if path.exists():
        existing = read_annotation(path, root=repo, log=FindingLog())
        if existing is not None and _without_date(existing) == _without_date(annotation):
            return "unchanged"
        foreign = existing is None or (existing.provenance.status == "gold" and existing.provenance.tool != TOOL)
        if foreign and not overwrite_gold:
            what = "cannot be read (it may be gold)" if existing is None else f"is gold from {existing.provenance.tool!r}"
            log.add(finding("adjudicate.gold-exists", f"{annotation.path} {what}: the adjudication is complete but the "
                            "file is kept", annotation.path, 1, hint="pass overwrite_gold to replace it"))
            return "refused"
    write_atomically(path, dumps_annotation(annotation_to_dict(annotation)))
    return "adjudicated"


# --- the whole step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjudicationResult:
    """What one call did.

    ``outcome``: ``pending`` (conflicts unresolved, no gold written), ``adjudicated`` (gold written),
    ``unchanged`` (the gold file already held this result), ``refused`` (an existing gold file was
    kept) or ``invalid`` (versions, conflicts.tsv, a resolution or the result are invalid; see the log).
    ``accepted`` counts the units without conflict, by kind (for ``entity`` and ``qid``, agreement
    among the annotators who have the item).
    """

    doc_id: str
    annotators: tuple[str, ...]
    outcome: Outcome
    accepted: dict[str, int]
    conflicts: int
    unresolved: int
    conflicts_path: Path | None
    gold_path: Path | None


@dataclass(frozen=True)
class _Session:
    repo: Path
    doc_id: str
    versions: dict[str, Annotation]
    article: RawArticle
    text: str

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(sorted(self.versions))

    @property
    def conflicts_path(self) -> Path:
        return versions_folder(self.repo, self.doc_id) / CONFLICTS_NAME


def open_session(repo: Path, doc_id: str, log: FindingLog) -> _Session | None:
    """The versions and text of ``doc_id``; None after logging when a version is unreadable or stale.

    Raises :class:`UsageError` for an unsafe id or fewer than two versions, and what
    :func:`chronique.curation.preannotate.find_articles` raises when the raw article cannot be read.
    """
    if not is_safe_id(doc_id):
        raise UsageError(f"document id {doc_id!r} is not a valid id")
    errors = len(log.errors)
    versions = load_document_versions(repo, doc_id, log=log)
    if len(log.errors) > errors:
        return None
    if len(versions) < 2:
        raise UsageError(f"{doc_id} has {len(versions)} version(s) in annotations/versions/{doc_id}/; adjudication "
                         "needs two or more")
    article = find_articles([doc_id], repo)[0]
    text = make_document(article, None, "train").text
    for annotation in versions.values():
        if annotation.text_sha256 != sha256_text(text):
            line = line_locator(repo, annotation.path)("text_sha256", None)
            log.add(finding("versions.text-hash", "text_sha256 is not that of the normalised raw text", annotation.path,
                            line, hint="the article changed since it was annotated: re-anchor this version"))
    return _Session(repo, doc_id, versions, article, text) if len(log.errors) == errors else None


def sync_conflicts(session: _Session, conflicts: list[Conflict], log: FindingLog) -> list[Conflict] | None:
    """Carry over the existing file's resolutions and write conflicts.tsv if it changes; None if the file is malformed."""
    path = session.conflicts_path
    shown = display_path(path, session.repo)
    if path.exists():
        previous = read_conflicts(path, shown, log)
        if previous is None:
            return None
        errors = len(log.errors)
        conflicts = carry_resolutions(conflicts, previous, session.annotators, shown, log)
        if len(log.errors) > errors:
            return None
    content = render_conflicts(conflicts, session.annotators, session.text)
    if not path.exists() or path.read_bytes() != content.encode("utf-8"):
        write_atomically(path, content)
    return conflicts


def adjudicate(repo: Path, doc_id: str, *, log: FindingLog, overwrite_gold: bool = False,
               today: str | None = None, curator: str | None = None) -> AdjudicationResult:
    """Compare the versions of ``doc_id``, write conflicts.tsv, and the gold file once every conflict is resolved.

    Problems go to ``log`` as located findings (``path:line: [adjudicate.unresolved] …`` per unresolved
    line); ``today`` (ISO date) defaults to the current date; ``curator``, the person who resolved the
    conflicts, is recorded after the annotators. See the module docstring for the rules.
    """
    repo = repo.resolve()
    session = open_session(repo, doc_id, log)
    if session is None:
        return AdjudicationResult(doc_id, (), "invalid", {}, 0, 0, None, None)
    units = collect_units(session.versions, session.text)
    accepted = {kind: sum(1 for u in units if u.kind == kind and u.agreed) for kind in KINDS}
    conflicts = sync_conflicts(session, conflicts_of(units, session.annotators), log)
    result = AdjudicationResult(doc_id, session.annotators, "invalid", accepted, 0, 0, session.conflicts_path, None)
    if conflicts is None:
        return result
    errors = len(log.errors)
    shown = display_path(session.conflicts_path, repo)
    decisions, unresolved = decide(units, conflicts, session.annotators, session.text, shown, log)
    result = replace(result, conflicts=len(conflicts), unresolved=unresolved)
    if unresolved:
        return replace(result, outcome="pending")
    if len(log.errors) > errors:
        return result
    gold = gold_annotation(doc_id, session.text, units, decisions, session.versions, today or dt.date.today().isoformat(),
                           curator)
    problems = verification_findings(session.article, gold)
    if problems:
        log.extend(finding(f.check_id, f"adjudicated result: {f.message}", shown, None, hint="change the resolutions")
                   for f in problems)
        return result
    path = repo / gold.path
    outcome = write_gold(path, gold, repo=repo, overwrite_gold=overwrite_gold, log=log)
    return replace(result, outcome=outcome, gold_path=path if outcome in ("adjudicated", "unchanged") else None)
