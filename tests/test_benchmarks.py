"""The benchmark corpus stays buildable: the generator follows the repository contract (sources, origin,
citation), so that a benchmark measures a build and not a refusal."""

import subprocess
import sys

from chronique.pipeline import build

from conftest import PROJECT, external


def test_a_generated_benchmark_corpus_builds_without_a_finding(tmp_path):
    external("raw_fr_hist_news/fr_hist_news_raw.jsonl")
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "generate_corpus.py"), str(corpus), "--articles", "30"],
                   check=True, capture_output=True, timeout=300)
    result = build(corpus, releases=tmp_path / "releases", update_registry=False)
    assert result.outcome == "published" and sum(result.rows["documents"].values()) == 30
    assert result.warnings == []
