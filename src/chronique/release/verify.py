"""Checking a published release against its manifest.

:func:`verify_release` re-hashes every file the manifest lists, looks for files
missing from the folder or from the manifest, and recomputes the content fingerprint
from the Parquet rows. Every problem is a :class:`~chronique.errors.Finding` naming
the file; a corrupt file is a finding too, never an exception.

Check ids:

* ``verify.manifest`` — ``manifest.json`` is missing, not JSON, or malformed;
* ``verify.missing`` — a file the manifest lists is absent;
* ``verify.unlisted`` — a file is present but not in the manifest;
* ``verify.checksum`` — a file's SHA-256 differs from the manifest's;
* ``verify.unreadable`` — a data file cannot be read as Parquet;
* ``verify.fingerprint`` — the rows read back do not give the manifest's digests;
* ``verify.manifest-figure`` — a figure the manifest states (name, version, date, rows,
  documents, statistics, Arrow sizes) is not what the data and the card give
  (:mod:`chronique.release.figures`);
* ``verify.manifest-digest`` — ``manifest.sha256`` does not hold the manifest's hash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from chronique.release.diff import one_line
from chronique.errors import Finding, UsageError
from chronique.release.writer import MANIFEST_DIGEST_NAME, MANIFEST_NAME, file_sha256, fingerprint, shard_digests_from_files, shard_path
from chronique.schema import CONFIGS, SCHEMA_VERSION
from chronique.store.splits import SPLITS
from chronique.release.figures import figure_findings, manifest_digest_findings

_REBUILD = "restore the release from its source (a clean checkout or a rebuild); a release is never edited by hand"


def verify_release(folder: Path) -> list[Finding]:
    """Every finding about release ``folder``; an empty list means it is intact.

    Raises :class:`UsageError` when ``folder`` is not a folder at all, or is a folder of
    releases (``releases/`` rather than ``releases/<version>``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"release folder {folder} does not exist")
    _refuse_folder_of_releases(folder)
    manifest, findings = _read_manifest(folder)
    if manifest is None:
        return findings
    findings += _check_files(folder, manifest["files"])
    findings += _check_rows(folder, manifest)
    if not any(f.severity == "error" for f in findings):  # a damaged file explains its figures already
        findings += figure_findings(folder, manifest)
    findings += manifest_digest_findings(folder)
    return sorted(findings, key=lambda f: f.path)


# --- the manifest -------------------------------------------------------------------


def _version_order(name: str) -> tuple:
    """``1.10.0`` after ``1.9.0``: numeric parts compare as numbers, others after them as text."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split("."))


def _refuse_folder_of_releases(folder: Path) -> None:
    """A folder without a manifest whose subfolders are releases is their parent: say which one was meant."""
    if (folder / MANIFEST_NAME).exists():
        return
    releases = sorted((p.name for p in folder.iterdir() if (p / MANIFEST_NAME).is_file()), key=_version_order)
    if releases:
        latest = (folder / releases[-1]).as_posix()
        raise UsageError(f"{folder.as_posix()} is not a release folder; did you mean {latest}? "
                         f"(it holds the releases {', '.join(releases)})")


def _manifest_finding(folder: Path, message: str, line: int | None = None, col: int | None = None) -> Finding:
    return Finding("verify.manifest", message, str(folder / MANIFEST_NAME), line, col, hint=_REBUILD)


def _read_manifest(folder: Path) -> tuple[dict | None, list[Finding]]:
    """The manifest when it is usable, else None and why."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return None, [_manifest_finding(folder, f"no {MANIFEST_NAME}: this folder is not a complete release")]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return None, [_manifest_finding(folder, f"not valid JSON: {error.msg}", error.lineno, error.colno)]
    except (OSError, UnicodeDecodeError) as error:
        return None, [_manifest_finding(folder, f"cannot be read: {error}")]
    problems = list(_manifest_problems(folder, manifest))
    return (None if problems else manifest), problems


def _manifest_problems(folder: Path, manifest: object) -> Iterator[Finding]:
    """What makes a parsed manifest unusable: missing fields, unknown shards, paths outside the folder."""
    if not isinstance(manifest, dict):
        yield _manifest_finding(folder, "expected a JSON object")
        return
    expected = {"files": dict, "rows": dict, "fingerprint": str, "shard_digests": dict}
    for key, kind in expected.items():
        if not isinstance(manifest.get(key), kind):
            yield _manifest_finding(folder, f"field {key!r} is missing or not a {kind.__name__}")
    rows = manifest.get("rows")
    for config, splits in rows.items() if isinstance(rows, dict) else ():
        if config not in CONFIGS or not isinstance(splits, dict) or not set(splits) <= set(SPLITS):
            yield _manifest_finding(folder, f"rows of unknown config or split: {config!r}: {splits!r}")
    files = manifest.get("files")
    for relative, entry in files.items() if isinstance(files, dict) else ():
        if not _inside(relative) or not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            yield _manifest_finding(folder, f"bad file entry {relative!r}: expected a path inside the release "
                                    "with a sha256")


def _inside(relative: str) -> bool:
    """Whether ``relative`` names a file inside the release (no absolute path, no ``..``) other than the manifest."""
    path = Path(relative)
    return not path.is_absolute() and ".." not in path.parts and relative != MANIFEST_NAME


# --- the files ----------------------------------------------------------------------


def _present_files(folder: Path) -> set[str]:
    """Relative paths of every file of the release but its manifest."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST_NAME, MANIFEST_DIGEST_NAME}


def _check_files(folder: Path, listed: dict[str, dict]) -> list[Finding]:
    """``verify.missing``, ``verify.checksum`` and ``verify.unlisted``, in path order."""
    findings = []
    present = _present_files(folder)
    for relative in sorted(listed.keys() | present):
        path = folder / relative
        if relative not in present:
            findings.append(Finding("verify.missing", "listed in the manifest but absent", str(path), hint=_REBUILD))
        elif relative not in listed:
            findings.append(Finding("verify.unlisted", "present but not listed in the manifest", str(path),
                                    hint="remove it: a release holds only the files its manifest lists"))
        else:
            findings += _check_checksum(path, listed[relative])
    return findings


def _check_checksum(path: Path, entry: dict) -> list[Finding]:
    try:
        found = file_sha256(path)
    except OSError as error:
        return [Finding("verify.unreadable", f"cannot be read: {error.strerror or error}", str(path))]
    if found == entry["sha256"]:
        return []
    size, listed = path.stat().st_size, entry.get("bytes")
    sizes = f"; {size} bytes, manifest says {listed}" if listed is not None and listed != size else ""
    return [Finding("verify.checksum", f"expected sha256 {entry['sha256']}, found {found}{sizes}", str(path),
                    hint=_REBUILD)]


# --- the rows -----------------------------------------------------------------------


def _shard_digest(folder: Path, config: str, split: str) -> tuple[str | None, Finding | None]:
    """The row digest of one shard, or the finding that says why it cannot be read."""
    path = folder / shard_path(config, split)
    if not path.is_file():
        return None, None  # reported by the file checks, or below when the manifest does not list it
    try:
        return shard_digests_from_files(folder, {config: {split: 0}})[f"{config}/{split}"], None
    # A corrupt Parquet file fails in many ways (thrift, decompression, Arrow, UTF-8 decoding):
    # every one of them is the same finding.
    except Exception as error:  # noqa: BLE001
        message = f"cannot be read as Parquet: {type(error).__name__}: {one_line(error)}"
        return None, Finding("verify.unreadable", message, str(path), hint=_REBUILD)


def _check_rows(folder: Path, manifest: dict) -> list[Finding]:
    """Recompute every shard's row digest and the fingerprint; compare them with the manifest."""
    findings, digests, complete = [], {}, True
    for config, splits in manifest["rows"].items():
        for split in splits:
            relative = shard_path(config, split)
            digest, problem = _shard_digest(folder, config, split)
            if digest is None and problem is None and relative not in manifest["files"]:
                problem = Finding("verify.missing", "in the manifest's rows but absent", str(folder / relative))
            findings += [problem] if problem else []
            complete &= digest is not None
            if digest is not None:
                digests[f"{config}/{split}"] = digest
    mismatches = _compare_digests(folder, manifest, digests)
    if complete and not mismatches:
        mismatches = _compare_fingerprint(folder, manifest, digests)
    return findings + mismatches


def _compare_digests(folder: Path, manifest: dict, digests: dict[str, str]) -> list[Finding]:
    findings = []
    for key, digest in sorted(digests.items()):
        expected = manifest["shard_digests"].get(key)
        if digest != expected:
            config, split = key.split("/")
            findings.append(Finding("verify.fingerprint", f"rows of {key} hash to {digest}, manifest says {expected}",
                                    str(folder / shard_path(config, split)), hint=_REBUILD))
    return findings


def _compare_fingerprint(folder: Path, manifest: dict, digests: dict[str, str]) -> list[Finding]:
    """The release fingerprint, once every shard digest matched; it hashes the schema version this code writes."""
    path = str(folder / MANIFEST_NAME)
    stated = manifest.get("schema_version")
    if not isinstance(stated, str):
        return [Finding("verify.fingerprint", f"schema version {stated!r} is not a version string", path, hint=_REBUILD)]
    found = fingerprint(digests, stated)
    if found == manifest["fingerprint"] and set(digests) == set(manifest["shard_digests"]):
        return []
    return [Finding("verify.fingerprint", f"the rows give fingerprint {found}, manifest says {manifest['fingerprint']}",
                    path, hint=_REBUILD)]
