"""The records that pipeline steps exchange, defined once.

Offsets everywhere are Unicode code points into the *normalised* text,
half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Literal, NamedTuple

import numpy as np

ParagraphKind = Literal["heading", "body"]
Status = Literal["gold", "silver", "unannotated"]


@dataclass(frozen=True, slots=True)
class RawArticle:
    """An article as a reader found it, before normalisation."""

    doc_id: str
    date: str
    body: str
    path: str
    line: int
    raw_sha256: str
    reader: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    license: str | None = None
    origin: str | None = None  # "published" or "composed"
    beat: str | None = None
    domain: str | None = None
    genre: str | None = None


class Span(NamedTuple):
    """A token or span ``[start, end)``; a named tuple because the build makes millions of them."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    start: int
    end: int
    kind: ParagraphKind


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    tokens: tuple[Span, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Segmentation:
    """A document's tokens and sentences, held as offset arrays rather than one object per token.

    ``token_starts``/``token_ends`` are int64 code-point offsets in text order and
    ``token_texts`` the tokens' strings; ``sentence_firsts`` holds the index of each sentence's
    first token followed by the number of tokens, so sentence ``k`` is tokens
    ``sentence_firsts[k]:sentence_firsts[k + 1]``. ``forced`` lists the offsets where an
    annotated span had to split a token of the plain tokenisation.
    """

    token_starts: np.ndarray
    token_ends: np.ndarray
    token_texts: list[str]
    sentence_firsts: np.ndarray
    forced: tuple[int, ...] = ()

    @property
    def token_count(self) -> int:
        return len(self.token_starts)

    @property
    def sentence_count(self) -> int:
        return len(self.sentence_firsts) - 1

    def sentence_bounds(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each sentence, as Python ints."""
        firsts = self.sentence_firsts
        if len(firsts) < 2:
            return []
        return list(zip(self.token_starts[firsts[:-1]].tolist(), self.token_ends[firsts[1:] - 1].tolist()))

    def sentences(self) -> tuple[Sentence, ...]:
        """The sentences as records, each with its token spans (for callers that want objects, not arrays)."""
        spans = list(map(tuple.__new__, repeat(Span), zip(self.token_starts.tolist(), self.token_ends.tolist())))
        firsts = self.sentence_firsts.tolist()
        return tuple(Sentence(start, end, tuple(spans[a:b]))
                     for (start, end), a, b in zip(self.sentence_bounds(), firsts, firsts[1:]))


@dataclass(frozen=True, slots=True)
class Quote:
    """A span with its W3C TextQuoteSelector (exact text plus up to 32 characters each side)."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Mention:
    id: str
    anchor: Quote
    type: str
    entity_id: str | None
    parent_id: str | None
    metonymic: bool

    @property
    def start(self) -> int:
        return self.anchor.start

    @property
    def end(self) -> int:
        return self.anchor.end


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    type: str
    qid: str | None


@dataclass(frozen=True, slots=True)
class Stance:
    id: str
    holder: str
    target: str
    target_kind: Literal["entity", "topic"]
    polarity: str
    evidence: tuple[Quote, ...]
    scope: Literal["sentence", "paragraph", "document"]
    reported: bool


@dataclass(frozen=True, slots=True)
class AnnotationProvenance:
    status: Literal["gold", "silver"]
    annotators: tuple[str, ...]
    guidelines_version: str
    tool: str
    date: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Annotation:
    """The contents of one ``annotations/<doc_id>.json`` file."""

    doc_id: str
    text_sha256: str
    provenance: AnnotationProvenance
    mentions: tuple[Mention, ...]
    entities: tuple[Entity, ...]
    stances: tuple[Stance, ...]
    path: str


@dataclass(frozen=True, slots=True)
class Provenance:
    raw_path: str
    raw_line: int
    raw_sha256: str
    text_sha256: str
    reader: str


@dataclass(frozen=True, slots=True)
class Document:
    """A normalised, segmented article with its annotations and split."""

    doc_id: str
    date: str
    title: str | None
    source: str | None
    url: str | None
    license: str | None
    text: str
    text_sha256: str
    paragraphs: tuple[Paragraph, ...]
    segmentation: Segmentation
    annotation: Annotation | None
    split: str
    provenance: Provenance
    language: str = "fr"
    origin: str | None = None
    beat: str | None = None
    domain: str | None = None
    genre: str | None = None

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """The sentences as records; the build itself reads :attr:`segmentation`'s arrays."""
        return self.segmentation.sentences()

    @property
    def forced_cuts(self) -> tuple[int, ...]:
        """Where an annotated span had to split a token of the plain tokenisation."""
        return self.segmentation.forced

    @property
    def status(self) -> Status:
        return self.annotation.provenance.status if self.annotation else "unannotated"
