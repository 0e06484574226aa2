"""The scorer, cross-checked against seqeval and against the official HIPE scorer's figures."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from chronique.errors import InputError
from chronique.evaluation import evaluate_ner, evaluate_stance
from chronique.evaluation.metrics import decode_tags, score_documents, score_stance

from conftest import external

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
sentences = st.lists(st.lists(st.sampled_from(TAGS), min_size=1, max_size=12), min_size=1, max_size=6)


def ours(gold, pred, ill_formed):
    documents = [[(decode_tags(g, "iob2", ill_formed), decode_tags(p, "iob2", ill_formed)) for g, p in zip(gold, pred)]]
    return score_documents(documents).strict


def seqeval(gold, pred, **mode):
    return classification_report(gold, pred, output_dict=True, zero_division=0, **mode)


def assert_same(scores, report):
    micro = report["micro avg"]
    assert scores.micro.precision == pytest.approx(micro["precision"])
    assert scores.micro.recall == pytest.approx(micro["recall"])
    assert scores.micro.f1 == pytest.approx(micro["f1-score"])
    for kind, row in report.items():
        if kind.endswith("avg"):
            continue
        assert scores.per_type[kind].f1 == pytest.approx(row["f1-score"])
        assert scores.per_type[kind].tp + scores.per_type[kind].fn == row["support"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_strict_scores_equal_seqeval_strict_mode_with_ill_formed_spans_dropped(data):
    gold = data.draw(sentences)
    pred = [data.draw(st.lists(st.sampled_from(TAGS), min_size=len(s), max_size=len(s))) for s in gold]
    report = seqeval(gold, pred, mode="strict", scheme=IOB2)
    if "micro avg" in report:
        assert_same(ours(gold, pred, "drop"), report)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_strict_scores_equal_seqeval_default_mode_when_stray_i_begins_an_entity(data):
    gold = data.draw(sentences)
    pred = [data.draw(st.lists(st.sampled_from(TAGS), min_size=len(s), max_size=len(s))) for s in gold]
    report = seqeval(gold, pred)
    if "micro avg" in report:
        assert_same(ours(gold, pred, "begin"), report)


def test_ill_formed_sequences_are_treated_as_documented():
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-ORG", "B-PER", "I-PER"]
    assert decode_tags(tags, ill_formed="begin") == [("PER", 0, 2), ("LOC", 3, 4), ("ORG", 4, 5), ("PER", 5, 7)]
    assert decode_tags(tags, ill_formed="drop") == [("LOC", 3, 4), ("PER", 5, 7)]
    assert decode_tags(["I-PER", "I-PER", "B-PER"], "iob1") == [("PER", 0, 2), ("PER", 2, 3)]
    assert decode_tags(["B-PER", "E-PER", "S-LOC", "I-LOC"], "iobes") == [("PER", 0, 2), ("LOC", 2, 3), ("LOC", 3, 4)]


def test_fuzzy_matching_and_attribution_on_a_hand_case():
    gold = [("PER", 0, 2), ("LOC", 3, 5), ("ORG", 6, 7)]
    pred = [("PER", 0, 1), ("ORG", 3, 5), ("ORG", 6, 7), ("LOC", 8, 9)]
    own = score_documents([[(gold, pred)]])
    # strict: only ORG 6-7 is exact. fuzzy adds PER 0-1 (overlap, same type); ORG 3-5 has the LOC's span: wrong type.
    assert (own.strict.micro.tp, own.strict.micro.fp, own.strict.micro.fn) == (1, 3, 2)
    assert (own.fuzzy.micro.tp, own.fuzzy.micro.fp, own.fuzzy.micro.fn) == (2, 2, 1)
    assert (own.strict.per_type["ORG"].tp, own.strict.per_type["ORG"].fp) == (1, 1)
    hipe = score_documents([[(gold, pred)]], attribution="gold", restrict_to_gold_types=True)
    # HIPE counts the ORG-for-LOC prediction under LOC, the gold entity it matched.
    assert (hipe.strict.per_type["LOC"].tp, hipe.strict.per_type["LOC"].fp, hipe.strict.per_type["LOC"].fn) == (0, 2, 1)
    assert (hipe.strict.per_type["ORG"].tp, hipe.strict.per_type["ORG"].fp) == (1, 0)


def official(run: str, scheme: str) -> dict:
    path = external(f"hipe2022_newseye_fr/official_scores/{run}_nerc_coarse.json")
    return json.loads(path.read_text())["NE-COARSE-LIT"]["TIME-ALL"]["LED-ALL"]


def test_hipe_official_figures_are_reproduced_exactly():
    gold = external("hipe2022_newseye_fr/gold/HIPE-2022-v2.1-newseye-test-fr.tsv")
    run = "neurbsl_bundle3_newseye_fr_1"
    scores = evaluate_ner(gold, external(f"hipe2022_newseye_fr/runs/{run}.tsv"))
    reference = official(run, "strict")
    for ours_name, theirs in (("strict", "strict"), ("fuzzy", "ent_type")):
        ours_scheme = getattr(scores, ours_name)
        expected = reference["ALL"][theirs]
        assert (ours_scheme.micro.tp, ours_scheme.micro.fp, ours_scheme.micro.fn) == (expected["TP"], expected["FP"], expected["FN"])
        for kind in ("PER", "LOC", "ORG", "HUMANPROD"):
            expected = reference[kind][theirs]
            got = ours_scheme.per_type[kind]
            assert (got.tp, got.fp, got.fn) == (expected["TP"], expected["FP"], expected["FN"]), (ours_name, kind)
        expected = reference["ALL"][theirs]
        for ours_key, their_key in (("precision", "P_macro_doc"), ("recall", "R_macro_doc"), ("f1", "F1_macro_doc"),
                                    ("f1_std", "F1_macro_doc_std")):
            assert ours_scheme.document_macro[ours_key] == pytest.approx(expected[their_key], abs=1e-12)


def test_runs_without_comment_lines_align_by_token_position():
    gold = external("hipe2022_newseye_fr/gold/HIPE-2022-v2.1-newseye-test-fr.tsv")
    run = external("hipe2022_newseye_fr/runs/team4_bundle4_newseye_fr_1.tsv")
    assert not any(line.startswith("#") for line in run.read_text().splitlines())
    scores = evaluate_ner(gold, run)
    assert scores.documents == 35 and scores.strict.micro.tp > 0


def test_a_run_with_a_token_missing_is_refused(tmp_path):
    gold = external("hipe2022_newseye_fr/gold/HIPE-2022-v2.1-newseye-test-fr.tsv")
    lines = external("hipe2022_newseye_fr/runs/team4_bundle4_newseye_fr_1.tsv").read_text().splitlines()
    del lines[500]
    broken = tmp_path / "run.tsv"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="token"):
        evaluate_ner(gold, broken)


@pytest.fixture(scope="module")
def release(seed_release):
    return seed_release


def gold_conll(release_path, cache, tmp_path, labels="coarse"):
    from datasets import load_dataset

    ner = load_dataset(str(release_path), "ner", split="train", cache_dir=cache)
    column = "coarse_ner_tags" if labels == "coarse" else "ner_tags"
    names = ner.features[column].feature.names
    blocks = [f"# id = {row['id']}\n" + "\n".join(f"{t}\t{names[g]}" for t, g in zip(row["tokens"], row[column])) for row in ner]
    path = tmp_path / "pred.conll"
    path.write_text("\n\n".join(blocks) + "\n")
    return path, ner


def test_perfect_token_predictions_score_one_and_a_missing_token_names_the_sentence(release, tmp_path):
    path, cache = release
    pred, ner = gold_conll(path, cache, tmp_path)
    scores = evaluate_ner(path, pred, split="train", cache_dir=cache)
    assert scores.strict.micro.f1 == 1.0 and scores.strict.micro.fn == 0
    lines = pred.read_text().splitlines()
    third = ner[2]["id"]
    start = lines.index(f"# id = {third}")
    del lines[start + 4]
    pred.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=f"sentence {third}"):
        evaluate_ner(path, pred, split="train", cache_dir=cache)


def test_span_predictions_in_jsonl(release, tmp_path):
    path, cache = release
    from datasets import load_dataset

    documents = load_dataset(str(path), "documents", split="train", cache_dir=cache)
    mentions = [m for m in documents[0]["mentions"] if m["parent_id"] is None and m["coarse_type"]]
    rows = [{"doc_id": documents[0]["doc_id"], "start": m["start"], "end": m["end"], "type": m["coarse_type"]} for m in mentions]
    rows[0]["end"] -= 1  # one boundary error: strict miss, fuzzy hit
    pred = tmp_path / "spans.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in rows))
    scores = evaluate_ner(path, pred, split="train", cache_dir=cache)
    assert scores.fuzzy.micro.f1 == 1.0
    assert (scores.strict.micro.tp, scores.strict.micro.fp, scores.strict.micro.fn) == (len(rows) - 1, 1, 1)
    pred.write_text(json.dumps({"doc_id": "nope", "start": 0, "end": 3, "type": "PER"}) + "\n")
    with pytest.raises(InputError, match="'nope'"):
        evaluate_ner(path, pred, split="train", cache_dir=cache)


def test_stance_accuracy_and_macro_f1():
    scores = score_stance(["FAVOR", "FAVOR", "AGAINST", "NEUTRAL"], ["FAVOR", "NEUTRAL", "AGAINST", "NEUTRAL"],
                          ["FAVOR", "AGAINST", "NEUTRAL"])
    # FAVOR: P 1, R 1/2, F1 2/3; AGAINST: F1 1; NEUTRAL: P 1/2, R 1, F1 2/3 → macro (2/3 + 1 + 2/3) / 3
    assert scores.accuracy == 0.75
    assert scores.macro_f1 == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)


def test_stance_predictions_against_the_release(release, tmp_path):
    path, cache = release
    from datasets import load_dataset

    stance = load_dataset(str(path), "stance", split="train", cache_dir=cache)
    names = stance.features["label"].names
    pred = tmp_path / "stance.jsonl"
    pred.write_text("".join(json.dumps({"id": r["id"], "label": names[r["label"]]}) + "\n" for r in stance))
    assert evaluate_stance(path, pred, split="train", cache_dir=cache).accuracy == 1.0
