"""CoNLL-2003 and HIPE-2022: tag decoding, readers on real files, exporters, and round trips on the seed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from chronique.errors import FindingLog, UsageError
from chronique.interop.base import LabelMapping
from chronique.interop.convert import to_annotation
from chronique.interop.conll import export_conll, read_conll
from chronique.interop.hipe import export_hipe, read_hipe
from chronique.interop.registry import importer
from chronique.interop.tokens import TokenAlignmentError, align_tokens, realign
from chronique.schema import COARSE_OF_FINE, COARSE_NER_LABELS, FINE_NER_LABELS
from chronique.text.tags import TagSpan, parse_tag, spans_from_tags, tags_from_spans
from conftest import external

HIPE_GOLD = "hipe2022_newseye_fr/gold"
ENP = "enp_fr_bnf/enp_FR.bnf.bio"


# --- tags ↔ spans ---------------------------------------------------------------------


def spans(*triples: tuple[int, int, str]) -> list[TagSpan]:
    return [TagSpan(*t) for t in triples]


@pytest.mark.parametrize("scheme, tags, expected", [
    # I-X without a preceding B-X/I-X starts an entity (conlleval and the HIPE scorer agree)
    ("iob2", ["I-PER", "I-PER", "O"], spans((0, 2, "PER"))),
    ("iob2", ["O", "I-PER"], spans((1, 2, "PER"))),
    # I-X after I-Y or B-Y starts X
    ("iob2", ["B-PER", "I-LOC", "I-LOC"], spans((0, 1, "PER"), (1, 3, "LOC"))),
    ("iob2", ["I-PER", "I-LOC"], spans((0, 1, "PER"), (1, 2, "LOC"))),
    ("iob2", ["B-PER", "B-PER", "I-PER"], spans((0, 1, "PER"), (1, 3, "PER"))),
    # IOB1: B- only separates adjacent entities of the same type
    ("iob1", ["I-PER", "I-PER", "B-PER", "O", "I-LOC"], spans((0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC"))),
    ("iob1", ["I-PER", "I-ORG"], spans((0, 1, "PER"), (1, 2, "ORG"))),
    # IOBES: a stray E-/S- is a one-token entity; an unclosed B- ends at the next O
    ("iobes", ["B-PER", "E-PER", "S-LOC"], spans((0, 2, "PER"), (2, 3, "LOC"))),
    ("iobes", ["O", "E-PER", "I-PER"], spans((1, 2, "PER"), (2, 3, "PER"))),
    ("iobes", ["B-PER", "O", "B-ORG", "I-ORG"], spans((0, 1, "PER"), (2, 4, "ORG"))),
    ("iobes", ["B-PER", "E-LOC"], spans((0, 1, "PER"), (1, 2, "LOC"))),
])
def test_ill_formed_sequences_follow_the_scorers(scheme, tags, expected):
    assert spans_from_tags(tags, scheme) == expected


@pytest.mark.parametrize("tag, scheme", [("E-PER", "iob2"), ("PER", "iob2"), ("B-", "iob1"), ("X-PER", "iobes"),
                                         ("BI-PER", "iob2"), ("", "iob2")])
def test_parse_tag_refuses_what_the_scheme_does_not_allow(tag, scheme):
    with pytest.raises(ValueError, match="neither O nor"):
        parse_tag(tag, scheme)


def test_an_unknown_scheme_is_a_usage_error():
    with pytest.raises(UsageError, match="iob2, iob1, iobes"):
        spans_from_tags(["O"], "bilou")


def test_iob1_encoding_writes_b_only_between_adjacent_same_type_entities():
    assert tags_from_spans(spans((0, 2, "PER"), (2, 3, "PER"), (3, 4, "LOC"), (5, 6, "LOC")), 6, "iob1") == [
        "I-PER", "I-PER", "B-PER", "I-LOC", "O", "I-LOC"]


def test_overlapping_spans_cannot_be_tagged():
    with pytest.raises(ValueError, match="overlaps"):
        tags_from_spans(spans((0, 2, "PER"), (1, 3, "LOC")), 3)


_chunks = st.lists(st.one_of(st.none(), st.tuples(st.sampled_from(["PER", "LOC", "ORG"]), st.integers(1, 4))),
                   max_size=12)


def _from_chunks(chunks) -> tuple[list[TagSpan], int]:
    result, position = [], 0
    for chunk in chunks:
        if chunk is None:
            position += 1
        else:
            label, size = chunk
            result.append(TagSpan(position, position + size, label))
            position += size
    return result, position


@given(_chunks)
def test_well_formed_iob2_tags_survive_spans_and_back(chunks):
    tags = tags_from_spans(*_from_chunks(chunks))
    assert tags_from_spans(spans_from_tags(tags), len(tags)) == tags


@given(_chunks, st.sampled_from(["iob2", "iob1", "iobes"]))
def test_spans_survive_tags_and_back_in_every_scheme(chunks, scheme):
    entities, length = _from_chunks(chunks)
    assert spans_from_tags(tags_from_spans(entities, length, scheme), scheme) == entities


@given(st.lists(st.sampled_from(["O", "B-PER", "I-PER", "I-LOC", "B-LOC"]), max_size=15))
def test_decoding_any_sequence_gives_spans_that_re_encode_faithfully(tags):
    decoded = spans_from_tags(tags)
    for scheme in ("iob2", "iob1", "iobes"):
        assert spans_from_tags(tags_from_spans(decoded, len(tags), scheme), scheme) == decoded


# --- reading CoNLL --------------------------------------------------------------------


CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_read_conll_2003_documents_sentences_and_spans(tmp_path):
    path = tmp_path / "sample.conll"
    path.write_text(CONLL_2003, encoding="utf-8")
    log = FindingLog()
    first, second = read_conll(path, log=log)
    assert first.doc_id == "sample-1" and second.doc_id == "sample-2"
    assert first.text == "EU rejects German call .\nPeter Blackburn"
    assert [(s.label, s.text) for s in first.spans] == [("ORG", "EU"), ("MISC", "German"), ("PER", "Peter Blackburn")]
    assert [(s.start, s.end, s.line) for s in first.spans] == [(0, 2, 3), (11, 17, 5), (25, 40, 9)]
    assert second.text == "BRUSSELS" and second.spans[0].label == "LOC" and not log.findings


def test_read_conll_doc_ids_comments_and_malformed_lines(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("# doc_id = alpha\n-DOCSTART-\nLe O\nKremlin\tB-ORG\nParis LOC\n\n-DOCSTART- beta\n"
                    "# a comment\n# O\nI-PER I-PER\nlonely\n", encoding="utf-8")
    log = FindingLog()
    alpha, beta = read_conll(path, log=log)
    assert (alpha.doc_id, alpha.text, alpha.line) == ("alpha", "Le Kremlin Paris", 1)
    assert [(s.label, s.text) for s in alpha.spans] == [("ORG", "Kremlin")]  # 'LOC' is no tag: read as O
    assert (beta.doc_id, beta.text) == ("beta", "# I-PER")  # '# O' is the token '#'
    assert [(s.label, s.text) for s in beta.spans] == [("PER", "I-PER")]
    assert [str(f).split(": [")[0] + " " + f.check_id for f in log] == [
        f"{path}:5 import.conll.tag", f"{path}:11 import.conll.columns"]


def test_read_conll_reports_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.conll"
    path.write_bytes("Le O\nPré B-LOC\n".encode("latin-1"))
    log = FindingLog()
    assert list(read_conll(path, log=log)) == []
    assert [(f.check_id, f.line) for f in log] == [("import.file.encoding", 2)]


def test_iob1_round_trip_on_a_small_case(tmp_path):
    tokens = ["Jean", "Dupont", "Marie", "Curie", "à", "Paris", "Berlin", "."]
    entities = spans((0, 2, "PER"), (2, 4, "PER"), (5, 6, "LOC"), (6, 7, "LOC"))
    tags = tags_from_spans(entities, len(tokens), "iob1")
    assert tags == ["I-PER", "I-PER", "B-PER", "I-PER", "O", "I-LOC", "B-LOC", "O"]
    path = tmp_path / "small.bio"
    path.write_text("".join(f"{t} {g}\n" for t, g in zip(tokens, tags)), encoding="utf-8")
    (document,) = importer("conll-iob1")(path, log=FindingLog())
    assert [(s.text, s.label) for s in document.spans] == [("Jean Dupont", "PER"), ("Marie Curie", "PER"),
                                                           ("Paris", "LOC"), ("Berlin", "LOC")]


def _independent_entity_count(tags: list[str]) -> Counter:
    """Entity starts counted straight from the tags: every B-, and every I- that does not continue its type."""
    counts, previous = Counter(), "O"
    for tag in tags:
        if tag.startswith("B-") or (tag.startswith("I-") and previous[2:] != tag[2:]):
            counts[tag[2:]] += 1
        previous = tag
    return counts


def test_enp_iob1_file_is_read_as_one_token_stream():
    path = external(ENP)
    lines = path.read_text(encoding="utf-8").splitlines()
    log = FindingLog()
    (document,) = read_conll(path, log=log, scheme="iob1")
    assert document.doc_id == "enp_FR.bnf-1" and not log.findings
    assert len(document.text.split(" ")) == len(lines) == 205_916
    expected = _independent_entity_count([line.split(" ")[1] for line in lines])
    assert Counter(s.label for s in document.spans) == expected == {"PER": 4271, "LOC": 4226, "ORG": 1339}
    assert all(document.text[s.start : s.end] == s.text and s.text.strip() == s.text for s in document.spans)


# --- reading HIPE ---------------------------------------------------------------------

HEADER = "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\tNE-NESTED\tNEL-LIT\tNEL-METO\tMISC"


def hipe_line(token: str, coarse: str = "O", meto: str = "_", nel: str = "_", misc: str = "_") -> str:
    return "\t".join([token, coarse, meto, "O", "_", "_", "O", nel, "_", misc])


def test_read_hipe_text_spans_metonymy_qids_and_findings(tmp_path):
    lines = [HEADER, "# hipe2022:document_id = d1", "# hipe2022:date = 1923-01-15", "# segment_iiif_link = _",
             hipe_line("M", "B-PER", nel="Q2960618", misc="NoSpaceAfter"), hipe_line(".", "I-PER", nel="Q2960618"),
             hipe_line("Lasteyrie", "I-PER", nel="Q2960618", misc="EndOfLine"),
             hipe_line("à"), hipe_line("Paris", "B-LOC", "B-ORG", "Q90", "NoSpaceAfter"), hipe_line(","),
             hipe_line("#mma", "B-PER", nel="Q-1"), "a\tb", "",
             "# hipe2022:document_id = d2", hipe_line("Rome", "I-LOC", nel="NIL")]
    path = tmp_path / "sample.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = FindingLog()
    d1, d2 = read_hipe(path, log=log)
    assert (d1.doc_id, d1.date, d1.line, d1.text) == ("d1", "1923-01-15", 2, "M. Lasteyrie\nà Paris, #mma")
    assert [(s.text, s.label, s.metonymic, s.qid, s.line) for s in d1.spans] == [
        ("M. Lasteyrie", "PER", False, "Q2960618", 5), ("Paris", "LOC", True, "Q90", 9), ("#mma", "PER", False, None, 11)]
    assert (d2.doc_id, d2.date, [(s.text, s.qid) for s in d2.spans]) == ("d2", None, [("Rome", "NIL")])
    assert [(f.check_id, f.line) for f in log] == [("import.hipe.qid", 11), ("import.hipe.columns", 12)]


def test_read_hipe_without_the_column_is_a_finding(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("TOKEN\tMISC\nLe\t_\n", encoding="utf-8")
    log = FindingLog()
    assert list(read_hipe(path, log=log)) == []
    assert [(f.check_id, f.line) for f in log] == [("import.hipe.header", 1)]


def test_a_hipe_tag_that_is_not_iob2_is_read_as_o(tmp_path):
    path = tmp_path / "tags.tsv"
    path.write_text("\n".join([HEADER, hipe_line("Le"), hipe_line("Havre", "E-LOC"), hipe_line("Paris", "B-LOC")]) + "\n",
                    encoding="utf-8")
    log = FindingLog()
    [document] = read_hipe(path, log=log)
    assert [s.text for s in document.spans] == ["Paris"]
    assert [(f.check_id, f.severity, f.line) for f in log] == [("import.hipe.tag", "error", 3)]


def _hipe_gold_files() -> list[Path]:
    files = sorted(external(HIPE_GOLD).glob("*.tsv"))
    if not files:
        pytest.skip(f"no HIPE TSV file in {external(HIPE_GOLD)}")
    return files


def _independent_hipe_counts(path: Path, column: str) -> tuple[int, list[str], Counter]:
    """Documents, dates and entity counts straight from the lines, without the reader."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    documents = [line.split("=", 1)[1].strip() for line in lines if line.startswith("# hipe2022:document_id")]
    dates = [line.split("=", 1)[1].strip() for line in lines if line.startswith("# hipe2022:date")]
    counts, tags = Counter(), []
    for line in lines[1:] + ["# hipe2022:document_id = (end)"]:
        fields = line.split("\t")
        if line.startswith("# hipe2022:document_id"):
            counts += _independent_entity_count(tags)
            tags = []
        elif len(fields) == len(header):
            tags.append(fields[header.index(column)].replace("_", "O"))
    return len(documents), dates, counts


@pytest.mark.parametrize("column", ["NE-COARSE-LIT", "NE-FINE-LIT", "NE-NESTED"])
def test_hipe_gold_documents_dates_and_spans_per_type(column):
    for path in _hipe_gold_files():
        log = FindingLog()
        documents = list(read_hipe(path, log=log, column=column))
        expected_documents, dates, expected = _independent_hipe_counts(path, column)
        assert len(documents) == expected_documents == 35 and not log.findings
        assert [d.date or "NA" for d in documents] == dates  # HIPE writes NA for an unknown date
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d.date) for d in documents if d.date)
        assert sum(d.date is not None for d in documents) == sum(d != "NA" for d in dates) > 0
        if column.endswith("-LIT"):  # a literal column brings the NE-NESTED spans inside its own
            expected += _independent_hipe_counts(path, "NE-NESTED")[2]
            nested = [s for d in documents for s in d.spans if s.id.startswith("N")]
            containers = {(d.doc_id, s.id): s for d in documents for s in d.spans}
            parented = [s for s in nested if s.parent]
            # some NE-NESTED spans of the real files lie in no literal span (a B- restarts inside an entity):
            # they come in as outermost mentions; the others name the literal span that contains them
            assert (parented or column != "NE-COARSE-LIT") and all(containers[d.doc_id, s.parent].start <= s.start < s.end
                                    <= containers[d.doc_id, s.parent].end for d in documents for s in d.spans
                                    if s.id.startswith("N") and s.parent)
        assert Counter(s.label for d in documents for s in d.spans) == expected, path.name


def test_hipe_counts_agree_with_the_official_scorer():
    """Gold counts per type are the scorer's ``possible``; a real run, with ill-formed tag sequences, totals its ``actual``."""
    root = external("hipe2022_newseye_fr")
    gold, run = root / "gold/HIPE-2022-v2.1-newseye-test-fr.tsv", root / "runs/neurbsl_bundle3_newseye_fr_1.tsv"
    scores_path = root / "official_scores/neurbsl_bundle3_newseye_fr_1_nerc_coarse.json"
    if not (gold.exists() and run.exists() and scores_path.exists()):
        pytest.skip(f"the test gold file, run or official scores are absent from {root}")
    scores = json.loads(scores_path.read_text())["NE-COARSE-LIT"]["TIME-ALL"]["LED-ALL"]
    literal = lambda document: [s for s in document.spans if not s.id.startswith("N")]  # noqa: E731 (not NE-NESTED)
    gold_counts = Counter(s.label.upper() for d in read_hipe(gold, log=FindingLog()) for s in literal(d))
    assert gold_counts == {label: v["strict"]["possible"] for label, v in scores.items() if label != "ALL"}
    # per type, nervaluate books a wrong-type prediction under the gold type, so only the total compares
    run_total = sum(len(literal(d)) for d in read_hipe(run, log=FindingLog()))
    assert run_total == scores["ALL"]["strict"]["actual"] == 2699


# --- alignment ------------------------------------------------------------------------


def test_align_tokens_walks_the_text_and_names_the_divergence():
    assert align_tokens(["l'", "OSCE", "."], "l'OSCE.") == [(0, 2), (2, 6), (6, 7)]
    assert align_tokens(["a", "b"], " a\n\n b ") == [(1, 2), (5, 6)]
    with pytest.raises(TokenAlignmentError, match=r"token 1 'Moscou' is not at offset 6 .* 'Paris'"):
        align_tokens(["Vers", "Moscou"], "Vers  Paris")
    with pytest.raises(TokenAlignmentError, match="goes on after the last token"):
        align_tokens(["Vers"], "Vers Paris")


# --- exports and round trips on the seed ---------------------------------------------


@pytest.fixture(scope="module")
def seed(seed_rows) -> dict:
    return seed_rows


def _outermost(row: dict, coarse: bool = False) -> list[tuple]:
    """Gold outermost mentions as ``(start, end, type, metonymic, qid)``; coarse drops DATE."""
    qids = {e["id"]: e["qid"] for e in row["entities"]}
    result = []
    for m in sorted((m for m in row["mentions"] if m["parent_id"] is None), key=lambda m: (m["start"], -m["end"])):
        label = COARSE_OF_FINE[m["type"]] if coarse else m["type"]
        if label:
            result.append((m["start"], m["end"], label, m["metonymic"], qids[m["entity_id"]]))
    return result


def _imported(document, row: dict):
    """``to_annotation`` of a tool document realigned onto the seed's normalised text."""
    log = FindingLog()
    annotation, counts = to_annotation(realign(document, row["text"]), text=row["text"], text_sha256=row["text_sha256"],
                                       mapping=LabelMapping.identity(), log=log, tool="test", date="2026-01-01")
    assert not log.findings and counts.rejected == 0 and counts.imported == counts.seen == len(document.spans)
    return annotation


@pytest.mark.parametrize("coarse", [False, True])
@pytest.mark.parametrize("scheme", ["iob2", "iob1"])
def test_conll_round_trip_on_the_seed(seed, tmp_path, coarse, scheme):
    (row,) = seed["documents"]
    (path,) = export_conll(seed["documents"], tmp_path, coarse=coarse, scheme=scheme)
    log = FindingLog()
    (document,) = read_conll(path, log=log, scheme=scheme)
    assert document.doc_id == row["doc_id"] and not log.findings
    annotation = _imported(document, row)
    assert [(m.start, m.end, m.type) for m in annotation.mentions] == [t[:3] for t in _outermost(row, coarse)]
    # what CoNLL cannot carry: nesting, clusters, QIDs, metonymy, stances
    assert all(m.parent_id is None and not m.metonymic for m in annotation.mentions)
    assert len(annotation.entities) == len(annotation.mentions) and not annotation.stances
    assert all(e.qid is None for e in annotation.entities)


def test_conll_export_has_the_ner_configs_tokens_and_tags(seed, tmp_path):
    for coarse, names, key in ((False, FINE_NER_LABELS, "ner_tags"), (True, COARSE_NER_LABELS, "coarse_ner_tags")):
        (path,) = export_conll(seed["documents"], tmp_path, coarse=coarse)
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        assert blocks[0] == f"-DOCSTART- {seed['documents'][0]['doc_id']}"
        # each sentence opens with its ner row's id, so that the file is a prediction template for evaluate
        assert [block.split("\n")[0] for block in blocks[1:] if block.strip()] == [f"# id = {r['id']}" for r in seed["ner"]]
        sentences = [[line.split(" ") for line in block.split("\n")[1:] if line] for block in blocks[1:]]
        sentences = [s for s in sentences if s]
        assert [[t for t, _ in s] for s in sentences] == [r["tokens"] for r in seed["ner"]]
        assert [[g for _, g in s] for s in sentences] == [[names[i] for i in r[key]] for r in seed["ner"]]


def test_hipe_round_trip_on_the_seed(seed, tmp_path):
    (row,) = seed["documents"]
    (path,) = export_hipe(seed["documents"], tmp_path)
    log = FindingLog()
    (fine,) = read_hipe(path, log=log, column="NE-FINE-LIT")
    (coarse,) = read_hipe(path, log=log, column="NE-COARSE-LIT")
    (nested,) = read_hipe(path, log=log, column="NE-NESTED")
    assert (fine.doc_id, fine.date) == (row["doc_id"], row["date"]) and not log.findings
    # one level of nesting, coarse types: the mentions directly inside an outermost mention
    outer = {m["id"] for m in row["mentions"] if m["parent_id"] is None}
    second = [(m["start"], m["end"], m["coarse_type"]) for m in row["mentions"] if m["parent_id"] in outer]
    assert [(m.start, m.end, m.type) for m in _imported(nested, row).mentions] == second and second
    for document, is_coarse in ((fine, False), (coarse, True)):
        annotation = _imported(document, row)
        qids = {e.id: e.qid for e in annotation.entities}
        assert [(m.start, m.end, m.type, m.metonymic, qids[m.entity_id]) for m in annotation.mentions
                if m.parent_id is None] == _outermost(row, is_coarse)
        # a literal column brings the NE-NESTED mentions along, inside their outermost mention
        assert [(m.start, m.end, m.type) for m in annotation.mentions if m.parent_id is not None] == second
        # what HIPE cannot carry: stances, and clusters of mentions without a QID (one QID: one entity per class)
        linked = {(m.start, m.end): (qids[m.entity_id], COARSE_OF_FINE[m.type]) for m in annotation.mentions}
        assert len(annotation.entities) == len({k for k in linked.values() if k[0]}) + sum(1 for k in linked.values() if not k[0])
        assert not annotation.stances


def test_hipe_export_marks_spacing_sentences_and_paragraphs(seed, tmp_path):
    (row,) = seed["documents"]
    (path,) = export_hipe(seed["documents"], tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].split("\t")[0] == "TOKEN" and lines[1] == f"# hipe2022:document_id = {row['doc_id']}"
    misc = [line.split("\t")[-1] for line in lines if line.count("\t") == 9][1:]
    assert sum("EndOfSentence" in m for m in misc) == len(row["sentences"])
    assert sum("EndOfLine" in m for m in misc) == len(row["paragraphs"]) - 1
    (document,) = read_hipe(path, log=FindingLog())
    assert document.text == row["text"].replace("\n\n", "\n")  # NoSpaceAfter rebuilds every space but paragraph breaks
