"""spaCy DocBin export: our tokens, every mention as a span, the outermost ones as entities.

Each ``documents`` row becomes one :class:`spacy.tokens.Doc` built from our token offsets
(not spaCy's tokenizer), so mention edges always fall on token edges. Whitespace that is
not a single space (paragraph breaks) becomes a whitespace token, as spaCy's own
tokenizer does, so ``doc.text`` is exactly the document's text and the spans have our
character offsets. Sentence starts are set from our sentences.

Where the mentions go:

- ``doc.spans["sc"]`` (:data:`SPANS_KEY`, the key spaCy's ``spancat`` trains on): every
  mention, nested and metonymic ones included, in text order, labelled with its fine type
  (or its coarse type, and DATE left out, with ``coarse``);
- ``doc.spans["metonymic"]`` (:data:`METONYMIC_KEY`): the metonymic ones among them, the
  same spans with the same labels;
- ``doc.ents`` (what ``ner`` trains on): the outermost mentions only, since entities
  cannot nest.

Entity clusters, QIDs and stances are not carried.

spaCy is the optional ``models`` extra: importing this module without it raises a
:class:`~chronique.errors.UsageError` with the install hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from chronique.extras import import_spacy
from chronique.interop.conll import TokenAlignmentError, TokenisedDocument, tokenised
from chronique.schema import COARSE_OF_FINE

spacy = import_spacy("the spaCy DocBin export")
from spacy.tokens import Doc, DocBin, Span  # noqa: E402  (only once spaCy is known to import)
from spacy.vocab import Vocab  # noqa: E402

SPANS_KEY = "sc"
METONYMIC_KEY = "metonymic"


def _words_and_spaces(document: TokenisedDocument) -> tuple[list[str], list[bool], list[bool]]:
    """spaCy's ``words``, ``spaces`` and ``sent_starts`` for the document's tokens.

    A gap of one space is the previous token's trailing space; any other whitespace gap
    (``"\\n\\n"`` between paragraphs) is kept as a token of its own.
    """
    text = document.text
    tokens = [(t, index == 0) for sentence in document.sentences for index, t in enumerate(sentence)]
    words, spaces, starts = [], [], []
    for position, (token, starts_sentence) in enumerate(tokens):
        following = tokens[position + 1][0].start if position + 1 < len(tokens) else token.end
        gap = text[token.end : following]
        if gap.strip():
            raise TokenAlignmentError(f"{document.doc_id}: text {gap[:20]!r} at {token.end} lies outside every token")
        trailing_space = gap.startswith(" ")
        words.append(text[token.start : token.end])
        spaces.append(trailing_space)
        starts.append(starts_sentence)
        rest = gap[1:] if trailing_space else gap
        if rest:
            words.append(rest)
            spaces.append(False)
            starts.append(False)
    return words, spaces, starts


def _char_span(doc: Doc, base: int, doc_id: str, start: int, end: int, label: str) -> Span:
    span = doc.char_span(start - base, end - base, label=label)
    if span is None:
        raise TokenAlignmentError(f"{doc_id}: mention {start}–{end} is not on token edges")
    return span


def to_spacy_doc(row: dict, vocab: Vocab, *, coarse: bool = False) -> Doc:
    """One Doc of a ``documents`` row: our tokens, sentences, mentions as spans and outermost ones as ``doc.ents``."""
    document = tokenised(row)
    words, spaces, starts = _words_and_spaces(document)
    doc = Doc(vocab, words=words, spaces=spaces, sent_starts=starts or None)
    base = document.sentences[0][0].start if words else 0
    spans, metonymic, entities = [], [], []
    for mention in sorted(row["mentions"], key=lambda m: (m["start"], -m["end"])):
        label = COARSE_OF_FINE[mention["type"]] if coarse else mention["type"]
        if label is None:
            continue
        span = _char_span(doc, base, document.doc_id, mention["start"], mention["end"], label)
        spans.append(span)
        if mention["metonymic"]:
            metonymic.append(span)
        if mention["parent_id"] is None:
            entities.append(span)
    doc.spans[SPANS_KEY] = spans
    doc.spans[METONYMIC_KEY] = metonymic
    doc.ents = entities
    return doc


def export_docbin(documents: Iterable[dict], out_path: Path, *, lang: str = "fr", coarse: bool = False) -> Path:
    """Write the ``documents`` rows as a spaCy DocBin to ``out_path`` (``.spacy``) and return it.

    ``lang`` chooses the vocabulary the Docs are made with; fine labels unless ``coarse``.
    """
    vocab = spacy.blank(lang).vocab
    docs = [to_spacy_doc(row, vocab, coarse=coarse) for row in documents]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(out_path)
    return out_path


def export_docbin_folder(documents: Iterable[dict], out_dir: Path, *, lang: str = "fr", coarse: bool = False,
                         name: str = "chronique") -> list[Path]:
    """:func:`export_docbin` in the exporter contract: ``out_dir/<name>.<fine|coarse>.spacy``.

    ``chronique export docbin`` calls it once per split with the split as ``name``
    (``train.fine.spacy``, ``validation.fine.spacy``, …).
    """
    return [export_docbin(documents, Path(out_dir) / f"{name}.{'coarse' if coarse else 'fine'}.spacy", lang=lang,
                          coarse=coarse)]
