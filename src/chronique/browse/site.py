"""``write_site``: a release's ``documents`` config as a static site that opens from the file system.

The site is a dict of relative path -> bytes, made by :func:`site_files` and written by
:func:`publish` into a staging folder that replaces ``out`` only once complete. Layout::

    index.html               every document: date, split, status, counts; sortable, searchable, filterable
    entities.html            every corpus entity and stance target, with its mentions in context
    documents/<doc_id>.html  the annotated text, legend, stances
    stats.html               counts, figures/*.svg, agreement
    search/                  the search index the two index pages read (chronique.browse.search_index)
    assets/                  browse.css, search.js, index.js, entity-index.js, document.js
    .chronique-browse        marks the folder as a site this module may replace
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping, Sequence

from chronique.browse import pages, palette, plots
from chronique.browse.curation import MENTION_KINDS, curation_documents, curation_href, curation_list, curation_page
from chronique.browse.markup import escape
from chronique.browse.pages import document_href
from chronique.browse.search_index import search_index
from chronique.errors import Finding, FindingLog, UsageError
from chronique.schema import COARSE_OF_FINE, COARSE_TYPES, FINE_TYPES, POLARITIES, SCOPES
from chronique.store.splits import SPLITS
from chronique.text.segment import tokenize

MARKER = ".chronique-browse"
ASSETS = ("browse.css", "search.js", "index.js", "entity-index.js", "document.js")
SINGLE_ANNOTATOR = "single annotator"


@dataclass(frozen=True)
class SiteResult:
    """What :func:`write_site` wrote: the folder, its files and any agreement findings."""

    out: Path
    version: str
    documents: int
    files: tuple[str, ...]
    annotators: str
    findings: tuple[Finding, ...] = ()

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def write_site(release: Path, out: Path, *, repo: Path | None = None, cache_dir: str | None = None) -> SiteResult:
    """Write the browser of ``release`` into ``out`` and return what was written.

    ``repo`` is where ``annotations/versions/`` is looked for to report agreement; by default the
    repository the release folder lies in (``<repo>/releases/<version>``). ``out`` must be absent,
    empty, or a site written before; it is replaced whole.

    >>> write_site(Path("releases/0.1.0"), Path("site")).index   # doctest: +SKIP
    PosixPath('site/index.html')
    """
    release = release.resolve()
    rows = load_rows(release, cache_dir=cache_dir)
    version = release_version(release)
    log = FindingLog()
    repo = repo if repo is not None else release.parent.parent
    versions, texts = load_versions_and_texts(repo, log=log)
    agreement = agreement_of(versions, texts)
    files = site_files(rows, version=version, agreement=agreement, curation=curation_documents(repo, versions, texts))
    publish(files, out)
    annotators = SINGLE_ANNOTATOR if agreement is None else f"{len(agreement[1])} annotators"
    return SiteResult(out, version, len(rows), tuple(sorted(files)), annotators, tuple(log))


# --- inputs -------------------------------------------------------------------------------


def load_rows(release: Path, *, cache_dir: str | None = None) -> list[dict]:
    """The ``documents`` rows of every split, each with its ``split``, in split then file order."""
    if not (release / "README.md").is_file():
        raise UsageError(f"{release} is not a release folder (it has no README.md); pass --release releases/<version>")
    from datasets import load_dataset

    data = load_dataset(str(release), "documents", cache_dir=cache_dir)
    order = [s for s in SPLITS if s in data] + sorted(s for s in data if s not in SPLITS)
    return [{**row, "split": split} for split in order for row in data[split].to_list()]


def release_version(release: Path) -> str:
    from chronique.release.manifest import MANIFEST_NAME, read_manifest

    if (release / MANIFEST_NAME).is_file():
        return read_manifest(release).version or release.name
    return release.name


def load_versions_and_texts(repo: Path, *, log: FindingLog) -> tuple[dict, dict[str, str]]:
    """``repo``'s annotator versions (doc id → annotator → annotation), and the texts of the documents that have
    two or more: read once, for the agreement and for the curation pages."""
    from chronique.store.annotator_versions import load_texts, load_versions, versions_folder

    if not versions_folder(repo).is_dir():
        return {}, {}
    versions = load_versions(repo, log=log)
    several = [doc_id for doc_id, by in versions.items() if len(by) >= 2]
    return versions, load_texts(repo, several, log=log) if several else {}


def agreement_of(versions: Mapping, texts: Mapping[str, str]):
    """The agreement of the documents annotated twice, pooled as one pair (first and second annotation,
    whoever made them), and the annotators; None when no document has two versions."""
    from chronique.curation.agreement import agreement_report
    from chronique.curation.agreement_tables import paired_versions

    paired = paired_versions(versions)
    if not paired:
        return None
    report = agreement_report(paired, texts={doc_id: texts[doc_id] for doc_id in paired if doc_id in texts})
    people = sorted({name for by in versions.values() if len(by) == 2 for name in by})
    return report, people


# --- the site ------------------------------------------------------------------------------


def site_files(rows: Sequence[Mapping], *, version: str, agreement=None, curation: Sequence = ()) -> dict[str, bytes]:
    """Every file of the site by relative path; the same rows always give the same bytes.

    ``curation`` holds the documents with several annotator versions
    (:class:`chronique.browse.curation.CurationDocument`): each gets a page of its versions side by side."""
    ordered = sorted(rows, key=lambda r: (r["date"] or "", r["doc_id"]))
    curated = {document.doc_id for document in curation}
    hrefs = [document_href(r["doc_id"]) for r in ordered]
    index = search_index(ordered, hrefs)
    facets = facet_values(ordered)
    files = {"index.html": pages.index_page(facets, version=version, documents=len(ordered))}
    for position, (row, href) in enumerate(zip(ordered, hrefs)):
        previous = "../" + hrefs[position - 1] if position else None
        following = "../" + hrefs[position + 1] if position + 1 < len(hrefs) else None
        files[href] = pages.document_page(row, version=version, previous=previous, following=following,
                                          curation=curation_href(row["doc_id"]) if row["doc_id"] in curated else None)
    gold = {row["doc_id"]: {**row, "href": href} for row, href in zip(ordered, hrefs) if row["annotation_status"] == "gold"}
    for document in curation:
        files[curation_href(document.doc_id)] = curation_page(document, gold=gold.get(document.doc_id), version=version)
    figures, stats_html = statistics(ordered, version=version, agreement=agreement, curation=curation)
    files["stats.html"] = stats_html
    files["entities.html"] = pages.entities_page(facets, version=version, entities=index.entities, targets=index.targets)
    encoded = {path: text.encode("utf-8") for path, text in files.items()}
    encoded.update(index.files)
    encoded.update(figures)
    for name in ASSETS:
        encoded[f"assets/{name}"] = resources.files("chronique.browse").joinpath("assets", name).read_bytes()
    encoded["assets/browse.css"] = palette.css_variables().encode("utf-8") + encoded["assets/browse.css"]
    encoded[MARKER] = f"chronique browse site of release {version}\n".encode("utf-8")
    return encoded


def facet_values(rows: Sequence[Mapping]) -> dict[str, list[str]]:
    """The values the filter forms offer: splits in their order, the rest sorted."""
    present = lambda key: sorted({row[key] for row in rows if row.get(key)})  # noqa: E731
    return {"split": list(dict.fromkeys(row["split"] for row in rows)), "status": present("annotation_status"),
            "beat": present("beat"), "genre": present("genre")}


def publish(files: Mapping[str, bytes], out: Path) -> None:
    """Write ``files`` to a staging folder beside ``out``, then put it in the place of ``out``."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise UsageError(f"{out} exists and is not a site written by chronique browse; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a site is meant to be read
    try:
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


# --- statistics ----------------------------------------------------------------------------


def corpus_counts(rows: Sequence[Mapping]) -> dict:
    """Counts behind the statistics page, from the ``documents`` rows."""
    seen = set(r["split"] for r in rows)
    splits = [s for s in SPLITS if s in seen] + sorted(seen - set(SPLITS))  # train, validation, test
    mentions = {s: Counter() for s in splits}
    coarse = {s: Counter() for s in splits}
    polarity = defaultdict(Counter)
    size = {s: Counter() for s in splits}
    doc_lengths, sentence_lengths = defaultdict(list), defaultdict(list)
    for row in rows:
        split, text = row["split"], row["text"]
        mentions[split].update(m["type"] for m in row["mentions"] or ())
        coarse[split].update(COARSE_OF_FINE[m["type"]] for m in row["mentions"] or () if COARSE_OF_FINE.get(m["type"]))
        for stance in row["stances"] or ():
            polarity[stance["polarity"]][stance["scope"]] += 1
        sentences = [len(tokenize(text, s["start"], s["end"])) for s in row["sentences"] or ()]
        sentence_lengths[split].extend(sentences)
        doc_lengths[split].append(len(tokenize(text)))
        size[split].update({"documents": 1, "sentences": len(sentences), "tokens": doc_lengths[split][-1],
                            "mentions": len(row["mentions"] or ()), "entities": len(row["entities"] or ()),
                            "stances": len(row["stances"] or ()), f"status {row['annotation_status']}": 1})
    return {"splits": splits, "mentions": mentions, "coarse": coarse, "polarity": polarity, "size": size,
            "doc_lengths": doc_lengths, "sentence_lengths": sentence_lengths}


def _summary_table(counts: dict) -> str:
    splits, size = counts["splits"], counts["size"]
    labels = ["documents", "sentences", "tokens", "mentions", "entities", "stances"]
    labels += sorted({k for s in splits for k in size[s] if k.startswith("status ")})
    rows = [[label] + [size[s][label] for s in splits] + [sum(size[s][label] for s in splits)] for label in labels]
    return pages.table([""] + splits + ["all"], rows)


def _length_summary(lengths: Mapping[str, Sequence[int]]) -> list[list[object]]:
    rows = []
    for split, values in lengths.items():
        if values:
            ordered = sorted(values)
            rows.append([split, len(values), ordered[0], ordered[len(ordered) // 2], ordered[-1],
                         round(sum(values) / len(values), 1)])
    return rows


def statistics(rows: Sequence[Mapping], *, version: str, agreement=None, curation: Sequence = ()) -> tuple[dict[str, bytes], str]:
    """The SVG figures by path and the statistics page."""
    counts = corpus_counts(rows)
    splits = counts["splits"]
    length_headers = ["split", "n", "min", "median", "max", "mean"]
    figures = {
        "figures/mentions-per-type.svg": plots.mentions_per_type_svg(counts["mentions"]),
        "figures/mentions-per-coarse-type.svg": plots.mentions_per_type_svg(counts["coarse"], COARSE_TYPES, "coarse"),
        "figures/polarity-per-scope.svg": plots.polarity_per_scope_svg(counts["polarity"]),
        "figures/document-length.svg": plots.length_histogram_svg(
            counts["doc_lengths"], title="Document length", unit="tokens per document"),
        "figures/sentence-length.svg": plots.length_histogram_svg(
            counts["sentence_lengths"], title="Sentence length", unit="tokens per sentence"),
    }
    blocks = [
        pages.figure("figures/mentions-per-type.svg", "bar chart of mentions per fine type and split",
                     "Mentions per fine type and split (nested mentions included).",
                     pages.table(["type"] + splits, [[t] + [counts["mentions"][s][t] for s in splits] for t in FINE_TYPES])),
        pages.figure("figures/mentions-per-coarse-type.svg", "bar chart of mentions per coarse type and split",
                     "Mentions per coarse type and split, nested ones included, in the label set of coarse_ner_tags "
                     "(GPE, LOC and FAC are LOC; NORP, EVENT and MISC are MISC; DATE has no coarse type).",
                     pages.table(["type"] + splits, [[t] + [counts["coarse"][s][t] for s in splits] for t in COARSE_TYPES])),
        pages.figure("figures/polarity-per-scope.svg", "bar chart of stance polarity per scope",
                     "Stance records per polarity and scope, all splits.",
                     pages.table(["polarity"] + list(SCOPES),
                                 [[p] + [counts["polarity"][p][s] for s in SCOPES] for p in POLARITIES])),
        pages.figure("figures/document-length.svg", "histogram of document lengths in tokens",
                     "Document length in tokens (chronique's tokeniser).",
                     pages.table(length_headers, _length_summary(counts["doc_lengths"]))),
        pages.figure("figures/sentence-length.svg", "histogram of sentence lengths in tokens",
                     "Sentence length in tokens.", pages.table(length_headers, _length_summary(counts["sentence_lengths"]))),
    ]
    agreement_html = _agreement_section(agreement, figures) + _disagreement_section(curation, figures)
    return figures, pages.stats_page(version=version, summary=_summary_table(counts), figures=blocks,
                                     agreement=agreement_html)


def _disagreement_section(curation: Sequence, figures: dict[str, bytes]) -> str:
    """Mention disagreements per kind and type over the curation pages, with the list of those pages."""
    if not curation:
        return ""
    counts = {kind: Counter() for kind in MENTION_KINDS}
    for document in curation:
        for item in document.disagreements:
            if item.kind in counts and item.fine_type:
                counts[item.kind][item.fine_type] += 1
    figures["figures/disagreements-per-type.svg"] = plots.disagreements_svg(counts)
    return "\n" + pages.figure("figures/disagreements-per-type.svg", "bar chart of mention disagreements per kind and type",
                               "Mention disagreements between annotator versions, per kind and fine type (each compared "
                               "with the first version).",
                               pages.table(["kind"] + list(FINE_TYPES),
                                           [[k] + [counts[k][t] for t in FINE_TYPES] for k in MENTION_KINDS])) \
        + "\n" + curation_list(curation)


def _agreement_section(report, figures: dict[str, bytes]) -> str:
    if report is None:
        return (f'<p class="single-annotator">{SINGLE_ANNOTATOR.capitalize()}: each document has one annotation, '
                f"so there is no agreement to report (no annotations/versions/ with two or more annotators).</p>")
    from chronique.curation.agreement_tables import TABLE_COLUMNS, table_rows

    report, people = report
    [pair] = report.pairs
    bars = [("all types", pair.entities.overall.strict.f1, pair.entities.overall.overlap.f1, pair.kappa.kappa)]
    bars += [(t, s.strict.f1, s.overlap.f1, None) for t, s in sorted(pair.entities.by_type.items())]
    parts = [f"<p>{len(report.documents)} document(s) annotated twice, independently (annotations/versions/), by "
             f"{len(people)} annotators ({escape(', '.join(people))}); each document's two versions are compared as "
             f"“annotation 1” and “annotation 2”. Stance polarity: Krippendorff's alpha "
             f"{'n/a' if report.stance.alpha is None else f'{report.stance.alpha:.3f}'} over {report.stance.units} "
             "units.</p>"]
    figures["figures/agreement.svg"] = plots.agreement_svg(bars)
    parts.append('<div class="plots"><figure><img src="figures/agreement.svg" alt="bar chart of agreement per '
                 "mention type\"><figcaption>Entity F1 (strict and overlap) per fine type, and Cohen's kappa on tokens "
                 "over all types.</figcaption></figure></div>")
    parts.append(pages.table(TABLE_COLUMNS, table_rows(report)))
    return "\n".join(parts)
