"""Near duplicates share a split: the build keeps them together, and refuses only registry pins that part them.

Two texts differing by one word (estimated Jaccard 0.97) get ids whose hash splits differ: the build
must put both in the split of the group's first member (the smallest doc_id, or a pinned member), and
the ``L4.leak.near-duplicate`` check must fire only when annotations/splits.tsv pins them apart.
"""

from __future__ import annotations

import pytest
from datasets import load_dataset

import chronique.run.chunks as chunks
from chronique.checks.corpus import minhash, near_duplicate_pairs
from chronique.errors import InputError
from chronique.pipeline import build
from chronique.release.manifest import Manifest, read_manifest
from chronique.store.splits import SplitEntry, group_near_duplicates, hash_split

from conftest import SEED_ID, error_ids, make_repo

FIRST_ID = "7070880ac17a4a4e"  # the smaller id: its hash split, test, decides an unpinned group
SECOND_ID = "888ddf7917df958d"  # hashes to train
REGISTRY = "annotations/splits.tsv"
STATUSES = ("gold", "unannotated")

_WORDS = ("le conseil municipal de Rennes a voté mardi soir un budget qui prévoit la rénovation des écoles du "
          "quartier nord ainsi que la création de pistes cyclables le long du canal").split()


def long_text(changed: str = "soir") -> str:
    """About 300 words, every 5-word shingle distinct thanks to the numbered sentences; ``changed`` replaces
    one word of the last sentence, so that two versions share all but five shingles."""
    sentences = [f"Séance {n} : " + " ".join(_WORDS) + "." for n in range(1, 10)]
    sentences.append("Séance finale : " + " ".join(_WORDS).replace("soir", changed) + ".")
    return " ".join(sentences)


def near_pair(repo_root, *, first_name: str = "002", second_name: str = "001"):
    """A repository with the seed and the two near-duplicate articles; by default the one with the larger id
    comes first in raw/, so that the file order would pick another first member than the doc_id does."""
    return make_repo(repo_root, {f"{first_name}_{FIRST_ID}.txt": f"date 2021-03 {long_text()}\n",
                                 f"{second_name}_{SECOND_ID}.txt": f"date 2021-03 {long_text('matin')}\n"})


def pin(repo, *lines: str) -> None:
    (repo / REGISTRY).write_text("# doc_id\tsplit\torigin\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")


def split_by_doc(manifest: Manifest) -> dict[str, str]:
    return {doc_id: split for split, doc_ids in manifest.documents.items() for doc_id in doc_ids}


def test_the_fixture_is_a_near_duplicate_pair_whose_hashes_disagree():
    assert hash_split(FIRST_ID) == "test" and hash_split(SECOND_ID) == "train" and FIRST_ID < SECOND_ID
    [(a, b, similarity)] = near_duplicate_pairs([minhash(long_text()), minhash(long_text("matin"))])
    assert (a, b) == (0, 1) and 0.9 <= similarity < 1.0


def test_unpinned_near_duplicates_are_built_into_one_split(tmp_path, cache_dir):
    repo = near_pair(tmp_path / "repo")
    result = build(repo, statuses=STATUSES, update_registry=False)
    assert result.outcome == "published"
    assert not [w for w in result.warnings if w.check_id.startswith("L4")]
    placed = split_by_doc(read_manifest(result.path))
    assert placed[FIRST_ID] == placed[SECOND_ID] == "test"  # the smallest doc_id's hash split, not raw/ order's
    assert placed[SEED_ID] == hash_split(SEED_ID)  # a document without near duplicates keeps its hash split
    test_rows = load_dataset(str(result.path), "documents", split="test", cache_dir=cache_dir)
    assert sorted(test_rows["doc_id"]) == [FIRST_ID, SECOND_ID]


def test_the_release_then_pins_the_group_and_a_later_build_keeps_it(tmp_path):
    repo = near_pair(tmp_path / "repo")
    build(repo, statuses=STATUSES, version="1.0.0")
    registry = (repo / REGISTRY).read_text("utf-8")
    assert f"{FIRST_ID}\ttest\treleased:1.0.0" in registry and f"{SECOND_ID}\ttest\treleased:1.0.0" in registry
    again = build(repo, statuses=STATUSES, version="1.0.1")
    assert split_by_doc(read_manifest(again.path))[SECOND_ID] == "test"


def test_an_unpinned_near_duplicate_follows_its_pinned_twin(tmp_path):
    repo = near_pair(tmp_path / "repo")
    pin(repo, f"{SECOND_ID}\tvalidation\toverride")  # neither hash split: the pin alone decides
    result = build(repo, statuses=STATUSES, update_registry=False)
    placed = split_by_doc(read_manifest(result.path))
    assert placed[FIRST_ID] == placed[SECOND_ID] == "validation"


def test_registry_pins_that_part_near_duplicates_are_refused_at_the_pin(tmp_path):
    repo = near_pair(tmp_path / "repo")
    pin(repo, f"{FIRST_ID}\ttrain\toverride", f"{SECOND_ID}\ttest\toverride")
    with pytest.raises(InputError) as error:
        build(repo, statuses=STATUSES, update_registry=False)
    assert error_ids(error.value) == ["L4.leak.near-duplicate"]
    [finding] = [f for f in error.value.findings if f.check_id == "L4.leak.near-duplicate"]
    assert (finding.path, finding.line) == (REGISTRY, 3)  # SECOND_ID comes first in raw/, and is pinned on line 3
    assert f"'{SECOND_ID}' (test, pinned on line 3) and '{FIRST_ID}' (train, pinned on line 2)" in finding.message
    assert "the split registry pins apart" in finding.message and f"pin both to one split in {REGISTRY}" in finding.hint
    assert not (repo / "releases").exists() or not any((repo / "releases").iterdir())


def test_a_cached_build_reports_the_pins_of_the_current_registry(tmp_path, monkeypatch):
    """The chunk cache keys on the pin of a document with near duplicates, so a refused build names today's lines:
    FIRST_ID's chunk keeps its split, yet its cached summary (from before the release pinned it) is not reused."""
    monkeypatch.setattr(chunks, "CHUNK_FILES", 1)  # each twin in its own chunk
    repo = near_pair(tmp_path / "repo")
    cache = tmp_path / "cache"
    build(repo, statuses=STATUSES, version="1.0.0", cache=cache)  # then the registry pins both to test
    registry = repo / REGISTRY
    registry.write_text(registry.read_text("utf-8").replace(f"{SECOND_ID}\ttest\treleased:1.0.0",
                                                            f"{SECOND_ID}\ttrain\toverride"), encoding="utf-8")
    number = {line.split("\t")[0]: n for n, line in enumerate(registry.read_text("utf-8").splitlines(), start=1)}
    with pytest.raises(InputError) as error:
        build(repo, statuses=STATUSES, version="1.0.1", cache=cache)
    assert error_ids(error.value) == ["L0.splits.moved", "L4.leak.near-duplicate"]
    [finding] = [f for f in error.value.findings if f.check_id == "L4.leak.near-duplicate"]
    assert (finding.path, finding.line) == (REGISTRY, number[SECOND_ID])
    assert f"'{FIRST_ID}' (test, pinned on line {number[FIRST_ID]})" in finding.message


def test_the_assignment_depends_on_neither_file_order_nor_jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_FILES", 1)  # one chunk per file: the twins are read in different chunks
    repo = near_pair(tmp_path / "repo")
    serial = build(repo, releases=tmp_path / "serial", statuses=STATUSES, update_registry=False)
    parallel = build(repo, releases=tmp_path / "parallel", statuses=STATUSES, update_registry=False, jobs=2)
    assert parallel.fingerprint == serial.fingerprint  # each worker groups the corpus alike
    swapped = build(near_pair(tmp_path / "swapped", first_name="001", second_name="002"), statuses=STATUSES,
                    update_registry=False)
    for result in (serial, parallel, swapped):
        assert split_by_doc(read_manifest(result.path)) == {SEED_ID: "train", FIRST_ID: "test", SECOND_ID: "test"}


def test_groups_are_transitive_and_their_first_member_is_a_pin_or_the_smallest_id():
    ids = ["d", "b", "c", "a", "e", "f"]
    chain = [(1, 2), (0, 1), (4, 5)]  # b–c and d–b join {b, c, d}; e–f; a has no near duplicate
    unpinned = group_near_duplicates(ids, chain, {})
    assert unpinned.splits == {"b": hash_split("b"), "c": hash_split("b"), "d": hash_split("b"),
                               "e": hash_split("e"), "f": hash_split("e")}
    registry = {"d": SplitEntry("d", "validation", "override"), "c": SplitEntry("c", "test", "override")}
    pinned = group_near_duplicates(ids, chain, registry)
    assert pinned.splits["b"] == "test"  # c is the pinned member with the smallest id; d keeps its own pin
    assert pinned.pinned == {"c", "d"} and "c" not in pinned.splits and "d" not in pinned.splits
    assert group_near_duplicates(list(reversed(ids)), [(5 - a, 5 - b) for a, b in chain], registry) == pinned


def test_the_build_command_keeps_near_duplicates_together_and_refuses_pins_that_part_them(tmp_path, capsys):
    from chronique.cli import main

    repo = near_pair(tmp_path / "repo")
    releases = tmp_path / "releases"
    argv = ["build", "--repo", str(repo), "--releases", str(releases), "--status", *STATUSES, "--no-cache"]
    assert main([*argv, "--no-registry-update"]) == 0, capsys.readouterr().err
    [release] = releases.iterdir()
    placed = split_by_doc(read_manifest(release))
    assert placed[FIRST_ID] == placed[SECOND_ID] == "test"
    capsys.readouterr()
    pin(repo, f"{FIRST_ID}\ttest\toverride", f"{SECOND_ID}\ttrain\toverride")
    assert main([*argv, "--releases", str(tmp_path / "other")]) == 1
    err = capsys.readouterr().err
    assert f"{REGISTRY}:" in err and "[L4.leak.near-duplicate]" in err
    assert not (tmp_path / "other").exists() or not any((tmp_path / "other").iterdir())
