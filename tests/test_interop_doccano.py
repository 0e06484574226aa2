"""doccano JSONL: the three export shapes, document ids, relations as stances, and located findings for bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronique.store.annotations import annotation_to_dict, read_annotation
from chronique.cli import main
from chronique.store.documents import sha256_text
from chronique.errors import FindingLog, InputError, UsageError
from chronique.interop.base import LabelMapping
from chronique.interop.convert import to_annotation
from chronique.interop.doccano import read_doccano
from chronique.interop.runner import import_files

from conftest import make_repo, snapshot

TEXT = "Émilie Dupont défend la réforme ; Paris et Moscou s'opposent."
DATA = Path(__file__).parent / "data" / "doccano"
V1_EXPORT = DATA / "v1_annotations.jsonl"  # doccano 1.x: "annotations" with numeric label ids and users
V1_MAPPING = DATA / "v1_label_ids.json"


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
    [bare] = log.findings  # only the line without any span key is worth a word
    assert (bare.check_id, bare.severity, bare.line) == ("import.doccano.no-spans", "warning", 5)
    assert "1 line(s)" in bare.message and "(line 5)" in bare.message
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


# --- doccano 1.x: "annotations" with label ids ------------------------------------------------------------


def v1_records() -> list[dict]:
    return [json.loads(line) for line in V1_EXPORT.read_text("utf-8").splitlines()]


def v1_repo(root: Path) -> Path:
    """A repository whose raw articles are the texts of the doccano 1.x fixture, under their doc_id."""
    articles = {f"{n:03d}_{r['meta']['doc_id']}.txt": f"date 2022-06 {r['text']}\n" for n, r in enumerate(v1_records(), 1)}
    return make_repo(root, articles, seed=False)


def mentions(repo: Path, doc_id: str, version: str | None = None) -> list[tuple[int, int, str, str]]:
    path = repo / "annotations" / (f"versions/{doc_id}/{version}.json" if version else f"{doc_id}.json")
    data = annotation_to_dict(read_annotation(path, root=repo, log=FindingLog()))
    return [(m["start"], m["end"], m["type"], m["exact"]) for m in data["mentions"]]


def test_a_doccano_1x_export_imports_every_span_with_label_ids_mapped(tmp_path):
    repo = v1_repo(tmp_path / "repo")
    report = import_files("doccano", [V1_EXPORT], repo=repo, mapping=LabelMapping.load(V1_MAPPING))
    counts = report.counts
    assert (counts.documents, counts.read, counts.imported, counts.ignored, counts.rejected, counts.dropped) == (3, 9, 8, 1, 0, 0)
    assert counts.read == counts.imported + counts.reanchored + counts.rejected + counts.ignored + counts.dropped
    assert not [f for f in report.findings if f.severity == "error"]
    assert sorted(report.written) == sorted(f"annotations/{r['meta']['doc_id']}.json" for r in v1_records())
    assert mentions(repo, "3f2a9c1e5b7d4086") == [
        (0, 12, "PER", "Anne Hidalgo"), (24, 29, "DATE", "mardi"), (44, 55, "GPE", "Saint-Denis")]
    assert mentions(repo, "8c41d07e2a9f6b35") == [(3, 17, "ORG", "Conseil d'État"), (44, 47, "ORG", "CGT")]  # 5: IGNORE
    assert mentions(repo, "d5e6f7a8b9c01234") == [
        (2, 8, "GPE", "Rennes"), (36, 48, "DATE", "12 juin 2022"), (54, 69, "PER", "Nathalie Appéré")]
    written = json.loads((repo / "annotations" / "3f2a9c1e5b7d4086.json").read_text("utf-8"))
    assert written["provenance"]["annotators"] == ["doccano-user-1"]


def test_a_label_id_missing_from_the_mapping_is_a_located_error_and_nothing_is_written(tmp_path, capsys):
    repo = v1_repo(tmp_path / "repo")
    mapping = tmp_path / "mapping.json"
    labels = json.loads(V1_MAPPING.read_text("utf-8"))["labels"]
    mapping.write_text(json.dumps({"labels": {k: v for k, v in labels.items() if k != "4"}}), encoding="utf-8")
    before = snapshot(repo)
    code = main(["import", "doccano", str(V1_EXPORT), "--repo", str(repo), "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 1
    unknown = [line for line in err.splitlines() if "[import.label.unknown]" in line]
    assert [line.split(": [")[0] for line in unknown] == [f"{V1_EXPORT.as_posix()}:1", f"{V1_EXPORT.as_posix()}:3"]
    assert all(f"label '4' is not in the mapping {mapping}" in line for line in unknown)
    assert f"[import.doccano.label-id] warning: label id 4 is not in the mapping {mapping}" in err
    assert snapshot(repo) == before


def test_annotations_are_read_with_string_labels_too_and_bad_items_are_located(tmp_path):
    items = [
        {"label": 3, "start_offset": 0, "end_offset": 13},                      # no id: numbered, no user
        {"id": 9, "label": "GPE", "start_offset": at("Paris")[0], "end_offset": at("Paris")[1]},
        {"label": 3, "start_offset": 0},                                        # 3: no end_offset
        {"id": 9, "label": 3, "start_offset": 0, "end_offset": 6},              # repeated id
        {"id": 10, "label": True, "start_offset": 0, "end_offset": 6},          # a boolean is not a label id
        {"id": 11, "label": 3, "start_offset": 0, "end_offset": 6, "user": [1]},
        {"id": 12, "label": 3, "start_offset": 6, "end_offset": 999},
        [0, 6, "PER"],
    ]
    path = write_lines(tmp_path / "v1.jsonl", {"id": 1, "text": TEXT, "annotations": items},
                       {"id": 2, "text": TEXT, "annotations": []}, {"id": 3, "text": TEXT, "annotations": {"label": 3}})
    log = FindingLog()
    documents = list(read_doccano(path, log=log))
    assert [(d.doc_id, d.annotator) for d in documents] == [("1", None), ("2", None), ("3", None)]
    assert [(s.id, s.start, s.end, s.label, s.line) for s in documents[0].spans] == [
        ("1", 0, 13, "3", 1), ("9", *at("Paris"), "GPE", 1)]
    assert documents[1].spans == documents[2].spans == ()
    assert [(f.line, f.check_id) for f in log] == [(1, "import.doccano.span")] * 6 + [(3, "import.doccano.span")]
    assert "annotation 3: expected an object with label, start_offset and end_offset" in log.findings[0].message
    assert all(f.severity == "error" for f in log)


def test_a_line_annotated_by_two_users_is_two_versions_and_never_merged(tmp_path, capsys):
    repo = v1_repo(tmp_path / "repo")
    record = v1_records()[0]
    record["annotations"].append({"id": 110, "label": 1, "start_offset": 0, "end_offset": 4, "user": 2})  # "Anne"
    source = write_lines(tmp_path / "two-users.jsonl", record)
    mapping = LabelMapping.load(V1_MAPPING)
    [first, second] = read_doccano(source, log=FindingLog(), mapping=mapping)
    assert (first.annotator, len(first.spans), second.annotator, len(second.spans)) == ("doccano-user-1", 3, "doccano-user-2", 1)

    with pytest.raises(InputError) as error:  # one gold file for two users' work would lose one of them
        import_files("doccano", [source], repo=repo, mapping=mapping)
    assert "import.doc.duplicate" in {f.check_id for f in error.value.findings}
    assert not (repo / "annotations" / "3f2a9c1e5b7d4086.json").exists()

    report = import_files("doccano", [source], repo=repo, mapping=mapping, as_version=True)
    assert (report.counts.documents, report.counts.read, report.counts.imported) == (2, 4, 4)
    assert mentions(repo, "3f2a9c1e5b7d4086", "doccano-user-2") == [(0, 4, "PER", "Anne")]
    assert len(mentions(repo, "3f2a9c1e5b7d4086", "doccano-user-1")) == 3


@pytest.mark.parametrize("record,named", [
    ({"spans": [[0, 13, "PER"]]}, "'spans' holds what look like spans"),
    ({"ner": [{"start": 0, "end": 13, "type": "PER"}]}, "'ner' holds what look like spans"),
    ({"result": {"entities": [[0, 13, "PER"]]}}, "'result' holds what look like spans"),
    ({"label": [[0, 13, "PER"]], "annotations": [{"label": 1, "start_offset": 0, "end_offset": 13}]},
     "spans under both 'label' and 'annotations'"),
])
def test_a_line_of_an_unknown_shape_is_a_located_error_and_nothing_is_written(tmp_path, capsys, record, named):
    repo = v1_repo(tmp_path / "repo")
    good, other = v1_records()[:2]
    source = write_lines(tmp_path / "export.jsonl", good, {**record, "text": other["text"], "meta": other["meta"]})
    before = snapshot(repo)
    code = main(["import", "doccano", str(source), "--repo", str(repo), "--mapping", str(V1_MAPPING)])
    err = capsys.readouterr().err
    [shape] = [line for line in err.splitlines() if "[import.doccano.shape]" in line]
    assert code == 1 and shape.startswith(f"{source.as_posix()}:2: [import.doccano.shape] ") and named in shape
    assert '"annotations": [{"label": <id>' in shape and '"entities"' in shape  # the hint lists the shapes read
    assert snapshot(repo) == before


def test_metadata_that_does_not_look_like_spans_is_no_shape_error(tmp_path):
    path = write_lines(tmp_path / "export.jsonl",
                       {"id": 1, "text": TEXT, "label": [], "Comments": [], "tags": ["politique", 3],
                        "annotation_approver": None, "scores": [[0.5, 1]], "meta": {"spans": [[0, 6, "seen"]]}},
                       {"id": 2, "text": TEXT, "label": [at("Paris") + ["GPE"]], "annotations": []})
    log = FindingLog()
    documents = list(read_doccano(path, log=log))
    assert not log.findings and [len(d.spans) for d in documents] == [0, 1]
