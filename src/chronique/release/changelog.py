"""The CHANGELOG: each release's entry, worded from :class:`~chronique.release.diff.ReleaseDiff`, and
``CHANGELOG.md`` kept newest first with earlier entries never rewritten."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Iterable

from chronique.errors import UsageError
from chronique.release.diff import (DocumentEntry, MentionEntry, MentionRelabel, ReleaseDiff, Span, SplitMove, StanceEntry,
                                    TextChange, diff_releases)
from chronique.store.files import write_atomically


def _short(text: str, width: int = 60) -> str:
    """One line, at most ``width`` characters, for a Markdown list item."""
    text = " ".join(str(text).split()).replace("`", "'")
    return text if len(text) <= width else text[: width - 1] + "…"


def _spans(evidence: Iterable[Span]) -> str:
    return ", ".join(f"{start}–{end}" for start, end in evidence)


def _metonymy(flag: bool) -> str:
    return "metonymic" if flag else "literal"


def _describe(item) -> str:
    """One list item for any change record."""
    if isinstance(item, str):
        return f"`{item}`"
    where = f"`{item.doc_id}`"
    if isinstance(item, DocumentEntry):
        return f"{where} ({item.split}; {item.mentions} mentions, {item.stances} stances)"
    if isinstance(item, SplitMove):
        return f"{where} {item.split_before} → {item.split_after}"
    if isinstance(item, TextChange):
        return f"{where} ({item.split}) text sha256 {item.sha256_before[:12]} → {item.sha256_after[:12]}"
    if isinstance(item, (MentionEntry, MentionRelabel)):
        where += f" {item.start}–{item.end} «{_short(item.text)}»"
        if isinstance(item, MentionEntry):
            return f"{where} {item.type}" + (" (metonymic)" if item.metonymic else "")
        change = [f"{item.type_before} → {item.type_after}"] if item.type_before != item.type_after else [item.type_after]
        if item.metonymic_before != item.metonymic_after:
            change.append(f"{_metonymy(item.metonymic_before)} → {_metonymy(item.metonymic_after)}")
        return f"{where} {', '.join(change)}"
    where += f" {_short(item.holder, 30)} on «{_short(item.target)}» ({_spans(item.evidence)})"
    if isinstance(item, StanceEntry):
        return f"{where} {item.polarity}"
    return f"{where} {item.polarity_before} → {item.polarity_after}"


def _section(groups: list[tuple[str, tuple]], limit: int) -> list[str]:
    """``- N nouns`` then the first ``limit`` items of every non-empty group."""
    lines = []
    for noun, items in groups:
        if not items:
            continue
        lines.append(f"- {len(items)} {noun}{'' if len(items) == 1 else 's'}")
        lines += [f"  - {_describe(item)}" for item in items[:limit]]
        if len(items) > limit:
            lines.append(f"  - … and {len(items) - limit} more")
    return lines or ["- nothing"]


def _statistics_table(diff: ReleaseDiff) -> list[str]:
    changed = [d for d in diff.statistics if d.delta]
    if not changed:
        return ["No statistic changed."]
    lines = [f"| split | statistic | {diff.version_before} | {diff.version_after} | change |",
             "| --- | --- | ---: | ---: | ---: |"]
    return lines + [f"| {d.split} | {d.metric} | {d.before:,} | {d.after:,} | {d.delta:+,} |" for d in changed]


def render_entry(diff: ReleaseDiff, *, date: str | None = None, limit: int = 10) -> str:
    """The CHANGELOG entry of ``diff``: title, Added, Removed, Changed and a statistics table."""
    day = date or diff.date_after or datetime.date.today().isoformat()
    changed: list[tuple[str, tuple]] = [("relabelled mention", diff.mentions_relabelled),
                                        ("relabelled stance", diff.stances_relabelled),
                                        ("changed text", diff.texts_changed), ("split move", diff.split_moves),
                                        ("changed label set", diff.labels_changed)]
    if diff.schema_before != diff.schema_after:
        changed.insert(0, ("schema version change", (f"{diff.schema_before} → {diff.schema_after}",)))
    sections = {
        "Added": [("document", diff.documents_added), ("mention", diff.mentions_added),
                  ("stance", diff.stances_added), ("layer", diff.layers_added)],
        "Removed": [("document", diff.documents_removed), ("mention", diff.mentions_removed),
                    ("stance", diff.stances_removed), ("layer", diff.layers_removed)],
        "Changed": changed,
    }
    lines = [f"## {diff.version_after} — {day}", "",
             f"Compared with {diff.version_before}; suggested version bump: {diff.bump_description}."]
    for title, groups in sections.items():
        lines += ["", f"### {title}", "", *_section(groups, limit)]
    lines += ["", "### Statistics", "", *_statistics_table(diff)]
    return "\n".join(lines) + "\n"


def changelog_entry(a: Path, b: Path, *, date: str | None = None, limit: int = 10) -> str:
    """The CHANGELOG entry for release ``b`` compared with release ``a``."""
    return diff_releases(a, b).to_markdown(date=date, limit=limit)


_HEADING = re.compile(r"^##\s+\[?([^\]\s]+)\]?")
CHANGELOG_TITLE = "# Changelog"


def _entry_version(entry: str) -> str:
    match = _HEADING.match(entry)
    if not match:
        raise UsageError("a CHANGELOG entry must start with '## <version>'")
    return match.group(1)


def _split_changelog(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``## `` heading, and ``(version, block)`` for every entry after it.

    Headings inside fenced code blocks do not start an entry.
    """
    preamble, entries, fenced = [], [], False
    for line in text.splitlines(keepends=True):
        fenced ^= line.lstrip().startswith("```")
        match = None if fenced else _HEADING.match(line)
        if match:
            entries.append([match.group(1), line])
        elif entries:
            entries[-1][1] += line
        else:
            preamble.append(line)
    return "".join(preamble), [(version, block) for version, block in entries]


def _block(text: str) -> str:
    """A block ending with exactly one blank line."""
    return text.rstrip("\n") + "\n\n"


def prepend_changelog(changelog: Path, entry: str) -> None:
    """Insert ``entry`` above the newest entry of ``changelog`` (below its title and preamble).

    An entry for the same version is replaced where it stands (a duplicate of it is
    dropped); every other entry is kept as written, hand edits included, up to its
    trailing blank lines. A missing file is created with a title. The file
    is replaced atomically.
    """
    changelog = Path(changelog)
    version = _entry_version(entry)
    text = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
    preamble, entries = _split_changelog(text)
    blocks, placed = [], False
    for entry_version, block in entries:
        if entry_version != version:
            blocks.append(block)
        elif not placed:
            blocks.append(entry)
            placed = True
    if not placed:
        blocks.insert(0, entry)
    head = _block(preamble) if preamble.strip() else f"{CHANGELOG_TITLE}\n\n"
    write_atomically(changelog, (head + "".join(_block(b) for b in blocks)).rstrip("\n") + "\n")
