"""INCEpTION importers: UIMA CAS XMI (through dkpro-cassis) and WebAnno TSV 3.x.

Inline fixtures pin the behaviour (UTF-16 offsets, stacking, nesting, stances, XML safety);
INCEpTION's own TSV 3.x conformance suite (../shared/external) cross-checks the two readers
against each other on every case that has both a reference.tsv and a reference.xmi.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from chronique.errors import FindingLog
from chronique.interop.base import IGNORE, LabelMapping, ToolDocument, count_outcomes, label_counter
from chronique.interop.convert import to_annotation
from chronique.interop.inception import utf16_to_codepoints, wikidata_qid
from chronique.interop.webanno_tsv import read_webanno_tsv3
from chronique.interop.xmi import read_inception_xmi
from chronique.interop.xml_safety import parse_xml_safely

from conftest import external

SECRET = "TOP-SECRET-OUTSIDE-THE-EXPORT"
NE = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
SUITE = "inception_webanno_tsv3_suite"


def units(text: str) -> int:
    """Length in UTF-16 code units, as Java counts."""
    return len(text.encode("utf-16-le")) // 2


def u16(text: str, part: str, occurrence: int = 1) -> tuple[int, int]:
    """UTF-16 begin/end of the n-th occurrence of ``part`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(part, start + 1)
    return units(text[:start]), units(text[:start]) + units(part)


def ids(log: FindingLog) -> Counter:
    return Counter(f.check_id for f in log)


def span_table(document: ToolDocument) -> list[tuple[str, str, str | None]]:
    """(covered text, label, qid) per span, in text order."""
    return [(document.text[s.start : s.end], s.label, s.qid) for s in document.spans]


# --- utf16_to_codepoints ----------------------------------------------------------------


def test_utf16_mapping_skips_the_inside_of_an_astral_character():
    assert utf16_to_codepoints("a😊b") == {0: 0, 1: 1, 3: 2, 4: 3}
    assert utf16_to_codepoints("") == {0: 0}
    assert utf16_to_codepoints("été") == {0: 0, 1: 1, 2: 2, 3: 3}  # BMP letters are one unit each


@given(st.text())
def test_utf16_mapping_finds_every_character_boundary(text):
    mapping = utf16_to_codepoints(text)
    assert [mapping[units(text[:i])] for i in range(len(text) + 1)] == list(range(len(text) + 1))
    assert len(mapping) == len(text) + 1


def test_wikidata_qid_accepts_bare_ids_and_entity_iris_only():
    assert wikidata_qid("Q90") == "Q90"
    assert wikidata_qid("http://www.wikidata.org/entity/Q2851133") == "Q2851133"
    assert wikidata_qid("https://www.wikidata.org/wiki/Q90") == "Q90"
    assert wikidata_qid("http://example.org/kb/Q90") is None
    assert wikidata_qid("NIL") is wikidata_qid("") is wikidata_qid(None) is None


# --- XMI inline fixtures -----------------------------------------------------------------

NAMESPACES = ('xmlns:xmi="http://www.omg.org/XMI" xmlns:cas="http:///uima/cas.ecore" '
              'xmlns:ner="http:///de/tudarmstadt/ukp/dkpro/core/api/ner/type.ecore" '
              'xmlns:meta="http:///de/tudarmstadt/ukp/dkpro/core/api/metadata/type.ecore" '
              'xmlns:custom="http:///webanno/custom.ecore"')

STANCE_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<typeSystemDescription xmlns="http://uima.apache.org/resourceSpecifier"><types>
  <typeDescription><name>webanno.custom.Stance</name><supertypeName>uima.tcas.Annotation</supertypeName>
    <features>
      <featureDescription><name>Governor</name><rangeTypeName>uima.tcas.Annotation</rangeTypeName></featureDescription>
      <featureDescription><name>Dependent</name><rangeTypeName>uima.tcas.Annotation</rangeTypeName></featureDescription>
      <featureDescription><name>value</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
    </features></typeDescription>
</types></typeSystemDescription>
"""

TEXT = "Manif 😊 à Paris ! Anne Hidalgo soutient la Ville de Paris."


def xmi_document(text: str, elements: list[str], doctype: str = "") -> str:
    """A UIMA CAS XMI file whose initial view holds ``text`` and the given feature structures (ids ≥ 10)."""
    members = " ".join(re.search(r'xmi:id="(\d+)"', element).group(1) for element in elements)
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<xmi:XMI {NAMESPACES} xmi:version="2.0">'
            '<cas:NULL xmi:id="0"/>' + "".join(elements)
            + f'<cas:Sofa xmi:id="1" sofaNum="1" sofaID="_InitialView" mimeType="text" sofaString={quoteattr(text)}/>'
            f'<cas:View sofa="1" members="{members}"/></xmi:XMI>')


def entity(xmi_id: int, text: str, part: str, label: str, occurrence: int = 1, identifier: str | None = None) -> str:
    begin, end = u16(text, part, occurrence)
    extra = f" identifier={quoteattr(identifier)}" if identifier else ""
    return f'<ner:NamedEntity xmi:id="{xmi_id}" sofa="1" begin="{begin}" end="{end}" value="{label}"{extra}/>'


def stance(xmi_id: int, governor: int, dependent: int, label: str) -> str:
    return (f'<custom:Stance xmi:id="{xmi_id}" sofa="1" begin="0" end="1" Governor="{governor}" '
            f'Dependent="{dependent}" value="{label}"/>')


@pytest.fixture
def xmi_file(tmp_path: Path) -> Path:
    """A French XMI with an emoji before every entity, a nested entity, and three relations."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "TypeSystem.xml").write_text(STANCE_TYPES, encoding="utf-8")  # found beside the XMI
    elements = [
        f'<meta:DocumentMetaData xmi:id="10" sofa="1" begin="0" end="{units(TEXT)}" documentId="manif-2024"/>',
        entity(11, TEXT, "Paris", "LOC", identifier="http://www.wikidata.org/entity/Q90"),
        entity(12, TEXT, "Anne Hidalgo", "PER", identifier="Q2851133"),
        entity(13, TEXT, "Ville de Paris", "ORG"),
        entity(14, TEXT, "Paris", "LOC", occurrence=2),
        stance(20, 12, 13, "FAVOR"), stance(21, 12, 11, "pro"), stance(22, 13, 14, "nsubj"),
    ]
    path = folder / "manif.xmi"
    path.write_text(xmi_document(TEXT, elements), encoding="utf-8")
    return path


def test_xmi_offsets_after_an_emoji_are_code_points(xmi_file):
    log = FindingLog()
    [document] = read_inception_xmi(xmi_file, log=log)
    assert document.doc_id == "manif-2024" and document.text == TEXT
    assert span_table(document) == [("Paris", "LOC", "Q90"), ("Anne Hidalgo", "PER", "Q2851133"),
                                    ("Ville de Paris", "ORG", None), ("Paris", "LOC", None)]
    assert not log.errors


def test_xmi_nested_span_names_its_container_as_parent(xmi_file):
    [document] = read_inception_xmi(xmi_file, log=FindingLog())
    parents = {(document.text[s.start : s.end], s.start): s.parent for s in document.spans}
    assert parents["Paris", TEXT.rindex("Paris")] == "13"  # inside "Ville de Paris", xmi:id 13
    assert parents["Ville de Paris", TEXT.index("Ville")] is None


def test_xmi_relations_become_stances_only_for_polarity_labels(xmi_file):
    log = FindingLog()
    [document] = read_inception_xmi(xmi_file, log=log)
    assert [(s.holder, s.target, s.polarity) for s in document.stances] == [("12", "13", "FAVOR")]
    assert ids(log)["import.relation.ignored"] == 1  # one finding for the layer, naming 'pro' and 'nsubj'
    mapped = FindingLog()
    [document] = read_inception_xmi(xmi_file, log=mapped, mapping=LabelMapping({}, {"pro": "FAVOR"}))
    assert [s.polarity for s in document.stances] == ["FAVOR", "pro"]


def test_xmi_document_converts_with_to_annotation(xmi_file):
    log = FindingLog()
    [document] = read_inception_xmi(xmi_file, log=log)
    mapping = LabelMapping({"LOC": "GPE", "PER": "PER", "ORG": "ORG"}, {"FAVOR": "FAVOR"})
    annotation, counts = to_annotation(document, text=TEXT, text_sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
                                       mapping=mapping, log=log, tool="test", date="2024-05-01")
    assert (counts.seen, counts.imported, counts.stances) == (4, 4, 1)
    assert [m.parent_id for m in annotation.mentions] == [None, None, None, "m3"]
    assert [e.qid for e in annotation.entities][:2] == ["Q90", "Q2851133"]
    assert not log.errors


def test_xmi_offset_inside_a_surrogate_pair_is_a_finding(tmp_path):
    path = tmp_path / "cut.xmi"
    # The emoji takes UTF-16 units 3-4; begin 4 falls between its two halves.
    cut = '<ner:NamedEntity xmi:id="10" sofa="1" begin="4" end="8" value="X"/>'
    path.write_text(xmi_document("Un 😊 ici", [cut]), encoding="utf-8")
    log = FindingLog()
    [document] = read_inception_xmi(path, log=log)
    assert document.spans == () and ids(log)["import.span.offsets"] == 1


def test_xmi_layer_parameter_chooses_a_custom_layer(tmp_path):
    path = tmp_path / "custom.xmi"
    types = tmp_path / "types.xml"
    types.write_text(STANCE_TYPES.replace("webanno.custom.Stance", "webanno.custom.Claim")
                     .replace("<name>Governor</name>", "<name>source</name>")
                     .replace("<name>Dependent</name>", "<name>hint</name>"), encoding="utf-8")  # a span layer
    path.write_text(xmi_document("Le maire parle.", [
        '<custom:Claim xmi:id="10" sofa="1" begin="3" end="8" value="acteur"/>',
        '<ner:NamedEntity xmi:id="11" sofa="1" begin="0" end="8" value="PER"/>']), encoding="utf-8")
    log = FindingLog()
    [document] = read_inception_xmi(path, log=log, typesystem=types, layer="webanno.custom.Claim")
    assert span_table(document) == [("maire", "acteur", None)]
    assert ids(log)["import.layer.unsupported"] == 1  # the NamedEntity layer, not imported this time


def test_xmi_layer_that_is_not_a_span_layer_is_a_finding(xmi_file):
    log = FindingLog()
    [document] = read_inception_xmi(xmi_file, log=log, layer="webanno.custom.Stance")  # a relation layer
    assert document.spans == () and ids(log)["import.layer.unknown"] == 1


def test_xmi_that_is_not_xml_is_a_finding(tmp_path):
    path = tmp_path / "broken.xmi"
    path.write_text("<xmi:XMI", encoding="utf-8")
    log = FindingLog()
    assert list(read_inception_xmi(path, log=log)) == [] and ids(log) == {"import.xml.malformed": 1}


# --- XML safety ---------------------------------------------------------------------------


def external_entity_payload(tmp_path: Path) -> str:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    doctype = f'<!DOCTYPE xmi:XMI [<!ENTITY secret SYSTEM "{secret.as_uri()}">]>'
    return xmi_document("Texte", ['<ner:NamedEntity xmi:id="10" sofa="1" begin="0" end="5">'
                                  '<value>&secret;</value></ner:NamedEntity>'], doctype=doctype)


def test_external_entity_payload_is_refused_and_the_secret_never_read(tmp_path):
    payload = external_entity_payload(tmp_path)
    # The payload is live: a parser that resolves entities does read the file.
    permissive = etree.fromstring(payload.encode(), etree.XMLParser(resolve_entities=True))
    assert SECRET in etree.tostring(permissive, encoding="unicode")
    path = tmp_path / "attack.xmi"
    path.write_text(payload, encoding="utf-8")
    log = FindingLog()
    documents = list(read_inception_xmi(path, log=log))
    assert documents == [] and ids(log) == {"import.xml.unsafe": 1}
    seen = " ".join([d.text + " ".join(s.label for s in d.spans) for d in documents] + [str(f) for f in log])
    assert SECRET not in seen


def test_entity_expansion_bomb_is_refused(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "bomb.xmi"
    path.write_text(xmi_document("x", [], doctype=f'<!DOCTYPE xmi:XMI [<!ENTITY l0 "ha">{laughs}]>')
                    .replace('sofaString="x"', 'sofaString="&l9;"'), encoding="utf-8")
    log = FindingLog()
    assert list(read_inception_xmi(path, log=log)) == [] and ids(log) == {"import.xml.unsafe": 1}


def test_doctype_hidden_from_the_prolog_scan_is_still_refused(tmp_path):
    # UCS-4 text has NUL bytes between the letters, so the byte scan misses "<!DOCTYPE"; the parse-time check does not.
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    xml = (f'<?xml version="1.0" encoding="UCS-4"?><!DOCTYPE r [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
           '<r>&s;</r>')
    log = FindingLog()
    assert parse_xml_safely(xml.encode("utf-32-be"), "r.xml", log) is None
    assert ids(log) == {"import.xml.unsafe": 1}


def test_type_system_with_a_doctype_is_refused(tmp_path, xmi_file):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    types = tmp_path / "evil-types.xml"
    types.write_text(STANCE_TYPES.replace("<typeSystemDescription", f'<!DOCTYPE t [<!ENTITY s SYSTEM '
                                          f'"{secret.as_uri()}">]><typeSystemDescription', 1)
                     .replace("<types>", "<description>&s;</description><types>"), encoding="utf-8")
    log = FindingLog()
    assert list(read_inception_xmi(xmi_file, log=log, typesystem=types)) == []
    assert ids(log) == {"import.xml.unsafe": 1} and SECRET not in str(log.findings[0])


def test_a_missing_or_oversized_export_file_is_an_error(tmp_path, monkeypatch):
    log = FindingLog()
    assert list(read_inception_xmi(tmp_path / "gone.xmi", log=log)) == []
    assert [(f.check_id, f.path) for f in log] == [("import.file.missing", (tmp_path / "gone.xmi").as_posix())]
    path = tmp_path / "big.xmi"
    path.write_text(xmi_document(TEXT, [entity(11, TEXT, "Paris", "LOC")]), encoding="utf-8")
    monkeypatch.setattr("chronique.interop.inception.MAX_IMPORT_BYTES", 100)
    log = FindingLog()
    assert list(read_inception_xmi(path, log=log)) == [] and ids(log) == {"import.file.size": 1}


@pytest.mark.parametrize("types", [None, STANCE_TYPES.replace("uima.tcas.Annotation</super", "no.such.Type</super")])
def test_a_type_system_that_is_absent_or_unusable_is_an_error(xmi_file, tmp_path, types):
    path = tmp_path / "types.xml"
    if types is not None:
        path.write_text(types, encoding="utf-8")
    log = FindingLog()
    assert list(read_inception_xmi(xmi_file, log=log, typesystem=path)) == []
    assert [(f.check_id, f.severity, f.path) for f in log] == [("import.typesystem.unreadable", "error", path.as_posix())]


def test_a_cas_without_text_or_that_cassis_cannot_load_is_an_error(tmp_path):
    no_text = xmi_document(TEXT, []).replace(f" sofaString={quoteattr(TEXT)}", "")
    dangling = xmi_document(TEXT, [entity(11, TEXT, "Paris", "LOC")]).replace('members="11"', 'members="11 99"')
    for name, content, check_id in (("empty", no_text, "import.xmi.no-text"),
                                    ("dangling", dangling, "import.xmi.unreadable")):
        path = tmp_path / f"{name}.xmi"
        path.write_text(content, encoding="utf-8")
        log = FindingLog()
        assert list(read_inception_xmi(path, log=log)) == [] and ids(log) == {check_id: 1}, name


def test_an_undeclared_feature_is_dropped_with_a_warning_and_the_span_kept(tmp_path):
    path = tmp_path / "extra.xmi"
    span = entity(11, TEXT, "Paris", "LOC").replace("/>", ' colour="red"/>')
    path.write_text(xmi_document(TEXT, [span]), encoding="utf-8")
    log = FindingLog()
    [document] = read_inception_xmi(path, log=log)
    assert span_table(document) == [("Paris", "LOC", None)]
    [warning] = log.findings
    assert (warning.check_id, warning.severity) == ("import.xmi.feature-unknown", "warning")
    assert "'colour'" in warning.message


# --- WebAnno TSV inline fixtures -------------------------------------------------------------

TSV_HEADER = ["#FORMAT=WebAnno TSV 3.3",
              f"#T_SP={NE}|identifier|value",
              "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS|PosValue",
              f"#T_RL=webanno.custom.Stance|value|BT_{NE}", "", ""]
# id, offsets, token, NE identifier, NE value, POS, stance value, stance source
TSV_ROWS = [
    "#Text=Manif 😊 à Paris\\t!",
    "1-1 0-5 Manif _ _ NOUN _ _",
    "1-2 6-8 😊 _ _ _ _ _",
    "1-3 9-10 à _ _ _ _ _",
    "1-4 11-16 Paris http://www.wikidata.org/entity/Q90 LOC PROPN _ _",
    "1-5 17-18 ! _ _ _ _ _",
    "",
    "#Text=Anne Hidalgo soutient la Ville de Paris.",
    "2-1 19-23 Anne Q2851133[1] PER[1] _ _ _",
    "2-2 24-31 Hidalgo Q2851133[1] PER[1] _ _ _",
    "2-3 32-40 soutient _ _ _ _ _",
    "2-3.1 32-35 sou * MISC\\_X _ _ _",
    "2-4 41-43 la _ _ _ _ _",
    "2-5 44-49 Ville *[2] ORG[2] _ FAVOR 2-1[1_2]",
    "2-6 50-52 de *[2] ORG[2] _ _ _",
    "2-7 53-58 Paris *[2]|Q90 ORG[2]|LOC _ nsubj 2-6[2_0]",
    "2-8 58-59 . _ _ _ _ _",
]
TSV_TEXT = "Manif 😊 à Paris\t!\nAnne Hidalgo soutient la Ville de Paris."


def write_tsv(folder: Path, rows: list[str], header: list[str] = TSV_HEADER, name: str = "doc.tsv") -> Path:
    """A TSV file; fields in ``rows`` are written space-separated here and tab-separated in the file."""
    lines = header + [row if row.startswith("#") else "\t".join(row.split(" ")) + ("\t" if row else "")
                      for row in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_tsv_text_and_spans(tmp_path):
    log = FindingLog()
    [document] = read_webanno_tsv3(write_tsv(tmp_path, TSV_ROWS), log=log)
    assert document.text == TSV_TEXT and document.doc_id == "doc"
    assert span_table(document) == [("Paris", "LOC", "Q90"), ("Anne Hidalgo", "PER", "Q2851133"),
                                    ("sou", "MISC_X", None), ("Ville de Paris", "ORG", None), ("Paris", "LOC", "Q90")]
    assert [s.line for s in document.spans] == [11, 15, 18, 20, 22]
    assert not log.errors and ids(log)["import.layer.chosen"] == 1  # says that the POS layer is not imported
    [note] = [f for f in log if f.check_id == "import.layer.chosen"]
    assert NE in note.message and "lexmorph.type.pos.POS (2 span(s)" in note.message
    assert [(d.id, d.line) for d in document.dropped] == [("1-1:0", 8), ("1-4:0", 11)]


def test_tsv_stacked_span_nests_in_the_multi_token_span(tmp_path):
    [document] = read_webanno_tsv3(write_tsv(tmp_path, TSV_ROWS), log=FindingLog())
    by_text = {(document.text[s.start : s.end], s.start): s for s in document.spans}
    organisation = by_text["Ville de Paris", TSV_TEXT.index("Ville")]
    assert by_text["Paris", TSV_TEXT.rindex("Paris")].parent == organisation.id == "2-5[2]"
    assert by_text["sou", TSV_TEXT.index("sou")].parent is None


def test_tsv_relations_become_stances_only_for_polarity_labels(tmp_path):
    log = FindingLog()
    [document] = read_webanno_tsv3(write_tsv(tmp_path, TSV_ROWS), log=log)
    assert [(s.holder, s.target, s.polarity, s.line) for s in document.stances] == [("2-1[1]", "2-5[2]", "FAVOR", 20)]
    assert ids(log)["import.relation.ignored"] == 1
    mapping = LabelMapping({"LOC": "GPE", "PER": "PER", "ORG": "ORG", "MISC_X": IGNORE}, {"FAVOR": "FAVOR"})
    annotation, counts = to_annotation(document, text=TSV_TEXT, text_sha256="0" * 64, mapping=mapping, log=log,
                                       tool="test", date="2024-05-01")
    assert (counts.seen, counts.imported, counts.ignored, counts.stances) == (5, 4, 1, 1)
    assert annotation.stances[0].holder != annotation.stances[0].target and not log.errors


def test_tsv_layer_parameter_chooses_another_span_layer(tmp_path):
    [document] = read_webanno_tsv3(write_tsv(tmp_path, TSV_ROWS), log=FindingLog(),
                                   layer="de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS")
    assert span_table(document) == [("Manif", "NOUN", None), ("Paris", "PROPN", None)]


def test_tsv_sentences_that_touch_lose_the_format_line_break(tmp_path):
    rows = ["#Text=un", "1-1 0-2 un _ _ _ _ _", "", "#Text=deux", "2-1 2-6 deux _ _ _ _ _", "",
            "#Text=trois", "3-1 9-14 trois _ _ _ _ _"]
    [document] = read_webanno_tsv3(write_tsv(tmp_path, rows), log=FindingLog())
    assert document.text == "undeux\n  trois"  # a gap wider than the line break is padded with spaces


def test_tsv_malformed_row_is_located_and_skipped(tmp_path):
    rows = TSV_ROWS[:2] + ["1-2 6-8 😊 _"] + TSV_ROWS[3:]
    log = FindingLog()
    [document] = read_webanno_tsv3(write_tsv(tmp_path, rows), log=log)
    [finding] = [f for f in log if f.check_id == "import.tsv.malformed"]
    assert finding.line == 9 and len(document.spans) == 5


def test_tsv_other_format_is_refused(tmp_path):
    log = FindingLog()
    path = write_tsv(tmp_path, TSV_ROWS, header=["#FORMAT=WebAnno TSV 2", ""])
    assert list(read_webanno_tsv3(path, log=log)) == [] and ids(log) == {"import.tsv.format": 1}


def test_tsv_folder_reads_every_file_in_name_order(tmp_path):
    write_tsv(tmp_path, TSV_ROWS, name="b.tsv")
    write_tsv(tmp_path, TSV_ROWS, name="a.tsv")
    assert [d.doc_id for d in read_webanno_tsv3(tmp_path, log=FindingLog())] == ["a", "b"]


# --- INCEpTION's TSV 3.x conformance suite ------------------------------------------------------


@pytest.fixture(scope="module")
def suite() -> Path:
    return external(SUITE)


@pytest.fixture(scope="module")
def test_types(suite) -> Path:
    return suite / "desc" / "type" / "webannoTestTypes.xml"


def cases(suite: Path) -> list[Path]:
    return sorted(p for p in (suite / "tsv3-suite").iterdir() if p.is_dir())


def trimmed(document: ToolDocument) -> list[tuple[int, int, str]]:
    """Spans without surrounding whitespace, sorted: the TSV writer drops what XMI keeps."""
    result = []
    for span in document.spans:
        start, end = span.start, span.end
        while start < end and document.text[start].isspace():
            start += 1
        while end > start and document.text[end - 1].isspace():
            end -= 1
        result.append((start, end, span.label))
    return sorted(result)


def comparable_layers(case: Path) -> list[str | None]:
    """The layers both files of a case hold: NamedEntity (the readers' default) and the custom span layers.

    The reference.xmi files are older snapshots whose NamedEntity annotations the reference.tsv files
    now declare as webanno.custom.Span, so for those cases each reader uses its default layer.
    """
    xmi, tsv = (case / "reference.xmi").read_text("utf-8"), (case / "reference.tsv").read_text("utf-8")
    layers: list[str | None] = [None] if "<type4:NamedEntity " in xmi else []
    for local in ("Span", "SimpleSpan"):
        if f"<custom:{local} " in xmi and f"#T_SP=webanno.custom.{local}|" in tsv:
            layers.append(f"webanno.custom.{local}")
    return layers


def test_suite_every_reference_tsv_parses(suite):
    log = FindingLog()
    documents = [d for case in cases(suite) for d in read_webanno_tsv3(case / "reference.tsv", log=log)]
    assert len(documents) == len(cases(suite)) == 75
    assert not log.errors
    # Chains, slot features and token-level layers are not imported; each is a counted warning, and so is
    # the choice of one span layer among several.
    assert set(ids(log)) <= {"import.layer.unsupported", "import.layer.none", "import.relation.ignored",
                             "import.span.empty", "import.layer.chosen"}
    assert ids(log)["import.layer.unsupported"] >= 20 and ids(log)["import.layer.chosen"] >= 1
    # Every span of a layer not imported, and every zero-width one, is kept as dropped with its reason.
    reasons = Counter(d.reason for document in documents for d in document.dropped)
    assert reasons["zero-width (import.span.empty)"] == ids(log)["import.span.empty"]
    assert reasons["layer webanno.custom.SimpleSpan not imported (pass --layer to choose it)"] > 0


def test_suite_xmi_and_tsv_readers_agree(suite, test_types):
    compared, disagreements = [], []
    for case in (c for c in cases(suite) if (c / "reference.xmi").exists()):
        for layer in comparable_layers(case):
            log = FindingLog()
            [xmi] = read_inception_xmi(case / "reference.xmi", log=log, typesystem=test_types, layer=layer)
            [tsv] = read_webanno_tsv3(case / "reference.tsv", log=log, layer=layer)
            # TSV cannot carry whitespace after the last sentence; everything else must match.
            same_text = xmi.text[: len(tsv.text)] == tsv.text and not xmi.text[len(tsv.text) :].strip()
            if not same_text or trimmed(xmi) != trimmed(tsv) or log.errors:
                disagreements.append((case.name, layer))
            compared.append((case.name, layer))
    assert disagreements == []
    assert len(compared) == 61  # 42 NamedEntity cases, 19 custom-layer cases
    assert len({name for name, _ in compared}) == 61


def test_suite_relations_resolve_to_the_same_spans(suite, test_types):
    everything = LabelMapping({}, {"": "NEUTRAL", "nsubj": "FAVOR", "obj": "AGAINST"})  # every label a polarity

    def ends(document):
        extent = {s.id: (s.start, s.end) for s in document.spans}
        return sorted((extent[s.holder], extent[s.target], s.polarity) for s in document.stances)

    compared = 0
    for case in (c for c in cases(suite) if (c / "reference.xmi").exists()):
        tsv_text = (case / "reference.tsv").read_text("utf-8")
        if "BT_webanno.custom.Span" not in tsv_text:
            continue  # relations between tokens or POS tags: not between imported spans
        layer = comparable_layers(case)[-1]
        [xmi] = read_inception_xmi(case / "reference.xmi", log=FindingLog(), typesystem=test_types, layer=layer,
                                   mapping=everything)
        [tsv] = read_webanno_tsv3(case / "reference.tsv", log=FindingLog(), layer=layer, mapping=everything)
        assert ends(xmi) == ends(tsv) != [], case.name
        compared += 1
    assert compared == 11


def test_suite_emoji_offsets_are_converted(suite, test_types):
    case = suite / "tsv3-suite" / "testSentenceWithEmoji"
    [tsv] = read_webanno_tsv3(case / "reference.tsv", log=FindingLog())
    [xmi] = read_inception_xmi(case / "reference.xmi", log=FindingLog(), typesystem=test_types)
    for document in (tsv, xmi):
        assert document.text == "I like it 😊 ." and span_table(document) == [("😊", "", None)]
        assert document.text[10:12] == "😊 "  # what unconverted UTF-16 offsets 10-12 would have cut
    # The token after the emoji (TSV row 1-5, UTF-16 13-14) lands on the full stop.
    offsets = utf16_to_codepoints(tsv.text)
    assert tsv.text[offsets[13] : offsets[14]] == "."


def suite_document(suite: Path, case: str, **options) -> ToolDocument:
    [document] = read_webanno_tsv3(suite / "tsv3-suite" / case / "reference.tsv", log=FindingLog(), **options)
    return document


def test_suite_multi_token_stacked_and_cross_sentence_spans(suite):
    stacked = suite_document(suite, "testMultiTokenStackedSpanWithFeatureValue")
    assert [(s.start, s.end, s.label, s.parent) for s in stacked.spans] == [(0, 16, "PERSON", None),
                                                                           (0, 16, "LOCATION", None)]
    crossing = suite_document(suite, "testCrossSentenceSpanWithFeatureValue")
    assert span_table(crossing) == [("He loves her .\nShe loves him not .", "PERSON", None)]
    looks_stacked = suite_document(suite, "testTokenBoundedStackedLookAlike")
    assert [s.label for s in looks_stacked.spans] == [f"NOTSTACKED[{n}]" for n in range(5)]
    escaped = suite_document(suite, "testTokenBoundedSpanWithSpecialSymbolsValue")
    assert {s.label for s in escaped.spans} == {"#*'\"`´\t:;{}|[ ]()\\§$%?=&_\n"}
    assert suite_document(suite, "testTwoSentencesWithNoSpaceInBetween").text == "onetwo"
    assert suite_document(suite, "testSentenceWithLineBreak").text == "This is\na test ."


def test_suite_sub_token_spans(suite):
    # The annotations of INCEpTION's test, numbered by their labels: "aaaaaa bbbbbb cccccc".
    document = suite_document(suite, "testSubMultiTokenSpanWithFeatureValue")
    assert {s.label: (s.start, s.end) for s in document.spans} == {
        "1": (0, 6), "2": (0, 13), "3": (9, 11), "4": (7, 11), "5": (9, 13), "6": (3, 13), "7": (0, 10),
        "8": (3, 10), "9": (3, 17)}  # 10, 11 and 12 are zero-width: reported, not imported


def test_suite_slot_host_layer_has_empty_labels_not_slot_roles(suite):
    document = suite_document(suite, "testSimpleSlotFeature", layer="webanno.custom.SimpleLinkHost")
    assert span_table(document) == [("This", "", None)]  # its only columns are the slot roles "p1;p2" and targets


def test_suite_without_type_system_the_skipped_custom_types_are_an_error(suite, test_types):
    case = suite / "tsv3-suite" / "testSingleNonMultiTokenRelationWithMultipleFeatureValues"
    log = FindingLog()
    [document] = read_inception_xmi(case / "reference.xmi", log=log)
    assert [(s.start, s.end) for s in document.spans] == [(0, 7), (8, 14)]  # the DKPro types are still known
    [error] = log.errors  # but webanno.custom.ComplexRelation is not: its annotation would be lost
    assert error.check_id == "import.typesystem.missing" and "webanno.custom.ComplexRelation ×1" in error.message
    assert "--typesystem FILE" in error.hint and ids(log)["import.xmi.skipped"] == 0
    typed = FindingLog()
    list(read_inception_xmi(case / "reference.xmi", log=typed, typesystem=test_types))
    assert not typed.errors


def test_suite_documents_convert_and_every_span_is_counted(suite, test_types):
    log = FindingLog()
    documents = [d for case in cases(suite) for d in read_webanno_tsv3(case / "reference.tsv", log=log)]
    documents += [d for case in cases(suite) if (case / "reference.xmi").exists()
                  for d in read_inception_xmi(case / "reference.xmi", log=log, typesystem=test_types)]
    labels = label_counter(documents)
    known = {"PERSON": "PER", "LOCATION": "LOC", "ORG": "ORG", "": "MISC"}
    mapping = LabelMapping({label: known.get(label, IGNORE) for label in labels})
    results = []
    for document in documents:
        digest = hashlib.sha256(document.text.encode()).hexdigest()
        _, counts = to_annotation(document, text=document.text, text_sha256=digest, mapping=mapping, log=log,
                                  tool="test", date="2024-05-01")
        assert counts.imported + counts.reanchored + counts.rejected + counts.ignored == counts.seen
        # What the reader passed on or set aside is all counted (the conversion may set spans aside too).
        assert counts.read == len(document.spans) + len(document.dropped) and counts.read == counts.accounted
        results.append(counts)
    total = count_outcomes(results)
    assert total.documents == len(documents) == 148
    assert total.imported > 0 and total.ignored > 0 and total.rejected == 0
    assert total.imported + total.reanchored + total.rejected + total.ignored == total.seen
    assert total.read == sum(labels.values()) + sum(len(d.dropped) for d in documents)
