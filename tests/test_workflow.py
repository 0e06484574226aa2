"""The annotation workflow end to end, as a maintainer runs it: two annotators' tool exports imported as
versions, their agreement measured, the disagreements resolved in conflicts.tsv, the gold written."""

import shutil

from chronique.cli import main

from conftest import SEED_ID, make_repo


def test_import_as_versions_then_agreement_then_adjudicate(seed_release, tmp_path, capsys):
    release, cache = seed_release
    repo = make_repo(tmp_path / "repo")
    (repo / "annotations" / f"{SEED_ID}.json").unlink()  # the seed's raw text, not yet annotated
    exports = tmp_path / "exports"
    assert main(["export", "conll", "--release", str(release), "--out", str(exports / "alice")]) == 0
    assert main(["export", "brat", "--release", str(release), "--out", str(exports / "bob")]) == 0
    ann = next((exports / "bob").glob("*.ann"))
    lines = ann.read_text("utf-8").splitlines()
    dropped = next(line for line in lines if line.startswith("T") and "\tGPE " in line)
    ann.write_text("\n".join(line for line in lines if line != dropped) + "\n", encoding="utf-8")  # bob misses one
    capsys.readouterr()

    conll = next((exports / "alice").glob("*.fine.conll"))
    assert main(["import", "hipe-fine" if conll.suffix == ".tsv" else "conll", str(conll), "--repo", str(repo),
                 "--as-version", "--annotator", "alice"]) == 0
    assert main(["import", "brat", str(exports / "bob"), "--repo", str(repo), "--as-version", "--annotator", "bob"]) == 0
    versions = repo / "annotations" / "versions" / SEED_ID
    assert sorted(p.name for p in versions.iterdir()) == ["alice.json", "bob.json"]

    capsys.readouterr()
    assert main(["agreement", "--repo", str(repo), "--json"]) == 0
    assert '"alice"' in capsys.readouterr().out

    assert main(["adjudicate", SEED_ID, "--repo", str(repo), "--curator", "carol"]) == 1  # pending: conflicts to resolve
    conflicts = versions / "conflicts.tsv"
    rows = conflicts.read_text("utf-8").splitlines()
    resolved = [rows[0]] + [row + "alice" if row.endswith("\t") else row for row in rows[1:]]
    conflicts.write_text("\n".join(resolved) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["adjudicate", SEED_ID, "--repo", str(repo), "--curator", "carol"]) == 0, capsys.readouterr()
    gold = (repo / "annotations" / f"{SEED_ID}.json").read_text("utf-8")
    assert '"annotators": ["alice", "bob", "carol"]' in gold and '"pass": "adjudicated"' in gold
    assert main(["validate", "--repo", str(repo)]) == 0
