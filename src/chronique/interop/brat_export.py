"""brat standoff: ``documents`` rows written as ``.txt``/``.ann`` pairs, with ``annotation.conf`` and ``tools.conf``.

See :func:`export_brat` for what brat can and cannot carry; :mod:`chronique.interop.brat`
reads such a collection back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from chronique.documents import is_safe_id
from chronique.errors import Finding, FindingLog, UsageError
from chronique.interop.brat import one_line
from chronique.schema import FINE_TYPES, POLARITIES

METONYMIC = "Metonymic"
STANCE_NOTE = "chronique-stance"


def annotation_conf() -> str:
    """brat's ``annotation.conf`` for our scheme: nine types, stance relations, the metonymy attribute."""
    relations = "".join(f"{polarity}\tArg1:<ENTITY>, Arg2:<ENTITY>\n" for polarity in POLARITIES)
    return (
        "# Written by chronique.interop.brat_export.export_brat.\n"
        "# A relation is a stance: Arg1 (holder) towards Arg2 (target). Stances brat cannot draw\n"
        f"# (AUTHOR holder, topic target) are AnnotatorNotes starting with {STANCE_NOTE}.\n"
        "[entities]\n" + "".join(f"{t}\n" for t in FINE_TYPES)
        + "\n[relations]\n" + relations
        # Our mentions nest (at most one level) but never cross; identical extents with other types are allowed.
        + "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:contain|equal\n"
        + "\n[events]\n\n[attributes]\n" + f"{METONYMIC}\tArg:<ENTITY>\n"
    )


TOOLS_CONF = "[normalization]\nWikidata\t<URL>:https://www.wikidata.org/, <URLBASE>:https://www.wikidata.org/wiki/%s\n"


def _nearest_mention(mentions: list[dict], entity_id: str | None, position: int) -> dict | None:
    """The mention of ``entity_id`` (any mention when None) nearest to ``position``, the first evidence's start."""
    def distance(mention: dict) -> int:
        if mention["start"] <= position < mention["end"]:
            return 0
        return min(abs(mention["start"] - position), abs(mention["end"] - position))

    candidates = [m for m in mentions if entity_id is None or m["entity_id"] == entity_id]
    return min(candidates, key=lambda m: (distance(m), m["start"]), default=None)


def _stance_note(stance: dict) -> str:
    """The whole stance as one JSON line: brat can hold it only as free text."""
    record = {key: stance[key] for key in ("id", "holder", "target", "target_kind", "polarity", "scope", "reported")}
    record["evidence"] = [[quote["start"], quote["end"]] for quote in stance["evidence"]]
    return f"{STANCE_NOTE} {json.dumps(record, ensure_ascii=False)}"


def _stance_lines(row: dict, t_ids: dict[str, str], log: FindingLog | None) -> list[str]:
    """``R`` lines for entity-to-entity stances, and one ``#`` note per stance carrying all its fields."""
    mentions, relations, notes = row["mentions"], [], []
    for stance in row["stances"]:
        position = stance["evidence"][0]["start"] if stance["evidence"] else 0
        holder = None if stance["holder"] == "AUTHOR" else _nearest_mention(mentions, stance["holder"], position)
        target = _nearest_mention(mentions, stance["target"], position) if stance["target_kind"] == "entity" else None
        if holder is not None and target is not None:
            relations.append(f"R{len(relations) + 1}\t{stance['polarity']} Arg1:{t_ids[holder['id']]} "
                             f"Arg2:{t_ids[target['id']]}")
        anchor = target or holder or _nearest_mention(mentions, None, position)
        if anchor is None:
            if log is not None:
                log.add(Finding("export.brat.stance", f"stance {stance['id']} not written: a brat note needs a span to "
                                "attach to and the document has no mention", f"{row['doc_id']}.ann", severity="warning"))
            continue
        notes.append(f"#{len(notes) + 1}\tAnnotatorNotes {t_ids[anchor['id']]}\t{_stance_note(stance)}")
    return relations + notes


def ann_lines(row: dict, *, log: FindingLog | None = None) -> list[str]:
    """The ``.ann`` lines of one ``documents`` row: T per mention, A Metonymic, N Wikidata, R and # for stances."""
    text, mentions = row["text"], row["mentions"]
    qids = {entity["id"]: entity for entity in row["entities"] if entity["qid"]}
    t_ids = {mention["id"]: f"T{number}" for number, mention in enumerate(mentions, start=1)}
    lines = [f"{t_ids[m['id']]}\t{m['type']} {m['start']} {m['end']}\t{one_line(text[m['start']:m['end']])}"
             for m in mentions]
    lines += [f"A{n}\t{METONYMIC} {t_ids[m['id']]}" for n, m in enumerate((m for m in mentions if m["metonymic"]), start=1)]
    # Every mention of a QID entity carries the QID: it is what regroups them on the way back.
    linked = [m for m in mentions if m["entity_id"] in qids]
    lines += [f"N{n}\tReference {t_ids[m['id']]} Wikidata:{qids[m['entity_id']]['qid']}\t"
              f"{one_line(qids[m['entity_id']]['name'])}" for n, m in enumerate(linked, start=1)]
    return lines + _stance_lines(row, t_ids, log)


def export_brat(documents: Iterable[dict], out_dir: Path, *, log: FindingLog | None = None) -> list[Path]:
    """Write ``documents`` rows as a brat collection in ``out_dir``; returns the files written.

    Per row: ``<doc_id>.txt`` (the text, byte for byte) and ``<doc_id>.ann``; once:
    ``annotation.conf`` and ``tools.conf``. What brat carries: mention offsets and types
    (``T``), ``metonymic`` (``A Metonymic``), entity QIDs (``N … Wikidata:Q…`` on every
    mention of the entity) and stances between two entities (``R <POLARITY> Arg1:holder
    Arg2:target``, between the mentions nearest the first evidence). What it cannot:
    entity clusters without a QID (each mention comes back as its own entity), entity
    names and types (taken from the first mention on reading), ``parent_id`` (recomputed
    from containment on reading), mention ids (renumbered in text order), and stances with an
    AUTHOR holder or a topic target, evidence, scope and ``reported``: every stance is
    also written whole as a JSON ``AnnotatorNotes`` line starting with ``chronique-stance``,
    for people to read in brat; :func:`read_brat` counts such notes but does not import them.
    Document metadata (date, title, source, licence, paragraphs, sentences) is not written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "annotation.conf", out_dir / "tools.conf"]
    written[0].write_text(annotation_conf(), encoding="utf-8", newline="\n")
    written[1].write_text(TOOLS_CONF, encoding="utf-8", newline="\n")
    for row in documents:
        doc_id = row["doc_id"]
        if not is_safe_id(doc_id):
            raise UsageError(f"document id {doc_id!r} is not safe as a file name")
        txt, ann = out_dir / f"{doc_id}.txt", out_dir / f"{doc_id}.ann"
        txt.write_bytes(row["text"].encode("utf-8"))
        ann.write_text("".join(f"{line}\n" for line in ann_lines(row, log=log)), encoding="utf-8", newline="\n")
        written += [txt, ann]
    return written
