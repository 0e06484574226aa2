"""The site's search index: what the index and entity pages search and filter, client-side, with no server.

Pages opened from the file system may not ``fetch()`` a file, so each part of the index is a JSON
value handed to ``chronique.receive(name, value)`` in a small script file of ``search/``. The
pages load ``documents`` and ``entities`` when they open, and the larger parts only when they
are needed, a shard at a time, so that no file grows with the whole corpus past a few MB:

``search/documents.js``
    one row per document (:data:`DOCUMENT_FIELDS`): what the document index shows and filters on,
    with the numbers of its corpus entities.
``search/entities.js``
    every corpus entity (:data:`ENTITY_FIELDS`) and every stance target (:data:`TARGET_FIELDS`),
    with the documents they occur in.
``search/text-NNN.js``
    the lower-cased text of :data:`TEXT_SHARD` documents, for a search by words of the text.
``search/kwic-NNN.js``
    :data:`KWIC_LINES` mentions in their context, entity after entity (an entity with many mentions
    runs over several files), for the entity index.

A *corpus entity* gathers the entities of all documents that share a Wikidata id, or without one
the same type and name (case aside); it is named and typed as most of its documents name it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

from chronique.browse.pages import document_heading
from chronique.schema import AUTHOR

TEXT_SHARD = 500
KWIC_LINES = 2000
_SPACES = re.compile(r"\s+")
CONTEXT = 60
"""Characters of text kept either side of a mention in the keyword-in-context lists."""

DOCUMENT_FIELDS = ("doc_id", "href", "title", "date", "split", "status", "beat", "genre", "mentions", "entity_count",
                   "stances", "entities")
ENTITY_FIELDS = ("name", "type", "qid", "occurrences", "kwic")
"""``occurrences``: [document, mentions, document, mentions…]; ``kwic``: where its lines start in the
kwic files (counted over all of them: file = start // KWIC_LINES) and how many there are."""
TARGET_FIELDS = ("label", "kind", "entity", "stances")  # stances: [[document, stance id, polarity, holder], …]


def script(name: str, value: object) -> bytes:
    """The script file that hands ``value`` to the page as ``name``; the same value gives the same bytes."""
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"chronique.receive({json.dumps(name)},{payload});\n".encode("utf-8")


def entity_key(entity: Mapping) -> tuple[str, str]:
    return ("qid", entity["qid"]) if entity.get("qid") else ("name", f"{entity['type']}\t{entity['name'].casefold()}")


def _most_common(counter: Counter) -> str:
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]


class CorpusEntities:
    """The corpus entities of ``rows`` (in order), numbered by decreasing mention count, then name."""

    def __init__(self, rows: Sequence[Mapping]) -> None:
        names: dict[tuple, Counter] = defaultdict(Counter)
        types: dict[tuple, Counter] = defaultdict(Counter)
        mentions: dict[tuple, Counter] = defaultdict(Counter)  # key → document → mentions
        for number, row in enumerate(rows):
            per_entity = Counter(m["entity_id"] for m in row["mentions"] or () if m["entity_id"])
            for entity in row["entities"] or ():
                key = entity_key(entity)
                names[key][entity["name"]] += 1
                types[key][entity["type"]] += 1
                mentions[key][number] += per_entity[entity["id"]]
        total = {key: sum(by_document.values()) for key, by_document in mentions.items()}
        self.keys = sorted(mentions, key=lambda k: (-total[k], _most_common(names[k]).casefold(), k))
        self.number = {key: index for index, key in enumerate(self.keys)}
        self.names = {key: _most_common(names[key]) for key in self.keys}
        self.types = {key: _most_common(types[key]) for key in self.keys}
        self.mentions = mentions

    def of_row(self, row: Mapping) -> dict[str, int]:
        """The corpus entity number of each entity id of ``row``."""
        return {entity["id"]: self.number[entity_key(entity)] for entity in row["entities"] or ()}

    def table(self, kwic_starts: Sequence[tuple[int, int]]) -> list[list]:
        return [[self.names[key], self.types[key], key[1] if key[0] == "qid" else None,
                 [value for document, count in sorted(self.mentions[key].items()) for value in (document, count)],
                 list(kwic_starts[number])]
                for number, key in enumerate(self.keys)]


def _holder_name(holder: str, names: Mapping[str, str]) -> str:
    return "the author" if holder == AUTHOR else names.get(holder, holder)


def stance_targets(rows: Sequence[Mapping], entities: CorpusEntities) -> list[list]:
    """Every stance target: an entity (by its corpus entity) or a topic (by its words, case aside), with its stances."""
    found: dict[tuple, list] = {}
    labels: dict[tuple, Counter] = defaultdict(Counter)
    for number, row in enumerate(rows):
        numbers = entities.of_row(row)
        names = {e["id"]: e["name"] for e in row["entities"] or ()}
        for stance in row["stances"] or ():
            if stance["target_kind"] == "entity" and stance["target"] in numbers:
                key = ("entity", numbers[stance["target"]])
                labels[key][entities.names[entities.keys[key[1]]]] += 1
            else:
                key = ("topic", stance["target"].casefold())
                labels[key][stance["target"]] += 1
            found.setdefault(key, []).append([number, stance["id"], stance["polarity"],
                                              _holder_name(stance["holder"], names)])
    order = sorted(found, key=lambda k: (-len(found[k]), _most_common(labels[k]).casefold(), str(k)))
    return [[_most_common(labels[key]), key[0], key[1] if key[0] == "entity" else None, found[key]] for key in order]


def _flat(text: str) -> str:
    """``text`` on one line: every run of white space one space, at the ends too (they separate the mention)."""
    return _SPACES.sub(" ", text)


def context_of(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to :data:`CONTEXT` characters of text either side of ``[start, end)``, cut at whole words, on one line."""
    left, right = text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]
    if start > CONTEXT and " " in left:
        left = left.split(" ", 1)[1]
    if end + CONTEXT < len(text) and " " in right:
        right = right.rsplit(" ", 1)[0]
    return _flat(left), _flat(right)


def _kwic_lines(row: Mapping, number: int, numbers: Mapping[str, int]) -> dict[int, list]:
    text, lines = row["text"], defaultdict(list)
    for mention in sorted(row["mentions"] or (), key=lambda m: (m["start"], m["end"])):
        if mention["entity_id"] in numbers:
            left, right = context_of(text, mention["start"], mention["end"])
            lines[numbers[mention["entity_id"]]].append(
                [number, mention["id"], left, text[mention["start"]:mention["end"]], right])
    return lines


@dataclass(frozen=True)
class SearchIndex:
    files: dict[str, bytes]
    entities: int
    targets: int


def search_index(rows: Sequence[Mapping], hrefs: Sequence[str]) -> SearchIndex:
    """The files of ``search/`` for the documents ``rows`` (in site order) and their pages ``hrefs``."""
    entities = CorpusEntities(rows)
    targets = stance_targets(rows, entities)
    documents, kwic = [], defaultdict(list)
    for number, (row, href) in enumerate(zip(rows, hrefs)):
        numbers = entities.of_row(row)
        documents.append([row["doc_id"], href, document_heading(row), row["date"], row["split"], row["annotation_status"],
                          row.get("beat"), row.get("genre"), len(row["mentions"] or ()), len(row["entities"] or ()),
                          len(row["stances"] or ()), sorted(set(numbers.values()))])
        for entity, lines in _kwic_lines(row, number, numbers).items():
            kwic[entity].extend(lines)
    packed, starts = [], []
    for entity in range(len(entities.keys)):
        starts.append((len(packed), len(kwic[entity])))
        packed.extend(kwic[entity])
    files = {
        "search/documents.js": script("documents", {"fields": DOCUMENT_FIELDS, "rows": documents,
                                                    "text_shard": TEXT_SHARD, "kwic_lines": KWIC_LINES}),
        "search/entities.js": script("entities", {"entity_fields": ENTITY_FIELDS, "entities": entities.table(starts),
                                                  "target_fields": TARGET_FIELDS, "targets": targets}),
    }
    for first in range(0, len(rows), TEXT_SHARD):
        texts = [" ".join(row["text"].split()).casefold() for row in rows[first:first + TEXT_SHARD]]
        files[shard_name("text", first // TEXT_SHARD)] = script(f"text-{first // TEXT_SHARD}", texts)
    for first in range(0, len(packed), KWIC_LINES):
        files[shard_name("kwic", first // KWIC_LINES)] = script(f"kwic-{first // KWIC_LINES}", packed[first:first + KWIC_LINES])
    return SearchIndex(files, len(entities.keys), len(targets))


def shard_name(part: str, index: int) -> str:
    return f"search/{part}-{index:03d}.js"
