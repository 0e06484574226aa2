"""From a raw article (and its annotation) to a segmented :class:`Document`."""

from __future__ import annotations

import hashlib

from chronique.text.normalize import normalize_text, segment_paragraphs
from chronique.store.paths import is_safe_name
from chronique.store.records import Annotation, Document, Provenance, RawArticle
from chronique.text.segment import segment_sentences


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
    text = normalize_text(raw.body)
    text_sha256 = sha256_text(text)
    paragraphs = segment_paragraphs(text)
    forced: list[int] = []
    sentences = segment_sentences(text, paragraphs, annotated_spans(annotation, len(text)), forced)
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
        sentences=sentences,
        annotation=annotation,
        split=split,
        provenance=Provenance(raw.path, raw.line, raw.raw_sha256, text_sha256, raw.reader),
        forced_cuts=tuple(sorted(set(forced))),
    )
