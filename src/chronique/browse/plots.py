"""Figures of the statistics page, drawn with matplotlib on an Agg canvas and saved as SVG.

Each ``*_svg`` function takes plain counts and returns the bytes of one SVG file. Output is
deterministic: text is drawn as paths, ``svg.hashsalt`` fixes the ids, and the metadata block
(date, creator) is left out, so the same counts always give the same bytes.
"""

from __future__ import annotations

import io
import math
from typing import Callable, Mapping, Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chronique.schema import FINE_TYPES, POLARITIES, SCOPES

SPLIT_COLOURS = {"train": "#4c72b0", "validation": "#dd8452", "test": "#55a868"}
FEW_VALUES = 20
"""Below this many lengths a histogram says little: each length is drawn as a dot instead."""
POLARITY_COLOURS = {"FAVOR": "#3a9d5d", "AGAINST": "#c8553d", "NEUTRAL": "#8d99ae"}
_STYLE = {
    "svg.hashsalt": "chronique",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def render_svg(draw: Callable[[Figure], None], *, size: tuple[float, float] = (6.4, 3.4)) -> bytes:
    """Call ``draw`` on a fresh figure and return the figure as SVG bytes."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = io.BytesIO()
        # no metadata block at all: no date, no creator, nothing that changes between runs
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


def _grouped_bars(axes, categories: Sequence[str], series: Mapping[str, Sequence[int]], colours: Mapping[str, str]) -> None:
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        positions = [c + (index - (len(series) - 1) / 2) * width for c in range(len(categories))]
        bars = axes.bar(positions, values, width, label=name, color=colours.get(name, "#999999"))
        axes.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=7, padding=1)
    axes.set_xticks(range(len(categories)), categories)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if series:
        axes.legend(frameon=False)


def mentions_per_type_svg(counts: Mapping[str, Mapping[str, int]], types: Sequence[str] = FINE_TYPES,
                          level: str = "fine") -> bytes:
    """Grouped bars: ``counts[split][type]`` mentions, nested ones included, for the fine ``types`` or
    the coarse ones (the label set of ``coarse_ner_tags``, in which DATE has no type)."""
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        series = {split: [by_type.get(t, 0) for t in types] for split, by_type in counts.items()}
        _grouped_bars(axes, types, series, SPLIT_COLOURS)
        axes.set_ylabel("mentions")
        axes.set_title(f"Mentions per {level} type and split")
    return render_svg(draw)


KIND_COLOURS = {"boundary": "#4477AA", "type": "#EE6677", "missing": "#CCBB44", "extra": "#66CCEE"}


def disagreements_svg(counts: Mapping[str, Mapping[str, int]]) -> bytes:
    """Grouped bars: ``counts[kind][fine type]`` mention disagreements between annotator versions."""
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        series = {kind: [by_type.get(t, 0) for t in FINE_TYPES] for kind, by_type in counts.items()}
        _grouped_bars(axes, FINE_TYPES, series, KIND_COLOURS)
        axes.set_ylabel("disagreements")
        axes.set_title("Mention disagreements per kind and fine type")
    return render_svg(draw)


def polarity_per_scope_svg(counts: Mapping[str, Mapping[str, int]]) -> bytes:
    """Grouped bars: ``counts[polarity][scope]`` stance records, every split together."""
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        series = {polarity: [counts.get(polarity, {}).get(s, 0) for s in SCOPES] for polarity in POLARITIES}
        _grouped_bars(axes, SCOPES, series, POLARITY_COLOURS)
        axes.set_ylabel("stances")
        axes.set_title("Stance polarity per scope")
    return render_svg(draw)


def length_histogram_svg(lengths: Mapping[str, Sequence[int]], *, title: str, unit: str) -> bytes:
    """A histogram of lengths, stacked by split (``lengths[split]``); with fewer than :data:`FEW_VALUES`
    lengths, one dot per length on a line per split, each labelled with its value."""
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        present = {split: values for split, values in lengths.items() if values}
        if not present:
            axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
        elif sum(len(values) for values in present.values()) < FEW_VALUES:
            _strips(axes, present)
        else:
            # integer bins from 0, at most 30 of them: a lone length stays a narrow bar at its place
            longest = max(v for values in present.values() for v in values)
            width = max(1, math.ceil((longest + 1) / 30))
            bins = list(range(0, longest + width + 1, width))
            axes.hist(list(present.values()), bins=bins, stacked=True, label=list(present),
                      color=[SPLIT_COLOURS.get(s, "#999999") for s in present], edgecolor="white", linewidth=0.5)
            axes.legend(frameon=False)
            axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel(unit)
        axes.set_ylabel("split" if present and sum(map(len, present.values())) < FEW_VALUES else "count")
        axes.set_title(title)
    return render_svg(draw)


def _strips(axes, present: Mapping[str, Sequence[int]]) -> None:
    for row, (split, values) in enumerate(present.items()):
        axes.scatter(values, [row] * len(values), s=36, color=SPLIT_COLOURS.get(split, "#999999"), zorder=3)
        for value in sorted(set(values)):
            axes.annotate(str(value), (value, row), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7)
    axes.set_yticks(range(len(present)), list(present))
    axes.set_ylim(-0.8, len(present) - 0.2)
    axes.set_xlim(left=0)
    axes.spines["left"].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)


def agreement_svg(pairs: Sequence[tuple[str, float | None, float | None, float | None]],
                  title: str = "Agreement per mention type") -> bytes:
    """Bars per group (a mention type, or a pair of annotators): strict entity F1, overlap entity F1 and token
    kappa; a score that does not exist for a group gets no bar, rather than a bar at zero."""
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        names = [p[0] for p in pairs]
        labels = ("strict F1", "overlap F1", "token κ")
        colours = {"strict F1": "#4c72b0", "overlap F1": "#8fb0de", "token κ": "#55a868"}
        width = 0.8 / len(labels)
        shown: list[float] = []
        for index, label in enumerate(labels):
            kept = [(c, p[index + 1]) for c, p in enumerate(pairs) if p[index + 1] is not None]
            if not kept:
                continue
            positions = [c + (index - 1) * width for c, _ in kept]
            bars = axes.bar(positions, [v for _, v in kept], width, label=label, color=colours[label])
            axes.bar_label(bars, labels=[f"{v:.2f}" for _, v in kept], fontsize=6, padding=1, rotation=90)
            shown += [v for _, v in kept]
        axes.set_xticks(range(len(names)), names, rotation=30 if len(names) > 6 else 0)
        low = min(0.0, *shown) if shown else 0.0
        axes.set_ylim(low, 1.35)  # room for the legend above the bars
        axes.set_yticks([tick / 5 for tick in range(math.floor(low * 5), 6)])
        axes.legend(frameon=False, ncols=3, loc="upper center")
        axes.set_title(title)
    return render_svg(draw)
