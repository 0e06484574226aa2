"""Tag sequences ↔ token spans for the schemes ``iob2``, ``iob1`` and ``iobes``.

One decoder serves the scorer (:mod:`chronique.evaluation.metrics`) and the token formats
(:mod:`chronique.interop.conll`, :mod:`chronique.interop.hipe`), so an entity means the same
thing whether a file is imported or scored. :func:`spans_from_tags` decodes,
:func:`tags_from_spans` encodes, :func:`parse_tag` checks one tag against a scheme.

Decoding rule
-------------
- ``O`` is outside an entity; so are ``_``, ``-`` and the empty string, which token columns
  use for "not applicable". The decoder does not check tags against the scheme (readers do,
  with :func:`parse_tag`): in ``iob2`` and ``iob1`` an ``E-`` reads as ``I-`` and an ``S-`` as ``B-``.
- ``B-X`` (and ``S-X``) always starts a new entity. In IOB1 it is only *required* between two
  adjacent entities of one type, but where it appears elsewhere it means the same thing.
- ``I-X`` continues an open ``X`` entity; in IOBES ``E-X`` continues and closes it, and
  ``S-X`` is a closed one-token entity.
- An ``I-X`` or ``E-X`` that continues nothing (first tag, after ``O``, after another type,
  after a closed entity) is *ill-formed*. With ``ill_formed="begin"`` it starts a new ``X``
  entity, as conlleval, the HIPE scorer and seqeval's default mode do; in IOBES a stray
  ``E-X`` is thus a closed one-token entity. With ``"drop"`` it, and the tags that continue
  it, are ignored, as seqeval's strict mode does. In ``iob1`` an entity may start with
  ``I-``, so nothing is ill-formed there.
- An entity that is never closed (IOBES ``B-X`` or ``I-X`` not followed by ``E-X``) ends at
  the first tag that does not continue it, and is kept under both policies.

With this rule IOB1 and IOB2 decode identically except under ``"drop"``; they differ in encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from chronique.errors import UsageError

TAG_SCHEMES = {"iob2": "BI", "iob1": "BI", "iobes": "BIES"}
"""Tagging scheme → the prefixes it allows besides ``O``."""

IllFormed = Literal["begin", "drop"]
ILL_FORMED_POLICIES: tuple[IllFormed, ...] = ("begin", "drop")
_OUTSIDE = frozenset({"O", "_", "", "-"})


@dataclass(frozen=True, slots=True)
class TagSpan:
    """Tokens ``[start, end)`` of one sentence or document labelled ``label``."""

    start: int
    end: int
    label: str


def check_scheme(scheme: str) -> str:
    """The prefixes ``scheme`` allows; :class:`UsageError` for an unknown scheme."""
    if scheme not in TAG_SCHEMES:
        raise UsageError(f"unknown tagging scheme {scheme!r}; known: {', '.join(TAG_SCHEMES)}")
    return TAG_SCHEMES[scheme]


def parse_tag(tag: str, scheme: str = "iob2") -> tuple[str, str | None]:
    """``"B-PER"`` → ``("B", "PER")``, ``"O"`` → ``("O", None)``; ValueError for a tag the scheme does not allow."""
    prefixes = check_scheme(scheme)
    if tag == "O":
        return "O", None
    prefix, dash, label = tag.partition("-")
    if dash and label and len(prefix) == 1 and prefix in prefixes:
        return prefix, label
    raise ValueError(f"tag {tag!r} is neither O nor {'/'.join(prefixes)}-<type> ({scheme})")


def _split_tag(tag: str) -> tuple[str, str | None]:
    """Prefix and label without checking them: ``"I-LOC"`` → ``("I", "LOC")``, ``"_"`` → ``("O", None)``."""
    if tag in _OUTSIDE:
        return "O", None
    prefix, _, label = tag.partition("-")
    return prefix, label


def spans_from_tags(tags: Sequence[str], scheme: str = "iob2", ill_formed: IllFormed = "begin") -> list[TagSpan]:
    """Entities of a tag sequence, in order, following the decoding rule of the module docstring.

    >>> spans_from_tags(["B-PER", "I-PER", "O", "I-LOC", "I-ORG"])
    [TagSpan(start=0, end=2, label='PER'), TagSpan(start=3, end=4, label='LOC'), TagSpan(start=4, end=5, label='ORG')]
    >>> spans_from_tags(["O", "E-PER", "I-PER"], "iobes", ill_formed="drop")
    []
    """
    check_scheme(scheme)
    if ill_formed not in ILL_FORMED_POLICIES:
        raise UsageError(f"unknown ill-formed policy {ill_formed!r}; known: {', '.join(ILL_FORMED_POLICIES)}")
    spans: list[TagSpan] = []
    label, start, keep, closed = None, 0, False, False  # the entity being read, if any
    for position, tag in enumerate([*tags, "O"]):
        prefix, tag_label = _split_tag(tag)
        if label is not None and tag_label == label and not closed and prefix in ("I", "E"):
            closed = scheme == "iobes" and prefix == "E"
            continue
        if label is not None and keep:
            spans.append(TagSpan(start, position, label))
        label = None
        if prefix != "O":
            label, start = tag_label, position
            closed = scheme == "iobes" and prefix in ("E", "S")
            keep = prefix in ("B", "S") or scheme == "iob1" or ill_formed == "begin"
    return spans


def decode_tags(tags: Sequence[str], scheme: str = "iob2", ill_formed: IllFormed = "begin") -> list[tuple[str, int, int]]:
    """:func:`spans_from_tags` as the scorer's entities ``(type, start, end)``, ``end`` exclusive.

    >>> decode_tags(["B-PER", "I-PER", "O", "I-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4)]
    >>> decode_tags(["B-PER", "I-PER", "O", "I-LOC"], ill_formed="drop")
    [('PER', 0, 2)]
    """
    return [(span.label, span.start, span.end) for span in spans_from_tags(tags, scheme, ill_formed)]


def tags_from_spans(spans: Iterable[TagSpan], length: int, scheme: str = "iob2") -> list[str]:
    """Well-formed tags for ``length`` tokens; spans must not overlap (ValueError otherwise).

    IOB1 writes ``B-`` only on an entity that directly follows one of the same type.
    """
    check_scheme(scheme)
    tags = ["O"] * length
    previous = None
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if not 0 <= span.start < span.end <= length or (previous and span.start < previous.end):
            raise ValueError(f"span {span} is empty, out of 0–{length} or overlaps {previous}")
        first = _first_prefix(span, previous, scheme)
        tags[span.start : span.end] = [f"{first}-{span.label}"] + [f"I-{span.label}"] * (span.end - span.start - 1)
        if scheme == "iobes" and span.end - span.start > 1:
            tags[span.end - 1] = f"E-{span.label}"
        previous = span
    return tags


def _first_prefix(span: TagSpan, previous: TagSpan | None, scheme: str) -> str:
    if scheme == "iob1":
        adjacent_same = previous is not None and previous.end == span.start and previous.label == span.label
        return "B" if adjacent_same else "I"
    if scheme == "iobes" and span.end - span.start == 1:
        return "S"
    return "B"
