"""The segmentation rules read literally, one regular-expression match and one token at a time.

This is the reference the build's columnar segmentation (:mod:`chronique.text.segment`) is
held to: slow, plain, and written straight from the rules in that module's docstring. It
takes the rules' pattern from the package, so the two can only differ in how they apply it.
"""

from __future__ import annotations

import bisect

from chronique.text.segment import TOKEN_PATTERN

FINAL = {".", "!", "?", "…", "..."}
CLOSING = {"»", "”", '"', ")", "]"}
OPENING = {"«", "“", '"', "(", "[", "—", "–", "-"}


def tokens(text: str, start: int = 0, end: int | None = None, boundaries=()) -> list[tuple[int, int]]:
    """Every match of the token pattern in ``text[start:end]``, split at each boundary strictly inside it."""
    end = len(text) if end is None else end
    spans = [m.span() for m in TOKEN_PATTERN.finditer(text, start, end)]
    result = []
    for a, b in spans:
        edges = [a, *sorted({c for c in boundaries if a < c < b}), b]
        result += list(zip(edges, edges[1:]))
    return result


def _can_open(token: str) -> bool:
    return token[0].isupper() or token[0].isdigit() or token in OPENING


def sentence_starts(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Indices of the tokens (of one paragraph) that start a sentence, the first included."""
    words = [text[a:b] for a, b in spans]
    starts = [0]
    for i, word in enumerate(words):
        if word not in FINAL:
            continue
        j = i + 1
        while j < len(words) and words[j] in CLOSING:
            j += 1
        if j < len(words) and _can_open(words[j]) and j not in starts:
            starts.append(j)
    return starts


def sentences(text: str, paragraphs, annotated=()) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """``(start, end, tokens)`` of each sentence: paragraph by paragraph, never breaking inside an annotated span."""
    annotated = list(annotated)
    edges = {edge for span in annotated for edge in span}
    result = []
    for paragraph in paragraphs:
        spans = tokens(text, paragraph.start, paragraph.end, edges)
        if not spans:
            continue
        starts = [s for s in sentence_starts(text, spans)
                  if s == 0 or not any(a < spans[s][0] < b for a, b in annotated)]
        for a, b in zip(starts, [*starts[1:], len(spans)]):
            result.append((spans[a][0], spans[b - 1][1], spans[a:b]))
    return result


def forced_cuts(text: str, paragraphs, annotated) -> list[int]:
    """The boundaries that fall strictly inside a token of the plain tokenisation."""
    edges = {edge for span in annotated for edge in span}
    plain = [span for p in paragraphs for span in tokens(text, p.start, p.end)]
    starts = [a for a, _ in plain]
    cuts = set()
    for edge in edges:
        i = bisect.bisect_right(starts, edge) - 1
        if i >= 0 and plain[i][0] < edge < plain[i][1]:
            cuts.add(edge)
    return sorted(cuts)
