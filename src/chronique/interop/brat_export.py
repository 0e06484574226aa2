"""brat standoff: ``documents`` rows written as ``.txt``/``.ann`` pairs, with ``annotation.conf`` and ``tools.conf``.

See :func:`export_brat` for what brat can and cannot carry; :mod:`chronique.interop.brat`
reads such a collection back.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

from chronique.store.documents import is_safe_id
from chronique.checks.catalogue import finding
from chronique.errors import FindingLog, UsageError
from chronique.interop.brat import one_line
from chronique.interop.brat_notes import STANCE_NOTE, entity_note, stance_note
from chronique.schema import FINE_TYPES, POLARITIES

METONYMIC = "Metonymic"
__all__ = ["METONYMIC", "STANCE_NOTE", "TOOLS_CONF", "annotation_conf", "ann_lines", "export_brat"]


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


def _stance_lines(row: dict, t_ids: dict[str, str],
                  log: FindingLog | None) -> tuple[list[str], list[tuple[str, str]]]:
    """``R`` lines for entity-to-entity stances, and ``(anchor T id, note text)`` per stance, the note carrying it whole."""
    mentions, relations, notes = row["mentions"], [], []
    for stance in row["stances"]:
        position = stance["evidence"][0]["start"] if stance["evidence"] else 0
        holder = None if stance["holder"] == "AUTHOR" else _nearest_mention(mentions, stance["holder"], position)
        target = _nearest_mention(mentions, stance["target"], position) if stance["target_kind"] == "entity" else None
        relation = None
        if holder is not None and target is not None:
            relation = f"R{len(relations) + 1}"
            relations.append(f"{relation}\t{stance['polarity']} Arg1:{t_ids[holder['id']]} Arg2:{t_ids[target['id']]}")
        anchor = target or holder or _nearest_mention(mentions, None, position)
        if anchor is None:
            if log is not None:
                log.add(finding("export.brat.stance", f"stance {stance['id']} not written: a brat note needs a span to "
                                "attach to and the document has no mention", f"{row['doc_id']}.ann"))
            continue
        note = stance_note(stance, holder_span=t_ids[holder["id"]] if holder else None,
                           target_span=t_ids[target["id"]] if target else None, relation=relation)
        notes.append((t_ids[anchor["id"]], note))
    return relations, notes


def _entity_notes(row: dict, t_ids: dict[str, str]) -> list[tuple[str, str]]:
    """A note on the first mention of each entity that brat's own lines would not give back whole.

    That is an entity of several mentions (only a QID, if any, would regroup them), one whose
    QID another entity shares (the QID would merge them) or one whose name is not its mention's text.
    """
    text, notes = row["text"], []
    shared = Counter(entity["qid"] for entity in row["entities"] if entity["qid"])
    for entity in row["entities"]:
        mentions = [m for m in row["mentions"] if m["entity_id"] == entity["id"]]
        if not mentions:
            continue
        first = mentions[0]
        if len(mentions) > 1 or shared[entity["qid"]] > 1 or entity["name"] != text[first["start"] : first["end"]]:
            notes.append((t_ids[first["id"]], entity_note(entity, [t_ids[m["id"]] for m in mentions])))
    return notes


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
    relations, stance_notes = _stance_lines(row, t_ids, log)
    notes = stance_notes + _entity_notes(row, t_ids)
    return lines + relations + [f"#{n}\tAnnotatorNotes {anchor}\t{note}" for n, (anchor, note) in enumerate(notes, start=1)]


def export_brat(documents: Iterable[dict], out_dir: Path, *, log: FindingLog | None = None) -> list[Path]:
    """Write ``documents`` rows as a brat collection in ``out_dir``; returns the files written.

    Per row: ``<doc_id>.txt`` (the text, byte for byte) and ``<doc_id>.ann``; once:
    ``annotation.conf`` and ``tools.conf``. What brat carries: mention offsets and types
    (``T``), ``metonymic`` (``A Metonymic``), entity QIDs (``N … Wikidata:Q…`` on every
    mention of the entity) and stances between two entities (``R <POLARITY> Arg1:holder
    Arg2:target``, between the mentions nearest the first evidence). What brat has no line
    for is written as our own JSON ``AnnotatorNotes`` (:mod:`chronique.interop.brat_notes`),
    which :func:`~chronique.interop.brat.read_brat` imports: every stance whole
    (``chronique-stance``: AUTHOR holders, topic targets, evidence, scope, ``reported``), and
    each entity whose cluster or name the lines above would not give back
    (``chronique-entity``). Recomputed on reading, not carried: ``parent_id`` (from
    containment), mention, entity and stance ids (renumbered in text order); entity types
    are those of their first mention.
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
