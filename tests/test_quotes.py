"""Quote drafts: hand annotation by quotation anchors to the same offsets as the seed's gold file."""

import json

import pytest

from chronique.errors import FindingLog
from chronique.interop.quotes import draft_to_record, find_quote, numbered_paragraphs, quote_pattern
from chronique.text.normalize import normalize_text
from chronique.store.raw_files import RawFile
from chronique.store.readers import read_txt

from conftest import PROJECT, SEED_ID, SEED_NAME

GOLD = json.loads((PROJECT / "annotations" / f"{SEED_ID}.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def text():
    [article] = read_txt(RawFile.local(PROJECT / "raw" / SEED_NAME, PROJECT), log=FindingLog())
    return normalize_text(article.body)


def paragraph_of(text, start):
    return next(n for n, s, e in numbered_paragraphs(text) if s <= start < e)


def seed_draft(text):
    """The seed's gold annotation rewritten as a quote draft: paragraph numbers and words, no offsets."""
    mentions = sorted(GOLD["mentions"], key=lambda m: (m["start"], -m["end"]))
    return {
        "doc_id": SEED_ID, "annotator": "chronique-a1", "entities": GOLD["entities"],
        "mentions": [{"p": paragraph_of(text, m["start"]), "exact": m["exact"], "entity": m["entity_id"],
                      "metonymic": m["metonymic"]} for m in mentions],
        "stances": [{**{k: s[k] for k in ("holder", "target", "target_kind", "polarity", "scope", "reported")},
                     "evidence": [{"p": paragraph_of(text, q["start"]), "exact": q["exact"]} for q in s["evidence"]]}
                    for s in GOLD["stances"]],
    }


def convert(draft, text, log):
    raw = json.dumps(draft, ensure_ascii=False, indent=1)
    return draft_to_record(draft, text=text, text_sha256=GOLD["text_sha256"], path="draft.json", raw=raw, log=log,
                           provenance=GOLD["provenance"])


def test_the_seed_as_a_quote_draft_anchors_to_its_gold_offsets(text):
    log = FindingLog()
    record = convert(seed_draft(text), text, log)
    assert not log.errors
    assert record["mentions"] == GOLD["mentions"]
    assert record["entities"] == GOLD["entities"]
    key = lambda s: (s["holder"], s["target"], s["polarity"], [q["start"] for q in s["evidence"]])
    assert sorted(map(key, record["stances"])) == sorted(map(key, GOLD["stances"]))


def test_a_missing_quote_is_a_located_finding_and_nothing_is_returned(text):
    draft = seed_draft(text)
    draft["mentions"][3]["exact"] = "Vladimir Poutin"  # cut inside a word: must not match
    log = FindingLog()
    assert convert(draft, text, log) is None
    [finding] = log.errors
    assert finding.check_id == "quotes.not-found" and finding.path == "draft.json" and finding.line is not None


def test_typography_varies_but_the_match_is_exact_in_the_text():
    text = "Il l’a dit : « non » ; Saint-Denis."
    assert find_quote(text, "l'a dit: «non»", 0, len(text)) == (3, 20)
    assert find_quote(text, "Saint-Denis", 0, len(text)) == (23, 34)
    assert quote_pattern("Paris").search("Parisiens") is None


def test_repeated_words_take_the_next_occurrence_and_n_skips():
    text = "Paris et Paris et Paris"
    assert find_quote(text, "Paris", 0, len(text), skip=[(0, 5)]) == (9, 14)
    assert find_quote(text, "Paris", 0, len(text), nth=3) == (18, 23)


def test_an_annotation_exported_as_a_draft_anchors_back_to_itself(text):
    from chronique.interop.quotes import record_to_draft

    draft = record_to_draft(GOLD, text)
    assert draft["provenance"] == GOLD["provenance"] and "n" not in draft["mentions"][0]
    log = FindingLog()
    record = convert(draft, text, log)
    assert not log.errors and record["mentions"] == GOLD["mentions"] and record["entities"] == GOLD["entities"]


def test_a_later_occurrence_is_exported_with_its_rank():
    from chronique.interop.quotes import record_to_draft

    text = "Paris et Lyon, puis Paris."
    mention = {"id": "m1", "start": 20, "end": 25, "exact": "Paris", "prefix": "", "suffix": "", "type": "GPE",
               "entity_id": "e1", "parent_id": None, "metonymic": False}
    record = {"doc_id": "d", "provenance": {"annotators": ["a"]}, "mentions": [mention],
              "entities": [{"id": "e1", "name": "Paris", "type": "GPE", "qid": None}], "stances": []}
    assert record_to_draft(record, text)["mentions"] == [{"p": 1, "exact": "Paris", "entity": "e1", "n": 2}]


def _set_mention(index, **fields):
    return lambda draft: draft["mentions"][index].update(fields)


@pytest.mark.parametrize("check_id, change", [
    ("quotes.format", lambda draft: draft.update(mentions={"p": 1})),
    ("quotes.entity", lambda draft: draft.update(entities="e1")),
    ("quotes.entity", _set_mention(0, entity="no-such-entity")),
    ("quotes.mention", lambda draft: draft["mentions"].__setitem__(0, "Moscou")),
    ("quotes.stance", lambda draft: draft["stances"][0].pop("polarity")),
    ("quotes.stance", lambda draft: draft["stances"][0].update(evidence=[])),
    ("quotes.paragraph", _set_mention(0, p=999)),
    ("quotes.n", _set_mention(0, n=0)),
])
def test_a_malformed_draft_is_refused_with_a_located_finding(text, check_id, change):
    draft = seed_draft(text)
    change(draft)
    log = FindingLog()
    assert convert(draft, text, log) is None
    assert {f.check_id for f in log.errors} == {check_id}
    assert all(f.path == "draft.json" and f.line is not None for f in log.errors)
