"""HIPE TSV files (HIPE-2020 v1.x and HIPE-2022), read and written.

HIPE carries what CoNLL does (:mod:`chronique.interop.conll`) plus the date, QIDs
(``NEL-LIT``), a metonymy flag (``NE-COARSE-METO``; we do not record the metonymic reading's
own type, so the literal type is repeated there), one level of nesting (``NE-NESTED``, coarse
types only) and ``NoSpaceAfter``; it cannot carry deeper nesting, clusters of mentions not
linked to a QID, stances, or paragraph breaks (written as ``EndOfLine``). Its tag columns are
IOB2, decoded by :mod:`chronique.text.tags` as the HIPE scorer decodes them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.interop.base import ToolDocument
from chronique.interop.tokens import (
    COMMENT,
    DocumentBuffer,
    ExportMention,
    Token,
    TokenisedDocument,
    checked_tag,
    coarse_label,
    fine_label,
    range_tags,
    read_lines,
    token_ranges,
    token_text,
    tokenised,
    tool_document,
    write_lines,
)
from chronique.store.records import Span

HIPE_COLUMNS = ("TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT", "NE-FINE-METO", "NE-FINE-COMP",
                "NE-NESTED", "NEL-LIT", "NEL-METO", "MISC")

_QID = re.compile(r"Q[1-9][0-9]*|NIL")
_NO_DATE = ("", "_", "NA")  # HIPE writes NA for an unknown date


# --- reading --------------------------------------------------------------------------


def read_hipe(path: Path, *, log: FindingLog, column: str = "NE-COARSE-LIT") -> Iterator[ToolDocument]:
    """Documents of a HIPE TSV file (HIPE-2020 or HIPE-2022), with the spans of one IOB2 ``column``.

    The first line names the columns. ``# document_id = …`` (HIPE-2020) or ``# hipe2022:document_id = …``
    starts a document and ``# date = …`` or ``# hipe2022:date = …`` dates it (``NA`` → None); other comments and blank lines are skipped. A line
    with as many tab-separated fields as the header is a token even when it starts with ``#``
    (OCR tokens such as ``#mma`` exist). Text: tokens joined by a space, nothing after
    ``NoSpaceAfter``, a line break after ``EndOfLine``. Entities run across sentences (HIPE
    marks them with ``EndOfSentence`` only). For a ``…-LIT`` column, a span is ``metonymic``
    when the ``…-METO`` column has a span on the same tokens, and ``qid`` is ``NEL-LIT`` of
    its first token (``_`` → None, ``NIL`` kept). With a ``…-LIT`` column, ``NE-NESTED`` spans
    (coarse types, the only ones HIPE gives them) are read too, each naming the span that contains it
    as its parent.
    """
    lines = read_lines(path, log)
    if lines is None:
        return
    header = _hipe_header(lines, path, column, log)
    if header is None:
        return
    columns = {name: index for index, name in enumerate(header)}
    meto = columns.get(column.replace("-LIT", "-METO")) if column.endswith("-LIT") else None
    nel = columns.get("NEL-LIT") if column.endswith("-LIT") else None
    nested = columns.get("NE-NESTED") if column.endswith("-LIT") else None
    buffer, emitted = DocumentBuffer(), 0
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) == len(header) and fields != header:
            buffer.line = buffer.line or number
            buffer.tokens.append(_hipe_token(fields, columns, column, meto, nel, nested, path, number, log))
        elif line.startswith("#"):
            key, value = hipe_comment(line)
            if key == "document_id":
                emitted_tokens = bool(buffer.tokens)
                if emitted_tokens:
                    emitted += 1
                    yield tool_document(buffer, path, emitted, "iob2")
                # a date written before the id belongs to the document the id opens
                buffer = DocumentBuffer(value, number, None if emitted_tokens else buffer.date)
            elif key == "date":
                buffer.date = None if value in _NO_DATE else value
        elif line.strip() and fields != header:
            log.add(finding("import.hipe.columns", f"{len(fields)} tab-separated fields where the header has "
                            f"{len(header)}", str(path), number, hint="separate every column with one tab"))
    if buffer.tokens:
        yield tool_document(buffer, path, emitted + 1, "iob2")


def _hipe_header(lines: list[str], path: Path, column: str, log: FindingLog) -> list[str] | None:
    header = next((line.split("\t") for line in lines if line.strip()), [])
    missing = [name for name in ("TOKEN", column) if name not in header]
    if missing:
        log.add(finding("import.hipe.header", f"the first line {header!r} lacks the column(s) {', '.join(missing)}",
                        str(path), 1, hint=f"HIPE files start with a header such as {' '.join(HIPE_COLUMNS)}"))
        return None
    return header


def hipe_comment(line: str) -> tuple[str | None, str]:
    """``(key, value)`` of a ``# key = value`` comment, the key without its ``hipe2022:`` prefix.

    HIPE-2020 (v1.x) files write ``# document_id = …`` and HIPE-2022 ``# hipe2022:document_id = …``;
    both give ``("document_id", …)``, as the official scorer reads them. Not a comment: ``(None, "")``.
    """
    match = COMMENT.match(line.strip())
    return (match.group(1).split(":")[-1], match.group(2)) if match else (None, "")


HIPE_COLUMN_NAMES = {(labels, reading): f"NE-{labels.upper()}-{'LIT' if reading == 'literal' else 'METO'}"
                     for labels in ("coarse", "fine") for reading in ("literal", "metonymic")}
"""The HIPE tag column of a label set and a reading: ``("fine", "metonymic") → "NE-FINE-METO"``."""


def _hipe_token(fields: list[str], columns: dict[str, int], column: str, meto: int | None, nel: int | None,
                nested: int | None, path: Path, number: int, log: FindingLog) -> Token:
    """One token line; ``_`` (column not applicable) reads as ``O``."""
    def tag_at(index: int | None) -> str:
        raw = fields[index] if index is not None else "_"
        return "O" if raw == "_" else checked_tag(raw, "iob2", path, number, log, "import.hipe.tag")

    flags = set(fields[columns["MISC"]].split("|")) if "MISC" in columns else set()
    after = "" if "NoSpaceAfter" in flags else "\n" if "EndOfLine" in flags else " "
    return Token(fields[columns["TOKEN"]], tag_at(columns[column]), number, after, tag_at(meto),
                 _hipe_qid(fields[nel] if nel is not None else "_", path, number, log), tag_at(nested))


def _hipe_qid(value: str, path: Path, number: int, log: FindingLog) -> str | None:
    if value == "_":
        return None
    if _QID.fullmatch(value):
        return value
    log.add(finding("import.hipe.qid", f"NEL value {value!r} is neither a Wikidata id Q<digits>, NIL nor _; dropped",
                    str(path), number, hint="write the Wikidata id, NIL for an unlinkable entity, or _"))
    return None


def read_hipe_fine(path: Path, *, log: FindingLog) -> Iterator[ToolDocument]:
    """:func:`read_hipe` on the ``NE-FINE-LIT`` column, where Chronique's own exports put the fine types."""
    return read_hipe(path, log=log, column="NE-FINE-LIT")


# --- writing --------------------------------------------------------------------------


def _hipe_rows(document: TokenisedDocument) -> Iterator[list[str]]:
    """The HIPE columns of every token of one document, in :data:`HIPE_COLUMNS` order."""
    tokens = [t for sentence in document.sentences for t in sentence]
    index = 0
    for sentence in document.sentences:
        outer = token_ranges(sentence, document.outermost)
        size = len(sentence)
        columns = [
            [token_text(document.text, t) for t in sentence],
            range_tags(outer, size, coarse_label),
            range_tags(outer, size, lambda m: m.coarse if m.metonymic else None),
            range_tags(outer, size, fine_label),
            range_tags(outer, size, lambda m: m.type if m.metonymic else None),
            ["_"] * size,
            range_tags(token_ranges(sentence, document.nested), size, coarse_label),
            _nel(outer, size),
            ["_"] * size,
            [_misc(document.text, tokens, index + i, i == size - 1) for i in range(size)],
        ]
        index += size
        yield from (list(row) for row in zip(*columns))


def _nel(ranges: list[tuple[int, int, ExportMention]], length: int) -> list[str]:
    values = ["_"] * length
    for first, end, mention in ranges:
        values[first:end] = [mention.qid or "_"] * (end - first)
    return values


def _misc(text: str, tokens: list[Span], index: int, ends_sentence: bool) -> str:
    """``NoSpaceAfter`` when the next token follows directly, ``EndOfLine`` before a paragraph break."""
    following = tokens[index + 1].start if index + 1 < len(tokens) else None
    gap = text[tokens[index].end : following] if following is not None else " "
    flags = [flag for flag, present in (("NoSpaceAfter", gap == ""), ("EndOfSentence", ends_sentence),
                                        ("EndOfLine", "\n" in gap)) if present]
    return "|".join(flags) or "_"


def export_hipe(documents: Iterable[dict], out_dir: Path, *, name: str = "chronique") -> list[Path]:
    """Write ``out_dir/<name>.hipe.tsv`` in the HIPE-2022 layout (header, per-document comments, one token a line).

    ``NE-COARSE-LIT``/``NE-FINE-LIT``: outermost mentions with coarse/our fine types;
    ``…-METO``: the same tags for metonymic mentions only; ``NE-NESTED``: mentions directly
    inside an outermost one, coarse; ``NEL-LIT``: the entity's QID (``_`` when it has none);
    ``MISC``: ``NoSpaceAfter``, ``EndOfSentence``, ``EndOfLine`` (paragraph break).
    """
    lines = ["\t".join(HIPE_COLUMNS)]
    applicable = " ".join(c for c in HIPE_COLUMNS if c not in ("NE-FINE-COMP", "NEL-METO"))
    for number, row in enumerate(documents):
        document = tokenised(row)
        lines += [""] if number else []
        lines += [f"# hipe2022:document_id = {document.doc_id}", f"# hipe2022:date = {document.date or 'NA'}",
                  f"# hipe2022:language = {row.get('language') or 'fr'}", "# hipe2022:dataset = chronique",
                  f"# hipe2022:applicable_columns = {applicable}"]
        lines += ["\t".join(fields) for fields in _hipe_rows(document)]
    return [write_lines(Path(out_dir) / f"{name}.hipe.tsv", lines)]
