"""Pre-annotation of a whole raw collection: every article without an annotation file gets a silver one.

:func:`preannotate_corpus` cuts the raw files (all of ``raw/`` or of another folder or fsspec URL
(:mod:`chronique.store.raw_files`), or those matching a pattern)
into batches and maps :func:`preannotate_batch` over them on an executor
(:mod:`chronique.run.executors`): locally or on Ray. A worker loads the model once, reads its
batch's articles, sends the paragraphs of all those still to do through one ``nlp.pipe``, and
writes each silver file as one step that never replaces an existing file. So:

- a gold file, or any annotation file already there, is never touched;
- a run that stops (interrupted, a machine lost) leaves only whole files, and the next run
  skips every document that has one: it resumes where the last one stopped;
- the files written are the same whichever executor and however many workers wrote them, and
  the same as :func:`chronique.curation.preannotate.preannotate` writes one document at a time.

A raw file with errors is reported (its findings are collected) and its articles are left for
a later run; the rest of the collection is pre-annotated.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from chronique.curation.preannotate import DEFAULT_MODEL, load_ner_model, model_annotator, silver_plan, predicted_spans_batch
from chronique.checks.catalogue import finding
from chronique.errors import ChroniqueError, Finding, FindingLog, UsageError
from chronique.run.executors import Executor, LocalExecutor
from chronique.store.annotations import annotation_to_dict, dumps_annotation
from chronique.store.documents import is_safe_id, make_document
from chronique.store.files import create_exclusively
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_raw

BATCH_FILES = 32
"""Raw files per task: enough paragraphs for ``nlp.pipe`` to batch well, few enough to lose little to an interruption."""


@dataclass
class BatchOutcome:
    """What one task did: the ids it wrote, the ids it found already annotated, and the problems it met."""

    written: list[str] = field(default_factory=list)
    already_annotated: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    mentions: int = 0
    dropped: Counter = field(default_factory=Counter)


@dataclass
class CorpusPreannotation:
    """What a run did, over all its batches."""

    files: int = 0
    written: list[str] = field(default_factory=list)
    already_annotated: int = 0
    findings: list[Finding] = field(default_factory=list)
    mentions: int = 0
    dropped: Counter = field(default_factory=Counter)

    def add(self, batch: BatchOutcome) -> None:
        self.written += batch.written
        self.already_annotated += len(batch.already_annotated)
        self.findings += batch.findings
        self.mentions += batch.mentions
        self.dropped.update(batch.dropped)


def selected_raw_files(source: RawSource, pattern: str | None, log: FindingLog) -> list[str]:
    """The keys of the raw files to pre-annotate, in the source's order: all, or those whose path inside
    the source's folder matches the shell pattern ``pattern`` (``2021/*.txt``, ``*.jsonl``)."""
    keys = [file.key for file in source.files(log)]
    if pattern is not None:
        keys = [key for key in keys if fnmatch.fnmatchcase(source.inside(key), pattern)]
    return keys


def preannotate_batch(repo: Path, source: RawSource, keys: tuple[str, ...], model: str, today: str) -> BatchOutcome:
    """One task: the batch's articles without an annotation file, through the model once, each silver file
    written unless a file appeared there in the meantime."""
    log, outcome = FindingLog(), BatchOutcome()
    folder = repo / "annotations"
    todo = []
    for article in read_raw((source.file(key) for key in keys), log=log):
        if not is_safe_id(article.doc_id):  # no file name can be made of it
            log.add(finding("L0.ids.unsafe", f"document id {article.doc_id!r} is not safe as a file name", article.path,
                            article.line, col=1, hint="use letters, digits, '_', '.' and '-' only"))
            continue
        if (folder / f"{article.doc_id}.json").exists():
            outcome.already_annotated.append(article.doc_id)
        else:
            todo.append(article)
    if todo:
        nlp = load_ner_model(model)  # once per worker process: the model is cached
        annotator = model_annotator(nlp)
        documents = [make_document(article, None, "train") for article in todo]
        for article, document, predictions in zip(todo, documents, predicted_spans_batch(nlp, documents)):
            try:
                annotation, dropped = silver_plan(article, document, predictions, annotator=annotator, today=today)
            except ChroniqueError as error:  # a plan the checks refuse is reported, and nothing written for it
                log.extend(error.findings)
                continue
            if create_exclusively(folder / f"{article.doc_id}.json", dumps_annotation(annotation_to_dict(annotation))):
                outcome.written.append(article.doc_id)
                outcome.mentions += len(annotation.mentions)
                outcome.dropped.update(dropped)
            else:
                outcome.already_annotated.append(article.doc_id)
    outcome.findings = list(log)
    return outcome


def preannotate_corpus(repo: Path, *, pattern: str | None = None, model: str = DEFAULT_MODEL,
                       executor: Executor | None = None, today: str | None = None,
                       on_selected: Callable[[int], None] | None = None,
                       on_progress: Callable[[int], None] | None = None,
                       raw: str | None = None) -> CorpusPreannotation:
    """Write a silver annotation for every raw article (of the files matching ``pattern``) that has none.

    The articles are those of ``repo``'s ``raw/``, or of the folder or fsspec URL ``raw``; their silver
    files go to ``repo``'s ``annotations/`` either way.

    The batches run on ``executor`` (by default in this process). ``on_selected`` is told how many
    raw files were selected, ``on_progress`` how many each finished batch held. Returns what was
    written and skipped; findings about raw files are in the result, and their articles were left out.
    Raises :class:`UsageError` when the model cannot be loaded (once a batch has an article to do), or
    when the raw folder cannot be read.
    """
    repo = repo.resolve()
    source = RawSource.of(raw, repo)
    if source.fs is None and not Path(source.folder).is_dir():
        raise UsageError(f"{source.folder} is not a folder: is {repo} a Chronique repository?")
    executor = executor or LocalExecutor(1)
    log = FindingLog()
    paths = selected_raw_files(source, pattern, log)
    run = CorpusPreannotation(files=len(paths), findings=list(log))
    if on_selected:
        on_selected(len(paths))
    today = today or dt.date.today().isoformat()  # one date for the whole run, whichever worker writes
    batches = [tuple(paths[start : start + BATCH_FILES]) for start in range(0, len(paths), BATCH_FILES)]
    outcomes = executor.map(preannotate_batch, ((repo, source, batch, model, today) for batch in batches))
    for batch, outcome in zip(batches, outcomes):
        run.add(outcome)
        if on_progress:
            on_progress(len(batch))
    return run
