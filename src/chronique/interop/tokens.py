"""What the token formats (:mod:`~chronique.interop.conll`, :mod:`~chronique.interop.hipe`) share.

Reading: a file's token lines become a :class:`DocumentBuffer` of :class:`Token` records, and
:func:`tool_document` rebuilds the text from the tokens and decodes each tag column, sentence by
sentence, with :func:`chronique.text.tags.spans_from_tags`. Token formats keep only the tokens, so
:func:`realign` puts the spans back on the real text afterwards.

Writing: :func:`tokenised` re-tokenises a ``documents`` row as the build does, and
:func:`token_ranges` and :func:`range_tags` turn its mentions into one tag column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, InputError
from chronique.interop.base import ToolDocument, ToolSpan
from chronique.interop.nesting import with_parents
from chronique.text.normalize import normalize_text
from chronique.store.records import Span
from chronique.schema import COARSE_OF_FINE
from chronique.text.tags import TAG_SCHEMES, TagSpan, parse_tag, spans_from_tags, tags_from_spans
from chronique.text.segment import tokenize

COMMENT = re.compile(r"#\s*([\w.:-]+)\s*=\s*(.*?)\s*$")
"""A ``# key = value`` comment line (``# hipe2022:date = 1901-01-01``, ``# doc_id = d1``)."""
_RUN = re.compile(r"\S+")


class TokenAlignmentError(InputError):
    """Tokens (or spans) do not fall where the text says they should."""


# --- reading --------------------------------------------------------------------------


@dataclass
class Token:
    """One token line as read: its text, tag column(s), line number and NEL value."""

    text: str
    tag: str
    line: int
    after: str = " "  # what separates it from the next token in the rebuilt text
    meto: str = "O"
    qid: str | None = None
    nested: str = "O"  # HIPE's NE-NESTED tag: a second level of mentions inside the first


@dataclass
class DocumentBuffer:
    """The document being read."""

    doc_id: str | None = None
    line: int | None = None
    date: str | None = None
    tokens: list[Token] = field(default_factory=list)
    sentence_starts: list[int] = field(default_factory=lambda: [0])


def read_lines(path: Path, log: FindingLog) -> list[str] | None:
    """The file's lines without line ends or BOM, or None (with a finding) when it is not UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        log.add(finding("import.file.encoding", f"not UTF-8: byte {data[error.start]:#04x} cannot be decoded",
                        str(path), line, hint="convert the file to UTF-8"))
        return None
    return [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]


def checked_tag(tag: str, scheme: str, path: Path, line: int, log: FindingLog, check: str) -> str:
    """The tag, or ``O`` with a finding when the scheme does not allow it (the token is kept for the text)."""
    try:
        parse_tag(tag, scheme)
    except ValueError as error:
        log.add(finding(check, f"{error}; read as O", str(path), line,
                        hint=f"fix the tag, or read the file with the scheme it uses ({', '.join(TAG_SCHEMES)})"))
        return "O"
    return tag


def tool_document(buffer: DocumentBuffer, path: Path, number: int, scheme: str) -> ToolDocument:
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
    outer = len(spans)
    for tag_span in _decode(buffer, scheme, lambda t: t.nested):  # HIPE NE-NESTED: inside an outer span
        start, end = offsets[tag_span.start][0], offsets[tag_span.end - 1][1]
        spans.append(ToolSpan(f"N{len(spans) - outer + 1}", start, end, tag_span.label, text[start:end],
                              buffer.tokens[tag_span.start].line))
    doc_id = buffer.doc_id or f"{path.stem}-{number}"
    placed = with_parents(spans) if len(spans) > outer else spans  # a nested span names its container
    return ToolDocument(doc_id, text, tuple(placed), str(path), line=buffer.line, date=buffer.date)


def _decode(buffer: DocumentBuffer, scheme: str, tag_of: Callable[[Token], str]) -> Iterator[TagSpan]:
    """Spans of one tag column, decoded sentence by sentence: an entity never crosses a sentence break."""
    bounds = [*buffer.sentence_starts, len(buffer.tokens)]
    for start, end in zip(bounds, bounds[1:]):
        for span in spans_from_tags([tag_of(t) for t in buffer.tokens[start:end]], scheme):
            yield TagSpan(span.start + start, span.end + start, span.label)


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
    whitespace and in what normalisation changes (``text`` is normalised: NFC, invisible characters
    removed); each run is compared in its normalised form, and an offset inside a run moves by the
    normalised length of the run's part before it. Raises :class:`TokenAlignmentError`.
    """
    runs = [(m.start(), m.end()) for m in _RUN.finditer(document.text)]
    forms = [normalize_text(document.text[a:b]) for a, b in runs]
    kept = [index for index, form in enumerate(forms) if form]  # a run of invisible characters only has no place
    placed = dict(zip(kept, align_tokens([forms[i] for i in kept], text)))
    starts = [a for a, _ in runs]

    def moved(offset: int, run_of: int) -> int:
        """``offset`` on ``text``, measured in the run that holds character ``run_of``."""
        index = bisect.bisect_right(starts, run_of) - 1
        if index in placed:
            return placed[index][0] + len(normalize_text(document.text[runs[index][0] : offset]))
        before = [placed[i][1] for i in kept if i < index]
        return before[-1] if before else 0

    spans = tuple(replace(s, start=moved(s.start, s.start), end=moved(s.end, s.end - 1), text=None)
                  for s in document.spans)
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


def fine_label(mention: ExportMention) -> str:
    """The tag label of a mention in fine-type columns."""
    return mention.type


def coarse_label(mention: ExportMention) -> str | None:
    """The tag label of a mention in coarse-type columns; None (``O``) for a type without a coarse one."""
    return mention.coarse


def token_text(text: str, token: Span) -> str:
    value = text[token.start : token.end]
    if not value or any(c.isspace() for c in value):
        raise TokenAlignmentError(f"token {token.start}–{token.end} {value!r} is empty or holds whitespace")
    return value


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path
