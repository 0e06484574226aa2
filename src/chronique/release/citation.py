"""How to cite a release: one source, ``CITATION.cff``, for every citation we ship.

The build reads the title, the authors and the repository URL from the repository's
``CITATION.cff`` and stores them in the release's manifest (``citation``); the card's
BibTeX, ``croissant.json``'s ``citeAs``, ``creator``, ``url`` and ``version``, and the
datasheet's citation are all generated from there, with the release's version and date.
Where no public URL is known, the URL is left out everywhere rather than made up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

CITATION_NAME = "CITATION.cff"


@dataclass(frozen=True)
class Citation:
    title: str
    authors: tuple[str, ...]
    url: str | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "authors": list(self.authors)}

    @classmethod
    def from_dict(cls, data: dict) -> Citation:
        return cls(data["title"], tuple(data["authors"]), data.get("url"))


def _author_name(author: dict) -> str:
    if author.get("name"):
        return author["name"]
    return " ".join(part for part in (author.get("given-names"), author.get("family-names")) if part)


def read_citation(path: Path) -> Citation:
    """Title, authors and URL (``url``, else ``repository-code``) of a ``CITATION.cff`` file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Citation(data["title"], tuple(_author_name(a) for a in data.get("authors", [])),
                    data.get("url") or data.get("repository-code"))


def bibtex_key(version: str) -> str:
    return "chronique_" + version.replace(".", "_").replace("-", "_")


def bibtex(citation: Citation, version: str, released: str | None) -> str:
    """The BibTeX entry of one release; authors that are organisations are braced so BibTeX keeps them whole."""
    fields = [("title", citation.title), ("author", " and ".join("{" + a + "}" for a in citation.authors))]
    if released:
        fields.append(("year", released[:4]))
    fields.append(("version", version))
    if citation.url:
        fields.append(("url", citation.url))
    if released:
        fields.append(("note", f"Release {version}, {released}"))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(version)},\n{body}\n}}"


def parse_bibtex_fields(entry: str) -> dict[str, str]:
    """``{field: value}`` of one BibTeX entry as :func:`bibtex` writes it (one field a line)."""
    fields = {}
    for line in entry.splitlines()[1:]:
        name, sep, value = line.strip().rstrip(",").partition(" = ")
        if sep:
            fields[name] = value.strip()[1:-1]
    return fields
