"""One fixture per check id: each mutation of the seed repository fires its check.

The table CASES is the proof that every validation check of the catalogue (``CHECKS``) can
fire; a test keeps the table and the catalogue in step. tests/test_catalogue.py covers the
ids the other commands report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from chronique.version import __version__
from chronique.store.annotations import dumps_annotation
from chronique.checks.catalogue import CHECKS
from chronique.errors import InputError
from chronique.pipeline import build, validate

from conftest import SEED_ID, make_repo

SEED_JSON = f"annotations/{SEED_ID}.json"
OTHER_ID = "00000000000000aa"


def edit_seed(repo: Path, change: Callable[[dict], None]) -> None:
    path = repo / SEED_JSON
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(dumps_annotation(data), encoding="utf-8")


def seed_text(repo: Path) -> str:
    raw = (repo / "raw" / f"000_{SEED_ID}.txt").read_text("utf-8")
    return raw.strip()[len("date 2020-11 "):]


def mention_at(repo: Path, exact: str, start_after: int = 0, **fields) -> dict:
    text = seed_text(repo)
    start = text.index(exact, start_after)
    end = start + len(exact)
    return {"id": fields.pop("id", "m99"), "start": start, "end": end, "exact": exact, "prefix": text[max(0, start - 32):start],
            "suffix": text[end:end + 32], "type": "ORG", "entity_id": None, "parent_id": None, "metonymic": False, **fields}


def add_raw(repo: Path, name: str, content: str | bytes) -> None:
    make_repo(repo, {name: content}, seed=False)


def jsonl(*records: dict) -> str:
    return "".join(json.dumps({"date": "2020-11", "text": "Un texte.", "license": "CC0-1.0", "origin": "composed", **r}) + "\n" for r in records)


def find(data: dict, key: str, **match) -> dict:
    return next(item for item in data[key] if all(item[k] == v for k, v in match.items()))


def _release_then_move(repo: Path) -> None:
    build(repo, version="0.0.1")
    (repo / "annotations" / "splits.tsv").write_text(f"{SEED_ID}\ttest\toverride\n")


def _second_gold_document_in_test(repo: Path) -> None:
    text = "Angela Merkel a parlé."
    add_raw(repo, f"001_{OTHER_ID}.txt", f"date 2021-01 {text}")
    (repo / "annotations" / "splits.tsv").write_text(f"{OTHER_ID}\ttest\toverride\n")
    import hashlib
    data = {"schema_version": "1.0", "doc_id": OTHER_ID, "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "provenance": {"status": "gold", "annotators": ["t"], "guidelines_version": "1.0", "tool": "manual", "date": "2026-11-27"},
            "mentions": [{"id": "m1", "start": 0, "end": 13, "exact": "Angela Merkel", "prefix": "", "suffix": " a parlé.",
                          "type": "PER", "entity_id": "e1", "parent_id": None, "metonymic": False}],
            "entities": [{"id": "e1", "name": "Angela Merkel", "type": "PER", "qid": None}], "stances": []}
    (repo / "annotations" / f"{OTHER_ID}.json").write_text(dumps_annotation(data), encoding="utf-8")


def _evidence_with_full_stop(data: dict) -> None:
    evidence = data["stances"][0]["evidence"][0]
    evidence.update(end=evidence["end"] + 1, exact=evidence["exact"] + evidence["suffix"][0])


def _karabagh_cut_out(data: dict) -> None:
    mention = find(data, "mentions", exact="Haut-Karabagh")
    mention.update(start=mention["start"] + 5, exact="Karabagh", prefix=(mention["prefix"] + "Haut-")[-32:])


def _deeper_nesting(data: dict) -> None:
    groupe = find(data, "mentions", exact="Groupe de Minsk de l'OSCE")
    outer_id = "m99"
    groupe["parent_id"] = outer_id
    text_start = groupe["start"] - len("coprésidents du ")
    data["mentions"].append({**groupe, "id": outer_id, "start": text_start, "exact": "coprésidents du " + groupe["exact"],
                             "parent_id": None})


def _crossing(repo: Path) -> None:
    text = seed_text(repo)
    start = text.index("coprésidents du Groupe")
    edit_seed(repo, lambda d: d["mentions"].append(mention_at(repo, "coprésidents du Groupe", start)))


def _edit_card(repo: Path, change) -> None:
    """Build the current version, then edit its card by hand."""
    build(repo)
    card = repo / "releases" / __version__ / "README.md"
    card.write_text(change(card.read_text("utf-8")), encoding="utf-8")


def _cut_word(data: dict) -> None:
    macron = find(data, "mentions", exact="Emmanuel Macron")
    macron["end"] -= 1
    macron["exact"] = "Emmanuel Macro"


CASES: dict[str, Callable[[Path], None]] = {
    # L0
    "L0.ids.unsafe": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": "../../etc/passwd"})),
    "L0.ids.duplicate": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": "same"}, {"id": "same"})),
    "L0.path.symlink": lambda r: (r / "raw" / "link.txt").symlink_to(r / "raw" / f"000_{SEED_ID}.txt"),
    "L0.annotation.orphan": lambda r: (r / "annotations" / f"{OTHER_ID}.json").write_text(
        (r / SEED_JSON).read_text("utf-8").replace(f'"doc_id": "{SEED_ID}"', f'"doc_id": "{OTHER_ID}"'), "utf-8"),
    "L0.annotation.name": lambda r: (r / SEED_JSON).rename(r / "annotations" / "seed.json"),
    "L0.status.unannotated": lambda r: add_raw(r, f"001_{OTHER_ID}.txt", "date 2021-01 Un autre texte."),
    "L0.splits.format": lambda r: (r / "annotations" / "splits.tsv").write_text(f"{SEED_ID}\ttrain\n"),
    "L0.splits.duplicate": lambda r: (r / "annotations" / "splits.tsv").write_text(f"{SEED_ID}\ttrain\toverride\n" * 2),
    "L0.splits.unknown-doc": lambda r: (r / "annotations" / "splits.tsv").write_text(f"{OTHER_ID}\ttrain\toverride\n"),
    "L0.splits.moved": _release_then_move,
    "L0.version.semver": lambda r: None,  # validated with version "1.0" below
    "L0.version.order": lambda r: build(r, version="9.0.0"),
    "L0.sources.format": lambda r: (r / "annotations" / "sources.tsv").write_text(f"{SEED_ID}\tCC0-1.0\n"),
    "L0.sources.unknown-doc": lambda r: (r / "annotations" / "sources.tsv").open("a").write(
        f"{OTHER_ID}\tCC0-1.0\tcomposed\tx\t\t\t\t\n"),
    "L0.license.missing": lambda r: (r / "annotations" / "sources.tsv").write_text(""),
    "L0.license.unknown": lambda r: None,  # the seed's licence is recorded as unknown
    "L0.license.invalid": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": "lic", "license": "CC BY 4.0 (see site)"})),
    "L0.origin.missing": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": "orig", "origin": None})),
    "L0.origin.invalid": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": "orig", "origin": "wire"})),
    "L0.release.empty": lambda r: None,  # built with --status silver below
    "L0.citation.missing": lambda r: (r / "CITATION.cff").unlink(),
    "L0.withheld.format": lambda r: (r / "annotations" / "withheld.tsv").write_text(f"{SEED_ID}\n"),
    "L0.withheld.unknown-doc": lambda r: (r / "annotations" / "withheld.tsv").write_text(f"{OTHER_ID}\twrong\n"),
    # L1 raw
    "L1.raw.size": lambda r: add_raw(r, "big.txt", b"date 2020-11 " + b"x" * (5 * 1024 * 1024)),
    "L1.raw.empty": lambda r: add_raw(r, "empty.txt", b""),
    "L1.raw.bom": lambda r: add_raw(r, "bom.txt", b"\xef\xbb\xbfdate 2020-11 Texte."),
    "L1.raw.encoding": lambda r: add_raw(r, "latin.txt", "date 2020-11 Élysée".encode("latin-1")),
    "L1.raw.nul": lambda r: add_raw(r, "nul.txt", b"date 2020-11 a\x00b"),
    "L1.raw.crlf": lambda r: add_raw(r, "crlf.txt", b"date 2020-11\r\nTexte."),
    "L1.raw.header": lambda r: add_raw(r, "nodate.txt", "Texte sans date."),
    "L1.raw.date": lambda r: add_raw(r, "month.txt", "date 2020-13 Texte."),
    "L1.raw.extension": lambda r: add_raw(r, "article.docx", b"PK"),
    "L1.raw.json": lambda r: add_raw(r, "bulk.jsonl", '{"id": "x",\n'),
    "L1.raw.field": lambda r: add_raw(r, "bulk.jsonl", jsonl({"id": ""})),
    "L1.raw.html": lambda r: add_raw(r, "page.html", "<!-- a comment, and no element lxml could make a page of -->"),
    # L1 annotation
    "L1.annotation.size": lambda r: (r / "annotations" / f"{OTHER_ID}.json").write_bytes(b" " * (20 * 1024 * 1024 + 1)),
    "L1.annotation.empty": lambda r: (r / "annotations" / f"{OTHER_ID}.json").write_bytes(b"\n"),
    "L1.annotation.bom": lambda r: (r / SEED_JSON).write_bytes(b"\xef\xbb\xbf" + (r / SEED_JSON).read_bytes()),
    "L1.annotation.encoding": lambda r: (r / SEED_JSON).write_bytes((r / SEED_JSON).read_bytes() + b"\xe9"),
    "L1.annotation.nul": lambda r: (r / SEED_JSON).write_bytes((r / SEED_JSON).read_bytes() + b"\x00"),
    "L1.annotation.crlf": lambda r: (r / SEED_JSON).write_bytes((r / SEED_JSON).read_bytes().replace(b"\n", b"\r\n")),
    "L1.annotation.json": lambda r: (r / SEED_JSON).write_text((r / SEED_JSON).read_text("utf-8")[:-3], "utf-8"),
    "L1.annotation.schema": lambda r: edit_seed(r, lambda d: d["provenance"].pop("tool")),
    # L2
    "L2.anchor.text-hash": lambda r: edit_seed(r, lambda d: d.update(text_sha256="0" * 64)),
    "L2.anchor.range": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(start=5000, end=5008)),
    "L2.anchor.text-mismatch": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(exact="françois")),
    "L2.anchor.token-boundary": lambda r: edit_seed(r, _cut_word),
    "L2.evidence.range": lambda r: edit_seed(r, lambda d: d["stances"][0]["evidence"][0].update(start=9000, end=9010)),
    "L2.evidence.edges": lambda r: edit_seed(r, _evidence_with_full_stop),
    "L2.anchor.hyphen-cut": lambda r: edit_seed(r, _karabagh_cut_out),
    # L3
    "L3.type.unknown": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(type="NATIONALITY")),
    "L3.stance.polarity": lambda r: edit_seed(r, lambda d: d["stances"][0].update(polarity="PRO")),
    "L3.entity.qid": lambda r: edit_seed(r, lambda d: d["entities"][0].update(qid="wd:42")),
    "L3.ids.duplicate": lambda r: edit_seed(r, lambda d: d["mentions"][1].update(id=d["mentions"][0]["id"])),
    "L3.nesting.parent": lambda r: edit_seed(r, lambda d: find(d, "mentions", exact="OSCE").update(parent_id="m1")),
    "L3.nesting.missing-parent": lambda r: edit_seed(r, lambda d: find(d, "mentions", exact="OSCE").update(parent_id=None)),
    "L3.nesting.depth": lambda r: edit_seed(r, _deeper_nesting),
    "L3.nesting.crossing": _crossing,
    "L3.mention.duplicate": lambda r: edit_seed(r, lambda d: d["mentions"].append({**d["mentions"][0], "id": "m99"})),
    "L3.entity.unmentioned": lambda r: edit_seed(r, lambda d: d["entities"].append(
        {"id": "e99", "name": "Personne", "type": "PER", "qid": None})),
    "L3.entity.date-value": lambda r: edit_seed(r, lambda d: find(d, "entities", type="DATE").update(name="16 novembre")),
    "L3.ref.entity": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(entity_id="e99")),
    "L3.ref.parent": lambda r: edit_seed(r, lambda d: find(d, "mentions", exact="OSCE").update(parent_id="m99")),
    "L3.ref.stance": lambda r: edit_seed(r, lambda d: d["stances"][0].update(holder="e99")),
    "L3.stance.self": lambda r: edit_seed(r, lambda d: d["stances"][0].update(holder="e2", target="e2", target_kind="entity")),
    "L3.entity.type-mismatch": lambda r: edit_seed(r, lambda d: find(d, "entities", name="Emmanuel Macron").update(type="ORG")),
    # L4
    "L4.leak.exact-duplicate": lambda r: add_raw(r, f"001_{OTHER_ID}.txt", (r / "raw" / f"000_{SEED_ID}.txt").read_text("utf-8")),
    "L4.leak.near-duplicate": lambda r: (
        add_raw(r, f"001_{OTHER_ID}.txt", (r / "raw" / f"000_{SEED_ID}.txt").read_text("utf-8").replace("16 novembre", "17 novembre")),
        (r / "annotations" / "splits.tsv").write_text(f"{SEED_ID}\ttrain\toverride\n{OTHER_ID}\ttest\toverride\n")),
    "L4.split.missing-type": _second_gold_document_in_test,
    "L4.card.parse": lambda r: _edit_card(r, lambda t: t.replace("---\n", "---\n- not a mapping\n", 1)),
    "L4.card.license": lambda r: _edit_card(r, lambda t: t.replace("license: other", "license: cc-by-4")),
    "L4.card.citation": lambda r: _edit_card(r, lambda t: t.replace("  title = {Chronique", "  title = {Chronicle")),
    "L4.card.task": lambda r: _edit_card(r, lambda t: t.replace("- named-entity-recognition", "- stance-detection")),
    "L4.card.size": lambda r: _edit_card(r, lambda t: t.replace("- n<1K", "- 1K<n<10K")),
}


def test_every_catalogued_check_has_a_fixture():
    assert sorted(CASES) == sorted(CHECKS)


def test_seed_corpus_validates_without_errors(repo):
    report = validate(repo)
    assert report.errors == []
    assert [f.check_id for f in report.warnings] == ["L0.license.unknown"]


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_fires_on_its_fixture(repo, check_id):
    CASES[check_id](repo)
    if check_id == "L0.release.empty":
        with pytest.raises(InputError) as error:
            build(repo, statuses=("silver",))
        findings = error.value.findings
    else:
        findings = validate(repo, version="1.0" if check_id == "L0.version.semver" else __version__).findings
    fired = [f for f in findings if f.check_id == check_id]
    assert fired, f"{check_id} did not fire; got {[f.check_id for f in findings]}"
    assert all(f.severity == CHECKS[check_id].severity for f in fired)
    assert all(str(f).startswith(f.path) and f"[{check_id}]" in str(f) for f in fired)


def test_findings_in_annotation_files_point_at_the_item_line(repo):
    edit_seed(repo, lambda d: d["mentions"][4].update(exact="Karabagh"))
    [finding] = [f for f in validate(repo).findings if f.check_id == "L2.anchor.text-mismatch"]
    lines = (repo / SEED_JSON).read_text("utf-8").splitlines()
    assert '"exact": "Karabagh"' in lines[finding.line - 1]
    assert str(finding).startswith(f"{SEED_JSON}:{finding.line}:1: [L2.anchor.text-mismatch] m5: expected 'Karabagh', found 'Haut-Karabagh'")
