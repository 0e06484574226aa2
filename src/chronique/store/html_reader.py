"""The HTML reader: an article page's paragraphs and inter-titles become the text, its headline the
title; navigation, banners, section labels, asides and footers go nowhere."""

from __future__ import annotations

import hashlib
import re
from typing import Iterator, NamedTuple

import lxml.html
from lxml import etree

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.store.raw_files import RawFile
from chronique.store.readers import NUMBERED_NAME, decode_text_file, content_id, parse_date
from chronique.store.records import RawArticle



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


def read_html_page(file: RawFile, *, log: FindingLog) -> Iterator[RawArticle]:
    """An HTML article page. Its text is the article's paragraphs and inter-titles only (see
    :func:`extract_page`); title, date, site name and URL come from the article and the page head."""
    shown = file.key
    decoded = decode_text_file(file, log)
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
    named = NUMBERED_NAME.match(file.stem)
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


