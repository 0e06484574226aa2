"""brat standoff: every line kind on tiny inline files, safe archives, Quaero's real files, and the seed round trip."""

from __future__ import annotations

import io
import json
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from datasets import concatenate_datasets, load_dataset

from chronique.store.annotations import read_annotation
from chronique.store.documents import sha256_text
from chronique.errors import FindingLog, UsageError
from chronique.interop.base import IGNORE, LabelMapping
from chronique.interop.convert import to_annotation
from chronique.interop.brat import BratCounts, read_brat
from chronique.interop.brat_export import STANCE_NOTE, annotation_conf, export_brat
from chronique.pipeline import build
from chronique.schema import FINE_TYPES, POLARITIES

from conftest import PROJECT, SEED_ID, external, seed_only_repo

DATA = Path(__file__).parent / "data"

# Non-ASCII before every span: byte offsets and code point offsets differ from the first span on.
TEXT = "Élysée : « Émilie Dupont » salue Paris et la Forêt-Noire.\n"


def at(phrase: str, occurrence: int = 0) -> tuple[int, int]:
    """Code point offsets of ``phrase`` in TEXT."""
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(phrase, start + 1)
    return start, start + len(phrase)


def offsets(phrase: str) -> str:
    return "{} {}".format(*at(phrase))


def ann_text() -> str:
    foret, noire = at("Forêt"), at("Noire")
    return "\n".join([
        f"T1\tPER {offsets('Émilie Dupont')}\tÉmilie Dupont",
        f"T2\tPER {offsets('Émilie')}\tÉmilie",
        f"T3\tMISC {offsets('Émilie Dupont')}\tÉmilie Dupont",  # identical extent, other type
        f"T4\tGPE {offsets('Paris')}\tParis",
        f"T5\tLOC {foret[0]} {foret[1]};{noire[0]} {noire[1]}\tForêt Noire",  # discontinuous
        "A1\tMetonymy T4",
        "A2\tNegation T1",
        "M3\tMetonymic T2 no",
        "A4\tMetonymic T5",  # on the discontinuous span: an orphan
        "R1\tFAVOR Arg1:T1 Arg2:T4",
        "R2\tPart-of Arg1:T2 Arg2:T1",
        "N1\tReference T1 Wikidata:Q42\tÉmilie Dupont",
        "N2\tReference T4 GeoNames:2988507\tParis",
        "#1\tAnnotatorNotes T1\tà vérifier",
        "E1\tVisit:T4 Agent:T1",
        "*\tEquiv T1 T3",
        "",
        "X1\tsomething brat does not write",
        "T9\tPER 5 x\tbroken offsets",
    ]) + "\n"


def write_pair(folder: Path, name: str, text: str, ann: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    (folder / f"{name}.ann").write_bytes(ann.encode("utf-8"))
    return folder / f"{name}.ann"


def test_every_line_kind_is_read_counted_or_reported(tmp_path):
    log, counts = FindingLog(), BratCounts()
    [document] = read_brat(write_pair(tmp_path, "doc", TEXT, ann_text()), log=log, counts=counts)

    spans = {span.id: span for span in document.spans}
    assert list(spans) == ["T1", "T2", "T3", "T4"]
    assert (spans["T1"].start, spans["T1"].end) == at("Émilie Dupont") != (13, 27)
    assert len(TEXT[: spans["T1"].start].encode("utf-8")) > spans["T1"].start  # code points, not bytes
    assert all(span.text == TEXT[span.start : span.end] for span in document.spans)
    assert spans["T4"].metonymic and not spans["T2"].metonymic and not spans["T1"].metonymic
    assert spans["T1"].qid == "Q42" and spans["T4"].qid is None
    assert spans["T2"].parent in {"T1", "T3"} and spans["T1"].parent is None and spans["T3"].parent is None
    assert [(s.id, s.holder, s.target, s.polarity) for s in document.stances] == [
        ("R1", "T1", "T4", "FAVOR"), ("R2", "T2", "T1", "Part-of")]

    assert counts.lines == Counter({"T": 6, "A": 3, "M": 1, "R": 2, "N": 2, "#": 1, "E": 1, "*": 1})
    assert (counts.spans, counts.discontinuous, counts.malformed) == (4, 1, 2)
    assert (counts.metonymic, counts.qids, counts.stances) == (1, 1, 2)
    by_id = Counter((f.check_id, f.severity) for f in log)
    assert by_id == Counter({
        ("import.brat.syntax", "error"): 2, ("import.brat.discontinuous", "warning"): 1,
        ("import.brat.attribute", "warning"): 1, ("import.brat.normalisation", "warning"): 1,
        ("import.brat.note", "warning"): 1, ("import.brat.event", "warning"): 1,
        ("import.brat.equivalence", "warning"): 1, ("import.brat.orphan", "warning"): 1})
    [discontinuous] = [f for f in log if f.check_id == "import.brat.discontinuous"]
    assert discontinuous.location() == f"{(tmp_path / 'doc.ann').as_posix()}:5"
    assert {f.line for f in log if f.check_id == "import.brat.syntax"} == {18, 19}


def test_to_annotation_keeps_identical_and_nested_spans_and_maps_relations(tmp_path):
    mapping = LabelMapping({"PER": "PER", "MISC": "MISC", "GPE": "GPE"}, {"FAVOR": "FAVOR"})
    log = FindingLog()
    [document] = read_brat(write_pair(tmp_path, "doc", TEXT, ann_text()), log=log)
    annotation, counts = to_annotation(document, text=TEXT, text_sha256=sha256_text(TEXT), mapping=mapping, log=log,
                                       tool="brat", date="2026-01-01")
    assert (counts.seen, counts.imported, counts.rejected, counts.ignored) == (4, 4, 0, 0)
    assert [(m.start, m.end, m.type, m.parent_id is not None) for m in annotation.mentions] == [
        (*at("Émilie Dupont"), "PER", False), (*at("Émilie Dupont"), "MISC", False), (*at("Émilie"), "PER", True),
        (*at("Paris"), "GPE", False)]
    # Without the mapping at read time the non-stance relation reaches to_annotation and is rejected there …
    assert (counts.stances, counts.rejected_stances) == (1, 1)
    [stance] = annotation.stances
    # base._stances finds a span's entity by its extent, so with two identical extents either entity may come back.
    at_t1 = {m.entity_id for m in annotation.mentions if (m.start, m.end) == at("Émilie Dupont")}
    assert stance.holder in at_t1 and (stance.polarity, stance.evidence[0].exact) == ("FAVOR", "Paris")
    # … with it, the reader counts it as a relation that is not a stance.
    log = FindingLog()
    [document] = read_brat(tmp_path / "doc.ann", log=log, mapping=mapping)
    assert [s.id for s in document.stances] == ["R1"]
    assert any(f.check_id == "import.brat.relation" and "Part-of ×1" in f.message for f in log)


def test_a_span_across_a_line_break_and_a_missing_text_file(tmp_path):
    log = FindingLog()
    write_pair(tmp_path, "a", "Jean\nDupont est là.", "T1\tPER 0 11\tJean Dupont\n")
    (tmp_path / "b.ann").write_text("T1\tPER 0 4\tJean\n", encoding="utf-8")
    [document] = read_brat(tmp_path, log=log)
    assert document.doc_id == "a" and document.spans[0].text == "Jean\nDupont"
    assert [(f.check_id, Path(f.path).name) for f in log] == [("import.brat.missing-text", "b.ann")]
    with pytest.raises(UsageError):
        list(read_brat(tmp_path / "nothing.json", log=log))


def test_two_files_of_one_name_and_a_file_not_in_utf8_are_errors(tmp_path):
    write_pair(tmp_path, "doc", "Jean est là.", "T1\tPER 0 4\tJean\n")
    write_pair(tmp_path / "sub", "doc", "Paul est là.", "T1\tPER 0 4\tPaul\n")
    (tmp_path / "latin.txt").write_bytes("Élysée.".encode("latin-1"))
    (tmp_path / "latin.ann").write_text("T1\tGPE 0 6\tÉlysée\n", encoding="utf-8")
    log = FindingLog()
    assert [d.spans[0].text for d in read_brat(tmp_path, log=log)] == ["Jean"]
    assert sorted((f.check_id, f.severity, Path(f.path).relative_to(tmp_path).as_posix(), f.line) for f in log) == [
        ("import.brat.duplicate-id", "error", "sub/doc.ann", None), ("import.brat.encoding", "error", "latin.txt", 1)]


def test_an_archive_member_skipped_is_a_warning_and_an_unreadable_archive_an_error(tmp_path):
    path = tmp_path / "collection.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        tar_member(archive, "docs/link.ann", kind=tarfile.SYMTYPE, link="/etc/passwd")
    log = FindingLog()
    assert list(read_brat(path, log=log)) == []
    assert [(f.check_id, f.severity) for f in log] == [("import.brat.archive", "warning")]
    (tmp_path / "broken.tar.gz").write_bytes(path.read_bytes()[:40])
    log = FindingLog()
    assert list(read_brat(tmp_path / "broken.tar.gz", log=log)) == []
    assert [(f.check_id, f.severity) for f in log] == [("import.brat.archive", "error")]


def tar_member(archive: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
               link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def test_archives_are_read_in_memory_and_non_regular_members_ignored(tmp_path):
    path = tmp_path / "collection.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        tar_member(archive, "docs", kind=tarfile.DIRTYPE)
        tar_member(archive, "docs/z.ann", "T1\tGPE 0 5\tParis\n".encode())
        tar_member(archive, "docs/z.txt", "Paris.".encode())
        tar_member(archive, "../escape.ann", "T1\tPER 0 4\tJean\n".encode())
        tar_member(archive, "../escape.txt", "Jean.".encode())
        tar_member(archive, "docs/link.ann", kind=tarfile.SYMTYPE, link="/etc/passwd")
        tar_member(archive, "docs/link.txt", kind=tarfile.SYMTYPE, link="/etc/hostname")
        tar_member(archive, "docs/device.txt", kind=tarfile.CHRTYPE)
    before = sorted(p.as_posix() for p in tmp_path.parent.rglob("*"))
    log = FindingLog()
    documents = list(read_brat(path, log=log))
    assert [(d.doc_id, d.spans[0].text, d.path) for d in documents] == [
        ("escape", "Jean", f"{path.as_posix()}/../escape.ann"), ("z", "Paris", f"{path.as_posix()}/docs/z.ann")]
    assert sorted(p.as_posix() for p in tmp_path.parent.rglob("*")) == before  # nothing was extracted
    assert sorted(f.message.split("'")[1] for f in log if f.check_id == "import.brat.archive") == [
        "docs/device.txt", "docs/link.ann", "docs/link.txt"]

    (tmp_path / "broken.tar.gz").write_bytes(path.read_bytes()[:40])
    log = FindingLog()
    assert list(read_brat(tmp_path / "broken.tar.gz", log=log)) == []
    assert [f.check_id for f in log] == ["import.brat.archive"]


# --- Quaero French medical corpus -----------------------------------------------------

QUAERO_SOURCES = ["EMEA/train", "EMEA/dev", "EMEA/test", "MEDLINE_train.tar.gz", "MEDLINE_dev.tar.gz",
                  "MEDLINE_test.tar.gz"]


def plain_ann_files(source: Path) -> list[str]:
    """The .ann contents of a folder or an archive, read without the module under test."""
    if source.is_dir():
        return [p.read_text(encoding="utf-8") for p in sorted(source.glob("*.ann"))]
    with tarfile.open(source) as archive:
        return [archive.extractfile(m).read().decode("utf-8") for m in archive if m.isreg() and m.name.endswith(".ann")]


def plain_counts(source: Path) -> tuple[int, Counter, int]:
    """Files, line prefixes and discontinuous T lines (a ';' in the offsets field), counted by hand."""
    files = plain_ann_files(source)
    lines = [line for content in files for line in content.split("\n") if line.strip()]
    discontinuous = sum(1 for line in lines if line.startswith("T") and ";" in line.split("\t")[1])
    return len(files), Counter(line[0] for line in lines), discontinuous


@pytest.mark.parametrize("relative", QUAERO_SOURCES)
def test_quaero_counts_offsets_and_outcomes(relative):
    source = external(f"quaero_fr_med_brat/{relative}")
    log, counts = FindingLog(), BratCounts()
    documents = list(read_brat(source, log=log, counts=counts))

    files, prefixes, discontinuous = plain_counts(source)
    assert counts.documents == len(documents) == files
    assert counts.lines == prefixes and set(prefixes) <= set("TARN#")  # Quaero has T and # lines only
    assert (counts.discontinuous, counts.spans) == (discontinuous, prefixes["T"] - discontinuous)
    assert counts.malformed == 0 and not log.errors
    # brat's own invariant, in code points: the stored text is the slice of the .txt.
    assert all(span.text == d.text[span.start : span.end] for d in documents for span in d.spans)
    assert any(len(d.text[: s.start].encode("utf-8")) != s.start for d in documents for s in d.spans)
    warnings = Counter(f.check_id for f in log.warnings)
    assert warnings["import.brat.discontinuous"] == discontinuous
    [notes] = [f for f in log if f.check_id == "import.brat.note"]
    assert notes.message.startswith(f"{prefixes['#']} annotator notes")

    mapping = LabelMapping.load(DATA / "quaero_mapping.json")
    outcomes = Counter()
    for document in documents:
        _, result = to_annotation(document, text=document.text, text_sha256=sha256_text(document.text), mapping=mapping,
                                  log=log, tool="brat", date="2026-01-01", status="silver")
        outcomes.update({k: getattr(result, k) for k in ("seen", "imported", "reanchored", "rejected", "ignored")})
    assert outcomes["imported"] + outcomes["reanchored"] + outcomes["rejected"] + outcomes["ignored"] == outcomes["seen"]
    assert outcomes["seen"] == counts.spans and outcomes["rejected"] == 0
    geog = sum(1 for d in documents for s in d.spans if s.label == "GEOG")
    assert outcomes["imported"] + outcomes["reanchored"] == geog
    assert not log.errors


def test_quaero_mapping_covers_every_type():
    conf = external("quaero_fr_med_brat/EMEA/train/annotation.conf").read_text(encoding="utf-8")
    declared = conf.split("[entities]")[1].split("[")[0].split()
    mapping = LabelMapping.load(DATA / "quaero_mapping.json")
    assert sorted(mapping.labels) == sorted(declared)
    assert {t for t in mapping.labels.values() if t != IGNORE} <= set(FINE_TYPES)


# --- export ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_row(tmp_path_factory) -> dict:
    """The seed's ``documents`` row, built and loaded through the real datasets library."""
    folder = tmp_path_factory.mktemp("seed")
    result = build(seed_only_repo(folder), releases=folder / "releases", update_registry=False)
    data = load_dataset(str(result.path), "documents", cache_dir=str(folder / "hf-cache"))
    [row] = [row for row in concatenate_datasets(list(data.values())) if row["doc_id"] == SEED_ID]
    return row


def qid(annotation) -> dict[str, str | None]:
    """Entity id → QID."""
    return {entity.id: entity.qid for entity in annotation.entities}


def test_export_then_import_gives_back_the_seed_mentions_and_qids(seed_row, tmp_path):
    written = export_brat([seed_row], tmp_path)
    assert sorted(p.name for p in written) == sorted(["annotation.conf", "tools.conf", f"{SEED_ID}.txt", f"{SEED_ID}.ann"])
    assert (tmp_path / f"{SEED_ID}.txt").read_bytes() == seed_row["text"].encode("utf-8")

    log, counts = FindingLog(), BratCounts()
    [document] = read_brat(tmp_path, log=log, counts=counts)
    annotation, outcome = to_annotation(document, text=seed_row["text"], text_sha256=seed_row["text_sha256"],
                                        mapping=LabelMapping.identity(), log=log, tool="brat", date="2026-01-01")
    gold = read_annotation(PROJECT / "annotations" / f"{SEED_ID}.json", root=PROJECT, log=FindingLog())
    assert not log.errors and outcome.imported == outcome.seen == len(gold.mentions)

    # Carried by brat: offsets, type, metonymy (A), QIDs (N on every mention of the entity).
    assert [(m.start, m.end, m.type, m.metonymic) for m in annotation.mentions] == [
        (m.start, m.end, m.type, m.metonymic) for m in gold.mentions]
    assert [qid(annotation)[m.entity_id] for m in annotation.mentions] == [qid(gold)[m.entity_id] for m in gold.mentions]
    # Recomputed, not carried: ids follow text order as ours do, parents come from containment.
    assert [(m.id, m.parent_id) for m in annotation.mentions] == [(m.id, m.parent_id) for m in gold.mentions]
    # Carried by our chronique-entity notes: clusters without a QID and canonical names …
    gold_entity, entity = {m.id: m.entity_id for m in gold.mentions}, {m.id: m.entity_id for m in annotation.mentions}
    gold_names, names = {e.id: e.name for e in gold.entities}, {e.id: e.name for e in annotation.entities}
    assert len(annotation.entities) == len(gold.entities)
    assert [names[entity[m.id]] for m in annotation.mentions] == [gold_names[gold_entity[m.id]] for m in gold.mentions]
    # … and by our chronique-stance notes the stances, all topic-targeted or AUTHOR-held in the seed.
    assert counts.lines["#"] == counts.chronique_notes > len(gold.stances) == len(seed_row["stances"])
    assert not [f for f in log if f.check_id == "import.brat.note"]
    def stance_rows(stances, name_of):
        return [(name_of.get(s.holder, s.holder), name_of[s.target] if s.target_kind == "entity" else s.target,
                 s.polarity, s.scope, s.reported, [(q.start, q.end) for q in s.evidence]) for s in stances]

    assert stance_rows(annotation.stances, names) == stance_rows(gold.stances, gold_names)
    notes = [line.split("\t")[2] for line in (tmp_path / f"{SEED_ID}.ann").read_text("utf-8").splitlines()
             if line.startswith("#") and STANCE_NOTE in line]
    decoded = [json.loads(note.removeprefix(f"{STANCE_NOTE} ")) for note in notes]
    assert [(s["id"], s["holder"], s["target"], s["polarity"]) for s in decoded] == [
        (s.id, s.holder, s.target, s.polarity) for s in gold.stances]


def small_row(**changes) -> dict:
    text = "Paris soutient Moscou.\nLe Haut-\nKarabagh aussi."
    row = {
        "doc_id": "0123456789abcdef", "text": text,
        "mentions": [
            {"id": "m1", "start": 0, "end": 5, "type": "GPE", "entity_id": "e1", "parent_id": None, "metonymic": True},
            {"id": "m2", "start": 15, "end": 21, "type": "GPE", "entity_id": "e2", "parent_id": None, "metonymic": False},
            {"id": "m3", "start": 26, "end": 40, "type": "GPE", "entity_id": "e3", "parent_id": None, "metonymic": False},
        ],
        "entities": [{"id": "e1", "name": "Paris", "type": "GPE", "qid": "Q90"},
                     {"id": "e2", "name": "Moscou", "type": "GPE", "qid": "Q649"},
                     {"id": "e3", "name": "Haut-\nKarabagh", "type": "GPE", "qid": None}],
        "stances": [
            {"id": "s1", "holder": "e1", "target": "e2", "target_kind": "entity", "polarity": "FAVOR",
             "evidence": [{"start": 0, "end": 21, "text": "Paris soutient Moscou"}], "scope": "sentence", "reported": False},
            {"id": "s2", "holder": "AUTHOR", "target": "e2", "target_kind": "entity", "polarity": "NEUTRAL",
             "evidence": [{"start": 0, "end": 21, "text": "Paris soutient Moscou"}], "scope": "document", "reported": False},
            {"id": "s3", "holder": "e1", "target": "le Karabagh", "target_kind": "topic", "polarity": "AGAINST",
             "evidence": [{"start": 23, "end": 46, "text": "Le Haut-\nKarabagh aussi"}], "scope": "sentence", "reported": True},
        ],
    }
    return {**row, **changes}


def test_entity_stances_become_relations_and_come_back_as_stances(tmp_path):
    row = small_row()
    export_brat([row], tmp_path)
    lines = (tmp_path / f"{row['doc_id']}.ann").read_text("utf-8").splitlines()
    assert "T3\tGPE 26 40\tHaut- Karabagh" in lines  # one line in brat, the line break restored on reading
    assert "A1\tMetonymic T1" in lines and "N2\tReference T2 Wikidata:Q649\tMoscou" in lines
    assert [line for line in lines if line[0] == "R"] == ["R1\tFAVOR Arg1:T1 Arg2:T2"]
    assert [line.split("\t")[1] for line in lines if line[0] == "#"] == [
        "AnnotatorNotes T2", "AnnotatorNotes T2", "AnnotatorNotes T1"]

    log = FindingLog()
    [document] = read_brat(tmp_path, log=log)
    assert document.spans[2].text == "Haut-\nKarabagh"
    annotation, counts = to_annotation(document, text=row["text"], text_sha256=sha256_text(row["text"]),
                                       mapping=LabelMapping.identity(), log=log, tool="brat", date="2026-01-01")
    entity = {m.id: m.entity_id for m in annotation.mentions}
    # The relation R1 and the note that names it are one stance, with the note's evidence, scope and reported.
    assert [(s.holder, s.target, s.target_kind, s.polarity, s.evidence[0].exact, s.scope, s.reported)
            for s in annotation.stances] == [
        (entity["m1"], entity["m2"], "entity", "FAVOR", "Paris soutient Moscou", "sentence", False),
        ("AUTHOR", entity["m2"], "entity", "NEUTRAL", "Paris soutient Moscou", "document", False),
        (entity["m1"], "le Karabagh", "topic", "AGAINST", "Le Haut-\nKarabagh aussi", "sentence", True)]
    assert counts.stances == 3 and not log.errors


def test_export_refuses_unsafe_ids_and_warns_for_stances_it_cannot_place(tmp_path):
    with pytest.raises(UsageError, match="not safe"):
        export_brat([small_row(doc_id="../outside")], tmp_path)
    log = FindingLog()
    export_brat([small_row(mentions=[], stances=[small_row()["stances"][2] | {"holder": "AUTHOR"}])], tmp_path, log=log)
    assert [f.check_id for f in log] == ["export.brat.stance"]


def test_annotation_conf_declares_our_scheme():
    conf = annotation_conf()
    sections = {name: body.split() for name, body in
                (part.split("]", 1) for part in conf.split("\n[")[1:])}
    assert sections["entities"] == list(FINE_TYPES)
    assert [name for name in POLARITIES if f"{name}\tArg1:<ENTITY>, Arg2:<ENTITY>" in conf] == list(POLARITIES)
    assert sections["attributes"] == ["Metonymic", "Arg:<ENTITY>"] and sections["events"] == []
