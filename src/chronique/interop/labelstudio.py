"""Label Studio: read its JSON export; write tasks and a labelling config for our scheme.

How our scheme is drawn in Label Studio (the config is :func:`label_config`):

* a **mention** is a ``labels`` region of the ``label`` control (one of the nine fine
  types); its per-region results, which share the region id, are the ``metonymy``
  choice ``metonymic`` and the ``entity`` (our entity id, the coreference chain),
  ``entity_name`` (the entity's canonical name) and ``qid`` text areas; the exporter
  writes them on every mention of the entity, and the import takes the name and QID
  of the entity's first mention in the text. Label Studio has no nesting: a mention
  inside another one is its child, as the guidelines define nesting, and the reader
  infers ``parent`` that way;
* a **stance** is a ``STANCE`` region of the ``stance`` control on its first evidence
  span. Per region it carries the ``polarity``, ``scope`` and ``reported`` choices, the
  ``author`` choice when the article's author holds it and the ``topic`` text area when
  the target is a topic. Relations give the rest: holder mention → STANCE region,
  STANCE region → target mention, STANCE region → each further ``EVIDENCE`` region.
  A relation is read by the kinds of regions it joins (its label is only for the eye);
  ``direction: left`` is read backwards. STANCE and EVIDENCE regions are not mentions:
  they are the document's :attr:`~chronique.interop.base.ToolDocument.evidence`, and the
  stance names them as its evidence; holder and target are the ids of the related
  mention regions. A ``scope`` outside our scheme is an error
  (``import.labelstudio.scope``) and that stance is not imported;
* a relation between two **mentions** is how other projects draw stances: each of its
  labels becomes a stance (holder → target, the target mention as evidence) whose
  polarity is that label, mapped by the ``polarities`` of the label mapping; a label
  the mapping lacks is reported by the conversion (``import.stance.unresolved``).

Reading keeps one completed annotation per task: the one marked ``ground_truth``, else
the first listed. Skipped (cancelled) annotations, further completed ones, drafts and
tasks with no completed annotation are not imported and each is reported as a warning
``import.labelstudio.*``; ``predictions`` are model suggestions and are never imported.
Results outside our scheme (for instance the per-region choices ``firma`` or
``hace_lugar`` of other projects, which describe a region in their own terms) are
counted per control and reported as one ``import.labelstudio.ignored`` warning per
task. ``line`` in findings is the task's 1-based position in the export's list: exports
are often written on one line, so a text line would locate nothing.

Offsets: ``value.start``/``value.end`` are read as Unicode code points, as Python counts
them; Label Studio's editor converts from JavaScript's UTF-16 units, which differ only
after an emoji or another character outside the BMP, and older versions got that wrong.
``value.text`` is the text stored with the region, and the conversion checks the two
against each other, so a shifted span (mention or evidence) is re-anchored or
rejected, never misplaced.

:func:`read_labelstudio` yields plain :class:`~chronique.interop.base.ToolDocument`
records, which :func:`~chronique.interop.base.to_annotation` converts as for every other
format (``chronique import labelstudio``). A stance is kept only when its polarity maps,
its holder and target resolve to imported mentions (or AUTHOR, or a topic) and every
evidence span is placed; otherwise it is counted and reported there.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

from chronique.errors import Finding, FindingLog, InputError
from chronique.interop.base import ToolDocument, ToolSpan, ToolStance
from chronique.schema import FINE_TYPES, POLARITIES, SCOPES

TEXT = "text"  # the Text object tag and the data key it shows
MENTION_CONTROL = "label"
STANCE_CONTROL = "stance"
STANCE, EVIDENCE = "STANCE", "EVIDENCE"
METONYMY, METONYMIC = "metonymy", "metonymic"
ENTITY, ENTITY_NAME, QID = "entity", "entity_name", "qid"
POLARITY, AUTHOR_CHOICE, SCOPE, REPORTED, TOPIC = "polarity", "author", "scope", "reported", "topic"
AUTHOR = "AUTHOR"
HOLDER_RELATION, TARGET_RELATION, EVIDENCE_RELATION = "holder", "target", "evidence"
MENTION_ATTRIBUTES = frozenset({METONYMY, ENTITY, ENTITY_NAME, QID})
STANCE_ATTRIBUTES = frozenset({POLARITY, AUTHOR_CHOICE, SCOPE, REPORTED, TOPIC})
SILVER_VERSION = "chronique silver annotation"


# --- reading ---------------------------------------------------------------------------------


def read_labelstudio(path: Path, *, log: FindingLog) -> Iterator[ToolDocument]:
    """One document per task of a Label Studio JSON export that has a completed annotation.

    Input: the export (a list of tasks). Output: documents with the task's text, its mention
    regions as spans (with metonymy, entity id and name, QID and inferred parents), its
    STANCE and EVIDENCE regions as ``evidence`` and its stances. The doc id is ``data["doc_id"]``, else ``meta["doc_id"]``,
    else ``labelstudio-task-<task id>``; the annotator is ``completed_by`` (an email when the
    export has one, else ``labelstudio-user-<id>``). Problems go to ``log``.
    """
    shown = str(path)
    for index, task in enumerate(_load_tasks(path, shown, log), start=1):
        document = _task_document(task, index, shown, log)
        if document is not None:
            yield document


def _load_tasks(path: Path, shown: str, log: FindingLog) -> list:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        log.add(Finding("import.labelstudio.json", f"cannot read the export: {error}", shown, 1,
                        hint="export the project from Label Studio as JSON"))
        return []
    if isinstance(data, dict) and "data" in data:
        return [data]  # a single task, as the task API returns it
    if not isinstance(data, list):
        log.add(Finding("import.labelstudio.json", f"expected a list of tasks, found a JSON {type(data).__name__}",
                        shown, 1, hint="export the project from Label Studio as JSON (not JSON-MIN or CSV)"))
        return []
    return data


def _task_name(task: dict, index: int) -> str:
    return f"task {task['id']}" if task.get("id") is not None else f"task #{index}"


def _task_document(task: object, index: int, path: str, log: FindingLog) -> ToolDocument | None:
    """The document of one task, or None (with a finding) when it has no usable annotation or text."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        log.add(Finding("import.labelstudio.task", f"task #{index} has no 'data' object", path, index,
                        hint="each task needs the data it was annotated on"))
        return None
    annotation = _chosen_annotation(task, index, path, log)
    if annotation is None:
        return None
    results = [r for r in annotation.get("result") or [] if isinstance(r, dict)]
    key = _text_key(task["data"], results)
    if key is None:
        log.add(Finding("import.labelstudio.text", f"{_task_name(task, index)}: no text field in 'data'", path, index,
                        hint="the task's data must hold the annotated text as a string"))
        return None
    text = task["data"][key]
    sorted_results = _Results.sort(results, index)
    mentions, evidence = _region_spans(sorted_results, task, index, path, log)
    name = _task_name(task, index)
    stances = [*_stances(sorted_results, mentions, evidence, name, path, index, log),
               *_relation_stances(sorted_results, mentions, evidence, index)]
    _report_ignored(sorted_results, mentions, evidence, name, path, index, log)
    cited = {span_id for stance in stances for span_id in stance.evidence}
    return ToolDocument(_doc_id(task, index), text, mentions, path, tuple(stances),
                        _annotator(annotation.get("completed_by")), index, _date(task["data"]),
                        tuple(span for span in evidence if span.id in cited))  # an uncited region is reported above


def _chosen_annotation(task: dict, index: int, path: str, log: FindingLog) -> dict | None:
    """The ground-truth completed annotation, else the first completed one; what is left out is reported."""
    name = _task_name(task, index)
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
    cancelled = [a for a in annotations if a.get("was_cancelled")]
    completed = [a for a in annotations if not a.get("was_cancelled")]

    def warn(check: str, message: str, hint: str) -> None:
        log.add(Finding(f"import.labelstudio.{check}", f"{name}: {message}", path, index, severity="warning", hint=hint))

    if cancelled:
        warn("cancelled", f"{len(cancelled)} skipped (cancelled) annotation(s) not imported", "a skip has no labels")
    if task.get("drafts"):
        warn("draft", f"{len(task['drafts'])} draft(s) not imported", "submit the draft in Label Studio to import it")
    if not completed:
        predictions = len(task.get("predictions") or [])
        warn("unannotated", "no completed annotation; task not imported" + (f" (it has {predictions} prediction(s), "
             "which are model suggestions)" if predictions else ""), "annotate or submit the task in Label Studio")
        return None
    chosen = next((a for a in completed if a.get("ground_truth")), completed[0])
    if len(completed) > 1:
        warn("extra-annotation", f"imported annotation {chosen.get('id')} (ground truth, else first); "
             f"{len(completed) - 1} other completed annotation(s) not imported",
             "mark the annotation to import as ground truth, or import the others as annotator versions")
    return chosen


def _text_key(data: dict, results: list[dict]) -> str | None:
    """The data field holding the text: the string field that most region texts agree with.

    Ties go to a field named like a result's ``to_name`` (the usual ``$text`` convention), then
    ``text``, then the longest string, so that a task without regions still finds its text.
    """
    candidates = [key for key, value in data.items() if isinstance(value, str)]
    if not candidates:
        return None
    values = [r.get("value") for r in results if r.get("type") == "labels" and isinstance(r.get("value"), dict)]
    named = {r.get("to_name") for r in results}

    def score(key: str) -> tuple[int, bool, bool, int]:
        text = data[key]
        agree = sum(1 for v in values if _offsets(v) and text[v["start"] : v["end"]] == v.get("text"))
        return agree, key in named, key == TEXT, len(text)

    return max(candidates, key=score)


def _doc_id(task: dict, index: int) -> str:
    for holder in (task.get("data"), task.get("meta")):
        if isinstance(holder, dict) and isinstance(holder.get("doc_id"), str) and holder["doc_id"]:
            return holder["doc_id"]
    return f"labelstudio-task-{task['id']}" if task.get("id") is not None else f"labelstudio-task-{index}"


def _date(data: dict) -> str | None:
    return data["date"] if isinstance(data.get("date"), str) else None


def _annotator(completed_by: object) -> str | None:
    """``completed_by`` is a user id in the default export and a user object in full exports."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        return email if isinstance(email, str) and email else _annotator(completed_by.get("id"))
    if isinstance(completed_by, bool) or completed_by is None:
        return None
    if isinstance(completed_by, int):
        return f"labelstudio-user-{completed_by}"
    return str(completed_by) or None


def _offsets(value: dict) -> tuple[int, int] | None:
    start, end = value.get("start"), value.get("end")
    if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) and not isinstance(end, bool):
        return start, end
    return None


@dataclass
class _Results:
    """One annotation's results by role. Per-region results share their region's id."""

    regions: list[dict] = field(default_factory=list)  # "labels" results
    attributes: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (region id, control) -> values
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)  # (region id, control) -> result type
    links: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (from, to, labels), direction applied
    other: Counter = field(default_factory=Counter)  # results of no known role, by "type control"

    @classmethod
    def sort(cls, results: list[dict], index: int) -> _Results:
        sorted_results = cls()
        for number, result in enumerate(results, start=1):
            kind, value = result.get("type"), result.get("value") if isinstance(result.get("value"), dict) else {}
            if "id" not in result and kind != "relation":
                result = {**result, "id": f"task{index}-result{number}"}  # hand-made files may omit ids
            if kind == "labels":
                sorted_results.regions.append(result)
            elif kind in ("choices", "textarea"):
                values = value.get("choices" if kind == "choices" else "text") or []
                key = (str(result["id"]), str(result.get("from_name")))
                sorted_results.attributes[key] = [str(v) for v in values] if isinstance(values, list) else [str(values)]
                sorted_results.kinds[key] = kind
            elif kind == "relation":
                sorted_results.add_link(result)
            else:
                sorted_results.other[f"{kind} {result.get('from_name')}"] += 1
        return sorted_results

    def add_link(self, relation: dict) -> None:
        source, target = relation.get("from_id"), relation.get("to_id")
        if source is None or target is None:
            self.other["relation without from_id/to_id"] += 1
            return
        source, target = str(source), str(target)
        if relation.get("direction") == "left":  # the arrow was flipped in the editor
            source, target = target, source
        labels = relation.get("labels") if isinstance(relation.get("labels"), list) else []
        self.links.append((source, target, [str(label) for label in labels]))

    def values(self, region: str, control: str) -> list[str]:
        return self.attributes.get((region, control), [])

    def first(self, region: str, control: str) -> str | None:
        return next((v.strip() for v in self.values(region, control) if v.strip()), None)


def _region_spans(results: _Results, task: dict, index: int, path: str,
                  log: FindingLog) -> tuple[tuple[ToolSpan, ...], tuple[ToolSpan, ...]]:
    """Mention spans (with metonymy, entity id and name, QID and inferred parents) and stance regions, in file order.

    A region with several labels gives one span per label (ids ``<id>``, ``<id>#2``, …).
    """
    mentions, evidence = [], []
    for result in results.regions:
        value = result.get("value") if isinstance(result.get("value"), dict) else {}
        offsets, rid = _offsets(value), str(result["id"])
        if offsets is None:
            log.add(Finding("import.labelstudio.offsets", f"{_task_name(task, index)}: region {rid} has no character "
                            "offsets (value.start/end) and is not imported", path, index,
                            hint="label a Text object tag; HTML regions use XPath offsets"))
            continue
        stored = value.get("text") if isinstance(value.get("text"), str) else None
        labels = [str(label) for label in value.get("labels") or []]
        if result.get("from_name") == STANCE_CONTROL and labels and set(labels) <= {STANCE, EVIDENCE}:
            evidence.append(ToolSpan(rid, *offsets, labels[0], stored, index))
            continue
        if not labels:
            results.other["labels result without a label"] += 1
        for number, label in enumerate(labels, start=1):
            mentions.append(ToolSpan(rid if number == 1 else f"{rid}#{number}", *offsets, label, stored, index,
                                     METONYMIC in results.values(rid, METONYMY), results.first(rid, QID),
                                     results.first(rid, ENTITY), entity_name=results.first(rid, ENTITY_NAME)))
    return _with_parents(mentions), tuple(evidence)


def _with_parents(spans: list[ToolSpan]) -> tuple[ToolSpan, ...]:
    """Each span's parent: the smallest other span that contains it (guidelines: contained means nested)."""
    result = []
    for span in spans:
        containers = [s for s in spans
                      if s.start <= span.start and span.end <= s.end and (s.start, s.end) != (span.start, span.end)]
        parent = min(containers, key=lambda s: (s.end - s.start, s.start), default=None)
        result.append(replace(span, parent=parent.id) if parent else span)
    return tuple(result)


def _link_role(source: str, target: str, mention_ids: set[str], regions: dict[str, ToolSpan]) -> str | None:
    """What a relation means, read from the kinds of regions it joins; None when our scheme has no such relation."""

    def kind(rid: str) -> str | None:
        return "mention" if rid in mention_ids else regions[rid].label if rid in regions else None

    roles = {("mention", STANCE): HOLDER_RELATION, (STANCE, "mention"): TARGET_RELATION,
             (STANCE, EVIDENCE): EVIDENCE_RELATION, (EVIDENCE, STANCE): EVIDENCE_RELATION, ("mention", "mention"): "mention"}
    return roles.get((kind(source), kind(target)))


def _stances(results: _Results, mentions: tuple[ToolSpan, ...], evidence: tuple[ToolSpan, ...], name: str,
             path: str, index: int, log: FindingLog) -> list[ToolStance]:
    """One stance per holder of each STANCE region; an unresolved part is left empty for the conversion to report.

    Its evidence is the STANCE region and its EVIDENCE regions, in text order. A scope
    outside our scheme cannot be mapped: the STANCE region is reported as an error and skipped.
    """
    mention_ids, regions = {span.id for span in mentions}, {span.id: span for span in evidence}
    holders, targets, extra = defaultdict(list), {}, defaultdict(list)
    for source, target, _ in results.links:
        role = _link_role(source, target, mention_ids, regions)
        if role == HOLDER_RELATION:
            holders[target].append(source)
        elif role == TARGET_RELATION:
            targets.setdefault(source, target)
        elif role == EVIDENCE_RELATION:
            owner, other = (source, target) if regions[source].label == STANCE else (target, source)
            extra[owner].append(other)
    stances = []
    for rid, region in regions.items():
        if region.label != STANCE:
            continue
        scope = (results.values(rid, SCOPE) or ["sentence"])[0]
        if scope not in SCOPES:
            log.add(Finding("import.labelstudio.scope", f"{name}: STANCE region {rid} has scope {scope!r}, not one of "
                            f"{', '.join(SCOPES)}; stance not imported", path, index,
                            hint="choose one of our scopes (the exported label_config.xml lists them)"))
            continue
        topic = results.first(rid, TOPIC)
        spans = sorted([region, *(regions[e] for e in extra[rid])], key=lambda s: (s.start, s.end))
        who = holders[rid] + ([AUTHOR] if AUTHOR in results.values(rid, AUTHOR_CHOICE) else [])
        for number, holder in enumerate(who or [""], start=1):
            stances.append(ToolStance(rid if number == 1 else f"{rid}#{number}", holder, topic or targets.get(rid, ""),
                                      (results.values(rid, POLARITY) or [""])[0], tuple(s.id for s in spans),
                                      topic is not None, scope, REPORTED in results.values(rid, REPORTED), index))
    return stances


def _relation_stances(results: _Results, mentions: tuple[ToolSpan, ...], evidence: tuple[ToolSpan, ...],
                      index: int) -> list[ToolStance]:
    """Mention → mention relations, one stance per label: the label is the polarity, to be mapped."""
    mention_ids, regions = {span.id for span in mentions}, {span.id: span for span in evidence}
    return [ToolStance(f"{source}>{target}:{label}", source, target, label, line=index)
            for source, target, labels in results.links if _link_role(source, target, mention_ids, regions) == "mention"
            for label in labels]


def _report_ignored(results: _Results, mentions: tuple[ToolSpan, ...], evidence: tuple[ToolSpan, ...], name: str,
                    path: str, index: int, log: FindingLog) -> None:
    """One warning listing, per control, the results that our scheme has no place for."""
    mention_ids, regions = {s.id for s in mentions}, {s.id: s for s in evidence}
    stance_ids = {rid for rid, span in regions.items() if span.label == STANCE}
    ignored, linked = Counter(results.other), set()
    for (rid, control), kind in results.kinds.items():
        used = (rid in mention_ids and control in MENTION_ATTRIBUTES) or (rid in stance_ids and control in STANCE_ATTRIBUTES)
        ignored[f"{kind} {control}"] += not used
    for source, target, labels in results.links:
        role = _link_role(source, target, mention_ids, regions)
        if role is None or (role == "mention" and not labels):
            ignored["relation " + ("without a label" if role else "between regions our scheme does not relate")] += 1
        linked.update((source, target) if role else ())
    ignored["EVIDENCE region related to no STANCE region"] += sum(
        1 for span in evidence if span.label == EVIDENCE and span.id not in linked)
    ignored = +ignored  # drop the zero counts
    if ignored:
        listed = ", ".join(f"{what} ×{count}" for what, count in sorted(ignored.items()))
        log.add(Finding("import.labelstudio.ignored", f"{name}: {sum(ignored.values())} result(s) outside our scheme "
                        f"not imported: {listed}", path, index, severity="warning",
                        hint="they describe regions in the other project's terms; map its region labels instead"))


# --- writing ---------------------------------------------------------------------------------


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
        from chronique.preannotate import load_ner_model, model_annotator  # spaCy is only loaded when asked for

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
    from chronique.preannotate import LABEL_TYPES

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


_COLOURS = {"PER": "#e6194b", "ORG": "#3cb44b", "GPE": "#4363d8", "LOC": "#f58231", "FAC": "#911eb4",
            "NORP": "#46f0f0", "EVENT": "#f032e6", "MISC": "#bcf60c", "DATE": "#9a6324"}


def label_config() -> str:
    """The labelling config of our scheme (see the module docstring), as XML text."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$title")
    mentions = ET.SubElement(view, "Labels", name=MENTION_CONTROL, toName=TEXT, showInline="true")
    for fine_type in FINE_TYPES:
        ET.SubElement(mentions, "Label", value=fine_type, background=_COLOURS.get(fine_type, "#808080"))
    stances = ET.SubElement(view, "Labels", name=STANCE_CONTROL, toName=TEXT, showInline="true")
    ET.SubElement(stances, "Label", value=STANCE, background="#ffe119")
    ET.SubElement(stances, "Label", value=EVIDENCE, background="#fffac8")
    ET.SubElement(view, "Text", name=TEXT, value=f"${TEXT}", saveTextResult="yes")
    relations = ET.SubElement(view, "Relations")
    for label in (HOLDER_RELATION, TARGET_RELATION, EVIDENCE_RELATION):
        ET.SubElement(relations, "Relation", value=label)
    _mention_panel(view)
    _stance_panel(view)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def _choices(parent: ET.Element, name: str, values: Iterable[str], choice: str, **extra: str) -> None:
    element = ET.SubElement(parent, "Choices", name=name, toName=TEXT, perRegion="true", choice=choice, **extra)
    for value in values:
        ET.SubElement(element, "Choice", value=value)


def _text_area(parent: ET.Element, name: str, placeholder: str) -> None:
    ET.SubElement(parent, "TextArea", name=name, toName=TEXT, perRegion="true", maxSubmissions="1", editable="true",
                  placeholder=placeholder)


def _mention_panel(view: ET.Element) -> None:
    panel = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=",".join(FINE_TYPES))
    ET.SubElement(panel, "Header", value="Mention: metonymy, entity id (same id = same entity), entity name, "
                                         "Wikidata QID")
    _choices(panel, METONYMY, [METONYMIC], "multiple")
    _text_area(panel, ENTITY, "entity id, e.g. e4")
    _text_area(panel, ENTITY_NAME, "entity name, e.g. Vladimir Poutine")
    _text_area(panel, QID, "Wikidata QID, e.g. Q142")


def _stance_panel(view: ET.Element) -> None:
    panel = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=STANCE)
    ET.SubElement(panel, "Header", value="Stance: relate holder mention → STANCE (or choose AUTHOR), STANCE → target "
                                         "mention (or write a topic), STANCE → each further EVIDENCE span")
    _choices(panel, POLARITY, POLARITIES, "single-radio", required="true")
    _choices(panel, AUTHOR_CHOICE, [AUTHOR], "multiple")
    _choices(panel, SCOPE, SCOPES, "single-radio")
    _choices(panel, REPORTED, [REPORTED], "multiple")
    _text_area(panel, TOPIC, "topic, when the target is not an entity")
