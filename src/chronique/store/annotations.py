"""Annotation files: ``annotations/<doc_id>.json``, read into records and written back.

Files are validated against the JSON Schema shipped in ``chronique/schemas``.
They are written with keys in a fixed order and one list item per line, so that
a reviewer reads a diff item by item.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import jsonschema

from chronique.checks.catalogue import finding
from chronique.errors import FindingLog
from chronique.store.raw_files import display_path
from chronique.store.readers import check_bytes, load_json
from chronique.store.records import Annotation, AnnotationProvenance, Entity, Mention, Quote, Stance

ANNOTATION_SCHEMA_VERSION = "1.0"
GUIDELINES_VERSION = "1.2"
"""The version of ANNOTATION_GUIDELINES.md that files made today follow (its header states the same)."""
QUOTE_CONTEXT = 32
_TOP_KEYS = ("schema_version", "doc_id", "text_sha256", "provenance", "mentions", "entities", "stances")


@lru_cache(maxsize=None)
def annotation_schema() -> dict:
    text = resources.files("chronique").joinpath(f"schemas/annotation-{ANNOTATION_SCHEMA_VERSION}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator() -> jsonschema.Draft7Validator:
    """The reference validator: slow, but its errors say where and what."""
    return jsonschema.Draft7Validator(annotation_schema())


@lru_cache(maxsize=None)
def _native():
    """The schema compiled by jsonschema-rs (Rust): the fast path for valid files."""
    import jsonschema_rs

    return jsonschema_rs.Draft7Validator(annotation_schema())


@lru_cache(maxsize=None)
def _compiled():
    """The schema compiled to Python by fastjsonschema, whose verdict the build has always followed: asked
    when the native check refuses a file, so that a stricter native reading can never refuse a valid one."""
    import fastjsonschema

    return fastjsonschema.compile(annotation_schema())


def schema_errors(record: object) -> list[jsonschema.ValidationError]:
    """Schema violations of a parsed annotation file. The native check answers for valid files; a file it
    refuses goes to the compiled Python check and then to the reference validator, which explains. All
    three read the shipped schema; ``tests/test_annotations.py`` holds that the native check never accepts
    a file the compiled one refuses, so the verdict is the compiled check's."""
    import fastjsonschema

    if _native().is_valid(record):
        return []
    try:
        _compiled()(record)
        return []
    except fastjsonschema.JsonSchemaException:
        errors = list(_validator().iter_errors(record))
        return errors or [jsonschema.ValidationError("rejected by the compiled schema check")]


def quote(text: str, start: int, end: int) -> Quote:
    """The anchored quote of ``text[start:end]``, with up to 32 characters of context each side."""
    return Quote(start, end, text[start:end], text[max(0, start - QUOTE_CONTEXT) : start], text[end : end + QUOTE_CONTEXT])


def _line_of_item(raw: str, path: list) -> int:
    """Line of the item at a JSON path, relying on the one-item-per-line layout (1 when unknown)."""
    lines = raw.split("\n")
    if path and isinstance(path[0], str):
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith(f'"{path[0]}"'):
                if len(path) > 1 and isinstance(path[1], int) and line.rstrip().endswith("["):
                    return min(number + 1 + path[1], len(lines))
                return number
    return 1


MAX_ANNOTATION_BYTES = 20 * 1024 * 1024

# Schema failures on these fields are annotation-rule problems (level 3), not file-format ones.
_SCHEMA_RULES = {"type": "L3.type.unknown", "polarity": "L3.stance.polarity", "qid": "L3.entity.qid"}


def schema_check_id(error: jsonschema.ValidationError) -> str:
    """The check id of a schema failure: a rule id for label sets and QIDs, else ``L1.annotation.schema``."""
    path = list(error.absolute_path)
    if path and path[-1] in _SCHEMA_RULES and path[0] in ("mentions", "entities", "stances"):
        return _SCHEMA_RULES[path[-1]]
    return "L1.annotation.schema"


def read_annotation(path: Path, *, root: Path, log: FindingLog) -> Annotation | None:
    """Read and schema-check one annotation file; log located findings and return None when invalid."""
    shown = display_path(path, root)
    size = path.stat().st_size
    if size > MAX_ANNOTATION_BYTES:
        log.add(finding("L1.annotation.size", f"file is {size:,} bytes, over the {MAX_ANNOTATION_BYTES:,}-byte limit",
                        shown, 1, hint="an annotation file holds one document"))
        return None
    data = path.read_bytes()
    problem = check_bytes(data, shown, kind="annotation")
    if problem:
        log.add(problem)
        return None
    raw = data.decode("utf-8")
    record = load_json(raw, shown, log, kind="annotation")
    if record is None:
        return None
    errors = sorted(schema_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        log.add(finding(schema_check_id(error), f"{where}: {error.message}", shown, _line_of_item(raw, list(error.absolute_path)), 1,
                        hint=f"see the annotation schema {ANNOTATION_SCHEMA_VERSION} shipped in chronique/schemas"))
    if errors:
        return None
    return annotation_from_dict(record, shown)


def _quote_from(item: dict) -> Quote:
    return Quote(item["start"], item["end"], item["exact"], item["prefix"], item["suffix"])


def annotation_from_dict(record: dict, path: str) -> Annotation:
    prov = record["provenance"]
    return Annotation(
        doc_id=record["doc_id"],
        text_sha256=record["text_sha256"],
        provenance=AnnotationProvenance(
            status=prov["status"], annotators=tuple(prov["annotators"]), guidelines_version=prov["guidelines_version"],
            tool=prov["tool"], date=prov["date"], note=prov.get("pass") or prov.get("note"),
        ),
        mentions=tuple(
            Mention(m["id"], _quote_from(m), m["type"], m["entity_id"], m["parent_id"], m["metonymic"]) for m in record["mentions"]
        ),
        entities=tuple(Entity(e["id"], e["name"], e["type"], e["qid"]) for e in record["entities"]),
        stances=tuple(
            Stance(s["id"], s["holder"], s["target"], s["target_kind"], s["polarity"],
                   tuple(_quote_from(q) for q in s["evidence"]), s["scope"], s["reported"])
            for s in record["stances"]
        ),
        path=path,
    )


def _quote_dict(q: Quote) -> dict:
    return {"start": q.start, "end": q.end, "exact": q.exact, "prefix": q.prefix, "suffix": q.suffix}


def annotation_to_dict(annotation: Annotation) -> dict:
    prov = annotation.provenance
    provenance = {"status": prov.status, "annotators": list(prov.annotators), "guidelines_version": prov.guidelines_version,
                  "tool": prov.tool, "date": prov.date}
    if prov.note:
        provenance["pass"] = prov.note
    return {
        "schema_version": ANNOTATION_SCHEMA_VERSION,
        "doc_id": annotation.doc_id,
        "text_sha256": annotation.text_sha256,
        "provenance": provenance,
        "mentions": [
            {"id": m.id, **_quote_dict(m.anchor), "type": m.type, "entity_id": m.entity_id, "parent_id": m.parent_id,
             "metonymic": m.metonymic}
            for m in annotation.mentions
        ],
        "entities": [{"id": e.id, "name": e.name, "type": e.type, "qid": e.qid} for e in annotation.entities],
        "stances": [
            {"id": s.id, "holder": s.holder, "target": s.target, "target_kind": s.target_kind, "polarity": s.polarity,
             "evidence": [_quote_dict(q) for q in s.evidence], "scope": s.scope, "reported": s.reported}
            for s in annotation.stances
        ],
    }


def dumps_annotation(record: dict) -> str:
    """Serialise an annotation dict: fixed key order, one list item per line, trailing newline."""
    out = ["{"]
    for index, key in enumerate(_TOP_KEYS):
        comma = "," if index < len(_TOP_KEYS) - 1 else ""
        value = record[key]
        if isinstance(value, list) and value:
            items = [f"    {json.dumps(item, ensure_ascii=False)}" for item in value]
            out.append(f'  "{key}": [\n' + ",\n".join(items) + f"\n  ]{comma}")
        else:
            out.append(f'  "{key}": {json.dumps(value, ensure_ascii=False)}{comma}')
    out.append("}")
    return "\n".join(out) + "\n"


def write_annotation(annotation: Annotation, path: Path) -> None:
    path.write_text(dumps_annotation(annotation_to_dict(annotation)), encoding="utf-8")


def iter_annotation_paths(folder: Path) -> Iterator[Path]:
    """Annotation files in sorted order (``*.json`` directly in ``folder``)."""
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))


def read_named_annotation(path: Path, *, root: Path, log: FindingLog) -> Annotation | None:
    """Read an annotation file that must annotate the document its name says (``L0.annotation.name``)."""
    annotation = read_annotation(path, root=root, log=log)
    if annotation is not None and annotation.doc_id != path.stem:
        log.add(finding("L0.annotation.name", f"file annotates {annotation.doc_id!r} but is named {path.name!r}",
                        annotation.path, _line_of_item(path.read_text("utf-8"), ["doc_id"]),
                        hint=f"rename it {annotation.doc_id}.json"))
        return None
    return annotation


def load_annotations(folder: Path, *, root: Path, log: FindingLog) -> dict[str, Annotation]:
    """Every valid annotation file by ``doc_id``. A file must be named after the document it annotates."""
    found: dict[str, Annotation] = {}
    for path in iter_annotation_paths(folder):
        if path.is_symlink():
            log.add(finding("L0.path.symlink", "symbolic links are not allowed in annotations/", display_path(path, root),
                            hint="copy the file instead of linking to it"))
            continue
        annotation = read_named_annotation(path, root=root, log=log)
        if annotation is not None:
            found[annotation.doc_id] = annotation
    return found
