"""Releases in several shards per split: one per group of chunks, written by the workers, named in row order."""

import json

import pytest
from datasets import load_dataset

import chronique.run.chunks as chunks
import chronique.run.groups as groups
from chronique.pipeline import build
from chronique.release.manifest import read_manifest
from chronique.release.verify import verify_release
from chronique.release.writer import release_shards

from conftest import make_repo, snapshot
from test_scale import articles, release_files

STATUSES = ("gold", "unannotated")
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),  # rdflib, in mlcroissant
    pytest.mark.filterwarnings("ignore:The inplace keyword:Warning"),  # pandas, inside mlcroissant's Parquet reader
]


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_FILES", 4)
    monkeypatch.setattr(groups, "GROUP_CHUNKS", 2)  # 23 files: 6 chunks, 3 groups
    return make_repo(tmp_path / "repo", articles(22))


def one_shard_build(corpus, folder, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(groups, "GROUP_CHUNKS", 100)
        return build(corpus, releases=folder, statuses=STATUSES, update_registry=False)


def test_each_group_writes_a_shard_and_the_release_names_them_in_order(corpus, tmp_path):
    result = build(corpus, releases=tmp_path / "rel", statuses=STATUSES, update_registry=False)
    shards = [p.relative_to(result.path).as_posix() for p in release_shards(result.path, "ner", "train")]
    assert len(shards) >= 2
    assert shards == [f"data/ner/train-{i:05d}-of-{len(shards):05d}.parquet" for i in range(len(shards))]
    assert not list(result.path.glob("data/*/.group-*"))  # every staged shard was named
    assert [f for f in verify_release(result.path) if f.severity == "error"] == []


def test_shards_hold_the_rows_of_a_one_shard_release_in_the_same_order(corpus, tmp_path, monkeypatch):
    sharded = build(corpus, releases=tmp_path / "sharded", statuses=STATUSES, update_registry=False)
    single = one_shard_build(corpus, tmp_path / "single", monkeypatch)
    assert len(release_shards(single.path, "ner", "train")) == 1
    assert sharded.rows == single.rows
    assert read_manifest(sharded.path).documents == read_manifest(single.path).documents
    for config, splits in sharded.rows.items():
        for split in splits:
            many = load_dataset(str(sharded.path), config, split=split, cache_dir=str(tmp_path / "hf1"))
            one = load_dataset(str(single.path), config, split=split, cache_dir=str(tmp_path / "hf2"))
            assert many.to_list() == one.to_list(), f"{config}/{split}"
            assert many.features == one.features


def test_the_card_points_datasets_at_every_shard(corpus, tmp_path):
    result = build(corpus, releases=tmp_path / "rel", statuses=STATUSES, update_registry=False)
    card = (result.path / "README.md").read_text(encoding="utf-8")
    assert "path: data/ner/train-*-of-*.parquet" in card
    dataset = load_dataset(str(result.path), "ner", cache_dir=str(tmp_path / "hf"))
    assert {split: dataset[split].num_rows for split in dataset} == result.rows["ner"]


def test_sharded_releases_are_the_same_bytes_for_any_jobs_and_from_the_cache(corpus, tmp_path):
    one = build(corpus, releases=tmp_path / "one", statuses=STATUSES, update_registry=False, jobs=1)
    two = build(corpus, releases=tmp_path / "two", statuses=STATUSES, update_registry=False, jobs=2)
    cache = tmp_path / "cache"
    filled = build(corpus, releases=tmp_path / "fill", statuses=STATUSES, update_registry=False, jobs=2, cache=cache)
    cached = build(corpus, releases=tmp_path / "cached", statuses=STATUSES, update_registry=False, jobs=2, cache=cache)
    assert cached.cache_hits == cached.chunks == 6
    assert release_files(one.path) == release_files(two.path) == release_files(filled.path) == release_files(cached.path)
    assert one.fingerprint == two.fingerprint == cached.fingerprint


def test_one_edited_annotation_recomputes_one_chunk_and_rewrites_one_group(corpus, tmp_path):
    cache = tmp_path / "cache"
    build(corpus, releases=tmp_path / "fill", statuses=STATUSES, update_registry=False, cache=cache)
    before = {p.parent.name: snapshot(p.parent) for p in cache.glob("groups/*/*/meta.pickle")}
    annotation = next((corpus / "annotations").glob("*.json"))
    annotation.write_text(annotation.read_text(encoding="utf-8").replace('"metonymic": false', '"metonymic": true', 1),
                          encoding="utf-8")
    edited = build(corpus, releases=tmp_path / "edited", statuses=STATUSES, update_registry=False, cache=cache)
    clean = build(corpus, releases=tmp_path / "clean", statuses=STATUSES, update_registry=False)
    assert edited.chunks - edited.cache_hits == 1
    after = {p.parent.name for p in cache.glob("groups/*/*/meta.pickle")}
    assert len(after - set(before)) == 1 and len(set(before) - after) == 1  # one group replaced, the others kept
    assert release_files(edited.path) == release_files(clean.path)


def test_croissant_reads_every_shard(corpus, tmp_path):
    mlc = pytest.importorskip("mlcroissant")
    result = build(corpus, releases=tmp_path / "rel", statuses=STATUSES, update_registry=False)
    metadata = json.loads((result.path / "croissant.json").read_text(encoding="utf-8"))
    file_sets = [d["@id"] for d in metadata["distribution"] if d["@type"] == "cr:FileSet"]
    assert "data/ner/train-*-of-*.parquet" in file_sets
    dataset = mlc.Dataset(jsonld=result.path / "croissant.json")
    assert dataset.metadata.ctx.issues.errors == set()
    records = list(dataset.records(record_set="ner/train"))
    rows = load_dataset(str(result.path), "ner", split="train", cache_dir=str(tmp_path / "hf"))
    assert [r["ner/train/id"].decode() for r in records] == rows["id"]


def test_a_worker_receives_the_repository_as_far_as_its_group_goes(corpus, tmp_path):
    from chronique.pipeline import open_pass

    full = open_pass(corpus, version="9.9.9", releases=tmp_path / "rel").repo
    some = sorted(full.sources)[:3]
    part = full.only(set(some))
    assert sorted(part.sources) == some and set(part.annotation_files) <= set(some)
    assert part.root == full.root and part.near_duplicates is not None and part.near_duplicates.pairs == ()
    assert full.only(set()).sources == {} and len(full.sources) == 23  # the full repository is left whole
