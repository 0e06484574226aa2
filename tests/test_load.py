"""chronique.load from a checkout and from an installed wheel, through the real datasets library."""

import os
import subprocess
import sys
import zipfile

import pytest

import chronique
import chronique.release.loading
from chronique.errors import UsageError

from conftest import PROJECT, seed_only_repo


def test_load_from_the_checkout(cache_dir):
    ner = chronique.load("ner", cache_dir=cache_dir)
    assert ner["train"].features["ner_tags"].feature.names[:3] == ["O", "B-PER", "I-PER"]
    stance = chronique.load("stance", split="train", cache_dir=cache_dir)
    assert stance.num_rows > 0


def test_release_path_is_absolute_and_unknown_versions_are_usage_errors():
    assert chronique.release_path().is_absolute()
    with pytest.raises(UsageError, match="not found"):
        chronique.release_path("9.9.9")
    with pytest.raises(UsageError, match="unknown config"):
        chronique.load("tweets")


def test_load_from_an_installed_wheel(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(PROJECT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = wheels.glob("chronique-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    assert (site / "chronique" / "_releases" / chronique.__version__ / "manifest.json").exists()
    script = (
        "import chronique, sys; d = chronique.load('documents', cache_dir=sys.argv[1]); "
        "print(chronique.release_path()); print(d['train'][0]['doc_id'])"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cache")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shipped, doc_id = done.stdout.split()
    assert shipped.startswith(str(site)) and doc_id == "ba88b6aa48263bfe"


@pytest.fixture
def own_release(tmp_path, monkeypatch):
    from chronique.pipeline import build

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    release = build(seed_only_repo(tmp_path), releases=tmp_path / "releases", update_registry=False).path
    monkeypatch.setattr(chronique.release.loading, "release_path", lambda version=None: release)
    return release


def test_load_checks_the_files_it_opens_against_the_manifest(own_release, tmp_path):
    from chronique.release.loading import TamperedReleaseError

    assert chronique.load("ner", split="train", cache_dir=str(tmp_path / "c1")).num_rows > 0
    shard = own_release / "data" / "ner" / "train-00000-of-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))  # same size, other content, new modification time
    with pytest.raises(TamperedReleaseError) as error:
        chronique.load("ner", split="train", cache_dir=str(tmp_path / "c2"))
    assert [f.check_id for f in error.value.findings] == ["load.tampered"] and str(shard) in error.value.findings[0].path
    chronique.load("stance", split="train", cache_dir=str(tmp_path / "c3"))  # other files are still fine


def test_verify_false_skips_the_check(own_release, tmp_path):
    from chronique.release.loading import TamperedReleaseError

    with (own_release / "README.md").open("a", encoding="utf-8") as card:
        card.write("\nA line added by hand.\n")
    with pytest.raises(TamperedReleaseError):
        chronique.load("stance", split="train", cache_dir=str(tmp_path / "c1"))
    assert chronique.load("stance", split="train", cache_dir=str(tmp_path / "c2"), verify=False).num_rows == 16
