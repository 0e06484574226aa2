"""Nothing read from an input file decides where an import writes (issue: hostile annotator names and ids).

Every hostile name goes through every importer's ``--as-version`` route, as ``--annotator`` and, where the
tool records a user, inside the export file. Nothing may be written anywhere, and the gold file must not change.
"""

import json
from pathlib import Path

import pytest

from chronique.cli import main
from chronique.store.paths import UnsafePathError, contained, is_safe_name

from conftest import SEED_ID, make_repo

HOSTILE = [
    f"../../{SEED_ID}", "../x", "..", ".", "/tmp/chronique-absolute", "a/b", "a\\b", "CON", "nul", "aux", "LPT1",
    "con.txt", "Com3.json", "a\x00b", "a\nb", "tab\there", "x" * 300, "trailing.", "-leading", "",
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_not_safe(name):
    assert not is_safe_name(name)


@pytest.mark.parametrize("name", ["chronique-a2", "alice.martin", "labelstudio-user-7", "A_1"])
def test_ordinary_names_are_safe(name):
    assert is_safe_name(name)


def test_contained_refuses_a_symlink_out_of_its_folder(tmp_path):
    folder, outside = tmp_path / "versions", tmp_path / "elsewhere"
    folder.mkdir(), outside.mkdir()
    (folder / "doc").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        contained(folder, "doc", "a.json")
    assert contained(folder, "other", "a.json") == (folder / "other" / "a.json").resolve()


def doccano_file(folder: Path, annotator: str) -> Path:
    path = folder / "doccano.jsonl"
    path.write_text(json.dumps({"doc_id": SEED_ID, "text": "x", "label": [], "annotator": annotator}) + "\n")
    return path


def labelstudio_file(folder: Path, annotator: str) -> Path:
    path = folder / "labelstudio.json"
    task = {"id": 1, "data": {"doc_id": SEED_ID, "text": "Le président"},
            "annotations": [{"id": 1, "completed_by": {"email": annotator}, "result": []}]}
    path.write_text(json.dumps([task]))
    return path


def conll_file(folder: Path, annotator: str) -> Path:
    path = folder / "seed.conll"
    path.write_text(f"-DOCSTART- {SEED_ID}\n\nLe O\nprésident O\n")
    return path


TOOL_FILES = {"doccano": doccano_file, "labelstudio": labelstudio_file, "conll": conll_file}


@pytest.mark.parametrize("format_name", sorted(TOOL_FILES))
@pytest.mark.parametrize("name", HOSTILE)
def test_no_hostile_name_writes_anything_through_as_version(tmp_path, capsys, format_name, name):
    repo = make_repo(tmp_path / "repo")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    before = snapshot(repo)
    source = TOOL_FILES[format_name](inputs, name or "x")
    routes = [[f"--annotator={name}"]] if format_name == "conll" or not name else [[f"--annotator={name}"], []]
    for extra in routes:
        code = main(["import", format_name, str(source), "--repo", str(repo), "--as-version", *extra])
        err = capsys.readouterr().err
        assert code != 0, (name, extra)
        assert "Traceback" not in err
        assert snapshot(repo) == before
        assert not Path("/tmp/chronique-absolute").exists() and not Path("/tmp/chronique-absolute.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "repo"]


def test_a_tool_email_becomes_its_local_part_and_a_safe_file(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    source = labelstudio_file(tmp_path, "alice.martin@example.org")
    assert main(["import", "labelstudio", str(source), "--repo", str(repo), "--as-version"]) == 0, capsys.readouterr().err
    assert (repo / "annotations" / "versions" / SEED_ID / "alice.martin.json").is_file()


def test_the_doccano_traversal_of_the_issue_no_longer_replaces_the_gold_file(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    gold = (repo / "annotations" / f"{SEED_ID}.json").read_bytes()
    source = doccano_file(tmp_path, f"../../{SEED_ID}")
    code = main(["import", "doccano", str(source), "--repo", str(repo), "--as-version"])
    err = capsys.readouterr().err
    assert code == 1 and "[import.annotator.unsafe]" in err and "doccano.jsonl" in err
    assert (repo / "annotations" / f"{SEED_ID}.json").read_bytes() == gold
    assert not (repo / "annotations" / "versions").exists()


def test_one_document_twice_in_one_import_is_an_error_naming_both_places(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        path.write_text(json.dumps({"doc_id": SEED_ID, "text": "x", "label": [], "annotator": "alice"}) + "\n")
    code = main(["import", "doccano", str(first), str(second), "--repo", str(repo), "--as-version"])
    err = capsys.readouterr().err
    assert code == 1 and "[import.doc.duplicate]" in err and "a.jsonl" in err and "b.jsonl" in err
    assert not (repo / "annotations" / "versions").exists()
