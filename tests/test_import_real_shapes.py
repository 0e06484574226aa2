"""Imports of real tool-export shapes lose nothing silently: each case is a small fixture in the shape a
real export has (HIPE-2020 and HIPE-2022 files, clustered QIDs, nested and glued spans, deep nesting,
two documents given one id), run through the real command line, then through ``chronique validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronique.cli import main
from chronique.errors import FindingLog
from chronique.interop.hipe import read_hipe
from chronique.pipeline import validate

from conftest import make_repo, snapshot

HEADER = ("TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\tNE-NESTED\t"
          "NEL-LIT\tNEL-METO\tMISC")
HIPE_MAPPING = {"labels": {"pers": "PER", "loc": "LOC", "org": "ORG", "prod": "MISC", "time": "DATE",
                           "PER": "PER", "LOC": "LOC", "ORG": "ORG"}}
ADD_RAW = ["--add-raw", "--date", "1878-01", "--license", "CC-BY-4.0", "--origin", "published", "--source", "fixture"]


def row(token: str, coarse: str = "O", nested: str = "O", qid: str = "_", misc: str = "_", fine: str | None = None) -> str:
    """One HIPE token line: the literal coarse tag, the fine tag (the coarse one unless given), NE-NESTED, NEL-LIT."""
    return "\t".join([token, coarse, "_", fine or coarse, "_", "_", nested, qid, "_", misc])


def hipe_file(path: Path, documents: dict[str, list[str]], *, comment: str = "# hipe2022:document_id") -> Path:
    lines = [HEADER]
    for doc_id, rows in documents.items():
        lines += [f"{comment} = {doc_id}", comment.replace("document_id", "date") + " = 1878-01-02", *rows, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def empty_repo(tmp_path):
    return make_repo(tmp_path / "repo", seed=False)


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "hipe-mapping.json"
    path.write_text(json.dumps(HIPE_MAPPING), encoding="utf-8")
    return path


def run_import(capsys, *argv) -> tuple[int, str, str]:
    code = main(["import", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def summary(out: str) -> dict[str, int]:
    """The import table's one row of figures, by column name."""
    lines = [line for line in out.splitlines() if "┃" in line or "│" in line]
    names = [cell.strip() for cell in lines[0].strip("┃").split("┃")]
    values = [int(cell) for cell in lines[1].strip("│").split("│")]
    return dict(zip(names, values))


def imported(repo: Path, doc_id: str) -> dict:
    return json.loads((repo / "annotations" / f"{doc_id}.json").read_text("utf-8"))


def assert_accounted(figures: dict[str, int]) -> None:
    parts = ("imported", "re-anchored", "rejected", "ignored", "dropped")
    assert figures["spans read"] == sum(figures[name] for name in parts), figures


# --- HIPE-2020 and HIPE-2022 documents ------------------------------------------------------------

TWO_DOCUMENTS = {
    # an entity tag left open at the end of the first document must not run into the second
    "hipe2020-a": [row("Le"), row("maire"), row("de"), row("Lyon", "B-loc", qid="Q456", misc="EndOfSentence")],
    "hipe2020-b": [row("Lyon", "I-loc"), row("reçoit"), row("Victor", "B-pers"), row("Hugo", "I-pers", misc="NoSpaceAfter"),
                   row(".", misc="EndOfSentence")],
}


@pytest.mark.parametrize("comment", ["# document_id", "# hipe2022:document_id"])
def test_hipe_2020_and_2022_document_comments_each_start_a_document(tmp_path, empty_repo, mapping, capsys, comment):
    path = hipe_file(tmp_path / "hipe.tsv", TWO_DOCUMENTS, comment=comment)
    documents = list(read_hipe(path, log=FindingLog()))
    assert [d.doc_id for d in documents] == ["hipe2020-a", "hipe2020-b"] and [d.date for d in documents] == ["1878-01-02"] * 2
    # the I- tag that opens the second document starts a new entity there, as the HIPE scorer reads it
    assert [[(s.label, s.text) for s in d.spans] for d in documents] == [[("loc", "Lyon")],
                                                                        [("loc", "Lyon"), ("pers", "Victor Hugo")]]
    code, out, err = run_import(capsys, "hipe", path, "--repo", empty_repo, "--mapping", mapping, *ADD_RAW)
    assert code == 0, err
    assert summary(out)["documents"] == 2
    assert validate(empty_repo).errors == []


@pytest.mark.parametrize("comment", ["# document_id", "# hipe2022:document_id"])
def test_the_scorer_reads_every_document_of_a_hipe_2020_or_2022_file(tmp_path, capsys, comment):
    gold = hipe_file(tmp_path / "gold.tsv", TWO_DOCUMENTS, comment=comment)
    assert main(["evaluate", "--gold", str(gold), "--pred", str(gold), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["documents"] == 2
    # three gold entities: Lyon (document a), Lyon and Victor Hugo (document b); none across the boundary
    assert (scores["strict"]["micro"]["tp"], scores["strict"]["micro"]["fn"]) == (3, 0)


# --- choosing the HIPE column to score --------------------------------------------------------------

def test_evaluate_scores_the_hipe_column_the_options_choose(tmp_path, capsys):
    gold_rows = {"d1": [row("Victor", "B-pers", fine="B-pers.author"), row("Hugo", "I-pers", fine="I-pers.author"),
                        row("à"), row("Paris", "B-loc", fine="B-loc.adm.town", nested="O")]}
    # the fine type predicted for the person is a gold type (the HIPE scorer ignores types the gold lacks)
    pred_rows = {"d1": [row("Victor", "B-pers", fine="B-loc.adm.town"), row("Hugo", "I-pers", fine="I-loc.adm.town"),
                        row("à"), row("Paris", "B-loc", fine="B-loc.adm.town")]}
    gold, pred = hipe_file(tmp_path / "gold.tsv", gold_rows), hipe_file(tmp_path / "pred.tsv", pred_rows)

    def micro(*options):
        assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--json", *options]) == 0
        figures = json.loads(capsys.readouterr().out)["strict"]["micro"]
        return figures["tp"], figures["fp"], figures["fn"]

    assert micro() == (2, 0, 0)  # coarse: both right
    assert micro("--labels", "fine") == (1, 1, 1)  # fine: the person's fine type is wrong
    assert micro("--column", "NE-FINE-LIT") == (1, 1, 1)
    assert micro("--reading", "metonymic") == (0, 0, 0)  # nothing is metonymic here


def test_column_options_that_cannot_apply_are_refused(tmp_path, seed_release, capsys):
    conll = tmp_path / "gold.conll"
    conll.write_text("Paris B-LOC\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(conll), "--pred", str(conll), "--labels", "fine"]) == 2
    assert "one tag column" in capsys.readouterr().err
    gold = hipe_file(tmp_path / "gold.tsv", TWO_DOCUMENTS)
    assert main(["evaluate", "--gold", str(gold), "--pred", str(gold), "--column", "NE-MISSING"]) == 2
    assert "no column 'NE-MISSING'" in capsys.readouterr().err
    assert main(["evaluate", "--gold", str(seed_release[0]), "--pred", str(gold), "--reading", "metonymic"]) == 2
    assert "HIPE gold file" in capsys.readouterr().err


# --- one QID, two readings; nested spans; glued tokens ------------------------------------------------

def test_a_place_and_its_organisation_reading_linked_to_one_qid_import_as_two_entities(tmp_path, empty_repo, mapping,
                                                                                        capsys):
    rows = {"qid-readings": [row("La"), row("France", "B-loc", qid="Q142"), row("et"), row("la"),
                             row("France", "B-org", qid="Q142"), row("signent", misc="EndOfSentence")]}
    path = hipe_file(tmp_path / "hipe.tsv", rows)
    code, _, err = run_import(capsys, "hipe", path, "--repo", empty_repo, "--mapping", mapping, *ADD_RAW)
    assert code == 0, err
    annotation = imported(empty_repo, "qid-readings")
    assert sorted((e["type"], e["qid"]) for e in annotation["entities"]) == [("LOC", "Q142"), ("ORG", "Q142")]
    assert validate(empty_repo).errors == []


def test_nested_hipe_spans_come_in_inside_their_parent_and_are_counted(tmp_path, empty_repo, mapping, capsys):
    rows = {"nested": [row("La"), row("Banque", "B-org"), row("de", "I-org"), row("France", "I-org", nested="B-loc"),
                       row("ouvre", misc="EndOfSentence")]}
    path = hipe_file(tmp_path / "hipe.tsv", rows)
    code, out, err = run_import(capsys, "hipe", path, "--repo", empty_repo, "--mapping", mapping, *ADD_RAW)
    assert code == 0, err
    figures = summary(out)
    assert (figures["spans read"], figures["imported"], figures["of them nested"]) == (2, 2, 1)
    assert_accounted(figures)
    mentions = {m["exact"]: m for m in imported(empty_repo, "nested")["mentions"]}
    assert mentions["France"]["parent_id"] == mentions["Banque de France"]["id"]
    assert validate(empty_repo).errors == []


def test_a_span_whose_edge_falls_inside_glued_tokens_is_imported(tmp_path, empty_repo, mapping, capsys):
    # OCR glued "Paris" and "Londres": HIPE keeps two tokens, joined by NoSpaceAfter
    rows = {"glued": [row("Entre"), row("Paris", "B-loc", misc="NoSpaceAfter"), row("Londres", "B-loc"),
                      row("et"), row("Rome", "B-loc", misc="EndOfSentence")]}
    path = hipe_file(tmp_path / "hipe.tsv", rows)
    code, out, err = run_import(capsys, "hipe", path, "--repo", empty_repo, "--mapping", mapping, *ADD_RAW)
    assert code == 0, err
    assert summary(out)["imported"] == 3
    assert sorted(m["exact"] for m in imported(empty_repo, "glued")["mentions"]) == ["Londres", "Paris", "Rome"]
    report = validate(empty_repo)
    assert report.errors == []  # flagged for a reader, never blocking
    assert [f.check_id for f in report.warnings if f.check_id.startswith("L2")] == ["L2.anchor.token-boundary"] * 2


# --- nesting three levels deep (Quaero-style brat) ----------------------------------------------------

def test_a_third_level_of_nesting_is_dropped_by_id_and_the_rest_imported(tmp_path, empty_repo, capsys):
    text = "Le Musée de la Ville de Paris ouvre.\n"
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "quaero.txt").write_text(text, encoding="utf-8")
    spans = [("T1", "ORG", "Musée de la Ville de Paris"), ("T2", "ORG", "Ville de Paris"), ("T3", "GPE", "Paris")]
    (folder / "quaero.ann").write_text("".join(
        f"{tid}\t{label} {text.index(surface)} {text.index(surface) + len(surface)}\t{surface}\n"
        for tid, label, surface in spans), encoding="utf-8")
    code, out, err = run_import(capsys, "brat", folder, "--repo", empty_repo, *ADD_RAW)
    assert code == 0, err
    figures = summary(out)
    assert (figures["spans read"], figures["imported"], figures["dropped"], figures["of them nested"]) == (3, 2, 1, 1)
    assert_accounted(figures)
    assert "dropped 1 span(s): nested a third level deep" in out
    [warning] = [line for line in err.splitlines() if "[import.nesting.depth]" in line]
    assert warning.startswith(f"{folder / 'quaero.ann'}:3:") and "span T3" in warning
    assert sorted(m["exact"] for m in imported(empty_repo, "quaero")["mentions"]) == ["Musée de la Ville de Paris",
                                                                                     "Ville de Paris"]
    assert validate(empty_repo).errors == []


# --- two documents, one id ---------------------------------------------------------------------------

def test_two_texts_given_one_id_are_refused_and_nothing_is_written(tmp_path, empty_repo, mapping, capsys):
    first = hipe_file(tmp_path / "one.tsv", {"CURATION_USER": [row("Paris", "B-loc")]})
    second = hipe_file(tmp_path / "two.tsv", {"CURATION_USER": [row("Lyon", "B-loc")]})
    before = snapshot(empty_repo)
    code, _, err = run_import(capsys, "hipe", first, second, "--repo", empty_repo, "--mapping", mapping, *ADD_RAW)
    assert code == 1
    assert f"{second}:2:" in err and "[import.doc.duplicate]" in err and "'CURATION_USER'" in err
    assert snapshot(empty_repo) == before


def test_two_versions_of_one_new_document_in_one_import_add_its_text_to_raw_once(tmp_path, empty_repo, capsys):
    text = "Paris brille."
    paths = []
    for name, spans in (("alice", [[0, 5, "LOC"]]), ("bob", [[0, 5, "GPE"]])):
        paths.append(tmp_path / f"{name}.jsonl")
        paths[-1].write_text(json.dumps({"doc_id": "shared", "text": text, "label": spans, "annotator": name}) + "\n",
                             encoding="utf-8")
    code, _, err = run_import(capsys, "doccano", *paths, "--repo", empty_repo, "--as-version", *ADD_RAW)
    assert code == 0, err
    raw_records = [json.loads(line) for path in (empty_repo / "raw").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert [(r["id"], r["text"]) for r in raw_records] == [("shared", text)]
    versions = empty_repo / "annotations" / "versions" / "shared"
    assert sorted(p.name for p in versions.glob("*.json")) == ["alice.json", "bob.json"]
