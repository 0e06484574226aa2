"""Import, export, agreement and adjudication through the command line and the runner, on the seed."""

import json
import shutil

import pytest

from chronique.store.annotations import annotation_to_dict, dumps_annotation, read_annotation
from chronique.cli import main
from chronique.errors import FindingLog, InputError
from chronique.interop.base import LabelMapping
from chronique.interop.runner import export_release, import_files

from conftest import PROJECT, SEED_ID, make_repo

GOLD = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def release(seed_release):
    return seed_release[0]


@pytest.fixture
def bare_repo(tmp_path):
    """The seed's raw article and sources, without its annotation."""
    repo = make_repo(tmp_path / "repo")
    (repo / "annotations" / f"{SEED_ID}.json").unlink()
    return repo


def imported(repo):
    annotation = read_annotation(repo / "annotations" / f"{SEED_ID}.json", root=repo, log=FindingLog())
    return annotation_to_dict(annotation)


def outermost(mentions):
    return [(m["start"], m["end"], m["type"]) for m in mentions if m["parent_id"] is None]


@pytest.mark.parametrize("format_name,path", [("brat", "."), ("conll", "chronique.conll"), ("hipe-fine", "chronique.tsv")])
def test_export_then_import_through_the_runner_restores_the_mentions(release, bare_repo, tmp_path, format_name, path):
    out = tmp_path / "export"
    export_release(format_name.removesuffix("-fine"), release=release, out_dir=out, cache_dir=str(tmp_path / "cache"))
    source = out if path == "." else next(out.glob("*" + path[path.index("."):]))
    report = import_files(format_name, [source], repo=bare_repo, mapping=LabelMapping.identity(), status="gold")
    assert report.counts.rejected == 0 and report.counts.reanchored == 0
    got = imported(bare_repo)["mentions"]
    assert outermost(got) == outermost(GOLD["mentions"])
    if format_name == "brat":
        assert [(m["start"], m["end"], m["type"], m["metonymic"]) for m in got] == \
            [(m["start"], m["end"], m["type"], m["metonymic"]) for m in GOLD["mentions"]]


def test_import_refuses_to_overwrite_gold_and_writes_nothing(release, tmp_path):
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "export"
    export_release("brat", release=release, out_dir=out, cache_dir=str(tmp_path / "cache"))
    before = (repo / "annotations" / f"{SEED_ID}.json").read_bytes()
    with pytest.raises(InputError) as error:
        import_files("brat", [out], repo=repo, mapping=LabelMapping.identity())
    assert "import.gold-exists" in {f.check_id for f in error.value.findings}
    assert (repo / "annotations" / f"{SEED_ID}.json").read_bytes() == before


def test_unknown_label_names_label_and_mapping_file(release, bare_repo, tmp_path, capsys):
    out = tmp_path / "export"
    export_release("conll", release=release, out_dir=out, cache_dir=str(tmp_path / "cache"))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"labels": {"PER": "PER"}}))
    code = main(["import", "conll", str(next(out.glob("*.conll"))), "--repo", str(bare_repo), "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 1 and "[import.label.unknown] label 'GPE' is not in the mapping" in err and str(mapping) in err
    assert not (bare_repo / "annotations" / f"{SEED_ID}.json").exists()


def version(repo, annotator, change=None):
    data = json.loads(json.dumps(GOLD))
    data["provenance"].update(status="silver", annotators=[annotator])
    if change:
        change(data)
    folder = repo / "annotations" / "versions" / SEED_ID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{annotator}.json").write_text(dumps_annotation(data), encoding="utf-8")


def test_agreement_and_adjudication_from_the_command_line(bare_repo, capsys):
    version(bare_repo, "a1")
    version(bare_repo, "a2", lambda d: d["mentions"][4].update(type="LOC"))  # Haut-Karabagh GPE → LOC
    assert main(["agreement", "--repo", str(bare_repo), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pair = report["pairs"][0]
    assert 0 < pair["entities"]["strict"]["f1"] < 1
    assert main(["adjudicate", SEED_ID, "--repo", str(bare_repo)]) == 1
    conflicts = bare_repo / "annotations" / "versions" / SEED_ID / "conflicts.tsv"
    lines = conflicts.read_text("utf-8").splitlines()
    assert len(lines) == 2 and "Haut-Karabagh" in lines[1]
    assert not (bare_repo / "annotations" / f"{SEED_ID}.json").exists()
    conflicts.write_text(lines[0] + "\n" + lines[1] + "a1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["adjudicate", SEED_ID, "--repo", str(bare_repo)]) == 0, capsys.readouterr().err
    result = imported(bare_repo)
    assert result["provenance"]["status"] == "gold"
    assert [(m["start"], m["end"], m["type"]) for m in result["mentions"]] == \
        [(m["start"], m["end"], m["type"]) for m in GOLD["mentions"]]
