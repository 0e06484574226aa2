"""What a new user trips over: exports that lose what they export, and tracebacks where spaCy is missing.

Every round trip goes through the real command line and the real libraries: brat files written by
``chronique export brat`` and read back by ``chronique import brat``; DocBins written by
``chronique export docbin`` and read back with spaCy's own ``DocBin``. ``releases/1.0.0`` is only
read; whatever is written goes to a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import load_dataset

from chronique.store.annotations import read_annotation
from chronique.cli import main
from chronique.errors import FindingLog
from chronique.schema import COARSE_OF_FINE

from conftest import PROJECT, SEED_ID, SEED_NAME, make_repo

RELEASE = PROJECT / "releases" / "1.0.0"


@pytest.fixture(scope="module")
def release_rows(tmp_path_factory) -> dict[str, list[dict]]:
    """The ``documents`` rows of releases/1.0.0 by split, through the real ``load_dataset``."""
    cache = tmp_path_factory.mktemp("hf-cache")
    data = load_dataset(str(RELEASE), "documents", cache_dir=str(cache))
    return {split: list(rows) for split, rows in data.items()}


# --- 3. brat: our own export re-imports losslessly ------------------------------------


def _mentions(mentions: list[dict]) -> list[tuple]:
    """(start, end, type, metonymic, parent's extent) of every mention: ids are renumbered on import."""
    extent = {m["id"]: (m["start"], m["end"]) for m in mentions}
    return sorted((m["start"], m["end"], m["type"], m["metonymic"], extent.get(m["parent_id"])) for m in mentions)


def _stances(row: dict) -> list[tuple]:
    """Every stance with its holder and target by entity name (entity ids are renumbered on import)."""
    name = {e["id"]: e["name"] for e in row["entities"]}
    return sorted((name.get(s["holder"], s["holder"]), name[s["target"]] if s["target_kind"] == "entity" else s["target"],
                   s["target_kind"], s["polarity"], s["scope"], s["reported"],
                   tuple((q["start"], q["end"]) for q in s["evidence"])) for s in row["stances"])


def _imported_row(repo: Path, doc_id: str) -> dict:
    """An imported annotation file in the shape of a ``documents`` row (the fields compared here)."""
    annotation = read_annotation(repo / "annotations" / f"{doc_id}.json", root=repo, log=FindingLog())
    return {
        "mentions": [{"id": m.id, "start": m.start, "end": m.end, "type": m.type, "metonymic": m.metonymic,
                      "parent_id": m.parent_id, "entity_id": m.entity_id} for m in annotation.mentions],
        "entities": [{"id": e.id, "name": e.name, "qid": e.qid} for e in annotation.entities],
        "stances": [{"holder": s.holder, "target": s.target, "target_kind": s.target_kind, "polarity": s.polarity,
                     "scope": s.scope, "reported": s.reported,
                     "evidence": [{"start": q.start, "end": q.end} for q in s.evidence]} for s in annotation.stances],
    }


def _raw_only_repo(root: Path) -> Path:
    """A repository holding the project's raw articles and no annotation at all."""
    repo = make_repo(root, seed=False)
    shutil.copytree(PROJECT / "raw", repo / "raw", dirs_exist_ok=True)
    assert not list((repo / "annotations").glob("*.json"))
    return repo


def test_brat_export_then_import_gives_back_every_mention_and_stance(release_rows, tmp_path, capsys):
    rows = [row for split in ("validation", "test") for row in release_rows[split]]
    stances = [s for row in rows for s in row["stances"]]
    # The documents hold every case brat has no line for: nested and metonymic mentions, AUTHOR holders,
    # topic targets, entity-to-entity stances (drawn as R lines too), reported stances.
    assert any(m["parent_id"] for row in rows for m in row["mentions"]) and any(
        m["metonymic"] for row in rows for m in row["mentions"])
    assert {(s["holder"] == "AUTHOR", s["target_kind"]) for s in stances} == {
        (True, "entity"), (True, "topic"), (False, "entity"), (False, "topic")}
    assert any(s["reported"] for s in stances) and {s["scope"] for s in stances} > {"sentence"}

    out, repo = tmp_path / "brat", _raw_only_repo(tmp_path / "fresh")
    assert main(["export", "brat", "--release", str(RELEASE), "--split", "validation", "test", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["import", "brat", str(out), "--repo", str(repo), "--status", "gold"]) == 0
    err = capsys.readouterr().err
    assert "annotator notes" not in err and "[import.brat.chronique-note]" not in err and "rejected" not in err

    assert sorted(p.stem for p in (repo / "annotations").glob("*.json")) == sorted(row["doc_id"] for row in rows)
    for row in rows:
        got = _imported_row(repo, row["doc_id"])
        assert _mentions(got["mentions"]) == _mentions(row["mentions"]), row["doc_id"]
        assert _stances(got) == _stances(row), row["doc_id"]
        assert len(got["stances"]) == len(row["stances"])
    # the two documents' stance counts add up: none is lost, none is read twice (R line and note)
    assert sum(len(_imported_row(repo, row["doc_id"])["stances"]) for row in rows) == len(stances)


def test_a_relation_edited_in_brat_wins_over_its_note_and_a_broken_note_is_reported(release_rows, tmp_path, capsys):
    [row] = [r for r in release_rows["test"] if any(s["holder"] != "AUTHOR" and s["target_kind"] == "entity"
                                                     for s in r["stances"])][:1]
    out, repo = tmp_path / "brat", _raw_only_repo(tmp_path / "fresh")
    assert main(["export", "brat", "--release", str(RELEASE), "--split", "test", "--out", str(out)]) == 0
    for other in out.glob("*.ann"):
        if other.stem != row["doc_id"]:
            other.unlink()
    ann = out / f"{row['doc_id']}.ann"
    lines = ann.read_text("utf-8").splitlines()
    relation = next(n for n, line in enumerate(lines) if line.startswith("R1\t"))
    label = lines[relation].split("\t")[1].split(" ")[0]
    edited = next(p for p in ("FAVOR", "AGAINST", "NEUTRAL") if p != label)
    lines[relation] = lines[relation].replace(f"\t{label} ", f"\t{edited} ", 1)
    broken = next(n for n, line in enumerate(lines) if line.startswith("#") and '"relation": null' in line)
    lines[broken] = lines[broken].replace('"reported": ', '"reported": "maybe", "_": ', 1)
    ann.write_text("\n".join(lines) + "\n", encoding="utf-8")

    capsys.readouterr()
    assert main(["import", "brat", str(out), "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    assert f"{ann.as_posix()}:{broken + 1}: [import.brat.chronique-note] warning:" in err
    got = _stances(_imported_row(repo, row["doc_id"]))
    assert len(got) == len(row["stances"]) - 1
    note = json.loads(next(line for line in lines if '"relation": "R1"' in line).split("\t")[2].split(" ", 1)[1])
    name = {e["id"]: e["name"] for e in row["entities"]}
    evidence = tuple(tuple(q) for q in note["evidence"])
    assert (name[note["holder"]], name[note["target"]], "entity", edited, note["scope"], note["reported"], evidence) in got


# --- 6. DocBin: every mention, one file per split, coarse labels on request --------------


def _docs(path: Path) -> list:
    spacy = pytest.importorskip("spacy", reason="spaCy is an optional dependency: pip install -e .[models]")
    from spacy.tokens import DocBin

    return list(DocBin().from_disk(path).get_docs(spacy.blank("fr").vocab))


def _labelled(mentions, coarse: bool = False) -> list[tuple[int, int, str]]:
    labels = [(m["start"], m["end"], COARSE_OF_FINE[m["type"]] if coarse else m["type"]) for m in mentions]
    return sorted((start, end, label) for start, end, label in labels if label)


def _spans(doc, key: str) -> list[tuple[int, int, str]]:
    return sorted((s.start_char, s.end_char, s.label_) for s in doc.spans[key])


def test_docbin_export_keeps_nested_and_metonymic_mentions_in_one_file_per_split(release_rows, tmp_path):
    pytest.importorskip("spacy", reason="spaCy is an optional dependency: pip install -e .[models]")
    out = tmp_path / "docbin"
    assert main(["export", "docbin", "--release", str(RELEASE), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{split}.fine.spacy" for split in release_rows)
    nested = 0
    for split, rows in release_rows.items():
        docs = _docs(out / f"{split}.fine.spacy")
        assert [doc.text for doc in docs] == [row["text"] for row in rows]
        for doc, row in zip(docs, rows):
            assert _spans(doc, "sc") == _labelled(row["mentions"])
            assert _spans(doc, "metonymic") == _labelled(m for m in row["mentions"] if m["metonymic"])
            assert sorted((e.start_char, e.end_char, e.label_) for e in doc.ents) == _labelled(
                m for m in row["mentions"] if m["parent_id"] is None)
            nested += sum(m["parent_id"] is not None for m in row["mentions"])
    assert nested > 0  # the release has nested mentions, and they are in doc.spans["sc"]


def test_docbin_split_and_coarse_labels_and_the_spacy_alias(release_rows, tmp_path):
    pytest.importorskip("spacy", reason="spaCy is an optional dependency: pip install -e .[models]")
    coarse, alias = tmp_path / "coarse", tmp_path / "alias"
    assert main(["export", "docbin", "--release", str(RELEASE), "--split", "test", "--labels", "coarse",
                 "--out", str(coarse)]) == 0
    assert [p.name for p in coarse.iterdir()] == ["test.coarse.spacy"]
    docs = _docs(coarse / "test.coarse.spacy")
    for doc, row in zip(docs, release_rows["test"], strict=True):
        assert _spans(doc, "sc") == _labelled(row["mentions"], coarse=True)
        assert {e.label_ for e in doc.ents} <= {"PER", "ORG", "LOC", "MISC"}
    assert main(["export", "spacy", "--release", str(RELEASE), "--split", "test", "--labels", "coarse",
                 "--out", str(alias)]) == 0
    assert (alias / "test.coarse.spacy").read_bytes() == (coarse / "test.coarse.spacy").read_bytes()


def test_labels_is_refused_for_a_format_with_one_label_set(tmp_path, capsys):
    code = main(["export", "brat", "--release", str(RELEASE), "--labels", "coarse", "--out", str(tmp_path / "out")])
    assert code == 2 and "--labels does not apply to brat" in capsys.readouterr().err


# --- 7. no traceback where the models extra is missing ----------------------------------

WITHOUT_SPACY = """
import importlib.abc
import sys


class NotInstalled(importlib.abc.MetaPathFinder):
    # As in a venv without the models extra. (sys.modules["spacy"] = None would not do: datasets takes a name
    # in sys.modules for a loaded library and imports it while hashing.)
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "spacy":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
from chronique.cli import main

sys.exit(main(sys.argv[1:]))
"""


def _without_spacy(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(cwd / "hf-home")}
    return subprocess.run([sys.executable, "-c", WITHOUT_SPACY, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("command", [
    ["export", "docbin"], ["export", "spacy"], ["export", "labelstudio"], ["baseline"], ["preannotate"]])
def test_every_command_that_needs_spacy_says_to_install_the_models_extra(command, seed_release, tmp_path):
    release = tmp_path / "releases" / seed_release[0].name
    shutil.copytree(seed_release[0], release)  # baseline writes into its release when it runs: never the shared one
    repo = make_repo(tmp_path / "repo", {SEED_NAME: (PROJECT / "raw" / SEED_NAME).read_text("utf-8")}, seed=False)
    if command[0] == "export":
        argv = [*command, "--release", str(release), "--out", str(tmp_path / "out")]
    elif command[0] == "baseline":
        argv = [*command, "--release", str(release)]
    else:
        argv = [*command, SEED_ID, "--repo", str(repo)]  # a document without annotation: the model is needed
    done = _without_spacy(*argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "install it with pip install 'chronique[models]'" in done.stderr
    assert not (release / "baselines.json").exists() and not list((repo / "annotations").glob("*.json"))
