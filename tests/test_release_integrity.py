"""A rebuild never rewrites an existing release, and a damaged one stops the build (no laundering)."""

import subprocess
import sys

import pytest

from chronique.release.writer import shard_path

from conftest import make_repo


def chronique(*args):
    return subprocess.run([sys.executable, "-m", "chronique.cli", *args], capture_output=True, text=True)


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def built(tmp_path):
    repo = make_repo(tmp_path / "repo")
    done = chronique("build", "--repo", str(repo), "--quiet", "--no-cache")
    assert done.returncode == 0, done.stderr
    [release] = [p for p in (repo / "releases").iterdir() if not p.name.startswith(".")]
    return repo, release


def test_a_clean_rebuild_is_unchanged_and_touches_no_byte(built):
    repo, release = built
    before = tree(release)
    done = chronique("build", "--repo", str(repo), "--no-cache")
    assert done.returncode == 0 and "unchanged" in done.stdout + done.stderr
    assert tree(release) == before


def flip_statistics_byte(path):
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01  # inside the footer, where the column statistics live
    path.write_bytes(bytes(data))


DAMAGE = {
    "a stray payload.html": lambda release: (release / "payload.html").write_text("<script>x</script>"),
    "an edited card": lambda release: (release / "README.md").write_text(
        (release / "README.md").read_text("utf-8") + "\nEdited.\n", encoding="utf-8"),
    "a flipped byte in a Parquet footer": lambda release: flip_statistics_byte(release / shard_path("ner", "train")),
    "an edited manifest": lambda release: (release / "manifest.json").write_text(
        (release / "manifest.json").read_text("utf-8").replace('"tokens": 354', '"tokens": 999'), encoding="utf-8"),
}


@pytest.mark.parametrize("what", sorted(DAMAGE))
def test_a_damaged_release_stops_the_build_and_stays_as_it_was(built, what):
    repo, release = built
    DAMAGE[what](release)
    before = tree(release)
    done = chronique("build", "--repo", str(repo), "--no-cache")
    assert done.returncode == 1, what
    assert "[release.damaged]" in done.stderr and "Traceback" not in done.stderr
    assert tree(release) == before
    assert chronique("verify", str(release)).returncode == 1


def test_verify_through_the_cli_finds_an_edited_manifest_figure(built):
    _, release = built
    manifest = release / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8").replace('"tokens": 354', '"tokens": 999'), encoding="utf-8")
    done = chronique("verify", str(release))
    assert done.returncode == 1 and "[verify.manifest-figure]" in done.stderr + done.stdout
    assert "[verify.manifest-digest]" in done.stderr + done.stdout


def test_a_corrupted_cache_entry_is_reported_by_the_cli_build_and_not_used(tmp_path):
    repo = make_repo(tmp_path / "repo")
    first = chronique("build", "--repo", str(repo), "--releases", str(tmp_path / "a"), "--no-registry-update")
    assert first.returncode == 0, first.stderr
    shards = sorted((repo / ".cache" / "chronique-build").glob("groups/*/*/*.parquet"))  # what a rebuild would copy
    assert len(shards) == 3  # the seed in train: documents, ner and stance
    entry = shards[0]
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x01
    entry.write_bytes(bytes(data))
    second = chronique("build", "--repo", str(repo), "--releases", str(tmp_path / "b"), "--no-registry-update")
    assert second.returncode == 0 and "[build.cache.corrupt]" in second.stderr
    fingerprints = [line.split()[-1] for out in (first.stdout, second.stdout) for line in out.splitlines()
                    if line.startswith("fingerprint")]
    assert len(fingerprints) == 2 and fingerprints[0] == fingerprints[1]
