"""The annotation layer: schema round trips, merging into the configs, IOB2 derivation."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from datasets import load_dataset

from chronique.store.annotations import annotation_from_dict, annotation_to_dict, dumps_annotation, quote, read_annotation
from chronique.errors import FindingLog
from chronique.pipeline import build
from chronique.store.records import Mention, Sentence, Span
from chronique.run.rows import iob2_tags, outermost

from conftest import PROJECT, SEED_ID, seed_only_repo


@pytest.fixture(scope="module")
def seed_release(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed")
    result = build(seed_only_repo(root), releases=root / "releases", update_registry=False)
    cache = str(root / "cache")
    return {config: load_dataset(str(result.path), config, split="train", cache_dir=cache) for config in ("documents", "ner", "stance")}


def test_seed_file_round_trips_byte_for_byte():
    path = PROJECT / "annotations" / f"{SEED_ID}.json"
    log = FindingLog()
    annotation = read_annotation(path, root=PROJECT, log=log)
    assert not log.findings
    assert dumps_annotation(annotation_to_dict(annotation)) == path.read_text("utf-8")
    assert annotation_from_dict(annotation_to_dict(annotation), annotation.path) == annotation


def test_file_layout_is_one_item_per_line():
    lines = (PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8").splitlines()
    data = json.loads("\n".join(lines))
    mention_lines = [line for line in lines if line.lstrip().startswith('{"id": "m')]
    assert len(mention_lines) == len(data["mentions"])
    assert list(data) == ["schema_version", "doc_id", "text_sha256", "provenance", "mentions", "entities", "stances"]


def test_schema_errors_are_located(tmp_path):
    path = tmp_path / "annotations" / f"{SEED_ID}.json"
    path.parent.mkdir()
    data = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))
    data["mentions"][2]["type"] = "PERSON"
    data["entities"][0]["qid"] = "Q-12"
    del data["mentions"][3]["metonymic"]
    path.write_text(dumps_annotation(data), encoding="utf-8")
    log = FindingLog()
    assert read_annotation(path, root=tmp_path, log=log) is None
    located = {(f.check_id, f.line) for f in log.findings}
    first_entity_line = 6 + len(data["mentions"]) + 3  # "mentions": [ … ], then "entities": [
    assert located == {("L3.type.unknown", 9), ("L1.annotation.schema", 10), ("L3.entity.qid", first_entity_line)}
    assert any("'PERSON' is not one of" in f.message for f in log.findings)


def test_documents_config_carries_mentions_entities_and_stances(seed_release):
    [row] = seed_release["documents"]
    data = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))
    assert len(row["mentions"]) == len(data["mentions"]) and len(row["entities"]) == len(data["entities"])
    assert len(row["stances"]) == len(data["stances"]) and row["annotation_status"] == "gold"
    nested = [m for m in row["mentions"] if m["parent_id"]]
    assert {m["text"] for m in nested} >= {"OSCE"}
    assert all(row["text"][m["start"]:m["end"]] == m["text"] for m in row["mentions"])
    kremlin = [m for m in row["mentions"] if m["text"] == "Kremlin"]
    assert kremlin and all(m["metonymic"] and m["type"] == "FAC" and m["coarse_type"] == "LOC" for m in kremlin)


def tagged(ner, text_tokens):
    """Fine and coarse tag names of the first run of tokens equal to ``text_tokens``."""
    fine = ner.features["ner_tags"].feature.names
    coarse = ner.features["coarse_ner_tags"].feature.names
    for row in ner:
        tokens = row["tokens"]
        for i in range(len(tokens) - len(text_tokens) + 1):
            if tokens[i:i + len(text_tokens)] == text_tokens:
                span = slice(i, i + len(text_tokens))
                return [fine[t] for t in row["ner_tags"][span]], [coarse[t] for t in row["coarse_ner_tags"][span]]
    raise AssertionError(f"{text_tokens} not found")


def test_hand_written_iob2_expectations_on_the_seed(seed_release):
    ner = seed_release["ner"]
    assert tagged(ner, ["Groupe", "de", "Minsk", "de", "l'", "OSCE"]) == (
        ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG"], ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG"])
    assert tagged(ner, ["président", "français", "Emmanuel", "Macron"]) == (
        ["O", "B-NORP", "B-PER", "I-PER"], ["O", "B-MISC", "B-PER", "I-PER"])
    assert tagged(ner, ["par", "l'", "Azerbaïdjan"]) == (["O", "O", "B-GPE"], ["O", "O", "B-LOC"])
    assert tagged(ner, ["les", "11", "et", "12", "novembre"]) == (["O", "B-DATE", "I-DATE", "I-DATE", "I-DATE"], ["O"] * 5)
    assert tagged(ner, ["presse", "du", "Kremlin"]) == (["O", "O", "B-FAC"], ["O", "O", "B-LOC"])
    assert tagged(ner, ["corridor", "de", "Latchin"]) == (["B-LOC", "I-LOC", "I-LOC"], ["B-LOC", "I-LOC", "I-LOC"])
    assert tagged(ner, ["Paris", "et", "Moscou"]) == (["B-GPE", "O", "B-GPE"], ["B-LOC", "O", "B-LOC"])


def test_every_sentence_has_one_tag_per_token(seed_release):
    for row in seed_release["ner"]:
        assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["coarse_ner_tags"]) == len(row["token_offsets"])


def test_stance_config_has_one_row_per_record_with_names(seed_release):
    stance = seed_release["stance"]
    data = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))
    assert stance.num_rows == len(data["stances"])
    names = {e["id"]: e["name"] for e in data["entities"]}
    for row, record in zip(stance, data["stances"]):
        assert row["holder"] == ("AUTHOR" if record["holder"] == "AUTHOR" else names[record["holder"]])
        assert row["target"] == (names[record["target"]] if record["target_kind"] == "entity" else record["target"])
        assert stance.features["label"].int2str(row["label"]) == record["polarity"]
        assert all(e["text"] in row["text"] for e in row["evidence"])


def mention(mid, start, end, type_, parent=None):
    return Mention(mid, quote("x" * 40, start, end), type_, None, parent, False)


def test_iob2_for_nested_and_adjacent_mentions():
    tokens = tuple(Span(i * 2, i * 2 + 1) for i in range(6))  # six one-letter tokens
    sentence = Sentence(0, 11, tokens)
    outer = mention("m1", 0, 5, "ORG")            # tokens 0-2
    inner = mention("m2", 4, 5, "ORG", "m1")     # token 2, nested: not tagged
    left = mention("m3", 6, 7, "PER")            # token 3
    right = mention("m4", 8, 11, "GPE")          # tokens 4-5, adjacent to m3
    fine, coarse = iob2_tags(sentence, outermost((outer, inner, left, right)))
    assert fine == ["B-ORG", "I-ORG", "I-ORG", "B-PER", "B-GPE", "I-GPE"]
    assert coarse == ["B-ORG", "I-ORG", "I-ORG", "B-PER", "B-LOC", "I-LOC"]


def test_date_mentions_are_outside_the_coarse_tags():
    sentence = Sentence(0, 3, (Span(0, 1), Span(2, 3)))
    fine, coarse = iob2_tags(sentence, [mention("m1", 0, 3, "DATE")])
    assert fine == ["B-DATE", "I-DATE"] and coarse == ["O", "O"]


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 10_000), st.text(max_size=40), st.lists(st.integers(), max_size=2),
                  st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_compiled_schema_check_agrees_with_the_reference_validator(data):
    import fastjsonschema

    from chronique.store.annotations import _compiled, _validator

    record = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        containers = [record] + [record[k] for k in ("provenance",) if isinstance(record.get(k), dict)]
        containers += [item for k in ("mentions", "entities", "stances") if isinstance(record.get(k), list)
                       for item in record[k] if isinstance(item, dict)]
        target = data.draw(st.sampled_from(containers))
        field = data.draw(st.sampled_from(sorted(target) + ["extra"]))
        if data.draw(st.booleans()) and field in target:
            del target[field]
        else:
            target[field] = data.draw(_JUNK)
    reference_valid = _validator().is_valid(record)
    try:
        _compiled()(record)
        compiled_valid = True
    except fastjsonschema.JsonSchemaException:
        compiled_valid = False
    assert compiled_valid == reference_valid


def _mutations(value, path=()):
    """Copies of a parsed annotation file with one value spoilt, dropped or added, at every place in it."""
    import copy

    spoilers = (None, 1, -1, 1.5, "", "x\n", "Q0", [], {}, True)
    if isinstance(value, dict):
        for key in list(value):
            for spoiled in spoilers:
                yield path + (key,), {**value, key: spoiled}
            yield path + (key,), {k: v for k, v in value.items() if k != key}
            for inner_path, inner in _mutations(value[key], path + (key,)):
                yield inner_path, {**value, key: inner}
        yield path + ("extra",), {**value, "extra": 1}
    elif isinstance(value, list) and value:
        for inner_path, inner in _mutations(value[0], path + (0,)):
            yield inner_path, [inner, *copy.deepcopy(value[1:])]
        yield path + ("dup",), [*value, value[0]]


def test_the_native_schema_check_never_accepts_what_the_python_ones_refuse():
    """The build asks jsonschema-rs first, and fastjsonschema (the verdict the build has always followed)
    only when it refuses: so the native check must never accept what fastjsonschema refuses."""
    import fastjsonschema

    from chronique.store.annotations import _compiled, _native, schema_errors

    record = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text(encoding="utf-8"))
    record["mentions"], record["stances"], record["entities"] = record["mentions"][:2], record["stances"][:1], record["entities"][:2]
    checked = refused = 0
    for where, spoiled in _mutations(record):
        try:
            _compiled()(spoiled)
            python_valid = True
        except fastjsonschema.JsonSchemaException:
            python_valid = False
        if _native().is_valid(spoiled):
            assert python_valid, f"jsonschema-rs accepts what the schema refuses at {where}"
        assert (not schema_errors(spoiled)) == python_valid, where
        checked += 1
        refused += not python_valid
    assert checked > 400 and refused > 250
