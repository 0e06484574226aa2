"""Parsing XML from a tool export without trusting it: no DTD, no entities, no network.

XMI files and UIMA type systems come from elsewhere. :func:`parse_xml_safely` refuses any
document type declaration before parsing (``import.xml.unsafe``): neither format needs one, and
it is where external entities (file disclosure) and entity-expansion bombs live.
"""

from __future__ import annotations

import re

from lxml import etree

from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog

_ELEMENT_START = re.compile(r"<[^!?]")


def _declares_dtd(data: bytes) -> bool:
    """Whether the prolog (everything before the first element) holds ``<!DOCTYPE``, in UTF-8 or UTF-16."""
    text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8", errors="replace")
    first = _ELEMENT_START.search(text)
    return "<!DOCTYPE" in text[: first.start() if first else len(text)]


def parse_xml_safely(data: bytes, shown: str, log: FindingLog) -> etree._Element | None:
    """The root element of ``data``, or None with a finding when it is not XML or declares a DTD.

    A document type declaration is refused outright (``import.xml.unsafe``), before parsing: neither
    XMI nor a UIMA type system needs one, and it is where external entities (file disclosure) and
    entity-expansion bombs live. The parser itself expands no entity, loads no DTD and fetches
    nothing, and its result is checked for a DTD again in case the prolog scan was fooled.
    """
    if _declares_dtd(data):
        log.add(_unsafe(shown))
        return None
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, col = error.position
        log.add(finding("import.xml.malformed", f"not well-formed XML: {error.msg}", shown, line, col,
                        hint="export the document again"))
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        log.add(_unsafe(shown))
        return None
    return root


def _unsafe(shown: str) -> Finding:
    return finding("import.xml.unsafe", "document type declaration (<!DOCTYPE …>) refused: it can pull in local "
                   "files or expand entities without bound", shown, 1,
                   hint="XMI never needs a DOCTYPE; export the document from INCEpTION again")


