"""The colours of the nine mention types, and the measure that shows they stay apart for colour-blind readers.

The colours are Paul Tol's "light" qualitative scheme, made for labelled cells behind dark text and
for readers with any of the common colour vision deficiencies. The types that are confused most
(GPE, LOC and FAC; ORG and GPE under metonymy) get hues far apart. :func:`closest_pair` simulates a
deficiency with the matrices of Machado, Oliveira and Fernandes (2009, severity 1.0) in linear RGB
and compares colours by their CIE76 distance in CIELAB; the tests hold the palette to
:data:`MIN_DISTANCE` under each simulation, and to a WCAG contrast of at least 4.5 with the text.
"""

from __future__ import annotations

from itertools import combinations

TYPE_COLOURS: dict[str, str] = {
    "PER": "#EE8866",    # orange
    "ORG": "#BBCC33",    # pear
    "GPE": "#77AADD",    # light blue
    "LOC": "#44BB99",    # mint
    "FAC": "#FFAABB",    # pink
    "NORP": "#EEDD88",   # light yellow
    "EVENT": "#99DDFF",  # light cyan
    "MISC": "#DDDDDD",   # pale grey
    "DATE": "#AAAA00",   # olive
}
TEXT_COLOUR = "#1F2328"
MIN_DISTANCE = 10.0
"""CIE76 ΔE*ab below which two highlight colours are taken to be hard to tell apart side by side."""

SIMULATIONS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "normal": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, -0.691367, 1.686634)),
}

_D65 = (0.95047, 1.0, 1.08883)
_XYZ = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))


def linear_rgb(colour: str) -> tuple[float, float, float]:
    """``#RRGGBB`` as linear-light RGB in [0, 1]."""
    channels = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)  # type: ignore[return-value]


def _apply(matrix, vector) -> tuple[float, float, float]:
    return tuple(min(1.0, max(0.0, sum(m * v for m, v in zip(row, vector)))) for row in matrix)  # type: ignore[return-value]


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIELAB (D65) of a linear RGB colour."""
    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    x, y, z = (f(value / white) for value, white in zip(_apply(_XYZ, rgb), _D65))
    return 116 * y - 16, 500 * (x - y), 200 * (y - z)


def seen_as(colour: str, simulation: str) -> tuple[float, float, float]:
    """The CIELAB colour a reader with ``simulation``'s vision sees for ``colour``."""
    return lab(_apply(SIMULATIONS[simulation], linear_rgb(colour)))


def distance(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    return sum((a - b) ** 2 for a, b in zip(first, second)) ** 0.5


def closest_pair(simulation: str, colours: dict[str, str] = TYPE_COLOURS) -> tuple[float, str, str]:
    """The smallest CIE76 distance between two of ``colours`` under ``simulation``, and which two."""
    seen = {name: seen_as(colour, simulation) for name, colour in colours.items()}
    return min((distance(seen[a], seen[b]), a, b) for a, b in combinations(sorted(seen), 2))


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two colours."""
    def luminance(colour: str) -> float:
        r, g, b = linear_rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_variables() -> str:
    """The ``:root`` block that gives the stylesheet its type colours."""
    return ":root { " + " ".join(f"--{name}: {colour};" for name, colour in TYPE_COLOURS.items()) + " }\n"
