"""doccano JSONL: both export shapes, document ids, relations as stances, and located findings for bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronique.documents import sha256_text
from chronique.errors import FindingLog, UsageError
from chronique.interop.base import LabelMapping, to_annotation
from chronique.interop.doccano import read_doccano

TEXT = "Émilie Dupont défend la réforme ; Paris et Moscou s'opposent."


def at(phrase: str) -> list[int]:
    start = TEXT.index(phrase)
    return [start, start + len(phrase)]


def write_lines(path: Path, *lines: object) -> Path:
    """Each line as given when it is a str, else as JSON."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_sequence_labelling_lines_with_label_or_labels_and_every_id_source(tmp_path):
    path = write_lines(
        tmp_path / "export.jsonl",
        {"id": 7, "text": TEXT, "label": [at("Émilie Dupont") + ["PER"], at("Paris") + ["GPE"]]},
        {"doc_id": "0123456789abcdef", "id": 8, "text": TEXT, "labels": [at("Moscou") + ["GPE"]]},
        "",
        {"text": TEXT, "meta": {"doc_id": "fedcba9876543210"}, "label": []},
        {"text": TEXT},
    )
    log = FindingLog()
    documents = list(read_doccano(path, log=log))
    assert not log.findings
    assert [(d.doc_id, d.line) for d in documents] == [
        ("7", 1), ("0123456789abcdef", 2), ("fedcba9876543210", 4), ("export-L5", 5)]
    first = documents[0]
    assert [(s.start, s.end, s.label, TEXT[s.start : s.end]) for s in first.spans] == [
        (0, 13, "PER", "Émilie Dupont"), (*at("Paris"), "GPE", "Paris")]
    assert all(s.text is None and s.line == 1 for s in first.spans)  # doccano stores no span text
    assert [s.label for s in documents[1].spans] == ["GPE"] and documents[3].spans == ()


def relation_line() -> dict:
    return {
        "id": 12, "text": TEXT,
        "entities": [
            {"id": 101, "label": "PER", "start_offset": 0, "end_offset": 13},
            {"id": 102, "label": "GPE", "start_offset": at("Paris")[0], "end_offset": at("Paris")[1]},
            {"id": 103, "label": "GPE", "start_offset": at("Moscou")[0], "end_offset": at("Moscou")[1]},
        ],
        "relations": [
            {"id": 5, "from_id": 102, "to_id": 103, "type": "s'oppose à"},
            {"id": 6, "from_id": 101, "to_id": 102, "type": "located_in"},
        ],
    }


def test_relation_export_maps_a_relation_to_a_stance(tmp_path):
    path = write_lines(tmp_path / "relations.jsonl", relation_line())
    mapping = LabelMapping({"PER": "PER", "GPE": "GPE"}, {"s'oppose à": "AGAINST"})
    log = FindingLog()
    [document] = read_doccano(path, log=log, mapping=mapping)
    assert [(s.id, s.label) for s in document.spans] == [("101", "PER"), ("102", "GPE"), ("103", "GPE")]
    assert [(s.id, s.holder, s.target, s.polarity) for s in document.stances] == [("5", "102", "103", "s'oppose à")]
    [skipped] = log.findings
    assert (skipped.check_id, skipped.severity) == ("import.doccano.relation", "warning") and "located_in ×1" in skipped.message

    annotation, counts = to_annotation(document, text=TEXT, text_sha256=sha256_text(TEXT), mapping=mapping, log=log,
                                       tool="doccano", date="2026-01-01")
    entity = {m.anchor.exact: m.entity_id for m in annotation.mentions}
    [stance] = annotation.stances
    assert (stance.holder, stance.target, stance.target_kind, stance.polarity) == (
        entity["Paris"], entity["Moscou"], "entity", "AGAINST")
    assert (counts.seen, counts.imported, counts.stances, counts.rejected_stances) == (3, 3, 1, 0)


def test_without_a_mapping_every_relation_is_a_candidate_stance(tmp_path):
    path = write_lines(tmp_path / "relations.jsonl", relation_line())
    [document] = read_doccano(path, log=FindingLog())
    assert [s.polarity for s in document.stances] == ["s'oppose à", "located_in"]


def test_bad_lines_are_located_and_the_rest_is_read(tmp_path):
    good = {"id": 1, "text": TEXT, "label": [at("Paris") + ["GPE"]]}
    path = tmp_path / "bad.jsonl"
    lines = [
        json.dumps(good),                                                   # 1 fine
        "{not json",                                                        # 2
        json.dumps([1, 2, 3]),                                              # 3 not an object
        json.dumps({"id": 4, "label": []}),                                 # 4 no text
        json.dumps({"id": 5, "text": TEXT, "label": [[0, 999, "PER"], [3, "x", "PER"], "PER", [0, 6, "PER"]]}),  # 5
        json.dumps({"id": 6, "text": TEXT, "entities": [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 6},
                                                        {"id": 1, "label": "PER", "start_offset": 7, "end_offset": 13}],
                    "relations": [{"id": 1, "from_id": 1}]}),               # 6 repeated entity id, bad relation
        json.dumps(good),                                                   # 7 repeated document id
        json.dumps({"id": 8, "text": TEXT, "label": [[True, 6, "PER"]]}),   # 8 a boolean is not an offset
    ]
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n\xff\xfe\n")  # 9 not UTF-8
    log = FindingLog()
    documents = list(read_doccano(path, log=log))
    assert [d.doc_id for d in documents] == ["1", "5", "6", "8"]
    assert [len(d.spans) for d in documents] == [1, 1, 1, 0]
    assert [(f.line, f.check_id) for f in log] == [
        (2, "import.doccano.json"), (3, "import.doccano.text"), (4, "import.doccano.text"),
        (5, "import.doccano.span"), (5, "import.doccano.span"), (5, "import.doccano.span"),
        (6, "import.doccano.span"), (6, "import.doccano.relation"),
        (7, "import.doccano.duplicate-id"), (8, "import.doccano.span"), (9, "import.doccano.encoding")]
    assert all(f.severity == "error" and str(f).startswith(f"{path.as_posix()}:{f.line}: [") for f in log)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        list(read_doccano(tmp_path / "absent.jsonl", log=FindingLog()))
