"""spaCy DocBin export: our tokens and outermost mentions, and `spacy train` accepting the file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chronique.interop.registry import exporter
from chronique.schema import COARSE_OF_FINE
from conftest import PROJECT

spacy = pytest.importorskip("spacy", reason="spaCy is an optional dependency: pip install -e .[models]")
from spacy.tokens import DocBin  # noqa: E402

from chronique.interop.spacy_docbin import export_docbin  # noqa: E402


@pytest.fixture(scope="module")
def seed(seed_rows) -> dict:
    return seed_rows


def _read(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("fr").vocab))


def _gold(row: dict, coarse: bool) -> list[tuple[int, int, str]]:
    outermost = sorted((m for m in row["mentions"] if m["parent_id"] is None), key=lambda m: m["start"])
    labels = [(m["start"], m["end"], COARSE_OF_FINE[m["type"]] if coarse else m["type"]) for m in outermost]
    return [t for t in labels if t[2]]


@pytest.mark.parametrize("coarse", [False, True])
def test_docbin_holds_the_text_our_tokens_and_outermost_mentions(seed, tmp_path, coarse):
    (row,) = seed["documents"]
    path = export_docbin(seed["documents"], tmp_path / "seed.spacy", coarse=coarse)
    (doc,) = _read(path)
    assert doc.text == row["text"]
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == _gold(row, coarse)
    words = [t.text for t in doc if not t.is_space]
    assert words == [token for r in seed["ner"] for token in r["tokens"]]
    assert [s.start_char for s in doc.sents] == [s["start"] for s in row["sentences"]]
    # doc.ents is one flat layer; nested mentions are in doc.spans (tests/test_export_roundtrips.py)
    assert len(doc.ents) < len(row["mentions"])


def test_the_registered_exporter_writes_the_same_docbin(seed, tmp_path):
    (path,) = exporter("docbin")(seed["documents"], tmp_path, coarse=True)
    assert path.name == "chronique.coarse.spacy"
    assert path.read_bytes() == export_docbin(seed["documents"], tmp_path / "direct.spacy", coarse=True).read_bytes()


def test_spacy_train_accepts_the_export(tmp_path):
    """``scripts/train_spacy_smoke.sh``: DocBin of the seed → blank French ``ner`` config → 5 training steps."""
    out = tmp_path / "smoke"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(PROJECT / "scripts" / "train_spacy_smoke.sh"), str(out)], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (out / "model" / "model-last" / "meta.json").is_file()
    assert "ner" in spacy.load(out / "model" / "model-last").pipe_names
