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
