"""Rows of the three configs, derived from one :class:`Document`.

:class:`SplitBatches` gathers them per split as Arrow tables; rows come in a fixed order and
match :data:`chronique.schema.FEATURES` (ClassLabels as ints).
"""

from __future__ import annotations

import bisect
from typing import Iterator

import numpy as np
import pyarrow as pa

from chronique.store.records import Document, Mention, Quote, Sentence
from chronique.schema import AUTHOR, COARSE_NER_LABELS, COARSE_OF_FINE, DOCUMENTS, FINE_NER_LABELS, NER, POLARITIES, STANCE

_FINE_INDEX = {label: i for i, label in enumerate(FINE_NER_LABELS)}
_COARSE_INDEX = {label: i for i, label in enumerate(COARSE_NER_LABELS)}


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
        "origin": document.origin,
        "beat": document.beat,
        "domain": document.domain,
        "genre": document.genre,
        "text": document.text,
        "text_sha256": document.text_sha256,
        "paragraphs": [{"start": p.start, "end": p.end, "kind": p.kind} for p in document.paragraphs],
        "sentences": [{"start": start, "end": end} for start, end in document.segmentation.sentence_bounds()],
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
    fine_ids, coarse_ids = tag_ids(np.array([t.start for t in sentence.tokens], dtype=np.int64), mentions)
    return [FINE_NER_LABELS[i] for i in fine_ids.tolist()], [COARSE_NER_LABELS[i] for i in coarse_ids.tolist()]


def tag_ids(token_starts: np.ndarray, mentions: list[Mention]) -> tuple[np.ndarray, np.ndarray]:
    """Fine and coarse IOB2 label ids (int64 arrays) of the tokens starting at ``token_starts`` (in text
    order), for non-overlapping mentions: a mention tags the tokens that start inside it."""
    fine = np.zeros(len(token_starts), dtype=np.int64)
    coarse = np.zeros(len(token_starts), dtype=np.int64)
    if not mentions:
        return fine, coarse
    firsts = np.searchsorted(token_starts, [m.start for m in mentions], side="left").tolist()
    lasts = np.searchsorted(token_starts, [m.end for m in mentions], side="left").tolist()
    for mention, first, last in zip(mentions, firsts, lasts):
        if first >= last:
            continue
        fine[first] = _FINE_INDEX[f"B-{mention.type}"]
        fine[first + 1 : last] = _FINE_INDEX[f"I-{mention.type}"]
        coarse_type = COARSE_OF_FINE[mention.type]
        if coarse_type:
            coarse[first] = _COARSE_INDEX[f"B-{coarse_type}"]
            coarse[first + 1 : last] = _COARSE_INDEX[f"I-{coarse_type}"]
    return fine, coarse


class NerColumns:
    """The ``ner`` rows of many documents, accumulated as flat columns and turned into one Arrow table.

    Token-level columns are kept as each document's arrays (offsets, label ids) and strings,
    joined once per table, so that no Python object is made per token.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.doc_ids: list[str] = []
        self.indexes: list[int] = []
        self.sentence_starts: list[int] = []
        self.texts: list[str] = []
        self.sizes: list[np.ndarray] = []
        self.tokens: list[str] = []
        self.fine: list[np.ndarray] = []
        self.coarse: list[np.ndarray] = []
        self.starts: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, document: Document) -> None:
        text, segmentation = document.text, document.segmentation
        mentions = outermost(document.annotation.mentions) if document.annotation else []
        fine, coarse = tag_ids(segmentation.token_starts, mentions)
        self.fine.append(fine)
        self.coarse.append(coarse)
        self.tokens += segmentation.token_texts
        self.starts.append(segmentation.token_starts)
        self.ends.append(segmentation.token_ends)
        self.sizes.append(np.diff(segmentation.sentence_firsts))
        doc_id = document.doc_id
        for index, (start, end) in enumerate(segmentation.sentence_bounds()):
            self.ids.append(f"{doc_id}-{index:04d}")
            self.doc_ids.append(doc_id)
            self.indexes.append(index)
            self.sentence_starts.append(start)
            self.texts.append(text[start:end])

    def to_table(self) -> pa.Table:
        joined = lambda arrays, kind: np.concatenate(arrays).astype(kind) if arrays else np.zeros(0, kind)  # noqa: E731
        offsets = pa.array(np.concatenate([[0], np.cumsum(joined(self.sizes, np.int64))]).astype(np.int32))
        lists = lambda values: pa.ListArray.from_arrays(offsets, values)  # noqa: E731
        spans = pa.StructArray.from_arrays([pa.array(joined(self.starts, np.int32)), pa.array(joined(self.ends, np.int32))],
                                           names=["start", "end"])
        columns = [pa.array(self.ids, pa.string()), pa.array(self.doc_ids, pa.string()), pa.array(self.indexes, pa.int32()),
                   pa.array(self.sentence_starts, pa.int32()), pa.array(self.texts, pa.string()),
                   lists(pa.array(self.tokens, pa.string())), lists(pa.array(joined(self.fine, np.int64))),
                   lists(pa.array(joined(self.coarse, np.int64))), lists(spans)]
        return pa.Table.from_arrays(columns, schema=NER.arrow_schema)


def evidence_context(document: Document, evidence: tuple[Quote, ...]) -> tuple[str, int]:
    """The document text from the first to the last sentence that holds evidence, and where it starts.

    It is one contiguous slice, so that ``text[ev.start - start : ev.end - start]`` is each evidence span."""
    bounds = document.segmentation.sentence_bounds()
    starts = [start for start, _ in bounds]
    first = bounds[max(0, bisect.bisect_right(starts, min(q.start for q in evidence)) - 1)]
    last = bounds[max(0, bisect.bisect_right(starts, max(q.end for q in evidence) - 1) - 1)]
    return document.text[first[0] : max(last[1], max(q.end for q in evidence))], first[0]


def stance_rows(document: Document) -> Iterator[dict]:
    if document.annotation is None:
        return
    names = {e.id: e.name for e in document.annotation.entities}
    for stance in document.annotation.stances:
        target_is_entity = stance.target_kind == "entity"
        context, context_start = evidence_context(document, stance.evidence)
        yield {
            "id": f"{document.doc_id}-{stance.id}",
            "doc_id": document.doc_id,
            "holder": AUTHOR if stance.holder == AUTHOR else names[stance.holder],
            "holder_id": stance.holder,
            "target": names[stance.target] if target_is_entity else stance.target,
            "target_id": stance.target if target_is_entity else None,
            "target_kind": stance.target_kind,
            "text": context,
            "text_start": context_start,
            "evidence": [_quote_row(document.text, q) for q in stance.evidence],
            "label": POLARITIES.index(stance.polarity),
            "scope": stance.scope,
            "reported": stance.reported,
        }


class SplitBatches:
    """The rows of one split, gathered document by document and handed over as Arrow tables in batches."""

    def __init__(self, batch_documents: int = 1_000) -> None:
        self.batch_documents = batch_documents
        self._reset()

    def _reset(self) -> None:
        self.documents: list[dict] = []
        self.stances: list[dict] = []
        self.ner = NerColumns()

    def add(self, document: Document) -> bool:
        """Add a document; True when the batch is full and should be taken."""
        self.documents.append(document_row(document))
        self.stances.extend(stance_rows(document))
        self.ner.add(document)
        return len(self.documents) >= self.batch_documents

    def take(self) -> dict[str, pa.Table]:
        """The batch's tables by config, then an empty batch."""
        tables = {
            "documents": pa.Table.from_pylist(self.documents, schema=DOCUMENTS.arrow_schema),
            "ner": self.ner.to_table(),
            "stance": pa.Table.from_pylist(self.stances, schema=STANCE.arrow_schema),
        }
        self._reset()
        return tables
