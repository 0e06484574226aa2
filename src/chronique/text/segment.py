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

import bisect
import re
from itertools import repeat
from typing import Iterable

from chronique.store.records import Paragraph, Sentence, Span

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
    spans = [m.span() for m in _TOKEN.finditer(text, start, end)]
    cuts = sorted(b for b in set(boundaries) if start < b < end)
    if cuts and spans:
        spans = _split_tokens(spans, cuts, forced)
    # tuple.__new__ builds the named tuples in C; Span(a, b) would call Python code per token
    return list(map(tuple.__new__, repeat(Span), spans))


def _split_tokens(spans: list[tuple[int, int]], cuts: list[int], forced: list[int] | None) -> list[tuple[int, int]]:
    """``spans`` with every token that contains a cut split there (cuts are few, tokens many)."""
    starts = [a for a, _ in spans]
    inside: dict[int, list[int]] = {}
    for cut in cuts:
        index = bisect.bisect_right(starts, cut) - 1
        if index >= 0 and spans[index][0] < cut < spans[index][1]:
            inside.setdefault(index, []).append(cut)
    for index in sorted(inside, reverse=True):
        a, b = spans[index]
        edges = [a, *inside[index], b]
        spans[index : index + 1] = list(zip(edges, edges[1:]))
        if forced is not None:
            forced.extend(inside[index])
    return spans


_FINAL_CHARACTER = re.compile(r"[.!?…]")


def _sentence_breaks(text: str, tokens: list[Span]) -> list[int]:
    """Indices of the tokens that start a new sentence (never 0)."""
    if not tokens:
        return []
    starts = [t.start for t in tokens]
    breaks = []
    last = 0
    for match in _FINAL_CHARACTER.finditer(text, tokens[0].start, tokens[-1].end):
        i = bisect.bisect_left(starts, match.start(), last)
        if i == len(tokens) or starts[i] != match.start() or text[tokens[i].start : tokens[i].end] not in _SENTENCE_FINAL:
            continue
        j = i + 1
        while j < len(tokens) and text[tokens[j].start : tokens[j].end] in _CLOSING:
            j += 1
        if j < len(tokens) and _can_open_sentence(text[tokens[j].start : tokens[j].end]):
            breaks.append(j)
        last = j
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
    """The sentence starts that do not fall strictly inside an annotated span."""
    if not spans or len(starts) <= 2:
        return starts
    ordered = sorted(spans)
    span_starts = [a for a, _ in ordered]
    reach, furthest = [], -1  # reach[i]: the furthest end among the first i + 1 spans
    for _, b in ordered:
        furthest = max(furthest, b)
        reach.append(furthest)
    kept = [starts[0]]
    for index in starts[1:-1]:
        offset = tokens[index].start
        position = bisect.bisect_left(span_starts, offset) - 1  # spans starting strictly before the offset
        if position < 0 or reach[position] <= offset:
            kept.append(index)
    kept.append(starts[-1])
    return kept
