"""The dataset card (``README.md`` of a release), generated from the data.

The YAML front matter declares ``configs`` with their ``data_files`` and
``dataset_info`` features, produced by ``datasets``' own serialisation from the
same :data:`chronique.schema.FEATURES` that the Parquet files carry.
"""

from __future__ import annotations

from datasets import DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from pathlib import Path

from chronique.baseline import baseline_markdown, read_baselines
from chronique.release import read_manifest, refresh_manifest_files, shard_path
from chronique.schema import CONFIGS, FEATURES, FINE_TYPES, POLARITIES
from chronique.splits import SPLITS

LICENSE = "cc-by-4.0"


def size_category(documents: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if documents < limit:
            return name
    return "1M<n<10M"


def card_data(rows: dict[str, dict[str, int]], documents: int) -> DatasetCardData:
    data = DatasetCardData(
        pretty_name="Chronique",
        license=LICENSE,
        language=["fr"],
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition", "multi-class-classification"],
        size_categories=[size_category(documents)],
        configs=[
            {
                "config_name": config,
                "data_files": [{"split": split, "path": shard_path(config, split)} for split in SPLITS if split in rows[config]],
            }
            for config in CONFIGS
            if config in rows
        ],
    )
    infos = DatasetInfosDict(
        {
            config: DatasetInfo(
                features=FEATURES[config],
                splits=SplitDict({split: SplitInfo(name=split, num_examples=n) for split, n in rows[config].items()}),
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


def statistics_markdown(stats: dict[str, dict]) -> str:
    splits = list(stats)
    general = _table(
        ["", *splits],
        [[label, *(stats[s][key] for s in splits)] for label, key in
         (("documents", "documents"), ("sentences", "sentences"), ("tokens", "tokens"), ("entities", "entities"))],
    )
    mentions = _table(["fine type", *splits], [[t, *(stats[s]["mentions"].get(t, 0) for s in splits)] for t in FINE_TYPES])
    stances = _table(["polarity", *splits], [[p, *(stats[s]["stances"].get(p, 0) for s in splits)] for p in POLARITIES])
    statuses = sorted({k for s in splits for k in stats[s]["annotation_status"]})
    status = _table(["status", *splits], [[k, *(stats[s]["annotation_status"].get(k, 0) for s in splits)] for k in statuses])
    return "\n\n".join(["### Size", general, "### Mentions per fine type", mentions, "### Stances per polarity", stances,
                        "### Annotation status", status])


def render_card(*, version: str, rows: dict, stats: dict[str, dict], baselines: list[dict] | None = None) -> str:
    documents = sum(s["documents"] for s in stats.values())
    data = card_data(rows, documents)
    configs = ", ".join(f"`{c}`" for c in CONFIGS if c in rows)
    body = f"""
# Chronique {version}

Chronique is a corpus of French news articles with gold-standard named-entity and
stance annotations. This folder is release **{version}**: a complete Hugging Face
dataset repository with the configs {configs}.

- `documents`: one row per article, with its text, paragraphs, sentences, mentions
  (nested ones included), entity clusters, stance records and provenance.
- `ner`: one row per sentence, with tokens and IOB2 tags over the fine types
  (`ner_tags`) and over the CoNLL/WikiNER types PER, ORG, LOC, MISC (`coarse_ner_tags`).
  Only outermost mentions are tagged.
- `stance`: one row per stance record: holder, target, the evidence in its sentences, and
  the label FAVOR, AGAINST or NEUTRAL.

## Loading

```python
from datasets import load_dataset

ner = load_dataset("path/to/releases/{version}", "ner")
print(ner["train"].features["ner_tags"].feature.names)
```

or, from a checkout or an installed `chronique` package:

```python
import chronique

documents = chronique.load("documents", version="{version}")
```

Set `HF_HUB_OFFLINE=1` to be sure nothing is fetched from the network.

## Statistics

{statistics_markdown(stats)}

## Baselines

{baseline_markdown(baselines)}

## Licence

Annotations are released under CC BY 4.0. Each article keeps the licence given in its
`license` field where the source states one.

## Known limitations

The corpus is small: every figure above is computed on the documents of this release only,
so scores measured on it have wide confidence intervals.
"""
    return f"---\n{data.to_yaml()}\n---\n{body}"


def refresh_card(folder: Path) -> None:
    """Regenerate a release's card from its manifest and baselines, then its checksums; the data is untouched."""
    manifest = read_manifest(folder)
    card = render_card(version=manifest["version"], rows=manifest["rows"], stats=manifest["statistics"],
                       baselines=read_baselines(folder))
    (folder / "README.md").write_text(card, encoding="utf-8")
    refresh_manifest_files(folder)
