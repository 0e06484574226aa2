"""MLCommons Croissant 1.1 metadata (``croissant.json``) for a release folder.

Everything comes from the release's ``manifest.json`` and :data:`chronique.schema.FEATURES`
(no clock, no walk of the folder), so a release always gets the same bytes. ``datePublished``
(and the citation's year) is the manifest's ``released`` date when it has one, else absent,
which leaves mlcroissant one warning: the property is recommended.

Structure, chosen for what mlcroissant 1.1.1 validates and reads:

- ``distribution``: one ``cr:FileObject`` per Parquet shard, ``@id`` and ``contentUrl`` its
  path relative to the release folder, with the manifest's SHA-256 and size. A ``cr:FileSet``
  per config would list no files but cannot carry checksums.
- ``recordSet``: one per config and split, ``@id`` ``<config>/<split>`` (``ner/train``), each
  reading its one shard; its fields are ``<config>/<split>/<column>``. A record set cannot
  read several FileObjects without a join, so one record set per config with a split field
  would have meant giving up the per-file checksums.
- one ``sc:Enumeration`` record set per ``ClassLabel`` column, ``labels/<config>/<column>``,
  holding ``index`` → ``label`` inline (``cr:data``).

Columns, from the ``datasets`` features:

- ``Value``: string → ``sc:Text`` (mlcroissant yields bytes), integers of any width →
  ``sc:Integer``, bool → ``sc:Boolean``, floats → ``sc:Float``; nulls come back as ``None``.
  ``date`` stays ``sc:Text``: it keeps the source's precision (``2020-11``), which ``sc:Date``
  cannot hold.
- ``ClassLabel`` → ``sc:Integer``, the stored index, with the names in the description and in
  the enumeration record set. Croissant has no transform from an index to a name.
- ``List`` of scalars → a field with ``isArray``.
- a struct (``provenance``) → a field whose ``subField`` s read the same column through a
  ``jsonPath`` transform; a ``List`` of structs (``paragraphs``, ``mentions``, ``stances`` …)
  → the same with ``isArray``, and mlcroissant yields a list of dicts.
- a struct or list of structs inside a struct or list of structs is left out, and its parent's
  description says so: mlcroissant 1.1.1 reads one level of nesting only (a ``jsonPath``
  transform keeps its first match, and deeper records are yielded at the top of the record).
  In this schema that is only the ``evidence`` of ``documents.stances``; the same quotes are
  the ``evidence`` of the ``stance`` record sets, whose ``id`` is ``<doc_id>-<stance id>``.
"""

from __future__ import annotations

import json
from pathlib import Path

from datasets import ClassLabel, LargeList, List, Value

from chronique.release.card import merged
from chronique.release.citation import bibtex
from chronique.errors import InputError
from chronique.release.licensing import ANNOTATION_LICENSE, LICENCES
from chronique.release.manifest import Manifest, read_manifest
from chronique.release.writer import listed_shards, shard_path, shard_pattern
from chronique.schema import CONFIGS, FEATURES
from chronique.store.splits import SPLITS

CROISSANT_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET = "application/x-parquet"

# The Croissant 1.1 @context, as mlcroissant 1.1.1 expects it.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_DATA_TYPES = {
    "string": "sc:Text",
    "large_string": "sc:Text",
    "bool": "sc:Boolean",
    **{f"{sign}int{bits}": "sc:Integer" for sign in ("", "u") for bits in (8, 16, 32, 64)},
    **{f"float{bits}": "sc:Float" for bits in (16, 32, 64)},
}
_ROW_UNIT = {"documents": "article", "ner": "sentence", "stance": "stance record"}
_KEY_COLUMN = {"documents": "doc_id", "ner": "id", "stance": "id"}
_ELSEWHERE = {
    ("documents", "stances", "evidence"): "the same quotes are the `evidence` of the `stance` record sets, "
                                          "whose `id` is `<doc_id>-<stance id>`",
}


def croissant_metadata(folder: Path) -> dict:
    """The Croissant JSON-LD of the release in ``folder``, from its manifest and the declared schema."""
    manifest = read_manifest(folder)
    version, rows, published, citation = manifest.version, manifest.rows, manifest.released, manifest.citation
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest.name,
        "description": _description(manifest),
        "conformsTo": CONFORMS_TO,
        "citeAs": bibtex(citation, version, published),
        "creator": [{"@type": "sc:Organization", "name": name} for name in citation.authors],
        **({"datePublished": published} if published else {}),
        "inLanguage": "fr",
        "keywords": ["French", "news", "named-entity recognition", "stance detection", "nested entities"],
        "license": _licences(manifest),
        **({"url": citation.url} if citation.url else {}),
        "version": version,
        "distribution": [entry for config, split in _shards(rows) for entry in _distribution(manifest, config, split)],
        "recordSet": [_record_set(config, split, rows[config][split], _source(manifest, config, split))
                      for config, split in _shards(rows)]
        + [_label_set(config, column, names) for config in CONFIGS if config in rows
           for column, names in _class_labels(FEATURES[config])],
    }


def write_croissant(folder: Path) -> Path:
    """Write ``folder/croissant.json`` (indent 2, keys in a fixed order, trailing newline) and return its path."""
    path = folder / CROISSANT_NAME
    text = json.dumps(croissant_metadata(folder), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


# --- dataset level ---------------------------------------------------------------------


def _shards(rows: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """(config, split) of every shard, in the declared order of configs and splits."""
    return [(config, split) for config in CONFIGS for split in SPLITS if split in rows.get(config, {})]


def _description(manifest: Manifest) -> str:
    rows = manifest.rows
    counts = ", ".join(f"{config}/{split} {rows[config][split]}" for config, split in _shards(rows))
    sizes = "; ".join(
        f"{split}: {s['documents']} documents, {s['sentences']} sentences, {s['tokens']} tokens, "
        f"{s['entities']} entities"
        for split, s in manifest.statistics.items()
    )
    return (
        f"Release {manifest.version} of Chronique, French news articles with gold-standard named-entity "
        "(fine and CoNLL-style coarse types, nesting, metonymy, entity clusters) and stance annotations. "
        "Configs: documents (one row per article), ner (one row per sentence, IOB2 tags) and stance (one row "
        "per stance record). Offsets are Unicode code points into the normalised text, half-open [start, end). "
        f"Rows: {counts}. {sizes}. Annotations are CC BY 4.0; each text keeps its own licence, in its `license` "
        f"field (see `license`). Content fingerprint (schema {manifest.schema_version}): {manifest.fingerprint}."
    )


def _licences(manifest: Manifest) -> list[str]:
    """What each licence covers: the annotations' licence, then each text licence with its document count.

    A known licence is given by its URL; ``unknown`` and unlisted licences are said in words, never
    as an open licence."""
    texts = merged(manifest.statistics, "licenses")
    stated = [f"{LICENCES[ANNOTATION_LICENSE].url} (annotations)"]
    for licence, count in sorted(texts.items()):
        where = LICENCES[licence].url if licence in LICENCES else f"licence {licence}, not redistributable"
        stated.append(f"{where} (text of {count} document{'s' if count != 1 else ''})")
    return stated


def _shard_files(manifest: Manifest, config: str, split: str) -> list[str]:
    paths = listed_shards(manifest.files, config, split)
    if not paths:
        raise InputError(f"manifest.json counts rows of {config}/{split} but has no checksum for "
                         f"{shard_path(config, split)}; rebuild the release or refresh its manifest")
    return paths


def _distribution(manifest: Manifest, config: str, split: str) -> list[dict]:
    """A file object per shard (with its checksum) and, when a split has several shards, the file set of them all."""
    paths = _shard_files(manifest, config, split)
    objects = []
    for index, path in enumerate(paths):
        entry = manifest.files[path]
        part = f", shard {index + 1} of {len(paths)}" if len(paths) > 1 else ""
        objects.append({
            "@type": "cr:FileObject",
            "@id": path,
            "name": path,
            "description": f"Config {config}, split {split}{part}.",
            "contentUrl": path,
            "contentSize": f"{entry.bytes} B",
            "encodingFormat": PARQUET,
            "sha256": entry.sha256,
        })
    if len(paths) > 1:
        pattern = shard_pattern(config, split)
        objects.append({"@type": "cr:FileSet", "@id": pattern, "name": pattern,
                        "description": f"Config {config}, split {split}: its {len(paths)} shards, in row order.",
                        "encodingFormat": PARQUET, "includes": pattern})
    return objects


def _source(manifest: Manifest, config: str, split: str) -> dict:
    """Where a record set's rows come from: the split's one file, or the file set of its shards."""
    paths = _shard_files(manifest, config, split)
    return {"fileObject": {"@id": paths[0]}} if len(paths) == 1 else {"fileSet": {"@id": shard_pattern(config, split)}}


# --- record sets ----------------------------------------------------------------------


def _record_set(config: str, split: str, count: int, source: dict) -> dict:
    set_id = f"{config}/{split}"
    fields = [
        _field(config, f"{set_id}/{column}", (column,), feature, {**source, "extract": {"column": column}})
        for column, feature in FEATURES[config].items()
    ]
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": set_id,
        "description": f"Config {config}, split {split}: {count} row{'' if count == 1 else 's'}, "
                       f"one per {_ROW_UNIT.get(config, 'row')}.",
        "key": {"@id": f"{set_id}/{_KEY_COLUMN[config]}"},
        "field": fields,
    }


def _field(config: str, field_id: str, path: tuple[str, ...], feature, source: dict) -> dict:
    """The ``cr:Field`` of ``feature`` at ``path`` (a column, then a struct member), read from ``source``."""
    field = {"@type": "cr:Field", "@id": field_id, "name": path[-1]}
    inner = feature
    if isinstance(feature, (List, LargeList)):
        field["isArray"] = True
        inner = feature.feature
    if isinstance(inner, dict):
        return {**field, **_struct(config, field_id, path, inner, source)}
    if isinstance(inner, (List, LargeList)):
        raise TypeError(f"{config}.{'.'.join(path)}: no Croissant field for a list of lists; add one in croissant.py")
    field["dataType"] = _data_type(config, path, inner)
    if isinstance(inner, ClassLabel):
        names = f"Label index (0-based) into {', '.join(inner.names)}"
        lister = f"; the record set labels/{config}/{path[0]} lists them" if len(path) == 1 else ""
        field["description"] = f"{names}{lister}."
    field["source"] = source
    return field


def _struct(config: str, field_id: str, path: tuple[str, ...], members: dict, source: dict) -> dict:
    """``subField`` s reading each member of a struct (or of every struct of a list) with a ``jsonPath``.

    Records nested in a member are left out: mlcroissant 1.1.1 would yield them flattened
    into the top of the record (or, inside a list, only the first one).
    """
    subfields, omitted = [], []
    for member, feature in members.items():
        if _holds_struct(feature):
            omitted.append(member)
            continue
        member_source = {**source, "transform": {"jsonPath": member}}
        subfields.append(_field(config, f"{field_id}/{member}", (*path, member), feature, member_source))
    described = {"description": " ".join(_omission(config, (*path, member)) for member in omitted)} if omitted else {}
    return {**described, "subField": subfields}


def _holds_struct(feature) -> bool:
    return isinstance(feature, dict) or (isinstance(feature, (List, LargeList)) and isinstance(feature.feature, dict))


def _omission(config: str, path: tuple[str, ...]) -> str:
    elsewhere = _ELSEWHERE.get((config, *path))
    return (f"`{path[-1]}` (nested records) is not described here: mlcroissant 1.1 cannot read records nested "
            f"two levels deep{'; ' + elsewhere if elsewhere else ''}.")


def _data_type(config: str, path: tuple[str, ...], feature) -> str:
    if isinstance(feature, ClassLabel):
        return "sc:Integer"
    if isinstance(feature, Value) and feature.dtype in _DATA_TYPES:
        return _DATA_TYPES[feature.dtype]
    raise TypeError(f"{config}.{'.'.join(path)}: no Croissant dataType for {feature!r}; add it to _DATA_TYPES")


def _class_labels(features) -> list[tuple[str, list[str]]]:
    """(column, names) of every column that is a ClassLabel or a list of ClassLabels."""
    labels = []
    for column, feature in features.items():
        inner = feature.feature if isinstance(feature, (List, LargeList)) else feature
        if isinstance(inner, ClassLabel):
            labels.append((column, list(inner.names)))
    return labels


def _label_set(config: str, column: str, names: list[str]) -> dict:
    set_id = f"labels/{config}/{column}"
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": set_id,
        "description": f"The names of the {config} `{column}` labels, by index.",
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{set_id}/index"},
        "field": [
            {"@type": "cr:Field", "@id": f"{set_id}/index", "name": "index", "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": f"{set_id}/label", "name": "label", "dataType": "sc:Text"},
        ],
        "data": [{f"{set_id}/index": index, f"{set_id}/label": name} for index, name in enumerate(names)],
    }
