"""Hostile tool files (issue "Security and integrity", items 6, 7, 9 and 10), each through the real command line.

6. JSON that is nested too deeply or has the wrong shape is a located error, never a traceback.
7. Nothing is lost silently: a duplicated conflicts.tsv line and inverted WebAnno TSV offsets are errors.
9. A finding made while checking an import names the tool file (and line), not an annotation file not yet written.
10. A symbolic link out of an import folder is refused and never read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronique.store.annotations import quote, write_annotation
from chronique.cli import main
from chronique.store.documents import sha256_text
from chronique.errors import InputError
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention

from conftest import SEED_ID, make_repo, snapshot

DOC_ID = "a1b2c3d4e5f60718"
TEXT = "La ministre Agnès Buzyn a rencontré Emmanuel Macron à Paris."
RAW_NAME = f"001_{DOC_ID}.txt"
DEEP = "[" * 100_000 + "]" * 100_000
SECRET = "root:x:0:0:TOP-SECRET-OUTSIDE-THE-FOLDER"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one short article and no annotation."""
    return make_repo(tmp_path / "repo", {RAW_NAME: f"date 2020-11 {TEXT}\n"}, seed=False)


def span(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return start, start + len(phrase)


def run(capsys, *argv: str) -> tuple[int, str]:
    """Exit code and everything printed; an exception (a traceback for the user) fails the test."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def doccano(folder: Path, *records: object, name: str = "doccano.jsonl") -> Path:
    path = folder / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
                    encoding="utf-8")
    return path


# --- 6. hostile JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content,check_id", [
    ("[]", "import.mapping.shape"),
    ('"PER"', "import.mapping.shape"),
    ('{"labels": ["PER"]}', "import.mapping.shape"),
    ('{"polarities": "FAVOR"}', "import.mapping.shape"),
    ('{"labels": {"PER": 3}}', "import.mapping.shape"),
    ('{"labels": {"PER": {"type": "PER"}}}', "import.mapping.shape"),
    (DEEP, "L1.json.depth"),
    ('{"labels": {"PER": "PER"}, "polarities": ' + "[" * 100_000 + "]" * 100_000 + "}", "L1.json.depth"),
])
def test_a_hostile_mapping_file_is_a_located_usage_error(repo, tmp_path, capsys, content, check_id):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content, encoding="utf-8")
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": []})
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo), "--mapping", str(mapping))
    assert code == 2
    assert f"{mapping}:1" in output and f"[{check_id}]" in output, output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()


def test_a_mapping_entry_is_located_at_its_line(repo, tmp_path, capsys):
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{\n  "labels": {\n    "PER": "PER",\n    "LOC": ["GPE"]\n  }\n}\n', encoding="utf-8")
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": []})
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo), "--mapping", str(mapping))
    assert code == 2 and f"{mapping}:4: [import.mapping.shape] labels['LOC'] must be a string, found a list" in output


def test_a_label_studio_export_nested_100000_deep_is_a_located_error(repo, tmp_path, capsys):
    export = tmp_path / "export.json"
    export.write_text(DEEP, encoding="utf-8")
    code, output = run(capsys, "import", "labelstudio", str(export), "--repo", str(repo))
    assert code == 1 and f"{export}:1:201: [L1.json.depth]" in output, output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()


@pytest.mark.parametrize("change", [
    {"annotations": True},
    {"annotations": [{"id": 1, "result": 5}]},
    {"drafts": 3},
    {"predictions": 2, "annotations": []},
    {"annotations": [{"id": 1, "result": [{"id": "r1", "type": "labels", "to_name": ["text"],
                                           "value": {"start": 12, "end": 23, "labels": 7}}]}]},
])
def test_a_label_studio_task_of_the_wrong_shape_is_reported_not_a_traceback(repo, tmp_path, capsys, change):
    task = {"id": 1, "data": {"doc_id": DOC_ID, "text": TEXT}, "annotations": [{"id": 1, "result": []}], **change}
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task]), encoding="utf-8")
    code, output = run(capsys, "import", "labelstudio", str(export), "--repo", str(repo), "--dry-run")
    assert code in (0, 1) and "Traceback" not in output


def test_a_doccano_line_nested_100000_deep_is_the_depth_error_at_its_line(repo, tmp_path, capsys):
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": []}, DEEP)
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo))
    assert code == 1 and f"{source.as_posix()}:2: [L1.json.depth]" in output, output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()


@pytest.fixture
def release_cache(seed_release, monkeypatch):
    """The seed's release, with the command line's datasets cache pointed at the session's."""
    import datasets.config

    path, cache = seed_release
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", Path(cache))
    return path


@pytest.mark.parametrize("task,line,check_id", [
    ("ner", '[1, 2]', "evaluate.format"),
    ("ner", DEEP, "L1.json.depth"),
    ("stance", '"FAVOR"', "evaluate.format"),
    ("stance", DEEP, "L1.json.depth"),
    ("stance", '{"id": 1', "evaluate.format"),
])
def test_hostile_prediction_lines_are_located_errors(release_cache, tmp_path, capsys, task, line, check_id):
    pred = tmp_path / "pred.jsonl"
    good = {"doc_id": SEED_ID, "start": 0, "end": 2, "type": "PER"} if task == "ner" else {"id": "x", "label": "FAVOR"}
    pred.write_text(json.dumps(good) + "\n" + line + "\n", encoding="utf-8")
    code, output = run(capsys, "evaluate", "--gold", str(release_cache), "--pred", str(pred), "--task", task,
                       "--split", "train")
    assert code == 1 and f"{pred}:2" in output and f"[{check_id}]" in output, output


def test_a_hostile_baselines_file_is_an_input_error(tmp_path):
    from chronique.evaluation.baseline import read_baselines

    for content, check_id in (("[" * 100_000 + "]" * 100_000, "L1.json.depth"), ('{"model": "x"}', "baseline.format"),
                              ('[{"model": "x", "scores": []}]', "baseline.format")):
        (tmp_path / "baselines.json").write_text(content, encoding="utf-8")
        with pytest.raises(InputError) as error:
            read_baselines(tmp_path)
        assert [f.check_id for f in error.value.findings] == [check_id]


# --- 7. silent loss ----------------------------------------------------------------------------------------


def version(annotator: str, berlin_type: str) -> Annotation:
    """An annotator's version of the article: Agnès Buzyn, and Paris typed ``berlin_type``."""
    mentions = (Mention("m1", quote(TEXT, *span("Agnès Buzyn")), "PER", "e1", None, False),
                Mention("m2", quote(TEXT, *span("Paris")), berlin_type, "e2", None, False))
    entities = (Entity("e1", "Agnès Buzyn", "PER", None), Entity("e2", "Paris", berlin_type, None))
    provenance = AnnotationProvenance("silver", (annotator,), "1.0", "manual", "2026-01-10", "double-blind")
    return Annotation(DOC_ID, sha256_text(TEXT), provenance, mentions, entities, (),
                      f"annotations/versions/{DOC_ID}/{annotator}.json")


def test_a_duplicated_conflict_line_is_an_error_naming_both_lines_and_writes_no_gold(repo, capsys):
    folder = repo / "annotations" / "versions" / DOC_ID
    folder.mkdir(parents=True)
    for annotator, fine_type in (("a1", "GPE"), ("a2", "LOC")):
        write_annotation(version(annotator, fine_type), folder / f"{annotator}.json")
    code, output = run(capsys, "adjudicate", DOC_ID, "--repo", str(repo))
    assert code == 1 and "[adjudicate.unresolved]" in output
    conflicts = folder / "conflicts.tsv"
    header, line = conflicts.read_text("utf-8").splitlines()
    assert line.split("\t")[:2] == ["c1", "mention"]
    conflicts.write_text(f"{header}\n{line}a1\n{line}a2\n", encoding="utf-8")  # the same unit, two resolutions
    written = conflicts.read_bytes()
    code, output = run(capsys, "adjudicate", DOC_ID, "--repo", str(repo))
    shown = f"annotations/versions/{DOC_ID}/conflicts.tsv"
    assert code == 1 and f"{shown}:3:1: [adjudicate.conflicts-duplicate] line 3 repeats the mention conflict on " \
                         "'Paris'" in output and "of line 2" in output, output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()
    assert conflicts.read_bytes() == written  # the curator's file is left for them to fix


TSV_HEADER = ["#FORMAT=WebAnno TSV 3.3", "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|identifier|value",
              "", ""]


def tsv_rows(buzyn: dict[str, str]) -> list[str]:
    """The article's tokens as WebAnno TSV rows, with the offsets of some tokens replaced."""
    rows, position = [f"#Text={TEXT}"], 0
    for number, token in enumerate(TEXT.removesuffix(".").split(" ") + ["."], start=1):
        start = TEXT.index(token, position)
        position = start + len(token)
        offsets = buzyn.get(token, f"{start}-{position}")
        value = "PER[1]" if token in ("Agnès", "Buzyn") else "_"
        rows.append("\t".join([f"1-{number}", offsets, token, "_", value]) + "\t")
    return rows


@pytest.mark.parametrize("changed,line,problem", [
    ({"Agnès": "17-12"}, 8, "the end offset is before the begin offset"),  # the case: Agnès Buzyn became Buzyn
    ({"Buzyn": "15-23"}, 9, "it starts before the end of the token before it"),
])
def test_inverted_or_backward_tsv_offsets_are_located_errors_and_nothing_is_imported(repo, tmp_path, capsys, changed,
                                                                                     line, problem):
    source = tmp_path / f"{DOC_ID}.tsv"
    source.write_text("\n".join(TSV_HEADER + tsv_rows(changed)) + "\n", encoding="utf-8")
    code, output = run(capsys, "import", "webanno-tsv3", str(source), "--repo", str(repo))
    assert code == 1 and f"{source.as_posix()}:{line}: [import.tsv.offsets]" in output and problem in output, output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()


def test_the_same_tsv_with_sound_offsets_imports_the_whole_name(repo, tmp_path, capsys):
    source = tmp_path / f"{DOC_ID}.tsv"
    source.write_text("\n".join(TSV_HEADER + tsv_rows({})) + "\n", encoding="utf-8")
    code, output = run(capsys, "import", "webanno-tsv3", str(source), "--repo", str(repo))
    assert code == 0, output
    written = json.loads((repo / "annotations" / f"{DOC_ID}.json").read_text("utf-8"))
    assert [m["exact"] for m in written["mentions"]] == ["Agnès Buzyn"]


# --- 9. findings name the tool file -------------------------------------------------------------------------


def test_crossing_doccano_spans_are_reported_in_the_doccano_file(repo, tmp_path, capsys):
    (start, end), (inner, _) = span("Agnès Buzyn"), span("Buzyn")
    crossing = [[start, end, "PER"], [inner, span("Buzyn a")[1], "PER"]]
    source = doccano(tmp_path, {"doc_id": "other", "text": "x", "label": []},
                     {"doc_id": DOC_ID, "text": TEXT, "label": crossing}, name="export.jsonl")
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo), "--dry-run")
    assert code == 1  # 'other' has no raw article
    # the crossing span is set aside, said at its line in the doccano file, and counted
    crossing_lines = [line for line in output.splitlines() if "[import.nesting.crossing]" in line]
    assert len(crossing_lines) == 1 and crossing_lines[0].startswith(f"{source.as_posix()}:2: "), output
    assert "span 2 ('PER'" in crossing_lines[0] and "crosses span 1" in crossing_lines[0]
    assert f"annotations/{DOC_ID}.json:" not in output  # a file that does not exist is never a location


def test_crossing_brat_spans_are_reported_at_their_ann_line(repo, tmp_path, capsys):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / f"{DOC_ID}.txt").write_text(TEXT, encoding="utf-8")
    buzyn_a = span("Buzyn a")
    (folder / f"{DOC_ID}.ann").write_text(f"T1\tPER {' '.join(map(str, span('Agnès Buzyn')))}\tAgnès Buzyn\n"
                                          f"T2\tPER {buzyn_a[0]} {buzyn_a[1]}\tBuzyn a\n", encoding="utf-8")
    code, output = run(capsys, "import", "brat", str(folder), "--repo", str(repo), "--dry-run")
    ann = (folder / f"{DOC_ID}.ann").as_posix()
    # the later, crossing span is set aside at its .ann line and counted; the other one is imported
    assert code == 0 and f"{ann}:2: [import.nesting.crossing] warning: span T2" in output, output
    assert "dropped 1 span(s): crosses an earlier span" in output
    assert f"annotations/{DOC_ID}.json:" not in output


# --- what an import refuses, and what it sets aside ------------------------------------------------------


@pytest.mark.parametrize("content, expected", [
    ('{"labels": {"PER": "PER",}}', "{mapping}:1:26: [import.mapping.json] not valid JSON"),
    ('{\n  "labels": {\n    "PER": "PERSON"\n  }\n}\n', "{mapping}:3: [import.mapping.target] labels['PER'] → 'PERSON'"),
])
def test_a_mapping_that_is_not_json_or_maps_to_no_type_is_a_usage_error(repo, tmp_path, capsys, content, expected):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content, encoding="utf-8")
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": []})
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo), "--mapping", str(mapping))
    assert code == 2 and expected.format(mapping=mapping) in output, output


def test_a_document_without_its_raw_article_is_refused(repo, tmp_path, capsys):
    source = doccano(tmp_path, {"doc_id": "ffffffffffffffff", "text": "Autre texte.", "label": []})
    before = snapshot(repo)
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo))
    assert code == 1 and f"{source.as_posix()}:1: [import.doc.unknown] no raw article has id 'ffffffffffffffff'" in output
    assert snapshot(repo) == before


def test_a_span_given_twice_is_dropped_once_with_a_warning(repo, tmp_path, capsys):
    start, end = span("Agnès Buzyn")
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": [[start, end, "PER"], [start, end, "PER"]]})
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo), "--dry-run")
    assert code == 0 and f"{source.as_posix()}:1: [import.span.duplicate] warning: span 2 ('PER'" in output, output


def test_tokens_that_are_not_the_raw_text_are_refused(repo, tmp_path, capsys):
    source = tmp_path / "other.conll"
    source.write_text(f"# doc_id = {DOC_ID}\nUn O\nautre O\ntexte O\n", encoding="utf-8")
    before = snapshot(repo)
    code, output = run(capsys, "import", "conll", str(source), "--repo", str(repo))
    assert code == 1 and f"{source}:1: [import.tokens.mismatch] token 0 'Un'" in output, output
    assert snapshot(repo) == before


def test_an_annotation_file_linked_out_of_the_repository_is_never_written_through(repo, tmp_path, capsys):
    outside = tmp_path / "outside.json"
    outside.write_text("{}", encoding="utf-8")
    (repo / "annotations" / f"{DOC_ID}.json").symlink_to(outside)
    source = doccano(tmp_path, {"doc_id": DOC_ID, "text": TEXT, "label": []})
    code, output = run(capsys, "import", "doccano", str(source), "--repo", str(repo))
    assert code == 1 and f"{source.as_posix()}:1: [import.path.outside]" in output, output
    assert outside.read_text("utf-8") == "{}"


def test_a_preannotation_refused_by_the_checks_is_reported_at_the_raw_article(repo, capsys, monkeypatch):
    import spacy

    import chronique.curation.preannotate as preannotate
    from chronique.curation.preannotate import PredictedSpan

    # A model step that lets a crossing pair through, as a broken component would.
    (start, end), crossing_end = span("Agnès Buzyn"), span("Buzyn a")[1]
    monkeypatch.setattr(preannotate, "load_ner_model", lambda model: spacy.blank("fr"))
    monkeypatch.setattr(preannotate, "predicted_spans_batch", lambda nlp, documents: [
        [PredictedSpan(start, end, "PER"), PredictedSpan(span("Buzyn")[0], crossing_end, "PER")] for _ in documents])
    monkeypatch.setattr(preannotate, "without_overlaps", lambda spans, dropped: sorted(spans, key=lambda s: s.start))
    code, output = run(capsys, "preannotate", DOC_ID, "--repo", str(repo))
    assert code == 1 and f"raw/{RAW_NAME}:1: [L3.nesting.crossing]" in output, output
    assert f"annotations/{DOC_ID}.json:" not in output and f"pre-annotation annotations/{DOC_ID}.json, not written" in output
    assert not (repo / "annotations" / f"{DOC_ID}.json").exists()


# --- 10. symbolic links out of an import folder ------------------------------------------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every import folder, whose lines must never be printed."""
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\ndaemon:x:1:1:{SECRET}\n", encoding="utf-8")
    return path


def refused(capsys, repo: Path, tmp_path: Path, *argv: str) -> str:
    """Run an import that must be refused: exit 1, nothing written, nothing of the secret printed or stored."""
    before = snapshot(repo)
    code, output = run(capsys, *argv, "--repo", str(repo))
    assert code == 1 and "[import.file.outside]" in output, output
    assert SECRET not in output
    assert snapshot(repo) == before
    return output


def test_a_brat_ann_linked_out_of_the_folder_is_refused_and_never_read(repo, tmp_path, capsys, secret):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "passwd.ann").symlink_to(secret)
    (folder / "passwd.txt").write_text("x", encoding="utf-8")
    output = refused(capsys, repo, tmp_path, "import", "brat", str(folder))
    assert f"{(folder / 'passwd.ann').as_posix()}: [import.file.outside]" in output and str(secret) in output


def test_a_brat_txt_linked_out_of_the_folder_never_becomes_a_raw_record(repo, tmp_path, capsys, secret):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "d1.ann").write_text("T1\tPER 0 4\troot\n", encoding="utf-8")
    (folder / "d1.txt").symlink_to(secret)
    refused(capsys, repo, tmp_path, "import", "brat", str(folder), "--add-raw", "--date", "2024-01",
            "--license", "CC0-1.0", "--origin", "published", "--source", "test")


def test_a_brat_subfolder_linked_out_of_the_folder_is_refused(repo, tmp_path, capsys, secret):
    folder = tmp_path / "brat"
    folder.mkdir()
    (secret.parent / "d2.ann").write_text(f"T1\tPER 0 4\t{SECRET[:4]}\n", encoding="utf-8")
    (secret.parent / "d2.txt").write_text(SECRET, encoding="utf-8")
    (folder / "sub").symlink_to(secret.parent, target_is_directory=True)
    refused(capsys, repo, tmp_path, "import", "brat", str(folder))


def test_a_webanno_tsv_linked_out_of_the_folder_is_refused_and_never_read(repo, tmp_path, capsys, secret):
    folder = tmp_path / "tsv"
    folder.mkdir()
    (folder / "passwd.tsv").symlink_to(secret)
    refused(capsys, repo, tmp_path, "import", "webanno-tsv3", str(folder))


@pytest.mark.parametrize("linked", ["doc.xmi", "TypeSystem.xml"])
def test_an_xmi_file_or_type_system_linked_out_of_the_folder_is_refused(repo, tmp_path, capsys, secret, linked):
    folder = tmp_path / "xmi"
    folder.mkdir()
    for name in ("doc.xmi", "TypeSystem.xml"):
        if name == linked:
            (folder / name).symlink_to(secret)
    if linked != "doc.xmi":
        (folder / "doc.xmi").write_text("<not-xmi/>", encoding="utf-8")
    output = refused(capsys, repo, tmp_path, "import", "inception-xmi", str(folder))
    assert f"{(folder / linked).as_posix()}: [import.file.outside]" in output


def test_a_link_that_stays_inside_the_folder_is_an_ordinary_file(repo, tmp_path, capsys):
    folder = tmp_path / "brat"
    (folder / "store").mkdir(parents=True)
    buzyn = span("Agnès Buzyn")
    (folder / "store" / "buzyn.data").write_text(f"T1\tPER {buzyn[0]} {buzyn[1]}\tAgnès Buzyn\n", encoding="utf-8")
    (folder / f"{DOC_ID}.ann").symlink_to(folder / "store" / "buzyn.data")
    (folder / f"{DOC_ID}.txt").write_text(TEXT, encoding="utf-8")
    code, output = run(capsys, "import", "brat", str(folder), "--repo", str(repo))
    assert code == 0, output
    written = json.loads((repo / "annotations" / f"{DOC_ID}.json").read_text("utf-8"))
    assert [m["exact"] for m in written["mentions"]] == ["Agnès Buzyn"]


def test_inception_export_layout_gives_the_folder_as_document_and_the_file_as_user(tmp_path):
    from chronique.interop.inception import export_layout

    assert export_layout(tmp_path / "annotation" / "report.txt" / "alice.tsv") == ("report", "alice")
    assert export_layout(tmp_path / "curation" / "report.txt" / "CURATION_USER.tsv") == ("report", None)
    assert export_layout(tmp_path / "exports" / "report.tsv") == (None, None)


def test_webanno_tsv_in_the_export_layout_reads_as_that_users_version_of_the_folders_document(tmp_path):
    from chronique.errors import FindingLog
    from chronique.interop.webanno_tsv import read_webanno_tsv3

    lines = ["#FORMAT=WebAnno TSV 3.3", "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value", "", "",
             "#Text=Emmanuel Macron parle.", "1-1\t0-8\tEmmanuel\tPER[1]\t", "1-2\t9-15\tMacron\tPER[1]\t",
             "1-3\t16-21\tparle\t_\t", "1-4\t21-22\t.\t_\t", ""]
    for user in ("alice", "CURATION_USER"):
        folder = tmp_path / "annotation" / "report.txt"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{user}.tsv").write_text("\n".join(lines), encoding="utf-8")
        log = FindingLog()
        [document] = list(read_webanno_tsv3(folder / f"{user}.tsv", log=log))
        assert not log.errors and document.doc_id == "report"
        assert document.annotator == (None if user == "CURATION_USER" else user)
        assert [(s.start, s.end, s.label) for s in document.spans] == [(0, 15, "PER")]
