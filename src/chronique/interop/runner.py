"""``chronique import`` and ``chronique export``: tool files in and out of the repository.

Import reads a tool's export, matches each document to its raw article (or, with
``add_raw``, records the tool's text as a new raw JSON Lines file), converts it with
:func:`chronique.interop.convert.to_annotation`, runs the document checks, and writes the
annotation files only when no document has an error: an import is all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from chronique.store.annotations import annotation_to_dict, dumps_annotation, read_annotation
from chronique.store.documents import is_safe_id, make_document, sha256_text
from chronique.checks.catalogue import finding
from chronique.errors import Finding, FindingLog, InputError, UsageError, raise_if_errors
from chronique.interop.base import ImportCounts, LabelMapping, ToolDocument
from chronique.interop.convert import Origins, to_annotation
from chronique.interop.folders import folder_files
from chronique.interop.registry import exporter, importer, realigner, taken_options
from chronique.text.normalize import normalize_text
from chronique.store.paths import SAFE_NAME_RULE, UnsafePathError, contained, is_safe_name
from chronique.store.raw_files import RawSource, display_path
from chronique.store.readers import parse_date, read_source
from chronique.store.records import Annotation, RawArticle
from chronique.store.files import write_atomically


FOLDER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "conll": (".conll", ".iob", ".iob2", ".bio", ".txt"),
    "conll-iob1": (".conll", ".iob", ".iob1", ".bio", ".txt"),
    "hipe": (".tsv",),
    "hipe-fine": (".tsv",),
}
"""The files read from a folder given to a one-file-at-a-time importer. The other importers read
folders themselves (brat, INCEpTION XMI, WebAnno TSV) or take export files only."""


NEW_RAW_PATH = "raw/(new)"
"""The path of an article only the tool's export has, until the import writes it to raw/."""


@dataclass(frozen=True)
class NewRaw:
    """What ``add_raw`` records for a document whose text only the tool has."""

    date: str
    license: str
    source: str
    origin: str  # "published" (text from a publisher) or "composed" (written for the corpus)


@dataclass
class ImportReport:
    counts: ImportCounts = field(default_factory=ImportCounts)
    written: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _raw_articles(repo: Path, log: FindingLog) -> dict[str, RawArticle]:
    return {a.doc_id: a for a in read_source(RawSource.of_repository(repo), log)}


def _target(repo: Path, doc_id: str, annotation: Annotation, as_version: bool) -> Path:
    """The resolved file to write, built from checked names only (:func:`chronique.store.paths.contained`)."""
    if as_version:
        return contained(repo / "annotations" / "versions", doc_id, f"{annotation.provenance.annotators[0]}.json")
    return contained(repo / "annotations", f"{doc_id}.json")


def _annotator(document: ToolDocument, override: str | None, format_name: str, log: FindingLog) -> str | None:
    """The annotator name an import records and names version files after: ``--annotator``, else the tool's
    own user (an e-mail address gives its local part), else ``import-<format>``; refused unless safe."""
    name = override if override is not None else document.annotator or f"import-{format_name}"
    if override is None and document.annotator and "@" in name:
        name = name.split("@", 1)[0]
    if is_safe_name(name):
        return name
    source = "--annotator" if override is not None else f"the annotator recorded in {document.path}"
    log.add(finding("import.annotator.unsafe", f"annotator name {name!r} from {source} is not safe as a file name "
                    f"({SAFE_NAME_RULE})", document.path, document.line,
                    hint="pass --annotator NAME with a pseudonym such as chronique-a2"))
    return None


def _refuse_gold_overwrite(path: Path, repo: Path, log: FindingLog) -> None:
    """Refuse to write over a gold (or unreadable) file; runs on the resolved final path."""
    if path.exists() or path.is_symlink():
        existing = read_annotation(path, root=repo, log=FindingLog()) if path.is_file() else None
        if existing is None or existing.provenance.status == "gold":
            log.add(finding("import.gold-exists", "an annotation file that is gold (or unreadable) exists here; import "
                            "never overwrites it", display_path(path, repo), 1,
                            hint="import as an annotator version (--as-version) and adjudicate"))


def _resolve_text(document: ToolDocument, articles: dict[str, RawArticle], new_raw: NewRaw | None,
                  pending_raw: list[dict], log: FindingLog) -> RawArticle | None:
    if not is_safe_id(document.doc_id):
        log.add(finding("L0.ids.unsafe", f"document id {document.doc_id!r} is not safe as a file name", document.path,
                        document.line))
        return None
    if document.doc_id in articles:
        article = articles[document.doc_id]
        if article.path == NEW_RAW_PATH and article.body != document.text:
            first = pending_raw[article.line - 1]["from"]
            log.add(finding("import.doc.duplicate", f"document id {document.doc_id!r} is also given to another text of "
                            f"this import ({first}); one of them would be lost", document.path, document.line,
                            hint="give each document its own id (INCEpTION: export with one folder per document)"))
            return None
        return article
    if new_raw is None:
        log.add(finding("import.doc.unknown", f"no raw article has id {document.doc_id!r}", document.path, document.line,
                        hint="add the article to raw/ first, or import with --add-raw to record the tool's text"))
        return None
    date = parse_date(document.date or "") or new_raw.date
    record = {"id": document.doc_id, "date": date, "text": document.text, "license": new_raw.license,
              "origin": new_raw.origin, "source": new_raw.source}
    line = json.dumps(record, ensure_ascii=False).encode("utf-8")
    pending_raw.append({**record, "from": f"{document.path}:{document.line}" if document.line else document.path})
    article = RawArticle(document.doc_id, date, document.text, NEW_RAW_PATH, len(pending_raw),
                         hashlib.sha256(line).hexdigest(), "jsonl", source=new_raw.source, license=new_raw.license,
                         origin=new_raw.origin)
    articles[document.doc_id] = article  # a second version of the same document finds it here, not twice in raw/
    return article


def import_files(
    format_name: str,
    paths: Iterable[Path],
    *,
    repo: Path,
    mapping: LabelMapping,
    status: str = "silver",
    as_version: bool = False,
    new_raw: NewRaw | None = None,
    dry_run: bool = False,
    annotator: str | None = None,
    reader_options: dict | None = None,
) -> ImportReport:
    """Import tool exports into ``repo``; raises :class:`InputError` (writing nothing) on any error.

    ``reader_options`` go to the format's reader (``layer``, ``feature``, ``typesystem`` for the
    INCEpTION formats); one the reader does not take is a :class:`UsageError`.
    """
    repo, read, log, report = repo.resolve(), importer(format_name), FindingLog(), ImportReport()
    realign = realigner(format_name)
    options = _reader_options(format_name, mapping, reader_options or {})
    articles, pending_raw, planned = _raw_articles(repo, log), [], {}
    today = dt.date.today().isoformat()
    for path in (file for given in paths for file in _input_files(format_name, Path(given), log)):
        for document in read(path, log=log, **options):
            article = _resolve_text(document, articles, new_raw, pending_raw, log)
            if article is None:
                continue
            text = normalize_text(article.body)
            if realign is not None:
                document = _realigned(realign, document, text, log)
                if document is None:
                    continue
            name = _annotator(document, annotator, format_name, log)
            if name is None:
                continue
            document = replace(document, annotator=name)
            origins: Origins = {}
            annotation, counts = to_annotation(document, text=text, text_sha256=sha256_text(text), mapping=mapping,
                                               log=log, tool=f"chronique import {format_name}", date=today, status=status,
                                               origins=origins)
            report.counts.add(counts)
            log.extend(_checked(article, annotation, document, origins))
            _plan(planned, repo, document, annotation, as_version, log)
    report.findings = log.findings
    raise_if_errors(log, "import refused; nothing was written")
    if not dry_run:
        report.written = _write(repo, planned, pending_raw, format_name)
    return report


def _reader_options(format_name: str, mapping: LabelMapping, given: dict) -> dict:
    """The keyword arguments for the format's reader: the mapping when it reads with one, and the
    options given (not None), each of which it must take (:data:`~chronique.interop.registry.IMPORTERS`)."""
    accepted = taken_options(format_name)
    options = {"mapping": mapping} if "mapping" in accepted else {}
    given = {name: value for name, value in given.items() if value is not None}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise UsageError(f"{format_name} import does not take --{', --'.join(unknown)}")
    return options | given


def _input_files(format_name: str, path: Path, log: FindingLog) -> list[Path]:
    """``path``, or the files of folder ``path`` that ``format_name`` reads (:data:`FOLDER_SUFFIXES`), in sorted order.

    The folder's own files only, not its subfolders'; a link out of it is refused
    (:mod:`chronique.interop.folders`). Raises :class:`UsageError` when the folder holds none.
    """
    suffixes = FOLDER_SUFFIXES.get(format_name)
    if suffixes is None or not path.is_dir():
        return [path]
    found_before = len(log)
    files = folder_files(path, lambda name: name.lower().endswith(suffixes), log, recursive=False)
    if not files and len(log) == found_before:  # a refused link is reported already
        raise UsageError(f"{path}: no {format_name} file in this folder (none of its names ends in "
                         f"{', '.join(suffixes)}); pass the export files themselves, or rename them")
    return files


def _plan(planned: dict[Path, tuple[Annotation, str]], repo: Path, document: ToolDocument, annotation: Annotation,
          as_version: bool, log: FindingLog) -> None:
    """Add the file this document becomes to ``planned``; two documents of one import for one file is an error."""
    where = f"{document.path}:{document.line}" if document.line else document.path
    try:
        target = _target(repo, document.doc_id, annotation, as_version)
    except UnsafePathError as error:
        log.add(finding("import.path.outside", str(error), document.path, document.line))
        return
    if target in planned:
        log.add(finding("import.doc.duplicate", f"document {document.doc_id!r} (annotator "
                        f"{annotation.provenance.annotators[0]!r}) is also imported from {planned[target][1]}; one of "
                        "them would be lost", document.path, document.line,
                        hint="import each document once, or give the versions different annotators"))
        return
    _refuse_gold_overwrite(target, repo, log)
    planned[target] = (annotation, where)


def _realigned(realign, document: ToolDocument, text: str, log: FindingLog) -> ToolDocument | None:
    """A token-format document moved onto the raw text; a token the text does not have is a located error."""
    try:
        return realign(document, text)
    except InputError as error:
        log.extend(error.findings or [finding("import.tokens.mismatch", str(error), document.path, document.line)])
        return None


def _checked(article: RawArticle, annotation: Annotation, document: ToolDocument, origins: Origins) -> list[Finding]:
    """The document checks of the would-be annotation, located in the tool file.

    The annotation file does not exist yet, so a finding names ``document.path`` at the line of the
    tool span or stance it is about (else the document's line) and says which tool item its
    mention or stance id stands for; the would-be annotation path is only mentioned in the message.
    """
    from chronique.checks.document import check_annotation

    locate = _ToolLocator(document, annotation, origins)
    return [locate.relocated(finding) for finding in check_annotation(make_document(article, annotation, "train"), locate)]


@dataclass
class _ToolLocator:
    """A check's ``locate(key, index)`` answered with lines of the tool file, remembering what was located last.

    A check calls ``locate`` while it builds the finding it yields next, so the last call names
    the mention or stance of that finding.
    """

    document: ToolDocument
    annotation: Annotation
    origins: Origins
    last: tuple[str, int] | None = None

    def __call__(self, key: str, index: int | None) -> int | None:
        self.last = (key, index) if index is not None else None
        origin = self.origins.get(self.last) if self.last else None
        return origin.line if origin is not None and origin.line is not None else self.document.line

    def relocated(self, finding: Finding) -> Finding:
        """The finding in the tool file, naming the tool item behind the located mention or stance id."""
        origin, item = self.origins.get(self.last) if self.last else None, ""
        if origin is not None:
            key, index = self.last
            record = (self.annotation.mentions if key == "mentions" else self.annotation.stances)[index]
            item = f"; {record.id} is {'span' if key == 'mentions' else 'stance'} {origin.tool_id!r} of this file"
        self.last = None
        message = f"{finding.message} (in {self.annotation.path} as this import would write it{item})"
        return replace(finding, message=message, path=self.document.path, col=None)


def _write(repo: Path, planned: dict[Path, tuple[Annotation, str]], pending_raw: list[dict], format_name: str) -> list[str]:
    written = []
    if pending_raw:
        records = [{key: value for key, value in r.items() if key != "from"} for r in pending_raw]
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        raw_path = repo / "raw" / f"import-{format_name}-{hashlib.sha256(body.encode()).hexdigest()[:12]}.jsonl"
        write_atomically(raw_path, body)
        written.append(raw_path.relative_to(repo).as_posix())
    for path, (annotation, _) in sorted(planned.items()):
        log = FindingLog()
        _refuse_gold_overwrite(path, repo, log)  # again, just before the write: the folder may have changed
        raise_if_errors(log, "import stopped before overwriting a gold file")
        write_atomically(path, dumps_annotation(annotation_to_dict(annotation)))
        written.append(path.relative_to(repo).as_posix())
    return written


def export_release(format_name: str, *, release: Path, out_dir: Path, splits: list[str] | None = None,
                   cache_dir: str | None = None, **options) -> list[Path]:
    """Export the ``documents`` rows of a release (all splits, or ``splits``) with the named exporter."""
    from datasets import load_dataset

    write = exporter(format_name)
    data = load_dataset(str(release.resolve()), "documents", cache_dir=cache_dir)
    unknown = sorted(set(splits or []) - set(data))
    if unknown:
        raise UsageError(f"split(s) {', '.join(unknown)} not in {release}; it has {', '.join(data)}")
    rows = [row for split in (splits or list(data)) for row in data[split]]
    out_dir.mkdir(parents=True, exist_ok=True)
    return write(rows, out_dir, **options)
