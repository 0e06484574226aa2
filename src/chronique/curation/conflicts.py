"""The ``conflicts.tsv`` file of an adjudication: written, read back, and its resolutions decided.

``conflicts.tsv``
-----------------
UTF-8, LF, tab-separated; a header line, then one line per conflict in text order (tabs shown as
``|`` here)::

    conflict|kind|start|end|item|context|a1|a2|resolution
    c2|mention|44|50|Berlin|…Angela Merkel à ⟦Berlin⟧.⏎⏎Selon le Kremlin…|GPE|LOC|

* ``conflict``: ``c1``, ``c2``… in text order; ``kind``: mention, entity, qid or stance.
* ``start``, ``end``: the span (for a stance, from its first evidence start to its last evidence
  end over all annotators; for a qid, the entity's first mention; empty when there is none).
* ``item``: the span's text, the entity's ``name (class)``, or ``holder → target`` (``#2`` for a rank).
* ``context``: the span with up to 40 characters either side, the span in ``⟦ ⟧``, line breaks as ``⏎``.
* one column per annotator (sorted names) with that annotator's value, ``-`` when they have none.
* ``resolution``: empty until the curator writes one of: an annotator's name (take their value; for
  a mention or stance, one who has none means drop), ``drop`` (no mention, no stance, an unlinked
  mention, a null qid), or a value written like the annotator columns. A name that is also an
  annotator's name means that annotator. Every line needs a resolution, even one made moot by
  another (an entity line of a dropped mention).

Calling :func:`adjudicate` again recomputes the conflicts from the versions and rewrites the file
only if it changes; a resolution is kept while its line (kind, span, item and values) is unchanged,
and a resolution whose line no longer applies is reported (``adjudicate.stale``, a warning). A line
copied so that one unit appears twice is an error (``adjudicate.conflicts-duplicate``) naming both
lines, and no gold file is written until one of them is deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from chronique.curation.adjudication_units import ABSENT, KINDS, Unit
from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog

CONTEXT_CHARS = 40
DROP = "drop"
FIXED_COLUMNS = ("conflict", "kind", "start", "end", "item", "context")
RESOLUTION = "resolution"


@dataclass(frozen=True)
class Conflict:
    """One line of conflicts.tsv: a unit the annotators disagree on, and the curator's resolution."""

    id: str
    unit: Unit
    shown: tuple[str, ...]  # each annotator's value as written in the file, in annotator order
    resolution: str = ""
    line: int = 0


def _cell(value: str) -> str:
    """A value safe in a TSV cell: tabs become spaces and line breaks ``⏎``."""
    return value.replace("\t", " ").replace("\r", "").replace("\n", "⏎")


def _context(text: str, start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return ""
    return _cell(f"{text[max(0, start - CONTEXT_CHARS):start]}⟦{text[start:end]}⟧{text[end:end + CONTEXT_CHARS]}")


def _offset(value: int | None) -> str:
    return "" if value is None else str(value)


def conflicts_of(units: Sequence[Unit], annotators: Sequence[str]) -> list[Conflict]:
    """The disputed units as conflicts ``c1…`` on lines 2… of the file (line 1 is the header)."""
    disputed = [unit for unit in units if not unit.agreed]
    conflicts = []
    for number, unit in enumerate(disputed, start=1):
        shown = tuple(_cell(KINDS[unit.kind].show(unit.votes[a])) if a in unit.votes else ABSENT for a in annotators)
        conflicts.append(Conflict(f"c{number}", unit, shown, line=number + 1))
    return conflicts


def conflict_key(conflict: Conflict, annotators: Sequence[str]) -> tuple:
    """What identifies ``conflict``'s line in a conflicts.tsv (:attr:`ConflictLine.key`)."""
    unit = conflict.unit
    return _line_key(unit.kind, _offset(unit.start), _offset(unit.end), _cell(unit.item), zip(annotators, conflict.shown))


def conflict_line(conflict: Conflict, text: str) -> str:
    unit = conflict.unit
    cells = (conflict.id, unit.kind, _offset(unit.start), _offset(unit.end), _cell(unit.item),
             _context(text, unit.start, unit.end), *conflict.shown, _cell(conflict.resolution))
    return "\t".join(cells)


def render_conflicts(conflicts: Sequence[Conflict], annotators: Sequence[str], text: str) -> str:
    """The whole conflicts.tsv: header, then one line per conflict, LF-terminated."""
    lines = ["\t".join((*FIXED_COLUMNS, *annotators, RESOLUTION))]
    lines += [conflict_line(conflict, text) for conflict in conflicts]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ConflictLine:
    """A line of an existing conflicts.tsv, as what identifies it (``key``) and its resolution."""

    line: int
    key: tuple
    resolution: str
    short: bool = False  # the last cell was missing: fine for an empty resolution, suspicious otherwise


def _line_key(kind: str, start: str, end: str, item: str, shown: Sequence[tuple[str, str]]) -> tuple:
    return kind, start, end, item, tuple(shown)


def read_conflicts(path: Path, shown_path: str, log: FindingLog) -> list[ConflictLine] | None:
    """The lines of an existing conflicts.tsv; None, with located findings, when it is malformed.

    A line missing only its trailing empty resolution cell (an editor stripped the tab) is accepted.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        log.add(finding("adjudicate.conflicts-format", f"not valid UTF-8 ({err.reason})", shown_path, 1))
        return None
    return parse_conflicts(text, shown_path, log)


def parse_conflicts(text: str, shown_path: str, log: FindingLog) -> list[ConflictLine] | None:
    """:func:`read_conflicts` on the file's text."""
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split("\t")
    if tuple(header[:6]) != FIXED_COLUMNS or header[-1] != RESOLUTION or len(header) < 8:
        log.add(finding("adjudicate.conflicts-format", f"expected the header {' '.join(FIXED_COLUMNS)} <annotators…> "
                        f"{RESOLUTION}", shown_path, 1, 1, hint="delete the file to have it written again"))
        return None
    annotators, entries, valid = header[6:-1], [], True
    for number, raw in enumerate(lines[1:], start=2):
        fields = raw.rstrip("\r").split("\t")
        if not raw.strip():
            continue
        short = len(fields) == len(header) - 1
        if len(fields) != len(header) and not short:
            valid = False
            log.add(_format_finding(len(header), len(fields), shown_path, number))
            continue
        fields += [""] * short
        key = _line_key(*fields[1:5], zip(annotators, fields[6:-1]))
        entries.append(ConflictLine(number, key, fields[-1].strip(), short))
    return entries if valid else None


def _format_finding(expected: int, found: int, shown_path: str, line: int) -> Finding:
    return finding("adjudicate.conflicts-format", f"expected {expected} tab-separated cells, found {found}", shown_path,
                   line, 1, hint="write the resolution in the last cell only, and keep the other cells as written")


def carry_resolutions(conflicts: Sequence[Conflict], previous: Sequence[ConflictLine], annotators: Sequence[str],
                      shown_path: str, log: FindingLog) -> list[Conflict]:
    """The conflicts with the resolutions of the previous file's identical lines; a lost resolution is a warning.

    A line is matched by what identifies its unit (kind, span, item and values). A unit written on more
    lines than the versions give it conflicts is a duplicated line: an ``adjudicate.conflicts-duplicate``
    error naming both lines, since keeping either resolution would silently drop the other.
    """
    by_key: dict[tuple, list[ConflictLine]] = {}
    for entry in previous:
        by_key.setdefault(entry.key, []).append(entry)
    carried, used = [], Counter()
    for conflict in conflicts:
        unit = conflict.unit
        key = _line_key(unit.kind, _offset(unit.start), _offset(unit.end), _cell(unit.item), zip(annotators, conflict.shown))
        entries = by_key.get(key, [])
        entry = entries[used[key]] if used[key] < len(entries) else None
        carried.append(replace(conflict, resolution=entry.resolution) if entry else conflict)
        used[key] += 1
    for key, entries in by_key.items():
        if used[key]:
            _report_duplicates(entries[:used[key]], entries[used[key]:], shown_path, log)
            continue
        for entry in entries:
            _report_unmatched(key, entry, annotators, shown_path, log)
    return carried


def _report_duplicates(matched: Sequence[ConflictLine], extra: Sequence[ConflictLine], shown_path: str,
                       log: FindingLog) -> None:
    """An error per line that repeats a unit already written on an earlier line."""
    for entry in extra:
        first = matched[0]
        log.add(finding("adjudicate.conflicts-duplicate", f"line {entry.line} repeats the {first.key[0]} conflict on "
                        f"{first.key[3]!r} ({first.key[1]}–{first.key[2]}) of line {first.line}: resolution "
                        f"{entry.resolution!r} here, {first.resolution!r} there; one of them would be lost", shown_path,
                        entry.line, 1, hint=f"keep one of lines {first.line} and {entry.line} and delete the other"))


def _report_unmatched(key: tuple, entry: ConflictLine, annotators: Sequence[str], shown_path: str,
                      log: FindingLog) -> None:
    if entry.short:
        # One cell short and matching no conflict: a tab was lost inside the line, not after it.
        log.add(_format_finding(len(annotators) + 7, len(annotators) + 6, shown_path, entry.line))
    elif entry.resolution:
        log.add(finding("adjudicate.stale", f"the {key[0]} conflict on {key[3]!r} ({key[1]}–{key[2]}) formerly on line "
                        f"{entry.line} no longer matches the versions; its resolution {entry.resolution!r} was "
                        "dropped", shown_path, hint="resolve the new lines of the file"))


# --- resolutions --------------------------------------------------------------------------------


def resolve(conflict: Conflict, annotators: Sequence[str], text: str) -> object:
    """The value a resolution stands for; ValueError with what was expected when it stands for none."""
    unit, written = conflict.unit, conflict.resolution
    if written in annotators:
        if written in unit.votes:
            return unit.votes[written]
        raise ValueError(f"{written} has no {unit.kind} value here; choose {', '.join(unit.votes)}, {DROP} or a value")
    kind = KINDS[unit.kind]
    if written in (DROP, kind.show(kind.dropped)):  # a "-" or "(none)" copied from an annotator column means drop too
        return kind.dropped
    try:
        return kind.parse(written, text)
    except ValueError as err:
        names = ", ".join(annotators)
        raise ValueError(f"resolution {written!r} is not an annotator ({names}), {DROP!r}, or {err}") from None


def decide(units: Sequence[Unit], conflicts: Sequence[Conflict], annotators: Sequence[str], text: str,
           shown_path: str, log: FindingLog) -> tuple[dict[tuple[str, tuple], object], int]:
    """The value of every unit: the agreed one or the resolved one; and how many conflicts are unresolved.

    An unresolved line is an ``adjudicate.unresolved`` finding and an invalid one ``adjudicate.resolution``,
    each at its line of conflicts.tsv.
    """
    decisions = {(u.kind, u.key): next(iter(u.votes.values())) for u in units if u.agreed}
    unresolved = 0
    for conflict in conflicts:
        where = f"{conflict.id}: {conflict.unit.kind} {conflict.unit.item!r}"
        if not conflict.resolution:
            unresolved += 1
            log.add(finding("adjudicate.unresolved", f"{where} has no resolution", shown_path, conflict.line,
                            hint=f"write {', '.join(annotators)}, {DROP} or a value in the {RESOLUTION} column"))
            continue
        try:
            decisions[(conflict.unit.kind, conflict.unit.key)] = resolve(conflict, annotators, text)
        except ValueError as err:
            column = conflict_line(conflict, text).rfind("\t") + 2
            log.add(finding("adjudicate.resolution", f"{where}: {err}", shown_path, conflict.line, column))
    return decisions, unresolved
