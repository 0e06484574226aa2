"""brat standoff: ``.ann``/``.txt`` pairs read into tool documents.

Reading. :func:`read_brat` takes a ``.ann`` file (its ``.txt`` beside it), a folder (every
``.ann`` below it, in sorted order) or a ``.tar.gz`` of them (members read in memory, never
extracted). A symbolic link in a folder that points out of it is never read: it is an
``import.file.outside`` error (:mod:`chronique.interop.folders`). Each annotation line is
handled by its id's first character:

=====  =====================================================================================
``T``  text-bound span → :class:`ToolSpan`. brat offsets are code points into the ``.txt``,
       as ours are. A span of several fragments (``0 5;9 14``) is *discontinuous*: our
       spans are contiguous, so it is not imported; each one is a located warning
       ``import.brat.discontinuous``, is counted in :attr:`BratCounts.discontinuous` and
       goes to :attr:`ToolDocument.dropped`, so that the import's summary accounts for it.
``A``  attribute (``M`` is brat's older spelling): one whose name contains ``meton`` sets
       ``ToolSpan.metonymic`` (binary, or valued with anything but false/no/0); any other is
       counted and reported.
``R``  relation → :class:`ToolStance` with ``holder`` = first argument, ``target`` = second
       and ``polarity`` = the raw relation label, for :func:`to_annotation` to map.
``N``  normalisation: ``Wikidata:Q…`` sets ``ToolSpan.qid``; other databases are reported.
``#``  annotator note. Our own notes (:mod:`chronique.interop.brat_notes`) are imported:
       ``chronique-stance`` becomes a :class:`ToolStance` with its evidence spans (in place
       of the ``R`` line it names, whose label and arguments it takes), and
       ``chronique-entity`` gives its spans an entity cluster and name. One that cannot be
       read is a located warning ``import.brat.chronique-note``; any other note is counted
       and reported, not imported.
``E``  event; ``*`` equivalence: counted and reported, not imported.
=====  =====================================================================================

Nothing is refused at read time for its geometry: identical spans with different labels,
nested and crossing spans are all yielded; a span strictly inside another gets the
innermost container as ``parent`` (brat has no nesting of its own, containment is it).
Whatever is read but not imported ends up in one warning per kind, so nothing is dropped
silently.

Writing is :mod:`chronique.interop.brat_export`.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.interop.base import DroppedSpan, LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.interop.brat_notes import Note, note_kind, note_stances, parse_note, with_entities
from chronique.interop.folders import folder_files, inside_folder
from chronique.interop.nesting import with_parents
from chronique.schema import POLARITIES

MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
"""Bounds on what an archive may make us hold in memory (a small .tar.gz can inflate enormously)."""

_METONYMY_NAME = re.compile(r"meton", re.IGNORECASE)
_FALSE_VALUES = frozenset({"false", "no", "non", "0", "off", "n"})
_FRAGMENTS = re.compile(r"^\d+ \d+(?:;\d+ \d+)*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")

_SUMMARY_HINTS = {
    "import.brat.note": ("annotator notes (#)", "our scheme has no free-text notes; keep the .ann files if you need them"),
    "import.brat.attribute": ("attributes", "only a metonymy attribute has a counterpart (Mention.metonymic)"),
    "import.brat.normalisation": ("normalisations", "only Wikidata:Q… normalisations become QIDs"),
    "import.brat.relation": ("relations", "only relations whose label the mapping's polarities name become stances"),
    "import.brat.event": ("events (E)", "our scheme has no events"),
    "import.brat.equivalence": ("equivalences (*)", "our scheme has no equivalence sets"),
    "import.brat.orphan": ("metonymy attributes or Wikidata normalisations whose annotation is not an imported span",
                           "they apply to a discontinuous span, a relation, an event or an id that does not exist"),
}

DISCONTINUOUS = "discontinuous (several fragments; our spans are contiguous)"


@dataclass
class BratCounts:
    """What :func:`read_brat` found (pass the same object to several calls to add them up).

    ``lines`` counts annotation lines by the first character of their id (``T A M R N # E *``),
    so that it can be checked against a plain count of line prefixes. ``spans`` are the
    contiguous ``T`` lines yielded: ``spans + discontinuous == lines["T"]`` when no ``T``
    line is malformed (``malformed`` counts every line that could not be parsed).
    ``not_imported`` counts what was read but has no counterpart, by (check id, detail).
    """

    documents: int = 0
    lines: Counter = field(default_factory=Counter)
    spans: int = 0
    discontinuous: int = 0
    metonymic: int = 0
    qids: int = 0
    stances: int = 0
    chronique_notes: int = 0  # chronique-stance and chronique-entity notes read into stances and entities
    malformed: int = 0
    not_imported: Counter = field(default_factory=Counter)


# --- where the pairs come from -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pair:
    doc_id: str
    path: str  # the .ann as shown in findings; ``archive.tar.gz/member.ann`` for a member
    ann: bytes
    txt: bytes | None


def _is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz", ".tar"))


def _file_pair(ann: Path, folder: Path, log: FindingLog) -> _Pair | None:
    """The pair of ``ann``; None (after an error) when its ``.txt`` is a link out of ``folder``, which is never read."""
    txt = ann.with_suffix(".txt")
    if not inside_folder(txt, folder, log):
        return None
    return _Pair(ann.stem, ann.as_posix(), ann.read_bytes(), txt.read_bytes() if txt.is_file() else None)


def _pairs(path: Path, log: FindingLog) -> Iterator[_Pair]:
    """The .ann/.txt pairs below ``path``, in sorted order; nothing is read through a link out of the folder.

    Such a link (``passwd.ann -> /etc/passwd``, or a ``.txt`` or a subfolder pointing outside) is refused
    with an ``import.file.outside`` error (:mod:`chronique.interop.folders`), so the import writes nothing.
    """
    if path.is_dir():
        anns = folder_files(path, lambda name: name.endswith(".ann"), log, recursive=True)
        pairs = (_file_pair(ann, path, log) for ann in anns)
    elif path.is_file() and _is_archive(path):
        pairs = _archive_pairs(path, log)
    elif path.is_file() and path.suffix == ".ann":
        pairs = iter([_file_pair(path, path.parent, log)])  # the .ann was named by the user; its .txt was not
    else:
        raise UsageError(f"{path}: expected a .ann file, a folder of them or a .tar.gz of them")
    yield from (pair for pair in pairs if pair is not None)


def _archive_members(path: Path, log: FindingLog) -> dict[str, bytes]:
    """Regular ``.ann``/``.txt`` members by name, read in memory; links, devices and oversized members are skipped."""
    members: dict[str, bytes] = {}
    total = 0
    shown = path.as_posix()
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isreg():
                    # A link could point anywhere on disk once extracted; we never follow one.
                    if not member.isdir():
                        log.add(finding("import.brat.archive", f"member {member.name!r} is not a regular file; skipped",
                                        shown, severity="warning"))
                    continue
                if not member.name.endswith((".ann", ".txt")):
                    continue
                if member.size > MAX_MEMBER_BYTES or total + member.size > MAX_ARCHIVE_BYTES:
                    log.add(finding("import.brat.archive", f"member {member.name!r} ({member.size:,} bytes) goes over the "
                                    f"size limits; skipped", shown, severity="error", hint="split the archive"))
                    continue
                total += member.size
                handle = archive.extractfile(member)
                # A name repeated in a tar is a later version of the file: the last one wins, as on extraction.
                members[member.name] = handle.read() if handle else b""
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        log.add(finding("import.brat.archive", f"cannot read the archive: {error}", shown, severity="error",
                        hint="check that it is a complete .tar.gz"))
    return members


def _archive_pairs(path: Path, log: FindingLog) -> Iterator[_Pair]:
    members = _archive_members(path, log)
    for name in sorted(n for n in members if n.endswith(".ann")):
        member = PurePosixPath(name)
        yield _Pair(member.stem, f"{path.as_posix()}/{name}", members[name], members.get(name[:-4] + ".txt"))


def _decode(data: bytes, shown: str, log: FindingLog) -> str | None:
    """UTF-8 without newline translation or BOM stripping: brat counts every code point of the file."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        log.add(finding("import.brat.encoding", f"not UTF-8: {error.reason} at byte {error.start}", shown, line,
                        hint="save the file as UTF-8"))
        return None


# --- one .ann file -----------------------------------------------------------------


@dataclass
class _Ann:
    """The lines of one .ann file that become something, before they are put together."""

    text: str
    shown: str
    counts: BratCounts
    log: FindingLog
    mapping: LabelMapping | None
    spans: list[ToolSpan] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # ids of discontinuous spans → their line
    metonymic: set[str] = field(default_factory=set)
    qids: dict[str, str] = field(default_factory=dict)
    stances: list[ToolStance] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)  # our own chronique-* notes

    def malformed(self, number: int, line: str, expected: str) -> None:
        self.counts.malformed += 1
        self.log.add(finding("import.brat.syntax", f"expected {expected}, found {line[:80]!r}", self.shown, number,
                             hint="see https://brat.nlplab.org/standoff.html"))

    def not_imported(self, check_id: str, detail: str) -> None:
        self.counts.not_imported[(check_id, detail)] += 1


def one_line(text: str) -> str:
    """brat's text field is one line: line breaks and tabs inside a span are written as spaces."""
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _text_bound(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
    """``T1<TAB>Type 0 5;9 14<TAB>text``: a ToolSpan when contiguous, else a counted warning."""
    label, _, offsets = fields[1].partition(" ") if len(fields) > 1 else ("", "", "")
    offsets = offsets.strip()
    fragments = [tuple(map(int, part.split())) for part in offsets.split(";")] if _FRAGMENTS.match(offsets) else []
    if not label or not fragments or any(start > end for start, end in fragments):
        ann.malformed(number, line, "'T<id><TAB><type> <start> <end>[;<start> <end>…]<TAB><text>' with start ≤ end")
        return
    stored = fields[2] if len(fields) > 2 else None
    if len(fragments) > 1:
        ann.counts.discontinuous += 1
        ann.dropped[fields[0]] = number
        ann.log.add(finding("import.brat.discontinuous", f"span {fields[0]} ({label} {stored!r}) has {len(fragments)} "
                            f"fragments ({offsets}); our spans are contiguous, so it is not imported", ann.shown, number,
                            hint="annotate each fragment that is a mention on its own as its own span"))
        return
    [(start, end)] = fragments
    exact = ann.text[start:end]
    if stored is not None and stored != exact and stored == one_line(exact):
        stored = exact  # a span across a line break, written on one line
    ann.spans.append(ToolSpan(fields[0], start, end, label, stored, number))


def _attribute(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
    """``A1<TAB>Name T1`` (binary) or ``A1<TAB>Name T1 Value``."""
    parts = fields[1].split() if len(fields) > 1 else []
    if len(parts) < 2:
        ann.malformed(number, line, "'A<id><TAB><name> <annotation id>[ <value>]'")
        return
    name, target, value = parts[0], parts[1], " ".join(parts[2:]) or None
    if not _METONYMY_NAME.search(name):
        ann.not_imported("import.brat.attribute", name)
    elif value is None or value.lower() not in _FALSE_VALUES:
        ann.metonymic.add(target)


def _relation(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
    """``R1<TAB>Label Arg1:T1 Arg2:T2`` → a ToolStance holder=T1, target=T2, polarity=Label."""
    parts = fields[1].split() if len(fields) > 1 else []
    if len(parts) != 3 or not all(":" in part for part in parts[1:]):
        ann.malformed(number, line, "'R<id><TAB><label> Arg1:<id> Arg2:<id>'")
        return
    label, holder, target = parts[0], parts[1].partition(":")[2], parts[2].partition(":")[2]
    mapping = ann.mapping
    # The reader keeps every relation unless told which labels are stances: to_annotation decides.
    if mapping is not None and label not in mapping.polarities and label not in POLARITIES:
        ann.not_imported("import.brat.relation", label)
        return
    ann.stances.append(ToolStance(fields[0], holder, target, label, line=number))


def _normalisation(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
    """``N1<TAB>Reference T1 Wikidata:Q42<TAB>text``."""
    parts = fields[1].split() if len(fields) > 1 else []
    if len(parts) != 3 or ":" not in parts[2]:
        ann.malformed(number, line, "'N<id><TAB><type> <annotation id> <database>:<key><TAB><text>'")
        return
    database, _, key = parts[2].partition(":")
    if database.lower() == "wikidata" and _QID.match(key):
        ann.qids[parts[1]] = key
    else:
        ann.not_imported("import.brat.normalisation", database if database.lower() != "wikidata" else "Wikidata non-QID key")


def _counted(check_id: str, detail: str) -> Callable[[_Ann, int, str, list[str]], None]:
    def handle(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
        ann.not_imported(check_id, detail)

    return handle


def _note(ann: _Ann, number: int, line: str, fields: list[str]) -> None:
    """``#1<TAB>AnnotatorNotes T1<TAB>text``: one of our notes is kept; any other is counted by note type."""
    text = fields[2] if len(fields) > 2 else ""
    if note_kind(text) is None:
        ann.not_imported("import.brat.note", fields[1].split(" ", 1)[0] if len(fields) > 1 and fields[1] else "(untyped)")
        return
    note = parse_note(fields[0], number, text)
    if isinstance(note, str):
        ann.log.add(finding("import.brat.chronique-note", f"note {fields[0]} ({note_kind(text)}) is not imported: {note}",
                            ann.shown, number,
                            hint="restore the note as chronique export brat wrote it, or delete it"))
        return
    ann.notes.append(note)


LINE_HANDLERS: dict[str, Callable[[_Ann, int, str, list[str]], None]] = {
    "T": _text_bound,
    "A": _attribute,
    "M": _attribute,
    "R": _relation,
    "N": _normalisation,
    "#": _note,
    "E": _counted("import.brat.event", "event"),
    "*": _counted("import.brat.equivalence", "equivalence"),
}
"""Annotation line kinds by the first character of their id."""


def _parse(ann: _Ann, source: str) -> None:
    # Only "\n" ends a line: str.splitlines would also split on U+2028 or U+0085 inside a span's text.
    for number, line in enumerate(source.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        handler = LINE_HANDLERS.get(line[0])
        if handler is None:
            ann.malformed(number, line, f"an id starting with one of {' '.join(LINE_HANDLERS)}")
            continue
        ann.counts.lines[line[0]] += 1
        handler(ann, number, line, line.split("\t", 2))


def _document(pair: _Pair, ann: _Ann) -> ToolDocument:
    """Attributes, normalisations and containment applied to the spans of one file."""
    ids = {span.id for span in ann.spans}
    for target in [t for t in ann.metonymic if t not in ids] + [t for t in ann.qids if t not in ids]:
        ann.not_imported("import.brat.orphan", "on a discontinuous span" if target in ann.dropped
                         else f"on a {target[:1] or '?'} annotation")
    spans = tuple(replace(span, metonymic=span.id in ann.metonymic, qid=ann.qids.get(span.id))
                  for span in with_entities(with_parents(ann.spans), ann.notes))
    stances, evidence = note_stances(ann.notes, ann.stances, ann.text)
    ann.counts.spans += len(spans)
    ann.counts.metonymic += sum(span.metonymic for span in spans)
    ann.counts.qids += sum(span.qid is not None for span in spans)
    ann.counts.stances += len(stances)
    ann.counts.chronique_notes += len(ann.notes)
    dropped = tuple(DroppedSpan(span_id, DISCONTINUOUS, line) for span_id, line in ann.dropped.items())
    return ToolDocument(pair.doc_id, ann.text, spans, pair.path, tuple(stances), line=1, evidence=tuple(evidence),
                        dropped=dropped)


def _summarise(not_imported: Counter, shown: str, log: FindingLog) -> None:
    """One warning per kind of line that was read but not imported, with the numbers."""
    by_check: dict[str, Counter] = {}
    for (check_id, detail), number in not_imported.items():
        by_check.setdefault(check_id, Counter())[detail] += number
    for check_id in sorted(by_check):
        details = by_check[check_id]
        what, hint = _SUMMARY_HINTS[check_id]
        listed = ", ".join(f"{detail} ×{n}" for detail, n in sorted(details.items()))
        log.add(finding(check_id, f"{sum(details.values())} {what} read but not imported ({listed})", shown, hint=hint))


def read_brat(path: Path, *, log: FindingLog, mapping: LabelMapping | None = None,
              counts: BratCounts | None = None) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per ``.ann`` below ``path`` (a .ann, a folder or a .tar.gz), in sorted order.

    ``doc_id`` is the file's stem; ``text`` the ``.txt`` beside it. With ``mapping``, only
    relations whose label is one of its polarities (or a polarity name) become stances, the
    others are counted; without it every relation does. ``counts``, when given, is filled
    as the files are read. Problems go to ``log``: a missing ``.txt``, a file that is not
    UTF-8, a malformed line or a repeated document id is an error; what is read but not
    imported is a warning. ``.txt`` files without a ``.ann`` are documents brat has not
    annotated yet and are not read.
    """
    counts = counts if counts is not None else BratCounts()
    before, seen = Counter(counts.not_imported), {}
    try:
        for pair in _pairs(Path(path), log):
            if pair.doc_id in seen:
                log.add(finding("import.brat.duplicate-id", f"document {pair.doc_id!r} was already read from "
                                f"{seen[pair.doc_id]}", pair.path, hint="give the documents distinct file names"))
                continue
            if pair.txt is None:
                log.add(finding("import.brat.missing-text", "no .txt beside this .ann", pair.path,
                                hint="brat needs the text file <name>.txt next to <name>.ann"))
                continue
            text, source = _decode(pair.txt, pair.path[:-4] + ".txt", log), _decode(pair.ann, pair.path, log)
            if text is None or source is None:
                continue
            seen[pair.doc_id] = pair.path
            ann = _Ann(text, pair.path, counts, log, mapping)
            _parse(ann, source)
            counts.documents += 1
            yield _document(pair, ann)
    finally:
        # Also when the consumer stops early: what was read so far is still reported.
        _summarise(counts.not_imported - before, Path(path).as_posix(), log)
