"""How WebAnno TSV 3 writes its text and cells: escapes, stacked values, disambiguation ids, and the
document text rebuilt from ``#Text=`` lines in the UTF-16 units the offsets count."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

_STACK = re.compile(r"(?<!\\)\|")
_VALUE_ESCAPES = {"\\\\": "\\", "\\[": "[", "\\]": "]", "\\|": "|", "\\_": "_", "\\->": "->", "\\;": ";",
                  "\\t": "\t", "\\n": "\n", "\\*": "*"}
TEXT_ESCAPES = {"\\" + chr(i): chr(i) for i in range(32) if not 8 <= i <= 13} | {
    "\\t": "\t", "\\n": "\n", "\\f": "\f", "\\r": "\r", "\\b": "\b", "\\\\": "\\"}
# TSV 3.0 and 3.1 escaped #Text with Java string escapes, which also cover quotes and \uXXXX.
OLD_TEXT_ESCAPES = TEXT_ESCAPES | {"\\'": "'", '\\"': '"'}


def unescaper(table: dict[str, str], *, java_unicode: bool = False) -> Callable[[str], str]:
    """A one-pass unescaper for ``table`` (escape → character), optionally also ``\\uXXXX``."""
    alternatives = [re.escape(k) for k in sorted(table, key=len, reverse=True)]
    pattern = re.compile("|".join(([r"\\u[0-9a-fA-F]{4}"] if java_unicode else []) + alternatives))

    def replacement(match: re.Match) -> str:
        escape = match.group()
        return table[escape] if escape in table else chr(int(escape[2:], 16))

    return lambda text: pattern.sub(replacement, text)


@dataclass
class TextBuilder:
    """The document text rebuilt from ``#Text=`` lines, measured in UTF-16 units as the offsets are."""

    pieces: list[str] = field(default_factory=list)
    units: int = 0

    def _append(self, piece: str) -> None:
        if piece:
            self.pieces.append(piece)
            self.units += len(piece) + sum(1 for c in piece if ord(c) > 0xFFFF)

    def add_sentence(self, text: str, begin: int) -> bool:
        """Place a sentence at UTF-16 offset ``begin``; False when the text so far already runs past it."""
        if self.units == begin + 1 and self.pieces and self.pieces[-1] == "\n":
            # The format ends every sentence with a line break; sentences that touch had none.
            self.pieces.pop()
            self.units -= 1
        fits = self.units <= begin
        self._append(" " * (begin - self.units))  # what separated the sentences is lost; INCEpTION pads too
        self._append(text)
        self._append("\n")
        return fits

    def text(self) -> str:
        """The text without the line break the format adds after the last sentence."""
        return "".join(self.pieces[:-1] if self.pieces and self.pieces[-1] == "\n" else self.pieces)


def split_stack(value: str) -> list[str]:
    """Stacked values of one column (``a[1]|b[2]``); ``_`` means none."""
    return [] if value == "_" else _STACK.split(value)


def split_id(value: str) -> tuple[str, str | None]:
    """``PER[3]`` → (``PER``, ``3``); an escaped ``\\]`` is part of the value, not an id."""
    if value.endswith("]") and not value.endswith("\\]"):
        head, bracket, tail = value.rpartition("[")
        if bracket:
            return head, tail[:-1]
    return value, None


_unescape_value = unescaper(_VALUE_ESCAPES)


def cell_value(raw: str) -> str:
    """A feature value: ``*`` is an annotation whose feature is unset, everything else is unescaped."""
    return "" if raw == "*" else _unescape_value(raw)
