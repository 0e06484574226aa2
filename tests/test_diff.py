"""Release diffs: two releases built from fixture corpora differ by exactly the edits made between them."""

import datetime
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chronique.store.annotations import dumps_annotation
from chronique.release.changelog import changelog_entry, prepend_changelog
from chronique.release.diff import (
    DocumentEntry,
    MentionRelabel,
    SplitMove,
    StanceEntry,
    StanceRelabel,
    diff_releases,
)
from chronique.errors import InputError, UsageError
from chronique.pipeline import build
from chronique.release.manifest import read_manifest
from chronique.release.writer import shard_path
from chronique.store.splits import hash_split

from conftest import SEED_ID, make_repo

OLD_ARTICLE = {"001_00000000000000a1.txt": "date 2021-03 Article un. Paris et Moscou ont parlé."}
NEW_ID = "00000000000000b2"
NEW_ARTICLE = {f"002_{NEW_ID}.txt": "date 2021-04 Article deux. Berlin a parlé."}
STATUSES = ("gold", "unannotated")


def edit_seed(repo: Path, edit) -> dict:
    """Apply ``edit`` to the seed's annotation dict, write it back, and return the dict as it was."""
    path = repo / "annotations" / f"{SEED_ID}.json"
    data = json.loads(path.read_text("utf-8"))
    original = json.loads(json.dumps(data))
    edit(data)
    path.write_text(dumps_annotation(data), encoding="utf-8")
    return original


def relabel_remove_and_flip(data: dict) -> None:
    """Mention m7 GPE → LOC (same coarse class), stance s16 removed, stance s1 FAVOR → AGAINST."""
    by_id = {m["id"]: m for m in data["mentions"]}
    by_id["m7"]["type"] = "LOC"
    data["stances"] = [s for s in data["stances"] if s["id"] != "s16"]
    next(s for s in data["stances"] if s["id"] == "s1")["polarity"] = "AGAINST"


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> tuple[Path, Path, dict]:
    """Release 1.0.0 (seed + one article), then 1.1.0 with one more article and three annotation edits."""
    repo = make_repo(tmp_path_factory.mktemp("diff") / "repo", OLD_ARTICLE)
    first = build(repo, version="1.0.0", statuses=STATUSES)
    make_repo(repo, NEW_ARTICLE, seed=False)
    original = edit_seed(repo, relabel_remove_and_flip)
    second = build(repo, version="1.1.0", statuses=STATUSES)
    return first.path, second.path, original


def test_diff_lists_exactly_the_edits(releases):
    a, b, seed = releases
    diff = diff_releases(a, b)
    m7 = next(m for m in seed["mentions"] if m["id"] == "m7")
    s1 = next(s for s in seed["stances"] if s["id"] == "s1")
    s16 = next(s for s in seed["stances"] if s["id"] == "s16")
    assert (diff.version_before, diff.version_after) == ("1.0.0", "1.1.0")
    assert diff.documents_added == (DocumentEntry(NEW_ID, hash_split(NEW_ID), 0, 0),)
    assert diff.mentions_relabelled == (MentionRelabel(SEED_ID, m7["start"], m7["end"], "Russie", "GPE", "LOC", False, False),)
    assert diff.stances_removed == (StanceEntry(SEED_ID, "AUTHOR", "France", tuple((q["start"], q["end"]) for q in s16["evidence"]),
                                                "NEUTRAL"),)
    assert diff.stances_relabelled == (StanceRelabel(SEED_ID, "Vladimir Poutine", s1["target"], ((875, 997),), "FAVOR", "AGAINST"),)
    for unchanged in ("documents_removed", "split_moves", "texts_changed", "mentions_added", "mentions_removed",
                      "stances_added", "labels_changed", "layers_added", "layers_removed"):
        assert getattr(diff, unchanged) == (), unchanged
    assert diff.suggested_bump == "minor"


def test_statistics_deltas(releases):
    a, b, _ = releases
    diff = diff_releases(a, b)
    split = hash_split(NEW_ID)
    changed = {(d.split, d.metric): d.delta for d in diff.statistics if d.delta}
    assert changed == {
        (split, "documents"): 1, (split, "sentences"): 2, (split, "tokens"): 7,
        ("train", "mentions.GPE"): -1, ("train", "mentions.LOC"): 1,
        ("train", "stances.FAVOR"): -1, ("train", "stances.AGAINST"): 1, ("train", "stances.NEUTRAL"): -1,
    }
    before, after = read_manifest(a).statistics["train"], read_manifest(b).statistics["train"]
    per = next(d for d in diff.statistics if (d.split, d.metric) == ("train", "mentions.PER"))
    assert (per.before, per.after, per.delta) == (before["mentions"]["PER"], after["mentions"]["PER"], 0)


def test_to_dict_is_json_with_the_suggested_bump(releases):
    a, b, _ = releases
    data = json.loads(json.dumps(diff_releases(a, b).to_dict()))
    assert data["suggested_bump"] == "minor" and data["split_moves"] == []
    assert data["stances_relabelled"][0]["evidence"] == [[875, 997]]
    assert {"split", "metric", "before", "after", "delta"} == set(data["statistics"][0])


def test_changelog_entry_names_every_change_and_the_statistics(releases):
    a, b, _ = releases
    entry = changelog_entry(a, b, date="2024-05-01")
    gpe = (read_manifest(a).statistics["train"]["mentions"]["GPE"], read_manifest(b).statistics["train"]["mentions"]["GPE"])
    assert entry.startswith("## 1.1.0 — 2024-05-01\n")
    assert entry.index("### Added") < entry.index("### Removed") < entry.index("### Changed") < entry.index("### Statistics")
    assert f"- 1 document\n  - `{NEW_ID}` ({hash_split(NEW_ID)}; 0 mentions, 0 stances)" in entry
    assert f"- 1 stance\n  - `{SEED_ID}` AUTHOR on «France»" in entry
    assert "«Russie» GPE → LOC" in entry and "«efforts de médiation de la Russie» (875–997) FAVOR → AGAINST" in entry
    assert f"| train | mentions.GPE | {gpe[0]} | {gpe[1]} | -1 |" in entry
    assert "mentions.PER" not in entry
    assert "suggested version bump: minor" in entry


def test_changelog_entry_shows_the_first_items_and_counts_the_rest(releases):
    a, b, _ = releases
    entry = changelog_entry(a, b, date="2024-05-01", limit=0)
    assert "- 1 relabelled mention\n  - … and 1 more" in entry


def test_changelog_date_defaults_to_the_release_date(releases):
    a, b, _ = releases
    released = read_manifest(b).released or datetime.date.today().isoformat()
    assert diff_releases(a, b).to_markdown().startswith(f"## 1.1.0 — {released}\n")


def test_a_release_against_itself_changes_nothing(releases):
    a, _, _ = releases
    diff = diff_releases(a, a)
    assert diff.suggested_bump == "none" and not any(d.delta for d in diff.statistics)
    entry = diff.to_markdown(date="2024-01-01")
    assert entry.count("- nothing") == 3 and "No statistic changed." in entry


def test_a_relabelling_alone_suggests_a_patch(tmp_path):
    repo = make_repo(tmp_path / "repo")
    first = build(repo, version="1.0.0")
    edit_seed(repo, lambda data: next(m for m in data["mentions"] if m["id"] == "m7").update(type="LOC"))
    second = build(repo, version="1.0.1")
    diff = diff_releases(first.path, second.path)
    assert len(diff.mentions_relabelled) == 1 and diff.suggested_bump == "patch"


def test_a_schema_or_label_set_change_suggests_a_major(releases, tmp_path):
    a, b, _ = releases
    schema_changed = shutil.copytree(b, tmp_path / "schema")
    manifest = read_manifest(schema_changed).to_dict()
    (schema_changed / "manifest.json").write_text(json.dumps({**manifest, "schema_version": "2.0"}), "utf-8")
    assert diff_releases(a, schema_changed).suggested_bump == "major"

    labels_changed = shutil.copytree(b, tmp_path / "labels")
    path = labels_changed / shard_path("ner", "train")
    table = pq.read_table(path)
    metadata = {b"huggingface": table.schema.metadata[b"huggingface"].replace(b'"B-DATE"', b'"B-TIME"')}
    pq.write_table(table.replace_schema_metadata(metadata), path)
    diff = diff_releases(a, labels_changed)
    assert diff.labels_changed == ("ner.ner_tags",) and diff.suggested_bump == "major"


def test_a_document_that_moved_split_is_exposed(tmp_path):
    article_id = "00000000000000c3"
    article = {f"001_{article_id}.txt": "date 2021-05 Article trois. Rome a parlé."}
    other = "test" if hash_split(article_id) != "test" else "validation"
    plain = build(make_repo(tmp_path / "plain", article), version="1.0.0", statuses=STATUSES)
    moved_repo = make_repo(tmp_path / "moved", article)
    (moved_repo / "annotations" / "splits.tsv").write_text(f"{article_id}\t{other}\toverride\n", encoding="utf-8")
    moved = build(moved_repo, version="1.0.1", statuses=STATUSES)
    diff = diff_releases(plain.path, moved.path)
    assert diff.split_moves == (SplitMove(article_id, hash_split(article_id), other),)
    assert diff.documents_added == diff.documents_removed == ()
    assert f"- 1 split move\n  - `{article_id}` {hash_split(article_id)} → {other}" in diff.to_markdown(date="2024-01-01")


def test_a_folder_without_manifest_is_a_usage_error(releases, tmp_path):
    a, _, _ = releases
    with pytest.raises(UsageError, match="not a release folder"):
        diff_releases(a, tmp_path)


def test_a_corrupt_data_file_is_an_input_error_naming_it(releases, tmp_path):
    a, b, _ = releases
    broken = shutil.copytree(b, tmp_path / "broken")
    path = broken / shard_path("documents", "train")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError) as error:
        diff_releases(a, broken)
    [finding] = error.value.findings
    assert finding.check_id == "diff.unreadable" and finding.path == str(path)


CHANGELOG = """# Changelog

All notable changes to the corpus.

## 1.0.0 — 2024-01-01

Hand-written: the first release, *edited by a person*.
"""


def test_prepend_changelog_puts_the_entry_below_the_title_and_keeps_older_entries(releases, tmp_path):
    a, b, _ = releases
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    prepend_changelog(changelog, changelog_entry(a, b, date="2024-05-01"))
    text = changelog.read_text("utf-8")
    assert text.startswith("# Changelog\n\nAll notable changes to the corpus.\n\n## 1.1.0 — 2024-05-01\n")
    assert text.endswith("## 1.0.0 — 2024-01-01\n\nHand-written: the first release, *edited by a person*.\n")

    prepend_changelog(changelog, changelog_entry(a, b, date="2024-06-01"))
    again = changelog.read_text("utf-8")
    assert again.count("## 1.1.0") == 1 and "## 1.1.0 — 2024-06-01\n" in again
    assert again.replace("2024-06-01", "2024-05-01") == text


def test_prepend_changelog_creates_a_missing_file_with_a_title(releases, tmp_path):
    a, b, _ = releases
    changelog = tmp_path / "CHANGELOG.md"
    entry = changelog_entry(a, b, date="2024-05-01")
    prepend_changelog(changelog, entry)
    assert changelog.read_text("utf-8") == "# Changelog\n\n" + entry


def test_prepend_changelog_ignores_headings_in_code_blocks(tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    old = "## 0.9.0 — 2023-01-01\n\n```\n## 1.0.0 is not a heading here\n```\n"
    changelog.write_text("# Changelog\n\n" + old, encoding="utf-8")
    prepend_changelog(changelog, "## 1.0.0 — 2024-01-01\n\nNew.\n")
    assert changelog.read_text("utf-8") == "# Changelog\n\n## 1.0.0 — 2024-01-01\n\nNew.\n\n" + old


def test_prepend_changelog_refuses_an_entry_without_heading(tmp_path):
    with pytest.raises(UsageError):
        prepend_changelog(tmp_path / "CHANGELOG.md", "no heading\n")
