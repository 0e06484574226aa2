"""croissant.json: mlcroissant validates it and reads the same rows as datasets.load_dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, seed_only_repo

mlc = pytest.importorskip("mlcroissant")
from datasets import load_dataset  # noqa: E402

from chronique.release.croissant import CROISSANT_NAME, croissant_metadata, write_croissant  # noqa: E402
from chronique.pipeline import build  # noqa: E402
from chronique.release.manifest import file_sha256, read_manifest  # noqa: E402
from chronique.schema import FEATURES  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),  # rdflib, in mlcroissant
    pytest.mark.filterwarnings("ignore:The inplace keyword:Warning"),  # pandas, inside mlcroissant's Parquet reader
]
# The manifest carries no publication date yet, and Croissant recommends one.
NO_DATE = 'Property "https://schema.org/datePublished" is recommended, but does not exist.'
# Left out of the documents record sets (see chronique.release.croissant); the stance record sets carry it.
OMITTED = {"documents": {"stances": "evidence"}}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The seed release, built once for this module, with its croissant.json."""
    scratch = tmp_path_factory.mktemp("build")
    folder = build(seed_only_repo(scratch), releases=scratch / "releases", update_registry=False).path
    write_croissant(folder)
    return folder


def issues(path: Path) -> tuple[set[str], set[str]]:
    """mlcroissant's errors and warnings for a JSON-LD file; it raises ValidationError on errors."""
    try:
        dataset = mlc.Dataset(jsonld=path)
    except mlc.ValidationError as error:
        pytest.fail(f"mlcroissant refused {path}: {error}")
    found = dataset.metadata.ctx.issues
    return {_strip(issue) for issue in found.errors}, {_strip(issue) for issue in found.warnings}


def _strip(issue: str) -> str:
    """An issue without the node it is about (``[Metadata(chronique)] ...``)."""
    return issue.split("] ", 1)[-1]


def plain(value):
    """A value read by mlcroissant as datasets gives it: str for bytes, field ids reduced to column names."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {key.rsplit("/", 1)[-1]: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def expected_row(config: str, row: dict) -> dict:
    for column, member in OMITTED.get(config, {}).items():
        row[column] = [{k: v for k, v in item.items() if k != member} for item in row[column]]
    return row


def test_mlcroissant_validates_with_no_error_and_no_avoidable_warning(release):
    errors, warnings = issues(release / CROISSANT_NAME)
    assert errors == set()
    assert warnings <= {NO_DATE}


def test_a_publication_date_in_the_manifest_is_used_and_silences_the_last_warning(release, tmp_path):
    folder = shutil.copytree(release, tmp_path / "dated")
    manifest = read_manifest(folder).to_dict()
    manifest["released"] = "2024-05-17"
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    metadata = json.loads(write_croissant(folder).read_text(encoding="utf-8"))
    assert metadata["datePublished"] == "2024-05-17"
    assert "year = {2024}" in metadata["citeAs"]
    assert issues(folder / CROISSANT_NAME) == (set(), set())


def test_records_equal_the_rows_datasets_loads(release, tmp_path):
    dataset = mlc.Dataset(jsonld=release / CROISSANT_NAME)
    rows = read_manifest(release).rows
    for config, splits in rows.items():
        for split, count in splits.items():
            expected = [expected_row(config, row) for row in
                        load_dataset(str(release), config, split=split, cache_dir=str(tmp_path / "hf-cache"))]
            records = [plain(record) for record in dataset.records(record_set=f"{config}/{split}")]
            assert len(records) == len(expected) == count
            assert records == expected, f"{config}/{split}"


def test_label_record_sets_list_the_class_label_names(release):
    dataset = mlc.Dataset(jsonld=release / CROISSANT_NAME)
    for config, column in (("ner", "ner_tags"), ("ner", "coarse_ner_tags"), ("stance", "label")):
        feature = FEATURES[config][column]
        names = getattr(feature, "feature", feature).names
        records = [plain(record) for record in dataset.records(record_set=f"labels/{config}/{column}")]
        assert records == [{"index": i, "label": name} for i, name in enumerate(names)]


def test_checksums_are_the_manifests_and_the_files(release):
    metadata = json.loads((release / CROISSANT_NAME).read_text(encoding="utf-8"))
    files = read_manifest(release).files
    objects = {o["contentUrl"]: o["sha256"] for o in metadata["distribution"]}
    assert objects == {path: entry.sha256 for path, entry in files.items() if path.endswith(".parquet")}
    assert all(file_sha256(release / path) == sha256 for path, sha256 in objects.items())


def test_output_is_deterministic_and_ends_with_a_newline(release):
    first = (release / CROISSANT_NAME).read_bytes()
    assert write_croissant(release).read_bytes() == first
    assert first.endswith(b"}\n")
    assert json.loads(first) == croissant_metadata(release)


def test_evidence_left_out_of_documents_is_in_the_stance_record_set(release, tmp_path):
    dataset = mlc.Dataset(jsonld=release / CROISSANT_NAME)
    stance = {record["id"]: record["evidence"] for record in map(plain, dataset.records(record_set="stance/train"))}
    documents = load_dataset(str(release), "documents", split="train", cache_dir=str(tmp_path / "hf-cache"))
    evidence = {f"{row['doc_id']}-{s['id']}": s["evidence"] for row in documents for s in row["stances"]}
    assert evidence and stance == evidence
