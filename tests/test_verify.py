"""Release verification: a clean build verifies; damage to any file is a finding, never a traceback."""

import json
import struct

import pytest

from chronique.errors import UsageError
from chronique.pipeline import build
from chronique.release.manifest import MANIFEST_NAME, read_manifest
from chronique.release.writer import shard_path
from chronique.release.verify import verify_release

from conftest import PROJECT, make_repo


@pytest.fixture
def release(tmp_path):
    return build(make_repo(tmp_path / "repo"), version="1.0.0").path


def check_ids(findings) -> list[str]:
    return sorted(f.check_id for f in findings if f.severity == "error")


def test_a_clean_build_verifies(release):
    assert verify_release(release) == []


def test_the_committed_release_verifies():
    manifest = read_manifest(PROJECT / "releases" / "0.1.0")
    findings = verify_release(PROJECT / "releases" / manifest.version)
    # 0.1.0 was released before manifests had a digest sidecar: that is the one warning it may have
    assert [(f.check_id, f.severity) for f in findings] == [("verify.manifest-digest", "warning")]


def flip_byte(path, position) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def middle_of_the_pages(path) -> int:
    """The middle byte between the leading magic number and the footer (metadata, then length and magic)."""
    data = path.read_bytes()
    footer_start = len(data) - 8 - struct.unpack("<I", data[-8:-4])[0]
    return (4 + footer_start) // 2


@pytest.mark.parametrize("config", ["documents", "ner", "stance"])
def test_a_flipped_byte_in_the_data_is_a_checksum_and_a_content_finding(release, config):
    path = release / shard_path(config, "train")
    flip_byte(path, middle_of_the_pages(path))
    findings = verify_release(release)
    ids = check_ids(findings)
    assert ids in (["verify.checksum", "verify.fingerprint"], ["verify.checksum", "verify.unreadable"])
    assert {f.path for f in findings} == {str(path)}
    checksum = next(f for f in findings if f.check_id == "verify.checksum")
    assert read_manifest(release).files[shard_path(config, "train")].sha256 in checksum.message


@pytest.mark.parametrize("config", ["documents", "ner", "stance"])
def test_a_flipped_byte_anywhere_is_a_checksum_finding_and_never_a_traceback(release, config):
    """The file's middle byte may be footer metadata that leaves the rows intact: then only the checksum differs."""
    path = release / shard_path(config, "train")
    flip_byte(path, path.stat().st_size // 2)
    findings = verify_release(release)
    assert "verify.checksum" in check_ids(findings) and set(check_ids(findings)) <= {
        "verify.checksum", "verify.fingerprint", "verify.unreadable"}
    assert all("\n" not in str(f) for f in findings)


def test_a_truncated_parquet_file_is_unreadable_not_a_traceback(release):
    path = release / shard_path("stance", "train")
    path.write_bytes(path.read_bytes()[: 200])
    findings = verify_release(release)
    assert check_ids(findings) == ["verify.checksum", "verify.unreadable"]
    assert "cannot be read as Parquet" in str(next(f for f in findings if f.check_id == "verify.unreadable"))


def test_a_deleted_file_is_missing(release):
    (release / shard_path("ner", "train")).unlink()
    (release / "README.md").unlink()
    findings = verify_release(release)
    assert check_ids(findings) == ["verify.missing", "verify.missing"]
    assert sorted(f.path for f in findings) == [str(release / "README.md"), str(release / shard_path("ner", "train"))]


def test_a_stray_file_is_unlisted(release):
    stray = release / "data" / "ner" / "notes.txt"
    stray.write_text("left behind", encoding="utf-8")
    [finding] = verify_release(release)
    assert (finding.check_id, finding.path) == ("verify.unlisted", str(stray))


def test_an_edited_fingerprint_is_reported_on_the_manifest(release):
    manifest = read_manifest(release).to_dict()
    manifest["fingerprint"] = "0" * 64
    (release / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    findings = verify_release(release)
    assert [(f.check_id, f.path) for f in findings] == [("verify.fingerprint", str(release / MANIFEST_NAME)),
                                                        ("verify.manifest-digest", str(release / "manifest.sha256"))]


def test_a_manifest_that_is_not_json_is_located(release):
    (release / MANIFEST_NAME).write_text('{\n  "files": oops\n}\n', encoding="utf-8")
    [finding] = verify_release(release)
    assert (finding.check_id, finding.line, finding.col) == ("verify.manifest", 2, 12)


def test_a_manifest_path_outside_the_release_is_refused(release):
    manifest = read_manifest(release).to_dict()
    manifest["files"]["../outside.txt"] = {"sha256": "0" * 64, "bytes": 0}
    (release / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    assert check_ids(verify_release(release)) == ["verify.manifest"]


def test_a_missing_manifest_is_a_finding(release):
    (release / MANIFEST_NAME).unlink()
    assert check_ids(verify_release(release)) == ["verify.manifest"]


def test_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        verify_release(tmp_path / "nowhere")


def _edit(section, key):
    def edit(manifest):
        manifest[section][key] = manifest[section][key] + 1 if isinstance(manifest[section][key], int) else "x"
    return edit


MANIFEST_EDITS = {
    "tokens": lambda m: m["statistics"]["train"].update(tokens=999),
    "a mention count": lambda m: m["statistics"]["train"]["mentions"].update(PER=60),
    "a row count": lambda m: m["rows"]["ner"].update(train=11),
    "version": lambda m: m.update(version="0.9.9"),
    "released": lambda m: m.update(released="2020-01-01"),
    "name": lambda m: m.update(name="other"),
    "the document list": lambda m: m["documents"].update(train=["0000000000000000"]),
    "arrow_bytes": lambda m: m["arrow_bytes"]["ner"].update(train=1),
}


@pytest.mark.parametrize("what", sorted(MANIFEST_EDITS))
def test_an_edit_to_any_manifest_figure_is_found_from_the_data_even_with_a_matching_sidecar(release, what):
    manifest = read_manifest(release).to_dict()
    MANIFEST_EDITS[what](manifest)
    (release / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    import hashlib
    digest = hashlib.sha256((release / MANIFEST_NAME).read_bytes()).hexdigest()
    (release / "manifest.sha256").write_text(f"{digest}  manifest.json\n")  # the forger updates the sidecar too
    assert "verify.manifest-figure" in check_ids(verify_release(release)), what


def test_an_edited_manifest_is_found_by_its_sidecar(release):
    text = (release / MANIFEST_NAME).read_text("utf-8")
    (release / MANIFEST_NAME).write_text(text.replace('"schema_version"', '"schema_version" ', 1), encoding="utf-8")
    assert check_ids(verify_release(release)) == ["verify.manifest-digest"]
