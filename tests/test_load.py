"""chronique.load from a checkout and from an installed wheel, through the real datasets library."""

import os
import subprocess
import sys
import zipfile

import pytest

import chronique
from chronique.errors import UsageError

from conftest import PROJECT


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
