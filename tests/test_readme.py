"""Every example of README.md runs as written (as conllu's README is tested): fenced Python blocks, fenced
`chronique …` command lines, and inline `chronique …` commands that name no placeholder.

They run in a scratch copy of the repository (raw/, annotations/, releases/, CITATION.cff), with
``CHRONIQUE_RELEASES`` pointing the package at the copy's releases, so that nothing in the checkout is
written. The prediction files the examples name are made first, from the committed release itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chronique.version import __version__

from conftest import PROJECT

README = (PROJECT / "README.md").read_text("utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`(chronique [^`]+)`")
PLACEHOLDER = re.compile(r"[A-Z]{2,}|<|\[|\.\.\.|…|releases/A\b")
BARE_RUNNABLE = {"chronique validate", "chronique build", "chronique agreement", "chronique baseline"}
"""Inline commands without arguments that are complete examples; other bare names only name a command."""
CHRONIQUE = str(Path(sys.executable).with_name("chronique"))


def fenced(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def command_lines() -> list[str]:
    lines = [line.split("#")[0].strip() for body in fenced("bash") for line in body.splitlines()]
    inline = [c for c in INLINE.findall(README) if not PLACEHOLDER.search(c) and (" -" in c or " " in c[len("chronique "):]
                                                                                   or c in BARE_RUNNABLE)]
    return list(dict.fromkeys([line for line in lines if line.startswith("chronique ")] + inline))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("readme")
    for name in ("raw", "annotations", "releases"):
        shutil.copytree(PROJECT / name, root / name)
    shutil.copyfile(PROJECT / "CITATION.cff", root / "CITATION.cff")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHRONIQUE_RELEASES": str(root / "releases"),
           "HF_DATASETS_CACHE": str(root / "hf-cache"), "COLUMNS": "200"}
    make_prediction_files(root, env)
    return root, env


def make_prediction_files(root: Path, env: dict) -> None:
    """``my-system.conll`` (the test split's own gold tags, exported) and ``stance.jsonl`` (its gold labels)."""
    out = root / "export"
    subprocess.run([CHRONIQUE, "export", "conll", "--out", str(out), "--split", "test"], cwd=root, env=env, check=True,
                   capture_output=True)
    shutil.copyfile(next(out.glob("*.fine.conll")), root / "my-system.conll")
    from datasets import load_dataset

    stance = load_dataset(str(root / "releases" / __version__), "stance", split="test", cache_dir=str(root / "hf-cache"))
    (root / "stance.jsonl").write_text("".join(json.dumps({"id": r["id"], "label": r["label"]}) + "\n" for r in stance))


def test_the_readme_has_examples():
    assert len(fenced("python")) >= 3 and len(command_lines()) >= 5


@pytest.mark.parametrize("index", range(len(fenced("python"))))
def test_python_block_runs(scratch, index):
    root, env = scratch
    done = subprocess.run([sys.executable, "-c", fenced("python")[index]], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("command", command_lines())
def test_command_runs(scratch, command):
    root, env = scratch
    args = command.split(" > ")[0].split()
    done = subprocess.run([CHRONIQUE, *args[1:]], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{command}\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
