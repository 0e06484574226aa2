"""Text normalisation: the written rules that turn a raw body into the released text.

Every rule below is listed, in this order, in ``DATASHEET.md``; change both together.

1. Line breaks: CRLF and lone CR become LF; U+2028/U+2029 become LF.
2. Invisible characters are removed: zero-width space, zero-width (non-)joiner,
   word joiner, byte-order mark and soft hyphen.
3. Spaces: tab, no-break space (U+00A0), narrow no-break space (U+202F), figure
   space and every other Unicode space separator become an ordinary space;
   other control characters become a space too.
4. Paragraphs are blocks separated by one or more blank lines. Inside a block,
   line breaks are hard wraps and become a space.
5. Runs of spaces collapse to one; paragraphs are stripped; paragraphs are
   joined with exactly one blank line (``"\\n\\n"``).
6. Unicode NFC.

Typographic quotes and apostrophes (« » “ ” ’) are kept as they are.
``normalize_text`` is idempotent: ``normalize_text(normalize_text(x)) == normalize_text(x)``.
"""

from __future__ import annotations

import re
import unicodedata

from chronique.store.records import Paragraph

RULES_VERSION = "1"

_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE_LIKE = re.compile(
    "[\t\u000b\u000c\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
    "\u0000-\u0008\u000e-\u001f\u007f-\u009f]"
)
_BLANK_LINES = re.compile(r"\n[ \n]*\n")
_SPACES = re.compile(r" {2,}")

HEADING_MAX_CHARS = 100
_FINAL_PUNCTUATION = tuple(".!?…:;»”\"")


def normalize_text(text: str) -> str:
    """Apply the normalisation rules to an article body; see the module docstring."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACE_LIKE.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        block = _SPACES.sub(" ", block.replace("\n", " ")).strip()
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def is_heading(paragraph: str) -> bool:
    """A heading is a short paragraph that does not end with final punctuation."""
    return len(paragraph) <= HEADING_MAX_CHARS and not paragraph.endswith(_FINAL_PUNCTUATION)


def segment_paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Paragraph spans of a normalised text, each marked ``heading`` or ``body``."""
    paragraphs = []
    start = 0
    for block in text.split("\n\n"):
        end = start + len(block)
        if block:
            kind = "heading" if is_heading(block) else "body"
            paragraphs.append(Paragraph(start, end, kind))
        start = end + 2
    return tuple(paragraphs)
