"""Readers: raw files in, :class:`RawArticle` records out.

``READERS`` maps a file extension to a reader. A reader is a generator
``(file, *, log) -> Iterator[RawArticle]`` over a :class:`~chronique.store.raw_files.RawFile` (local or
behind fsspec, it reads the same); it reports every problem it
finds into ``log`` as a located :class:`Finding` and yields nothing for a bad
record, so that the build can report all problems at once and refuse to publish.
Adding a format is one function plus one entry in ``READERS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Callable, Iterable, Iterator

from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog
from chronique.store.jsonfiles import JsonFileError, parse_json
from chronique.store.raw_files import RawFile, RawSource
from chronique.store.records import RawArticle

MAX_RAW_BYTES = 5 * 1024 * 1024
"""A raw article larger than this (5 MiB) is refused; news articles are a few kB."""

MAX_JSONL_BYTES = 4 * 1024**3
"""A JSON Lines bulk file may be large; each of its records is held to ``MAX_RAW_BYTES``."""

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_HEADER = re.compile(r"\s*date[ \t]+(\S+)(?:[ \t]+|[ \t]*\n|$)")
NUMBERED_NAME = re.compile(r"^\d+_([0-9a-f]{8,64})$")

Reader = Callable[..., Iterator[RawArticle]]


def parse_date(value: object) -> str | None:
    """The date if it is ``YYYY-MM`` or ``YYYY-MM-DD`` and exists in the calendar, else None."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year, month, day or 1)
    except ValueError:
        return None
    return value


def line_of(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``data``."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, offset) + 1
    col = offset - (data.rfind(newline, 0, offset) + 1) + 1
    return line, col


def content_id(data: bytes) -> str:
    """A 16-hex-digit id derived from content, for raw files whose name carries none."""
    return hashlib.sha256(data).hexdigest()[:16]


def decode_text_file(file: RawFile, log: FindingLog) -> tuple[bytes, str] | None:
    """Bytes and text of a raw file, or None after logging why it cannot be used."""
    size = file.size()
    if size > MAX_RAW_BYTES:
        log.add(finding("L1.raw.size", f"file is {size:,} bytes, over the {MAX_RAW_BYTES:,}-byte limit for one article",
                        file.key, 1, hint="split it into one file per article"))
        return None
    data = file.read_bytes()
    problem = check_bytes(data, file.key)
    if problem:
        log.add(problem)
        return None
    return data, data.decode("utf-8")


def check_bytes(data: bytes, shown: str, *, kind: str = "raw", allow_crlf: bool = False) -> Finding | None:
    """The first encoding-level problem of a file, if any; check ids are ``L1.<kind>.*``."""
    if not data.strip():
        return finding(f"L1.{kind}.empty", "file is empty", shown, 1, hint="remove it or add the article text")
    if data.startswith(b"\xef\xbb\xbf"):
        return finding(f"L1.{kind}.bom", "file starts with a UTF-8 byte-order mark", shown, 1, 1,
                       hint="save it as UTF-8 without BOM")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = line_of(data, err.start)
        return finding(f"L1.{kind}.encoding", f"not valid UTF-8: byte 0x{data[err.start]:02x} at offset {err.start}",
                       shown, line, col, hint="convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    if b"\x00" in data:
        line, col = line_of(data, data.index(b"\x00"))
        return finding(f"L1.{kind}.nul", "NUL byte in text", shown, line, col, hint="the file is probably binary or UTF-16")
    if not allow_crlf and b"\r" in data:
        line, col = line_of(data, data.index(b"\r"))
        return finding(f"L1.{kind}.crlf", "carriage return (CRLF or CR line ending)", shown, line, col,
                       hint="save the article with LF line endings before adding it to raw/")
    return None


def read_txt(file: RawFile, *, log: FindingLog) -> Iterator[RawArticle]:
    """A plain-text article: optional leading whitespace, ``date YYYY-MM[-DD]``, then the text."""
    shown = file.key
    decoded = decode_text_file(file, log)
    if decoded is None:
        return
    data, text = decoded
    header = _HEADER.match(text)
    if not header:
        line, col = line_of(text, len(text) - len(text.lstrip()))
        log.add(finding("L1.raw.header", "expected a header 'date YYYY-MM' or 'date YYYY-MM-DD' before the text",
                        shown, line, col, hint="add the publication date as the first word of the file"))
        return
    date = parse_date(header.group(1))
    if date is None:
        line, col = line_of(text, header.start(1))
        log.add(finding("L1.raw.date", f"impossible or malformed date {header.group(1)!r}", shown, line, col,
                        hint="write the date as YYYY-MM or YYYY-MM-DD"))
        return
    body = text[header.end():]
    if not body.strip():
        log.add(finding("L1.raw.empty", "the file has a date header but no text", shown, 1))
        return
    named = NUMBERED_NAME.match(file.stem)
    yield RawArticle(
        doc_id=named.group(1) if named else content_id(data),
        date=date,
        body=body,
        path=shown,
        line=1,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        reader="txt",
    )


_JSONL_OPTIONAL = ("title", "source", "url", "license", "origin", "beat", "domain", "genre")


def read_jsonl(file: RawFile, *, log: FindingLog) -> Iterator[RawArticle]:
    """JSON Lines: one object a line with ``id``, ``date``, ``text`` and optional
    ``title``, ``source``, ``url``, ``license``. Other keys are ignored; blank lines carry no record."""
    shown = file.key
    size = file.size()
    if size > MAX_JSONL_BYTES:
        log.add(finding("L1.raw.size", f"file is {size:,} bytes, over the {MAX_JSONL_BYTES:,}-byte limit", shown, 1))
        return
    with file.open() as handle:
        head = handle.read(3)
        if head == b"\xef\xbb\xbf":
            log.add(finding("L1.raw.bom", "file starts with a UTF-8 byte-order mark", shown, 1, 1,
                            hint="save it as UTF-8 without BOM"))
            return
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            if line.strip():
                article = _jsonl_record(line, shown, number, log)
                if article is not None:
                    yield article


def _jsonl_record(line: bytes, shown: str, number: int, log: FindingLog) -> RawArticle | None:
    if len(line) > MAX_RAW_BYTES:
        log.add(finding("L1.raw.size", f"record is {len(line):,} bytes, over the {MAX_RAW_BYTES:,}-byte limit", shown, number))
        return None
    problem = check_bytes(line, shown, allow_crlf=True)
    if problem:
        log.add(finding(problem.check_id, problem.message, shown, number, problem.col, hint=problem.hint))
        return None
    record = load_json(line.rstrip(b"\r\n").decode("utf-8"), shown, log, first_line=number)
    if record is None:
        return None
    if not isinstance(record, dict):
        log.add(finding("L1.raw.json", f"expected a JSON object, found {type(record).__name__}", shown, number, 1))
        return None
    missing = [key for key in ("id", "text") if not isinstance(record.get(key), str) or not record[key].strip()]
    if missing:
        log.add(finding("L1.raw.field", f"missing or empty string field(s): {', '.join(missing)}", shown, number, 1))
        return None
    date = parse_date(record.get("date"))
    if date is None:
        found = "no 'date' field" if "date" not in record else f"date {record['date']!r}"
        log.add(finding("L1.raw.date", f"expected 'date' as YYYY-MM or YYYY-MM-DD, found {found}", shown, number, 1,
                        hint="give every record its publication date"))
        return None
    extra = {key: record[key] if isinstance(record.get(key), str) else None for key in _JSONL_OPTIONAL}
    return RawArticle(
        doc_id=record["id"], date=date, body=record["text"], path=shown, line=number,
        raw_sha256=hashlib.sha256(line.rstrip(b"\r\n")).hexdigest(), reader="jsonl", **extra,
    )


def load_json(text: str, shown: str, log: FindingLog, *, first_line: int = 1, kind: str = "raw"):
    """Parse JSON with the guarded loader, logging a located ``L1.<kind>.json`` finding on failure.

    Too deep a nesting keeps that id too (it is published for raw and annotation files), rather
    than :data:`chronique.store.jsonfiles.DEPTH_CHECK`.
    """
    check = f"L1.{kind}.json"
    try:
        return parse_json(text, shown, check=check, line=first_line, depth_check=check)
    except JsonFileError as error:
        log.extend(error.findings)
    return None
def read_html(file: RawFile, *, log: FindingLog) -> Iterator[RawArticle]:
    """An article page (:mod:`chronique.store.html_reader`, which imports lxml only when a page is read)."""
    from chronique.store.html_reader import read_html_page

    return read_html_page(file, log=log)


READERS: dict[str, Reader] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl,
    ".html": read_html,
    ".htm": read_html,
}


def read_raw(files: Iterable[RawFile], *, log: FindingLog) -> Iterator[RawArticle]:
    """Dispatch each raw file to the reader registered for its extension."""
    for file in files:
        reader = READERS.get(file.suffix.lower())
        if reader is None:
            known = ", ".join(sorted(READERS))
            log.add(finding("L1.raw.extension", f"unknown raw file extension {file.suffix!r} (known: {known})",
                            file.key, None, hint="rename the file or add a reader to READERS"))
            continue
        yield from reader(file, log=log)


def read_source(source: RawSource, log: FindingLog) -> Iterator[RawArticle]:
    """Every article of ``source``, in its order."""
    return read_raw(source.files(log), log=log)
