"""INCEpTION imports through the real command line: which layer, which type system, which files.

Regressions of the issue tracker's items on the INCEpTION readers, each on a small fixture of
tests/data/inception_layers in the shape the report describes:

1. INCEpTION's export layout (``curation/<document>.txt/CURATION_USER.tsv``, and XMI whose every file says
   ``documentId="CURATION_USER"``) gives each document its folder's name, read from the layout's top folder.
7. Without ``--layer``, the span layer whose labels the mapping covers is imported, and a note says which;
   the spans of the other layers are counted as dropped (``read == imported + … + dropped``).
8. XMI whose custom types no type system declares is an error telling to pass ``--typesystem``.
9. A folder without a single file of the format is an error naming the pattern looked for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chronique.cli import main
from chronique.errors import FindingLog
from chronique.interop.base import LabelMapping
from chronique.interop.runner import import_files
from chronique.interop.webanno_tsv import read_webanno_tsv3
from chronique.interop.xmi import read_inception_xmi

from conftest import make_repo, snapshot

DATA = Path(__file__).parent / "data" / "inception_layers"
CHUNK, ENTITE = "webanno.custom.Chunk", "webanno.custom.Entite"
NE = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
ADD_RAW = ["--add-raw", "--date", "2024-05", "--license", "CC-BY-4.0", "--source", "test fixture",
           "--origin", "composed"]
# The same document in both formats: a Chunk layer with one span comes first (declared first; first by name).
CHUNK_FIRST = {"webanno-tsv3": DATA / "chunk-before-entities.tsv", "inception-xmi": DATA / "chunk-before-entities"}
CHUNK_FIRST_ID = {"webanno-tsv3": "chunk-before-entities", "inception-xmi": "hidalgo-macron"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", seed=False)


def run(capsys, *argv: str) -> tuple[int, str]:
    """Exit code and everything printed, with line wrapping undone."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, " ".join((out + err).split())


def mentions(repo: Path, doc_id: str) -> list[tuple[str, str]]:
    written = json.loads((repo / "annotations" / f"{doc_id}.json").read_text("utf-8"))
    return [(m["exact"], m["type"]) for m in written["mentions"]]


def raw_ids(repo: Path) -> list[str]:
    return sorted(json.loads(line)["id"] for path in (repo / "raw").glob("*.jsonl")
                  for line in path.read_text("utf-8").splitlines())


# --- 7. which layer ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", sorted(CHUNK_FIRST))
def test_without_layer_the_layer_the_mapping_covers_is_imported_and_named(repo, capsys, format_name):
    code, output = run(capsys, "import", format_name, str(CHUNK_FIRST[format_name]), "--repo", str(repo), *ADD_RAW)
    assert code == 0, output
    assert mentions(repo, CHUNK_FIRST_ID[format_name]) == [("Anne Hidalgo", "PER"), ("Emmanuel Macron", "PER"),
                                                           ("Paris", "GPE")]
    assert f"[import.layer.chosen] warning: imported span layer {ENTITE}: 3 of its 3 span(s) have labels" in output
    assert f"not imported: {CHUNK} (1 span(s), 0 with labels in the mapping)" in output
    assert f"dropped 1 span(s): layer {CHUNK} not imported (pass --layer to choose it)" in output
    assert "layer=" not in output and "typesystem=" not in output  # hints name the command's options


@pytest.mark.parametrize("format_name", sorted(CHUNK_FIRST))
def test_layer_option_imports_the_layer_asked_for(repo, tmp_path, capsys, format_name):
    mapping = tmp_path / "chunks.json"
    mapping.write_text(json.dumps({"labels": {"VP": "MISC"}}), encoding="utf-8")
    code, output = run(capsys, "import", format_name, str(CHUNK_FIRST[format_name]), "--repo", str(repo), *ADD_RAW,
                       "--layer", CHUNK, "--mapping", str(mapping))
    assert code == 0, output
    assert mentions(repo, CHUNK_FIRST_ID[format_name]) == [("reçu", "MISC")]
    assert f"[import.layer.unsupported] warning: layer {ENTITE}: 3 annotation(s) not imported" in output
    assert "hint: pass --layer TYPE to import this layer instead" in output
    assert f"dropped 3 span(s): layer {ENTITE} not imported" in output


@pytest.mark.parametrize("format_name", sorted(CHUNK_FIRST))
def test_every_span_read_is_accounted_for(repo, capsys, format_name):
    assert run(capsys, "import", format_name, str(CHUNK_FIRST[format_name]), "--repo", str(repo), *ADD_RAW)[0] == 0
    report = import_files(format_name, [CHUNK_FIRST[format_name]], repo=repo, mapping=LabelMapping.identity(),
                          dry_run=True)  # against the raw record the command line added
    counts = report.counts
    assert (counts.read, counts.imported, counts.dropped) == (4, 3, 1)
    assert counts.read == counts.imported + counts.reanchored + counts.rejected + counts.ignored + counts.dropped


def test_the_mapping_decides_which_layer_is_chosen():
    log = FindingLog()
    [document] = read_webanno_tsv3(CHUNK_FIRST["webanno-tsv3"], log=log, mapping=LabelMapping({"VP": "MISC"}))
    assert [s.label for s in document.spans] == ["VP"]
    assert [d.reason for d in document.dropped] == [f"layer {ENTITE} not imported (pass --layer to choose it)"] * 3


def tsv_with(tmp_path: Path, layers: dict[str, list[str]]) -> Path:
    """One sentence of four tokens; ``layers``: layer name → its value on each token (``_``: none)."""
    tokens = ["Le", "maire", "de", "Lyon"]
    rows = [f"1-{i + 1}\t{sum(len(t) + 1 for t in tokens[:i])}-{sum(len(t) + 1 for t in tokens[:i]) + len(token)}\t"
            f"{token}\t" + "\t".join(values[i] for values in layers.values()) + "\t" for i, token in enumerate(tokens)]
    path = tmp_path / "ties.tsv"
    path.write_text("\n".join(["#FORMAT=WebAnno TSV 3.3", *(f"#T_SP={name}|value" for name in layers), "", "",
                               "#Text=" + " ".join(tokens), *rows, ""]), encoding="utf-8")
    return path


def test_a_tie_goes_to_named_entity_then_to_the_layer_with_more_spans(tmp_path):
    log = FindingLog()
    ties = {"webanno.custom.Zone": ["A", "B", "_", "C"], NE: ["_", "_", "_", "X"]}  # no label is in the mapping
    [document] = read_webanno_tsv3(tsv_with(tmp_path, ties), log=log)
    assert [s.label for s in document.spans] == ["X"]
    [note] = [f for f in log if f.check_id == "import.layer.chosen"]
    assert "as many as webanno.custom.Zone, and it is DKPro Core's NamedEntity layer" in note.message
    log = FindingLog()
    ties = {"webanno.custom.Few": ["_", "_", "_", "X"], "webanno.custom.Many": ["A", "B", "_", "C"]}
    [document] = read_webanno_tsv3(tsv_with(tmp_path, ties), log=log)
    assert [s.label for s in document.spans] == ["A", "B", "C"]
    assert len(document.dropped) == 1 and "it has more spans" in log.findings[0].message


# --- 8. type system ------------------------------------------------------------------------------------------


def test_xmi_whose_custom_types_no_type_system_declares_is_refused(repo, tmp_path, capsys):
    alone = tmp_path / "export"
    alone.mkdir()
    shutil.copy(CHUNK_FIRST["inception-xmi"] / "hidalgo-macron.xmi", alone)  # without its TypeSystem.xml
    before = snapshot(repo)
    code, output = run(capsys, "import", "inception-xmi", str(alone), "--repo", str(repo), *ADD_RAW)
    assert code == 1 and snapshot(repo) == before
    assert (f"{(alone / 'hidalgo-macron.xmi').as_posix()}: [import.typesystem.missing] 4 annotation(s) would be "
            f"skipped, their types being unknown ({CHUNK} ×1, {ENTITE} ×3)") in output
    assert "hint: pass --typesystem FILE" in output and "[import.xmi.skipped]" not in output
    typesystem = CHUNK_FIRST["inception-xmi"] / "TypeSystem.xml"
    code, output = run(capsys, "import", "inception-xmi", str(alone), "--repo", str(repo), *ADD_RAW,
                       "--typesystem", str(typesystem))
    assert code == 0, output
    assert [t for _, t in mentions(repo, "hidalgo-macron")] == ["PER", "PER", "GPE"]


def test_a_type_system_in_a_folder_above_the_xmi_is_used(tmp_path):
    top = tmp_path / "curation"
    shutil.copytree(DATA / "curation-xmi", top)
    for folder in top.iterdir():
        shutil.move(folder / "TypeSystem.xml", top / "TypeSystem.xml")
    log = FindingLog()
    assert [d.doc_id for d in read_inception_xmi(top, log=log)] == ["doc-a", "doc-b"]
    assert not log.errors


# --- 9. folders without files of the format ---------------------------------------------------------------------


@pytest.mark.parametrize("format_name,pattern,wrong", [("inception-xmi", "*.xmi", "doc.xml"),
                                                       ("webanno-tsv3", "*.tsv", "doc.txt")])
def test_a_folder_without_any_file_of_the_format_is_an_error(repo, tmp_path, capsys, format_name, pattern, wrong):
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    for where in (folder / wrong, folder / "sub" / wrong):
        shutil.copy(CHUNK_FIRST["inception-xmi"] / "hidalgo-macron.xmi", where)
    before = snapshot(repo)
    code, output = run(capsys, "import", format_name, str(folder), "--repo", str(repo))
    assert code == 1 and snapshot(repo) == before
    assert (f"{folder.as_posix()}: [import.folder.empty] no {pattern} file in this folder or its subfolders "
            f"(it holds 2 *{Path(wrong).suffix})") in output


# --- 1. INCEpTION's export layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name,export", [("webanno-tsv3", "curation-tsv"), ("inception-xmi", "curation-xmi")])
def test_the_curation_layout_gives_each_document_its_folder_name(repo, capsys, format_name, export):
    # Every file is CURATION_USER.*, and in XMI every documentId is "CURATION_USER" too.
    code, output = run(capsys, "import", format_name, str(DATA / export), "--repo", str(repo), *ADD_RAW)
    assert code == 0, output
    assert raw_ids(repo) == ["doc-a", "doc-b"]
    assert sorted(p.name for p in (repo / "annotations").glob("*.json")) == ["doc-a.json", "doc-b.json"]
    assert mentions(repo, "doc-a") == [("Lyon", "GPE")]
    assert mentions(repo, "doc-b") == [("Marie Curie", "PER"), ("Paris", "GPE")]
    code, output = run(capsys, "validate", "--repo", str(repo))
    assert code == 0, output


# --- zero-width spans --------------------------------------------------------------------------------------------


def test_a_zero_width_span_is_reported_and_counted_as_dropped(repo, tmp_path, capsys):
    source = (CHUNK_FIRST["inception-xmi"] / "hidalgo-macron.xmi").read_text("utf-8")
    empty = source.replace('begin="38" end="43" value="GPE"', 'begin="38" end="38" value="GPE"')
    assert empty != source
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "hidalgo-macron.xmi").write_text(empty, encoding="utf-8")
    shutil.copy(CHUNK_FIRST["inception-xmi"] / "TypeSystem.xml", folder)
    code, output = run(capsys, "import", "inception-xmi", str(folder), "--repo", str(repo), *ADD_RAW)
    assert code == 0, output
    assert f"{(folder / 'hidalgo-macron.xmi').as_posix()}:8: [import.span.empty] warning: span 13" in output
    assert "dropped 1 span(s): zero-width (import.span.empty)" in output
    assert [t for _, t in mentions(repo, "hidalgo-macron")] == ["PER", "PER"]
