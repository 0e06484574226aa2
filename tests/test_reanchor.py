"""Re-anchoring after the seed's text changes: every span relocated, or kept and reported."""

import json

from chronique.cli import main
from chronique.pipeline import validate
from chronique.curation.reanchor import reanchor_repository

from conftest import SEED_ID, SEED_NAME

SEED_JSON = f"annotations/{SEED_ID}.json"


def edit_text(repo, old, new, count=1):
    path = repo / "raw" / SEED_NAME
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def annotation(repo):
    return json.loads((repo / SEED_JSON).read_text("utf-8"))


def test_inserting_a_word_early_moves_every_later_span(repo):
    before = annotation(repo)
    edit_text(repo, "Le président français", "Le jeune président français")
    assert [f.check_id for f in validate(repo).errors][:1] == ["L2.anchor.text-hash"]
    report = reanchor_repository(repo)
    placements = [p for items in report.placements.values() for p in items]
    assert len(placements) == len(before["mentions"]) + sum(len(s["evidence"]) for s in before["stances"])
    insertion = len("Le ")
    for placement in placements:
        if placement.old.start < insertion < placement.old.end:  # evidence spanning the insertion takes the new word
            assert placement.outcome == "edited" and placement.new.exact.startswith("Le jeune président")
        else:
            assert placement.outcome == "moved" and placement.new.exact == placement.old.exact
    after = annotation(repo)
    assert [m["exact"] for m in after["mentions"]] == [m["exact"] for m in before["mentions"]]
    assert all(a["start"] == b["start"] + len("jeune ") for a, b in zip(after["mentions"], before["mentions"]))
    assert validate(repo).errors == []


def test_changing_a_quote_mark_inside_a_span_is_an_edit(repo):
    edit_text(repo, "Groupe de Minsk de l'OSCE", "Groupe de Minsk de l’OSCE")
    report = reanchor_repository(repo)
    changed = {p.what: p for items in report.placements.values() for p in items if p.outcome != "unchanged"}
    groupe = next(m for m in annotation(repo)["mentions"] if m["exact"].startswith("Groupe de Minsk"))
    assert changed[groupe["id"]].outcome == "edited"
    assert groupe["exact"] == "Groupe de Minsk de l’OSCE"
    assert all(p.outcome in ("unchanged", "edited") for p in changed.values())
    assert validate(repo).errors == []


def test_changing_the_opening_guillemet_moves_nothing_silently(repo):
    edit_text(repo, "«Vladimir Poutine a parlé", "“Vladimir Poutine a parlé")
    report = reanchor_repository(repo)
    assert report.spans("unplaced") == []
    assert validate(repo).errors == []


def test_a_span_whose_text_is_gone_is_kept_and_reported(repo, capsys):
    before = annotation(repo)
    edit_text(repo, "Gérald Darmanin", "son ministre")
    assert main(["reanchor", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "[reanchor.unplaced]" in err and "'Gérald Darmanin'" in err
    after = annotation(repo)
    assert len(after["mentions"]) == len(before["mentions"])
    darmanin = next(m for m in after["mentions"] if m["exact"] == "Gérald Darmanin")
    assert darmanin == next(m for m in before["mentions"] if m["exact"] == "Gérald Darmanin")
    flagged = {f.check_id for f in validate(repo).errors}
    assert flagged <= {"L2.anchor.text-mismatch", "L2.anchor.range", "L2.anchor.token-boundary"} and flagged


def test_dry_run_writes_nothing(repo):
    edit_text(repo, "Le président français", "Le jeune président français")
    original = (repo / SEED_JSON).read_bytes()
    report = reanchor_repository(repo, dry_run=True)
    assert report.spans("moved") and report.written == []
    assert (repo / SEED_JSON).read_bytes() == original


def test_an_up_to_date_repository_is_left_alone(repo):
    original = (repo / SEED_JSON).read_bytes()
    report = reanchor_repository(repo)
    assert report.placements == {} and (repo / SEED_JSON).read_bytes() == original
