"""Token-based formats: CoNLL-2003 (IOB2, IOB1) and HIPE-2022 TSV, read and written.

Tags and spans
--------------
:func:`spans_from_tags` decodes one tag sequence into :class:`TagSpan` token ranges and
:func:`tags_from_spans` encodes ranges back, for the schemes ``iob2``, ``iob1`` and
``iobes``. Ill-formed sequences are decoded as the CoNLL ``conlleval`` script and the
HIPE scorer decode them, so that our entity counts agree with the official ones:

- ``I-X`` that does not continue an ``X`` entity (first tag, after ``O``, after ``I-Y``
  or ``B-Y``) starts a new ``X`` entity;
- ``B-X`` always starts a new entity. In IOB1 it is only *required* between two adjacent
  entities of the same type, but where it appears elsewhere it means the same thing;
- IOBES: ``E-X`` or ``S-X`` that does not close an open ``X`` entity is a one-token
  entity; ``B-X`` not followed by ``I-X``/``E-X`` is closed by whatever comes next.

With this policy IOB1 and IOB2 decode identically; they differ only when encoding.

What the formats carry
----------------------
CoNLL carries tokens, sentence breaks, document ids and one flat layer of typed spans:
no nesting, no entity clusters, no QIDs, no metonymy, no stances, no date, and the text
only up to whitespace (it is rebuilt with single spaces; :func:`realign` puts the spans
back on the real text). HIPE adds the date, QIDs (``NEL-LIT``), a metonymy flag
(``NE-COARSE-METO``; we do not record the metonymic reading's own type, so the literal
type is repeated there), one level of nesting (``NE-NESTED``, coarse types only) and
``NoSpaceAfter``; it cannot carry deeper nesting, clusters of mentions not linked to a
QID, stances, or paragraph breaks (written as ``EndOfLine``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from chronique.errors import Finding, FindingLog, InputError, UsageError
from chronique.interop.base import ToolDocument, ToolSpan
from chronique.records import Span
from chronique.schema import COARSE_OF_FINE
from chronique.tokenize import tokenize

SCHEMES = {"iob2": "BI", "iob1": "BI", "iobes": "BIES"}
"""Tagging scheme → the prefixes it allows besides ``O``."""

HIPE_COLUMNS = ("TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT", "NE-FINE-METO", "NE-FINE-COMP",
                "NE-NESTED", "NEL-LIT", "NEL-METO", "MISC")
DOCSTART = "-DOCSTART-"

_TAG_SHAPE = re.compile(r"O|[BIES]-.+")
_COMMENT = re.compile(r"#\s*([\w.:-]+)\s*=\s*(.*?)\s*$")
_QID = re.compile(r"Q[1-9][0-9]*|NIL")
_RUN = re.compile(r"\S+")
_NO_DATE = ("", "_", "NA")  # HIPE writes NA for an unknown date


class TokenAlignmentError(InputError):
    """Tokens (or spans) do not fall where the text says they should."""


@dataclass(frozen=True, slots=True)
class TagSpan:
    """Tokens ``[start, end)`` of one sentence or document labelled ``label``."""

    start: int
    end: int
    label: str


# --- tags ↔ spans -------------------------------------------------------------------


def _check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise UsageError(f"unknown tagging scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    return SCHEMES[scheme]


def parse_tag(tag: str, scheme: str = "iob2") -> tuple[str, str | None]:
    """``"B-PER"`` → ``("B", "PER")``, ``"O"`` → ``("O", None)``; ValueError for a tag the scheme does not allow."""
    prefixes = _check_scheme(scheme)
    if tag == "O":
        return "O", None
    prefix, dash, label = tag.partition("-")
    if dash and label and len(prefix) == 1 and prefix in prefixes:
        return prefix, label
    raise ValueError(f"tag {tag!r} is neither O nor {'/'.join(prefixes)}-<type> ({scheme})")


def spans_from_tags(tags: Sequence[str], scheme: str = "iob2") -> list[TagSpan]:
    """Entities of a tag sequence, in order, following the ill-formed-sequence policy of the module docstring.

    >>> spans_from_tags(["B-PER", "I-PER", "O", "I-LOC", "I-ORG"])
    [TagSpan(start=0, end=2, label='PER'), TagSpan(start=3, end=4, label='LOC'), TagSpan(start=4, end=5, label='ORG')]
    """
    spans: list[TagSpan] = []
    open_start, open_label = 0, None  # the entity being read, if any
    for index, tag in enumerate(tags):
        prefix, label = parse_tag(tag, scheme)
        if not (open_label is not None and label == open_label and prefix in ("I", "E")):
            if open_label is not None:
                spans.append(TagSpan(open_start, index, open_label))
            open_start, open_label = index, label
        if prefix in ("E", "S"):
            spans.append(TagSpan(open_start, index + 1, label))
            open_label = None
    if open_label is not None:
        spans.append(TagSpan(open_start, len(tags), open_label))
    return spans


def tags_from_spans(spans: Iterable[TagSpan], length: int, scheme: str = "iob2") -> list[str]:
    """Well-formed tags for ``length`` tokens; spans must not overlap (ValueError otherwise).

    IOB1 writes ``B-`` only on an entity that directly follows one of the same type.
    """
    _check_scheme(scheme)
    tags = ["O"] * length
    previous = None
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if not 0 <= span.start < span.end <= length or (previous and span.start < previous.end):
            raise ValueError(f"span {span} is empty, out of 0–{length} or overlaps {previous}")
        first = _first_prefix(span, previous, scheme)
        tags[span.start : span.end] = [f"{first}-{span.label}"] + [f"I-{span.label}"] * (span.end - span.start - 1)
        if scheme == "iobes" and span.end - span.start > 1:
            tags[span.end - 1] = f"E-{span.label}"
        previous = span
    return tags


def _first_prefix(span: TagSpan, previous: TagSpan | None, scheme: str) -> str:
    if scheme == "iob1":
        adjacent_same = previous is not None and previous.end == span.start and previous.label == span.label
        return "B" if adjacent_same else "I"
    if scheme == "iobes" and span.end - span.start == 1:
        return "S"
    return "B"


# --- reading: shared ------------------------------------------------------------------


@dataclass
class _Token:
    text: str
    tag: str
    line: int
    after: str = " "  # what separates it from the next token in the rebuilt text
    meto: str = "O"
    qid: str | None = None


@dataclass
class _Buffer:
    """The document being read."""

    doc_id: str | None = None
    line: int | None = None
    date: str | None = None
    tokens: list[_Token] = field(default_factory=list)
    sentence_starts: list[int] = field(default_factory=lambda: [0])


def _read_lines(path: Path, log: FindingLog) -> list[str] | None:
    """The file's lines without line ends or BOM, or None (with a finding) when it is not UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        log.add(Finding("import.file.encoding", f"not UTF-8: byte {data[error.start]:#04x} cannot be decoded",
                        str(path), line, hint="convert the file to UTF-8"))
        return None
    return [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]


def _checked_tag(tag: str, scheme: str, path: Path, line: int, log: FindingLog, check: str) -> str:
    """The tag, or ``O`` with a finding when the scheme does not allow it (the token is kept for the text)."""
    try:
        parse_tag(tag, scheme)
    except ValueError as error:
        log.add(Finding(check, f"{error}; read as O", str(path), line,
                        hint=f"fix the tag, or read the file with the scheme it uses ({', '.join(SCHEMES)})"))
        return "O"
    return tag


def _tool_document(buffer: _Buffer, path: Path, number: int, scheme: str) -> ToolDocument:
    """Rebuild the text from the tokens and decode the tags (per sentence) into spans."""
    pieces, offsets, position = [], [], 0
    for index, token in enumerate(buffer.tokens):
        offsets.append((position, position + len(token.text)))
        after = token.after if index + 1 < len(buffer.tokens) else ""
        pieces += [token.text, after]
        position += len(token.text) + len(after)
    text = "".join(pieces)
    meto_ranges = {(s.start, s.end) for s in _decode(buffer, scheme, lambda t: t.meto)}
    spans = []
    for tag_span in _decode(buffer, scheme, lambda t: t.tag):
        first = buffer.tokens[tag_span.start]
        start, end = offsets[tag_span.start][0], offsets[tag_span.end - 1][1]
        spans.append(ToolSpan(f"T{len(spans) + 1}", start, end, tag_span.label, text[start:end], first.line,
                              (tag_span.start, tag_span.end) in meto_ranges, first.qid))
    doc_id = buffer.doc_id or f"{path.stem}-{number}"
    return ToolDocument(doc_id, text, tuple(spans), str(path), line=buffer.line, date=buffer.date)


def _decode(buffer: _Buffer, scheme: str, tag_of: Callable[[_Token], str]) -> Iterator[TagSpan]:
    """Spans of one tag column, decoded sentence by sentence: an entity never crosses a sentence break."""
    bounds = [*buffer.sentence_starts, len(buffer.tokens)]
    for start, end in zip(bounds, bounds[1:]):
        for span in spans_from_tags([tag_of(t) for t in buffer.tokens[start:end]], scheme):
            yield TagSpan(span.start + start, span.end + start, span.label)


# --- reading: CoNLL -------------------------------------------------------------------


def read_conll(path: Path, *, log: FindingLog, scheme: str = "iob2") -> Iterator[ToolDocument]:
    """Documents of a CoNLL-2003-style file: token first, NER tag last, columns split by spaces or tabs.

    Blank lines end sentences (text rebuilt with ``"\\n"`` between sentences, ``" "`` between
    tokens). ``-DOCSTART-`` lines and ``# doc_id = …`` comments start documents; the id is the
    comment's value, or a ``-DOCSTART- <id>`` field that is neither ``-X-`` nor tag-shaped, else
    ``<file stem>-<n>``. A file without either is one document. Lines without a tag and tags
    the scheme does not allow are reported as findings at ``path:line``.
    """
    _check_scheme(scheme)
    lines = _read_lines(path, log)
    if lines is None:
        return
    buffer, emitted = _Buffer(), 0
    for number, line in enumerate(lines, start=1):
        # spaces and tabs only: str.split() would also cut inside tokens at a no-break space
        fields = re.split(r"[ \t]+", line.strip(" \t")) if line.strip(" \t") else []
        starts_document = bool(fields) and fields[0] == DOCSTART
        doc_id = _docstart_id(fields) if starts_document else _comment_doc_id(line)
        if starts_document or doc_id:
            if buffer.tokens:
                emitted += 1
                yield _tool_document(buffer, path, emitted, scheme)
                buffer = _Buffer()
            buffer.doc_id, buffer.line = doc_id or buffer.doc_id, buffer.line or number
        elif not fields:
            _end_sentence(buffer)
        elif _is_comment(line, fields):
            continue
        elif len(fields) < 2:
            log.add(Finding("import.conll.columns", f"token line {line.strip()!r} has no tag column", str(path), number,
                            hint="write the token first and the NER tag last, separated by a space or a tab"))
        else:
            buffer.line = buffer.line or number
            tag = _checked_tag(fields[-1], scheme, path, number, log, "import.conll.tag")
            buffer.tokens.append(_Token(fields[0], tag, number))
    if buffer.tokens:
        yield _tool_document(buffer, path, emitted + 1, scheme)


def read_conll_iob1(path: Path, *, log: FindingLog) -> Iterator[ToolDocument]:
    """:func:`read_conll` with IOB1 tags (``I-`` everywhere, ``B-`` between adjacent same-type entities)."""
    return read_conll(path, log=log, scheme="iob1")


def read_hipe_fine(path: Path, *, log: FindingLog) -> Iterator[ToolDocument]:
    """:func:`read_hipe` on the ``NE-FINE-LIT`` column, where Chronique's own exports put the fine types."""
    return read_hipe(path, log=log, column="NE-FINE-LIT")


def _end_sentence(buffer: _Buffer) -> None:
    if buffer.tokens and buffer.sentence_starts[-1] != len(buffer.tokens):
        buffer.tokens[-1].after = "\n"
        buffer.sentence_starts.append(len(buffer.tokens))


def _docstart_id(fields: list[str]) -> str | None:
    """``-DOCSTART- doc42`` → ``doc42``; the CoNLL-2003 filler ``-DOCSTART- -X- -X- O`` has no id."""
    if len(fields) >= 2 and fields[1] != "-X-" and not _TAG_SHAPE.fullmatch(fields[1]):
        return fields[1]
    return None


def _comment_doc_id(line: str) -> str | None:
    match = _COMMENT.match(line.strip())
    if match and match.group(1).split(":")[-1] in ("doc_id", "document_id") and match.group(2):
        return match.group(2)
    return None


def _is_comment(line: str, fields: list[str]) -> bool:
    """``# key = value`` lines, and ``#…`` lines whose last field is no tag; ``# O`` is the token ``#``."""
    stripped = line.strip()
    return stripped.startswith("#") and (bool(_COMMENT.match(stripped)) or not _TAG_SHAPE.fullmatch(fields[-1]))


# --- reading: HIPE --------------------------------------------------------------------


def read_hipe(path: Path, *, log: FindingLog, column: str = "NE-COARSE-LIT") -> Iterator[ToolDocument]:
    """Documents of a HIPE-2022 TSV file, with the spans of one IOB2 ``column``.

    The first line names the columns. ``# hipe2022:document_id = …`` starts a document and
    ``# hipe2022:date = …`` dates it (``NA`` → None); other comments and blank lines are skipped. A line
    with as many tab-separated fields as the header is a token even when it starts with ``#``
    (OCR tokens such as ``#mma`` exist). Text: tokens joined by a space, nothing after
    ``NoSpaceAfter``, a line break after ``EndOfLine``. Entities run across sentences (HIPE
    marks them with ``EndOfSentence`` only). For a ``…-LIT`` column, a span is ``metonymic``
    when the ``…-METO`` column has a span on the same tokens, and ``qid`` is ``NEL-LIT`` of
    its first token (``_`` → None, ``NIL`` kept).
    """
    lines = _read_lines(path, log)
    if lines is None:
        return
    header = _hipe_header(lines, path, column, log)
    if header is None:
        return
    columns = {name: index for index, name in enumerate(header)}
    meto = columns.get(column.replace("-LIT", "-METO")) if column.endswith("-LIT") else None
    nel = columns.get("NEL-LIT") if column.endswith("-LIT") else None
    buffer, emitted = _Buffer(), 0
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) == len(header) and fields != header:
            buffer.line = buffer.line or number
            buffer.tokens.append(_hipe_token(fields, columns, column, meto, nel, path, number, log))
        elif line.startswith("#"):
            key, value = _hipe_comment(line)
            if key == "document_id":
                emitted_tokens = bool(buffer.tokens)
                if emitted_tokens:
                    emitted += 1
                    yield _tool_document(buffer, path, emitted, "iob2")
                # a date written before the id belongs to the document the id opens
                buffer = _Buffer(value, number, None if emitted_tokens else buffer.date)
            elif key == "date":
                buffer.date = None if value in _NO_DATE else value
        elif line.strip() and fields != header:
            log.add(Finding("import.hipe.columns", f"{len(fields)} tab-separated fields where the header has "
                            f"{len(header)}", str(path), number, hint="separate every column with one tab"))
    if buffer.tokens:
        yield _tool_document(buffer, path, emitted + 1, "iob2")


def _hipe_header(lines: list[str], path: Path, column: str, log: FindingLog) -> list[str] | None:
    header = next((line.split("\t") for line in lines if line.strip()), [])
    missing = [name for name in ("TOKEN", column) if name not in header]
    if missing:
        log.add(Finding("import.hipe.header", f"the first line {header!r} lacks the column(s) {', '.join(missing)}",
                        str(path), 1, hint=f"HIPE files start with a header such as {' '.join(HIPE_COLUMNS)}"))
        return None
    return header


def _hipe_comment(line: str) -> tuple[str | None, str]:
    match = _COMMENT.match(line.strip())
    return (match.group(1).split(":")[-1], match.group(2)) if match else (None, "")


def _hipe_token(fields: list[str], columns: dict[str, int], column: str, meto: int | None, nel: int | None,
                path: Path, number: int, log: FindingLog) -> _Token:
    """One token line; ``_`` (column not applicable) reads as ``O``."""
    def tag_at(index: int | None) -> str:
        raw = fields[index] if index is not None else "_"
        return "O" if raw == "_" else _checked_tag(raw, "iob2", path, number, log, "import.hipe.tag")

    flags = set(fields[columns["MISC"]].split("|")) if "MISC" in columns else set()
    after = "" if "NoSpaceAfter" in flags else "\n" if "EndOfLine" in flags else " "
    return _Token(fields[columns["TOKEN"]], tag_at(columns[column]), number, after, tag_at(meto),
                  _hipe_qid(fields[nel] if nel is not None else "_", path, number, log))


def _hipe_qid(value: str, path: Path, number: int, log: FindingLog) -> str | None:
    if value == "_":
        return None
    if _QID.fullmatch(value):
        return value
    log.add(Finding("import.hipe.qid", f"NEL value {value!r} is neither a Wikidata id Q<digits>, NIL nor _; dropped",
                    str(path), number, hint="write the Wikidata id, NIL for an unlinkable entity, or _"))
    return None


# --- putting read spans back on the real text -----------------------------------------


def align_tokens(tokens: Sequence[str], text: str) -> list[tuple[int, int]]:
    """Where each token is in ``text``, walking left to right and skipping only whitespace.

    >>> align_tokens(["l'", "OSCE", "."], "l'OSCE.")
    [(0, 2), (2, 6), (6, 7)]

    Raises :class:`TokenAlignmentError` at the first token the text does not continue with,
    and when non-space text is left after the last token.
    """
    placed, position = [], 0
    for index, token in enumerate(tokens):
        while position < len(text) and text[position].isspace():
            position += 1
        if not token or not text.startswith(token, position):
            found = text[position : position + max(len(token), 1) + 10]
            raise TokenAlignmentError(f"token {index} {token!r} is not at offset {position} of the text, which has "
                                      f"{found!r} there: the tokens were not made from this text")
        placed.append((position, position + len(token)))
        position += len(token)
    if text[position:].strip():
        raise TokenAlignmentError(f"the text goes on after the last token, at offset {position}: "
                                  f"{text[position : position + 20]!r}")
    return placed


def realign(document: ToolDocument, text: str) -> ToolDocument:
    """The document on ``text``: its whitespace-separated runs aligned there, and its spans moved with them.

    Token formats keep only the tokens, so their rebuilt text differs from the original in
    whitespace alone; this recovers the original offsets. Raises :class:`TokenAlignmentError`.
    """
    runs = [(m.start(), m.end()) for m in _RUN.finditer(document.text)]
    placed = align_tokens([document.text[a:b] for a, b in runs], text)
    starts = [a for a, _ in runs]

    def moved(offset: int) -> int:
        index = bisect.bisect_right(starts, offset) - 1
        return placed[index][0] + offset - runs[index][0]

    spans = tuple(replace(s, start=moved(s.start), end=moved(s.end - 1) + 1, text=None) for s in document.spans)
    return replace(document, text=text, spans=spans)


# --- writing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportMention:
    start: int
    end: int
    type: str
    metonymic: bool
    qid: str | None

    @property
    def coarse(self) -> str | None:
        return COARSE_OF_FINE[self.type]


@dataclass(frozen=True, slots=True)
class TokenisedDocument:
    """A ``documents`` row as token formats see it: sentences of tokens, outermost and second-level mentions."""

    doc_id: str
    date: str | None
    text: str
    sentences: tuple[tuple[Span, ...], ...]
    outermost: tuple[ExportMention, ...]
    nested: tuple[ExportMention, ...]


def tokenised(row: dict) -> TokenisedDocument:
    """Re-tokenise a ``documents`` row sentence by sentence.

    Tokens are cut at every mention and stance-evidence edge, as the build cuts them, so
    they are the ``ner`` config's tokens.
    """
    text, mentions = row["text"], row["mentions"]
    qids = {e["id"]: e["qid"] for e in row["entities"]}
    edges = {edge for m in mentions for edge in (m["start"], m["end"])}
    edges |= {edge for s in row["stances"] for q in s["evidence"] for edge in (q["start"], q["end"])}
    sentences = tuple(tuple(tokenize(text, s["start"], s["end"], edges)) for s in row["sentences"])
    outer_ids = {m["id"] for m in mentions if m["parent_id"] is None}

    def export(kept: Iterable[dict]) -> tuple[ExportMention, ...]:
        chosen = sorted(kept, key=lambda m: (m["start"], -m["end"]))
        return tuple(ExportMention(m["start"], m["end"], m["type"], bool(m["metonymic"]), qids.get(m["entity_id"]))
                     for m in chosen)

    return TokenisedDocument(row["doc_id"], row.get("date"), text, sentences,
                             export(m for m in mentions if m["parent_id"] is None),
                             export(m for m in mentions if m["parent_id"] in outer_ids))


def token_ranges(tokens: Sequence[Span], mentions: Iterable[ExportMention]) -> list[tuple[int, int, ExportMention]]:
    """``(first, end, mention)`` token ranges of the mentions inside these tokens; an edge off a token edge raises."""
    if not tokens:
        return []
    starts, ends = [t.start for t in tokens], [t.end for t in tokens]
    ranges = []
    for mention in mentions:
        if mention.end <= starts[0] or mention.start >= ends[-1]:
            continue
        first, end = bisect.bisect_left(starts, mention.start), bisect.bisect_left(ends, mention.end) + 1
        if first >= len(starts) or starts[first] != mention.start or end > len(ends) or ends[end - 1] != mention.end:
            raise TokenAlignmentError(f"mention {mention.start}–{mention.end} does not start and end on token edges "
                                      f"of the sentence {starts[0]}–{ends[-1]}")
        ranges.append((first, end, mention))
    return ranges


def range_tags(ranges: list[tuple[int, int, ExportMention]], length: int,
               label_of: Callable[[ExportMention], str | None], scheme: str = "iob2") -> list[str]:
    """Tags of one sentence, each mention labelled ``label_of(mention)``; None leaves it out (``O``)."""
    spans = [TagSpan(a, b, label) for a, b, m in ranges if (label := label_of(m)) is not None]
    return tags_from_spans(spans, length, scheme)


def _fine(mention: ExportMention) -> str:
    return mention.type


def _coarse(mention: ExportMention) -> str | None:
    return mention.coarse


def export_conll(documents: Iterable[dict], out_dir: Path, *, coarse: bool = False, scheme: str = "iob2",
                 name: str = "chronique") -> list[Path]:
    """Write ``out_dir/<name>.<fine|coarse>.conll``: ``TOKEN TAG`` lines, a blank line after each sentence.

    Each document opens with ``-DOCSTART- <doc_id>``. Tags are our fine types, or the coarse
    ones with ``coarse`` (``DATE`` has no coarse type and becomes ``O``); outermost mentions only.
    """
    _check_scheme(scheme)
    label_of = _coarse if coarse else _fine
    lines = []
    for row in documents:
        document = tokenised(row)
        lines += [f"{DOCSTART} {document.doc_id}", ""]
        for sentence in document.sentences:
            tags = range_tags(token_ranges(sentence, document.outermost), len(sentence), label_of, scheme)
            lines += [f"{_token_text(document.text, t)} {tag}" for t, tag in zip(sentence, tags)] + [""]
    path = Path(out_dir) / f"{name}.{'coarse' if coarse else 'fine'}.conll"
    return [_write_lines(path, lines)]


def _token_text(text: str, token: Span) -> str:
    value = text[token.start : token.end]
    if not value or any(c.isspace() for c in value):
        raise TokenAlignmentError(f"token {token.start}–{token.end} {value!r} is empty or holds whitespace")
    return value


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path


def _hipe_rows(document: TokenisedDocument) -> Iterator[list[str]]:
    """The HIPE columns of every token of one document, in :data:`HIPE_COLUMNS` order."""
    tokens = [t for sentence in document.sentences for t in sentence]
    index = 0
    for sentence in document.sentences:
        outer = token_ranges(sentence, document.outermost)
        size = len(sentence)
        columns = [
            [_token_text(document.text, t) for t in sentence],
            range_tags(outer, size, _coarse),
            range_tags(outer, size, lambda m: m.coarse if m.metonymic else None),
            range_tags(outer, size, _fine),
            range_tags(outer, size, lambda m: m.type if m.metonymic else None),
            ["_"] * size,
            range_tags(token_ranges(sentence, document.nested), size, _coarse),
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
    return [_write_lines(Path(out_dir) / f"{name}.hipe.tsv", lines)]
