"""Rows of the three configs, derived from one :class:`Document`.

``ROW_BUILDERS`` maps a config name to ``document -> Iterator[dict]``; rows come in
a fixed order and match :data:`chronique.schema.FEATURES` (ClassLabels as ints).
"""

from __future__ import annotations

import bisect
from typing import Callable, Iterator

from chronique.records import Document, Mention, Quote, Sentence
from chronique.schema import COARSE_NER_LABELS, COARSE_OF_FINE, FINE_NER_LABELS, POLARITIES

_FINE_INDEX = {label: i for i, label in enumerate(FINE_NER_LABELS)}
_COARSE_INDEX = {label: i for i, label in enumerate(COARSE_NER_LABELS)}
AUTHOR = "AUTHOR"


def _quote_row(text: str, quote: Quote) -> dict:
    return {"start": quote.start, "end": quote.end, "text": text[quote.start : quote.end]}


def document_row(document: Document) -> dict:
    annotation = document.annotation
    mentions = annotation.mentions if annotation else ()
    prov = document.provenance
    return {
        "doc_id": document.doc_id,
        "date": document.date,
        "language": document.language,
        "title": document.title,
        "source": document.source,
        "url": document.url,
        "license": document.license,
        "text": document.text,
        "text_sha256": document.text_sha256,
        "paragraphs": [{"start": p.start, "end": p.end, "kind": p.kind} for p in document.paragraphs],
        "sentences": [{"start": s.start, "end": s.end} for s in document.sentences],
        "mentions": [
            {"id": m.id, "start": m.start, "end": m.end, "text": document.text[m.start : m.end], "type": m.type,
             "coarse_type": COARSE_OF_FINE[m.type], "entity_id": m.entity_id, "parent_id": m.parent_id,
             "metonymic": m.metonymic}
            for m in mentions
        ],
        "entities": [{"id": e.id, "name": e.name, "type": e.type, "qid": e.qid} for e in (annotation.entities if annotation else ())],
        "stances": [
            {"id": s.id, "holder": s.holder, "target": s.target, "target_kind": s.target_kind, "polarity": s.polarity,
             "evidence": [_quote_row(document.text, q) for q in s.evidence], "scope": s.scope, "reported": s.reported}
            for s in (annotation.stances if annotation else ())
        ],
        "annotation_status": document.status,
        "annotators": list(annotation.provenance.annotators) if annotation else [],
        "guidelines_version": annotation.provenance.guidelines_version if annotation else None,
        "provenance": {"raw_path": prov.raw_path, "raw_line": prov.raw_line, "raw_sha256": prov.raw_sha256,
                       "text_sha256": prov.text_sha256, "reader": prov.reader},
    }


def outermost(mentions: tuple[Mention, ...]) -> list[Mention]:
    """Mentions without a parent, in text order: the ones the token-level view tags."""
    return sorted((m for m in mentions if m.parent_id is None), key=lambda m: (m.start, -m.end))


def iob2_tags(sentence: Sentence, mentions: list[Mention]) -> tuple[list[str], list[str]]:
    """Fine and coarse IOB2 tags of a sentence's tokens for the given (non-overlapping) mentions."""
    starts = [t.start for t in sentence.tokens]
    fine = ["O"] * len(starts)
    coarse = ["O"] * len(starts)
    for mention in mentions:
        if mention.end <= sentence.start or mention.start >= sentence.end:
            continue
        first = bisect.bisect_left(starts, mention.start)
        last = bisect.bisect_left(starts, mention.end)
        coarse_type = COARSE_OF_FINE[mention.type]
        for position in range(first, last):
            prefix = "B" if position == first else "I"
            fine[position] = f"{prefix}-{mention.type}"
            if coarse_type:
                coarse[position] = f"{prefix}-{coarse_type}"
    return fine, coarse


def ner_rows(document: Document) -> Iterator[dict]:
    mentions = outermost(document.annotation.mentions) if document.annotation else []
    text = document.text
    for index, sentence in enumerate(document.sentences):
        fine, coarse = iob2_tags(sentence, mentions)
        yield {
            "id": f"{document.doc_id}-{index:04d}",
            "doc_id": document.doc_id,
            "sentence_index": index,
            "tokens": [text[t.start : t.end] for t in sentence.tokens],
            "ner_tags": [_FINE_INDEX[tag] for tag in fine],
            "coarse_ner_tags": [_COARSE_INDEX[tag] for tag in coarse],
            "token_offsets": [{"start": t.start, "end": t.end} for t in sentence.tokens],
        }


def evidence_context(document: Document, evidence: tuple[Quote, ...]) -> str:
    """The sentences that contain the evidence, in text order; non-adjacent ones joined by `` […] ``."""
    starts = [s.start for s in document.sentences]
    chosen = sorted({max(0, bisect.bisect_right(starts, q.start) - 1) for q in evidence})
    pieces = []
    for position, index in enumerate(chosen):
        sentence = document.sentences[index]
        if position and index != chosen[position - 1] + 1:
            pieces.append(" […] ")
        elif position:
            pieces.append(" ")
        pieces.append(document.text[sentence.start : sentence.end])
    return "".join(pieces)


def stance_rows(document: Document) -> Iterator[dict]:
    if document.annotation is None:
        return
    names = {e.id: e.name for e in document.annotation.entities}
    for stance in document.annotation.stances:
        target_is_entity = stance.target_kind == "entity"
        yield {
            "id": f"{document.doc_id}-{stance.id}",
            "doc_id": document.doc_id,
            "holder": AUTHOR if stance.holder == AUTHOR else names[stance.holder],
            "holder_id": stance.holder,
            "target": names[stance.target] if target_is_entity else stance.target,
            "target_id": stance.target if target_is_entity else None,
            "target_kind": stance.target_kind,
            "text": evidence_context(document, stance.evidence),
            "evidence": [_quote_row(document.text, q) for q in stance.evidence],
            "label": POLARITIES.index(stance.polarity),
            "scope": stance.scope,
            "reported": stance.reported,
        }


ROW_BUILDERS: dict[str, Callable[[Document], Iterator[dict]]] = {
    "documents": lambda document: iter([document_row(document)]),
    "ner": ner_rows,
    "stance": stance_rows,
}
