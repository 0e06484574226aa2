"""The figures a manifest states, recomputed from the release's own data and card.

:func:`figure_findings` compares every field of ``manifest.json`` that is not a checksum
with what the release folder itself gives, so that editing the manifest by hand is
found even when its checksums still hold:

* ``name`` is ``chronique`` and ``version`` is the folder's name and the card's version;
* ``released`` is the date the card was written with;
* ``rows`` are the Parquet files' row counts, and ``documents`` the ``doc_id`` column of
  each ``documents`` split, in order;
* ``statistics`` are recounted from the ``documents`` and ``ner`` rows;
* ``arrow_bytes`` are the ``num_bytes`` the card declares to ``datasets``.

``manifest.sha256`` beside the manifest (``sha256sum`` format) covers the manifest as a
whole; :func:`manifest_digest_findings` checks it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from chronique.errors import Finding
from chronique.release.licensing import UNKNOWN, is_redistributable
from chronique.release.manifest import MANIFEST_DIGEST_NAME, MANIFEST_NAME, Manifest, file_sha256
from chronique.release.writer import release_shards
from chronique.checks.catalogue import finding

_CARD_RELEASE = re.compile(r"This folder is release \*\*(?P<version>[^*]+)\*\* \((?P<released>\d{4}-\d{2}-\d{2})\)")
_HINT = "restore the release from its source (a clean checkout or a rebuild); a release is never edited by hand"


def _mismatch(folder: Path, field: str, stated: object, found: object) -> Finding:
    return finding("verify.manifest-figure", f"manifest field {field!r} says {stated!r}, the release gives {found!r}",
                   str(folder / MANIFEST_NAME), hint=_HINT)


def _card(folder: Path) -> tuple[dict, str]:
    """The card's YAML front matter and its body ('' and {} when there is no readable card)."""
    path = folder / "README.md"
    try:
        text = path.read_text("utf-8")
        _, front, body = text.split("---\n", 2)
        return yaml.safe_load(front) or {}, body
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return {}, ""


def _split_stats(documents, tokens: int, sentences: int) -> dict:
    mentions, coarse, stances, scopes, statuses = Counter(), Counter(), Counter(), Counter(), Counter()
    licenses, origins, beats, genres, restricted = Counter(), Counter(), Counter(), Counter(), []
    entities = 0
    for row in documents:
        statuses[row["annotation_status"]] += 1
        licenses[row["license"] or UNKNOWN] += 1
        origins[row["origin"] or UNKNOWN] += 1
        beats[row["beat"] or UNKNOWN] += 1
        genres[row["genre"] or UNKNOWN] += 1
        if not is_redistributable(row["license"]):
            restricted.append({"doc_id": row["doc_id"], "license": row["license"] or UNKNOWN,
                               "origin": row["origin"] or UNKNOWN, "source": row["source"]})
        mentions.update(m["type"] for m in row["mentions"])
        coarse.update(m["coarse_type"] for m in row["mentions"] if m["parent_id"] is None and m["coarse_type"])
        entities += len(row["entities"])
        stances.update(s["polarity"] for s in row["stances"])
        scopes.update(s["scope"] for s in row["stances"])
    return {"documents": len(documents), "sentences": sentences, "tokens": tokens,
            "mentions": dict(sorted(mentions.items())), "coarse_mentions_outermost": dict(sorted(coarse.items())),
            "entities": entities, "stances": dict(sorted(stances.items())), "stance_scopes": dict(sorted(scopes.items())),
            "annotation_status": dict(sorted(statuses.items())), "licenses": dict(sorted(licenses.items())),
            "origins": dict(sorted(origins.items())), "beats": dict(sorted(beats.items())),
            "genres": dict(sorted(genres.items())), "restricted": sorted(restricted, key=lambda r: r["doc_id"])}


def _read(folder: Path, config: str, split: str, columns: list[str]) -> list[dict] | None:
    """The rows of a shard with ``columns``; a column an older schema does not have reads as None."""
    paths = release_shards(folder, config, split)
    if not paths:
        return None
    rows = []
    for path in paths:
        present = set(pq.read_schema(path).names)
        rows += pq.read_table(path, columns=[c for c in columns if c in present]).to_pylist()
    return [{**dict.fromkeys(columns), **row} for row in rows]


def recomputed(folder: Path, splits: list[str]) -> dict:
    """``rows``, ``documents`` and ``statistics`` as the Parquet files give them."""
    rows: dict[str, dict[str, int]] = {}
    for path in sorted((folder / "data").glob("*/*.parquet")):
        config, split = path.parent.name, path.name.split("-", 1)[0]
        counted = rows.setdefault(config, {})
        counted[split] = counted.get(split, 0) + pq.ParquetFile(path).metadata.num_rows
    documents, statistics = {}, {}
    for split in splits:
        docs = _read(folder, "documents", split, ["doc_id", "annotation_status", "mentions", "entities", "stances",
                                                     "sentences", "license", "origin", "beat", "genre", "source"]) or []
        ner = _read(folder, "ner", split, ["tokens"]) or []
        documents[split] = [d["doc_id"] for d in docs]
        statistics[split] = _split_stats(docs, sum(len(r["tokens"]) for r in ner), sum(len(d["sentences"]) for d in docs))
    return {"rows": rows, "documents": documents, "statistics": statistics}


def _card_bytes(front: dict) -> dict:
    found: dict[str, dict[str, int]] = {}
    for info in front.get("dataset_info") or []:
        for split in info.get("splits") or []:
            found.setdefault(info.get("config_name"), {})[split.get("name")] = split.get("num_bytes")
    return found


def figure_findings(folder: Path, manifest: Manifest) -> list[Finding]:
    """Every manifest figure that the data or the card contradicts."""
    findings = []
    front, body = _card(folder)
    stated_card = _CARD_RELEASE.search(body)
    card_version, card_released = (stated_card["version"], stated_card["released"]) if stated_card else (None, None)
    checks = [("name", manifest.name, "chronique"),
              ("version", manifest.version, folder.resolve().name),
              ("version", manifest.version, card_version),
              ("released", manifest.released, card_released),
              ("arrow_bytes", manifest.arrow_bytes, _card_bytes(front))]
    try:
        again = recomputed(folder, list(manifest.documents or manifest.statistics))
    except Exception as error:  # noqa: BLE001 - an unreadable shard is reported by the row checks
        again = None
    if again is not None:
        stated = manifest.statistics
        # a release states the figures of its own time: compare those (older manifests state fewer)
        recounted = {split: {key: again["statistics"].get(split, {}).get(key) for key in figures}
                     for split, figures in stated.items() if isinstance(figures, dict)}
        checks += [("rows", manifest.rows, again["rows"]),
                   ("documents", manifest.documents, {s: d for s, d in again["documents"].items() if d}),
                   ("statistics", stated, recounted if set(stated) == set(again["statistics"]) else again["statistics"])]
    for field, stated, found in checks:
        if stated != found:
            findings.append(_mismatch(folder, field, stated, found))
    return findings


def manifest_digest_findings(folder: Path) -> list[Finding]:
    """``manifest.sha256`` must hold the manifest's SHA-256; a release without one gets a warning."""
    sidecar = folder / MANIFEST_DIGEST_NAME
    if not sidecar.is_file():
        return [finding("verify.manifest-digest", f"no {MANIFEST_DIGEST_NAME}: edits to the manifest are found only "
                        "through the figures it states", str(sidecar), severity="warning")]
    try:
        stated = sidecar.read_text("utf-8").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        stated = ""
    found = file_sha256(folder / MANIFEST_NAME)
    if stated == found:
        return []
    return [finding("verify.manifest-digest", f"{MANIFEST_NAME} hashes to {found}, {MANIFEST_DIGEST_NAME} says "
                    f"{stated or '(nothing)'}", str(sidecar), hint=_HINT, severity="error")]
