"""Agreement between annotators: entity F1, token kappa and stance alpha, checked against hand-computed values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import krippendorff
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_repo

from chronique.curation.agreement_tables import TABLE_COLUMNS, table_rows
from chronique.store.annotator_versions import versions_folder
from chronique.curation.agreement import (
    agreement_report,
    cohen_kappa,
    document_labels,
    entity_agreement,
    load_versions,
    nominal_alpha,
    reliability_matrix,
    repository_agreement,
    stance_alpha,
)
from chronique.store.annotations import quote, write_annotation
from chronique.store.documents import sha256_text
from chronique.errors import FindingLog
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, Stance

DOC_ID = "0123456789abcdef"
# Ten tokens: Emmanuel | Macron | a | rencontré | Angela | Merkel | à | Berlin | et | Paris
TEXT = "Emmanuel Macron a rencontré Angela Merkel à Berlin et Paris"


def span_of(surface: str) -> tuple[int, int]:
    start = TEXT.index(surface)
    return start, start + len(surface)


def mention(surface: str, fine_type: str, entity_id: str | None = None, number: int = 1) -> Mention:
    return Mention(f"m{number}", quote(TEXT, *span_of(surface)), fine_type, entity_id, None, False)


def stance(number: int, holder: str, target: str, polarity: str, evidence: str) -> Stance:
    return Stance(f"s{number}", holder, target, "entity", polarity, (quote(TEXT, *span_of(evidence)),), "sentence", True)


def version(annotator: str, mentions=(), stances=(), entities=(), doc_id: str = DOC_ID) -> Annotation:
    provenance = AnnotationProvenance("silver", (annotator,), "1.0", "manual", "2026-01-10", "double-blind")
    return Annotation(doc_id, sha256_text(TEXT), provenance, tuple(mentions), tuple(entities), tuple(stances),
                      f"annotations/versions/{doc_id}/{annotator}.json")


# a1 and a2 on the ten-token sentence:
#   a1: [Emmanuel Macron] PER, [Angela Merkel] PER, [Berlin] GPE, [Paris] GPE   (4 mentions)
#   a2: [Emmanuel Macron] PER, Angela [Merkel] PER, [Berlin] LOC                 (3 mentions)
FIRST = [mention("Emmanuel Macron", "PER"), mention("Angela Merkel", "PER"), mention("Berlin", "GPE"),
         mention("Paris", "GPE")]
SECOND = [mention("Emmanuel Macron", "PER"), mention("Merkel", "PER"), mention("Berlin", "LOC")]


def test_token_kappa_matches_the_hand_computation():
    first, second = document_labels(TEXT, FIRST, SECOND)
    # token:  Emmanuel Macron a  rencontré Angela Merkel à  Berlin et Paris
    assert first == ["PER", "PER", "O", "O", "PER", "PER", "O", "GPE", "O", "GPE"]
    assert second == ["PER", "PER", "O", "O", "O", "PER", "O", "LOC", "O", "O"]
    score = cohen_kappa(first, second)
    # Disagreements on Angela (PER/O), Berlin (GPE/LOC) and Paris (GPE/O): p_o = 7/10 = 0.7.
    # Marginals: a1 PER 4, O 4, GPE 2; a2 PER 3, O 6, LOC 1.
    # p_e = (PER 4·3 + O 4·6 + GPE 2·0 + LOC 0·1) / 10² = (12 + 24) / 100 = 0.36
    # kappa = (0.7 - 0.36) / (1 - 0.36) = 0.34 / 0.64 = 17/32 = 0.53125
    assert score.tokens == 10
    assert score.observed == pytest.approx(0.7)
    assert score.expected == pytest.approx(0.36)
    assert score.kappa == pytest.approx(17 / 32)


def test_strict_and_overlap_f1_match_the_hand_computation():
    scores = entity_agreement(FIRST, SECOND)
    # Strict: only Emmanuel Macron PER is in both.  F1 = 2·1 / (4 + 3) = 2/7.
    assert (scores.overall.strict.matched, scores.overall.strict.first, scores.overall.strict.second) == (1, 4, 3)
    assert scores.overall.strict.f1 == pytest.approx(2 / 7)
    # Overlap: Emmanuel Macron, and Angela Merkel ~ Merkel (both PER); Berlin differs in type.  F1 = 2·2 / 7 = 4/7.
    assert scores.overall.overlap.f1 == pytest.approx(4 / 7)
    # Per type: PER strict 2·1/(2+2) = 0.5, overlap 2·2/(2+2) = 1; GPE 0/(2+0) = 0; LOC 0/(0+1) = 0.
    assert scores.by_type["PER"].strict.f1 == pytest.approx(0.5)
    assert scores.by_type["PER"].overlap.f1 == pytest.approx(1.0)
    assert scores.by_type["GPE"].strict.f1 == 0 and scores.by_type["LOC"].overlap.f1 == 0


def test_overlap_matching_is_one_to_one():
    # "Angela Merkel" overlaps both "Angela" and "Merkel", but may match only one: F1 = 2·1 / (1 + 2) = 2/3.
    scores = entity_agreement([mention("Angela Merkel", "PER")], [mention("Angela", "PER"), mention("Merkel", "PER")])
    assert scores.overall.overlap.matched == 1
    assert scores.overall.overlap.f1 == pytest.approx(2 / 3)
    assert scores.overall.strict.f1 == 0


ENTITIES = (Entity("e1", "Emmanuel Macron", "PER", None), Entity("e2", "Angela Merkel", "PER", None),
            Entity("e3", "Berlin", "GPE", None), Entity("e4", "Paris", "GPE", None))
# Four stance units, (holder, target) matched by canonical entity name, values coded FAVOR 0, AGAINST 1, NEUTRAL 2.
#   unit               a1        a2
#   Macron → Merkel    FAVOR     FAVOR
#   Macron → Berlin    AGAINST   AGAINST
#   Macron → Paris     NEUTRAL   NEUTRAL
#   Merkel → Macron    FAVOR     AGAINST
STANCE_VALUES = [("e1", "e2", "FAVOR", "FAVOR"), ("e1", "e3", "AGAINST", "AGAINST"), ("e1", "e4", "NEUTRAL", "NEUTRAL"),
                 ("e2", "e1", "FAVOR", "AGAINST")]


def stance_versions() -> dict[str, dict[str, Annotation]]:
    by_annotator = {}
    for column, annotator in ((2, "a1"), (3, "a2")):
        stances = [stance(n, row[0], row[1], row[column], "rencontré") for n, row in enumerate(STANCE_VALUES, start=1)]
        by_annotator[annotator] = version(annotator, entities=ENTITIES, stances=stances)
    return {DOC_ID: by_annotator}


def test_stance_alpha_matches_the_coincidence_matrix_computation():
    score = stance_alpha(stance_versions())
    # Coincidence matrix (each unit has 2 values, so each ordered pair of its values counts 1/(2-1) = 1):
    #   o(F,F) = 2, o(A,A) = 2, o(N,N) = 2, o(F,A) = o(A,F) = 1;  n_F = 3, n_A = 3, n_N = 2, n = 8.
    # Nominal: alpha = 1 - (n - 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k
    #                = 1 - 7 · 2 / (8² - (3² + 3² + 2²)) = 1 - 14 / 42 = 2/3
    assert (score.units, score.pairable) == (4, 4)
    assert score.alpha == pytest.approx(2 / 3)


def test_nominal_alpha_is_not_the_interval_default():
    matrix, units = reliability_matrix(stance_versions(), ("a1", "a2"))
    assert len(units) == 4
    nominal, _ = nominal_alpha(matrix)
    interval = krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
    # Interval with codes F=0, A=1, N=2 weighs a disagreement by (c - k)²: observed Σ o·δ² = 2·1 = 2, expected
    # Σ n_c·n_k·δ² = 2·(F,A 3·3·1 + F,N 3·2·4 + A,N 3·2·1) = 2·39 = 78; alpha = 1 - 7·2/78 = 32/39 ≈ 0.8205.
    # Polarities are categories, so FAVOR–NEUTRAL is no worse than FAVOR–AGAINST: interval is wrong here.
    assert interval == pytest.approx(32 / 39)
    assert nominal == pytest.approx(2 / 3)
    assert not math.isclose(nominal, interval)


def test_identical_annotations_agree_perfectly():
    stances = stance_versions()[DOC_ID]["a1"].stances
    same = {DOC_ID: {a: version(a, FIRST, stances, ENTITIES) for a in ("a1", "a2")}}
    report = agreement_report(same, texts={DOC_ID: TEXT})
    pair = report.pairs[0]
    assert pair.entities.overall.strict.f1 == 1 and pair.entities.overall.overlap.f1 == 1
    assert pair.kappa.kappa == 1
    assert report.stance.alpha == 1


def test_undefined_scores_are_none_not_nan():
    empty = {DOC_ID: {"a1": version("a1"), "a2": version("a2")}}
    report = agreement_report(empty, texts={DOC_ID: TEXT})
    pair = report.pairs[0]
    assert pair.entities.overall.strict.f1 is None  # nothing to agree on
    assert pair.kappa.kappa is None  # every token O for both: chance agreement is 1
    assert report.stance.alpha is None
    json.dumps(report.to_dict(), allow_nan=False)


SURFACES = ["Emmanuel", "Emmanuel Macron", "Macron", "Angela", "Angela Merkel", "Merkel", "Berlin", "Berlin et Paris",
            "Paris", "rencontré Angela"]
mentions_strategy = st.lists(st.tuples(st.sampled_from(SURFACES), st.sampled_from(["PER", "GPE", "LOC"])), max_size=6)


@settings(max_examples=60, deadline=None)
@given(mentions_strategy, mentions_strategy)
def test_agreement_is_symmetric(first, second):
    a = [mention(surface, fine_type) for surface, fine_type in first]
    b = [mention(surface, fine_type) for surface, fine_type in second]
    ab, ba = entity_agreement(a, b), entity_agreement(b, a)
    assert ab.overall.strict.f1 == ba.overall.strict.f1
    assert ab.overall.overlap.f1 == ba.overall.overlap.f1
    assert {t: s.overlap.f1 for t, s in ab.by_type.items()} == {t: s.overlap.f1 for t, s in ba.by_type.items()}
    labels_ab, labels_ba = document_labels(TEXT, a, b), document_labels(TEXT, b, a)
    assert cohen_kappa(*labels_ab).kappa == cohen_kappa(*labels_ba).kappa


def test_report_breaks_down_by_type_and_document_and_gives_table_rows():
    other = "1111111111111111"
    versions = {DOC_ID: {"a1": version("a1", FIRST), "a2": version("a2", SECOND)},
                other: {"a1": version("a1", FIRST, doc_id=other), "a2": version("a2", FIRST, doc_id=other)}}
    report = agreement_report(versions, texts={DOC_ID: TEXT, other: TEXT})
    pair = report.pairs[0]
    assert list(pair.by_document) == [DOC_ID, other]
    assert pair.by_document[other].entities.overall.strict.f1 == 1
    # Pooled strict F1 over both documents: 2·(1 + 4) / ((4 + 3) + (4 + 4)) = 10/15.
    assert pair.entities.overall.strict.f1 == pytest.approx(10 / 15)
    assert pair.kappa.tokens == 20
    data = json.loads(json.dumps(report.to_dict()))
    assert data["pairs"][0]["entities"]["by_type"]["PER"]["overlap"]["f1"] == pytest.approx(8 / 8)
    rows = table_rows(report)
    assert all(len(row) == len(TABLE_COLUMNS) and all(isinstance(cell, str) for cell in row) for row in rows)
    assert ("a1 × a2", "all", "0.667") == rows[0][:3]
    assert {row[1] for row in rows} >= {"all", f"document {DOC_ID}", "type PER", "type GPE", "type LOC"}


def test_kappa_is_left_out_for_documents_without_text():
    report = agreement_report({DOC_ID: {"a1": version("a1", FIRST), "a2": version("a2", SECOND)}})
    assert report.without_text == (DOC_ID,)
    assert report.pairs[0].kappa.kappa is None and report.pairs[0].by_document[DOC_ID].kappa is None


def write_version(repo: Path, annotation: Annotation, annotator: str) -> Path:
    path = versions_folder(repo, annotation.doc_id) / f"{annotator}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_annotation(annotation, path)
    return path


def test_load_versions_walks_in_order_and_reports_unreadable_files(tmp_path):
    repo = make_repo(tmp_path / "repo", {f"001_{DOC_ID}.txt": f"date 2020-11 {TEXT}\n"}, seed=False)
    write_version(repo, version("a2", SECOND, entities=()), "a2")
    write_version(repo, version("a1", FIRST, entities=()), "a1")
    broken = versions_folder(repo, DOC_ID) / "a3.json"
    broken.write_text('{"schema_version": "1.0",\n  oops\n}\n', encoding="utf-8")
    log = FindingLog()
    versions = load_versions(repo, log=log)
    assert list(versions) == [DOC_ID] and list(versions[DOC_ID]) == ["a1", "a2"]
    assert [str(f).split(" ")[0] for f in log] == [f"annotations/versions/{DOC_ID}/a3.json:2:3:"]
    assert log.findings[0].check_id == "L1.annotation.json"

    report = repository_agreement(repo, log=FindingLog())
    assert report.pairs[0].kappa.kappa == pytest.approx(17 / 32)  # texts come from raw/


def test_misplaced_and_misnamed_versions_are_reported(tmp_path):
    repo = tmp_path / "repo"
    write_version(repo, version("a1", FIRST), "a1").rename(versions_folder(repo, DOC_ID) / "a9.json")
    elsewhere = versions_folder(repo, "2222222222222222")
    elsewhere.mkdir(parents=True)
    write_annotation(version("a2", SECOND), elsewhere / "a2.json")
    log = FindingLog()
    versions = load_versions(repo, log=log)
    assert list(versions) == [DOC_ID] and list(versions[DOC_ID]) == ["a9"]  # a mere naming slip is only a warning
    assert [(f.check_id, f.severity) for f in log] == [("versions.annotator", "warning"), ("versions.doc-id", "error")]


def test_links_and_unsafe_names_among_versions_are_refused(tmp_path):
    repo = tmp_path / "repo"
    first = write_version(repo, version("a1", FIRST), "a1")
    (first.parent / "a2.json").symlink_to(first)
    write_version(repo, version("a b", SECOND), "a b")
    (versions_folder(repo) / "not a doc").mkdir()
    log = FindingLog()
    versions = load_versions(repo, log=log)
    assert list(versions) == [DOC_ID] and list(versions[DOC_ID]) == ["a1"]
    assert sorted((f.check_id, f.path) for f in log) == [
        ("versions.name", f"annotations/versions/{DOC_ID}/a b.json"), ("versions.name", "annotations/versions/not a doc"),
        ("versions.symlink", f"annotations/versions/{DOC_ID}/a2.json")]


def test_a_version_of_an_older_text_is_left_out_of_kappa(tmp_path):
    repo = make_repo(tmp_path / "repo", {f"001_{DOC_ID}.txt": f"date 2020-11 {TEXT}, et Lyon\n"}, seed=False)
    write_version(repo, version("a1", FIRST), "a1")
    write_version(repo, version("a2", SECOND), "a2")
    log = FindingLog()
    report = repository_agreement(repo, log=log)
    assert [(f.check_id, f.path, f.severity) for f in log] == [
        ("versions.text-hash", f"annotations/versions/{DOC_ID}/{name}.json", "error") for name in ("a1", "a2")]
    assert report.without_text == (DOC_ID,)
