"""French tokenisation and sentence segmentation, on the seed's tricky cases and as properties."""

from hypothesis import given, settings
from hypothesis import strategies as st

from chronique.text.normalize import normalize_text, segment_paragraphs
from chronique.text.segment import segment_sentences, tokenize


def words(text, boundaries=()):
    return [text[s.start:s.end] for s in tokenize(text, boundaries=boundaries)]


def test_elision_is_split_off():
    assert words("par l'Azerbaïdjan et l'Arménie") == ["par", "l'", "Azerbaïdjan", "et", "l'", "Arménie"]
    assert words("d’un accord qu'il jusqu'à") == ["d’", "un", "accord", "qu'", "il", "jusqu'", "à"]


def test_hyphenated_names_stay_whole():
    assert words("le Haut-Karabagh, avec les Etats-Unis.") == ["le", "Haut-Karabagh", ",", "avec", "les", "Etats-Unis", "."]


def test_guillemets_are_tokens():
    assert words("«Vladimir Poutine a parlé» stabilisée»,") == ["«", "Vladimir", "Poutine", "a", "parlé", "»", "stabilisée", "»", ","]


def test_aujourdhui_abbreviations_and_numbers():
    assert words("Aujourd'hui M. Dupont a payé 1,5 million, etc. aux U.S.A.") == [
        "Aujourd'hui", "M.", "Dupont", "a", "payé", "1,5", "million", ",", "etc.", "aux", "U.S.A."]


def test_boundaries_split_a_token():
    assert words("Franco-russe", boundaries=[6]) == ["Franco", "-russe"]
    assert words("Kremlin", boundaries=[0, 7]) == ["Kremlin"]


def test_sentences_of_the_seed():
    raw = open(__file__.replace("tests/test_tokenize.py", "raw/000_ba88b6aa48263bfe.txt"), encoding="utf-8").read()
    text = normalize_text(raw.strip()[len("date 2020-11 "):])
    sentences = segment_sentences(text, segment_paragraphs(text))
    texts = [text[s.start:s.end] for s in sentences]
    assert len(texts) == 10
    assert texts[3].startswith("«Vladimir Poutine a parlé")
    assert texts[4].startswith("Il a également évoqué")
    assert "La lutte contre le terrorisme" in texts
    assert texts[-1].endswith("selon le Kremlin.")


def test_no_sentence_break_inside_an_annotated_span():
    text = "Il a vu M. Dupont. Puis il est parti."
    plain = segment_sentences(text, segment_paragraphs(text))
    assert len(plain) == 2
    span = (text.index("Dupont"), text.index("Puis") + 4)
    merged = segment_sentences(text, segment_paragraphs(text), [span])
    assert len(merged) == 1


_TEXT = st.text(alphabet=st.sampled_from(list("aéZ1 -'’.,«»!?\n")), max_size=60)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.lists(st.integers(min_value=0, max_value=60), max_size=4))
def test_tokens_cover_every_non_space_character_once(text, cuts):
    cuts = [c for c in cuts if c <= len(text)]
    tokens = tokenize(text, boundaries=cuts)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert "".join(text[t.start:t.end] for t in tokens) == "".join(text.split())
    edges = {t.start for t in tokens} | {t.end for t in tokens}
    assert all(c in edges for c in cuts if text[c - 1:c].strip() and text[c:c + 1].strip())


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.data())
def test_span_to_tokens_to_span_is_identity(text, data):
    text = normalize_text(text)
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    if not text[start].strip() or not text[end - 1].strip():
        return
    sentences = segment_sentences(text, segment_paragraphs(text), [(start, end)])
    tokens = [t for s in sentences for t in s.tokens if start <= t.start and t.end <= end]
    assert (tokens[0].start, tokens[-1].end) == (start, end)


# --- the columnar segmentation against the rules applied one match at a time -----------------

import json  # noqa: E402

import pyarrow.parquet as pq  # noqa: E402
import pytest  # noqa: E402

import segmentation_oracle as oracle  # noqa: E402
from chronique.text import segment as columnar  # noqa: E402
from conftest import PROJECT, external  # noqa: E402


def assert_same_as_oracle(text, annotated=()):
    paragraphs = segment_paragraphs(text)
    annotated = [(a, b) for a, b in annotated if 0 <= a < b <= len(text)]
    segmentation = columnar.segment(text, paragraphs, annotated)
    expected = oracle.sentences(text, paragraphs, annotated)
    got = [(s.start, s.end, [tuple(t) for t in s.tokens]) for s in segmentation.sentences()]
    assert got == expected
    assert segmentation.token_texts == [text[a:b] for _, _, spans in expected for a, b in spans]
    assert list(segmentation.forced) == oracle.forced_cuts(text, paragraphs, annotated)


def test_the_released_corpus_is_segmented_as_the_rules_say():
    table = pq.read_table(PROJECT / "releases" / "1.0.0" / "data" / "documents", columns=["text", "mentions", "stances"])
    rows = table.to_pylist()
    assert len(rows) == 149
    for row in rows:
        spans = [(m["start"], m["end"]) for m in row["mentions"]]
        spans += [(q["start"], q["end"]) for s in row["stances"] for q in s["evidence"]]
        assert_same_as_oracle(row["text"], spans)


def test_real_historical_french_is_segmented_as_the_rules_say():
    """OCR'd newspapers of the 19th and 20th centuries: stray capitals, digits and marks everywhere."""
    lines = external("raw_fr_hist_news/fr_hist_news_raw.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        text = normalize_text(json.loads(line)["text"])
        cuts = list(range(7, len(text), 97))  # edges of made-up spans, many inside words
        assert_same_as_oracle(text, list(zip(cuts[::2], cuts[1::2])))


_PIECES = [*"aeéZMmlLqQuU1290 \n\t\u00a0\u202f-‐'’.,;:!?…«»“”\"()[]—–_Sd", "M.", "Mme", "etc.", "aujourd'hui", "U.S.",
           "qu'", "jusqu’", "3.000", "\n\n"]
_RICH = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(_RICH, st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=5))
def test_any_text_is_segmented_as_the_rules_say(raw, spans):
    text = normalize_text(raw)
    assert_same_as_oracle(text, [(a, a + n) for a, n in spans])


def test_tokenize_matches_the_rules_on_a_range_with_boundaries():
    text = "Hier, M. Dupont-Durand a vu l'OSCE... Aujourd'hui? 3.000 U.S.A. «Non»!"
    assert [tuple(t) for t in tokenize(text, 6, 60, boundaries=[10, 17, 31])] == oracle.tokens(text, 6, 60, [10, 17, 31])


def test_the_piece_memo_forgetting_changes_nothing(monkeypatch):
    text = normalize_text(open(PROJECT / "raw" / "000_ba88b6aa48263bfe.txt", encoding="utf-8").read())
    before = [tuple(t) for t in tokenize(text)]
    monkeypatch.setattr(columnar, "PIECE_MEMO_LIMIT", 3)
    columnar._PIECES.clear()
    assert [tuple(t) for t in tokenize(text)] == before
    assert len(columnar._PIECES) <= 3
    columnar._PIECES.clear()


@pytest.mark.parametrize("text", ["", " \n\n ", "…", "a"])
def test_degenerate_texts(text):
    assert_same_as_oracle(normalize_text(text))


def test_segmenting_texts_together_is_segmenting_each_alone():
    texts = [normalize_text(t) for t in ("", "Il a vu M. Dupont. Puis il est parti.", "«Non!» dit-il.\n\nAujourd'hui?",
                                         " ", "Fin... Début d'un autre. X")]
    spans = [[], [(8, 17)], [(1, 4), (19, 27)], [], [(0, 3), (18, 22)]]
    items = [(text, segment_paragraphs(text), s) for text, s in zip(texts, spans)]
    together = columnar.segment_many(items)
    for (text, paragraphs, s), batch in zip(items, together):
        alone = columnar.segment(text, paragraphs, s)
        assert batch.sentences() == alone.sentences()
        assert batch.token_texts == alone.token_texts and batch.forced == alone.forced
    assert together[2].forced == (19,)  # "Aujourd'hui" cut where the span starts: forced in its own text's offsets
