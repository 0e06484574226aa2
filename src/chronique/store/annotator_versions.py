"""Annotators' versions of documents: where they are stored and how they are read.

Each annotator's version of a document is an ordinary annotation file (the same JSON Schema, written
with :func:`chronique.store.annotations.write_annotation` and read with
:func:`chronique.store.annotations.read_annotation`) stored at::

    annotations/versions/<doc_id>/<annotator>.json

Its status is ``silver`` until the document is adjudicated, and ``provenance.annotators`` is
``[<annotator>]``; the annotator is named by the file stem. The build reads only the top-level
``annotations/*.json``, so versions are never published. :mod:`chronique.curation.adjudicate` turns the versions
of a document into its gold ``annotations/<doc_id>.json``, writing the disagreements beside them in
``annotations/versions/<doc_id>/conflicts.tsv``.

:mod:`chronique.curation.agreement` measures how far the versions agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from chronique.store.annotations import read_annotation
from chronique.store.documents import is_safe_id, make_document
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.store.raw_files import RawSource, display_path
from chronique.store.readers import read_source
from chronique.store.records import Annotation

VERSIONS_FOLDER = "versions"


def versions_folder(repo: Path, doc_id: str | None = None) -> Path:
    """``annotations/versions`` of ``repo``, or the folder of one document's versions."""
    folder = repo / "annotations" / VERSIONS_FOLDER
    return folder / doc_id if doc_id is not None else folder


def load_document_versions(repo: Path, doc_id: str, *, log: FindingLog) -> dict[str, Annotation]:
    """Every readable version of ``doc_id`` by annotator, in sorted file order.

    Unreadable files, symbolic links, unsafe annotator names and files that annotate another
    document are logged as located findings and left out.
    """
    folder = versions_folder(repo, doc_id)
    found: dict[str, Annotation] = {}
    if not folder.is_dir():
        return found
    for path in sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".")):
        annotation = _read_version(path, repo, doc_id, log)
        if annotation is not None:
            found[path.stem] = annotation
    return found


def _read_version(path: Path, repo: Path, doc_id: str, log: FindingLog) -> Annotation | None:
    shown = display_path(path, repo)
    if path.is_symlink():
        log.add(finding("versions.symlink", "symbolic links are not allowed among versions", shown,
                        hint="copy the file instead of linking to it"))
        return None
    if not is_safe_id(path.stem):
        log.add(finding("versions.name", f"annotator name {path.stem!r} is not safe as a file name", shown,
                        hint="name the file <annotator>.json with letters, digits, '_', '.' and '-' only"))
        return None
    annotation = read_annotation(path, root=repo, log=log)
    if annotation is None:
        return None
    if annotation.doc_id != doc_id:
        log.add(finding("versions.doc-id", f"the file annotates {annotation.doc_id!r} but lies in the folder of "
                        f"{doc_id!r}", shown, 1, hint=f"move it to annotations/versions/{annotation.doc_id}/"))
        return None
    if annotation.provenance.annotators != (path.stem,):
        log.add(finding("versions.annotator", f"provenance names {list(annotation.provenance.annotators)} but the "
                        f"file is {path.stem!r}'s version", shown, 1,
                        hint=f"set provenance.annotators to [{path.stem!r}]"))
    return annotation


def load_versions(repo: Path, *, log: FindingLog) -> dict[str, dict[str, Annotation]]:
    """``doc_id -> annotator -> Annotation`` for every document folder under ``annotations/versions``.

    The walk is sorted; a document with no readable version is left out.
    """
    folder = versions_folder(repo)
    versions: dict[str, dict[str, Annotation]] = {}
    if not folder.is_dir():
        return versions
    for entry in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if entry.is_symlink() or not is_safe_id(entry.name):
            log.add(finding("versions.name", f"{entry.name!r} is not a document folder (unsafe id or symbolic link)",
                            display_path(entry, repo), hint="name the folder after the document id"))
            continue
        found = load_document_versions(repo, entry.name, log=log)
        if found:
            versions[entry.name] = found
    return versions


def load_texts(repo: Path, doc_ids: Iterable[str], *, log: FindingLog) -> dict[str, str]:
    """The normalised text of each wanted document, read from ``raw/`` with the build's readers."""
    wanted = set(doc_ids)
    texts: dict[str, str] = {}
    for article in read_source(RawSource.of_repository(repo), log):
        if article.doc_id in wanted and article.doc_id not in texts:
            texts[article.doc_id] = make_document(article, None, "train").text
    return texts
