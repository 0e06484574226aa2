"""From a raw article (and its annotation) to a segmented :class:`Document`."""

from __future__ import annotations

import hashlib
from typing import Sequence

from chronique.text.normalize import normalize_text, segment_paragraphs
from chronique.store.paths import is_safe_name
from chronique.store.records import Annotation, Document, Paragraph, Provenance, RawArticle, Segmentation
from chronique.text.segment import segment_many


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_safe_id(doc_id: str) -> bool:
    """Ids become file names, so they follow :func:`chronique.store.paths.is_safe_name` (device names refused too)."""
    return is_safe_name(doc_id)


def annotated_spans(annotation: Annotation | None, text_length: int) -> list[tuple[int, int]]:
    """The in-range spans of an annotation (mentions and stance evidence) that segmentation must respect."""
    if annotation is None:
        return []
    spans = [(m.start, m.end) for m in annotation.mentions]
    spans += [(q.start, q.end) for s in annotation.stances for q in s.evidence]
    return [(s, e) for s, e in spans if 0 <= s < e <= text_length]


def make_document(raw: RawArticle, annotation: Annotation | None, split: str) -> Document:
    """Normalise, segment and attach the annotation. Anchors are checked elsewhere."""
    return make_documents([(raw, annotation, split)])[0]


def make_documents(items: Sequence[tuple[RawArticle, Annotation | None, str]]) -> list[Document]:
    """:func:`make_document` of each ``(article, annotation, split)``, segmented together (:func:`segment_many`)."""
    texts = [normalize_text(raw.body) for raw, _, _ in items]
    paragraphs = [segment_paragraphs(text) for text in texts]
    segmentations = segment_many([(text, pars, annotated_spans(annotation, len(text)))
                                  for text, pars, (_, annotation, _) in zip(texts, paragraphs, items)])
    return [_document(raw, annotation, split, text, pars, segmentation)
            for (raw, annotation, split), text, pars, segmentation in zip(items, texts, paragraphs, segmentations)]


def _document(raw: RawArticle, annotation: Annotation | None, split: str, text: str,
              paragraphs: tuple[Paragraph, ...], segmentation: Segmentation) -> Document:
    text_sha256 = sha256_text(text)
    return Document(
        doc_id=raw.doc_id,
        date=raw.date,
        title=raw.title,
        source=raw.source,
        url=raw.url,
        license=raw.license,
        origin=raw.origin,
        beat=raw.beat,
        domain=raw.domain,
        genre=raw.genre,
        text=text,
        text_sha256=text_sha256,
        paragraphs=paragraphs,
        segmentation=segmentation,
        annotation=annotation,
        split=split,
        provenance=Provenance(raw.path, raw.line, raw.raw_sha256, text_sha256, raw.reader),
    )
