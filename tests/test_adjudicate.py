"""Adjudication of two annotators' versions: agreements accepted, conflicts listed, gold written once resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_repo

from chronique.store.annotations import GUIDELINES_VERSION
from chronique.curation.adjudicate import CONFLICTS_NAME, adjudicate
from chronique.store.annotator_versions import versions_folder
from chronique.store.annotations import quote, read_annotation, write_annotation
from chronique.checks.document import DOCUMENT_CHECKS
from chronique.store.documents import make_document, sha256_text
from chronique.errors import FindingLog, UsageError
from chronique.pipeline import validate
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_source
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, Stance

DOC_ID = "0123456789abcdef"
TEXT = "Emmanuel Macron a rencontré Angela Merkel à Berlin.\n\nSelon le Kremlin, Vladimir Poutine a salué les accords de Minsk."
GOLD = f"annotations/{DOC_ID}.json"
CONFLICTS = f"annotations/versions/{DOC_ID}/{CONFLICTS_NAME}"
TODAY = "2026-02-01"

# Entities by canonical name: (type, qid) for each annotator.
A1_ENTITIES = {"Emmanuel Macron": ("PER", "Q3052772"), "Angela Merkel": ("PER", "Q567"), "Berlin": ("GPE", "Q64"),
               "Kremlin": ("FAC", None), "Vladimir Poutine": ("PER", "Q7747"), "accords de Minsk": ("MISC", None),
               "Minsk": ("GPE", "Q2280")}
A2_ENTITIES = {**A1_ENTITIES, "Angela Merkel": ("PER", None), "Berlin": ("LOC", "Q64")}
A2_ENTITIES.pop("Minsk")
# Mentions: (surface, type, entity name, metonymic).
A1_MENTIONS = [("Emmanuel Macron", "PER", "Emmanuel Macron", False), ("Angela Merkel", "PER", "Angela Merkel", False),
               ("Berlin", "GPE", "Berlin", False), ("Kremlin", "FAC", "Kremlin", True),
               ("Vladimir Poutine", "PER", "Vladimir Poutine", False),
               ("accords de Minsk", "MISC", "accords de Minsk", False), ("Minsk", "GPE", "Minsk", False)]
A2_MENTIONS = [m for m in A1_MENTIONS if m[0] != "Minsk"]
A2_MENTIONS[2] = ("Berlin", "LOC", "Berlin", False)
A2_MENTIONS[3] = ("Kremlin", "FAC", "Kremlin", False)
# Stances: (holder, target, target_kind, polarity, evidence surface, scope, reported).
PUTIN_FAVOURS_MINSK = ("Vladimir Poutine", "accords de Minsk", "topic", "FAVOR", "a salué les accords de Minsk",
                       "sentence", True)
AUTHOR_ON_PUTIN = ("AUTHOR", "Vladimir Poutine", "entity", "NEUTRAL", "Selon le Kremlin", "document", False)


def span_of(surface: str) -> tuple[int, int]:
    start = TEXT.index(surface)
    return start, start + len(surface)


def version(annotator: str, mentions, entities, stances) -> Annotation:
    """An annotator's version; parents by containment, as the guidelines require."""
    entity_ids = {name: f"e{n}" for n, name in enumerate(entities, start=1)}
    spans = sorted((span_of(m[0]), m) for m in mentions)
    records = []
    for n, ((start, end), (_, fine_type, name, metonymic)) in enumerate(sorted(spans, key=lambda p: (p[0][0], -p[0][1])), 1):
        parent = next((r.id for r in records if r.start <= start and end <= r.end), None)
        records.append(Mention(f"m{n}", quote(TEXT, start, end), fine_type, entity_ids[name], parent, metonymic))
    stance_records = [
        Stance(f"s{n}", "AUTHOR" if holder == "AUTHOR" else entity_ids[holder],
               target if kind == "topic" else entity_ids[target], kind, polarity, (quote(TEXT, *span_of(evidence)),),
               scope, reported)
        for n, (holder, target, kind, polarity, evidence, scope, reported) in enumerate(stances, start=1)]
    provenance = AnnotationProvenance("silver", (annotator,), "1.0", "manual", "2026-01-10", "double-blind")
    return Annotation(DOC_ID, sha256_text(TEXT), provenance, tuple(records),
                      tuple(Entity(entity_ids[name], name, t, q) for name, (t, q) in entities.items()),
                      tuple(stance_records), f"annotations/versions/{DOC_ID}/{annotator}.json")


def write_version(repo: Path, annotation: Annotation) -> None:
    folder = versions_folder(repo, DOC_ID)
    folder.mkdir(parents=True, exist_ok=True)
    write_annotation(annotation, folder / f"{annotation.provenance.annotators[0]}.json")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", {f"001_{DOC_ID}.txt": f"date 2020-11 {TEXT}\n"}, seed=False)
    write_version(root, version("a1", A1_MENTIONS, A1_ENTITIES, [PUTIN_FAVOURS_MINSK, AUTHOR_ON_PUTIN]))
    write_version(root, version("a2", A2_MENTIONS, A2_ENTITIES, [PUTIN_FAVOURS_MINSK]))
    return root


def rows(repo: Path) -> list[list[str]]:
    return [line.split("\t") for line in (repo / CONFLICTS).read_text("utf-8").splitlines()]


def resolve(repo: Path, resolutions: dict[str, str]) -> None:
    """Fill the resolution column, as a curator would, by conflict id."""
    lines = (repo / CONFLICTS).read_text("utf-8").splitlines()
    out = [lines[0]] + [line[: line.rfind("\t") + 1] + resolutions.get(line.split("\t")[0], "") for line in lines[1:]]
    (repo / CONFLICTS).write_text("\n".join(out) + "\n", encoding="utf-8")


ALL_RESOLVED = {"c1": "a1", "c2": "GPE", "c3": "drop", "c4": "a1", "c5": "a1"}


def test_agreements_are_accepted_and_each_disagreement_is_a_conflict_line(repo):
    log = FindingLog()
    result = adjudicate(repo, DOC_ID, log=log, today=TODAY)
    assert (result.outcome, result.conflicts, result.unresolved) == ("pending", 5, 5)
    # Macron, Merkel, Poutine and "accords de Minsk" are identical in both versions; so is Putin's stance.
    assert result.accepted == {"mention": 4, "entity": 7, "qid": 6, "stance": 1}
    header, *lines = rows(repo)
    assert header == ["conflict", "kind", "start", "end", "item", "context", "a1", "a2", "resolution"]
    assert [line[:5] + line[6:] for line in lines] == [
        ["c1", "qid", "28", "41", "Angela Merkel (PER)", "Q567", "null", ""],
        ["c2", "mention", "44", "50", "Berlin", "GPE", "LOC", ""],
        ["c3", "stance", "53", "69", "AUTHOR → Vladimir Poutine", "NEUTRAL 53-69 document unreported", "-", ""],
        ["c4", "mention", "62", "69", "Kremlin", "FAC metonymic", "FAC", ""],
        ["c5", "mention", "111", "116", "Minsk", "GPE", "-", ""],
    ]
    # ±40 characters of context, the span marked, the paragraph break shown as ⏎⏎.
    assert lines[1][5] == "nuel Macron a rencontré Angela Merkel à ⟦Berlin⟧.⏎⏎Selon le Kremlin, Vladimir Poutine a "
    assert [str(f) for f in log][1] == (f"{CONFLICTS}:3: [adjudicate.unresolved] c2: mention 'Berlin' has no resolution; "
                                        "hint: write a1, a2, drop or a value in the resolution column")
    assert [f.line for f in log] == [2, 3, 4, 5, 6]
    assert not (repo / GOLD).exists()


def test_resolved_conflicts_give_a_gold_file_that_passes_every_check(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, ALL_RESOLVED)
    log = FindingLog()
    result = adjudicate(repo, DOC_ID, log=log, today=TODAY)
    assert (result.outcome, result.unresolved, result.gold_path) == ("adjudicated", 0, repo.resolve() / GOLD)
    assert log.findings == []

    read_log = FindingLog()
    gold = read_annotation(repo / GOLD, root=repo, log=read_log)
    assert read_log.findings == []
    article = next(read_source(RawSource.of_repository(repo), read_log))
    document = make_document(article, gold, "train")
    assert [f for check in DOCUMENT_CHECKS.values() for f in check(document, lambda key, index: None)] == []
    assert validate(repo).errors == []  # the build accepts it, and ignores annotations/versions/

    assert gold.provenance == AnnotationProvenance("gold", ("a1", "a2"), GUIDELINES_VERSION, "chronique adjudicate", TODAY,
                                             "adjudicated")
    assert [(m.id, m.anchor.exact, m.type, m.metonymic, m.parent_id) for m in gold.mentions] == [
        ("m1", "Emmanuel Macron", "PER", False, None), ("m2", "Angela Merkel", "PER", False, None),
        ("m3", "Berlin", "GPE", False, None), ("m4", "Kremlin", "FAC", True, None),
        ("m5", "Vladimir Poutine", "PER", False, None), ("m6", "accords de Minsk", "MISC", False, None),
        ("m7", "Minsk", "GPE", False, "m6")]
    entities = {e.id: e for e in gold.entities}
    assert [e.id for e in gold.entities] == [f"e{n}" for n in range(1, 8)]
    assert all(entities[m.entity_id].name == m.anchor.exact for m in gold.mentions)
    assert entities["e2"].qid == "Q567" and entities["e3"].type == "GPE"
    assert [(s.id, entities[s.holder].name, s.target, s.polarity) for s in gold.stances] == [
        ("s1", "Vladimir Poutine", "accords de Minsk", "FAVOR")]


def test_while_a_conflict_is_unresolved_no_gold_is_written(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, {"c1": "a1", "c2": "a2", "c3": "a1"})
    log = FindingLog()
    result = adjudicate(repo, DOC_ID, log=log, today=TODAY)
    assert (result.outcome, result.unresolved, result.gold_path) == ("pending", 2, None)
    assert [(f.check_id, f.line) for f in log] == [("adjudicate.unresolved", 5), ("adjudicate.unresolved", 6)]
    assert [line[-1] for line in rows(repo)[1:]] == ["a1", "a2", "a1", "", ""]  # the curator's work is kept
    assert not (repo / GOLD).exists()


@pytest.mark.parametrize("conflict, written", [("c2", "GPX"), ("c1", "Q0"), ("c3", "FAVOR 53-999 document unreported"),
                                               ("c4", "a3")])
def test_an_invalid_resolution_is_a_located_finding(repo, conflict, written):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, {**ALL_RESOLVED, conflict: written})
    log = FindingLog()
    result = adjudicate(repo, DOC_ID, log=log, today=TODAY)
    assert result.outcome == "invalid" and not (repo / GOLD).exists()
    [finding] = log.findings
    number = int(conflict[1:]) + 1
    line = (repo / CONFLICTS).read_text("utf-8").splitlines()[number - 1]
    assert (finding.check_id, finding.path, finding.line, finding.col) == (
        "adjudicate.resolution", CONFLICTS, number, line.rfind("\t") + 2)
    assert repr(written) in finding.message and "a1, a2" in finding.message


def test_a_resolution_that_breaks_a_document_check_writes_nothing(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    # Evidence ending on the comma after "Kremlin" parses as a stance value but breaks guidelines 9.2.
    assert TEXT[53:70] == "Selon le Kremlin,"
    resolve(repo, {**ALL_RESOLVED, "c3": "NEUTRAL 53-70 document unreported"})
    log = FindingLog()
    assert adjudicate(repo, DOC_ID, log=log, today=TODAY).outcome == "invalid"
    assert [(f.check_id, f.path) for f in log] == [("L2.evidence.edges", CONFLICTS)]
    assert log.findings[0].message.startswith("adjudicated result: s")
    assert not (repo / GOLD).exists()


def test_a_value_copied_from_an_absent_annotator_means_drop(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, {**ALL_RESOLVED, "c3": "-", "c5": "-"})
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY).outcome == "adjudicated"
    gold = read_annotation(repo / GOLD, root=repo, log=FindingLog())
    assert "Minsk" not in [m.anchor.exact for m in gold.mentions] and len(gold.stances) == 1


def manual_gold(repo: Path) -> bytes:
    """A single-annotator gold file written by hand before the double annotation."""
    first = version("a1", A1_MENTIONS, A1_ENTITIES, [PUTIN_FAVOURS_MINSK])
    provenance = AnnotationProvenance("gold", ("a1",), "1.0", "manual", "2025-12-01", "single-annotator")
    path = repo / GOLD
    write_annotation(Annotation(DOC_ID, first.text_sha256, provenance, first.mentions, first.entities, first.stances,
                                GOLD), path)
    return path.read_bytes()


def test_a_gold_file_is_kept_until_the_adjudication_is_complete_and_then_only_on_request(repo):
    before = manual_gold(repo)
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY).outcome == "pending"
    assert (repo / GOLD).read_bytes() == before

    resolve(repo, ALL_RESOLVED)
    log = FindingLog()
    assert adjudicate(repo, DOC_ID, log=log, today=TODAY).outcome == "refused"
    assert [f.check_id for f in log] == ["adjudicate.gold-exists"] and (repo / GOLD).read_bytes() == before

    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY, overwrite_gold=True).outcome == "adjudicated"
    assert read_annotation(repo / GOLD, root=repo, log=FindingLog()).provenance.tool == "chronique adjudicate"


def test_an_earlier_adjudication_is_replaced_when_a_resolution_changes(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, ALL_RESOLVED)
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY).outcome == "adjudicated"
    written = (repo / GOLD).read_bytes()
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today="2026-03-01").outcome == "unchanged"
    assert (repo / GOLD).read_bytes() == written  # same result, the date of the first adjudication stays

    resolve(repo, {**ALL_RESOLVED, "c4": "a2"})
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY).outcome == "adjudicated"
    kremlin = next(m for m in read_annotation(repo / GOLD, root=repo, log=FindingLog()).mentions if m.anchor.exact == "Kremlin")
    assert kremlin.metonymic is False


def test_when_a_version_changes_only_the_lines_it_affects_lose_their_resolution(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, {**ALL_RESOLVED, "c2": "a1"})
    a2 = [("Berlin", "GPE", "Berlin", False) if m[0] == "Berlin" else m for m in A2_MENTIONS]
    write_version(repo, version("a2", a2, {**A2_ENTITIES, "Berlin": ("GPE", "Q64")}, [PUTIN_FAVOURS_MINSK]))
    log = FindingLog()
    result = adjudicate(repo, DOC_ID, log=log, today=TODAY)
    # Berlin is now agreed: its line is gone, the others keep their resolutions under new ids.
    assert [line[:2] + line[-1:] for line in rows(repo)[1:]] == [
        ["c1", "qid", "a1"], ["c2", "stance", "drop"], ["c3", "mention", "a1"], ["c4", "mention", "a1"]]
    assert [(f.check_id, f.severity) for f in log] == [("adjudicate.stale", "warning")]
    assert result.outcome == "adjudicated"


def test_an_editor_stripping_the_empty_last_cell_is_harmless_but_a_broken_line_is_reported(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    path = repo / CONFLICTS
    path.write_text("".join(line.rstrip("\t") + "\n" for line in path.read_text("utf-8").splitlines()), encoding="utf-8")
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY).outcome == "pending"

    resolve(repo, {"c2": "a1", "c4": "a1"})
    text = path.read_text("utf-8")
    for broken, line in ((text.replace("\tGPE\tLOC\t", "\tGPE LOC\t"), 3),  # a lost inner tab: one cell short
                         (text.replace("\tFAC\ta1", "\tFAC\ta1\tx"), 5)):  # one cell too many
        path.write_text(broken, encoding="utf-8")
        log = FindingLog()
        assert adjudicate(repo, DOC_ID, log=log, today=TODAY).outcome == "invalid"
        assert [(f.check_id, f.line) for f in log] == [("adjudicate.conflicts-format", line)]
        assert path.read_text("utf-8") == broken  # a malformed file is never rewritten


def test_full_agreement_gives_the_gold_file_at_once(tmp_path):
    root = make_repo(tmp_path / "repo", {f"001_{DOC_ID}.txt": f"date 2020-11 {TEXT}\n"}, seed=False)
    for annotator in ("a1", "a2"):
        write_version(root, version(annotator, A1_MENTIONS, A1_ENTITIES, [PUTIN_FAVOURS_MINSK]))
    result = adjudicate(root, DOC_ID, log=FindingLog(), today=TODAY)
    assert (result.outcome, result.conflicts) == ("adjudicated", 0)
    assert len(rows(root)) == 1  # the header alone records that nothing was in dispute
    assert read_annotation(root / GOLD, root=root, log=FindingLog()) is not None


def test_adjudication_needs_two_versions(repo):
    (versions_folder(repo, DOC_ID) / "a2.json").unlink()
    with pytest.raises(UsageError, match="needs two or more"):
        adjudicate(repo, DOC_ID, log=FindingLog())


def test_the_curator_is_recorded_after_the_annotators(repo):
    adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY)
    resolve(repo, ALL_RESOLVED)
    assert adjudicate(repo, DOC_ID, log=FindingLog(), today=TODAY, curator="c1").outcome == "adjudicated"
    gold = read_annotation(repo / GOLD, root=repo, log=FindingLog())
    assert gold.provenance.annotators == ("a1", "a2", "c1") and gold.provenance.guidelines_version == GUIDELINES_VERSION
