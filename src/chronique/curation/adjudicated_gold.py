"""The gold annotation an adjudication produces from every unit's decided value.

Status ``gold``, ``annotators`` all of them, ``tool`` ``chronique adjudicate``, ``pass``
``adjudicated``. Mentions ``m1…`` are in text order ``(start, -end)``; entities ``e1…`` are rebuilt
from the kept mentions in order of first mention (then those only stances name), typed like their
first mention; stances ``s1…`` follow guidelines 9.4. The result must pass the JSON Schema and every
check of :func:`chronique.checks.document.check_annotation` before it is written, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


from chronique.curation.adjudication_units import Unit, entities_by_ref
from chronique.curation.agreement import Ref, entity_class
from chronique.store.annotations import GUIDELINES_VERSION, quote
from chronique.checks.document import check_annotation
from chronique.store.documents import make_document, sha256_text
from chronique.errors import Finding
from chronique.interop.nesting import smallest_containers
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, RawArticle, Stance

TOOL = "chronique adjudicate"


@dataclass(frozen=True)
class _Kept:
    """A mention of the gold file before ids are given."""

    start: int
    end: int
    type: str
    metonymic: bool
    ref: Ref | None


def kept_mentions(units: Sequence[Unit], decisions: Mapping) -> list[_Kept]:
    """The decided mentions in ``(start, -end, type)`` order, each with the entity its span is linked to."""
    kept = []
    for unit in units:
        if unit.kind != "mention":
            continue
        name = decisions.get(("entity", unit.key))
        for fine_type, metonymic in decisions[("mention", unit.key)]:
            ref = ("entity", name, entity_class(fine_type)) if name else None
            kept.append(_Kept(*unit.key, fine_type, metonymic, ref))
    return sorted(kept, key=lambda m: (m.start, -m.end, m.type))


def kept_stances(units: Sequence[Unit], decisions: Mapping) -> list[tuple[Ref, Ref, tuple]]:
    """``(holder, target, value)`` of every decided stance."""
    return [(u.key[0], u.key[1], decisions[("stance", u.key)]) for u in units
            if u.kind == "stance" and decisions[("stance", u.key)] is not None]


def rebuild_entities(mentions: Sequence[_Kept], stances: Sequence[tuple], versions: Mapping[str, Annotation],
                     decisions: Mapping) -> dict[Ref, Entity]:
    """One entity per reference, ids ``e1…`` in order of first mention, then those only stances name.

    The type is that of the first mention (the literal type, guidelines 5), else the annotators';
    the qid is the decided one.
    """
    known: dict[Ref, Entity] = {}
    for annotator in sorted(versions):
        for ref, entity in entities_by_ref(versions[annotator]).items():
            known.setdefault(ref, entity)
    types: dict[Ref, str] = {}
    for mention in mentions:
        if mention.ref is not None:
            types.setdefault(mention.ref, mention.type)
    for holder, target, _ in stances:
        for ref in (holder, target):
            if ref[0] == "entity" and ref not in types and ref in known:
                types[ref] = known[ref].type
    return {ref: Entity(f"e{n}", ref[1], fine_type, decisions.get(("qid", ref)))
            for n, (ref, fine_type) in enumerate(types.items(), start=1)}


def number_mentions(kept: Sequence[_Kept], entities: Mapping[Ref, Entity], text: str) -> tuple[Mention, ...]:
    """Mentions ``m1…``; the parent of each is the smallest other mention strictly containing it.

    ``kept`` is in ``(start, -end, type)`` order, so a tie between two containers of one extent
    goes to the first type (rule in :mod:`chronique.interop.nesting`).
    """
    mentions = []
    parents = smallest_containers([(mention.start, mention.end) for mention in kept])
    for index, (mention, parent) in enumerate(zip(kept, parents)):
        entity = entities.get(mention.ref) if mention.ref else None
        mentions.append(Mention(f"m{index + 1}", quote(text, mention.start, mention.end), mention.type,
                                entity.id if entity else None, f"m{parent + 1}" if parent is not None else None,
                                mention.metonymic))
    return tuple(mentions)


def order_stances(stances: Sequence[tuple], entities: Mapping[Ref, Entity], first_at: Mapping[Ref, int]) -> list[tuple]:
    """Guidelines 9.4: attributed records by first evidence, then target, then holder; AUTHOR
    document-level records after them, by the target's first appearance."""
    def order(record: tuple) -> tuple:
        holder, target, (polarity, spans, scope, reported) = record
        evidence_at = spans[0][0]
        target_at = first_at.get(target, evidence_at)
        if holder[0] == "author" and scope == "document":
            return 1, target_at, evidence_at, 0
        holder_number = int(entities[holder].id[1:]) if holder in entities else 0
        return 0, evidence_at, target_at, holder_number
    return sorted(stances, key=order)


def number_stances(stances: Sequence[tuple], entities: Mapping[Ref, Entity], text: str) -> tuple[Stance, ...]:
    """Stances ``s1…`` with holders and entity targets as the rebuilt entity ids.

    A reference that no entity carries is kept as written, for the checks to report.
    """
    numbered = []
    for n, (holder, target, (polarity, spans, scope, reported)) in enumerate(stances, start=1):
        holder_id = "AUTHOR" if holder[0] == "author" else entities[holder].id if holder in entities else holder[1]
        target_id = target[1] if target[0] == "topic" else entities[target].id if target in entities else target[1]
        evidence = tuple(quote(text, start, end) for start, end in spans)
        numbered.append(Stance(f"s{n}", holder_id, target_id, "topic" if target[0] == "topic" else "entity",
                               polarity, evidence, scope, reported))
    return tuple(numbered)


def gold_annotation(doc_id: str, text: str, units: Sequence[Unit], decisions: Mapping,
                    versions: Mapping[str, Annotation], today: str, curator: str | None = None) -> Annotation:
    """The adjudicated annotation of one document from every unit's decided value."""
    kept = kept_mentions(units, decisions)
    stances = kept_stances(units, decisions)
    entities = rebuild_entities(kept, stances, versions, decisions)
    first_at: dict[Ref, int] = {}
    for mention in kept:
        if mention.ref is not None:
            first_at.setdefault(mention.ref, mention.start)
    stances = order_stances(stances, entities, first_at)
    # the curator decided under today's guidelines, whatever the versions were made under
    people = (*sorted(versions), *([curator] if curator and curator not in versions else []))
    provenance = AnnotationProvenance("gold", people, GUIDELINES_VERSION, TOOL, today, "adjudicated")
    return Annotation(doc_id, sha256_text(text), provenance, number_mentions(kept, entities, text),
                      tuple(entities.values()), number_stances(stances, entities, text), f"annotations/{doc_id}.json")


def verification_findings(article: RawArticle, annotation: Annotation) -> list[Finding]:
    """The errors the JSON Schema and the document checks find in ``annotation`` (empty when it is valid).

    Warnings (a DATE entity named by its words rather than its ISO value, say) do not stop an adjudication:
    ``chronique validate`` reports them for a person to follow up."""
    return [f for f in check_annotation(make_document(article, annotation, "train")) if f.severity == "error"]
