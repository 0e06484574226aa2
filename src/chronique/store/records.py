"""The records that pipeline steps exchange, defined once.

Offsets everywhere are Unicode code points into the *normalised* text,
half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

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
    sentences: tuple[Sentence, ...]
    annotation: Annotation | None
    split: str
    provenance: Provenance
    language: str = "fr"
    origin: str | None = None
    beat: str | None = None
    domain: str | None = None
    genre: str | None = None
    forced_cuts: tuple[int, ...] = ()  # where an annotated span had to split a token of the plain tokenisation

    @property
    def status(self) -> Status:
        return self.annotation.provenance.status if self.annotation else "unannotated"
