"""End-to-end builds: the release loads with the real datasets library, is stable, immutable and atomic."""

import hashlib
import json

import pytest
from datasets import ClassLabel, load_dataset

from chronique.errors import InputError, ReleaseExistsError
from chronique.pipeline import build
from chronique.release.manifest import file_sha256, read_manifest
from chronique.release.writer import ShardWriter, shard_digests_from_files
from chronique.schema import COARSE_NER_LABELS, FINE_NER_LABELS
from chronique.version import __version__

from conftest import PROJECT, SEED_ID, error_ids, make_repo, snapshot, seed_only_repo


def extra_articles(count: int, start: int = 1) -> dict[str, str]:
    """Unannotated articles with hex ids, enough for every split to be used."""
    articles = {}
    for number in range(start, start + count):
        doc_id = hashlib.sha256(f"article {number}".encode()).hexdigest()[:16]
        articles[f"{number:03d}_{doc_id}.txt"] = f"date 2021-0{1 + number % 9} Article {number}. Paris et Moscou ont parlé.\n\nSuite {number}."
    return articles


def build_all(repo, **kwargs):
    return build(repo, statuses=("gold", "unannotated"), **kwargs)


def test_every_config_loads_offline_with_classlabel_names(repo, cache_dir):
    result = build(repo)
    assert result.outcome == "published" and result.path == repo / "releases" / __version__
    for config, rows in (("documents", 1), ("ner", 10), ("stance", 16)):
        dataset = load_dataset(str(result.path), config, cache_dir=cache_dir)
        assert list(dataset) == ["train"] and dataset["train"].num_rows == rows
    ner = load_dataset(str(result.path), "ner", split="train", cache_dir=cache_dir)
    assert ner.features["ner_tags"].feature.names == FINE_NER_LABELS
    assert ner.features["coarse_ner_tags"].feature.names == COARSE_NER_LABELS
    stance = load_dataset(str(result.path), "stance", split="train", cache_dir=cache_dir)
    assert isinstance(stance.features["label"], ClassLabel) and stance.features["label"].names == ["FAVOR", "AGAINST", "NEUTRAL"]
    documents = load_dataset(str(result.path), "documents", split="train", cache_dir=cache_dir)
    assert documents[0]["doc_id"] == SEED_ID and documents[0]["date"] == "2020-11"


def test_no_empty_split_file_is_written(repo):
    result = build(repo)
    files = sorted(p.relative_to(result.path).as_posix() for p in result.path.rglob("*.parquet"))
    assert files == [f"data/{c}/train-00000-of-00001.parquet" for c in ("documents", "ner", "stance")]
    card = (result.path / "README.md").read_text("utf-8")
    assert "split: validation" not in card and "split: test" not in card


def test_manifest_checksums_rows_and_logical_fingerprint(repo):
    result = build(repo)
    manifest = read_manifest(result.path)
    assert manifest.fingerprint == result.fingerprint and manifest.version == __version__
    for relative, entry in manifest.files.items():
        assert file_sha256(result.path / relative) == entry.sha256
    assert set(manifest.files) == {p.relative_to(result.path).as_posix() for p in result.path.rglob("*") if p.is_file()} - {"manifest.json", "manifest.sha256"}
    assert (result.path / "manifest.sha256").read_text() == f"{file_sha256(result.path / 'manifest.json')}  manifest.json\n"
    assert shard_digests_from_files(result.path, manifest.rows) == manifest.shard_digests
    assert manifest.documents == {"train": [SEED_ID]}


def test_committed_release_is_reproduced_from_raw_and_annotations(tmp_path):
    """The current release is exactly what the repository's own raw/ and annotations/ build."""
    committed = read_manifest(PROJECT / "releases" / __version__)
    result = build(PROJECT, releases=tmp_path / "releases", update_registry=False)
    assert result.fingerprint == committed.fingerprint
    assert result.rows == committed.rows


def test_splits_are_stable_when_documents_are_added(tmp_path):
    repo = make_repo(tmp_path / "repo", extra_articles(30))
    first = build_all(repo, version="1.0.0")
    before = read_manifest(first.path).documents
    assert set(before) == {"train", "validation", "test"}
    make_repo(repo, extra_articles(40, start=31), seed=False)
    second = build_all(repo, version="1.1.0")
    after = read_manifest(second.path).documents
    for split, doc_ids in before.items():
        assert set(doc_ids) <= set(after[split])
    registry = (repo / "annotations" / "splits.tsv").read_text("utf-8")
    assert registry.count("released:1.0.0") == 31 and registry.count("released:1.1.0") == 40


def test_registry_override_places_a_new_document_and_moves_are_refused(tmp_path):
    articles = extra_articles(3)
    repo = make_repo(tmp_path / "repo", articles)
    new_id = next(iter(articles))[4:20]
    (repo / "annotations" / "splits.tsv").write_text(f"{new_id}\ttest\toverride\n")
    result = build_all(repo, version="1.0.0")
    assert new_id in read_manifest(result.path).documents["test"]
    registry = repo / "annotations" / "splits.tsv"
    registry.write_text(registry.read_text().replace(f"{new_id}\ttest", f"{new_id}\ttrain"))
    with pytest.raises(InputError) as error:
        build_all(repo, version="1.0.1")
    assert error_ids(error.value) == ["L0.splits.moved"]
    assert not (repo / "releases" / "1.0.1").exists()


def test_rebuilding_the_same_content_changes_nothing(repo):
    first = build(repo)
    before = snapshot(first.path)
    again = build(repo)
    assert again.outcome == "unchanged" and snapshot(first.path) == before


def test_existing_release_with_other_content_is_refused_and_untouched(repo):
    first = build_all(repo)
    before = snapshot(repo / "releases")
    make_repo(repo, extra_articles(1), seed=False)
    with pytest.raises(ReleaseExistsError, match="bump the version"):
        build_all(repo)
    assert snapshot(repo / "releases") == before


def test_failure_mid_build_leaves_no_partial_release(repo, monkeypatch):
    build(repo, version="0.0.1")
    before = snapshot(repo / "releases")
    calls = {"n": 0}
    original = ShardWriter.write_table

    def failing_write(self, table):
        calls["n"] += 1
        if calls["n"] == 2:  # the documents shard is written, the ner shard fails
            raise OSError("disk full (injected)")
        original(self, table)

    monkeypatch.setattr(ShardWriter, "write_table", failing_write)
    with pytest.raises(OSError, match="injected"):
        build(repo, version="0.0.2")
    assert calls["n"] == 2
    assert snapshot(repo / "releases") == before
    assert sorted(p.name for p in (repo / "releases").iterdir()) == ["0.0.1"]


def test_invalid_input_publishes_nothing_and_reports_every_problem(repo):
    build(repo, version="0.0.1")
    before = snapshot(repo / "releases")
    make_repo(repo, {"900_aaaaaaaaaaaaaaaa.txt": b"date 2020-13 Texte.", "901_bbbbbbbbbbbbbbbb.txt": b"\xef\xbb\xbfdate 2020-11 x"}, seed=False)
    with pytest.raises(InputError) as error:
        build(repo, version="0.0.2")
    assert error_ids(error.value) == ["L1.raw.bom", "L1.raw.date"]
    assert snapshot(repo / "releases") == before


def test_annotation_that_no_longer_matches_the_text_is_refused(repo):
    path = repo / "annotations" / f"{SEED_ID}.json"
    data = json.loads(path.read_text("utf-8"))
    data["mentions"][1]["exact"] = "Emmanuel Macrom"
    from chronique.store.annotations import dumps_annotation
    path.write_text(dumps_annotation(data), encoding="utf-8")
    with pytest.raises(InputError) as error:
        build(repo)
    [finding] = [f for f in error.value.findings if f.severity == "error"]
    assert finding.check_id == "L2.anchor.text-mismatch"
    assert finding.line == 8 and "expected 'Emmanuel Macrom', found 'Emmanuel Macron'" in str(finding)
    assert not (repo / "releases" / __version__).exists()
