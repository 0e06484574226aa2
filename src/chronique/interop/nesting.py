"""Nesting inferred from containment, as the guidelines define it: a mention inside another is its child.

Tools that store overlapping spans side by side (INCEpTION, brat, Label Studio) and the
adjudicated gold file all name as ``parent`` the smallest *other* span that contains a span:
``(start, end)`` different from its own, ``start <= span.start`` and ``span.end <= end``.
Ties go to the container that starts first, then to the one listed first, so that the same
spans always get the same parents whatever the format they came from.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence, TypeVar

Extent = tuple[int, int]


def smallest_containers(extents: Sequence[Extent]) -> list[int | None]:
    """For each ``(start, end)``, the index of its smallest container (see the module docstring), or None.

    >>> smallest_containers([(0, 10), (2, 4), (0, 4), (20, 25)])
    [None, 2, 0, None]

    One sweep in text order: only spans that end at or after the current start can still
    contain it or anything after it.
    """
    parents: list[int | None] = [None] * len(extents)
    open_spans: list[int] = []
    for index in sorted(range(len(extents)), key=lambda i: (extents[i][0], -extents[i][1])):
        start, end = extents[index]
        open_spans = [j for j in open_spans if extents[j][1] >= start]
        containers = [j for j in open_spans if extents[j][1] >= end and extents[j] != (start, end)]
        if containers:
            parents[index] = min(containers, key=lambda j: (extents[j][1] - extents[j][0], extents[j][0], j))
        open_spans.append(index)
    return parents


SpanT = TypeVar("SpanT")


def with_parents(spans: Sequence[SpanT]) -> tuple[SpanT, ...]:
    """The spans (dataclasses with ``id``, ``start``, ``end`` and ``parent``), in their order, each naming its container."""
    parents = smallest_containers([(span.start, span.end) for span in spans])
    return tuple(replace(span, parent=spans[p].id if p is not None else None) for span, p in zip(spans, parents))
