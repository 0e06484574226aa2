"""spaCy DocBin export: our tokens and outermost mentions, ready for ``spacy train``.

Each ``documents`` row becomes one :class:`spacy.tokens.Doc` built from our token offsets
(not spaCy's tokenizer), so entity edges always fall on token edges. Whitespace that is
not a single space (paragraph breaks) becomes a whitespace token, as spaCy's own
tokenizer does, so ``doc.text`` is exactly the document's text and ``doc.ents`` have our
character offsets. Sentence starts are set from our sentences.

A DocBin carries one flat layer of entities: no nesting, entity clusters, QIDs,
metonymy or stances.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import spacy
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from chronique.interop.conll import TokenAlignmentError, TokenisedDocument, tokenised


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


def to_spacy_doc(document: TokenisedDocument, vocab: Vocab, *, coarse: bool = False) -> Doc:
    """One Doc with our tokens and the outermost mentions as ``doc.ents`` (fine, or coarse types without DATE)."""
    words, spaces, starts = _words_and_spaces(document)
    doc = Doc(vocab, words=words, spaces=spaces, sent_starts=starts or None)
    base = document.sentences[0][0].start if words else 0
    entities = []
    for mention in document.outermost:
        label = mention.coarse if coarse else mention.type
        if label is None:
            continue
        span = doc.char_span(mention.start - base, mention.end - base, label=label)
        if span is None:
            raise TokenAlignmentError(f"{document.doc_id}: mention {mention.start}–{mention.end} "
                                      "is not on token edges")
        entities.append(span)
    doc.ents = entities
    return doc


def export_docbin(documents: Iterable[dict], out_path: Path, *, lang: str = "fr", coarse: bool = False) -> Path:
    """Write the ``documents`` rows as a spaCy DocBin to ``out_path`` (``.spacy``) and return it.

    ``lang`` chooses the vocabulary the Docs are made with; fine labels unless ``coarse``.
    """
    vocab = spacy.blank(lang).vocab
    docs = [to_spacy_doc(tokenised(row), vocab, coarse=coarse) for row in documents]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(out_path)
    return out_path


def export_docbin_folder(documents: Iterable[dict], out_dir: Path, *, lang: str = "fr", coarse: bool = False,
                         name: str = "chronique") -> list[Path]:
    """:func:`export_docbin` in the exporter contract: ``out_dir/<name>.<fine|coarse>.spacy``."""
    return [export_docbin(documents, Path(out_dir) / f"{name}.{'coarse' if coarse else 'fine'}.spacy", lang=lang,
                          coarse=coarse)]
