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

How it runs: no token crosses white space and no rule looks past it, so a text's tokens
are those of its white-space-separated pieces, in order. Each distinct piece is matched
against :data:`TOKEN_PATTERN` once and remembered (words repeat: a corpus has far fewer
distinct pieces than tokens); the offsets then follow with array arithmetic, since the
tokens cover every non-space character exactly once. Sentence boundaries are found on
those arrays too. ``tests/segmentation_oracle.py`` applies the same rules one match at a
time, and the tests hold the two to the same output.
"""

from __future__ import annotations

import re
from itertools import chain, repeat
from typing import Iterable, Sequence

import numpy as np

from chronique.store.records import Paragraph, Segmentation, Sentence, Span

_APOSTROPHE = "'’"
_LETTER = r"[^\W\d_]"
_ALNUM = r"[^\W_]"
TOKEN_PATTERN = re.compile(
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
"""The token rules above, one named group per rule."""

# the same pattern without groups, so that findall returns the tokens' strings
_TOKEN_STRINGS = re.compile(re.sub(r"\(\?P<\w+>", "(?:", TOKEN_PATTERN.pattern), re.VERBOSE)

PIECE_MEMO_LIMIT = 200_000
"""Distinct white-space-free pieces remembered per process before the memo starts afresh (about 30 MB)."""


class _PieceTokens(dict):
    """piece → its tokens' strings; a piece seen for the first time is matched against the pattern."""

    def __missing__(self, piece: str) -> tuple[str, ...]:
        if len(self) >= PIECE_MEMO_LIMIT:
            self.clear()
        tokens = _TOKEN_STRINGS.findall(piece)
        value = self[piece] = (piece,) if len(tokens) == 1 else tuple(tokens)  # a one-token piece shares its string
        return value


_PIECES = _PieceTokens()

_HIGHEST_SPACE = 0x3000
_IS_SPACE = np.array([chr(c).isspace() for c in range(_HIGHEST_SPACE + 1)], dtype=bool)
"""White space by code point, as ``\\s`` and ``str.split`` see it (no code point above U+3000 is white space)."""

_PERIOD = ord(".")


class _CharacterSet:
    """Membership of code points in a small set of characters, one array lookup per token."""

    def __init__(self, characters: str):
        self.table = np.zeros(max(map(ord, characters)) + 2, dtype=bool)  # the last entry stands for every higher one
        self.table[[ord(c) for c in characters]] = True

    def holds(self, points: np.ndarray) -> np.ndarray:
        return self.table[np.minimum(points, len(self.table) - 1)]


_FINAL_ONE = _CharacterSet(".!?…")
_CLOSING = _CharacterSet("»”\")]")
_OPENING = _CharacterSet("«“\"([—–-")


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _non_space(points: np.ndarray) -> np.ndarray:
    return ~_IS_SPACE[np.minimum(points, _HIGHEST_SPACE)]


def plain_tokens(text: str, ranges: Sequence[tuple[int, int]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The tokens of ``text`` inside each ``(start, end)`` range (in order, not overlapping): strings, starts, ends."""
    strings: list[str] = []
    for start, end in ranges:
        strings += chain.from_iterable(map(_PIECES.__getitem__, text[start:end].split()))
    points = code_points(text)
    covered = _non_space(points)
    if len(ranges) != 1 or ranges[0] != (0, len(text)):
        inside = np.zeros(len(text) + 1, dtype=np.int8)
        for start, end in ranges:
            inside[start] += 1
            inside[end] -= 1
        covered &= np.cumsum(inside[:-1]) > 0
    positions = np.flatnonzero(covered)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    last = np.cumsum(lengths)
    if len(positions) != (int(last[-1]) if len(last) else 0):  # only if the Unicode tables disagreed: match one by one
        spans = [m.span() for start, end in ranges for m in TOKEN_PATTERN.finditer(text, start, end)]
        found = np.array(spans, dtype=np.int64).reshape(-1, 2)
        return [text[a:b] for a, b in spans], found[:, 0].copy(), found[:, 1].copy()
    return strings, positions[last - lengths].astype(np.int64), positions[last - 1].astype(np.int64) + 1


def split_at(text: str, strings: list[str], starts: np.ndarray, ends: np.ndarray,
             boundaries: Iterable[int]) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    """The tokens with every one that a boundary falls strictly inside split there, and the offsets that split one."""
    cuts = np.array(sorted(set(boundaries)), dtype=np.int64)
    if not len(cuts) or not len(starts):
        return strings, starts, ends, []
    index = np.searchsorted(starts, cuts, side="right") - 1
    valid = np.maximum(index, 0)
    inside = (index >= 0) & (starts[valid] < cuts) & (cuts < ends[valid])
    forced = cuts[inside]
    if not len(forced):
        return strings, starts, ends, []
    strings = list(strings)
    split_tokens = index[inside]
    for token in sorted(set(split_tokens.tolist()), reverse=True):  # from the end, so earlier indices hold
        edges = [int(starts[token]), *forced[split_tokens == token].tolist(), int(ends[token])]
        strings[token : token + 1] = [text[a:b] for a, b in zip(edges, edges[1:])]
    return strings, np.sort(np.concatenate([starts, forced])), np.sort(np.concatenate([ends, forced])), forced.tolist()


def tokenize(text: str, start: int = 0, end: int | None = None, boundaries: Iterable[int] = (),
             forced: list[int] | None = None) -> list[Span]:
    """Token spans of ``text[start:end]``, split wherever a boundary falls inside a token.

    The offsets where a boundary had to split a token are appended to ``forced`` when given.

    >>> [(s.start, s.end) for s in tokenize("l'OSCE")]
    [(0, 2), (2, 6)]
    """
    end = len(text) if end is None else end
    strings, starts, ends = plain_tokens(text, [(start, end)])
    _, starts, ends, cuts = split_at(text, strings, starts, ends, (b for b in boundaries if start < b < end))
    if forced is not None:
        forced.extend(cuts)
    return list(map(tuple.__new__, repeat(Span), zip(starts.tolist(), ends.tolist())))


def _opens_sentence(points: np.ndarray, first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether each token may open a sentence: its first character is upper case or a digit, or it is an opening mark."""
    distinct = np.unique(first)
    openers = distinct[[chr(c).isupper() or chr(c).isdigit() for c in distinct.tolist()]] if len(distinct) else distinct
    return np.isin(first, openers) | ((lengths == 1) & _OPENING.holds(first))


def sentence_breaks(points: np.ndarray, starts: np.ndarray, ends: np.ndarray, paragraph_ends: np.ndarray) -> np.ndarray:
    """Indices of the tokens that start a sentence inside their paragraph (never a paragraph's first token).

    After a final token (``.``, ``!``, ``?``, ``…``, ``...``) and the closing marks that follow
    it, the next token of the paragraph starts a sentence if it may open one.
    ``paragraph_ends[i]`` is one past the last token of token ``i``'s paragraph.
    """
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    lengths = ends - starts
    first = points[starts]
    final = (lengths == 1) & _FINAL_ONE.holds(first)
    dots = np.flatnonzero((lengths == 3) & (first == _PERIOD))
    dots = dots[(points[starts[dots] + 1] == _PERIOD) & (points[starts[dots] + 2] == _PERIOD)]
    final[dots] = True
    finals = np.flatnonzero(final)
    if not len(finals):
        return np.zeros(0, dtype=np.int64)
    not_closing = np.flatnonzero(~((lengths == 1) & _CLOSING.holds(first)))
    at = np.searchsorted(not_closing, finals + 1)
    following = np.append(not_closing, len(starts))[at]  # the first token after the closing marks
    candidates = following[following < paragraph_ends[finals]]
    return np.unique(candidates[_opens_sentence(points, first[candidates], lengths[candidates])])


def _outside_spans(offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Whether each offset falls strictly inside none of ``spans``."""
    if not spans:
        return np.ones(len(offsets), dtype=bool)
    ordered = np.array(sorted(spans), dtype=np.int64)
    reach = np.maximum.accumulate(ordered[:, 1])  # reach[i]: the furthest end among the first i + 1 spans
    position = np.searchsorted(ordered[:, 0], offsets, side="left") - 1  # the spans that start strictly before
    return (position < 0) | (reach[np.maximum(position, 0)] <= offsets)


def _covers_the_text(text: str, ranges: Sequence[tuple[int, int]]) -> bool:
    """Whether only white space lies outside ``ranges`` (ordered), so the whole text can be read at once."""
    previous = 0
    for start, end in ranges:
        if start < previous or (start > previous and not text[previous:start].isspace()):
            return False
        previous = end
    return previous == len(text) or text[previous:].isspace()


def _segment_arrays(text: str, ranges: list[tuple[int, int]], spans: list[tuple[int, int]]):
    """Token strings, starts, ends, sentence firsts (with the token count last) and forced cuts of ``text``."""
    strings, starts, ends = plain_tokens(text, [(0, len(text))] if _covers_the_text(text, ranges) else ranges)
    strings, starts, ends, forced = split_at(text, strings, starts, ends, (edge for span in spans for edge in span))
    firsts = np.searchsorted(starts, [a for a, _ in ranges], side="left").astype(np.int64)
    lasts = np.searchsorted(starts, [b for _, b in ranges], side="left").astype(np.int64)
    used = lasts > firsts
    firsts, lasts = firsts[used], lasts[used]
    paragraph_ends = np.repeat(lasts, lasts - firsts)
    breaks = sentence_breaks(code_points(text), starts, ends, paragraph_ends)
    breaks = breaks[_outside_spans(starts[breaks], spans)]
    sentence_firsts = np.append(np.unique(np.concatenate([firsts, breaks])), len(starts)).astype(np.int64)
    return strings, starts, ends, sentence_firsts, np.unique(np.array(forced, dtype=np.int64))


Item = tuple[str, Sequence[Paragraph], Sequence[tuple[int, int]]]
"""A text, its paragraphs and its annotated spans: what :func:`segment_many` segments."""


def segment_many(items: Sequence[Item]) -> list[Segmentation]:
    """:func:`segment` of each item, computed on all of them at once.

    The texts are joined by blank lines (no token, sentence or paragraph crosses one), so the
    array work is done once for the batch instead of once per text, then cut back per text.
    """
    bases, position = [], 0
    for text, _, _ in items:
        bases.append(position)
        position += len(text) + 2
    joined = "\n\n".join(text for text, _, _ in items)
    ranges = [(p.start + base, p.end + base) for (_, paragraphs, _), base in zip(items, bases) for p in paragraphs]
    spans = [(a + base, b + base) for (_, _, annotated), base in zip(items, bases) for a, b in annotated]
    strings, starts, ends, sentence_firsts, forced = _segment_arrays(joined, ranges, spans)
    edges = [*bases, position]
    token_edges = np.searchsorted(starts, edges, side="left").tolist()
    sentence_edges = np.searchsorted(sentence_firsts[:-1], token_edges, side="left").tolist()
    forced_edges = np.searchsorted(forced, edges, side="left").tolist()
    result = []
    for i, base in enumerate(bases):
        a, b = token_edges[i], token_edges[i + 1]
        firsts = sentence_firsts[sentence_edges[i] : sentence_edges[i + 1]] - a
        result.append(Segmentation(starts[a:b] - base, ends[a:b] - base, strings[a:b], np.append(firsts, b - a),
                                   tuple((forced[forced_edges[i] : forced_edges[i + 1]] - base).tolist())))
    return result


def segment(text: str, paragraphs: Iterable[Paragraph], spans: Iterable[tuple[int, int]] = ()) -> Segmentation:
    """Tokens and sentences of ``text``, paragraph by paragraph.

    ``spans`` are the annotated ``(start, end)`` pairs: tokens are split at their edges (the
    offsets where that split a token are the segmentation's ``forced``), and no sentence
    boundary is placed strictly inside one of them.
    """
    return segment_many([(text, list(paragraphs), list(spans))])[0]


def segment_sentences(
    text: str, paragraphs: Iterable[Paragraph], spans: Iterable[tuple[int, int]] = (), forced: list[int] | None = None
) -> tuple[Sentence, ...]:
    """Sentences with their tokens, paragraph by paragraph, as records (see :func:`segment`)."""
    segmentation = segment(text, paragraphs, spans)
    if forced is not None:
        forced.extend(segmentation.forced)
    return segmentation.sentences()
