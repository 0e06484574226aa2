"""Label Studio: read its JSON export.

How our scheme is drawn in Label Studio (regions, per-region choices and text areas,
relations) is described in :mod:`chronique.interop.labelstudio_config`.

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
records, which :func:`~chronique.interop.convert.to_annotation` converts as for every other
format (``chronique import labelstudio``). A stance is kept only when its polarity maps,
its holder and target resolve to imported mentions (or AUTHOR, or a topic) and every
evidence span is placed; otherwise it is counted and reported there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.store.jsonfiles import JsonFileError, read_json_file, type_name
from chronique.interop.base import ToolDocument, ToolSpan, ToolStance
from chronique.interop.labelstudio_config import (
    AUTHOR,
    AUTHOR_CHOICE,
    ENTITY,
    ENTITY_NAME,
    EVIDENCE,
    EVIDENCE_RELATION,
    HOLDER_RELATION,
    MENTION_ATTRIBUTES,
    METONYMIC,
    METONYMY,
    POLARITY,
    QID,
    REPORTED,
    SCOPE,
    STANCE,
    STANCE_ATTRIBUTES,
    STANCE_CONTROL,
    TARGET_RELATION,
    TEXT,
    TOPIC,
)
from chronique.interop.nesting import with_parents
from chronique.schema import SCOPES


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
    """The tasks of the export (a list, or one task object), read with the guarded JSON loader."""
    try:
        data = read_json_file(path, check="import.labelstudio.json", shown=shown, expect=(list, dict),
                              what="a list of tasks", hint="export the project from Label Studio as JSON")
    except JsonFileError as error:
        log.extend(error.findings)
        return []
    if isinstance(data, dict) and "data" in data:
        return [data]  # a single task, as the task API returns it
    if not isinstance(data, list):
        log.add(finding("import.labelstudio.json", f"expected a list of tasks, found {type_name(data)}",
                        shown, 1, hint="export the project from Label Studio as JSON (not JSON-MIN or CSV)"))
        return []
    return data


def _listed(value: object) -> list:
    """``value`` when the export has a list there, else no items: a hand-edited export may hold anything."""
    return value if isinstance(value, list) else []


def _task_name(task: dict, index: int) -> str:
    return f"task {task['id']}" if task.get("id") is not None else f"task #{index}"


def _task_document(task: object, index: int, path: str, log: FindingLog) -> ToolDocument | None:
    """The document of one task, or None (with a finding) when it has no usable annotation or text."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        log.add(finding("import.labelstudio.task", f"task #{index} has no 'data' object", path, index,
                        hint="each task needs the data it was annotated on"))
        return None
    annotation = _chosen_annotation(task, index, path, log)
    if annotation is None:
        return None
    if annotation.get("result") is not None and not isinstance(annotation["result"], list):
        log.add(finding("import.labelstudio.task", f"{_task_name(task, index)}: the annotation's 'result' is "
                        f"{type_name(annotation['result'])}, not a list of results; task not imported", path, index,
                        hint="export the project from Label Studio again"))
        return None
    results = [r for r in annotation.get("result") or [] if isinstance(r, dict)]
    key = _text_key(task["data"], results)
    if key is None:
        log.add(finding("import.labelstudio.text", f"{_task_name(task, index)}: no text field in 'data'", path, index,
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
    if task.get("annotations") is not None and not isinstance(task["annotations"], list):
        log.add(finding("import.labelstudio.task", f"{name}: 'annotations' is {type_name(task['annotations'])}, not a "
                        "list; task not imported", path, index, hint="export the project from Label Studio again"))
        return None
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
    cancelled = [a for a in annotations if a.get("was_cancelled")]
    completed = [a for a in annotations if not a.get("was_cancelled")]

    def warn(check: str, message: str, hint: str) -> None:
        log.add(finding(f"import.labelstudio.{check}", f"{name}: {message}", path, index, hint=hint))

    if cancelled:
        warn("cancelled", f"{len(cancelled)} skipped (cancelled) annotation(s) not imported", "a skip has no labels")
    if _listed(task.get("drafts")):
        warn("draft", f"{len(task['drafts'])} draft(s) not imported", "submit the draft in Label Studio to import it")
    if not completed:
        predictions = len(_listed(task.get("predictions")))
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
    named = {r.get("to_name") for r in results if isinstance(r.get("to_name"), str)}

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
            log.add(finding("import.labelstudio.offsets", f"{_task_name(task, index)}: region {rid} has no character "
                            "offsets (value.start/end) and is not imported", path, index,
                            hint="label a Text object tag; HTML regions use XPath offsets"))
            continue
        stored = value.get("text") if isinstance(value.get("text"), str) else None
        labels = [str(label) for label in _listed(value.get("labels"))]
        if result.get("from_name") == STANCE_CONTROL and labels and set(labels) <= {STANCE, EVIDENCE}:
            evidence.append(ToolSpan(rid, *offsets, labels[0], stored, index))
            continue
        if not labels:
            results.other["labels result without a label"] += 1
        for number, label in enumerate(labels, start=1):
            mentions.append(ToolSpan(rid if number == 1 else f"{rid}#{number}", *offsets, label, stored, index,
                                     METONYMIC in results.values(rid, METONYMY), results.first(rid, QID),
                                     results.first(rid, ENTITY), entity_name=results.first(rid, ENTITY_NAME)))
    return with_parents(mentions), tuple(evidence)


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
            log.add(finding("import.labelstudio.scope", f"{name}: STANCE region {rid} has scope {scope!r}, not one of "
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
        log.add(finding("import.labelstudio.ignored", f"{name}: {sum(ignored.values())} result(s) outside our scheme "
                        f"not imported: {listed}", path, index,
                        hint="they describe regions in the other project's terms; map its region labels instead"))
