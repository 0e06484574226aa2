"""Hand annotation by quotation: a draft that names spans by their words, anchored to offsets.

A person annotating in a text editor should not count characters. A *quote draft* lists
each mention by the paragraph it is in and its exact words, in reading order; this module
finds each one in the normalised text and produces a regular annotation record, with
offsets, quotes, ids and order computed as section 11 of the guidelines requires::

    {"doc_id": "ba88b6aa48263bfe", "annotator": "chronique-a1",
     "entities": [{"id": "macron", "name": "Emmanuel Macron", "type": "PER", "qid": "Q3052772"}],
     "mentions": [{"p": 1, "exact": "Emmanuel Macron", "entity": "macron"},
                  {"p": 3, "exact": "Kremlin", "entity": "kremlin", "metonymic": true}],
     "stances": [{"holder": "macron", "target": "réforme des retraites", "target_kind": "topic",
                  "polarity": "FAVOR", "scope": "sentence", "reported": true,
                  "evidence": [{"p": 2, "exact": "défend la réforme des retraites"}]}]}

Matching rules, so that a draft written from a screen view of the text anchors exactly:
- ``p`` is the 1-based paragraph number that :func:`numbered_paragraphs` prints.
- Mentions of one paragraph are searched in order, each from the start of the previous
  one, so a nested mention follows its parent and a repeated name takes the next
  occurrence. ``"n": k`` skips to the k-th match from there.
- Evidence is searched from the start of its paragraph (``"n"`` works the same way).
- A match must start and end on word boundaries. Runs of spaces match any spacing,
  ``'`` matches ``’``, and spaces around « » ; : ! ? are optional, since typography varies.
- A mention's type is its entity's type; a mention inside another gets it as parent.

Every problem is a :class:`~chronique.errors.Finding` naming the draft file and the line of
the item, collected so that one run lists all of them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from chronique.store.annotations import ANNOTATION_SCHEMA_VERSION, quote
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.text.normalize import segment_paragraphs

_OPTIONAL_SPACE_AROUND = "«»;:!?"
_APOSTROPHES = "'’ʼ"
_HYPHENS = "-‐‑"


def numbered_paragraphs(text: str) -> list[tuple[int, int, int]]:
    """``(number, start, end)`` of each paragraph, numbered from 1 as a draft's ``p`` refers to them."""
    return [(number, p.start, p.end) for number, p in enumerate(segment_paragraphs(text), start=1)]


def quote_pattern(exact: str) -> re.Pattern:
    """A pattern for ``exact`` that tolerates the typographic variation listed in the module docstring."""
    parts: list[str] = []
    for char in exact.strip():
        if char.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif char in _APOSTROPHES:
            parts.append(f"[{_APOSTROPHES}]")
        elif char in _HYPHENS:
            parts.append(f"[{_HYPHENS}]")
        elif char in _OPTIONAL_SPACE_AROUND:
            if parts and parts[-1] == r"\s+":
                parts.pop()
            parts.append(rf"\s*{re.escape(char)}\s*")
        else:
            parts.append(re.escape(char))
    body = "".join(parts).replace(r"\s*\s+", r"\s*").replace(r"\s+\s*", r"\s*")
    # word boundaries, and never a piece of a hyphenated token ("Alsace" in "Alsace-Champagne")
    return re.compile(rf"(?<![\w])(?<![\w][{_HYPHENS}])(?:{body})(?![\w])(?![{_HYPHENS}]\w)")


def quote_matches(text: str, exact: str, start: int, end: int, skip: Iterable[tuple[int, int]] = ()) -> Iterator[tuple[int, int]]:
    """The spans of ``exact`` in ``text[start:end]``, in text order, leaving out those in ``skip``."""
    taken = set(skip)
    for match in quote_pattern(exact).finditer(text, start, end):
        span = _stripped(text, match.start(), match.end())
        if span not in taken:
            yield span


def find_quote(text: str, exact: str, start: int, end: int, nth: int = 1, skip: Iterable[tuple[int, int]] = ()) -> tuple[int, int] | None:
    """Offsets of the ``nth`` match of ``exact`` in ``text[start:end]`` that is not in ``skip``, or None."""
    return next(itertools.islice(quote_matches(text, exact, start, end, skip), nth - 1, None), None)


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass
class _Draft:
    """One draft being anchored: where it is, its text, and how to report a problem in it."""

    path: str
    raw: str
    text: str
    log: FindingLog

    def line_of(self, needle: str, occurrence: int) -> int | None:
        """Line of the ``occurrence``-th (0-based) appearance of ``needle`` in the draft file."""
        index = -1
        for _ in range(occurrence + 1):
            index = self.raw.find(needle, index + 1)
            if index < 0:
                return None
        return self.raw.count("\n", 0, index) + 1

    def problem(self, check_id: str, message: str, line: int | None, hint: str | None = None) -> None:
        self.log.add(finding(check_id, message, self.path, line, hint=hint))


def _paragraph(draft: _Draft, paragraphs: dict[int, tuple[int, int]], item: dict, what: str, line: int | None):
    number = item.get("p")
    if type(number) is not int or number not in paragraphs:
        draft.problem("quotes.paragraph", f"{what}: 'p' must be a paragraph number 1–{len(paragraphs)}, found {number!r}",
                      line, hint="run `python scripts/quotes.py show DOC_ID` to see the numbered paragraphs")
        return None
    return paragraphs[number]


def _nth(draft: _Draft, item: dict, what: str, line: int | None) -> int | None:
    nth = item.get("n", 1)
    if type(nth) is not int or nth < 1:
        draft.problem("quotes.n", f"{what}: 'n' must be a positive integer, found {nth!r}", line)
        return None
    return nth


def _anchor_mentions(draft: _Draft, mentions: list, entity_types: dict[str, str]) -> list[dict]:
    """Anchor every mention item; returns ``{start, end, entity, metonymic}`` dicts for the placed ones."""
    paragraphs = {n: (s, e) for n, s, e in numbered_paragraphs(draft.text)}
    cursor: dict[int, int] = {}
    placed: list[dict] = []
    used: set[tuple[int, int]] = set()
    for index, item in enumerate(mentions):
        line = draft.line_of('"exact"', index)
        what = f"mention {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("exact"), str) or not item["exact"].strip():
            draft.problem("quotes.mention", f"{what}: expected an object with 'p', 'exact' and 'entity'", line)
            continue
        what = f"mention {index + 1} {item['exact']!r}"
        bounds, nth = _paragraph(draft, paragraphs, item, what, line), _nth(draft, item, what, line)
        if bounds is None or nth is None:
            continue
        if item.get("entity") not in entity_types:
            draft.problem("quotes.entity", f"{what}: entity {item.get('entity')!r} is not in 'entities'", line)
            continue
        start = max(bounds[0], cursor.get(item["p"], bounds[0]))
        span = find_quote(draft.text, item["exact"], start, bounds[1], nth, used)
        if span is None:
            shown = draft.text[start : start + 60].replace("\n", " ")
            draft.problem("quotes.not-found", f"{what}: not found in paragraph {item['p']} after the previous mention "
                          f"(searching from {shown!r}…)", line,
                          hint="check the spelling, the paragraph number and that mentions are listed in reading order")
            continue
        used.add(span)
        cursor[item["p"]] = span[0]
        placed.append({"start": span[0], "end": span[1], "entity": item["entity"],
                       "metonymic": bool(item.get("metonymic", False)), "line": line})
    return placed


def _parents(placed: list[dict]) -> dict[int, int | None]:
    """Index of the smallest mention strictly containing each mention, or None."""
    parents: dict[int, int | None] = {}
    for i, m in enumerate(placed):
        containing = [j for j, o in enumerate(placed) if j != i and o["start"] <= m["start"] and m["end"] <= o["end"]
                      and (o["start"], o["end"]) != (m["start"], m["end"])]
        parents[i] = min(containing, key=lambda j: placed[j]["end"] - placed[j]["start"]) if containing else None
    return parents


def _evidence(draft: _Draft, items: object, what: str, line: int | None) -> list[dict] | None:
    paragraphs = {n: (s, e) for n, s, e in numbered_paragraphs(draft.text)}
    if not isinstance(items, list) or not items:
        draft.problem("quotes.stance", f"{what}: 'evidence' must be a non-empty list of {{'p', 'exact'}}", line)
        return None
    spans = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("exact"), str) or not item["exact"].strip():
            draft.problem("quotes.stance", f"{what}, evidence {number}: expected {{'p', 'exact'}}", line)
            return None
        bounds, nth = _paragraph(draft, paragraphs, item, what, line), _nth(draft, item, what, line)
        if bounds is None or nth is None:
            return None
        span = find_quote(draft.text, item["exact"], bounds[0], bounds[1], nth)
        if span is None:
            draft.problem("quotes.not-found", f"{what}, evidence {number} {item['exact']!r}: not found in paragraph "
                          f"{item['p']}", line, hint="quote the evidence exactly as the paragraph writes it")
            return None
        spans.append(span)
    return sorted(spans)


_STANCE_KEYS = ("holder", "target", "target_kind", "polarity", "scope", "reported")


def _anchor_stances(draft: _Draft, stances: list) -> list[dict]:
    placed = []
    for index, item in enumerate(stances):
        line = draft.line_of('"holder"', index)
        what = f"stance {index + 1}"
        if not isinstance(item, dict) or any(key not in item for key in _STANCE_KEYS):
            draft.problem("quotes.stance", f"{what}: expected the keys {', '.join(_STANCE_KEYS)} and 'evidence'", line)
            continue
        spans = _evidence(draft, item.get("evidence"), what, line)
        if spans is not None:
            placed.append({**{key: item[key] for key in _STANCE_KEYS}, "spans": spans})
    return placed


def _entities(draft: _Draft, entities: object) -> dict[str, dict]:
    found: dict[str, dict] = {}
    if not isinstance(entities, list):
        draft.problem("quotes.entity", "'entities' must be a list", 1)
        return found
    for index, item in enumerate(entities):
        line = draft.line_of('"name"', index)
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("id", "name", "type")):
            draft.problem("quotes.entity", f"entity {index + 1}: expected 'id', 'name', 'type' and 'qid'", line)
        elif item["id"] in found:
            draft.problem("quotes.entity", f"entity id {item['id']!r} is used twice", line)
        else:
            found[item["id"]] = item
    return found


def draft_to_record(draft: dict, *, text: str, text_sha256: str, path: str, raw: str, log: FindingLog,
                    provenance: dict) -> dict | None:
    """The annotation record (a dict in the schema's key order) for a quote draft, or None when it has problems."""
    state = _Draft(path, raw, text, log)
    before = len(log.errors)
    entities = _entities(state, draft.get("entities", []))
    mentions = _anchor_mentions(state, _list(state, draft, "mentions"), {k: v["type"] for k, v in entities.items()})
    stances = _anchor_stances(state, _list(state, draft, "stances"))
    if len(log.errors) > before:
        return None
    return _record(draft["doc_id"], text, text_sha256, provenance, entities, mentions, stances)


def _list(draft: _Draft, record: dict, key: str) -> list:
    value = record.get(key, [])
    if not isinstance(value, list):
        draft.problem("quotes.format", f"'{key}' must be a list", 1)
        return []
    return value


def _record(doc_id: str, text: str, text_sha256: str, provenance: dict, entities: dict[str, dict],
            mentions: list[dict], stances: list[dict]) -> dict:
    """Number entities by first mention, mentions by ``(start, -end)``, stances by the guidelines' order (9.4)."""
    order = sorted(range(len(mentions)), key=lambda i: (mentions[i]["start"], -mentions[i]["end"]))
    mentions = [mentions[i] for i in order]
    parents = _parents(mentions)
    first_seen: dict[str, int] = {}
    for m in mentions:
        first_seen.setdefault(m["entity"], m["start"])
    entity_ids = {key: f"e{n}" for n, key in enumerate(sorted(first_seen, key=first_seen.get), start=1)}
    unused = [key for key in entities if key not in entity_ids]
    for key in unused:
        entity_ids[key] = f"e{len(entity_ids) + 1}"
    mention_records = [
        {"id": f"m{n}", **_quote_fields(text, m["start"], m["end"]), "type": entities[m["entity"]]["type"],
         "entity_id": entity_ids[m["entity"]], "parent_id": None if parents[i] is None else f"m{parents[i] + 1}",
         "metonymic": m["metonymic"]}
        for n, (i, m) in enumerate(enumerate(mentions), start=1)
    ]
    entity_records = sorted(
        ({"id": entity_ids[key], "name": e["name"], "type": e["type"], "qid": e.get("qid")} for key, e in entities.items()),
        key=lambda e: int(e["id"][1:]))
    stance_records = _stance_records(text, stances, entity_ids, first_seen)
    return {"schema_version": ANNOTATION_SCHEMA_VERSION, "doc_id": doc_id, "text_sha256": text_sha256,
            "provenance": provenance, "mentions": mention_records, "entities": entity_records, "stances": stance_records}


def _quote_fields(text: str, start: int, end: int) -> dict:
    q = quote(text, start, end)
    return {"start": q.start, "end": q.end, "exact": q.exact, "prefix": q.prefix, "suffix": q.suffix}


def _stance_records(text: str, stances: list[dict], entity_ids: dict[str, str], first_seen: dict[str, int]) -> list[dict]:
    def resolve(value: object) -> object:
        return entity_ids.get(value, value) if isinstance(value, str) else value

    def order(s: dict) -> tuple:
        if s["holder"] == "AUTHOR" and s["scope"] == "document":
            return (1, first_seen.get(s["target"], s["spans"][0][0]), 0, 0, "")
        holder = str(resolve(s["holder"]))
        return (0, s["spans"][0][0], s["spans"][-1][0], int(holder[1:]) if holder[1:].isdigit() else 0, holder)

    records = []
    for n, s in enumerate(sorted(stances, key=order), start=1):
        target = resolve(s["target"]) if s["target_kind"] == "entity" else s["target"]
        records.append({"id": f"s{n}", "holder": resolve(s["holder"]), "target": target, "target_kind": s["target_kind"],
                        "polarity": s["polarity"], "evidence": [_quote_fields(text, a, b) for a, b in s["spans"]],
                        "scope": s["scope"], "reported": s["reported"]})
    return records


def _occurrence(text: str, exact: str, start: int, end: int, target: tuple[int, int], skip: set) -> int | None:
    """Which match (1-based) of ``exact`` in ``text[start:end]``, skipping ``skip``, is ``target``: the ``n``
    that :func:`find_quote` needs to find it again."""
    ranks = (rank for rank, span in enumerate(quote_matches(text, exact, start, end, skip), start=1) if span == target)
    return next(ranks, None)


def record_to_draft(record: dict, text: str) -> dict:
    """A quote draft that :func:`draft_to_record` turns back into ``record`` (ids aside): for editing an
    existing annotation by quotation. ``provenance`` is carried along so that the file's people are kept."""
    paragraphs = numbered_paragraphs(text)

    def paragraph(offset: int) -> tuple[int, int, int]:
        return next(p for p in paragraphs if p[1] <= offset <= p[2])

    mentions, cursor, used = [], {}, set()
    for mention in sorted(record["mentions"], key=lambda m: (m["start"], -m["end"])):
        number, p_start, p_end = paragraph(mention["start"])
        span = (mention["start"], mention["end"])
        start = max(p_start, cursor.get(number, p_start))
        nth = _occurrence(text, mention["exact"], start, p_end, span, used)
        item = {"p": number, "exact": mention["exact"], "entity": mention["entity_id"]}
        if mention["metonymic"]:
            item["metonymic"] = True
        if nth and nth > 1:
            item["n"] = nth
        mentions.append(item)
        used.add(span)
        cursor[number] = span[0]
    stances = []
    for stance in record["stances"]:
        evidence = []
        for quote in stance["evidence"]:
            number, p_start, p_end = paragraph(quote["start"])
            nth = _occurrence(text, quote["exact"], p_start, p_end, (quote["start"], quote["end"]), set())
            evidence.append({"p": number, "exact": quote["exact"], **({"n": nth} if nth and nth > 1 else {})})
        stances.append({key: stance[key] for key in ("holder", "target", "target_kind", "polarity", "scope", "reported")}
                       | {"evidence": evidence})
    annotators = record["provenance"]["annotators"]
    return {"doc_id": record["doc_id"], "annotator": annotators[0], "provenance": record["provenance"],
            "entities": [{key: e[key] for key in ("id", "name", "type", "qid")} for e in record["entities"]],
            "mentions": mentions, "stances": stances}
