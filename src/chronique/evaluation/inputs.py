"""Gold and prediction inputs of the scorer, and their alignment.

Token-level inputs become :class:`TokenDocument` lists: documents of sentences of tokens
with tags. Predictions must line up with the gold token for token; the first place where
they do not is reported as an :class:`~chronique.errors.InputError` naming the sentence,
never scored with a shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from chronique.errors import Finding, InputError, UsageError
from chronique.jsonfiles import decode_json_bytes, parse_json

MISMATCH = "evaluate.mismatch"


@dataclass
class TokenSentence:
    id: str | None
    tokens: list[str]
    tags: list[str]
    line: int | None = None
    starts: list[int] | None = None  # character offsets into the document text, when known
    ends: list[int] | None = None


@dataclass
class TokenDocument:
    doc_id: str
    sentences: list[TokenSentence]


def _mismatch(message: str, path: str, line: int | None = None) -> InputError:
    return InputError(message, [Finding(MISMATCH, message, path, line,
                                        hint="predict on exactly the gold tokens and sentences, in the same order")])


def read_hipe_tokens(path: Path, column: str = "NE-COARSE-LIT") -> list[TokenDocument]:
    """A HIPE TSV file as documents of one segment each (the HIPE scorer matches within a document).

    Documents start at ``# hipe2022:document_id`` comments; a file without them is one document.
    """
    documents: list[TokenDocument] = []
    header: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("TOKEN\t"):
            header = line.split("\t")
            if column not in header:
                raise UsageError(f"{path}: no column {column!r}; columns are {', '.join(header)}")
            continue
        if line.startswith("#"):
            if line.startswith("# hipe2022:document_id"):
                documents.append(TokenDocument(line.split("=", 1)[1].strip(), [TokenSentence(None, [], [], number)]))
            continue
        if header is None:
            raise InputError(f"{path}: no TOKEN header line", [Finding("evaluate.format", "no TOKEN header line before the "
                             "first token", str(path), number)])
        if not documents:
            documents.append(TokenDocument(path.stem, [TokenSentence(None, [], [], number)]))
        fields = line.split("\t")
        sentence = documents[-1].sentences[0]
        sentence.tokens.append(fields[0])
        sentence.tags.append(fields[header.index(column)].upper() if len(fields) > header.index(column) else "O")
    return documents


def read_conll_tokens(path: Path) -> list[TokenSentence]:
    """CoNLL columns: the token first, the tag last, a blank line between sentences.

    ``# id = …`` (or ``# sent_id = …``) comments name the next sentence; ``-DOCSTART-`` lines are skipped.
    """
    sentences: list[TokenSentence] = []
    current = TokenSentence(None, [], [])
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            key, _, value = stripped.lstrip("# ").partition("=")
            if key.strip() in ("id", "sent_id") and value.strip():
                current.id = value.strip()
            continue
        if not stripped or stripped.startswith("-DOCSTART-"):
            if current.tokens:
                sentences.append(current)
            current = TokenSentence(None, [], []) if current.tokens else current
            continue
        fields = stripped.split("\t") if "\t" in stripped else stripped.split()
        if len(fields) < 2:
            raise InputError(f"{path}:{number}: expected a token and a tag",
                             [Finding("evaluate.format", "expected a token and a tag", str(path), number)])
        current.line = current.line or number
        current.tokens.append(fields[0])
        current.tags.append(fields[-1])
    if current.tokens:
        sentences.append(current)
    return sentences


def align_hipe(gold: list[TokenDocument], pred: list[TokenDocument], pred_path: str) -> list[TokenDocument]:
    """Predictions re-cut into the gold's documents; a file without document comments aligns by position."""
    flat = [(t, g) for d in pred for s in d.sentences for t, g in zip(s.tokens, s.tags)]
    aligned, position = [], 0
    for document in gold:
        sentence = document.sentences[0]
        piece = flat[position : position + len(sentence.tokens)]
        for index, (token, expected) in enumerate(zip((t for t, _ in piece), sentence.tokens)):
            if token != expected:
                raise _mismatch(f"document {document.doc_id}: token {index + 1} is {token!r} in the prediction, "
                                f"{expected!r} in the gold", pred_path)
        if len(piece) < len(sentence.tokens):
            raise _mismatch(f"document {document.doc_id}: the prediction ends after {len(piece)} of its "
                            f"{len(sentence.tokens)} tokens", pred_path)
        aligned.append(TokenDocument(document.doc_id, [TokenSentence(None, sentence.tokens, [g for _, g in piece])]))
        position += len(sentence.tokens)
    if position != len(flat):
        raise _mismatch(f"the prediction has {len(flat) - position} tokens more than the gold", pred_path)
    return aligned


def align_sentences(gold: list[TokenDocument], pred: list[TokenSentence], pred_path: str) -> list[TokenDocument]:
    """Token predictions placed on the gold sentences: by ``# id`` when the file names them, else by position."""
    gold_sentences = [s for d in gold for s in d.sentences]
    if pred and all(s.id for s in pred):
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
    aligned, position = [], 0
    for document in gold:
        count = len(document.sentences)
        aligned.append(TokenDocument(document.doc_id, pred[position : position + count]))
        position += count
    return aligned


def _check_tokens(gold: TokenSentence, pred: TokenSentence, pred_path: str) -> None:
    if gold.tokens == pred.tokens:
        return
    for index, (g, p) in enumerate(zip(gold.tokens, pred.tokens)):
        if g != p:
            raise _mismatch(f"sentence {gold.id}: token {index + 1} is {p!r} in the prediction, {g!r} in the gold",
                            pred_path, pred.line)
    raise _mismatch(f"sentence {gold.id}: the prediction has {len(pred.tokens)} tokens, the gold {len(gold.tokens)}",
                    pred_path, pred.line)


@dataclass(frozen=True)
class SpanPrediction:
    key: str  # doc_id, or sentence id
    start: int
    end: int
    type: str
    line: int | None


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file, read with the guarded loader.

    Raises :class:`~chronique.jsonfiles.JsonFileError` (an :class:`InputError`), ``evaluate.format``
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
            text = decode_json_bytes(raw, shown, check="evaluate.format", line=number)
            yield number, parse_json(text, shown, check="evaluate.format", line=number,
                                     hint="write one JSON object a line")


def read_span_predictions(path: Path) -> list[SpanPrediction]:
    """Span predictions from JSON Lines or Parquet rows with ``doc_id`` or ``id``, ``start``, ``end``, ``type``."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = [(number, row) for number, row in enumerate(pq.read_table(path).to_pylist(), start=1)]
    else:
        rows = list(json_lines(path))
    predictions = []
    for number, row in rows:
        key = (row.get("doc_id") or row.get("id")) if isinstance(row, dict) else None  # a line may be any JSON value
        if not isinstance(key, (str, int)) or isinstance(key, bool) \
                or not all(isinstance(row.get(k), int) for k in ("start", "end")) or not isinstance(row.get("type"), str):
            raise InputError(f"{path}:{number}: expected doc_id or id, start, end, type",
                             [Finding("evaluate.format", "expected doc_id or id, integer start and end, and type",
                                      str(path), number)])
        predictions.append(SpanPrediction(str(key), row["start"], row["end"], row["type"], number))
    return predictions
