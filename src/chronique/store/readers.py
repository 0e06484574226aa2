"""Readers: raw files in, :class:`RawArticle` records out.

``READERS`` maps a file extension to a reader. A reader is a generator
``(path, *, root, log) -> Iterator[RawArticle]``; it reports every problem it
finds into ``log`` as a located :class:`Finding` and yields nothing for a bad
record, so that the build can report all problems at once and refuse to publish.
Adding a format is one function plus one entry in ``READERS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import lxml.html
from lxml import etree

from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog
from chronique.store.jsonfiles import JsonFileError, parse_json
from chronique.store.records import RawArticle

MAX_RAW_BYTES = 5 * 1024 * 1024
"""A raw article larger than this (5 MiB) is refused; news articles are a few kB."""

MAX_JSONL_BYTES = 4 * 1024**3
"""A JSON Lines bulk file may be large; each of its records is held to ``MAX_RAW_BYTES``."""

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_HEADER = re.compile(r"\s*date[ \t]+(\S+)(?:[ \t]+|[ \t]*\n|$)")
_NUMBERED_NAME = re.compile(r"^\d+_([0-9a-f]{8,64})$")

Reader = Callable[..., Iterator[RawArticle]]


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies below it, in POSIX form."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


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


def _decode_text_file(path: Path, shown: str, log: FindingLog) -> tuple[bytes, str] | None:
    """Bytes and text of a raw file, or None after logging why it cannot be used."""
    size = path.stat().st_size
    if size > MAX_RAW_BYTES:
        log.add(finding("L1.raw.size", f"file is {size:,} bytes, over the {MAX_RAW_BYTES:,}-byte limit for one article", shown, 1,
                        hint="split it into one file per article"))
        return None
    data = path.read_bytes()
    problem = check_bytes(data, shown)
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


def read_txt(path: Path, *, root: Path, log: FindingLog) -> Iterator[RawArticle]:
    """A plain-text article: optional leading whitespace, ``date YYYY-MM[-DD]``, then the text."""
    shown = display_path(path, root)
    decoded = _decode_text_file(path, shown, log)
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
    named = _NUMBERED_NAME.match(path.stem)
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


def read_jsonl(path: Path, *, root: Path, log: FindingLog) -> Iterator[RawArticle]:
    """JSON Lines: one object a line with ``id``, ``date``, ``text`` and optional
    ``title``, ``source``, ``url``, ``license``. Other keys are ignored; blank lines carry no record."""
    shown = display_path(path, root)
    size = path.stat().st_size
    if size > MAX_JSONL_BYTES:
        log.add(finding("L1.raw.size", f"file is {size:,} bytes, over the {MAX_JSONL_BYTES:,}-byte limit", shown, 1))
        return
    with path.open("rb") as handle:
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


FURNITURE_TAGS = frozenset({"h1", "aside", "nav", "header", "footer", "figure", "figcaption"})
"""Elements inside an article that are never its text: the ``h1`` is the title (kept in ``title``); the
others are asides, navigation, the article's header and footer, and illustrations with their captions."""

FURNITURE_CLASSES = frozenset({
    "rubrique", "surtitre", "kicker", "meta", "byline", "dateline", "breadcrumb", "share", "related", "tags",
})
"""Class names of page furniture inside an article: section label (rubrique), kicker (surtitre), the
"Publié le … · Lecture 2 min" meta line, byline, dateline, breadcrumb, share buttons, related links, tag
lists. They are compared as whole, lower-cased class tokens: ``class="meta"`` matches, ``class="article-meta"``
does not, so that the set stays small and predictable."""

UNRENDERED_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "canvas"})
"""Elements whose content a reader of the page never sees as text; removed with everything inside them."""

BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li"})
"""The blocks whose text makes the article: paragraphs, inter-titles, quotations and list items."""

_HIDING_STYLE = re.compile(r"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_PUBLISHED = (
    "string(//meta[@property='article:published_time']/@content)",
    "string(//meta[@name='date']/@content)",
    "string(//time[@datetime]/@datetime)",
)
_CANONICAL = "string(//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href)"
_NOT_IN_FURNITURE = "[not(ancestor::aside or ancestor::nav or ancestor::header or ancestor::footer)]"


class HtmlPage(NamedTuple):
    """What a page yields before it becomes a :class:`RawArticle`: paragraphs joined by a blank line, and metadata."""

    body: str
    title: str | None
    date: str | None
    url: str | None
    source: str | None


def read_html(path: Path, *, root: Path, log: FindingLog) -> Iterator[RawArticle]:
    """An HTML article page. Its text is the article's paragraphs and inter-titles only (see
    :func:`extract_page`); title, date, site name and URL come from the article and the page head."""
    shown = display_path(path, root)
    decoded = _decode_text_file(path, shown, log)
    if decoded is None:
        return
    data, html = decoded
    doc = _parse_html(html, shown, log)
    if doc is None:
        return
    page = extract_page(doc)
    if not page.body.strip():
        log.add(finding("L1.raw.empty", "no article text could be extracted from the page", shown, 1))
        return
    if page.date is None:
        log.add(finding("L1.raw.date", "the page gives no publication date", shown, 1,
                        hint="add <meta property='article:published_time'> or convert the article to .txt"))
        return
    named = _NUMBERED_NAME.match(path.stem)
    yield RawArticle(
        doc_id=named.group(1) if named else content_id(data),
        date=page.date,
        body=page.body,
        path=shown,
        line=1,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        reader="html",
        title=page.title,
        url=page.url,
        source=page.source,
    )


def _parse_html(html: str, shown: str, log: FindingLog) -> lxml.html.HtmlElement | None:
    """The page's ``<html>`` element, or None after a located ``L1.raw.html`` finding.

    ``document_fromstring`` always returns the whole document, head included, where ``fromstring`` may
    return a lone fragment element. lxml refuses a str that starts with an XML declaration: it is dropped.
    """
    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (etree.LxmlError, ValueError) as err:
        line = getattr(err, "lineno", None) or 1
        log.add(finding("L1.raw.html", f"the page cannot be parsed as HTML: {err}", shown, line,
                        hint="check that the file is an HTML page"))
        return None


def extract_page(doc: lxml.html.HtmlElement) -> HtmlPage:
    """Text and metadata of a parsed page; ``doc`` is modified in place.

    Unrendered and hidden content is removed first, from the whole page. The text then comes from the first
    ``<article>`` (else ``<main>``) that is not itself inside an aside, nav, header or footer. trafilatura's
    heuristics are only the fallback for pages that have neither; they see the cleaned page, so hidden text
    stays out on that path too. An article with no paragraph gives an empty body (reported by the caller),
    not a fallback: trafilatura would then pick up the site's navigation.
    """
    drop_unrendered(doc)
    head = page_metadata(doc)
    container = _article_container(doc)
    if container is None:
        return _trafilatura_page(doc, head)
    heading = _collapse(container.xpath("string(.//h1)"))
    _drop_furniture(container)
    return head._replace(body="\n\n".join(article_paragraphs(container)), title=heading or head.title)


def drop_unrendered(doc: lxml.html.HtmlElement) -> None:
    """Remove, with their text, scripts, styles, templates, ``<noscript>``, comments and hidden elements.

    A security rule as much as a cleaning one: text a reader of the page cannot see (``hidden``,
    ``aria-hidden="true"``, inline ``display:none`` / ``visibility:hidden``) must never reach the corpus.
    The tail text after a removed element is visible, and is kept.
    """
    for element in [el for el in doc.iter() if _is_unrendered(el)]:
        if element.getparent() is None:
            element.clear()
        else:
            element.drop_tree()


def _is_unrendered(element: etree._Element) -> bool:
    """True for a comment, an element whose content is never rendered, or an element hidden by its markup."""
    if not isinstance(element.tag, str):
        return True
    if element.tag in UNRENDERED_TAGS or element.get("hidden") is not None:
        return True
    if (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return bool(_HIDING_STYLE.search(element.get("style") or ""))


def page_metadata(doc: lxml.html.HtmlElement) -> HtmlPage:
    """Title, date, URL and site name from the page head; the body is left empty for the caller.

    Title: ``og:title``, else ``<title>`` without a trailing `` | Site name``. Date: the first of
    ``article:published_time``, ``meta name=date`` and the first ``time[datetime]`` that is a valid date.
    Site name: ``og:site_name`` only; a `` | Site`` suffix of ``<title>`` is a guess, and a page
    without ``og:site_name`` takes its source from ``annotations/sources.tsv``. URL: the canonical
    link, else ``og:url``. Missing values are None.
    """
    head_title, _ = _split_title(_collapse(doc.xpath("string(//title)")))
    return HtmlPage(
        body="",
        title=_meta(doc, "og:title") or head_title,
        date=_published_date(doc),
        url=_collapse(doc.xpath(_CANONICAL)) or _meta(doc, "og:url"),
        source=_meta(doc, "og:site_name"),
    )


def _split_title(title: str | None) -> tuple[str | None, str | None]:
    """``("Title", "Site name")`` for ``"Title | Site name"``; ``(title, None)`` when there is no `` | ``."""
    if not title or " | " not in title:
        return title, None
    head, _, site = title.rpartition(" | ")
    return head.strip() or None, site.strip() or None


def _meta(doc: lxml.html.HtmlElement, key: str) -> str | None:
    """The content of ``<meta property=key>`` (or ``name=key``, which some sites use for Open Graph)."""
    return _collapse(doc.xpath("string(//meta[@property=$key or @name=$key]/@content)", key=key))


def _published_date(doc: lxml.html.HtmlElement) -> str | None:
    """The publication date, validated by :func:`parse_date` on its first 10 characters (drops a time part)."""
    for query in _PUBLISHED:
        date = parse_date(doc.xpath(query).strip()[:10])
        if date is not None:
            return date
    return None


def _collapse(text: str) -> str | None:
    """``text`` on one line with single spaces, or None if blank: metadata values are single-line."""
    return " ".join(text.split()) or None


def _article_container(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The first ``<article>``, else the first ``<main>``, not inside page furniture (a teaser card in
    an "À lire aussi" aside is not the article); None when the page has neither."""
    for tag in ("article", "main"):
        found = doc.xpath(f"(//{tag}{_NOT_IN_FURNITURE})[1]")
        if found:
            return found[0]
    return None


def _drop_furniture(container: lxml.html.HtmlElement) -> None:
    """Remove the title and the page furniture inside the article (``FURNITURE_TAGS``, ``FURNITURE_CLASSES``)."""
    doomed = [el for el in container.iterdescendants()
              if el.tag in FURNITURE_TAGS or FURNITURE_CLASSES & set((el.get("class") or "").lower().split())]
    for element in doomed:
        element.drop_tree()


def article_paragraphs(container: lxml.html.HtmlElement) -> list[str]:
    """The non-empty text of each block (``BLOCK_TAGS``) of the article, in document order.

    One block is one paragraph: a block nested in another (a ``p`` in a ``blockquote`` or ``li``) is a
    paragraph of its own and left out of its parent's text, so nothing is read twice. Line breaks inside a
    block become spaces, since HTML renders them so and normalisation would otherwise split the paragraph.
    """
    blocks = [el for el in container.iterdescendants() if el.tag in BLOCK_TAGS]
    nested = set(blocks)
    texts = (_LINE_BREAK.sub(" ", _own_text(block, nested)).strip() for block in blocks)
    return [text for text in texts if text]


def _own_text(block: etree._Element, nested: set) -> str:
    """The text of ``block`` and its inline descendants (``em``, ``a``, ``time``…), in order, skipping
    the subtrees of ``nested`` blocks but keeping the text that follows them. Iterative, so that deep
    nesting cannot exhaust the stack; ``<br>`` reads as a space."""
    parts = [block.text or ""]
    stack: list = list(reversed(block))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if item.tail:
            stack.append(item.tail)
        if item.tag == "br":
            parts.append(" ")
        elif item not in nested:
            parts.append(item.text or "")
            stack.extend(reversed(item))
    return "".join(parts)


def _trafilatura_page(doc: lxml.html.HtmlElement, head: HtmlPage) -> HtmlPage:
    """The previous extraction, for pages without article or main: trafilatura on the cleaned page; its
    metadata first, as before, and the page head's where it found none."""
    import trafilatura

    page = trafilatura.bare_extraction(lxml.html.tostring(doc, encoding="unicode"), with_metadata=True)
    if page is None or not (page.text or "").strip():
        return head
    date = parse_date((page.date or "")[:10]) if page.date else None
    return HtmlPage(
        body="\n\n".join(page.text.split("\n")),
        title=page.title or head.title,
        date=date or head.date,
        url=page.url or head.url,
        source=page.sitename or head.source,
    )


READERS: dict[str, Reader] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl,
    ".html": read_html,
    ".htm": read_html,
}


def walk_raw(raw_dir: Path, *, root: Path, log: FindingLog) -> Iterator[Path]:
    """Raw files below ``raw_dir`` in sorted order. Dotfiles (``.gitkeep``) are not articles.

    Symbolic links are never followed: one is reported, since it could point outside the repository.
    """
    for entry in sorted(os.scandir(raw_dir), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            log.add(finding("L0.path.symlink", "symbolic links are not allowed in raw/", display_path(path, root),
                            hint="copy the article into raw/ instead of linking to it"))
        elif entry.is_dir():
            yield from walk_raw(path, root=root, log=log)
        else:
            yield path


def read_raw(paths: Iterator[Path], *, root: Path, log: FindingLog) -> Iterator[RawArticle]:
    """Dispatch each raw file to the reader registered for its extension."""
    for path in paths:
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            known = ", ".join(sorted(READERS))
            log.add(finding("L1.raw.extension", f"unknown raw file extension {path.suffix!r} (known: {known})",
                            display_path(path, root), None, hint="rename the file or add a reader to READERS"))
            continue
        yield from reader(path, root=root, log=log)
