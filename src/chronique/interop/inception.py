"""INCEpTION and WebAnno importers: UIMA CAS XMI (read with dkpro-cassis) and WebAnno TSV 3.x.

Both formats count offsets in UTF-16 code units, as Java does. :func:`utf16_to_codepoints`
turns them into the code points that Python and :mod:`chronique.interop.base` use, so an
emoji (two units, one code point) does not shift every span after it.

**Which spans are imported.** One span layer per document:

* ``layer=`` (and optionally ``feature=``) when given;
* else the DKPro Core ``NamedEntity`` layer, when the document has it (XMI) or declares it
  (TSV): label = feature ``value``, and ``identifier`` becomes ``ToolSpan.qid`` when it is a
  Wikidata QID or entity IRI;
* else, in XMI, the first custom span layer (``webanno.custom.*`` or ``custom.*``, by name)
  that has a string feature; in TSV, the first ``#T_SP`` layer (header order) with a feature
  column.

A span layer's label is its ``value`` feature when it has one, else its first string feature;
a span without a value gets the label ``""`` (map it, or map it to IGNORE). Nesting is made
explicit: a span strictly inside another one names the smallest such span as ``parent``.
Zero-width spans cannot be mentions and are reported (``import.span.empty``). Every other layer
with annotations is reported once per document (``import.layer.unsupported``, a warning).

**Relations** (XMI types with ``Governor``/``Dependent`` features; TSV ``#T_RL`` layers)
become :class:`ToolStance` records (Governor → holder, Dependent → target) only when their
label is a polarity: FAVOR, AGAINST, NEUTRAL, or a key of ``mapping.polarities`` (which
:func:`~chronique.interop.base.to_annotation` then maps, IGNORE included). The others are counted
in one ``import.relation.ignored`` warning per layer and document.

**XML safety.** XMI and type systems are parsed first by :func:`parse_xml_safely`: no entity
expansion, no DTD loading, no network, and any document type declaration is refused
(``import.xml.unsafe``). cassis then reads bytes re-serialised from that checked tree, so its
own parser (whose entity handling depends on the installed lxml) never sees a DTD.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Callable, Iterator

from cassis import TypeSystem, load_cas_from_xmi, load_dkpro_core_typesystem, load_typesystem, merge_typesystems
from lxml import etree

from chronique.errors import Finding, FindingLog, InputError
from chronique.interop.base import LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.schema import POLARITIES

NAMED_ENTITY = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
DOCUMENT_METADATA = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
_SEGMENTATION = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type."
# Structure every CAS carries; not annotation layers anyone would import.
_NOT_LAYERS = frozenset({DOCUMENT_METADATA, "uima.tcas.DocumentAnnotation", _SEGMENTATION + "Token",
                         _SEGMENTATION + "Sentence",
                         "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.TagsetDescription"})
_CUSTOM_PREFIXES = ("webanno.custom.", "custom.")
_XMI_NS = "http://www.omg.org/XMI"
_CAS_NS = "http:///uima/cas.ecore"
MAX_IMPORT_BYTES = 64 * 1024 * 1024
_QID = re.compile(r"^(?:https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q[1-9][0-9]*)$")


# --- shared helpers --------------------------------------------------------------------


def utf16_to_codepoints(text: str) -> dict[int, int]:
    """Every UTF-16 offset on a character boundary of ``text`` → the code-point offset there.

    ``utf16_to_codepoints("a😊b") == {0: 0, 1: 1, 3: 2, 4: 3}``: the emoji takes two units, and
    offset 2, inside it, is absent, so a caller reports such an offset instead of cutting a character.
    """
    mapping, units = {}, 0
    for index, char in enumerate(text):
        mapping[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    mapping[units] = len(text)
    return mapping


def wikidata_qid(identifier: str | None) -> str | None:
    """The QID of ``Q42`` or ``http://www.wikidata.org/entity/Q42``; None for anything else (other KBs, NIL)."""
    match = _QID.match(identifier.strip()) if identifier else None
    return match.group(1) if match else None


def _stance_labels(mapping: LabelMapping | None) -> frozenset[str]:
    """Relation labels that denote a stance: our polarities and the mapping's polarity keys."""
    return frozenset(POLARITIES) | frozenset(mapping.polarities if mapping else ())


def _with_parents(spans: list[ToolSpan]) -> tuple[ToolSpan, ...]:
    """Spans in text order, each naming the smallest span that strictly contains it as ``parent``.

    INCEpTION stores overlapping spans side by side; our mentions need nesting explicit. Sorted by
    start (longest first), the spans still open form a stack whose ends never increase upwards.
    """
    stack: list[ToolSpan] = []
    result = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        while stack and stack[-1].end < span.end:
            stack.pop()
        parent = next((s for s in reversed(stack) if (s.start, s.end) != (span.start, span.end)), None)
        result.append(replace(span, parent=parent.id if parent else None))
        stack.append(span)
    return tuple(result)


def _converted(span_id: str, begin: int, end: int, offsets: dict[int, int], shown: str, line: int | None,
               log: FindingLog) -> tuple[int, int] | None:
    """UTF-16 ``begin``/``end`` as code points; None, with a finding, when unusable or zero-width."""
    start, stop = offsets.get(begin), offsets.get(end)
    if start is None or stop is None or stop < start:
        log.add(Finding("import.span.offsets", f"span {span_id}: UTF-16 offsets {begin}–{end} do not fall on "
                        f"character boundaries of the {max(offsets)}-unit text", shown, line,
                        hint="the export is damaged or its text was changed after annotation"))
        return None
    if start == stop:
        log.add(Finding("import.span.empty", f"span {span_id} at {start} is zero-width; a mention needs text",
                        shown, line, severity="warning", hint="extend the annotation to cover its words"))
        return None
    return start, stop


def _unsupported(layers: Counter, shown: str, log: FindingLog) -> None:
    for name, count in sorted(layers.items()):
        log.add(Finding("import.layer.unsupported", f"layer {name}: {count} annotation(s) not imported", shown,
                        severity="warning", hint="pass layer= to import this layer instead"))


def _ignored(relations: dict[str, Counter], shown: str, log: FindingLog) -> None:
    for name, labels in sorted(relations.items()):
        shown_labels = ", ".join(f"{label!r}×{n}" for label, n in sorted(labels.items()))
        log.add(Finding("import.relation.ignored", f"layer {name}: {sum(labels.values())} relation(s) are not "
                        f"stances, their labels ({shown_labels}) are not polarities", shown, severity="warning",
                        hint="map a relation label to FAVOR, AGAINST or NEUTRAL under \"polarities\" to import it"))


def _files(path: Path, suffix: str, log: FindingLog) -> list[Path]:
    """``path`` itself, or the ``*<suffix>`` files of a folder in sorted order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == suffix)
    if not path.is_file():
        log.add(Finding("import.file.missing", "no such file or folder", path.as_posix()))
        return []
    return [path]


def _read_bytes(path: Path, shown: str, log: FindingLog) -> bytes | None:
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        log.add(Finding("import.file.size", f"file is {size:,} bytes, over the {MAX_IMPORT_BYTES:,}-byte limit",
                        shown, hint="export documents one by one"))
        return None
    return path.read_bytes()


# --- XML safety ------------------------------------------------------------------------


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
        log.add(Finding("import.xml.malformed", f"not well-formed XML: {error.msg}", shown, line, col,
                        hint="export the document again"))
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        log.add(_unsafe(shown))
        return None
    return root


def _unsafe(shown: str) -> Finding:
    return Finding("import.xml.unsafe", "document type declaration (<!DOCTYPE …>) refused: it can pull in local "
                   "files or expand entities without bound", shown, 1,
                   hint="XMI never needs a DOCTYPE; export the document from INCEpTION again")


# --- UIMA CAS XMI ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    name: str
    label: str | None  # the feature holding the label; None when the layer has no string feature
    identifier: str | None = None  # the feature holding a knowledge-base id


def read_inception_xmi(
    path: Path,
    *,
    log: FindingLog,
    typesystem: Path | None = None,
    layer: str | None = None,
    feature: str | None = None,
    mapping: LabelMapping | None = None,
) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per UIMA CAS XMI file (``path`` or the ``*.xmi`` files of a folder).

    ``typesystem`` is the type-system XML; without it, a ``typesystem.xml`` beside the file is used
    when present. It is always merged with the DKPro Core types that cassis ships, and types unknown
    to both are skipped with a warning. ``layer``/``feature`` choose the span layer (see the module
    docstring); ``mapping`` adds relation labels that count as stances. Offsets come out as code
    points of the CAS's initial-view text; the document id is DocumentMetaData's ``documentId``,
    else its ``documentTitle``, else the file stem.
    """
    files = _files(path, ".xmi", log)
    types = _typesystem_for(typesystem or _sibling_typesystem(files[0].parent), log) if files else None
    if types is None:
        return
    stance_labels = _stance_labels(mapping)
    for file in files:
        document = _read_xmi_file(file, types, layer, feature, stance_labels, log)
        if document is not None:
            yield document


def _sibling_typesystem(folder: Path) -> Path | None:
    """INCEpTION exports ``TypeSystem.xml`` next to the XMI files."""
    return next((p for p in sorted(folder.iterdir()) if p.name.lower() == "typesystem.xml"), None)


def _typesystem_for(path: Path | None, log: FindingLog) -> TypeSystem | None:
    """The DKPro Core types merged with the types of ``path``; None, with a finding, when unreadable."""
    if path is None:
        return _base_typesystem()
    if not path.is_file():
        log.add(Finding("import.typesystem.unreadable", "type system file not found", path.as_posix()))
        return None
    stat = path.stat()
    try:
        return _cached_typesystem(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except InputError as error:
        log.extend(error.findings)
        return None


@lru_cache(maxsize=8)
def _cached_typesystem(path: str, mtime_ns: int, size: int) -> TypeSystem:
    """Merging ~400 DKPro types takes tens of milliseconds: done once per type-system file version.

    Raises :class:`InputError` with the findings when the file is unsafe or unusable (not cached).
    """
    shown, local = Path(path).as_posix(), FindingLog()
    data = _read_bytes(Path(path), shown, local)
    if data is None or parse_xml_safely(data, shown, local) is None:
        raise InputError("unusable type system", local.findings)
    try:
        return merge_typesystems(_base_typesystem(), load_typesystem(BytesIO(data)))
    except Exception as error:  # cassis raises bare ValueError/KeyError/… on inconsistent descriptions
        raise InputError("unusable type system", [Finding(
            "import.typesystem.unreadable", f"cassis cannot use this type system: {error}", shown,
            hint="pass the TypeSystem.xml exported with the documents")]) from None


@lru_cache(maxsize=1)
def _base_typesystem() -> TypeSystem:
    """DKPro Core's types (as cassis ships them) plus DocumentMetaData, which that file lacks."""
    with warnings.catch_warnings():  # cassis 0.12 loads its resource with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        types = merge_typesystems(load_dkpro_core_typesystem())
    if not types.contains_type(DOCUMENT_METADATA, match_exactly=True):
        metadata = types.create_type(DOCUMENT_METADATA, supertypeName="uima.tcas.DocumentAnnotation")
        for name in ("documentTitle", "documentId", "documentUri", "collectionId", "documentBaseUri"):
            types.create_feature(metadata, name, "uima.cas.String")
        types.create_feature(metadata, "isLastSegment", "uima.cas.Boolean")
    return types


def _read_xmi_file(file: Path, types: TypeSystem, layer: str | None, feature: str | None,
                   stance_labels: frozenset[str], log: FindingLog) -> ToolDocument | None:
    shown = file.as_posix()
    data = _read_bytes(file, shown, log)
    root = parse_xml_safely(data, shown, log) if data is not None else None
    if root is None:
        return None
    _drop_undeclared_features(root, types, shown, log)
    cas = _load_cas(etree.tostring(root, encoding="UTF-8"), types, shown, log)
    if cas is None:
        return None
    text = cas.sofa_string
    if text is None:
        log.add(Finding("import.xmi.no-text", "the CAS has no text in its initial view", shown))
        return None
    present = Counter(fs.type.name for fs in cas.select_all_fs())
    chosen = _choose_xmi_layer(types, present, layer, feature, shown, log)
    spans = _xmi_spans(cas, chosen, _raw_offsets(root), utf16_to_codepoints(text), shown, log) if chosen else []
    stances = _xmi_stances(cas, types, present, stance_labels, shown, log)
    _unsupported(_unused_xmi_layers(types, present, chosen), shown, log)
    return ToolDocument(_xmi_doc_id(cas, file), text, _with_parents(spans), shown, tuple(stances))


def _type_name(tag: str) -> str | None:
    """The UIMA type an XMI element stands for: ``{http:///a/b.ecore}C`` → ``a.b.C``."""
    qname = etree.QName(tag)
    namespace = qname.namespace or ""
    if namespace in (_CAS_NS, _XMI_NS) or not namespace.startswith("http:///") or not namespace.endswith(".ecore"):
        return None
    name = namespace[len("http:///") : -len(".ecore")].replace("/", ".") + "." + qname.localname
    return name.removeprefix("uima.noNamespace.")


def _drop_undeclared_features(root: etree._Element, types: TypeSystem, shown: str, log: FindingLog) -> None:
    """Remove attributes the type system does not declare, with a warning.

    cassis fails on them even when lenient, so one renamed feature would lose the whole document.
    """
    dropped: Counter = Counter()
    for element in root:
        name = _type_name(element.tag) if isinstance(element.tag, str) else None
        if name is None or not types.contains_type(name, match_exactly=True):
            continue
        declared = {f.name for f in types.get_type(name).all_features}
        for attribute in [a for a in element.attrib if not a.startswith("{") and a not in declared]:
            del element.attrib[attribute]
            dropped[name, attribute] += 1
    for (name, attribute), count in sorted(dropped.items()):
        log.add(Finding("import.xmi.feature-unknown", f"{name} has no feature {attribute!r} in the type system; "
                        f"dropped from {count} annotation(s)", shown, severity="warning",
                        hint="pass the type system the file was exported with (typesystem=)"))


def _load_cas(data: bytes, types: TypeSystem, shown: str, log: FindingLog):
    """The CAS, or None with a finding; cassis's warnings (skipped unknown types) become findings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cas = load_cas_from_xmi(BytesIO(data), typesystem=types, lenient=True)
        except Exception as error:  # cassis raises KeyError, TypeError, ValueError… on inconsistent XMI
            log.add(Finding("import.xmi.unreadable", f"cassis cannot load the CAS: {type(error).__name__}: {error}",
                            shown, hint="pass the type system the file was exported with (typesystem=)"))
            return None
    # Offsets cassis cannot map are reported per span by _converted, from the raw attributes.
    messages = sorted({str(w.message) for w in caught if not str(w.message).startswith("Not mapping")})
    for message in messages:
        log.add(Finding("import.xmi.skipped", message, shown, severity="warning",
                        hint="pass the type system the file was exported with (typesystem=)"))
    return cas


def _raw_offsets(root: etree._Element) -> dict[int, tuple[int, int]]:
    """``xmi:id`` → the UTF-16 ``begin``/``end`` as written in the file.

    cassis converts offsets itself, but keeps an unmappable one unchanged with only a warning;
    converting the raw values with :func:`utf16_to_codepoints` lets such a span become a finding.
    """
    offsets = {}
    for element in root:
        # UIMA leaves out features at their default value, 0 for begin and end.
        xmi_id, begin, end = element.get(f"{{{_XMI_NS}}}id", ""), element.get("begin", "0"), element.get("end", "0")
        if xmi_id.isdigit() and begin.isdigit() and end.isdigit():
            offsets[int(xmi_id)] = (int(begin), int(end))
    return offsets


def _string_features(type_) -> list[str]:
    return [f.name for f in type_.all_features if f.rangeType.name == "uima.cas.String"]


def _is_relation(type_) -> bool:
    return {"Governor", "Dependent"} <= {f.name for f in type_.all_features}


def _is_span_layer(types: TypeSystem, name: str) -> bool:
    """An annotation type that is neither a relation nor a chain link (which has ``next``)."""
    type_ = types.get_type(name)
    return (types.subsumes("uima.tcas.Annotation", name) and not _is_relation(type_)
            and all(f.name != "next" for f in type_.all_features))


def _default_xmi_layer(types: TypeSystem, present: Counter) -> str | None:
    if types.contains_type(NAMED_ENTITY, match_exactly=True) and any(types.subsumes(NAMED_ENTITY, n) for n in present):
        return NAMED_ENTITY
    custom = (n for n in sorted(present) if n.startswith(_CUSTOM_PREFIXES) and _is_span_layer(types, n))
    return next((n for n in custom if _string_features(types.get_type(n))), None)


def _choose_xmi_layer(types: TypeSystem, present: Counter, layer: str | None, feature: str | None, shown: str,
                      log: FindingLog) -> _Layer | None:
    """The span layer to import and its label feature; None, with a finding, when there is none."""
    name = layer or _default_xmi_layer(types, present)
    if name is None:
        log.add(Finding("import.layer.none", "no NamedEntity or custom span layer with a string feature", shown,
                        severity="warning", hint="pass layer= to choose the span layer"))
        return None
    known = types.contains_type(name, match_exactly=True) and _is_span_layer(types, name)
    features = {f.name for f in types.get_type(name).all_features} if known else set()
    if not known or (feature is not None and feature not in features):
        log.add(Finding("import.layer.unknown", f"the type system has no span layer {name!r}"
                        + (f" with feature {feature!r}" if known else ""), shown,
                        hint="check the layer and feature names against the type system"))
        return None
    strings = _string_features(types.get_type(name))
    label = feature or ("value" if "value" in strings else next(iter(strings), None))
    return _Layer(name, label, "identifier" if "identifier" in strings else None)


def _feature_text(fs, name: str | None) -> str:
    value = fs.get(name) if name else None
    return "" if value is None else str(value)


def _xmi_spans(cas, layer: _Layer, raw: dict[int, tuple[int, int]], offsets: dict[int, int], shown: str,
               log: FindingLog) -> list[ToolSpan]:
    spans = []
    for fs in sorted(cas.select(layer.name), key=lambda fs: fs.xmiID):  # subtypes included
        begin, end = raw.get(fs.xmiID, (0, 0))
        place = _converted(str(fs.xmiID), begin, end, offsets, shown, None, log)
        if place is not None:
            qid = wikidata_qid(_feature_text(fs, layer.identifier)) if layer.identifier else None
            spans.append(ToolSpan(str(fs.xmiID), *place, _feature_text(fs, layer.label), qid=qid))
    return spans


def _xmi_stances(cas, types: TypeSystem, present: Counter, stance_labels: frozenset[str], shown: str,
                 log: FindingLog) -> list[ToolStance]:
    stances, ignored = [], {}
    for name in sorted(n for n in present if _is_relation(types.get_type(n))):
        type_ = types.get_type(name)
        strings = _string_features(type_)
        label_feature = "value" if "value" in strings else next(iter(strings), None)
        for fs in sorted((fs for fs in cas.select_all_fs() if fs.type.name == name), key=lambda fs: fs.xmiID):
            label = _feature_text(fs, label_feature)
            if label in stance_labels:
                holder, target = (str(getattr(fs.get(f), "xmiID", "")) for f in ("Governor", "Dependent"))
                stances.append(ToolStance(str(fs.xmiID), holder, target, label))
            else:
                ignored.setdefault(name, Counter())[label] += 1
    _ignored(ignored, shown, log)
    return stances


def _unused_xmi_layers(types: TypeSystem, present: Counter, chosen: _Layer | None) -> Counter:
    """Annotation layers with annotations that are neither imported nor structural (tokens, sentences…)."""
    unused = Counter()
    for name, count in present.items():
        if name in _NOT_LAYERS or _is_relation(types.get_type(name)):
            continue
        if types.subsumes("uima.tcas.Annotation", name) and not (chosen and types.subsumes(chosen.name, name)):
            unused[name] = count
    return unused


def _xmi_doc_id(cas, file: Path) -> str:
    for fs in cas.select_all_fs():
        if fs.type.name == DOCUMENT_METADATA:
            value = fs.get("documentId") or fs.get("documentTitle")
            if value:
                return str(value)
    return file.stem


# --- WebAnno TSV 3.x -------------------------------------------------------------------

_FORMAT = re.compile(r"^#FORMAT=WebAnno TSV (?P<major>\d+)\.(?P<minor>\d+)$")
_UNIT = re.compile(r"^\d+-\d+(?:\.\d+)?$")
_OFFSETS = re.compile(r"^(\d+)-(\d+)$")
_STACK = re.compile(r"(?<!\\)\|")
_VALUE_ESCAPES = {"\\\\": "\\", "\\[": "[", "\\]": "]", "\\|": "|", "\\_": "_", "\\->": "->", "\\;": ";",
                  "\\t": "\t", "\\n": "\n", "\\*": "*"}
_TEXT_ESCAPES = {"\\" + chr(i): chr(i) for i in range(32) if not 8 <= i <= 13} | {
    "\\t": "\t", "\\n": "\n", "\\f": "\f", "\\r": "\r", "\\b": "\b", "\\\\": "\\"}
# TSV 3.0 and 3.1 escaped #Text with Java string escapes, which also cover quotes and \uXXXX.
_OLD_TEXT_ESCAPES = _TEXT_ESCAPES | {"\\'": "'", '\\"': '"'}


def _unescaper(table: dict[str, str], *, java_unicode: bool = False) -> Callable[[str], str]:
    """A one-pass unescaper for ``table`` (escape → character), optionally also ``\\uXXXX``."""
    alternatives = [re.escape(k) for k in sorted(table, key=len, reverse=True)]
    pattern = re.compile("|".join(([r"\\u[0-9a-fA-F]{4}"] if java_unicode else []) + alternatives))

    def replacement(match: re.Match) -> str:
        escape = match.group()
        return table[escape] if escape in table else chr(int(escape[2:], 16))

    return lambda text: pattern.sub(replacement, text)


@dataclass
class _TsvLayer:
    """One ``#T_SP``/``#T_RL``/``#T_CH`` declaration and where its columns sit in a token row."""

    kind: str
    name: str
    columns: list[str]  # feature declarations; [""] for a layer without features
    start: int  # index of its first column in a token row

    def primitive(self) -> list[str]:
        """Plain feature columns: not slot roles/targets (``ROLE_…``, type names) nor relation bases (``BT_…``)."""
        return [c for c in self.columns if c and not c.startswith(("ROLE_", "BT_")) and "." not in c]

    def field(self, fields: list[str], column: str) -> str:
        return fields[self.start + self.columns.index(column)]


@dataclass(frozen=True)
class _TsvChoice:
    """The span layer to import, its label column (None: no plain feature) and its identifier column."""

    layer: _TsvLayer
    label: str | None
    identifier: str | None


@dataclass
class _PendingSpan:
    id: str
    begin: int  # UTF-16
    end: int
    label: str
    qid: str | None
    line: int


@dataclass
class _PendingRelation:
    layer: _TsvLayer
    label: str
    source: tuple[str, int]  # unit id, disambiguation id (0: the unit's first annotation)
    target: tuple[str, int]
    line: int


@dataclass
class _TextBuilder:
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


@dataclass
class _TsvState:
    """What a TSV file has shown so far: text, token units, spans of the chosen layer, relations."""

    builder: _TextBuilder = field(default_factory=_TextBuilder)
    pending_text: list[str] = field(default_factory=list)
    spans: dict[tuple, _PendingSpan] = field(default_factory=dict)
    at_unit: dict[str, list[tuple]] = field(default_factory=dict)  # unit id → span keys by stacking index
    relations: list[_PendingRelation] = field(default_factory=list)
    unused: Counter = field(default_factory=Counter)


def read_webanno_tsv3(
    path: Path,
    *,
    log: FindingLog,
    layer: str | None = None,
    feature: str | None = None,
    mapping: LabelMapping | None = None,
) -> Iterator[ToolDocument]:
    """One :class:`ToolDocument` per WebAnno TSV 3.x file (``path`` or the ``*.tsv`` files of a folder).

    The text is rebuilt from the ``#Text=`` lines at the tokens' offsets (sentences that touch lose
    the format's line break, gaps become spaces, as INCEpTION does); offsets become code points.
    Multi-token spans are joined by their ``[n]`` ids, stacked values (``a|b``) are separate spans,
    sub-token rows (``1-2.1``) carry their own offsets, and escaped characters are restored. The
    document id is the file stem. ``layer``/``feature``/``mapping`` as for :func:`read_inception_xmi`.
    """
    stance_labels = _stance_labels(mapping)
    for file in _files(path, ".tsv", log):
        document = _read_tsv_file(file, layer, feature, stance_labels, log)
        if document is not None:
            yield document


def _tsv_lines(file: Path, shown: str, log: FindingLog) -> list[str] | None:
    data = _read_bytes(file, shown, log)
    if data is None:
        return None
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        log.add(Finding("import.file.encoding", f"not valid UTF-8 at byte {error.start}", shown,
                        hint="WebAnno TSV is UTF-8; export the document again"))
        return None
    # Only \n separates lines: str.splitlines would also split at characters the #Text lines keep as is.
    return [line.removesuffix("\r") for line in text.split("\n")]


def _tsv_header(lines: list[str], shown: str, log: FindingLog) -> tuple[tuple[int, int], list[_TsvLayer]] | None:
    """The format version and the layer declarations; None, with a finding, when this is not TSV 3.x."""
    match = _FORMAT.match(lines[0]) if lines else None
    if match is None or match["major"] != "3":
        log.add(Finding("import.tsv.format", f"expected '#FORMAT=WebAnno TSV 3.x' on line 1, found "
                        f"{(lines or [''])[0][:60]!r}", shown, 1, hint="export as WebAnno TSV v3"))
        return None
    layers, start = [], 3  # a token row starts with id, offsets and token text
    for line in lines[1:]:
        if not line.startswith("#T_"):
            break
        kind, _, declaration = line[3:].partition("=")
        # Empty parts are dropped, as INCEpTION does: "SimpleSpan|" is a layer without features.
        name, *columns = [part for part in declaration.split("|") if part] or ["(unnamed)"]
        layers.append(_TsvLayer(kind, name, columns or [""], start))
        start += len(columns or [""])
    return (int(match["major"]), int(match["minor"])), layers


def _choose_tsv_layer(layers: list[_TsvLayer], layer: str | None, feature: str | None, shown: str,
                      log: FindingLog) -> _TsvChoice | None:
    """The span layer to import and its label and identifier columns; None, with a finding, when there is none."""
    spans = [l for l in layers if l.kind == "SP"]
    if layer is not None:
        chosen = next((l for l in spans if l.name == layer), None)
    else:
        named = next((l for l in spans if l.name == NAMED_ENTITY), None)
        chosen = named or next((l for l in spans if l.primitive()), None)
    if chosen is None or (feature is not None and feature not in chosen.primitive()):
        if layer is not None:
            log.add(Finding("import.layer.unknown", f"no span layer {layer!r}" + (f" with feature {feature!r}" if
                            feature else "") + " in the header", shown, 2, hint="check the #T_SP= lines"))
        else:
            log.add(Finding("import.layer.none", "no span layer with a feature column", shown, 2, severity="warning",
                            hint="pass layer= to choose the span layer"))
        return None
    primitive = chosen.primitive()
    label = feature or ("value" if "value" in primitive else next(iter(primitive), None))
    return _TsvChoice(chosen, label, "identifier" if "identifier" in primitive else None)


def _read_tsv_file(file: Path, layer: str | None, feature: str | None, stance_labels: frozenset[str],
                   log: FindingLog) -> ToolDocument | None:
    shown = file.as_posix()
    lines = _tsv_lines(file, shown, log)
    header = _tsv_header(lines, shown, log) if lines is not None else None
    if header is None:
        return None
    version, layers = header
    chosen = _choose_tsv_layer(layers, layer, feature, shown, log)
    unescape_text = _unescaper(_TEXT_ESCAPES) if version[1] >= 2 else _unescaper(_OLD_TEXT_ESCAPES, java_unicode=True)
    width = 3 + sum(len(l.columns) for l in layers)
    state = _TsvState()
    for number, line in enumerate(lines[1 + len(layers) :], start=2 + len(layers)):
        if line.startswith("#Text="):
            state.pending_text.append(unescape_text(line[len("#Text=") :]))
        elif line and not line.startswith("#"):
            _tsv_row(line.split("\t"), number, width, layers, chosen, state, shown, log)
    if state.pending_text:  # a last sentence without token rows still belongs to the text
        state.builder.add_sentence("\n".join(state.pending_text), state.builder.units)
    text = state.builder.text()
    spans = _tsv_spans(state, utf16_to_codepoints(text), shown, log)
    stances = _tsv_stances(state, chosen, stance_labels, shown, log)
    _unsupported(state.unused, shown, log)
    return ToolDocument(file.stem, text, _with_parents(spans), shown, tuple(stances), line=1)


def _tsv_row(fields: list[str], number: int, width: int, layers: list[_TsvLayer], chosen: _TsvChoice | None,
             state: _TsvState, shown: str, log: FindingLog) -> None:
    """One token or sub-token row: place its sentence's text if it opens one, then read its columns."""
    offsets = _OFFSETS.match(fields[1]) if len(fields) >= width else None
    if offsets is None or not _UNIT.match(fields[0]):
        log.add(Finding("import.tsv.malformed", f"expected a token row of {width} tab-separated fields "
                        f"(id, begin-end, token, …), found {len(fields)}: {fields[0][:40]!r}", shown, number,
                        hint="the file was edited by hand or truncated; export it again"))
        return
    unit, begin, end = fields[0], int(offsets[1]), int(offsets[2])
    if state.pending_text:
        if not state.builder.add_sentence("\n".join(state.pending_text), begin):
            log.add(Finding("import.tsv.offsets", f"sentence starts at offset {begin}, inside the text before it",
                            shown, number, hint="the offsets do not match the #Text lines; export again"))
        state.pending_text = []
    for current in layers:
        values = fields[current.start : current.start + len(current.columns)]
        if all(value == "_" for value in values):
            continue
        if chosen is not None and current is chosen.layer:
            _add_spans(fields, unit, begin, end, number, chosen, state)
        elif current.kind == "RL" and any(c.startswith("BT_") for c in current.columns):
            _add_relations(fields, unit, number, current, state)
        else:
            state.unused[current.name] += 1


def _split_stack(value: str) -> list[str]:
    """Stacked values of one column (``a[1]|b[2]``); ``_`` means none."""
    return [] if value == "_" else _STACK.split(value)


def _split_id(value: str) -> tuple[str, str | None]:
    """``PER[3]`` → (``PER``, ``3``); an escaped ``\\]`` is part of the value, not an id."""
    if value.endswith("]") and not value.endswith("\\]"):
        head, bracket, tail = value.rpartition("[")
        if bracket:
            return head, tail[:-1]
    return value, None


_unescape_value = _unescaper(_VALUE_ESCAPES)


def _value(raw: str) -> str:
    """A feature value: ``*`` is an annotation whose feature is unset, everything else is unescaped."""
    return "" if raw == "*" else _unescape_value(raw)


def _add_spans(fields: list[str], unit: str, begin: int, end: int, number: int, chosen: _TsvChoice,
               state: _TsvState) -> None:
    """Each stacked value starts a span or, through its ``[n]`` id, extends one seen on an earlier unit."""
    layer = chosen.layer
    identifiers = _split_stack(layer.field(fields, chosen.identifier)) if chosen.identifier else []
    keys = state.at_unit.setdefault(unit, [])
    # Without a plain feature, the first column (a placeholder or slot role) only says a span is there.
    for index, raw in enumerate(_split_stack(layer.field(fields, chosen.label or layer.columns[0]))):
        value, tag = _split_id(raw)
        key = ("id", tag) if tag and tag.isdigit() else ("unit", unit, index)
        span = state.spans.get(key)
        if span is None:
            identifier = _value(_split_id(identifiers[index])[0]) if index < len(identifiers) else ""
            span_id = f"{unit}[{tag}]" if key[0] == "id" else f"{unit}:{index}"
            label = _value(value) if chosen.label else ""
            state.spans[key] = _PendingSpan(span_id, begin, end, label, wikidata_qid(identifier), number)
        else:
            span.begin, span.end = min(span.begin, begin), max(span.end, end)
        keys.append(key)


def _add_relations(fields: list[str], unit: str, number: int, layer: _TsvLayer, state: _TsvState) -> None:
    """Relations sit on their target's row; the ``BT_`` column names the source: ``1-2[3_4]`` (source, target ids)."""
    base = next(c for c in layer.columns if c.startswith("BT_"))
    primitive = layer.primitive()
    label_column = "value" if "value" in primitive else next(iter(primitive), None)
    labels = _split_stack(layer.field(fields, label_column)) if label_column else []
    for index, raw in enumerate(_split_stack(layer.field(fields, base))):
        source, tag = _split_id(raw)
        ids = tag.split("_") if tag else ["0", "0"]
        source_id, target_id = (int(i) if i.isdigit() else 0 for i in (ids + ["0", "0"])[:2])
        label = _value(_split_id(labels[index])[0]) if index < len(labels) else ""
        state.relations.append(_PendingRelation(layer, label, (source, source_id), (unit, target_id), number))


def _tsv_spans(state: _TsvState, offsets: dict[int, int], shown: str, log: FindingLog) -> list[ToolSpan]:
    spans = []
    for pending in state.spans.values():
        place = _converted(pending.id, pending.begin, pending.end, offsets, shown, pending.line, log)
        if place is not None:
            spans.append(ToolSpan(pending.id, *place, pending.label, line=pending.line, qid=pending.qid))
    return spans


def _resolve(state: _TsvState, reference: tuple[str, int]) -> str:
    """The span id a relation end names: by ``[n]`` id, else the first span on that unit (as INCEpTION does)."""
    unit, tag = reference
    key = ("id", str(tag)) if tag > 0 else next(iter(state.at_unit.get(unit, [])), None)
    span = state.spans.get(key)
    return span.id if span else f"{unit}[{tag}] (not a span of the imported layer)"


def _tsv_stances(state: _TsvState, chosen: _TsvChoice | None, stance_labels: frozenset[str], shown: str,
                 log: FindingLog) -> list[ToolStance]:
    stances, ignored = [], {}
    for number, relation in enumerate(state.relations, start=1):
        base = next(c for c in relation.layer.columns if c.startswith("BT_")).removeprefix("BT_")
        if relation.label not in stance_labels:
            ignored.setdefault(relation.layer.name, Counter())[relation.label] += 1
            continue
        on_layer = chosen is not None and base == chosen.layer.name
        holder, target = ((_resolve(state, r) if on_layer else f"{r[0]} ({base})") for r in
                          (relation.source, relation.target))
        stances.append(ToolStance(f"r{number}", holder, target, relation.label, line=relation.line))
    _ignored(ignored, shown, log)
    return stances
