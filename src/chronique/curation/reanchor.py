"""Re-anchoring: move annotation spans onto a changed text with their quote selectors.

For each span, in order of preference:

1. **exact**: occurrences of the exact quote in the new text, ranked by how much of
   the stored prefix and suffix they keep, then by distance to the old offset;
2. **edited**: when the quote itself was edited (a changed quote mark, a fixed typo),
   the stretch between a surviving prefix and suffix whose text is at least
   :data:`MIN_SIMILARITY` similar to the old quote;
3. otherwise the span is **unplaced**: it keeps its old offsets and is reported, never
   dropped; the validator then flags it with ``L2.anchor.text-mismatch``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from chronique.store.annotations import QUOTE_CONTEXT, annotation_to_dict, dumps_annotation, quote
from chronique.errors import FindingLog, UsageError, raise_if_errors
from chronique.text.normalize import normalize_text
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_source
from chronique.store.records import Annotation, Quote
from chronique.store.documents import sha256_text
from chronique.store.files import write_atomically

MIN_SIMILARITY = 0.8
CONTEXT_PROBE = 12
"""How many characters of the stored prefix and suffix must survive next to an edited quote."""

Outcome = Literal["unchanged", "moved", "edited", "unplaced"]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one span went: ``what`` names it (``m3`` or ``s2 evidence 1``)."""

    what: str
    outcome: Outcome
    old: Quote
    new: Quote


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _exact_candidates(text: str, old: Quote) -> list[int]:
    starts, position = [], text.find(old.exact)
    while position != -1:
        starts.append(position)
        position = text.find(old.exact, position + 1)
    return starts


def _context_score(text: str, start: int, end: int, old: Quote) -> int:
    return _common_suffix(text[max(0, start - QUOTE_CONTEXT) : start], old.prefix) + _common_prefix(
        text[end : end + QUOTE_CONTEXT], old.suffix
    )


def _place_exact(text: str, old: Quote) -> int | None:
    candidates = _exact_candidates(text, old)
    if not candidates:
        return None
    size = len(old.exact)
    return min(candidates, key=lambda s: (-_context_score(text, s, s + size, old), abs(s - old.start), s))


def _place_edited(text: str, old: Quote) -> tuple[int, int] | None:
    """The best stretch between a surviving prefix probe and suffix probe, if similar enough to the old quote."""
    left, right = old.prefix[-CONTEXT_PROBE:], old.suffix[:CONTEXT_PROBE]
    if not (left or right):
        return None
    best: tuple[float, int, int, int] | None = None
    limit = len(old.exact) * 2 + 8
    position = text.find(left) if left else 0
    while position != -1:
        start = position + len(left)
        end = text.find(right, start, start + limit + len(right)) if right else min(len(text), start + len(old.exact))
        if end != -1 and end > start:
            ratio = difflib.SequenceMatcher(None, text[start:end], old.exact, autojunk=False).ratio()
            candidate = (-ratio, abs(start - old.start), start, end)
            if ratio >= MIN_SIMILARITY and (best is None or candidate < best):
                best = candidate
        position = text.find(left, position + 1) if left else -1
    return (best[2], best[3]) if best else None


def place(text: str, old: Quote, what: str) -> Placement:
    """Relocate one quote in ``text``."""
    start = _place_exact(text, old)
    if start is not None:
        new = quote(text, start, start + len(old.exact))
        return Placement(what, "unchanged" if start == old.start else "moved", old, new)
    edited = _place_edited(text, old)
    if edited is not None:
        return Placement(what, "edited", old, quote(text, *edited))
    return Placement(what, "unplaced", old, old)


def reanchor(annotation: Annotation, text: str, text_sha256: str) -> tuple[Annotation, list[Placement]]:
    """The annotation with every span relocated onto ``text``, and where each span went.

    The text hash is updated; unplaced spans keep their old offsets so that nothing is lost.
    """
    placements: list[Placement] = []
    mentions = []
    for mention in annotation.mentions:
        placement = place(text, mention.anchor, mention.id)
        placements.append(placement)
        mentions.append(replace(mention, anchor=placement.new))
    stances = []
    for stance in annotation.stances:
        evidence = []
        for number, old in enumerate(stance.evidence, start=1):
            placement = place(text, old, f"{stance.id} evidence {number}")
            placements.append(placement)
            evidence.append(placement.new)
        stances.append(replace(stance, evidence=tuple(evidence)))
    updated = replace(annotation, text_sha256=text_sha256, mentions=tuple(mentions), stances=tuple(stances))
    return updated, placements


@dataclass
class ReanchorReport:
    """Per annotation file, where its spans went; ``written`` lists the files rewritten."""

    placements: dict[str, list[Placement]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)

    def spans(self, outcome: Outcome) -> list[tuple[str, Placement]]:
        return [(path, p) for path, items in self.placements.items() for p in items if p.outcome == outcome]


def reanchor_repository(repo: Path, *, doc_ids: list[str] | None = None, dry_run: bool = False) -> ReanchorReport:
    """Re-anchor the annotations whose text hash no longer matches their normalised raw text.

    ``doc_ids`` limits the work to those documents (and re-anchors them even when the hash
    matches). Raises :class:`InputError` when raw/ or annotations/ cannot be read.
    """
    from chronique.store.annotations import load_annotations

    repo = repo.resolve()
    log = FindingLog()
    annotations = load_annotations(repo / "annotations", root=repo, log=log)
    texts = {a.doc_id: normalize_text(a.body) for a in read_source(RawSource.of_repository(repo), log)
             if a.doc_id in annotations}
    raise_if_errors(log, "raw/ or annotations/ could not be read; nothing was re-anchored")
    if doc_ids is not None and (unknown := sorted(set(doc_ids) - set(annotations))):
        raise UsageError(f"no annotation file for {', '.join(unknown)}")
    report = ReanchorReport()
    for doc_id, annotation in sorted(annotations.items()):
        text = texts.get(doc_id)
        digest = sha256_text(text) if text is not None else None
        wanted = doc_ids is not None and doc_id in doc_ids
        if text is None or (digest == annotation.text_sha256 and not wanted) or (doc_ids is not None and not wanted):
            continue
        updated, placements = reanchor(annotation, text, digest)
        report.placements[annotation.path] = placements
        if updated != annotation and not dry_run:
            write_atomically(repo / annotation.path, dumps_annotation(annotation_to_dict(updated)))
            report.written.append(annotation.path)
    return report
