"""Gold and prediction inputs of the scorer, and their alignment.

Token-level inputs become :class:`TokenDocument` lists: documents of sentences of tokens
with tags. Predictions must line up with the gold token for token; the first place where
they do not is reported as an :class:`~chronique.errors.InputError` naming the sentence
and the prediction's line, never scored with a shift. A file that cannot be read is a
:class:`~chronique.errors.UsageError`; one that is not UTF-8 an ``evaluate.format`` error
at the line of the bad byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from chronique.checks.catalogue import finding
from chronique.errors import InputError, UsageError
from chronique.store.jsonfiles import JsonFileError, decode_json_bytes, parse_json, type_name

MISMATCH = "evaluate.mismatch"
FORMAT = "evaluate.format"
SPAN_SUFFIXES = (".jsonl", ".json", ".parquet")
"""Prediction files read as spans; any other is read as token tags (CoNLL, or HIPE TSV against a HIPE gold)."""


@dataclass
class TokenSentence:
    id: str | None
    tokens: list[str]
    tags: list[str]
    line: int | None = None
    starts: list[int] | None = None  # character offsets into the document text, when known
    ends: list[int] | None = None
    lines: list[int] | None = None  # the file line of each token, when read from a file


@dataclass
class TokenDocument:
    doc_id: str
    sentences: list[TokenSentence]


def _mismatch(message: str, path: str, line: int | None = None) -> InputError:
    return InputError(message, [finding(MISMATCH, message, path, line,
                                        hint="predict on exactly the gold tokens and sentences, in the same order")])


def is_span_file(path: Path) -> bool:
    return path.suffix.lower() in SPAN_SUFFIXES


def read_text(path: Path, what: str = "the predictions") -> str:
    """The UTF-8 text of an input file, a leading byte-order mark dropped."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read {what}: {error.strerror or error}") from None
    return decode_json_bytes(data, str(path), check=FORMAT)


def read_hipe_tokens(path: Path, column: str = "NE-COARSE-LIT") -> list[TokenDocument]:
    """A HIPE TSV file as documents of one segment each (the HIPE scorer matches within a document).

    Documents start at ``# document_id = …`` (HIPE-2020) or ``# hipe2022:document_id = …`` (HIPE-2022)
    comments; a file without them is one document. Every line that starts with ``#`` is a comment,
    as the official HIPE scorer reads it, so that counts match its figures (the importer, which
    rebuilds the text, keeps OCR tokens such as ``#mma`` instead).
    """
    from chronique.interop.hipe import hipe_comment

    documents: list[TokenDocument] = []
    header: list[str] | None = None
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if fields == header:
            continue  # the header repeated
        if header is None and fields[0] == "TOKEN":
            header = fields
            if column not in header:
                raise UsageError(f"{path}: no column {column!r}; columns are {', '.join(header)}")
            continue
        if line.startswith("#"):
            key, value = hipe_comment(line)
            if key == "document_id":
                documents.append(TokenDocument(value or path.stem, [TokenSentence(None, [], [], number, lines=[])]))
            continue
        if header is None:
            raise InputError(f"{path}: no TOKEN header line", [finding(FORMAT, "no TOKEN header line before the "
                             "first token", str(path), number)])
        if not documents:
            documents.append(TokenDocument(path.stem, [TokenSentence(None, [], [], number, lines=[])]))
        sentence = documents[-1].sentences[0]
        sentence.tokens.append(fields[0])
        sentence.lines.append(number)
        sentence.tags.append(fields[header.index(column)].upper() if len(fields) > header.index(column) else "O")
    return documents


def read_conll_tokens(path: Path) -> list[TokenSentence]:
    """CoNLL columns: the token first, the tag last, a blank line between sentences.

    ``# id = …`` (or ``# sent_id = …``) comments name the next sentence; ``-DOCSTART-`` lines
    are skipped. Comments follow the CoNLL importer's rule, so ``# O`` is the token ``#``.
    """
    from chronique.interop.conll import is_comment

    sentences: list[TokenSentence] = []
    current = TokenSentence(None, [], [], lines=[])
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        stripped = line.strip()
        fields = stripped.split("\t") if "\t" in stripped else stripped.split()
        if fields and is_comment(stripped, fields):
            key, _, value = stripped.lstrip("# ").partition("=")
            if key.strip() in ("id", "sent_id") and value.strip():
                current.id = value.strip()
            continue
        if not stripped or stripped.startswith("-DOCSTART-"):
            if current.tokens:
                sentences.append(current)
                current = TokenSentence(None, [], [], lines=[])
            continue
        if len(fields) < 2:
            raise InputError(f"{path}:{number}: expected a token and a tag",
                             [finding(FORMAT, "expected a token and a tag", str(path), number,
                                      hint="write the token first and the tag last, separated by a space or a tab")])
        current.line = current.line or number
        current.tokens.append(fields[0])
        current.tags.append(fields[-1])
        current.lines.append(number)
    if current.tokens:
        sentences.append(current)
    return sentences


def align_hipe(gold: list[TokenDocument], pred: list[TokenDocument], pred_path: str) -> list[TokenDocument]:
    """Predictions re-cut into the gold's documents; a file without document comments aligns by position."""
    flat = [(t, g, n) for d in pred for s in d.sentences for t, g, n in zip(s.tokens, s.tags, s.lines or _no_lines(s))]
    aligned, position = [], 0
    for document in gold:
        sentence = document.sentences[0]
        piece = flat[position : position + len(sentence.tokens)]
        for index, ((token, _, line), expected) in enumerate(zip(piece, sentence.tokens)):
            if token != expected:
                raise _mismatch(f"document {document.doc_id}: token {index + 1} is {token!r} in the prediction, "
                                f"{expected!r} in the gold", pred_path, line)
        if len(piece) < len(sentence.tokens):
            raise _mismatch(f"document {document.doc_id}: the prediction ends after {len(piece)} of its "
                            f"{len(sentence.tokens)} tokens", pred_path, piece[-1][2] if piece else None)
        aligned.append(TokenDocument(document.doc_id, [TokenSentence(None, sentence.tokens, [g for _, g, _ in piece],
                                                                     lines=[n for _, _, n in piece])]))
        position += len(sentence.tokens)
    if position != len(flat):
        raise _mismatch(f"the prediction has {len(flat) - position} tokens more than the gold", pred_path,
                        flat[position][2])
    return aligned


def _no_lines(sentence: TokenSentence) -> list[int | None]:
    return [sentence.line] * len(sentence.tokens)


def align_sentences(gold: list[TokenDocument], pred: list[TokenSentence], pred_path: str) -> list[TokenDocument]:
    """Token predictions placed on the gold sentences: by ``# id`` when both sides name every sentence, else by
    position. A gold sentence without tokens needs no prediction.
    """
    gold_sentences = [s for d in gold for s in d.sentences if s.tokens]
    if pred and all(s.id for s in pred) and all(s.id for s in gold_sentences):
        by_id = {s.id: s for s in pred}
        missing = [s.id for s in gold_sentences if s.id not in by_id]
        if missing:
            raise _mismatch(f"sentence {missing[0]} is missing from the prediction ({len(missing)} missing)", pred_path)
        pred = [by_id[s.id] for s in gold_sentences]
    elif len(pred) != len(gold_sentences):
        first = gold_sentences[len(pred)].id if len(pred) < len(gold_sentences) else f"#{len(gold_sentences) + 1}"
        raise _mismatch(f"the prediction has {len(pred)} sentences, the gold {len(gold_sentences)}; first unmatched: "
                        f"sentence {first}", pred_path)
    for gold_sentence, pred_sentence in zip(gold_sentences, pred):
        _check_tokens(gold_sentence, pred_sentence, pred_path)
    placed = {id(g): p for g, p in zip(gold_sentences, pred)}
    return [TokenDocument(d.doc_id, [placed.get(id(s)) or TokenSentence(s.id, [], []) for s in d.sentences])
            for d in gold]


def _check_tokens(gold: TokenSentence, pred: TokenSentence, pred_path: str) -> None:
    """The first token where ``pred`` differs from ``gold``, reported at the prediction's line for it."""
    if gold.tokens == pred.tokens:
        return
    lines = pred.lines or _no_lines(pred)
    for index, (g, p) in enumerate(zip(gold.tokens, pred.tokens)):
        if g != p:
            raise _mismatch(f"sentence {gold.id}: token {index + 1} is {p!r} in the prediction, {g!r} in the gold",
                            pred_path, lines[index])
    shorter = len(pred.tokens) < len(gold.tokens)
    line = (lines[-1] if lines else pred.line) if shorter else lines[len(gold.tokens)]  # last token, or first extra
    raise _mismatch(f"sentence {gold.id}: the prediction has {len(pred.tokens)} tokens, the gold {len(gold.tokens)}",
                    pred_path, line)


@dataclass(frozen=True)
class SpanPrediction:
    key: str  # doc_id, or sentence id
    start: int
    end: int
    type: str
    line: int | None


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file, read with the guarded loader.

    Raises :class:`~chronique.store.jsonfiles.JsonFileError` (an :class:`InputError`), ``evaluate.format``
    at the line, for a line that is not UTF-8 or not JSON, and ``L1.json.depth`` for one nested too deeply.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the predictions: {error.strerror or error}") from None
    shown = str(path)
    # Only "\n" ends a line: a JSON string may hold U+2028, which str.splitlines would cut at.
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.strip():
            text = decode_json_bytes(raw, shown, check=FORMAT, line=number)
            yield number, parse_json(text, shown, check=FORMAT, line=number,
                                     hint="write one JSON object a line")


def json_array(path: Path) -> list[tuple[int, object]]:
    """``(line, item)`` for each item of a file holding one JSON array, the line being where the item starts."""
    text = read_text(path)
    hint = "write one JSON array of span objects, or name a file of one object a line .jsonl"
    value = parse_json(text, str(path), check=FORMAT, hint=hint)
    if not isinstance(value, list):
        raise JsonFileError(finding(FORMAT, f"expected a JSON array of span objects, found {type_name(value)}",
                                    str(path), 1, hint=hint))
    return list(zip(_item_lines(text), value))


_SEPARATOR = re.compile(r"[ \t\n\r,]*")


def _item_lines(text: str) -> Iterator[int]:
    """The line where each item of the top-level JSON array ``text`` starts (``text`` is known to be one)."""
    decoder = json.JSONDecoder()
    position = _SEPARATOR.match(text, text.index("[") + 1).end()
    line, counted = 1, 0
    while position < len(text) and text[position] != "]":
        line, counted = line + text.count("\n", counted, position), position
        yield line
        _, position = decoder.raw_decode(text, position)
        position = _SEPARATOR.match(text, position).end()


def _parquet_rows(path: Path) -> list[tuple[int, object]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except OSError as error:
        raise UsageError(f"{path}: cannot read the predictions: {error.strerror or error}") from None
    except pa.ArrowException as error:
        message = f"not a readable Parquet file: {error}"
        raise InputError(f"{path}: {message}", [finding(FORMAT, message, str(path))]) from None
    return list(enumerate(table.to_pylist(), start=1))


def span_rows(path: Path) -> list[tuple[int, object]]:
    """``(line or row number, value)`` of a span prediction file: Parquet, a JSON array (``.json``) or JSON Lines."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_rows(path)
    if suffix == ".json":
        return json_array(path)
    return list(json_lines(path))


def read_span_predictions(path: Path) -> list[SpanPrediction]:
    """Span predictions: rows with ``doc_id`` or ``id``, ``start``, ``end``, ``type`` (see :func:`span_rows`)."""
    predictions = []
    for number, row in span_rows(path):
        key = (row.get("doc_id") or row.get("id")) if isinstance(row, dict) else None  # a line may be any JSON value
        if not isinstance(key, (str, int)) or isinstance(key, bool) \
                or not all(_is_int(row.get(k)) for k in ("start", "end")) or not isinstance(row.get("type"), str):
            raise InputError(f"{path}:{number}: expected doc_id or id, start, end, type",
                             [finding(FORMAT, "expected doc_id or id, integer start and end, and type",
                                      str(path), number)])
        predictions.append(SpanPrediction(str(key), row["start"], row["end"], row["type"], number))
    return predictions


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
