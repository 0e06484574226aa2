"""CoNLL-2003 files (IOB2, IOB1 or IOBES tags), read and written.

CoNLL carries tokens, sentence breaks, document ids and one flat layer of typed spans:
no nesting, no entity clusters, no QIDs, no metonymy, no stances, no date, and the text
only up to whitespace (it is rebuilt with single spaces;
:func:`~chronique.interop.tokens.realign` puts the spans back on the real text). Tags are
decoded and encoded by :mod:`chronique.text.tags`, with the ``"begin"`` policy for ill-formed
sequences, so that our entity counts agree with conlleval's.
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
    Token,
    TokenAlignmentError,  # noqa: F401  (re-exported: spacy_docbin imports it from here)
    TokenisedDocument,  # noqa: F401  (re-exported: spacy_docbin imports it from here)
    checked_tag,
    coarse_label,
    fine_label,
    range_tags,
    read_lines,
    realign,  # noqa: F401  (re-exported: the registry's realigner imports it from here)
    token_ranges,
    token_text,
    tokenised,
    tool_document,
    write_lines,
)
from chronique.text.tags import check_scheme

DOCSTART = "-DOCSTART-"

_TAG_SHAPE = re.compile(r"O|[BIES]-.+")


def read_conll(path: Path, *, log: FindingLog, scheme: str = "iob2") -> Iterator[ToolDocument]:
    """Documents of a CoNLL-2003-style file: token first, NER tag last, columns split by spaces or tabs.

    Blank lines end sentences (text rebuilt with ``"\\n"`` between sentences, ``" "`` between
    tokens). ``-DOCSTART-`` lines and ``# doc_id = …`` comments start documents; the id is the
    comment's value, or a ``-DOCSTART- <id>`` field that is neither ``-X-`` nor tag-shaped, else
    ``<file stem>-<n>``. A file without either is one document. Lines without a tag and tags
    the scheme does not allow are reported as findings at ``path:line``.
    """
    check_scheme(scheme)
    lines = read_lines(path, log)
    if lines is None:
        return
    buffer, emitted = DocumentBuffer(), 0
    for number, line in enumerate(lines, start=1):
        # spaces and tabs only: str.split() would also cut inside tokens at a no-break space
        fields = re.split(r"[ \t]+", line.strip(" \t")) if line.strip(" \t") else []
        starts_document = bool(fields) and fields[0] == DOCSTART
        doc_id = _docstart_id(fields) if starts_document else _comment_doc_id(line)
        if starts_document or doc_id:
            if buffer.tokens:
                emitted += 1
                yield tool_document(buffer, path, emitted, scheme)
                buffer = DocumentBuffer()
            buffer.doc_id, buffer.line = doc_id or buffer.doc_id, buffer.line or number
        elif not fields:
            _end_sentence(buffer)
        elif is_comment(line, fields):
            continue
        elif len(fields) < 2:
            log.add(finding("import.conll.columns", f"token line {line.strip()!r} has no tag column", str(path), number,
                            hint="write the token first and the NER tag last, separated by a space or a tab"))
        else:
            buffer.line = buffer.line or number
            tag = checked_tag(fields[-1], scheme, path, number, log, "import.conll.tag")
            buffer.tokens.append(Token(fields[0], tag, number))
    if buffer.tokens:
        yield tool_document(buffer, path, emitted + 1, scheme)


def read_conll_iob1(path: Path, *, log: FindingLog) -> Iterator[ToolDocument]:
    """:func:`read_conll` with IOB1 tags (``I-`` everywhere, ``B-`` between adjacent same-type entities)."""
    return read_conll(path, log=log, scheme="iob1")


def _end_sentence(buffer: DocumentBuffer) -> None:
    if buffer.tokens and buffer.sentence_starts[-1] != len(buffer.tokens):
        buffer.tokens[-1].after = "\n"
        buffer.sentence_starts.append(len(buffer.tokens))


def _docstart_id(fields: list[str]) -> str | None:
    """``-DOCSTART- doc42`` → ``doc42``; the CoNLL-2003 filler ``-DOCSTART- -X- -X- O`` has no id."""
    if len(fields) >= 2 and fields[1] != "-X-" and not _TAG_SHAPE.fullmatch(fields[1]):
        return fields[1]
    return None


def _comment_doc_id(line: str) -> str | None:
    match = COMMENT.match(line.strip())
    if match and match.group(1).split(":")[-1] in ("doc_id", "document_id") and match.group(2):
        return match.group(2)
    return None


def is_comment(line: str, fields: list[str]) -> bool:
    """``# key = value`` lines, and ``#…`` lines whose last field is no tag; ``# O`` is the token ``#``.

    ``fields`` are the line's space- or tab-separated fields. The scorer reads comments by this rule too.
    """
    stripped = line.strip()
    return stripped.startswith("#") and (bool(COMMENT.match(stripped)) or not _TAG_SHAPE.fullmatch(fields[-1]))


def sentence_id(doc_id: str, index: int) -> str:
    """The ``id`` of a sentence's row in the ``ner`` config, as the release writer forms it."""
    return f"{doc_id}-{index:04d}"


def export_conll(documents: Iterable[dict], out_dir: Path, *, coarse: bool = False, scheme: str = "iob2",
                 name: str = "chronique") -> list[Path]:
    """Write ``out_dir/<name>.<fine|coarse>.conll``: ``TOKEN TAG`` lines, a blank line after each sentence.

    Each document opens with ``-DOCSTART- <doc_id>`` and each sentence with ``# id = <id>``, the
    id of its row in the ``ner`` config (``<doc_id>-0003``), so that the file is a prediction
    template ``chronique evaluate`` aligns by id. Tags are our fine types, or the coarse ones
    with ``coarse`` (``DATE`` has no coarse type and becomes ``O``); outermost mentions only.
    """
    check_scheme(scheme)
    label_of = coarse_label if coarse else fine_label
    lines = []
    for row in documents:
        document = tokenised(row)
        lines += [f"{DOCSTART} {document.doc_id}", ""]
        for index, sentence in enumerate(document.sentences):
            tags = range_tags(token_ranges(sentence, document.outermost), len(sentence), label_of, scheme)
            lines += [f"# id = {sentence_id(document.doc_id, index)}"]
            lines += [f"{token_text(document.text, t)} {tag}" for t, tag in zip(sentence, tags)] + [""]
    path = Path(out_dir) / f"{name}.{'coarse' if coarse else 'fine'}.conll"
    return [write_lines(path, lines)]
