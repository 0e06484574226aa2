"""French-aware sentence and token segmentation with code-point offsets.

Token rules, tried in this order at each position:

- ``aujourd'hui`` and its like are one token;
- an elided word (``l'``, ``d'``, ``qu'``, ``jusqu'``…) before a letter is a token
  of its own, apostrophe included: ``l'Azerbaïdjan`` → ``l'`` + ``Azerbaïdjan``;
- abbreviations with their period (``M.``, ``Mme.``, ``etc.``, ``U.S.A.``);
- numbers with inner separators (``1,5``, ``3.000``);
- words: letters and digits, joined by inner hyphens (``Haut-Karabagh``, ``Etats-Unis``);
- ``...`` and every other non-space character as a token of its own (``«Vladimir`` → ``«`` + ``Vladimir``).

Annotated spans must fall on token boundaries: callers pass their boundaries and
the tokeniser splits any token that straddles one. Sentences never cross a paragraph,
and two sentences are merged when an annotated span crosses the boundary between them.
"""

from __future__ import annotations

import re
from typing import Iterable

from chronique.records import Paragraph, Sentence, Span

_APOSTROPHE = "'’"
_LETTER = r"[^\W\d_]"
_ALNUM = r"[^\W_]"
_TOKEN = re.compile(
    rf"""
    (?P<fixed>[Aa]ujourd[{_APOSTROPHE}]hui|[Pp]rud[{_APOSTROPHE}]hom\w*)
  | (?P<elision>(?:[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[Qq]uoiqu|[Qq]u|[CcDdJjLlMmNnSsTt])[{_APOSTROPHE}])(?={_LETTER})
  | (?P<abbrev>(?:(?:Mmes|Mme|Mlles|Mlle|MM|Mgr|Dr|Pr|Me|St|Ste|M|cf|etc|env|av|apr|art|vol|éd)\.)(?!{_ALNUM})
               |(?:[A-Z]\.){{2,}})
  | (?P<number>\d+(?:[.,]\d+)+)
  | (?P<word>{_ALNUM}+(?:[-‐]{_ALNUM}+)*)
  | (?P<ellipsis>\.\.\.)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)

_SENTENCE_FINAL = frozenset({".", "!", "?", "…", "..."})
_CLOSING = frozenset({"»", "”", '"', ")", "]"})
_OPENING = frozenset({"«", "“", '"', "(", "[", "—", "–", "-"})


def tokenize(text: str, start: int = 0, end: int | None = None, boundaries: Iterable[int] = (),
             forced: list[int] | None = None) -> list[Span]:
    """Token spans of ``text[start:end]``, split wherever a boundary falls inside a token.

    The offsets where a boundary had to split a token are appended to ``forced`` when given.

    >>> [(s.start, s.end) for s in tokenize("l'OSCE")]
    [(0, 2), (2, 6)]
    """
    end = len(text) if end is None else end
    cuts = sorted(b for b in set(boundaries) if start < b < end)
    spans: list[Span] = []
    if not cuts:
        return [Span(*m.span()) for m in _TOKEN.finditer(text, start, end)]
    position, count = 0, len(cuts)
    for match in _TOKEN.finditer(text, start, end):
        a, b = match.span()
        while position < count and cuts[position] <= a:
            position += 1
        if position == count or cuts[position] >= b:
            spans.append(Span(a, b))
            continue
        edges = [a]
        while position < count and cuts[position] < b:
            edges.append(cuts[position])
            position += 1
        edges.append(b)
        spans.extend(Span(x, y) for x, y in zip(edges, edges[1:]))
        if forced is not None:
            forced.extend(edges[1:-1])
    return spans


def _sentence_breaks(text: str, tokens: list[Span]) -> list[int]:
    """Indices of the tokens that start a new sentence (never 0)."""
    breaks = []
    i = 0
    while i < len(tokens):
        if text[tokens[i].start : tokens[i].end] in _SENTENCE_FINAL:
            j = i + 1
            while j < len(tokens) and text[tokens[j].start : tokens[j].end] in _CLOSING:
                j += 1
            if j < len(tokens) and _can_open_sentence(text[tokens[j].start : tokens[j].end]):
                breaks.append(j)
            i = j
        else:
            i += 1
    return breaks


def _can_open_sentence(token: str) -> bool:
    return token[0].isupper() or token[0].isdigit() or token in _OPENING


def segment_sentences(
    text: str, paragraphs: Iterable[Paragraph], spans: Iterable[tuple[int, int]] = (), forced: list[int] | None = None
) -> tuple[Sentence, ...]:
    """Sentences with their tokens, paragraph by paragraph.

    ``spans`` are the annotated ``(start, end)`` pairs: tokens are split at their
    edges (the offsets where that split a token go to ``forced``), and no sentence
    boundary is placed strictly inside one of them.
    """
    spans = list(spans)
    boundaries = sorted({edge for span in spans for edge in span})
    sentences = []
    for paragraph in paragraphs:
        tokens = tokenize(text, paragraph.start, paragraph.end, boundaries, forced)
        if not tokens:
            continue
        starts = [0, *_sentence_breaks(text, tokens), len(tokens)]
        starts = _drop_breaks_inside_spans(tokens, starts, spans)
        for a, b in zip(starts, starts[1:]):
            chunk = tuple(tokens[a:b])
            sentences.append(Sentence(chunk[0].start, chunk[-1].end, chunk))
    return tuple(sentences)


def _drop_breaks_inside_spans(tokens: list[Span], starts: list[int], spans: list[tuple[int, int]]) -> list[int]:
    kept = [starts[0]]
    for index in starts[1:-1]:
        offset = tokens[index].start
        if not any(s < offset < e for s, e in spans):
            kept.append(index)
    kept.append(starts[-1])
    return kept
