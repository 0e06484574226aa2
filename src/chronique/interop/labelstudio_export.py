"""Label Studio: write tasks for our ``documents`` rows, and the labelling config beside them.

Gold annotations become a task's annotation, silver ones a prediction to correct, and spaCy's
entities a further prediction. The regions, choices and relations follow
:mod:`chronique.interop.labelstudio_config`, so :mod:`chronique.interop.labelstudio` reads them back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from chronique.errors import InputError
from chronique.interop.labelstudio_config import (
    AUTHOR,
    AUTHOR_CHOICE,
    ENTITY,
    ENTITY_NAME,
    EVIDENCE,
    EVIDENCE_RELATION,
    HOLDER_RELATION,
    MENTION_CONTROL,
    METONYMIC,
    METONYMY,
    POLARITY,
    QID,
    REPORTED,
    SCOPE,
    STANCE,
    STANCE_CONTROL,
    TARGET_RELATION,
    TEXT,
    TOPIC,
    label_config,
)

SILVER_VERSION = "chronique silver annotation"


def export_labelstudio(documents: Iterable[dict], out_dir: Path, *, model: str | None = "fr_core_news_md") -> list[Path]:
    """Write ``tasks.json`` (one task per ``documents`` row) and ``label_config.xml``; return both paths.

    Gold annotations become the task's annotation, silver ones a prediction to correct; with
    ``model``, spaCy's entities (PER/ORG/LOC/MISC, mapped as ``chronique preannotate`` maps
    them) are a further prediction, its ``model_version`` naming the model. ``model=None``
    skips spaCy. Raises :class:`InputError` for a stance that cannot be drawn (no evidence,
    or an entity without a mention to link).
    """
    nlp = version = None
    if model is not None:
        from chronique.curation.preannotate import load_ner_model, model_annotator  # spaCy is only loaded when asked for

        nlp = load_ner_model(model)
        version = model_annotator(nlp)
    tasks = [_task(row, nlp, version) for row in documents]
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks_path, config_path = out_dir / "tasks.json", out_dir / "label_config.xml"
    tasks_path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config_path.write_text(label_config(), encoding="utf-8")
    return [tasks_path, config_path]


def _task(row: dict, nlp, version: str | None) -> dict:
    """One Label Studio task: data, our annotation (gold) or prediction (silver), and the model's prediction."""
    data = {TEXT: row["text"], "doc_id": row["doc_id"], "title": row.get("title") or "", "date": row.get("date")}
    # Label Studio assigns its own users on import, so our annotators travel in meta, for reference.
    task = {"data": data, "meta": {"annotation_status": row.get("annotation_status"),
                                   "annotators": list(row.get("annotators") or [])}}
    result = _mention_results(row) + _stance_results(row)
    predictions = []
    if row.get("annotation_status") == "gold":
        task["annotations"] = [{"result": result, "ground_truth": False}]
    elif row.get("annotation_status") == "silver":
        predictions.append({"model_version": SILVER_VERSION, "result": result})
    if nlp is not None:
        predictions.append({"model_version": version, "result": _model_results(row, nlp)})
    if predictions:
        task["predictions"] = predictions
    return task


def _region(rid: str, control: str, kind: str, source: str, start: int, end: int, **value) -> dict:
    """A region result. A text area's ``text`` (its list of entries) replaces the region's text, as Label Studio stores it."""
    return {"id": rid, "from_name": control, "to_name": TEXT, "type": kind,
            "value": {"start": start, "end": end, "text": source[start:end], **value}}


def _relation(source: str, target: str, label: str) -> dict:
    return {"from_id": source, "to_id": target, "type": "relation", "direction": "right", "labels": [label]}


def _mention_results(row: dict) -> list[dict]:
    """Each mention as a ``label`` region with its metonymy choice and entity id, entity name and QID text areas."""
    text, entities = row["text"], {e["id"]: e for e in row.get("entities") or []}
    results = []
    for m in row.get("mentions") or []:
        where = (text, m["start"], m["end"])
        results.append(_region(m["id"], MENTION_CONTROL, "labels", *where, labels=[m["type"]]))
        if m.get("metonymic"):
            results.append(_region(m["id"], METONYMY, "choices", *where, choices=[METONYMIC]))
        if m.get("entity_id"):
            entity = entities.get(m["entity_id"]) or {}
            results.append(_region(m["id"], ENTITY, "textarea", *where, text=[m["entity_id"]]))
            if entity.get("name"):
                results.append(_region(m["id"], ENTITY_NAME, "textarea", *where, text=[entity["name"]]))
            if entity.get("qid"):
                results.append(_region(m["id"], QID, "textarea", *where, text=[entity["qid"]]))
    return results


def _stance_results(row: dict) -> list[dict]:
    """Each stance as a STANCE region on its first evidence span, its choices, topic and relations."""
    text, results = row["text"], []
    for s in row.get("stances") or []:
        if not s.get("evidence"):
            raise InputError(f"{row['doc_id']}: stance {s['id']} has no evidence span to draw it on")
        first, sid = s["evidence"][0], s["id"]
        where = (text, first["start"], first["end"])
        results.append(_region(sid, STANCE_CONTROL, "labels", *where, labels=[STANCE]))
        results.append(_region(sid, POLARITY, "choices", *where, choices=[s["polarity"]]))
        results.append(_region(sid, SCOPE, "choices", *where, choices=[s["scope"]]))
        if s.get("reported"):
            results.append(_region(sid, REPORTED, "choices", *where, choices=[REPORTED]))
        if s["holder"] == AUTHOR:
            results.append(_region(sid, AUTHOR_CHOICE, "choices", *where, choices=[AUTHOR]))
        else:
            results.append(_relation(_linked_mention(row, s["holder"], first, sid), sid, HOLDER_RELATION))
        if s["target_kind"] == "topic":
            results.append(_region(sid, TOPIC, "textarea", *where, text=[s["target"]]))
        else:
            results.append(_relation(sid, _linked_mention(row, s["target"], first, sid), TARGET_RELATION))
        for number, quote_row in enumerate(s["evidence"][1:], start=2):
            rid = f"{sid}-e{number}"
            where = (text, quote_row["start"], quote_row["end"])
            results.append(_region(rid, STANCE_CONTROL, "labels", *where, labels=[EVIDENCE]))
            results.append(_relation(sid, rid, EVIDENCE_RELATION))
    return results


def _linked_mention(row: dict, entity_id: str, evidence: dict, stance_id: str) -> str:
    """The mention of ``entity_id`` that a relation starts or ends at: inside the evidence, else the nearest one."""
    candidates = [m for m in row.get("mentions") or [] if m.get("entity_id") == entity_id]
    if not candidates:
        raise InputError(f"{row['doc_id']}: stance {stance_id} refers to entity {entity_id}, which has no mention "
                         "to draw the relation from")
    start, end = evidence["start"], evidence["end"]
    return min(candidates, key=lambda m: (not (start <= m["start"] and m["end"] <= end), abs(m["start"] - start),
                                          m["start"]))["id"]


def _model_results(row: dict, nlp) -> list[dict]:
    """spaCy's entities as ``label`` regions, paragraph by paragraph as ``chronique preannotate`` runs it."""
    from chronique.curation.preannotate import LABEL_TYPES

    text = row["text"]
    paragraphs = row.get("paragraphs") or [{"start": 0, "end": len(text)}]
    results = []
    for paragraph, doc in zip(paragraphs, nlp.pipe(text[p["start"] : p["end"]] for p in paragraphs)):
        for entity in doc.ents:
            fine_type = LABEL_TYPES.get(entity.label_)
            if fine_type is None:  # a label the mapping lacks is no suggestion worth correcting
                continue
            start = paragraph["start"] + entity.start_char
            results.append(_region(f"p{len(results) + 1}", MENTION_CONTROL, "labels", text, start,
                                   paragraph["start"] + entity.end_char, labels=[fine_type]))
    return results
