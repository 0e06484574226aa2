"""Every finding id the library can report, and :func:`finding`, the one way to build a finding.

:data:`CHECKS` are the validation checks ``chronique validate`` runs, ids ``L<level>.<area>.<name>``
in levels L0 repository, L1 files, L2 anchoring, L3 annotation rules, L4 corpus;
``validate --list-checks`` prints them. :data:`TOOL_FINDINGS` are what the other commands report
(imports, adjudication, pre-annotation, evaluation, releases…), grouped by the command, whose
name starts the id. :data:`CATALOGUE` holds both.

An entry gives the id's severity and a line saying what it flags. A severity is ``error`` or
``warning``, fixed for the id, except for the few ids marked :data:`EITHER`: one step reports them
as an error in one case and as a warning in another (a tar member that is a link is skipped with a
warning, one that is too big is an error), and the caller says which.
"""

from __future__ import annotations

from dataclasses import dataclass

from chronique.errors import Finding, Severity

ERROR, WARNING = "error", "warning"
EITHER = "either"
"""The severity of an id whose caller chooses ``error`` or ``warning`` at each finding."""


@dataclass(frozen=True)
class CheckInfo:
    """What the catalogue says of one id: its validation level (None for a tool finding), what it
    flags, and its severity (``error``, ``warning`` or :data:`EITHER`)."""

    level: int | None
    explanation: str
    severity: str = ERROR


_CHECKS = {
    # L0 repository
    "L0.ids.unsafe": (ERROR, "document ids are safe as file names: letters, digits, '_', '.', '-'; no '/', '..' or "
                             "control characters"),
    "L0.ids.duplicate": (ERROR, "no two raw articles share a document id"),
    "L0.path.symlink": (ERROR, "raw/ and annotations/ hold no symbolic links (they could point outside the repository)"),
    "L0.annotation.orphan": (ERROR, "every annotation file has its raw article"),
    "L0.annotation.name": (ERROR, "an annotation file is named after the document it annotates"),
    "L0.status.unannotated": (WARNING, "every raw article has an annotation status; one without an annotation file is "
                                       "not published"),
    "L0.splits.format": (ERROR, "each line of the split registry is doc_id, split (train/validation/test), origin"),
    "L0.splits.duplicate": (ERROR, "the split registry lists a document once"),
    "L0.splits.unknown-doc": (WARNING, "the split registry lists only documents present in raw/"),
    "L0.splits.moved": (ERROR, "no document changes the split an earlier release published it in"),
    "L0.version.semver": (ERROR, "the dataset version is valid SemVer (MAJOR.MINOR.PATCH)"),
    "L0.version.order": (ERROR, "the dataset version is not lower than the latest release"),
    "L0.sources.format": (ERROR, "each line of annotations/sources.tsv is doc_id, license, origin, source, url, beat, "
                                 "domain, genre"),
    "L0.sources.unknown-doc": (WARNING, "annotations/sources.tsv describes only documents present in raw/"),
    "L0.license.missing": (ERROR, "every document has a licence, from its raw record or annotations/sources.tsv"),
    "L0.license.unknown": (WARNING, "a document whose licence is recorded as unknown is flagged for follow-up"),
    "L0.withheld.format": (ERROR, "each line of annotations/withheld.tsv is doc_id, then why the text is kept out of "
                                  "releases"),
    "L0.withheld.unknown-doc": (WARNING, "annotations/withheld.tsv lists only documents present in raw/"),
    "L0.citation.missing": (ERROR, "CITATION.cff, the one source of every citation a release states, is present and "
                                   "readable"),
    "L0.license.invalid": (ERROR, "a licence is an SPDX id (CC-BY-4.0) or 'unknown'"),
    "L0.origin.missing": (ERROR, "every document has an origin, from its raw record or annotations/sources.tsv"),
    "L0.origin.invalid": (ERROR, "an origin is 'published' (text from a publisher) or 'composed' (written for the "
                                 "corpus)"),
    "L0.release.empty": (ERROR, "a release holds at least one document"),
    # L1 files
    "L1.raw.size": (ERROR, "a raw article is at most 5 MiB"),
    "L1.raw.empty": (ERROR, "a raw file holds text"),
    "L1.raw.bom": (ERROR, "raw files are UTF-8 without a byte-order mark"),
    "L1.raw.encoding": (ERROR, "raw files are valid UTF-8"),
    "L1.raw.nul": (ERROR, "raw files hold no NUL byte"),
    "L1.raw.crlf": (ERROR, "raw text files use LF line endings"),
    "L1.raw.header": (ERROR, "a raw .txt article starts with 'date YYYY-MM' or 'date YYYY-MM-DD'"),
    "L1.raw.date": (ERROR, "the date exists in the calendar and has the form YYYY-MM or YYYY-MM-DD"),
    "L1.raw.extension": (ERROR, "a raw file's extension has a registered reader"),
    "L1.raw.json": (ERROR, "a JSON Lines record is a valid JSON object"),
    "L1.raw.field": (ERROR, "a JSON Lines record has non-empty string 'id' and 'text'"),
    "L1.annotation.size": (ERROR, "an annotation file is at most 20 MiB"),
    "L1.annotation.empty": (ERROR, "an annotation file is not empty"),
    "L1.annotation.bom": (ERROR, "annotation files are UTF-8 without a byte-order mark"),
    "L1.annotation.encoding": (ERROR, "annotation files are valid UTF-8"),
    "L1.annotation.nul": (ERROR, "annotation files hold no NUL byte"),
    "L1.annotation.crlf": (ERROR, "annotation files use LF line endings"),
    "L1.annotation.json": (ERROR, "an annotation file is valid JSON"),
    "L1.annotation.schema": (ERROR, "an annotation file is valid against the shipped JSON Schema"),
    # L2 anchoring
    "L2.anchor.text-hash": (ERROR, "the annotation's text_sha256 is the SHA-256 of the normalised text"),
    "L2.anchor.range": (ERROR, "mention offsets lie inside the text and start < end"),
    "L2.anchor.text-mismatch": (ERROR, "text[start:end] equals the quote's exact text"),
    "L2.anchor.token-boundary": (WARNING, "a span edge between two letters or digits of one word is flagged (an "
                                          "annotator's slip in running text, or a real boundary between tokens glued "
                                          "in OCR text, such as HIPE's NoSpaceAfter; the tokeniser cuts there either "
                                          "way)"),
    "L2.evidence.range": (ERROR, "stance evidence spans lie inside the document and start < end"),
    "L2.evidence.edges": (ERROR, "evidence starts on a letter or digit, not an elided l'/d', and ends on one or on a "
                                 "closing » ) ” opened inside the span (guidelines 9.2)"),
    "L2.anchor.hyphen-cut": (WARNING, "a mention starting or ending inside a hyphenated token (Saint-|Denis; "
                                      "guidelines 1.3) is flagged: our guidelines annotate the whole token, other "
                                      "corpora (HIPE) do not"),
    # L3 annotation rules
    "L3.type.unknown": (ERROR, "mention and entity types are among the fine types"),
    "L3.stance.polarity": (ERROR, "stance polarity is FAVOR, AGAINST or NEUTRAL"),
    "L3.entity.qid": (ERROR, "a Wikidata id has the form Q<digits> or NIL"),
    "L3.ids.duplicate": (ERROR, "mention, entity and stance ids are unique in their file"),
    "L3.nesting.parent": (ERROR, "a mention's parent_id names a mention that contains it"),
    "L3.nesting.missing-parent": (ERROR, "a mention inside another one names it as parent_id"),
    "L3.nesting.depth": (ERROR, "nesting is at most one level deep"),
    "L3.nesting.crossing": (ERROR, "mention spans nest or are disjoint, never cross"),
    "L3.mention.duplicate": (ERROR, "no two mentions have the same span and type"),
    "L3.ref.entity": (ERROR, "every mention's entity_id names an entity of the file"),
    "L3.ref.parent": (ERROR, "every parent_id names a mention of the file"),
    "L3.ref.stance": (ERROR, "every stance holder (other than AUTHOR) and entity target names an entity of the file"),
    "L3.stance.self": (ERROR, "a stance's holder differs from its target"),
    "L3.entity.type-mismatch": (ERROR, "the mentions of one entity have types of the same coarse class as the entity"),
    "L3.entity.unmentioned": (ERROR, "every entity has at least one mention (guidelines 6)"),
    "L3.entity.date-value": (WARNING, "a DATE entity is named by an ISO 8601 date, month or year, or an interval of "
                                      "them (12.19)"),
    # L4 corpus
    "L4.leak.exact-duplicate": (ERROR, "no text appears twice in the corpus (train/test leakage)"),
    "L4.leak.near-duplicate": (ERROR, "no two documents in different splits have shingle Jaccard similarity ≥ 0.8"),
    "L4.split.missing-type": (WARNING, "each split has every mention type that the other splits have"),
    "L4.card.parse": (ERROR, "the release's dataset card parses with huggingface_hub without warnings"),
    "L4.card.license": (ERROR, "the card's licence is a Hub licence identifier"),
    "L4.card.task": (ERROR, "the card's task categories and task ids are known to the Hub"),
    "L4.card.size": (ERROR, "the card's size category matches the number of documents"),
    "L4.card.citation": (ERROR, "the card's BibTeX, croissant.json and CITATION.cff agree on title, authors, version, "
                                "year and URL"),
    # Reported by the HTML reader before it was catalogued: listed last, so that the lines above keep
    # their order in --list-checks.
    "L1.raw.html": (ERROR, "a raw .html file parses as an HTML page"),
}

_TOOL_FINDINGS = {
    # Any user-supplied JSON (label mappings, tool exports, predictions, baselines): the guarded reader.
    # The id names level 1 for history; no validation check reports it (raw and annotation files keep
    # their own L1.*.json id for too deep a nesting).
    "L1.json.depth": (ERROR, "a JSON file or line nests at most 200 levels deep; a deeper one is refused unread"),
    # chronique import: the input files and folders
    "import.file.missing": (ERROR, "the path given to import names an existing file or folder"),
    "import.file.size": (ERROR, "an export file is small enough to import in one piece"),
    "import.file.encoding": (ERROR, "a token or WebAnno TSV export is valid UTF-8"),
    "import.file.outside": (ERROR, "a symbolic link in the input folder that points outside it is not followed"),
    "import.folder.empty": (ERROR, "a folder given to import holds files of the format being imported"),
    "import.mapping.json": (ERROR, "the label mapping file can be read and is valid JSON"),
    "import.mapping.shape": (ERROR, "the label mapping is an object whose 'labels' and 'polarities' map strings to "
                                    "strings"),
    "import.mapping.target": (ERROR, "the mapping sends each label to a fine type, a polarity or IGNORE"),
    "import.label.unknown": (ERROR, "every span label of the export has an entry in the label mapping"),
    # chronique import: placing the tool's documents in the repository
    "import.annotator.unsafe": (ERROR, "the annotator name that becomes a file name is safe as one"),
    "import.gold-exists": (ERROR, "import never overwrites a gold (or unreadable) annotation file"),
    "import.doc.duplicate": (ERROR, "one import gives each document id one text and each target file one document"),
    "import.doc.unknown": (ERROR, "an imported document has its raw article, unless --add-raw records the tool's "
                                  "text"),
    "import.path.outside": (ERROR, "the file an imported document is written to lies inside the repository"),
    "import.tokens.mismatch": (ERROR, "the tokens of a token-format export are found, in order, in the raw text"),
    # chronique import: spans and stances, in every format
    "import.span.mismatch": (WARNING, "a span whose stored text differs from the text at its offsets, and cannot be "
                                      "re-anchored, is rejected"),
    "import.span.duplicate": (WARNING, "a span repeating the extent and type of an earlier one is dropped"),
    "import.span.offsets": (ERROR, "an INCEpTION span's UTF-16 offsets fall on character boundaries of the text"),
    "import.span.empty": (WARNING, "a zero-width span is dropped: a mention needs text"),
    "import.nesting.crossing": (WARNING, "a span that crosses an earlier one is dropped (mentions nest or are "
                                         "disjoint)"),
    "import.nesting.depth": (WARNING, "a span nested a third level deep is dropped (mentions nest one level)"),
    "import.stance.unresolved": (WARNING, "a relation whose ends or label do not make a stance is rejected"),
    # chronique import: INCEpTION layers (UIMA CAS XMI and WebAnno TSV)
    "import.layer.chosen": (WARNING, "when several span layers hold annotations, the one imported is named, and the "
                                     "others listed"),
    "import.layer.none": (WARNING, "no span layer with a label feature holds annotations, so none was chosen"),
    "import.layer.unknown": (ERROR, "the span layer and feature asked for by --layer and --feature exist"),
    "import.layer.unsupported": (WARNING, "annotations on layers that are not imported are counted"),
    "import.relation.ignored": (WARNING, "relations whose labels are not mapped to polarities are counted, not "
                                         "imported"),
    # chronique import --format inception (UIMA CAS XMI)
    "import.xml.malformed": (ERROR, "an XMI file is well-formed XML"),
    "import.xml.unsafe": (ERROR, "an XMI file has no document type declaration (it could read local files or expand "
                                 "entities)"),
    "import.typesystem.unreadable": (ERROR, "the type system file exists and cassis can use it"),
    "import.typesystem.missing": (ERROR, "the type system declares every annotation type the XMI uses"),
    "import.xmi.unreadable": (ERROR, "cassis can load the CAS from the XMI file"),
    "import.xmi.no-text": (ERROR, "the CAS has a text in its initial view"),
    "import.xmi.feature-unknown": (WARNING, "a feature the type system does not declare is dropped from its "
                                            "annotations"),
    "import.xmi.skipped": (WARNING, "what cassis warns it skipped while loading the CAS is reported"),
    # chronique import --format webanno-tsv
    "import.tsv.format": (ERROR, "a WebAnno TSV file starts with '#FORMAT=WebAnno TSV 3.x'"),
    "import.tsv.malformed": (ERROR, "a token row has an id, begin-end offsets, the token and every layer column"),
    "import.tsv.offsets": (ERROR, "token and sentence offsets increase and match the #Text lines"),
    # chronique import --format labelstudio
    "import.labelstudio.json": (ERROR, "a Label Studio export is valid JSON holding a list of tasks (or one task)"),
    "import.labelstudio.task": (ERROR, "a task has a 'data' object, and its 'annotations' and 'result' are lists"),
    "import.labelstudio.text": (ERROR, "a task's data holds the annotated text as a string"),
    "import.labelstudio.offsets": (ERROR, "a labelled region has character offsets (value.start/end)"),
    "import.labelstudio.scope": (ERROR, "a STANCE region's scope is one of ours"),
    "import.labelstudio.ignored": (WARNING, "results outside our labelling scheme are counted, not imported"),
    "import.labelstudio.cancelled": (WARNING, "skipped (cancelled) annotations of a task are not imported"),
    "import.labelstudio.draft": (WARNING, "drafts of a task are not imported"),
    "import.labelstudio.unannotated": (WARNING, "a task without a completed annotation is not imported"),
    "import.labelstudio.extra-annotation": (WARNING, "of several completed annotations of a task, only the ground "
                                                     "truth (else the first) is imported"),
    # chronique import --format doccano
    "import.doccano.encoding": (ERROR, "a doccano JSONL line is valid UTF-8"),
    "import.doccano.json": (ERROR, "a doccano JSONL line is valid JSON"),
    "import.doccano.text": (ERROR, "a doccano line is an object with a string 'text'"),
    "import.doccano.shape": (ERROR, "a doccano line holds its spans under one known key"),
    "import.doccano.span": (ERROR, "a doccano span has integer offsets inside the text, a label and a unique id"),
    "import.doccano.relation": (EITHER, "a relation has from_id, to_id and type (an error); relations whose type is "
                                        "not a mapped polarity are counted, not imported (a warning)"),
    "import.doccano.duplicate-id": (ERROR, "two doccano lines do not give the same document id"),
    "import.doccano.label-id": (WARNING, "numeric label ids missing from the mapping are named (a doccano 1.x export "
                                         "names labels by id)"),
    "import.doccano.no-spans": (WARNING, "lines without any span key are read as documents without mentions"),
    # chronique import --format brat
    "import.brat.archive": (EITHER, "a .tar.gz of brat files can be read within the size limits (an error); a member "
                                    "that is not a regular file is skipped (a warning)"),
    "import.brat.encoding": (ERROR, "brat .ann and .txt files are valid UTF-8"),
    "import.brat.syntax": (ERROR, "a line of a .ann file follows the brat standoff syntax"),
    "import.brat.missing-text": (ERROR, "every .ann file has its .txt beside it"),
    "import.brat.duplicate-id": (ERROR, "two brat documents do not share a file name, hence a document id"),
    "import.brat.discontinuous": (WARNING, "a span of several fragments is not imported"),
    "import.brat.chronique-note": (WARNING, "a chronique-* note that cannot be read back is not imported"),
    "import.brat.note": (WARNING, "annotator notes (#) are counted, not imported"),
    "import.brat.attribute": (WARNING, "attributes other than metonymy are counted, not imported"),
    "import.brat.normalisation": (WARNING, "normalisations other than Wikidata QIDs are counted, not imported"),
    "import.brat.relation": (WARNING, "relations whose label is not a mapped polarity are counted, not imported"),
    "import.brat.event": (WARNING, "events (E lines) are counted, not imported"),
    "import.brat.equivalence": (WARNING, "equivalence sets (* lines) are counted, not imported"),
    "import.brat.orphan": (WARNING, "a metonymy attribute or Wikidata normalisation on a span that is not imported is "
                                    "counted"),
    # chronique import --format conll / hipe
    "import.conll.columns": (ERROR, "a CoNLL token line has a token and a tag column"),
    "import.conll.tag": (ERROR, "a CoNLL tag is valid in the tagging scheme (else it is read as O)"),
    "import.hipe.header": (ERROR, "a HIPE file starts with a header naming TOKEN and the tag column"),
    "import.hipe.columns": (ERROR, "a HIPE line has as many tab-separated fields as the header"),
    "import.hipe.tag": (ERROR, "a HIPE tag is valid IOB2 (else it is read as O)"),
    "import.hipe.qid": (ERROR, "a HIPE NEL value is a Wikidata id Q<digits>, NIL or _ (else it is dropped)"),
    # chronique export
    "export.brat.stance": (WARNING, "a stance of a document without mentions has no span to carry its brat note and "
                                    "is not written"),
    # annotator versions (read by adjudicate, agreement and browse)
    "versions.symlink": (ERROR, "annotations/versions/ holds no symbolic links"),
    "versions.name": (ERROR, "document folders and annotator files of annotations/versions/ have safe names"),
    "versions.doc-id": (ERROR, "a version annotates the document whose folder it lies in"),
    "versions.annotator": (WARNING, "a version's provenance names the annotator its file is named after"),
    "versions.text-hash": (ERROR, "a version's text_sha256 is that of the current normalised raw text"),
    # chronique adjudicate
    "adjudicate.conflicts-format": (ERROR, "conflicts.tsv is UTF-8, has its header, and each line its cells"),
    "adjudicate.conflicts-duplicate": (ERROR, "conflicts.tsv lists a conflict once"),
    "adjudicate.stale": (WARNING, "a resolution whose conflict no longer matches the versions is dropped"),
    "adjudicate.unresolved": (ERROR, "every conflict has a resolution before the gold file is written"),
    "adjudicate.resolution": (ERROR, "a resolution names an annotator, drop, or a value that fits the conflict"),
    "adjudicate.gold-exists": (ERROR, "adjudication keeps a gold file it did not write, unless told to overwrite it"),
    # chronique preannotate
    "preannotate.existing-invalid": (ERROR, "pre-annotation never overwrites an annotation file it cannot read"),
    "preannotate.gold-exists": (ERROR, "pre-annotation never overwrites a gold annotation"),
    "preannotate.silver-exists": (ERROR, "pre-annotation overwrites a silver annotation only when allowed to"),
    # python scripts/quotes.py: annotations drafted as quoted paragraphs
    "quotes.format": (ERROR, "the draft's mentions and stances are lists"),
    "quotes.entity": (ERROR, "the draft's entities are a list of objects with unique ids, and each mention names one"),
    "quotes.mention": (ERROR, "a drafted mention is an object with 'p', 'exact' and 'entity'"),
    "quotes.stance": (ERROR, "a drafted stance has its keys and a non-empty list of evidence quotes"),
    "quotes.paragraph": (ERROR, "a drafted quote's 'p' is the number of a paragraph of the text"),
    "quotes.n": (ERROR, "a drafted quote's 'n' (which occurrence) is a positive integer"),
    "quotes.not-found": (ERROR, "a drafted quote is found in its paragraph, in reading order"),
    # chronique evaluate
    "evaluate.format": (ERROR, "a prediction file is readable in its format (JSON Lines, JSON, Parquet, CoNLL, "
                               "HIPE)"),
    "evaluate.mismatch": (ERROR, "token predictions have exactly the gold's documents, sentences and tokens"),
    "evaluate.labels": (WARNING, "predicted types the gold does not use are named"),
    "evaluate.split": (WARNING, "a release without a test split is scored on its only split"),
    # chronique baseline
    "baseline.format": (ERROR, "the recorded baseline file is a list of complete baseline results"),
    # chronique build
    "build.cache.corrupt": (WARNING, "a cache entry that fails its digest check is discarded and recomputed"),
    "build.input.changed": (ERROR, "no raw or annotation file changes between the build's survey and its chunks"),
    "release.damaged": (ERROR, "a release folder the build would reuse passes verify"),
    # chronique verify
    "verify.manifest": (ERROR, "the release's manifest is present, valid and complete"),
    "verify.missing": (ERROR, "every file the manifest lists is in the release"),
    "verify.unlisted": (ERROR, "the release holds only files the manifest lists"),
    "verify.unreadable": (ERROR, "every file of the release can be read"),
    "verify.checksum": (ERROR, "every file has the SHA-256 and size the manifest gives"),
    "verify.fingerprint": (ERROR, "the rows hash to the fingerprints the manifest gives"),
    "verify.manifest-figure": (ERROR, "the counts the manifest states are those of the release"),
    "verify.manifest-digest": (EITHER, "the manifest hashes to what its digest file says (an error); a release "
                                       "without that file is flagged (a warning)"),
    # loading a release (chronique.load)
    "load.tampered": (ERROR, "a release file has the size and SHA-256 its manifest gives when it is loaded"),
    # chronique diff
    "diff.unreadable": (ERROR, "a release file being compared can be read"),
    # chronique publish
    "publish.manifest": (ERROR, "the folder to publish has a readable, complete manifest"),
    "publish.version": (ERROR, "the manifest's version is the one asked for"),
    "publish.file.missing": (ERROR, "every file the manifest lists is present"),
    "publish.file.extra": (ERROR, "no file outside the manifest would be published"),
    "publish.file.changed": (ERROR, "every file has the size and SHA-256 the manifest gives"),
    "publish.restricted": (ERROR, "a text whose licence does not allow redistribution is not uploaded without "
                                  "--include-restricted"),
}


def _entries(table: dict[str, tuple[str, str]], *, checks: bool) -> dict[str, CheckInfo]:
    return {check_id: CheckInfo(int(check_id[1]) if checks else None, explanation, severity)
            for check_id, (severity, explanation) in table.items()}


CHECKS: dict[str, CheckInfo] = _entries(_CHECKS, checks=True)
"""The validation checks, in the order ``validate --list-checks`` prints them."""

TOOL_FINDINGS: dict[str, CheckInfo] = _entries(_TOOL_FINDINGS, checks=False)
"""The ids the other commands report, grouped by command."""

CATALOGUE: dict[str, CheckInfo] = {**CHECKS, **TOOL_FINDINGS}
"""Every id that can be reported."""


def finding(check_id: str, message: str, path: str, line: int | None = None, col: int | None = None, *,
            hint: str | None = None, severity: Severity | None = None) -> Finding:
    """A finding of the catalogued ``check_id``, with the severity the catalogue gives it.

    ``severity`` is given for an id marked :data:`EITHER`, and only then. An id missing from
    :data:`CATALOGUE`, or a severity given or left out against that rule, is a programming error:
    :class:`KeyError` or :class:`ValueError`.
    """
    info = CATALOGUE.get(check_id)
    if info is None:
        raise KeyError(f"finding id {check_id!r} is not in the catalogue; add it to chronique.checks.catalogue")
    if info.severity == EITHER:
        if severity not in (ERROR, WARNING):
            raise ValueError(f"{check_id} is an error or a warning as the caller says: pass severity='error' or "
                             f"'warning', not {severity!r}")
    elif severity is not None:
        raise ValueError(f"{check_id} is always a{'n' if info.severity == ERROR else ''} {info.severity}: the "
                         "catalogue gives its severity, do not pass one")
    return Finding(check_id, message, path, line, col, severity or info.severity, hint)
