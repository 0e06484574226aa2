"""A release's ``manifest.json``: one record, one reader, one writer.

:class:`Manifest` holds every field the build writes; :func:`read_manifest` is the only
place that parses the file, and raises :class:`ManifestError` (saying what is wrong and
where) for a manifest that is missing, unreadable or malformed, so each caller only
chooses how to report it. :func:`write_manifest` and :meth:`Manifest.dumps` write it
back byte for byte as the build always has: ``json.dumps(indent=2)``, keys in a fixed
order, a trailing newline, and a ``manifest.sha256`` sidecar in ``sha256sum`` format.

:func:`file_differences` compares the files of a release folder with the manifest's
``files`` table; ``verify`` and ``publish`` both report from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping

from chronique.errors import InputError
from chronique.release.citation import Citation
from chronique.schema import CONFIGS, SCHEMA_VERSION
from chronique.store.splits import SPLITS

MANIFEST_NAME = "manifest.json"
MANIFEST_DIGEST_NAME = "manifest.sha256"
"""``sha256sum`` line of the manifest, beside it, so that editing the manifest is found."""

Counts = dict[str, dict[str, int]]
"""``{config: {split: number}}``: row counts, Arrow sizes."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """What the manifest states of one file: its SHA-256 and its size in bytes."""

    sha256: str
    bytes: int

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "bytes": self.bytes}


@dataclass(frozen=True)
class Manifest:
    """Everything ``manifest.json`` states about a release.

    ``statistics`` maps a split to its counts (documents, tokens, mentions by type…; older
    releases state fewer of them); ``documents`` maps a split to its ``doc_id`` list in row
    order; ``files`` lists every file of the release but the manifest and its sidecar.
    ``citation`` is absent before 0.2.0, ``agreement`` and ``kept_out`` when there was none.
    """

    name: str
    version: str
    released: str
    schema_version: str
    fingerprint: str
    shard_digests: dict[str, str]
    rows: Counts
    arrow_bytes: Counts
    statistics: dict[str, dict[str, Any]]
    documents: dict[str, list[str]]
    files: dict[str, FileEntry]
    citation: Citation | None = None
    agreement: str | None = None
    kept_out: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON object, keys in the order the build has always written them."""
        return {
            "name": self.name,
            "version": self.version,
            "released": self.released,
            "schema_version": self.schema_version,
            "fingerprint": self.fingerprint,
            "shard_digests": self.shard_digests,
            "rows": self.rows,
            "arrow_bytes": self.arrow_bytes,
            "statistics": self.statistics,
            "documents": self.documents,
            **({"citation": self.citation.to_dict()} if self.citation else {}),
            **({"agreement": self.agreement} if self.agreement else {}),
            **({"kept_out": self.kept_out} if self.kept_out else {}),
            "files": {path: entry.to_dict() for path, entry in self.files.items()},
        }

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


# --- reading ------------------------------------------------------------------------

ManifestTrouble = Literal["missing", "unreadable", "malformed"]


@dataclass(frozen=True, slots=True)
class ManifestProblem:
    """One thing wrong with a manifest; ``field`` is the top-level field at fault (None: the whole file)."""

    message: str
    field: str | None = None
    line: int | None = None
    col: int | None = None


class ManifestError(InputError):
    """``manifest.json`` is ``missing``, ``unreadable`` (not UTF-8 JSON) or ``malformed``.

    ``problems`` lists what is wrong (one for the first two kinds, every one found for the
    last); ``cause`` is the exception that made the file unreadable, if any.
    """

    def __init__(self, path: Path, kind: ManifestTrouble, problems: list[ManifestProblem],
                 cause: BaseException | None = None):
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{path}: {problems[0].message}{more}")
        self.path, self.kind, self.problems, self.cause = path, kind, problems, cause

    def fields(self) -> set[str | None]:
        return {problem.field for problem in self.problems}


_REQUIRED: dict[str, type] = {
    "files": dict, "rows": dict, "fingerprint": str, "shard_digests": dict,
    "name": str, "version": str, "released": str, "schema_version": str,
    "arrow_bytes": dict, "statistics": dict, "documents": dict,
}
_OPTIONAL: dict[str, type] = {"citation": dict, "agreement": str, "kept_out": list}


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the release in ``folder``; :class:`ManifestError` when it is not usable."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        problem = ManifestProblem(f"no {MANIFEST_NAME}: this folder is not a complete release")
        raise ManifestError(path, "missing", [problem])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        problem = ManifestProblem(f"not valid JSON: {error.msg}", line=error.lineno, col=error.colno)
        raise ManifestError(path, "unreadable", [problem], error) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(path, "unreadable", [ManifestProblem(f"cannot be read: {error}")], error) from error
    problems = list(_problems(data))
    if problems:
        raise ManifestError(path, "malformed", problems)
    return _from_dict(data)


def _problems(data: object) -> Iterator[ManifestProblem]:
    """What keeps a parsed manifest from being a :class:`Manifest`: missing fields, unknown shards, paths outside the folder."""
    if not isinstance(data, dict):
        yield ManifestProblem("expected a JSON object")
        return
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind):
            yield ManifestProblem(f"field {key!r} is missing or not a {kind.__name__}", key)
    for key, kind in _OPTIONAL.items():
        if data.get(key) is not None and not isinstance(data[key], kind):
            yield ManifestProblem(f"field {key!r} is not a {kind.__name__}", key)
    citation = data.get("citation")
    if isinstance(citation, dict) and not (isinstance(citation.get("title"), str)
                                           and isinstance(citation.get("authors"), list)):
        yield ManifestProblem("field 'citation' needs a title and a list of authors", "citation")
    rows = data.get("rows")
    for config, splits in rows.items() if isinstance(rows, dict) else ():
        if config not in CONFIGS or not isinstance(splits, dict) or not set(splits) <= set(SPLITS):
            yield ManifestProblem(f"rows of unknown config or split: {config!r}: {splits!r}", "rows")
    files = data.get("files")
    for relative, entry in files.items() if isinstance(files, dict) else ():
        if not _inside(relative) or not _is_file_entry(entry):
            yield ManifestProblem(f"bad file entry {relative!r}: expected a path inside the release "
                                  "with a sha256 and a size", "files")


def _inside(relative: str) -> bool:
    """Whether ``relative`` names a file inside the release (no absolute path, no ``..``) other than the manifest."""
    path = Path(relative)
    return not path.is_absolute() and ".." not in path.parts and relative != MANIFEST_NAME


def _is_file_entry(entry: object) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("bytes"), int) and not isinstance(entry.get("bytes"), bool))


def _from_dict(data: dict) -> Manifest:
    """A manifest :func:`_problems` found nothing wrong with, as a record."""
    citation = data.get("citation")
    return Manifest(
        **{key: data[key] for key in _REQUIRED if key != "files"},
        files={path: FileEntry(entry["sha256"], entry["bytes"]) for path, entry in data["files"].items()},
        citation=Citation.from_dict(citation) if citation else None,
        agreement=data.get("agreement"),
        kept_out=data.get("kept_out") or [],
    )


# --- writing ------------------------------------------------------------------------


def fingerprint(shard_digests: dict[str, str], schema_version: str = SCHEMA_VERSION) -> str:
    """The release's content fingerprint: a hash over the schema version and the logical values of every
    config and split (an older release is checked with the schema version its manifest states)."""
    lines = "".join(f"{key}\t{digest}\n" for key, digest in sorted(shard_digests.items()))
    return hashlib.sha256(f"schema {schema_version}\n{lines}".encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def present_files(folder: Path) -> list[str]:
    """Relative paths of every file of a release but the manifest and its sidecar, in path order."""
    relatives = (path.relative_to(folder).as_posix() for path in sorted(p for p in folder.rglob("*") if p.is_file()))
    return [relative for relative in relatives if relative not in (MANIFEST_NAME, MANIFEST_DIGEST_NAME)]


def file_entry(path: Path) -> FileEntry:
    return FileEntry(file_sha256(path), path.stat().st_size)


def file_checksums(folder: Path, known: Mapping[str, FileEntry] | None = None) -> dict[str, FileEntry]:
    """SHA-256 and size of every file of a release but the manifest itself; the files in ``known`` (the shards
    the build's workers wrote and hashed a moment ago) are not read again."""
    known = known or {}
    return {relative: known[relative] if relative in known else file_entry(folder / relative)
            for relative in present_files(folder)}


def _dump_manifest(folder: Path, manifest: Manifest) -> None:
    """The manifest and its digest sidecar (``sha256sum -c manifest.sha256`` checks it by hand)."""
    (folder / MANIFEST_NAME).write_text(manifest.dumps(), encoding="utf-8")
    (folder / MANIFEST_DIGEST_NAME).write_text(f"{file_sha256(folder / MANIFEST_NAME)}  {MANIFEST_NAME}\n", encoding="utf-8")


def write_manifest(folder: Path, *, version: str, rows: Counts, digests: dict[str, str], documents: dict[str, list[str]],
                   statistics: dict, released: str, arrow_bytes: Counts, citation: dict,
                   agreement: str | None = None, kept_out: list | None = None,
                   known_files: Mapping[str, FileEntry] | None = None) -> Manifest:
    """Write ``manifest.json``: checksums of every other file, row counts, fingerprint, statistics and split membership."""
    manifest = Manifest(
        name="chronique",
        version=version,
        released=released,
        schema_version=SCHEMA_VERSION,
        fingerprint=fingerprint(digests),
        shard_digests=dict(sorted(digests.items())),
        rows=rows,
        arrow_bytes=arrow_bytes,
        statistics=statistics,
        documents={split: documents[split] for split in SPLITS if documents.get(split)},
        files=file_checksums(folder, known_files),
        citation=Citation.from_dict(citation),
        agreement=agreement,
        kept_out=kept_out or [],
    )
    _dump_manifest(folder, manifest)
    return manifest


def refresh_manifest_files(folder: Path, known: Mapping[str, FileEntry] | None = None) -> Manifest:
    """Recompute the checksums of a release whose documentation (not data) was regenerated."""
    manifest = dataclasses.replace(read_manifest(folder), files=file_checksums(folder, known))
    _dump_manifest(folder, manifest)
    return manifest


# --- checking a folder against the manifest -----------------------------------------

FileChange = Literal["missing", "unlisted", "changed", "unreadable"]


@dataclass(frozen=True, slots=True)
class FileDifference:
    """One file of a release that is not as the manifest's ``files`` table says.

    ``missing``: listed but absent; ``unlisted``: present but not listed; ``changed``: its
    SHA-256 or size differs (``found`` holds both); ``unreadable``: hashing it failed (``error``).
    """

    path: str
    change: FileChange
    listed: FileEntry | None = None
    found: FileEntry | None = None
    error: OSError | None = None


def file_differences(folder: Path, listed: Mapping[str, FileEntry],
                     found: Mapping[str, FileEntry] | None = None) -> list[FileDifference]:
    """Every difference between the files of ``folder`` (but the manifest) and ``listed``, in path order.

    ``found`` is what the folder holds when the caller has hashed it already (nothing is then
    ``unreadable``); otherwise the files present are listed here and only those the manifest
    lists are hashed.
    """
    present = set(found) if found is not None else set(present_files(folder))
    differences = []
    for relative in sorted(listed.keys() | present):
        if relative not in present:
            differences.append(FileDifference(relative, "missing", listed=listed[relative]))
        elif relative not in listed:
            differences.append(FileDifference(relative, "unlisted", found=found.get(relative) if found else None))
        else:
            try:
                entry = found[relative] if found is not None else file_entry(folder / relative)
            except OSError as error:
                differences.append(FileDifference(relative, "unreadable", listed=listed[relative], error=error))
                continue
            if entry != listed[relative]:
                differences.append(FileDifference(relative, "changed", listed=listed[relative], found=entry))
    return differences
