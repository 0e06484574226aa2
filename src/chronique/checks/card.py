"""Checks of a dataset card's metadata, done here because the Hub's own validation needs the network.

``huggingface_hub``'s ``DatasetCard`` parsing only checks that the YAML is a mapping, so the
values are checked against the identifiers the Hub accepts: licence, task categories and
task ids, and a size category that matches the number of documents.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from chronique.checks.catalogue import finding
from chronique.errors import Finding

# Licence identifiers of the Hub's dataset cards (the common ones; "other" needs license_name).
HUB_LICENSES = frozenset("""
apache-2.0 mit openrail afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0
cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0
cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl unknown other
""".split())
HUB_TASK_CATEGORIES = frozenset("""
text-classification token-classification table-question-answering question-answering zero-shot-classification
translation summarization feature-extraction text-generation fill-mask sentence-similarity text-retrieval
""".split())
HUB_TASK_IDS = frozenset("""
named-entity-recognition part-of-speech parsing lemmatization word-sense-disambiguation coreference-resolution
multi-class-classification multi-label-classification acceptability-classification entity-linking-classification
fact-checking intent-classification natural-language-inference semantic-similarity-classification
sentiment-classification sentiment-analysis topic-classification semantic-similarity-scoring sentiment-scoring
hate-speech-detection text-scoring
""".split())
SIZE_LIMITS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
               (10_000_000, "1M<n<10M"))


def size_category(count: int) -> str:
    """The Hub's size category for ``count`` examples."""
    return next((name for limit, name in SIZE_LIMITS if count < limit), "n>1T")


def _parse(path: Path, shown: str) -> tuple[dict | None, list[Finding]]:
    from huggingface_hub import DatasetCard

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            card = DatasetCard.load(path)
        except Exception as error:  # the Hub library raises several types for a malformed card
            return None, [finding("L4.card.parse", f"the card does not parse: {error}", shown, 1, col=1)]
    problems = [finding("L4.card.parse", f"parsing warned: {w.message}", shown, 1, col=1) for w in caught]
    return card.data.to_dict(), problems


def check_card(path: Path, *, documents: int, shown: str | None = None) -> list[Finding]:
    """Findings for a release card: parse warnings, unknown licence or tasks, a size category that does not fit."""
    shown = shown or path.as_posix()
    data, problems = _parse(path, shown)
    if data is None:
        return problems
    licence = data.get("license")
    if licence not in HUB_LICENSES:
        problems.append(finding("L4.card.license", f"licence {licence!r} is not a Hub licence identifier", shown,
                                1, col=1,
                                hint="use e.g. cc-by-4.0"))
    for key, known in (("task_categories", HUB_TASK_CATEGORIES), ("task_ids", HUB_TASK_IDS)):
        for value in data.get(key) or [None]:
            if value not in known:
                problems.append(finding("L4.card.task", f"{key} value {value!r} is not known to the Hub", shown,
                                        1, col=1))
    expected = size_category(documents)
    if data.get("size_categories") != [expected]:
        problems.append(finding("L4.card.size", f"size_categories is {data.get('size_categories')!r}; {documents} "
                                f"documents make it {expected!r}", shown, 1, col=1))
    return problems


def _card_bibtex(card_text: str) -> str | None:
    start = card_text.find("```bibtex\n")
    end = card_text.find("\n```", start + 1)
    return card_text[start + len("```bibtex\n"):end] if start != -1 and end != -1 else None


def citation_fields_of_release(folder: Path) -> dict[str, dict]:
    """Title, authors, version, year and URL as the card's BibTeX and croissant.json's citeAs state them."""
    import json

    from chronique.release.citation import parse_bibtex_fields

    found = {}
    card = _card_bibtex((folder / "README.md").read_text("utf-8")) if (folder / "README.md").is_file() else None
    if card:
        found["README.md (BibTeX)"] = parse_bibtex_fields(card)
    if (folder / "croissant.json").is_file():
        croissant = json.loads((folder / "croissant.json").read_text("utf-8"))
        found["croissant.json (citeAs)"] = parse_bibtex_fields(croissant.get("citeAs", ""))
        found["croissant.json"] = {"version": croissant.get("version"), "url": croissant.get("url"),
                                   "author": " and ".join("{" + c.get("name", "") + "}" for c in croissant.get("creator", []))}
    return {where: {k: v for k, v in fields.items() if k in ("title", "author", "version", "year", "url")}
            for where, fields in found.items()}


def citation_fields_of_cff(path: Path) -> dict[str, str]:
    import yaml

    from chronique.release.citation import read_citation

    data = yaml.safe_load(path.read_text("utf-8"))
    citation = read_citation(path)
    fields = {"title": citation.title, "author": " and ".join("{" + a + "}" for a in citation.authors),
              "version": str(data.get("version")), "year": str(data.get("date-released", ""))[:4]}
    if citation.url:
        fields["url"] = citation.url
    return fields


def check_citations(folder: Path, cff: Path | None = None, shown: str | None = None) -> list[Finding]:
    """``L4.card.citation``: every citation of a release (card, croissant, and CITATION.cff when given) agrees."""
    shown = shown or folder.as_posix()
    sources = citation_fields_of_release(folder)
    if cff is not None and cff.is_file():
        sources["CITATION.cff"] = citation_fields_of_cff(cff)
    problems = []
    names = sorted(sources)
    for field in ("title", "author", "version", "year", "url"):
        values = {name: sources[name].get(field) for name in names if field in sources[name] or field == "url"}
        if len(set(values.values())) > 1:
            said = "; ".join(f"{name}: {value!r}" for name, value in values.items())
            problems.append(finding("L4.card.citation", f"the citations disagree on {field}: {said}", shown, 1, col=1,
                                    hint="they are generated from CITATION.cff by chronique build; rebuild, do not "
                                    "edit them by hand"))
    return problems
