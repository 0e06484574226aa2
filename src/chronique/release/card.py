"""The dataset card (``README.md`` of a release), generated from the data.

The YAML front matter declares ``configs`` with their ``data_files`` and
``dataset_info`` features, produced by ``datasets``' own serialisation from the
same :data:`chronique.schema.FEATURES` that the Parquet files carry.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from datasets import DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from chronique.evaluation.baseline import baseline_markdown, read_baselines
from chronique.checks.card import size_category
from chronique.release.citation import Citation, bibtex
from chronique.release.licensing import dataset_licence, licence_section
from chronique.release.manifest import read_manifest, refresh_manifest_files
from chronique.release.writer import shard_counts, shard_path, shard_pattern
from chronique.schema import COARSE_TYPES, CONFIGS, FEATURES, FINE_TYPES, POLARITIES, SCOPES
from chronique.store.splits import SPLITS

def merged(stats: dict[str, dict], key: str) -> Counter:
    """A per-split count (``licenses``, ``beats``…) summed over the splits; absent in older manifests."""
    total: Counter = Counter()
    for split in stats.values():
        total.update(split.get(key, {}))
    return total


def restricted_texts(stats: dict[str, dict]) -> list[dict]:
    return sorted((r for split in stats.values() for r in split.get("restricted", [])), key=lambda r: r["doc_id"])


def data_files(config: str, split: str, shards: int) -> str:
    """What the card gives ``datasets`` for a config and split: its one file, or the pattern of its shards."""
    return shard_path(config, split) if shards == 1 else shard_pattern(config, split)


def card_data(rows: dict[str, dict[str, int]], documents: int, arrow_bytes: dict | None = None,
              licence: str = "other", shard_counts: dict | None = None) -> DatasetCardData:
    data = DatasetCardData(
        pretty_name="Chronique",
        license=licence,
        language=["fr"],
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition", "multi-class-classification"],
        size_categories=[size_category(documents)],
        configs=[
            {
                "config_name": config,
                "data_files": [{"split": split, "path": data_files(config, split, (shard_counts or {}).get(config, {}).get(split, 1))}
                               for split in SPLITS if split in rows[config]],
            }
            for config in CONFIGS
            if config in rows
        ],
    )
    infos = DatasetInfosDict(
        {
            config: DatasetInfo(
                features=FEATURES[config],
                splits=SplitDict({split: SplitInfo(name=split, num_examples=n,
                                                   num_bytes=(arrow_bytes or {}).get(config, {}).get(split, 0))
                                  for split, n in rows[config].items()}),
            )
            for config in CONFIGS
            if config in rows
        }
    )
    infos.to_dataset_card_data(data)
    return data


def _table(header: list[str], body: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in body]
    return "\n".join(lines)


def _counts(stats: dict[str, dict], key: str, names) -> str:
    splits = list(stats)
    return _table(["", *splits], [[name, *(stats[s][key].get(name, 0) for s in splits)] for name in names])


def statistics_markdown(stats: dict[str, dict]) -> str:
    """Per split: size, mentions per fine and coarse type, entities, stances per polarity and scope, status."""
    splits = list(stats)
    size = _table(["", *splits], [[label, *(f"{stats[s][label]:,}" for s in splits)]
                                  for label in ("documents", "sentences", "tokens", "entities")])
    statuses = sorted({k for s in splits for k in stats[s]["annotation_status"]})
    return "\n\n".join([
        "#### Size", size,
        "#### Mentions per fine type (nested ones included)", _counts(stats, "mentions", FINE_TYPES),
        "#### Outermost mentions per coarse type (the `coarse_ner_tags`)",
        _counts(stats, "coarse_mentions_outermost", COARSE_TYPES),
        "#### Stances per polarity", _counts(stats, "stances", POLARITIES),
        "#### Stances per scope", _counts(stats, "stance_scopes", SCOPES),
        "#### Annotation status", _counts(stats, "annotation_status", statuses),
    ])


def kept_out_markdown(kept_out: list[dict] | None) -> str:
    if not kept_out:
        return "No text of the repository was kept out of this release."
    rows = "\n".join(f"| `{item['doc_id']}` | {item['reason']} |" for item in kept_out)
    return ("These texts are in the repository's `raw/` and annotated, but are not released, because the text itself "
            "is wrong; they are not rewritten, since `raw/` holds texts as received.\n\n| document | reason |\n|---|---|\n"
            + rows)


def origin_counts(stats: dict[str, dict]) -> str:
    """Documents per beat and per genre, by split."""
    splits = list(stats)
    parts = []
    for key, title in (("beats", "beat"), ("genres", "genre")):
        names = sorted({name for s in splits for name in stats[s].get(key, {})})
        if names:
            parts += [f"#### Documents per {title}", _counts(stats, key, names)]
    return "\n\n".join(parts)


_LOADING = """```python
from datasets import load_dataset

release = "path/to/releases/{version}"  # or a snapshot of the Hub repository (below)

documents = load_dataset(release, "documents")   # one row per article, every annotation layer
ner = load_dataset(release, "ner")               # one row per sentence
stance = load_dataset(release, "stance")         # one row per stance record

labels = ner["train"].features["ner_tags"].feature.names          # fine IOB2 labels
coarse = ner["train"].features["coarse_ner_tags"].feature.names   # PER/ORG/LOC/MISC IOB2 labels
polarity = stance["train"].features["label"].names                # FAVOR, AGAINST, NEUTRAL
```

To pin this exact version from the Hub and then work offline, download the tagged snapshot and load
the folder: with `HF_HUB_OFFLINE=1`, `load_dataset("<repo>", revision="v{version}")` ignores the revision
and returns whatever was cached last.

```python
from huggingface_hub import snapshot_download

path = snapshot_download("<org>/<name>", repo_type="dataset", revision="v{version}")
# later, offline: snapshot_download(..., revision="v{version}", local_files_only=True)
ner = load_dataset(path, "ner")
```

For a token-classification model with `transformers`, the label maps come from the features:

```python
labels = ner["train"].features["ner_tags"].feature.names
id2label = dict(enumerate(labels))
label2id = {{label: i for i, label in id2label.items()}}
# AutoModelForTokenClassification.from_pretrained(name, num_labels=len(labels), id2label=id2label, label2id=label2id)
```

Coordinates: every offset is a Unicode code point into the document's normalised `text`, half-open.
A `ner` row's `token_offsets` count from the start of the document; its `start` is where its sentence
`text` begins, so `text[o.start - start : o.end - start]` is a token. A `stance` row's `text` is the
document slice from the first to the last sentence holding evidence, beginning at `text_start`, so
`text[ev.start - text_start : ev.end - text_start]` is each evidence span."""


def render_card(*, version: str, rows: dict, stats: dict[str, dict], citation: Citation,
                baselines: list[dict] | None = None, released: str = "1970-01-01", arrow_bytes: dict | None = None,
                agreement: str | None = None, kept_out: list[dict] | None = None,
                shard_counts: dict | None = None) -> str:
    """The full card: YAML front matter, then sections generated from the data."""
    documents = sum(s["documents"] for s in stats.values())
    licences = merged(stats, "licenses")
    data = card_data(rows, documents, arrow_bytes, dataset_licence(licences), shard_counts)
    configs = ", ".join(f"`{c}`" for c in CONFIGS if c in rows)
    statuses = sorted({k for s in stats.values() for k in s["annotation_status"]})
    body = f"""
# Chronique {version}

Chronique is a corpus of French news articles with gold-standard named-entity and
stance annotations. This folder is release **{version}** ({released}): a complete Hugging
Face dataset repository with the configs {configs}. It holds {documents} document(s) with
annotation status {", ".join(statuses)}.

- `documents`: one row per article, with its text, paragraphs, sentences, mentions
  (nested ones included), entity clusters, stance records and provenance.
- `ner`: one row per sentence, with tokens and IOB2 tags over the fine types
  {", ".join(FINE_TYPES)} (`ner_tags`) and over the CoNLL/WikiNER types PER, ORG, LOC,
  MISC (`coarse_ner_tags`; DATE has no coarse type). Only outermost mentions are tagged.
- `stance`: one row per stance record: holder, target, the evidence in its sentences, and
  the label FAVOR, AGAINST or NEUTRAL.

## Loading

{_LOADING.format(version=version)}

From a checkout or an installed `chronique` package, `chronique.load("ner")` does the same.

## Statistics

{statistics_markdown(stats)}

{origin_counts(stats)}

## Inter-annotator agreement

{agreement or "No document of this release was annotated twice."}

## Baselines

{baseline_markdown(baselines)}

## Licence

{licence_section(licences, merged(stats, "origins"), restricted_texts(stats))}

## Texts kept out

{kept_out_markdown(kept_out)}

## Known limitations

- Every figure above is computed on the documents of this release only. The test split is
  small enough that scores on it have wide confidence intervals: compare systems with the
  document-level spread the scorer reports, not with a single figure.
- Most texts were written for the corpus about real events; they are material for studying
  language, not a source of facts, and their style is that of a few writers.
- Splits with no document are left out of the release.
- Annotations follow the Chronique guidelines (fine types, nesting of depth one, literal
  types with a metonymy flag); compare with other corpora through the coarse tags.

## Versions

Data versions follow SemVer: major for a schema or label-set change, minor for added
documents or annotation layers, patch for corrections. A released document never changes
split.

## Citation

```bibtex
{bibtex(citation, version, released)}
```
"""
    return f"---\n{data.to_yaml()}\n---\n{body}"


def refresh_card(folder: Path) -> None:
    """Regenerate a release's card from its manifest and baselines, then its checksums; the data is untouched."""
    manifest = read_manifest(folder)
    card = render_card(version=manifest.version, rows=manifest.rows, stats=manifest.statistics,
                       citation=manifest.citation, baselines=read_baselines(folder), released=manifest.released,
                       arrow_bytes=manifest.arrow_bytes, agreement=manifest.agreement, kept_out=manifest.kept_out,
                       shard_counts=shard_counts(manifest.files))
    (folder / "README.md").write_text(card, encoding="utf-8")
    refresh_manifest_files(folder)
