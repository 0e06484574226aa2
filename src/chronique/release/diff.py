"""What changed between two releases, and the CHANGELOG entry that says so.

:func:`diff_releases` compares two release folders by their manifests and the rows of
their ``documents`` config (every split): documents added, removed, moved between
splits or whose text changed; mentions and stances added, removed and relabelled;
and the deltas of the manifest statistics. :meth:`ReleaseDiff.to_markdown` renders
that as a CHANGELOG entry (:mod:`chronique.release.changelog`, whose
:func:`~chronique.release.changelog.prepend_changelog` puts it into ``CHANGELOG.md``).

Versioning rules for the data (SemVer applied to a corpus):

* **major** — a user's code or trained model may break: the ``schema_version``
  differs, a label set (a ``ClassLabel``'s names) differs, or a config or column
  was removed;
* **minor** — something was added: documents, or an annotation layer (a config or
  a column);
* **patch** — everything else: corrections of annotations or texts, documents
  withdrawn;
* **none** — the releases are the same: the same rows (equal fingerprints), labels and
  layers, so that nothing is listed as changed.

:attr:`ReleaseDiff.suggested_bump` applies these rules. A document never changes
split once released, so :attr:`ReleaseDiff.split_moves` must be empty; it is
exposed so that the command line can refuse such a pair of releases.

Mentions are matched on their span and text (relabelled: same span, other type or
metonymy); stances on their holder, target and evidence spans (relabelled: other
polarity), holders and targets named as in the ``stance`` config. Annotations of
added and removed documents are counted in their document entry, not listed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from chronique.errors import Finding, InputError, UsageError
from chronique.release.manifest import MANIFEST_NAME, Manifest, ManifestError, read_manifest
from chronique.release.writer import release_shards, shard_path
from chronique.schema import AUTHOR
from chronique.store.splits import SPLITS
from chronique.checks.catalogue import finding

_DOCUMENT_COLUMNS = ["doc_id", "text_sha256", "mentions", "entities", "stances"]
_BATCH_ROWS = 256
T = TypeVar("T")

# --- records ------------------------------------------------------------------------

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document added or removed, with how many annotations it carries."""

    doc_id: str
    split: str
    mentions: int
    stances: int


@dataclass(frozen=True, slots=True)
class SplitMove:
    doc_id: str
    split_before: str
    split_after: str


@dataclass(frozen=True, slots=True)
class TextChange:
    doc_id: str
    split: str
    sha256_before: str
    sha256_after: str


@dataclass(frozen=True, slots=True)
class MentionEntry:
    doc_id: str
    start: int
    end: int
    text: str
    type: str
    metonymic: bool


@dataclass(frozen=True, slots=True)
class MentionRelabel:
    doc_id: str
    start: int
    end: int
    text: str
    type_before: str
    type_after: str
    metonymic_before: bool
    metonymic_after: bool


@dataclass(frozen=True, slots=True)
class StanceEntry:
    doc_id: str
    holder: str
    target: str
    evidence: tuple[Span, ...]
    polarity: str


@dataclass(frozen=True, slots=True)
class StanceRelabel:
    doc_id: str
    holder: str
    target: str
    evidence: tuple[Span, ...]
    polarity_before: str
    polarity_after: str


@dataclass(frozen=True, slots=True)
class StatDelta:
    """One statistic of one split: ``metric`` is ``documents``, ``mentions.PER``, ``stances.FAVOR``…"""

    split: str
    metric: str
    before: int
    after: int
    delta: int


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """Everything that changed from release ``version_before`` to release ``version_after``."""

    version_before: str
    version_after: str
    date_after: str | None
    schema_before: str
    schema_after: str
    labels_changed: tuple[str, ...]
    layers_added: tuple[str, ...]
    layers_removed: tuple[str, ...]
    documents_added: tuple[DocumentEntry, ...]
    documents_removed: tuple[DocumentEntry, ...]
    split_moves: tuple[SplitMove, ...]
    texts_changed: tuple[TextChange, ...]
    mentions_added: tuple[MentionEntry, ...]
    mentions_removed: tuple[MentionEntry, ...]
    mentions_relabelled: tuple[MentionRelabel, ...]
    stances_added: tuple[StanceEntry, ...]
    stances_removed: tuple[StanceEntry, ...]
    stances_relabelled: tuple[StanceRelabel, ...]
    statistics: tuple[StatDelta, ...]
    same_rows: bool = False
    """Whether both manifests state the same fingerprint of the logical rows."""

    @property
    def suggested_bump(self) -> str:
        """``major``, ``minor``, ``patch`` or ``none`` by the rules of the module docstring."""
        if self.schema_before != self.schema_after or self.labels_changed or self.layers_removed:
            return "major"
        if self.documents_added or self.layers_added:
            return "minor"
        return "none" if self.unchanged else "patch"

    @property
    def unchanged(self) -> bool:
        """True when the releases are the same: equal rows and nothing listed as changed."""
        listed = (self.labels_changed, self.layers_added, self.layers_removed, self.documents_added,
                  self.documents_removed, self.split_moves, self.texts_changed, self.mentions_added,
                  self.mentions_removed, self.mentions_relabelled, self.stances_added, self.stances_removed,
                  self.stances_relabelled)
        return (self.same_rows and self.schema_before == self.schema_after and not any(listed)
                and not any(d.delta for d in self.statistics))

    @property
    def bump_description(self) -> str:
        """The suggested bump as a CHANGELOG entry and the command line say it."""
        return "none: the releases are the same" if self.suggested_bump == "none" else self.suggested_bump

    def to_dict(self) -> dict:
        """A JSON-ready dict: every field, plus ``suggested_bump``."""
        return {**asdict(self), "suggested_bump": self.suggested_bump}

    def to_markdown(self, *, date: str | None = None, limit: int = 10) -> str:
        """A CHANGELOG entry; ``date`` overrides the manifest's, today's date is the fallback."""
        from chronique.release.changelog import render_entry  # the entry's wording lives with the CHANGELOG

        return render_entry(self, date=date, limit=limit)


# --- reading a release --------------------------------------------------------------

MentionKey = tuple[int, int, str, str, bool]  # start, end, text, type, metonymic
StanceKey = tuple[str, str, tuple[Span, ...], str]  # holder, target, evidence, polarity


@dataclass(frozen=True, slots=True)
class _Annotated:
    """What the comparison needs of one document: its split, text hash and annotations as multisets."""

    split: str
    text_sha256: str
    mentions: Counter[MentionKey]
    stances: Counter[StanceKey]


def one_line(error: BaseException) -> str:
    """An error's text on one printable line: decoder errors can quote the corrupt bytes."""
    text = " ".join(str(error).split())
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _unreadable(path: Path, error: BaseException) -> InputError:
    problem = finding("diff.unreadable", f"cannot read the release file: {one_line(error)}", str(path),
                      hint="run chronique verify on the release")
    return InputError(f"cannot compare releases: {path} is unreadable", [problem])


def _release_manifest(folder: Path) -> Manifest:
    """The manifest of ``folder``; :class:`UsageError` when it is not a release folder."""
    try:
        return read_manifest(folder)
    except ManifestError as error:
        if error.kind == "missing":
            raise UsageError(f"{folder} is not a release folder: it has no {MANIFEST_NAME}") from None
        if error.kind == "unreadable":
            raise _unreadable(error.path, error.cause) from error
        rows_unusable = error.fields() & {None, "rows"}
        reason = "no 'rows' object" if rows_unusable else "; ".join(problem.message for problem in error.problems)
        raise _unreadable(error.path, ValueError(reason)) from error


def _parquet_rows(path: Path, columns: list[str]) -> Iterator[dict]:
    """Rows of a Parquet file, a batch at a time; a corrupt file becomes :class:`InputError`."""
    try:
        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
                yield from batch.to_pylist()
    except (OSError, ValueError, pa.ArrowException) as error:
        raise _unreadable(path, error) from error


def _document_rows(folder: Path, manifest: Manifest) -> Iterator[tuple[str, dict]]:
    """``(split, row)`` for every row of the ``documents`` config, split by split."""
    splits = manifest.rows.get("documents", {})
    for split in [s for s in SPLITS if s in splits]:
        for path in release_shards(folder, "documents", split):
            for row in _parquet_rows(path, _DOCUMENT_COLUMNS):
                yield split, row


def _stance_key(stance: dict, names: dict[str, str]) -> StanceKey:
    """Holder and target named as in the ``stance`` config, evidence as spans, and the polarity."""
    holder = stance["holder"] if stance["holder"] == AUTHOR else names.get(stance["holder"], stance["holder"])
    target = names.get(stance["target"], stance["target"]) if stance["target_kind"] == "entity" else stance["target"]
    evidence = tuple((quote["start"], quote["end"]) for quote in stance["evidence"])
    return holder, target, evidence, stance["polarity"]


def _annotated(split: str, row: dict) -> _Annotated:
    names = {entity["id"]: entity["name"] for entity in row["entities"] or ()}
    mentions = Counter((m["start"], m["end"], m["text"], m["type"], bool(m["metonymic"])) for m in row["mentions"] or ())
    stances = Counter(_stance_key(s, names) for s in row["stances"] or ())
    return _Annotated(split, row["text_sha256"], mentions, stances)


def _class_names(feature: dict) -> list[str] | None:
    """The names of a ClassLabel feature, also inside a list feature; None for other features."""
    if feature.get("_type") == "ClassLabel":
        return feature.get("names")
    inner = feature.get("feature")
    return _class_names(inner) if isinstance(inner, dict) else None


def _layout(folder: Path, manifest: Manifest) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """Layers (``config`` and ``config.column``) and ClassLabel names, from one Parquet footer per config."""
    layers: set[str] = set()
    labels: dict[str, tuple[str, ...]] = {}
    for config, splits in sorted(manifest.rows.items()):
        split = next((s for s in SPLITS if s in splits), None)
        if split is None:
            continue
        path = next(iter(release_shards(folder, config, split)), folder / shard_path(config, split))
        try:
            schema = pq.read_schema(path)
            hf_metadata = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))
        except (OSError, ValueError, pa.ArrowException) as error:
            raise _unreadable(path, error) from error
        layers |= {config, *(f"{config}.{name}" for name in schema.names)}
        for column, feature in hf_metadata.get("info", {}).get("features", {}).items():
            if (names := _class_names(feature)) is not None:
                labels[f"{config}.{column}"] = tuple(names)
    return layers, labels


# --- comparing ----------------------------------------------------------------------


def _paired(before: Counter[T], after: Counter[T],
            key: Callable[[T], object]) -> tuple[list[T], list[T], list[tuple[T, T]]]:
    """Items only before, items only after, and (before, after) pairs sharing ``key``: the relabellings."""
    unmatched: dict[object, list[T]] = {}
    for item in (before - after).elements():
        unmatched.setdefault(key(item), []).append(item)
    added, pairs = [], []
    for item in (after - before).elements():
        candidates = unmatched.get(key(item))
        if candidates:
            pairs.append((candidates.pop(0), item))
        else:
            added.append(item)
    return [item for items in unmatched.values() for item in items], added, pairs


def _mention(doc_id: str, key: MentionKey) -> MentionEntry:
    return MentionEntry(doc_id, *key)


def _stance(doc_id: str, key: StanceKey) -> StanceEntry:
    return StanceEntry(doc_id, *key)


@dataclass
class _Changes:
    """Accumulates the changes while release B streams past release A's index."""

    documents_added: list[DocumentEntry]
    documents_removed: list[DocumentEntry]
    split_moves: list[SplitMove]
    texts_changed: list[TextChange]
    mentions_added: list[MentionEntry]
    mentions_removed: list[MentionEntry]
    mentions_relabelled: list[MentionRelabel]
    stances_added: list[StanceEntry]
    stances_removed: list[StanceEntry]
    stances_relabelled: list[StanceRelabel]

    @classmethod
    def empty(cls) -> "_Changes":
        return cls(*([] for _ in range(10)))

    def compare(self, doc_id: str, old: _Annotated, new: _Annotated) -> None:
        """Record what changed in one document present in both releases."""
        if old.split != new.split:
            self.split_moves.append(SplitMove(doc_id, old.split, new.split))
        if old.text_sha256 != new.text_sha256:
            self.texts_changed.append(TextChange(doc_id, new.split, old.text_sha256, new.text_sha256))
        removed, added, pairs = _paired(old.mentions, new.mentions, key=lambda m: m[:3])
        self.mentions_removed += [_mention(doc_id, m) for m in removed]
        self.mentions_added += [_mention(doc_id, m) for m in added]
        self.mentions_relabelled += [MentionRelabel(doc_id, *a[:3], a[3], b[3], a[4], b[4]) for a, b in pairs]
        removed, added, pairs = _paired(old.stances, new.stances, key=lambda s: s[:3])
        self.stances_removed += [_stance(doc_id, s) for s in removed]
        self.stances_added += [_stance(doc_id, s) for s in added]
        self.stances_relabelled += [StanceRelabel(doc_id, *a[:3], a[3], b[3]) for a, b in pairs]

    def sorted_fields(self) -> dict[str, tuple]:
        """Every list as a tuple in a fixed order: by document, then by place in the text."""
        def order(item) -> tuple:
            place = (item.start, item.end) if hasattr(item, "start") else getattr(item, "evidence", ())
            return item.doc_id, place, repr(item)

        return {name: tuple(sorted(items, key=order)) for name, items in vars(self).items()}


def _entry(doc_id: str, document: _Annotated) -> DocumentEntry:
    return DocumentEntry(doc_id, document.split, sum(document.mentions.values()), sum(document.stances.values()))


_STAT_GROUPS = ("documents", "sentences", "tokens", "mentions", "stances")


def _flat_statistics(split_stats: dict) -> dict[str, int]:
    """``documents``, ``sentences``, ``tokens``, ``mentions.<type>``, ``stances.<polarity>`` of one split."""
    flat = {name: split_stats.get(name, 0) for name in _STAT_GROUPS[:3]}
    for group in _STAT_GROUPS[3:]:
        flat.update({f"{group}.{name}": n for name, n in (split_stats.get(group) or {}).items()})
    return flat


def _statistics(before: dict, after: dict) -> tuple[StatDelta, ...]:
    """Before, after and delta of every statistic of every split of either manifest."""
    deltas = []
    for split in [s for s in SPLITS if s in before or s in after]:
        old, new = _flat_statistics(before.get(split, {})), _flat_statistics(after.get(split, {}))
        for metric in sorted(old.keys() | new.keys(), key=lambda m: (_STAT_GROUPS.index(m.split(".")[0]), m)):
            a, b = old.get(metric, 0), new.get(metric, 0)
            deltas.append(StatDelta(split, metric, a, b, b - a))
    return tuple(deltas)


def diff_releases(a: Path, b: Path) -> ReleaseDiff:
    """Compare release folder ``a`` (before) with release folder ``b`` (after).

    Release A's documents are indexed (ids, hashes, annotations; not texts), then B's
    stream past them batch by batch. Raises :class:`UsageError` when a folder is not a
    release and :class:`InputError` when one of its files cannot be read.
    """
    a, b = Path(a), Path(b)
    before, after = _release_manifest(a), _release_manifest(b)
    index = {row["doc_id"]: _annotated(split, row) for split, row in _document_rows(a, before)}
    changes = _Changes.empty()
    for split, row in _document_rows(b, after):
        new, old = _annotated(split, row), index.pop(row["doc_id"], None)
        if old is None:
            changes.documents_added.append(_entry(row["doc_id"], new))
        else:
            changes.compare(row["doc_id"], old, new)
    changes.documents_removed += [_entry(doc_id, old) for doc_id, old in index.items()]
    (layers_a, labels_a), (layers_b, labels_b) = _layout(a, before), _layout(b, after)
    return ReleaseDiff(
        version_before=before.version, version_after=after.version, date_after=after.released,
        schema_before=before.schema_version, schema_after=after.schema_version,
        labels_changed=tuple(sorted(k for k in labels_a.keys() | labels_b.keys() if labels_a.get(k) != labels_b.get(k))),
        layers_added=tuple(sorted(layers_b - layers_a)), layers_removed=tuple(sorted(layers_a - layers_b)),
        statistics=_statistics(before.statistics, after.statistics),
        **changes.sorted_fields(),
        same_rows=before.fingerprint == after.fingerprint,
    )
