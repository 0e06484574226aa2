"""`chronique evaluate` as a new user meets it (issue "What a new user trips over", items 1, 4, 5 and 8), each
through the real command line: the default gold and split, integer stance labels, both stance macro-F1s, the
label-set warning, exported CoNLL as a prediction template, `.json` span predictions, errors printed once at
the right line, and no traceback for a prediction file that is missing or unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronique.cli import main
from chronique.errors import FindingLog, UsageError
from chronique.release.loading import release_path
from chronique.schema import COARSE_TYPES

from conftest import SEED_ID


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr; an exception (a traceback for the user) fails the test."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hf-cache")


@pytest.fixture
def seed(seed_release, monkeypatch) -> Path:
    """The seed's release (one document, a ``train`` split only), the command line's cache pointed at the session's."""
    import datasets.config

    path, cache = seed_release
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", Path(cache))
    return path


@pytest.fixture
def current(hf_cache, monkeypatch) -> Path:
    """The committed current release, read only; its datasets cache in a temporary folder."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", hf_cache)
    return release_path()


def rows(release: Path, config: str, split: str, cache: Path | str) -> list[dict]:
    from datasets import load_dataset

    return list(load_dataset(str(release), config, split=split, cache_dir=str(cache)))


def exported_conll(capsys, release: Path, out: Path) -> Path:
    assert main(["export", "conll", "--release", str(release), "--out", str(out)]) == 0
    capsys.readouterr()
    return next(out.glob("*.fine.conll"))


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- 1. stance scoring: default gold and split, integer labels, both macro-F1s --------------------------------


def test_stance_scores_the_current_release_without_gold_and_accepts_integer_labels(current, hf_cache, tmp_path, capsys):
    stance = rows(current, "stance", "test", hf_cache)
    names = ["FAVOR", "AGAINST", "NEUTRAL"]
    # ClassLabel ids for half of the rows, names for the other half
    pred = write_jsonl(tmp_path / "stance.jsonl", [{"id": r["id"], "label": r["label"] if i % 2 else names[r["label"]]}
                                                   for i, r in enumerate(stance)])
    code, out, err = run(capsys, "evaluate", "--task", "stance", "--pred", str(pred), "--json")
    assert code == 0, err
    scores = json.loads(out)
    assert scores["count"] == len(stance) and scores["accuracy"] == 1.0
    assert scores["macro_f1"] == scores["macro_f1_present"] == 1.0 and scores["labels_present"] == names


def test_a_label_id_out_of_range_is_a_located_error(seed, tmp_path, capsys):
    pred = write_jsonl(tmp_path / "stance.jsonl", [{"id": "x", "label": 3}])
    code, out, err = run(capsys, "evaluate", "--task", "stance", "--gold", str(seed), "--pred", str(pred))
    assert code == 1 and f"{pred}:1: [evaluate.format]" in err and "0 FAVOR, 1 AGAINST, 2 NEUTRAL" in err, err


def seed_predictions(task: str, seed: Path, cache: str, folder: Path) -> Path:
    """Perfect predictions for the seed's train split: stance labels, or CoNLL tags with ``# id`` lines."""
    if task == "stance":
        return write_jsonl(folder / "stance.jsonl", [{"id": r["id"], "label": r["label"]}
                                                     for r in rows(seed, "stance", "train", cache)])
    from chronique.schema import COARSE_NER_LABELS

    blocks = [f"# id = {r['id']}\n" + "\n".join(f"{t}\t{COARSE_NER_LABELS[g]}" for t, g in zip(r["tokens"], r["coarse_ner_tags"]))
              for r in rows(seed, "ner", "train", cache)]
    path = folder / "pred.conll"
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("task", ["ner", "stance"])
def test_a_release_without_a_test_split_is_scored_on_its_only_split(seed, seed_release, tmp_path, capsys, task):
    pred = seed_predictions(task, seed, seed_release[1], tmp_path)
    code, out, err = run(capsys, "evaluate", "--task", task, "--gold", str(seed), "--pred", str(pred), "--json")
    assert code == 0, err
    assert "[evaluate.split]" in err and "'train'" in err
    assert [w["check_id"] for w in json.loads(out)["warnings"]] == ["evaluate.split"]


@pytest.mark.parametrize("task", ["ner", "stance"])
def test_a_split_the_release_lacks_names_the_splits_it_has(seed, seed_release, tmp_path, capsys, task):
    pred = seed_predictions(task, seed, seed_release[1], tmp_path)
    code, out, err = run(capsys, "evaluate", "--task", task, "--gold", str(seed), "--pred", str(pred), "--split", "test")
    assert code == 2 and "has no 'test' split; it has train" in err, err
    assert err.count("has no 'test' split") == 1


def test_without_test_and_with_several_splits_the_choice_is_left_to_the_user():
    from chronique.evaluation.gold import choose_split

    with pytest.raises(UsageError, match="it has train, validation"):
        choose_split(Path("releases/x"), ["train", "validation"], None, FindingLog())
    assert choose_split(Path("releases/x"), ["train", "validation", "test"], None, FindingLog()) == "test"


def test_stance_macro_f1_over_the_gold_labels_is_shown_beside_the_one_over_all_three(seed, seed_release, tmp_path, capsys):
    pred = seed_predictions("stance", seed, seed_release[1], tmp_path)  # the seed has FAVOR and NEUTRAL, no AGAINST
    code, out, err = run(capsys, "evaluate", "--task", "stance", "--gold", str(seed), "--pred", str(pred), "--json")
    scores = json.loads(out)
    assert code == 0 and scores["labels_present"] == ["FAVOR", "NEUTRAL"]
    assert scores["macro_f1"] == pytest.approx(2 / 3) and scores["macro_f1_present"] == 1.0
    code, out, err = run(capsys, "evaluate", "--task", "stance", "--gold", str(seed), "--pred", str(pred))
    lines = out.splitlines()
    assert any("macro-F1 (all 3)" in line and "0.667" in line for line in lines), out
    assert any("macro-F1 (2 in gold)" in line and "1.000" in line for line in lines), out


# --- 4. predicted types outside the gold's label set -----------------------------------------------------------


def test_fine_types_scored_against_the_coarse_gold_are_a_warning_suggesting_fine_labels(seed, tmp_path, capsys):
    conll = exported_conll(capsys, seed, tmp_path / "export")
    fine_only = sorted({line.split()[-1][2:] for line in conll.read_text("utf-8").splitlines()
                        if line[-2:] != " O" and " " in line and not line.startswith(("#", "-DOCSTART-"))} - set(COARSE_TYPES))
    assert fine_only, "the seed has fine-only types such as NORP"
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(conll))
    assert code == 0 and "[evaluate.labels]" in err and "--labels fine" in err, err
    assert all(kind in err for kind in fine_only)
    first = next(n for n, line in enumerate(conll.read_text("utf-8").splitlines(), start=1)
                 if line.endswith(tuple(f"-{kind}" for kind in fine_only)))
    assert f"{conll}:{first}: [evaluate.labels] warning:" in err
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(conll), "--json")
    (warning,) = [w for w in json.loads(out)["warnings"] if w["check_id"] == "evaluate.labels"]
    assert warning["severity"] == "warning" and "--labels fine" in warning["hint"] and warning["line"] == first
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(conll), "--labels", "fine", "--json")
    assert code == 0 and "evaluate.labels" not in err and json.loads(out)["strict"]["micro"]["f1"] == 1.0


def test_span_types_unknown_to_the_gold_are_a_warning_at_their_line(seed, tmp_path, capsys):
    pred = write_jsonl(tmp_path / "spans.jsonl", [{"doc_id": SEED_ID, "start": 0, "end": 2, "type": "PER"},
                                                  {"doc_id": SEED_ID, "start": 3, "end": 5, "type": "PERSON"}])
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred))
    assert code == 0 and f"{pred}:2: [evaluate.labels] warning:" in err and "PERSON (1)" in err, err


# --- 5. exported CoNLL names its sentences and scores 1.0 against its own release ------------------------------


@pytest.fixture(scope="module")
def current_export(tmp_path_factory) -> Path:
    """The current release (every split) exported as CoNLL once for the module."""
    from chronique.interop.runner import export_release

    out = tmp_path_factory.mktemp("export")
    (path,) = [p for p in export_release("conll", release=release_path(), out_dir=out,
                                         cache_dir=str(out / "hf-cache")) if p.name.endswith(".fine.conll")]
    return path


@pytest.mark.parametrize("split", ["test", "train"])  # train holds tokens '#', which are not comments
def test_exported_conll_used_as_predictions_scores_one(current, current_export, hf_cache, capsys, split):
    ids = [line.removeprefix("# id = ") for line in current_export.read_text("utf-8").splitlines()
           if line.startswith("# id = ")]
    ner_ids = [r["id"] for r in rows(current, "ner", split, hf_cache)]
    assert set(ner_ids) <= set(ids)
    code, out, err = run(capsys, "evaluate", "--gold", str(current), "--split", split, "--labels", "fine",
                         "--pred", str(current_export), "--json")
    assert code == 0, err
    scores = json.loads(out)
    for scheme in ("strict", "fuzzy"):
        micro = scores[scheme]["micro"]
        assert micro["f1"] == 1.0 and micro["fp"] == micro["fn"] == 0 and micro["tp"] > 0
    assert scores["warnings"] == []


def test_exported_sentence_ids_are_the_ner_configs_and_the_importer_skips_them(seed, seed_release, tmp_path, capsys):
    from chronique.interop.conll import read_conll

    conll = exported_conll(capsys, seed, tmp_path / "export")
    lines = conll.read_text("utf-8").splitlines()
    assert lines[:3] == [f"-DOCSTART- {SEED_ID}", "", f"# id = {SEED_ID}-0000"]
    ner = rows(seed, "ner", "train", seed_release[1])
    assert [line[len("# id = "):] for line in lines if line.startswith("# id = ")] == [r["id"] for r in ner]
    log = FindingLog()
    (document,) = read_conll(conll, log=log)
    assert not log.findings and document.doc_id == SEED_ID
    assert document.text.split() == [token for r in ner for token in r["tokens"]]


def test_a_conll_gold_without_ids_aligns_by_position_with_predictions_that_have_them(tmp_path, capsys):
    gold = tmp_path / "gold.conll"
    gold.write_text("Emmanuel B-PER\nMacron I-PER\n\n# O\nParis B-LOC\n", encoding="utf-8")
    pred = tmp_path / "pred.conll"
    pred.write_text("# id = s1\nEmmanuel B-PER\nMacron I-PER\n\n# id = s2\n# O\nParis B-LOC\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(gold), "--pred", str(pred), "--json")
    assert code == 0, err
    assert json.loads(out)["strict"]["micro"]["f1"] == 1.0


# --- 8. errors once and at the right line; .json predictions; the title's plural ------------------------------


def test_a_token_that_differs_is_reported_once_at_its_own_line(seed, seed_release, tmp_path, capsys):
    pred = seed_predictions("ner", seed, seed_release[1], tmp_path)
    lines = pred.read_text("utf-8").splitlines()
    target = lines.index(f"# id = {SEED_ID}-0001") + 5  # the line (1-based) of the sentence's fourth token
    token = lines[target - 1].split("\t")[0]
    lines[target - 1] = "Typo" + lines[target - 1][len(token):]
    pred.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred), "--split", "train")
    assert code == 1
    assert f"{pred}:{target}: [evaluate.mismatch] sentence {SEED_ID}-0001: token 4 is 'Typo'" in err, err
    assert err.count("'Typo'") == 1, err


def test_a_sentence_cut_short_is_reported_at_its_last_token(tmp_path, capsys):
    gold = tmp_path / "gold.conll"
    gold.write_text("Emmanuel B-PER\nMacron I-PER\nà O\nParis B-LOC\n", encoding="utf-8")
    pred = tmp_path / "pred.conll"
    pred.write_text("Emmanuel B-PER\nMacron I-PER\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(gold), "--pred", str(pred))
    assert code == 1 and f"{pred}:2: [evaluate.mismatch]" in err and err.count("evaluate.mismatch") == 1, err


def test_a_hipe_token_that_differs_is_reported_at_its_own_line(tmp_path, capsys):
    header = "TOKEN\tNE-COARSE-LIT\tMISC\n"
    gold = tmp_path / "gold.tsv"
    gold.write_text(header + "# hipe2022:document_id = d1\nEmmanuel\tB-pers\t_\nMacron\tI-pers\t_\n", encoding="utf-8")
    pred = tmp_path / "pred.tsv"
    pred.write_text(header + "# hipe2022:document_id = d1\nEmmanuel\tB-pers\t_\nMacrom\tI-pers\t_\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(gold), "--pred", str(pred))
    assert code == 1 and f"{pred}:4: [evaluate.mismatch]" in err and err.count("'Macrom'") == 1, err


def seed_spans(seed: Path, cache: str) -> list[dict]:
    (document,) = rows(seed, "documents", "train", cache)
    return [{"doc_id": SEED_ID, "start": m["start"], "end": m["end"], "type": m["coarse_type"]}
            for m in document["mentions"] if m["parent_id"] is None and m["coarse_type"]]


def test_json_predictions_are_an_array_of_spans(seed, seed_release, tmp_path, capsys):
    spans = seed_spans(seed, seed_release[1])
    pred = tmp_path / "spans.json"
    pred.write_text(json.dumps(spans, indent=1), encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred), "--json")
    assert code == 0, err
    assert json.loads(out)["strict"]["micro"]["f1"] == 1.0
    pred.write_text("[\n" + ",\n".join(json.dumps(s) for s in spans[:2]) + ',\n{"doc_id": "x"}\n]\n', encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred))
    assert code == 1 and f"{pred}:4: [evaluate.format]" in err and err.count("[evaluate.format]") == 1, err


def test_the_title_counts_one_document_in_the_singular(seed, seed_release, tmp_path, capsys):
    pred = seed_predictions("ner", seed, seed_release[1], tmp_path)
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred), "--split", "train")
    assert code == 0 and "(1 document)" in out and "documents)" not in out, out


@pytest.mark.parametrize("name,content", [
    ("absent.conll", None),
    ("folder.conll", "folder"),
    ("latin1.conll", "Émile B-PER\n".encode("latin-1")),
    ("latin1.jsonl", b'{"doc_id": "\xe9", "start": 0, "end": 1, "type": "PER"}\n'),
    ("latin1.json", b'[{"doc_id": "\xe9"}]'),
    ("garbage.parquet", b"not a parquet file"),
    ("empty.json", b""),
])
def test_a_missing_or_unreadable_prediction_file_is_one_message_not_a_traceback(seed, tmp_path, capsys, name, content):
    pred = tmp_path / name
    if content == "folder":
        pred.mkdir()
    elif content is not None:
        pred.write_bytes(content)
    code, out, err = run(capsys, "evaluate", "--gold", str(seed), "--pred", str(pred), "--split", "train")
    assert code in (1, 2) and "Traceback" not in err, err
    assert len([line for line in err.splitlines() if str(pred) in line]) == 1, err  # said once
