"""Normalisation rules, their idempotence, and paragraph segmentation."""

from hypothesis import given, settings
from hypothesis import strategies as st

from chronique.text.normalize import normalize_text, segment_paragraphs

from conftest import PROJECT, SEED_NAME

# Text made of the characters the rules are about, plus ordinary and combining letters.
_ALPHABET = st.sampled_from(list("ab É\u0301e\n\r\t\u00a0\u202f\u200b\u200d\ufeff\u00ad\u2028«»’'.")) | st.characters()


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_normalising_twice_changes_nothing(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_output_has_only_plain_spaces_and_paragraph_breaks(text):
    out = normalize_text(text)
    assert "\r" not in out and "\t" not in out and "  " not in out
    assert "\u00a0" not in out and "\u202f" not in out and "\u200b" not in out
    assert out == out.strip()
    assert all(block and block == block.strip() and "\n" not in block for block in out.split("\n\n")) or out == ""


def test_rules_on_a_small_example():
    raw = "  Le\u00a0président\u202f:  «\u200bbonjour»\r\nsuite\r\n\r\n\r\nDeuxième\tparagraphe’s  "
    assert normalize_text(raw) == "Le président : «bonjour» suite\n\nDeuxième paragraphe’s"


def test_nfc_composes_accents():
    assert normalize_text("e\u0301te\u0301") == "été"


def test_typographic_quotes_are_kept():
    assert normalize_text("“l’OSCE” «Kremlin»") == "“l’OSCE” «Kremlin»"


def test_seed_paragraphs_and_heading():
    raw = (PROJECT / "raw" / SEED_NAME).read_text("utf-8")
    text = normalize_text(raw.strip()[len("date 2020-11 "):])
    paragraphs = segment_paragraphs(text)
    kinds = [p.kind for p in paragraphs]
    assert len(paragraphs) == 7
    assert kinds.count("heading") == 1
    heading = paragraphs[kinds.index("heading")]
    assert text[heading.start:heading.end] == "La lutte contre le terrorisme"
    assert all(text[p.start:p.end] == text[p.start:p.end].strip() for p in paragraphs)
