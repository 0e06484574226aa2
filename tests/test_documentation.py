"""The release documents itself: card metadata, datasheet statistics and citation follow the data."""

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData

from chronique.checks.card import check_card
from chronique.pipeline import build
from chronique.release.recording import STATS_END, STATS_START
from chronique.release.manifest import read_manifest
from chronique.version import __version__

from conftest import PROJECT, make_repo


@pytest.fixture
def documented_repo(tmp_path):
    repo = make_repo(tmp_path / "repo")
    for name in ("CITATION.cff", "DATASHEET.md", "CHANGELOG.md"):
        shutil.copyfile(PROJECT / name, repo / name)
    changelog = repo / "CHANGELOG.md"
    text = changelog.read_text("utf-8")
    changelog.write_text(text[: text.index("\n## ")] + "\n", encoding="utf-8")  # the title and preamble only
    return repo


def test_card_parses_without_warnings_and_declares_the_metadata(repo):
    result = build(repo)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        card = DatasetCard.load(result.path / "README.md")
    data = card.data.to_dict()
    assert isinstance(card.data, DatasetCardData)
    assert data["language"] == ["fr"] and data["license"] == "other" and data["pretty_name"] == "Chronique"
    assert data["task_categories"] == ["token-classification", "text-classification"]
    assert data["task_ids"] == ["named-entity-recognition", "multi-class-classification"]
    assert data["size_categories"] == ["n<1K"]
    assert {c["config_name"] for c in data["configs"]} == {"documents", "ner", "stance"}
    infos = {i["config_name"]: i for i in data["dataset_info"]}
    [split] = infos["ner"]["splits"]
    assert split["name"] == "train" and split["num_examples"] == 10 and split["num_bytes"] > 0
    assert check_card(result.path / "README.md", documents=1) == []


def test_card_sections_come_from_the_data(repo):
    result = build(repo)
    card = (result.path / "README.md").read_text("utf-8")
    stats = read_manifest(result.path).statistics["train"]
    for heading in ("Mentions per fine type", "Outermost mentions per coarse type", "Stances per polarity",
                    "Stances per scope", "Annotation status", "## Baselines", "## Licence", "## Known limitations"):
        assert heading in card
    assert f"| NORP | {stats['mentions']['NORP']} |" in card
    assert f"| document | {stats['stance_scopes']['document']} |" in card
    for config in ("documents", "ner", "stance"):
        assert f'load_dataset(release, "{config}")' in card
    released = read_manifest(result.path).released
    assert f"version = {{{__version__}}}" in card and f"Release {__version__}, {released}" in card


def test_build_records_the_release_in_citation_and_datasheet(documented_repo, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    result = build(documented_repo, version="0.2.0")
    citation = yaml.safe_load((documented_repo / "CITATION.cff").read_text("utf-8"))
    assert citation["version"] == "0.2.0" and str(citation["date-released"]) == "2026-01-01"
    datasheet = (documented_repo / "DATASHEET.md").read_text("utf-8")
    section = datasheet[datasheet.index(STATS_START):datasheet.index(STATS_END)]
    assert "Release 0.2.0 (2026-01-01): 1 document(s)." in section
    assert f"| tokens | {result.stats['train']['tokens']:,} |" in section
    before = datasheet
    build(documented_repo, version="0.2.0")
    assert (documented_repo / "DATASHEET.md").read_text("utf-8") == before


def test_committed_datasheet_statistics_match_the_committed_release():
    from chronique.release.recording import update_datasheet

    text = (PROJECT / "DATASHEET.md").read_text("utf-8")
    assert update_datasheet(text, read_manifest(PROJECT / "releases" / __version__)) == text


def test_citation_file_validates_with_cffconvert():
    tool = os.environ.get("CFFCONVERT") or str(PROJECT / ".venv-cff" / "bin" / "cffconvert")
    if not Path(tool).exists():
        if os.environ.get("CI"):
            pytest.fail("cffconvert is missing: scripts/test.sh installs it in .venv-cff")
        pytest.skip("cffconvert is not installed here; scripts/test.sh installs it in .venv-cff")
    done = subprocess.run([tool, "--validate", "-i", str(PROJECT / "CITATION.cff")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    citation = yaml.safe_load((PROJECT / "CITATION.cff").read_text("utf-8"))
    assert citation["version"] == __version__


def test_each_release_gets_a_changelog_entry_from_its_diff_and_hand_edits_survive(documented_repo, capsys):
    from chronique.cli import main

    build(documented_repo, version="1.0.0")
    changelog = documented_repo / "CHANGELOG.md"
    edited = changelog.read_text("utf-8").replace("First release:", "First release (edited by hand):")
    changelog.write_text(edited, encoding="utf-8")
    make_repo(documented_repo, {"001_00000000000000bb.txt": "date 2021-01 Un autre article sur Paris."}, seed=False)
    build(documented_repo, version="1.1.0", statuses=("gold", "unannotated"))
    text = changelog.read_text("utf-8")
    assert text.index("## 1.1.0") < text.index("## 1.0.0")
    assert "First release (edited by hand):" in text and "00000000000000bb" in text
    build(documented_repo, version="1.1.0", statuses=("gold", "unannotated"))
    assert changelog.read_text("utf-8") == text
    releases = documented_repo / "releases"
    assert main(["diff", str(releases / "1.0.0"), str(releases / "1.1.0"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggested_bump"] == "minor"
    assert main(["verify", str(releases / "1.1.0")]) == 0
    shard = next((releases / "1.1.0" / "data" / "ner").glob("*.parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 3] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert main(["verify", str(releases / "1.1.0")]) == 1
    assert "[verify.checksum]" in capsys.readouterr().err
