"""The one way user-supplied JSON is read: label mappings, tool exports, doccano lines, predictions, release files.

Such a file may be hostile. :func:`parse_json` refuses nesting deeper than :data:`MAX_DEPTH`
*before* parsing (brackets are counted outside strings), so the parser never recurses into a
100,000-deep document and no raised recursion limit elsewhere can turn it into a crash.
:func:`read_json_file` adds decoding and a check of the top-level type, and
:func:`string_map` the usual "object of string → string" shape. Every problem is a
:class:`JsonFileError` (an :class:`~chronique.errors.InputError`, exit code 1) carrying one
located finding; a caller that treats the file as a usage problem re-raises it as a
:class:`~chronique.errors.UsageError` with the same findings.

Check ids: the caller names the one for unreadable JSON and for a wrong shape (such as
``import.labelstudio.json`` or ``import.mapping.shape``); too deep a nesting is
:data:`DEPTH_CHECK` everywhere, unless the caller keeps an id it has already published.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path

from chronique.checks.catalogue import finding
from chronique.errors import Finding, InputError

MAX_DEPTH = 200
"""Deeper nesting than this is refused: no file we read needs more than a handful of levels."""

DEPTH_CHECK = "L1.json.depth"

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "true or false", type(None): "null"}


class JsonFileError(InputError):
    """A JSON file or line that cannot be read, is nested too deeply or has the wrong shape; one located finding."""

    def __init__(self, finding: Finding):
        super().__init__(str(finding), [finding])
        self.finding = finding


def type_name(value: object) -> str:
    """How a parsed JSON value is named in messages: ``an object``, ``a list``, ``a string``…"""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def too_deep_at(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The offset of the first bracket that opens level ``limit + 1`` (outside strings), or None.

    The common case is answered without a Python-level loop: strings are removed, then the
    running depth of the remaining brackets is summed in C. Only a file that is too deep is
    walked again, to say where.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    brackets = _BRACKETS.sub("", _STRING.sub("", text))
    if not brackets or max(accumulate(map(_STEP.__getitem__, brackets))) <= limit:
        return None
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token == "]" or token == "}":
            depth -= 1
    return 0  # unreachable for consistent input; still a refusal


def parse_json(text: str, shown: str, *, check: str, line: int = 1, depth_check: str = DEPTH_CHECK,
               hint: str | None = None) -> object:
    """The parsed value of ``text``, which starts on ``line`` of the file ``shown``.

    Raises :class:`JsonFileError`: ``depth_check`` when nesting goes deeper than
    :data:`MAX_DEPTH`, ``check`` when the text is not JSON (at the parser's line and column).
    """
    offset = too_deep_at(text)
    if offset is not None:
        at_line, col = _position(text, offset)
        raise JsonFileError(finding(depth_check, f"JSON nested more than {MAX_DEPTH} levels deep; not read", shown,
                                    line + at_line - 1, col, hint="no file of this kind nests more than a few levels"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise JsonFileError(finding(check, f"not valid JSON: {error.msg}", shown, line + error.lineno - 1, error.colno,
                                    hint=hint)) from None
    except RecursionError:  # only if the interpreter's recursion limit is below MAX_DEPTH
        raise JsonFileError(finding(depth_check, "JSON nested too deeply to be read", shown, line, 1, hint=hint)) from None


def decode_json_bytes(data: bytes, shown: str, *, check: str, line: int = 1, hint: str | None = None) -> str:
    """UTF-8 text (a leading byte-order mark dropped); :class:`JsonFileError` at the line of a bad byte."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonFileError(finding(check, f"not UTF-8: {error.reason} at byte {error.start}", shown,
                                    line + data.count(b"\n", 0, error.start), hint="save the file as UTF-8")) from None


def read_json_text(path: Path, shown: str, *, check: str, hint: str | None = None) -> str:
    """The text of a JSON file; :class:`JsonFileError` ``check`` when it cannot be read or is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise JsonFileError(finding(check, f"cannot read the file: {error.strerror or error}", shown, hint=hint)) from None
    return decode_json_bytes(data, shown, check=check, hint=hint)


def expect_type(value: object, expect: type | tuple[type, ...], what: str, shown: str, *, check: str, line: int = 1,
                hint: str | None = None) -> object:
    """``value`` when it is an ``expect``; else :class:`JsonFileError` ``check`` saying ``what`` was expected."""
    if not isinstance(value, expect):
        raise JsonFileError(finding(check, f"expected {what}, found {type_name(value)}", shown, line, hint=hint))
    return value


def read_json_file(path: Path, *, check: str, expect: type | tuple[type, ...], what: str, shape_check: str | None = None,
                   shown: str | None = None, hint: str | None = None) -> object:
    """The parsed content of the JSON file ``path``, whose top level must be of type ``expect``.

    ``what`` names the expected content in the message (``"a list of tasks"``). Raises
    :class:`JsonFileError`: ``check`` for an unreadable file or invalid JSON, :data:`DEPTH_CHECK`
    for too deep a nesting, ``shape_check`` (default ``check``) for another top-level type.
    """
    shown = shown if shown is not None else str(path)
    value = parse_json(read_json_text(path, shown, check=check, hint=hint), shown, check=check, hint=hint)
    return expect_type(value, expect, what, shown, check=shape_check or check, hint=hint)


def line_of_key(text: str, key: str, after: int = 0) -> tuple[int, int]:
    """Line and the offset just after the first ``"key"`` at or after ``after`` (line 1 when absent).

    A good guess for hand-written files, which put one key on a line; used only to locate a finding.
    """
    offset = text.find(json.dumps(key, ensure_ascii=False), after)
    if offset < 0:
        offset = text.find(json.dumps(key), after)
    if offset < 0:
        return 1, after
    return text.count("\n", 0, offset) + 1, offset + 1


def string_map(value: object, name: str, text: str, shown: str, *, check: str, hint: str | None = None) -> dict[str, str]:
    """``value`` (the member ``name`` of a top-level object read from ``text``) as a dict of str → str.

    Raises :class:`JsonFileError` ``check`` at the line of ``name``, or of the first entry whose
    value is not a string.
    """
    line, after = line_of_key(text, name)
    if not isinstance(value, dict):
        raise JsonFileError(finding(check, f"{name!r} must be an object of string → string, found {type_name(value)}",
                                    shown, line, hint=hint))
    for key, item in value.items():
        if not isinstance(item, str):
            raise JsonFileError(finding(check, f"{name}[{key!r}] must be a string, found {type_name(item)}", shown,
                                        line_of_key(text, key, after)[0], hint=hint))
    return value
