"""The release contract: licences and origins per document drive the metadata, one citation, the 1.1 rows."""

import json
from collections import Counter

import pytest
import yaml
from datasets import load_dataset

from chronique.checks.card import check_citations
from chronique.cli import main
from chronique.release.licensing import dataset_licence, is_redistributable
from chronique.pipeline import build
from chronique.release.recording import record_release

from conftest import SEED_ID, make_repo


@pytest.mark.parametrize("licences,expected", [
    ({"CC-BY-4.0": 3}, "cc-by-4.0"),              # one open licence, the annotations' own
    ({"CC-BY-4.0": 2, "unknown": 1}, "other"),   # mixed
    ({"unknown": 1}, "other"),                   # unknown: never stated as open
    ({"CC0-1.0": 2}, "other"),                   # open, but not the annotations' licence: two licences
])
def test_the_dataset_licence_is_computed_from_the_documents(licences, expected):
    assert dataset_licence(Counter(licences)) == expected


def test_unknown_and_unlisted_licences_are_not_redistributable():
    assert is_redistributable("CC-BY-4.0") and not is_redistributable("unknown")
    assert not is_redistributable("LicenseRef-publisher") and not is_redistributable(None)


@pytest.fixture(scope="module")
def seed_release(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("contract") / "repo")
    result = build(repo, update_registry=False)
    record_release(repo, result.path)
    return repo, result.path


def card_yaml(release):
    return yaml.safe_load((release / "README.md").read_text("utf-8").split("---\n")[1])


def test_a_release_with_a_text_of_unknown_licence_states_no_open_licence(seed_release):
    repo, release = seed_release
    card = (release / "README.md").read_text("utf-8")
    assert card_yaml(release)["license"] == "other"
    assert "### Restricted texts" in card and f"`{SEED_ID}` | unknown | published" in card
    croissant = json.loads((release / "croissant.json").read_text("utf-8"))
    assert croissant["license"][0].endswith("(annotations)")
    assert "not redistributable (text of 1 document)" in croissant["license"][1]
    assert "license:" not in (repo / "CITATION.cff").read_text("utf-8")  # CFF cannot say "mixed"


def test_one_open_licence_everywhere_is_stated(tmp_path):
    repo = make_repo(tmp_path / "repo", {"001_aaaaaaaaaaaaaaaa.txt": "date 2021-01 Un texte libre."}, seed=False)
    result = build(repo, statuses=("unannotated",), update_registry=False)
    record_release(repo, result.path)
    assert card_yaml(result.path)["license"] == "cc-by-4.0"
    assert "license: CC-BY-4.0" in (repo / "CITATION.cff").read_text("utf-8")
    assert "### Restricted texts" not in (result.path / "README.md").read_text("utf-8")


def test_the_three_citations_agree_and_a_hand_edit_is_found(seed_release, tmp_path):
    repo, release = seed_release
    assert check_citations(release, repo / "CITATION.cff") == []
    cff = tmp_path / "CITATION.cff"
    cff.write_text((repo / "CITATION.cff").read_text("utf-8").replace("Chronique contributors", "Someone else"))
    [problem] = check_citations(release, cff)
    assert problem.check_id == "L4.card.citation" and "author" in problem.message


def test_documents_rows_carry_licence_origin_and_beat(seed_release, tmp_path):
    _, release = seed_release
    [row] = load_dataset(str(release), "documents", split="train", cache_dir=str(tmp_path / "c"))
    assert (row["license"], row["origin"], row["beat"]) == ("unknown", "published", "international")


def test_ner_rows_carry_their_sentence_and_its_start(seed_release, tmp_path):
    _, release = seed_release
    [document] = load_dataset(str(release), "documents", split="train", cache_dir=str(tmp_path / "c"))
    ner = load_dataset(str(release), "ner", split="train", cache_dir=str(tmp_path / "c"))
    for row in ner:
        assert row["text"] == document["text"][row["start"] : row["start"] + len(row["text"])]
        for token, offset in zip(row["tokens"], row["token_offsets"]):
            assert row["text"][offset["start"] - row["start"] : offset["end"] - row["start"]] == token


def test_stance_evidence_maps_into_the_row_text_through_text_start(seed_release, tmp_path):
    _, release = seed_release
    stance = load_dataset(str(release), "stance", split="train", cache_dir=str(tmp_path / "c"))
    assert len(stance) == 16
    for row in stance:
        for evidence in row["evidence"]:
            start = evidence["start"] - row["text_start"]
            assert row["text"][start : start + len(evidence["text"])] == evidence["text"]


def test_publish_refuses_restricted_text_unless_told(seed_release, capsys):
    _, release = seed_release
    args = ["publish", "--repo-id", "org/name", "--release", str(release), "--version", release.name, "--dry-run"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "[publish.restricted]" in err and SEED_ID in err and "--include-restricted" in err
    assert main([*args, "--include-restricted"]) == 0
    assert "dry run: nothing was sent" in capsys.readouterr().out


def test_a_withheld_text_is_checked_but_never_released_and_the_card_says_why(tmp_path):
    articles = {"001_aaaaaaaaaaaaaaaa.txt": "date 2021-01 Un texte juste.", "002_bbbbbbbbbbbbbbbb.txt": "date 2021-02 Un faux."}
    repo = make_repo(tmp_path / "repo", articles)
    (repo / "annotations" / "withheld.tsv").write_text("bbbbbbbbbbbbbbbb\tfactual error: the date is wrong\n")
    result = build(repo, statuses=("gold", "unannotated"), update_registry=False)
    released = {d for ids in json.loads((result.path / "manifest.json").read_text())["documents"].values() for d in ids}
    assert "bbbbbbbbbbbbbbbb" not in released and {"aaaaaaaaaaaaaaaa", SEED_ID} <= released
    card = (result.path / "README.md").read_text("utf-8")
    assert "| `bbbbbbbbbbbbbbbb` | factual error: the date is wrong |" in card
    assert result.withheld == {"kept out (annotations/withheld.tsv)": 1}
