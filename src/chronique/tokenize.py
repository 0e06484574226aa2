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


def tokenize(text: str, start: int = 0, end: int | None = None, boundaries: Iterable[int] = ()) -> list[Span]:
    """Token spans of ``text[start:end]``, split wherever a boundary falls inside a token.

    >>> [(s.start, s.end) for s in tokenize("l'OSCE")]
    [(0, 2), (2, 6)]
    """
    end = len(text) if end is None else end
    cuts = sorted(set(boundaries))
    spans = []
    for match in _TOKEN.finditer(text, start, end):
        spans.extend(_split_at(match.start(), match.end(), cuts))
    return spans


def _split_at(start: int, end: int, cuts: list[int]) -> list[Span]:
    inner = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
    edges = [start, *inner, end]
    return [Span(a, b) for a, b in zip(edges, edges[1:])]


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
    text: str, paragraphs: Iterable[Paragraph], spans: Iterable[tuple[int, int]] = ()
) -> tuple[Sentence, ...]:
    """Sentences with their tokens, paragraph by paragraph.

    ``spans`` are the annotated ``(start, end)`` pairs: tokens are split at their
    edges, and no sentence boundary is placed strictly inside one of them.
    """
    spans = list(spans)
    boundaries = sorted({edge for span in spans for edge in span})
    sentences = []
    for paragraph in paragraphs:
        tokens = tokenize(text, paragraph.start, paragraph.end, boundaries)
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
