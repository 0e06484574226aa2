"""INCEpTION's UIMA CAS XMI export, read with dkpro-cassis.

Which spans and relations are imported, and how offsets are converted, is shared with the
WebAnno TSV reader and described in :mod:`chronique.interop.inception`.

**Type system.** ``--typesystem FILE``, else the ``TypeSystem.xml`` nearest to each file, merged
with the DKPro Core types. An annotation whose type it does not declare is an error
(``import.typesystem.missing``): cassis would skip it, and a corpus of custom layers exported
without its type system would import nothing and still succeed.

**XML safety.** XMI and type systems are parsed first by :func:`~chronique.interop.xml_safety.parse_xml_safely`: no entity
expansion, no DTD loading, no network, and any document type declaration is refused
(``import.xml.unsafe``). cassis then reads bytes re-serialised from that checked tree, so its
own parser (whose entity handling depends on the installed lxml) never sees a DTD.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Iterator

from cassis import TypeSystem, load_cas_from_xmi, load_dkpro_core_typesystem, load_typesystem, merge_typesystems
from lxml import etree

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, InputError
from chronique.interop.base import DroppedSpan, LabelMapping, ToolDocument, ToolSpan, ToolStance
from chronique.interop.folders import folder_files
from chronique.interop.inception import (
    NAMED_ENTITY,
    CURATION_NAMES,
    SpanLayer,
    choose_span_layer,
    export_layout,
    converted_span,
    import_files,
    label_feature,
    nested_in_text_order,
    not_imported,
    read_bounded,
    relation_stance_labels,
    report_ignored_relations,
    report_unsupported_layers,
    utf16_to_codepoints,
    wikidata_qid,
)
from chronique.interop.xml_safety import parse_xml_safely

DOCUMENT_METADATA = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
_SEGMENTATION = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type."
# Structure every CAS carries; not annotation layers anyone would import.
_NOT_LAYERS = frozenset({DOCUMENT_METADATA, "uima.tcas.DocumentAnnotation", _SEGMENTATION + "Token",
                         _SEGMENTATION + "Sentence",
                         "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.TagsetDescription"})
_CUSTOM_PREFIXES = ("webanno.custom.", "custom.")
_XMI_NS = "http://www.omg.org/XMI"
_CAS_NS = "http:///uima/cas.ecore"
_TYPESYSTEM_HINT = "pass --typesystem FILE, the TypeSystem.xml exported with the documents"


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
    """One :class:`ToolDocument` per UIMA CAS XMI file (``path`` or the ``*.xmi`` files below a folder).

    ``typesystem`` is the type-system XML; without it, the ``TypeSystem.xml`` nearest to each file
    is used: in its folder, else in a folder above it up to ``path`` (INCEpTION's export layout puts
    one in each document's folder). It is always merged with the DKPro Core types that cassis ships.
    Feature structures of types that neither declares would be skipped by cassis: that is an
    ``import.typesystem.missing`` error, since their annotations would be lost without a trace.
    ``layer``/``feature`` choose the span layer and ``mapping`` informs the choice when none is given
    (see the module docstring); ``mapping`` also adds relation labels that count as stances. Offsets
    come out as code points of the CAS's initial-view text; the document id is DocumentMetaData's
    ``documentId``, else its ``documentTitle``, else the file stem (in INCEpTION's export layout, the
    document's folder: :func:`~chronique.interop.inception.export_layout`).
    """
    files = import_files(path, ".xmi", log)
    top = path if path.is_dir() else path.parent
    mapping = mapping or LabelMapping.identity()
    stance_labels = relation_stance_labels(mapping)
    nearest: dict[Path, Path | None] = {}
    loaded: dict[Path | None, TypeSystem | None] = {}
    for file in files:
        source = typesystem or _nearest_typesystem(file.parent, top, nearest, log)
        if source not in loaded:
            loaded[source] = _typesystem_for(source, log)
        if loaded[source] is None:
            continue
        document = _read_xmi_file(file, loaded[source], source, layer, feature, mapping, stance_labels, log)
        if document is not None:
            yield document


def _nearest_typesystem(folder: Path, top: Path, found: dict[Path, Path | None], log: FindingLog) -> Path | None:
    """The ``TypeSystem.xml`` of ``folder``, else of the nearest folder above it up to ``top``; None when none has one.

    INCEpTION exports ``TypeSystem.xml`` next to the XMI files; one that links out of its folder is
    refused (once: ``found`` remembers each folder's answer).
    """
    if folder not in found:
        files = folder_files(folder, lambda name: name.lower() == "typesystem.xml", log, recursive=False)
        above = folder.parent if folder != top and folder.is_relative_to(top) else None
        found[folder] = files[0] if files else _nearest_typesystem(above, top, found, log) if above else None
    return found[folder]


def _typesystem_for(path: Path | None, log: FindingLog) -> TypeSystem | None:
    """The DKPro Core types merged with the types of ``path``; None, with a finding, when unreadable."""
    if path is None:
        return _base_typesystem()
    if not path.is_file():
        log.add(finding("import.typesystem.unreadable", "type system file not found", path.as_posix()))
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
    data = read_bounded(Path(path), shown, local)
    if data is None or parse_xml_safely(data, shown, local) is None:
        raise InputError("unusable type system", local.findings)
    try:
        return merge_typesystems(_base_typesystem(), load_typesystem(BytesIO(data)))
    except Exception as error:  # cassis raises bare ValueError/KeyError/… on inconsistent descriptions
        raise InputError("unusable type system", [finding(
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


def _read_xmi_file(file: Path, types: TypeSystem, source: Path | None, layer: str | None, feature: str | None,
                   mapping: LabelMapping, stance_labels: frozenset[str], log: FindingLog) -> ToolDocument | None:
    shown = file.as_posix()
    data = read_bounded(file, shown, log)
    root = parse_xml_safely(data, shown, log) if data is not None else None
    if root is None:
        return None
    _drop_undeclared_features(root, types, shown, log)
    undeclared = _undeclared_types(root, types, source, shown, log)
    cas = _load_cas(etree.tostring(root, encoding="UTF-8"), types, undeclared, shown, log)
    if cas is None:
        return None
    text = cas.sofa_string
    if text is None:
        log.add(finding("import.xmi.no-text", "the CAS has no text in its initial view", shown))
        return None
    present = Counter(fs.type.name for fs in cas.select_all_fs())
    groups = {name: _span_group(types, name) for name in present}
    chosen = _choose_xmi_layer(cas, types, groups, layer, feature, mapping, shown, log)
    raw, dropped = _raw_offsets(root), []
    spans = _xmi_spans(cas, chosen, raw, utf16_to_codepoints(text), dropped, shown, log) if chosen else []
    left_out = _spans_left_out(cas, types, groups, chosen, raw)
    if layer is not None or chosen is None:
        report_unsupported_layers(Counter(group for group, _ in left_out), shown, log, spans=True)
    dropped.extend(span for _, span in left_out)
    stances = _xmi_stances(cas, types, present, stance_labels, shown, log)
    report_unsupported_layers(_unused_xmi_layers(types, present, groups), shown, log)
    return ToolDocument(_xmi_doc_id(cas, file), text, nested_in_text_order(spans), shown, tuple(stances),
                        annotator=export_layout(file)[1], dropped=tuple(dropped))


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
        log.add(finding("import.xmi.feature-unknown", f"{name} has no feature {attribute!r} in the type system; "
                        f"dropped from {count} annotation(s)", shown,
                        hint=_TYPESYSTEM_HINT))


def _undeclared_types(root: etree._Element, types: TypeSystem, source: Path | None, shown: str,
                      log: FindingLog) -> frozenset[str]:
    """The types of feature structures the type system does not declare, after an ``import.typesystem.missing`` error.

    cassis, lenient, would skip them with a mere warning: a corpus exported with custom layers but
    read without its TypeSystem.xml would import nothing of them and still succeed.
    """
    unknown: Counter = Counter()
    for element in root:
        name = _type_name(element.tag) if isinstance(element.tag, str) else None
        if name is not None and not types.contains_type(name, match_exactly=True):
            unknown[name] += 1
    if unknown:
        where = (f"the type system {source.as_posix()} does not declare them" if source else
                 "no type system was given and there is no TypeSystem.xml beside the file")
        log.add(finding("import.typesystem.missing", f"{sum(unknown.values())} annotation(s) would be skipped, their "
                        f"types being unknown ({', '.join(f'{n} ×{c}' for n, c in sorted(unknown.items()))}): {where}",
                        shown, hint=_TYPESYSTEM_HINT))
    return frozenset(unknown)


def _load_cas(data: bytes, types: TypeSystem, undeclared: frozenset[str], shown: str, log: FindingLog):
    """The CAS, or None with a finding; cassis's warnings become findings, but for the ``undeclared`` types it skips."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cas = load_cas_from_xmi(BytesIO(data), typesystem=types, lenient=True)
        except Exception as error:  # cassis raises KeyError, TypeError, ValueError… on inconsistent XMI
            log.add(finding("import.xmi.unreadable", f"cassis cannot load the CAS: {type(error).__name__}: {error}",
                            shown, hint=_TYPESYSTEM_HINT))
            return None
    # Offsets cassis cannot map are reported per span by converted_span, from the raw attributes; the
    # undeclared types are reported already (import.typesystem.missing).
    messages = sorted({str(w.message) for w in caught if not str(w.message).startswith("Not mapping")
                       and not any(f"[{name}]" in str(w.message) for name in undeclared)})
    for message in messages:
        log.add(finding("import.xmi.skipped", message, shown, hint=_TYPESYSTEM_HINT))
    return cas


def _raw_offsets(root: etree._Element) -> dict[int, tuple[int, int, int | None]]:
    """``xmi:id`` → the UTF-16 ``begin``/``end`` as written in the file, and the element's line.

    cassis converts offsets itself, but keeps an unmappable one unchanged with only a warning;
    converting the raw values with :func:`utf16_to_codepoints` lets such a span become a finding.
    """
    offsets = {}
    for element in root:
        # UIMA leaves out features at their default value, 0 for begin and end.
        xmi_id, begin, end = element.get(f"{{{_XMI_NS}}}id", ""), element.get("begin", "0"), element.get("end", "0")
        if xmi_id.isdigit() and begin.isdigit() and end.isdigit():
            offsets[int(xmi_id)] = (int(begin), int(end), element.sourceline)
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


def _span_group(types: TypeSystem, name: str) -> str | None:
    """The span layer a type's annotations count under (``NamedEntity`` for its subtypes); None for other types."""
    if name in _NOT_LAYERS or not _is_span_layer(types, name):
        return None
    return NAMED_ENTITY if types.subsumes(NAMED_ENTITY, name) else name


def _label_of(types: TypeSystem, name: str, feature: str | None) -> str | None:
    """The feature holding a layer's labels: ``feature`` when it has it, else ``value`` or its first string feature."""
    strings = _string_features(types.get_type(name))
    return feature if feature in strings else label_feature(strings)


def _span_layers(cas, types: TypeSystem, groups: dict[str, str | None], feature: str | None) -> list[SpanLayer]:
    """Every span layer with annotations, its labels counted; custom layers rank first, then by name.

    ``groups`` is :func:`_span_group` of each type present.
    """
    label_of = {group: _label_of(types, group, feature) for group in set(groups.values()) if group is not None}
    labels: dict[str, Counter] = {}
    for fs in cas.select_all_fs():
        group = groups.get(fs.type.name)
        if group is not None:
            labels.setdefault(group, Counter())[_feature_text(fs, label_of[group])] += 1
    order = sorted(labels, key=lambda name: (not name.startswith(_CUSTOM_PREFIXES), name))
    return [SpanLayer(name, labels[name], label_of[name] is not None and (feature is None or label_of[name] == feature),
                      rank) for rank, name in enumerate(order)]


def _choose_xmi_layer(cas, types: TypeSystem, groups: dict[str, str | None], layer: str | None, feature: str | None,
                      mapping: LabelMapping, shown: str, log: FindingLog) -> _Layer | None:
    """The span layer to import and its label feature; None, with a finding, when there is none."""
    name = layer
    if name is None:
        picked = choose_span_layer(_span_layers(cas, types, groups, feature), mapping, shown, log)
        if picked is None and feature is not None:
            log.add(finding("import.layer.unknown", f"no span layer with annotations has a feature {feature!r}", shown,
                            hint="check --feature NAME against the type system, and pass --layer TYPE"))
            return None
        if picked is None:
            log.add(finding("import.layer.none", "no span layer with a string feature has annotations", shown,
                            hint="pass --layer TYPE to choose the span layer"))
            return None
        name = picked.name
    known = types.contains_type(name, match_exactly=True) and _is_span_layer(types, name)
    features = {f.name for f in types.get_type(name).all_features} if known else set()
    if not known or (feature is not None and feature not in features):
        log.add(finding("import.layer.unknown", f"the type system has no span layer {name!r}"
                        + (f" with feature {feature!r}" if known else ""), shown,
                        hint="check --layer TYPE and --feature NAME against the type system"))
        return None
    strings = _string_features(types.get_type(name))
    label = feature or label_feature(strings)
    return _Layer(name, label, "identifier" if "identifier" in strings else None)


def _spans_left_out(cas, types: TypeSystem, groups: dict[str, str | None], chosen: _Layer | None,
                    raw: dict[int, tuple[int, int, int | None]]) -> list[tuple[str, DroppedSpan]]:
    """The annotations of span layers that are not imported, each with its layer, to be counted as dropped."""
    left_out_types = {name for name, group in groups.items()
                      if group is not None and not (chosen and types.subsumes(chosen.name, name))}
    left_out = []
    for fs in sorted(cas.select_all_fs(), key=lambda fs: fs.xmiID):
        if fs.type.name in left_out_types:
            group, line = groups[fs.type.name], raw.get(fs.xmiID, (0, 0, None))[2]
            left_out.append((group, DroppedSpan(str(fs.xmiID), not_imported(group), line)))
    return left_out


def _feature_text(fs, name: str | None) -> str:
    value = fs.get(name) if name else None
    return "" if value is None else str(value)


def _xmi_spans(cas, layer: _Layer, raw: dict[int, tuple[int, int, int | None]], offsets: dict[int, int],
               dropped: list[DroppedSpan], shown: str, log: FindingLog) -> list[ToolSpan]:
    spans = []
    for fs in sorted(cas.select(layer.name), key=lambda fs: fs.xmiID):  # subtypes included
        begin, end, line = raw.get(fs.xmiID, (0, 0, None))
        place = converted_span(str(fs.xmiID), begin, end, offsets, shown, line, log, dropped)
        if place is not None:
            qid = wikidata_qid(_feature_text(fs, layer.identifier)) if layer.identifier else None
            spans.append(ToolSpan(str(fs.xmiID), *place, _feature_text(fs, layer.label), line=line, qid=qid))
    return spans


def _xmi_stances(cas, types: TypeSystem, present: Counter, stance_labels: frozenset[str], shown: str,
                 log: FindingLog) -> list[ToolStance]:
    stances, ignored = [], {}
    for name in sorted(n for n in present if _is_relation(types.get_type(n))):
        type_ = types.get_type(name)
        strings = _string_features(type_)
        label_name = label_feature(strings)
        for fs in sorted((fs for fs in cas.select_all_fs() if fs.type.name == name), key=lambda fs: fs.xmiID):
            label = _feature_text(fs, label_name)
            if label in stance_labels:
                holder, target = (str(getattr(fs.get(f), "xmiID", "")) for f in ("Governor", "Dependent"))
                stances.append(ToolStance(str(fs.xmiID), holder, target, label))
            else:
                ignored.setdefault(name, Counter())[label] += 1
    report_ignored_relations(ignored, shown, log)
    return stances


def _unused_xmi_layers(types: TypeSystem, present: Counter, groups: dict[str, str | None]) -> Counter:
    """Annotation layers with annotations that are neither span layers (their spans are counted as dropped),
    relations, nor structural (tokens, sentences…): chains, mostly."""
    unused = Counter()
    for name, count in present.items():
        if name in _NOT_LAYERS or _is_relation(types.get_type(name)) or groups[name] is not None:
            continue
        if types.subsumes("uima.tcas.Annotation", name):
            unused[name] = count
    return unused


def _xmi_doc_id(cas, file: Path) -> str:
    """DocumentMetaData's id or title, unless it is a user or curation name (INCEpTION writes
    ``documentId="CURATION_USER"`` in every curated file), then the export layout's folder, then the stem."""
    folder_id, _ = export_layout(file)
    for fs in cas.select_all_fs():
        if fs.type.name == DOCUMENT_METADATA:
            value = fs.get("documentId") or fs.get("documentTitle")
            if value and not (str(value) in CURATION_NAMES or (folder_id and str(value) == file.stem)):
                return str(value)
    return folder_id or file.stem
