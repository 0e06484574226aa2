"""Every span an import reads is accounted for, on every real sample of ../shared/external:

``read == imported + re-anchored + rejected + ignored + dropped``, and where a file's spans can be
counted without the importer (brat ``T`` lines, tag columns), ``read`` is that count.

Each sample is imported as a dry run into an empty repository (its texts recorded as new raw
records), with every label the file uses mapped to MISC, so that what is tested is the accounting,
not a label mapping.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from chronique.errors import FindingLog
from chronique.interop.base import LabelMapping
from chronique.interop.registry import importer
from chronique.interop.runner import NewRaw, import_files

from conftest import EXTERNAL, make_repo

NEW_RAW = NewRaw("1900-01", "CC-BY-4.0", "external sample", "published")


def entity_starts(tags: list[str], scheme: str) -> int:
    """Entities in a tag column, counted as conlleval and the HIPE scorer count them: a ``B-`` starts one,
    and so does an ``I-`` that continues nothing (IOB2) or that follows another type (IOB1 and IOB2)."""
    count, previous = 0, "O"
    for tag in tags:
        tag = "O" if tag in ("_", "") else tag
        if tag.startswith("B-") or (tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:])):
            count += 1
        previous = tag
    return count


def hipe_count(path: Path) -> int:
    """Entities of NE-COARSE-LIT and NE-NESTED, each document counted apart (an entity never crosses one)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    total, columns = 0, {name: [] for name in ("NE-COARSE-LIT", "NE-NESTED")}
    for line in lines[1:] + ["# document_id = (end)"]:
        fields = line.split("\t")
        if len(fields) == len(header):
            for name, tags in columns.items():
                tags.append(fields[header.index(name)])
        elif "document_id" in line:
            total += sum(entity_starts(tags, "iob2") for tags in columns.values())
            columns = {name: [] for name in columns}
    return total


def conll_count(path: Path, scheme: str) -> int:
    tags = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        tags.append(fields[-1] if len(fields) >= 2 and not line.startswith("-DOCSTART-") else "O")
    return entity_starts(tags, scheme)


def brat_count(folder: Path) -> int:
    return sum(1 for ann in folder.glob("*.ann") for line in ann.read_text(encoding="utf-8").splitlines()
               if line.startswith("T"))


def brat_archive_count(archive: Path) -> int:
    with tarfile.open(archive) as tar:
        return sum(1 for member in tar.getmembers() if member.name.endswith(".ann")
                   for line in tar.extractfile(member).read().decode("utf-8").splitlines() if line.startswith("T"))


def imported_counts(format_name: str, path: Path, tmp_path: Path, **options):
    """The counts of a dry-run import of ``path``, every label mapped to MISC."""
    read = importer(format_name)
    reader_options = {k: v for k, v in options.items() if k in ("typesystem",)}
    labels = {span.label for document in read(path, log=FindingLog(), **reader_options) for span in document.spans}
    mapping = LabelMapping({label: "MISC" for label in labels})
    repo = make_repo(tmp_path / "repo", seed=False)
    report = import_files(format_name, [path], repo=repo, mapping=mapping, new_raw=NEW_RAW, dry_run=True,
                          reader_options=reader_options)
    return report.counts


def sample(relative: str) -> Path:
    path = EXTERNAL / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared/external is only beside a CI or developer checkout")
    return path


HIPE = [f"hipe2022_newseye_fr/gold/HIPE-2022-v2.1-newseye-{part}-fr.tsv" for part in ("dev", "dev2", "test")] + [
    f"hipe2022_newseye_fr/runs/{run}.tsv" for run in ("neurbsl_bundle3_newseye_fr_1", "team4_bundle4_newseye_fr_1",
                                                      "team4_bundle4_newseye_fr_2")]  # system runs: HIPE files too
BRAT_FOLDERS = [f"quaero_fr_med_brat/EMEA/{part}" for part in ("train", "dev", "test")]
BRAT_ARCHIVES = [f"quaero_fr_med_brat/MEDLINE_{part}.tar.gz" for part in ("train", "dev", "test")]


@pytest.mark.parametrize("relative", HIPE)
def test_hipe_every_tagged_entity_is_accounted_for(relative, tmp_path):
    path = sample(relative)
    counts = imported_counts("hipe", path, tmp_path)
    assert counts.read == counts.accounted == hipe_count(path), counts


@pytest.mark.parametrize("format_name,relative,scheme", [
    ("conll-iob1", "enp_fr_bnf/enp_FR.bnf.bio", "iob1"),
    ("conll", "labelstudio_aymurai_es/annotations.conll", "iob2"),
])
def test_conll_every_tagged_entity_is_accounted_for(format_name, relative, scheme, tmp_path):
    path = sample(relative)
    counts = imported_counts(format_name, path, tmp_path)
    assert counts.read == counts.accounted == conll_count(path, scheme), counts


@pytest.mark.parametrize("relative", BRAT_FOLDERS)
def test_brat_folder_every_text_bound_line_is_accounted_for(relative, tmp_path):
    folder = sample(relative)
    counts = imported_counts("brat", folder, tmp_path)
    assert counts.read == counts.accounted == brat_count(folder), counts
    assert counts.dropped_reasons  # Quaero has discontinuous, repeated, crossing and deep spans: each named


@pytest.mark.parametrize("relative", BRAT_ARCHIVES)
def test_brat_archive_every_text_bound_line_is_accounted_for(relative, tmp_path):
    archive = sample(relative)
    counts = imported_counts("brat", archive, tmp_path)
    assert counts.read == counts.accounted == brat_archive_count(archive), counts


def test_labelstudio_every_region_is_accounted_for(tmp_path):
    path = sample("labelstudio_aymurai_es/annotations.json")
    counts = imported_counts("labelstudio", path, tmp_path)
    regions = sum(len(d.spans) + len(d.dropped) for d in importer("labelstudio")(path, log=FindingLog()))
    assert counts.read == counts.accounted == regions == 815, counts


def suite_cases() -> list[Path]:
    root = EXTERNAL / "inception_webanno_tsv3_suite" / "tsv3-suite"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@pytest.mark.parametrize("format_name,file_name", [("webanno-tsv3", "reference.tsv"), ("inception-xmi", "reference.xmi")])
def test_inception_suite_every_span_is_accounted_for(format_name, file_name, tmp_path):
    cases = [case for case in suite_cases() if (case / file_name).exists()]
    if not cases:
        pytest.skip("../shared/external/inception_webanno_tsv3_suite is absent")
    typesystem = EXTERNAL / "inception_webanno_tsv3_suite" / "desc" / "type" / "webannoTestTypes.xml"
    for case in cases:
        path = case / file_name
        options = {"typesystem": (case / "typesystem.xml" if (case / "typesystem.xml").exists() else typesystem)} \
            if format_name == "inception-xmi" else {}
        documents = list(importer(format_name)(path, log=FindingLog(), **options))
        counts = imported_counts(format_name, path, tmp_path / case.name, **options)
        assert counts.read == counts.accounted == sum(len(d.spans) + len(d.dropped) for d in documents), case.name
