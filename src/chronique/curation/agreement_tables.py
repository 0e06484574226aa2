"""Agreement as people read it: the summary table of ``chronique agreement`` and the card's section."""

from __future__ import annotations

from pathlib import Path

from chronique.curation.agreement import AgreementReport, Versions, agreement_report
from chronique.errors import FindingLog
from chronique.store.annotator_versions import load_texts, load_versions

TABLE_COLUMNS = ("annotators", "scope", "strict F1", "overlap F1", "token κ", "stance α", "n")
"""Headers of :func:`table_rows`; ``n`` counts mentions (first + second), tokens, or stance units."""


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table_rows(report: AgreementReport) -> list[tuple[str, ...]]:
    """Rows for a summary table (e.g. ``rich.table.Table(*TABLE_COLUMNS)``), all cells strings.

    Per pair: the pooled row, one row per document, one per type; then the stance alpha rows.
    """
    rows = []
    for pair in report.pairs:
        if not pair.by_document:
            continue  # two annotators who share no document have nothing to agree on
        who = f"{pair.first} × {pair.second}"
        rows.append((who, "all", _score(pair.entities.overall.strict.f1), _score(pair.entities.overall.overlap.f1),
                     _score(pair.kappa.kappa), "", str(pair.kappa.tokens)))
        for doc_id, doc in pair.by_document.items():
            kappa, tokens = (doc.kappa.kappa, str(doc.kappa.tokens)) if doc.kappa else (None, "")
            rows.append((who, f"document {doc_id}", _score(doc.entities.overall.strict.f1),
                         _score(doc.entities.overall.overlap.f1), _score(kappa), "", tokens))
        for fine_type, scores in pair.entities.by_type.items():
            rows.append((who, f"type {fine_type}", _score(scores.strict.f1), _score(scores.overlap.f1), "", "",
                         str(scores.strict.first + scores.strict.second)))
    everyone = ", ".join(report.annotators)
    rows.append((everyone, "all", "", "", "", _score(report.stance.alpha), str(report.stance.units)))
    for doc_id, score in report.stance_by_document.items():
        rows.append((everyone, f"document {doc_id}", "", "", "", _score(score.alpha), str(score.units)))
    return rows


# --- the card's section ---------------------------------------------------------------------


def paired_versions(versions: Versions) -> Versions:
    """Documents with exactly two versions, the annotators renamed ``annotation 1`` and ``annotation 2`` (in
    name order), so that one pooled pair covers every doubly annotated document whoever the annotators were.
    Every score here is symmetric in the two, so the order does not matter."""
    return {doc_id: dict(zip(("annotation 1", "annotation 2"), (by[name] for name in sorted(by))))
            for doc_id, by in versions.items() if len(by) == 2}


def agreement_markdown_table(report: AgreementReport) -> str:
    """The agreement of a pooled pair as the card shows it: per type, then overall, then stance alpha."""
    [pair] = report.pairs
    lines = [f"Measured on the {len(pair.by_document)} documents annotated twice, independently, before adjudication "
             "(the released gold of those documents is the adjudicated one).", "",
             "| type | mentions (1 + 2) | strict F1 | overlap F1 |", "|---|---|---|---|"]
    for fine_type, scores in sorted(pair.entities.by_type.items()):
        lines.append(f"| {fine_type} | {scores.strict.first} + {scores.strict.second} | {_score(scores.strict.f1)} | "
                     f"{_score(scores.overlap.f1)} |")
    overall = pair.entities.overall
    lines.append(f"| **all** | {overall.strict.first} + {overall.strict.second} | {_score(overall.strict.f1)} | "
                 f"{_score(overall.overlap.f1)} |")
    lines += ["", f"Cohen's kappa on token labels (IOB over fine types, outermost mentions): "
              f"{_score(pair.kappa.kappa)} over {pair.kappa.tokens:,} tokens.",
              f"Krippendorff's alpha (nominal) on stance polarity: {_score(report.stance.alpha)} over "
              f"{report.stance.units} stance units ({report.stance.pairable} annotated by both)."]
    return "\n".join(lines)


def agreement_section(repo: Path, released: set[str]) -> str | None:
    """The card's agreement section for the released documents that have two versions, or None."""
    log = FindingLog()
    versions = {d: v for d, v in load_versions(repo, log=log).items() if d in released}
    paired = paired_versions(versions)
    if not paired:
        return None
    report = agreement_report(paired, texts=load_texts(repo, paired, log=log))
    return agreement_markdown_table(report)
