"""Checking a published release against its manifest.

:func:`verify_release` re-hashes every file the manifest lists, looks for files
missing from the folder or from the manifest, and recomputes the content fingerprint
from the Parquet rows. Every problem is a :class:`~chronique.errors.Finding` naming
the file; a corrupt file is a finding too, never an exception.

Check ids:

* ``verify.manifest`` — ``manifest.json`` is missing, not JSON, or malformed;
* ``verify.missing`` — a file the manifest lists is absent;
* ``verify.unlisted`` — a file is present but not in the manifest;
* ``verify.checksum`` — a file's SHA-256 or size differs from the manifest's;
* ``verify.unreadable`` — a data file cannot be read as Parquet;
* ``verify.fingerprint`` — the rows read back do not give the manifest's digests;
* ``verify.manifest-figure`` — a figure the manifest states (name, version, date, rows,
  documents, statistics, Arrow sizes) is not what the data and the card give
  (:mod:`chronique.release.figures`);
* ``verify.manifest-digest`` — ``manifest.sha256`` does not hold the manifest's hash.
"""

from __future__ import annotations

from pathlib import Path

from chronique.release.diff import one_line
from chronique.errors import Finding, UsageError
from chronique.release.figures import figure_findings, manifest_digest_findings
from chronique.release.manifest import (MANIFEST_NAME, FileDifference, FileEntry, Manifest, ManifestError, ManifestProblem,
                                        file_differences, fingerprint, read_manifest)
from chronique.release.writer import combined_digest, listed_shards, shard_path, table_digest_of_file
from chronique.checks.catalogue import finding

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
    try:
        manifest = read_manifest(folder)
    except ManifestError as error:
        return [_manifest_finding(folder, problem) for problem in error.problems]
    findings = _check_files(folder, manifest.files)
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


def _manifest_finding(folder: Path, problem: ManifestProblem) -> Finding:
    return finding("verify.manifest", problem.message, str(folder / MANIFEST_NAME), problem.line, problem.col, hint=_REBUILD)


# --- the files ----------------------------------------------------------------------


def _check_files(folder: Path, listed: dict[str, FileEntry]) -> list[Finding]:
    """``verify.missing``, ``verify.unlisted``, ``verify.checksum`` and ``verify.unreadable``, in path order."""
    return [_file_finding(folder / difference.path, difference) for difference in file_differences(folder, listed)]


def _file_finding(path: Path, difference: FileDifference) -> Finding:
    listed, found = difference.listed, difference.found
    if difference.change == "missing":
        return finding("verify.missing", "listed in the manifest but absent", str(path), hint=_REBUILD)
    if difference.change == "unlisted":
        return finding("verify.unlisted", "present but not listed in the manifest", str(path),
                       hint="remove it: a release holds only the files its manifest lists")
    if difference.change == "unreadable":
        error = difference.error
        return finding("verify.unreadable", f"cannot be read: {error.strerror or error}", str(path))
    sizes = f"; {found.bytes} bytes, manifest says {listed.bytes}" if listed.bytes != found.bytes else ""
    return finding("verify.checksum", f"expected sha256 {listed.sha256}, found {found.sha256}{sizes}", str(path),
                   hint=_REBUILD)


# --- the rows -----------------------------------------------------------------------


def _split_files(manifest: Manifest, config: str, split: str) -> list[str]:
    """The shard files of a config and split that the manifest lists (the first shard's name when it lists none)."""
    return listed_shards(manifest.files, config, split) or [shard_path(config, split)]


def _shard_digest(folder: Path, relatives: list[str]) -> tuple[str | None, Finding | None]:
    """The row digest of a config and split from its shards, or the finding that says why it cannot be read."""
    digests = []
    for relative in relatives:
        path = folder / relative
        if not path.is_file():
            return None, None  # reported by the file checks, or below when the manifest does not list it
        try:
            digests.append(table_digest_of_file(path))
        # A corrupt Parquet file fails in many ways (thrift, decompression, Arrow, UTF-8 decoding):
        # every one of them is the same finding.
        except Exception as error:  # noqa: BLE001
            message = f"cannot be read as Parquet: {type(error).__name__}: {one_line(error)}"
            return None, finding("verify.unreadable", message, str(path), hint=_REBUILD)
    return combined_digest(digests), None


def _check_rows(folder: Path, manifest: Manifest) -> list[Finding]:
    """Recompute every shard's row digest and the fingerprint; compare them with the manifest."""
    findings, digests, complete = [], {}, True
    for config, splits in manifest.rows.items():
        for split in splits:
            relatives = _split_files(manifest, config, split)
            digest, problem = _shard_digest(folder, relatives)
            if digest is None and problem is None and not any(r in manifest.files for r in relatives):
                problem = finding("verify.missing", "in the manifest's rows but absent", str(folder / relatives[0]))
            findings += [problem] if problem else []
            complete &= digest is not None
            if digest is not None:
                digests[f"{config}/{split}"] = digest
    mismatches = _compare_digests(folder, manifest, digests)
    if complete and not mismatches:
        mismatches = _compare_fingerprint(folder, manifest, digests)
    return findings + mismatches


def _compare_digests(folder: Path, manifest: Manifest, digests: dict[str, str]) -> list[Finding]:
    findings = []
    for key, digest in sorted(digests.items()):
        expected = manifest.shard_digests.get(key)
        if digest != expected:
            config, split = key.split("/")
            findings.append(finding("verify.fingerprint", f"rows of {key} hash to {digest}, manifest says {expected}",
                                    str(folder / _split_files(manifest, config, split)[0]), hint=_REBUILD))
    return findings


def _compare_fingerprint(folder: Path, manifest: Manifest, digests: dict[str, str]) -> list[Finding]:
    """The release fingerprint, once every shard digest matched, hashed with the schema version the manifest states."""
    found = fingerprint(digests, manifest.schema_version)
    if found == manifest.fingerprint and set(digests) == set(manifest.shard_digests):
        return []
    return [finding("verify.fingerprint", f"the rows give fingerprint {found}, manifest says {manifest.fingerprint}",
                    str(folder / MANIFEST_NAME), hint=_REBUILD)]
