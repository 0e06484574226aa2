"""Build benchmark: our build against a plain `datasets` pipeline on a generated corpus.

For each corpus size it generates (once, seeded) a corpus in the seed's format, then times
in separate processes, with the peak resident memory of each process tree:

- the naive pipeline (benchmarks/naive_pipeline.py);
- ``chronique build`` with ``--jobs 1`` and ``--jobs 2``, without cache (validation included);
- the incremental rebuild: a build that fills the cache, one annotation file edited, a rebuild;
- cold and warm ``load_dataset`` of the resulting ``ner`` config, side by side with the same rows in
  one shard a split (the layout before releases had shards), each cold load repeated.

Run:  .venv/bin/python benchmarks/bench_build.py --articles 20000 100000 [--workdir /tmp/chronique-bench]
It prints a table and writes the figures as JSON beside the corpora.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
CHRONIQUE = [PYTHON, "-m", "chronique.cli"]


def _tree_memory(pid: int) -> int:
    """Proportional set size (bytes) of a process and all its descendants, read from /proc.

    PSS shares each page among the processes that map it, so forked workers are not counted
    twice for the memory they share with their parent (their RSS would be).
    """
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:"))) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def measure(command: list[str], env: dict | None = None) -> dict:
    """Wall time and peak resident memory of the process tree of ``command``, sampled every 20 ms."""
    # output goes to files, not pipes: a process that writes more than a pipe holds would block forever
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_memory(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "peak_pss_mb": peak / 2**20, "stdout": out}


def corpus_of(workdir: Path, articles: int) -> Path:
    corpus = workdir / f"corpus-{articles}"
    if not (corpus / "annotations" / "sources.tsv").exists():
        subprocess.run([PYTHON, str(HERE / "generate_corpus.py"), str(corpus), "--articles", str(articles)], check=True)
    return corpus


def build(corpus: Path, releases: Path, *extra: str) -> dict:
    command = [*CHRONIQUE, "build", "--repo", str(corpus), "--releases", str(releases), "--no-registry-update", "--quiet",
               *extra]
    result = measure(command)
    manifest = json.loads(next(releases.glob("*/manifest.json")).read_text())
    result["tokens"] = sum(s["tokens"] for s in manifest["statistics"].values())
    result["documents"] = sum(s["documents"] for s in manifest["statistics"].values())
    result["fingerprint"] = manifest["fingerprint"]
    return result


def incremental(corpus: Path, workdir: Path) -> dict:
    """A build that fills the cache, one annotation file edited, then the rebuild that reuses the rest."""
    cache = corpus / ".cache" / "chronique-build"
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    warm = build(corpus, workdir / "rel-cache-fill", "--jobs", "2")
    annotation = sorted((corpus / "annotations").glob("*.json"))[len(list((corpus / "annotations").glob("*.json"))) // 2]
    original = annotation.read_text(encoding="utf-8")
    edited = original.replace('"metonymic": false', '"metonymic": true', 1)
    annotation.write_text(edited, encoding="utf-8")
    try:
        rebuild = build(corpus, workdir / "rel-incremental", "--jobs", "2")
    finally:
        annotation.write_text(original, encoding="utf-8")
    return {"fill": warm, "rebuild": rebuild, "edited": annotation.name}


LOAD_REPEATS = 3
"""Cold loads of each layout, alternated; the median is reported (one cold load varies by 20 % and more here)."""


def one_shard_copy(release: Path, workdir: Path) -> Path:
    """The release with each split of ``ner`` rewritten as one Parquet file: the layout of one shard a split,
    the same rows in the same order, to load side by side with the layout as built."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = workdir / "rel-one-shard" / release.name
    subprocess.run(["rm", "-rf", str(copy.parent)], check=True)
    shutil.copytree(release, copy)
    for split in ("train", "validation", "test"):
        shards = sorted((copy / "data" / "ner").glob(f"{split}-*-of-*.parquet"))
        table = pa.concat_tables(pq.read_table(shard) for shard in shards)
        for shard in shards:
            shard.unlink()
        pq.write_table(table, copy / "data" / "ner" / f"{split}-00000-of-00001.parquet", compression="zstd")
    return copy


def load_times(release: Path, workdir: Path) -> dict:
    """Cold (empty ``datasets`` cache) and warm ``load_dataset`` of ``ner``, as built and as one shard a split."""
    script = ("import sys, time; from datasets import load_dataset; t = time.perf_counter(); "
              "d = load_dataset(sys.argv[1], 'ner', cache_dir=sys.argv[2]); "
              "print(time.perf_counter() - t, sum(s.num_rows for s in d.values()))")
    layouts = {"as_built": release, "one_shard": one_shard_copy(release, workdir)}
    cold: dict[str, list[float]] = {name: [] for name in layouts}
    warm: dict[str, float] = {}
    rows: dict[str, int] = {}
    cache = workdir / "hf-load-cache"

    def load(folder: Path) -> tuple[float, int]:
        seconds, loaded = measure([PYTHON, "-c", script, str(folder), str(cache)])["stdout"].split()
        return float(seconds), int(loaded)

    for _ in range(LOAD_REPEATS):
        for name, folder in layouts.items():
            subprocess.run(["rm", "-rf", str(cache)], check=True)
            seconds, rows[name] = load(folder)
            cold[name].append(seconds)
            warm[name] = load(folder)[0]
    if rows["as_built"] != rows["one_shard"]:
        raise SystemExit(f"the one-shard copy loaded {rows['one_shard']:,} rows, the release {rows['as_built']:,}")
    shards = len(list((release / "data" / "ner").glob("train-*-of-*.parquet")))
    return {"cold_seconds": statistics.median(cold["as_built"]), "warm_seconds": warm["as_built"],
            "one_shard_cold_seconds": statistics.median(cold["one_shard"]), "one_shard_warm_seconds": warm["one_shard"],
            "cold_runs": cold, "rows": rows["as_built"], "train_shards": shards}


def run(articles: int, workdir: Path, naive_too: bool) -> dict:
    corpus = corpus_of(workdir, articles)
    for old in workdir.glob("rel-*"):
        subprocess.run(["rm", "-rf", str(old)], check=True)
    figures: dict = {"articles": articles}
    if naive_too:
        naive = measure([PYTHON, str(HERE / "naive_pipeline.py"), str(corpus), str(workdir / "rel-naive")],
                        env={"HF_DATASETS_CACHE": str(workdir / "naive-cache")})
        naive.update(json.loads(naive.pop("stdout").strip().splitlines()[-1]))
        figures["naive"] = naive
    for jobs in (1, 2):
        figures[f"jobs{jobs}"] = build(corpus, workdir / f"rel-jobs{jobs}", "--jobs", str(jobs), "--no-cache")
        figures[f"jobs{jobs}"].pop("stdout")
    figures["same_output"] = figures["jobs1"]["fingerprint"] == figures["jobs2"]["fingerprint"]
    figures["incremental"] = incremental(corpus, workdir)
    for part in ("fill", "rebuild"):
        figures["incremental"][part].pop("stdout")
    figures["load"] = load_times(next((workdir / "rel-jobs2").glob("*")), workdir)
    return figures


def report(figures: dict) -> str:
    naive, one, two = figures.get("naive"), figures["jobs1"], figures["jobs2"]
    incremental = figures["incremental"]
    spacy_tokens = f", {naive['tokens']:,} by spaCy's" if naive else ""
    lines = [f"## {figures['articles']:,} articles ({one['tokens']:,} tokens by our tokeniser{spacy_tokens})", "",
             "| run | wall (s) | articles/s | tokens/s | peak memory, PSS (MB) |", "|---|---|---|---|---|"]
    runs = [("naive datasets + spaCy pipeline", naive, naive["tokens"])] if naive else []
    for name, run_figures, tokens in (*runs,
                                      ("chronique build --jobs 1", one, one["tokens"]),
                                      ("chronique build --jobs 2", two, two["tokens"]),
                                      ("build filling the cache (--jobs 2)", incremental["fill"], incremental["fill"]["tokens"]),
                                      ("rebuild after editing one annotation", incremental["rebuild"], incremental["rebuild"]["tokens"])):
        lines.append(f"| {name} | {run_figures['seconds']:.1f} | {figures['articles'] / run_figures['seconds']:,.0f} | "
                     f"{tokens / run_figures['seconds']:,.0f} | {run_figures['peak_pss_mb']:.0f} |")
    ratio = ((two["tokens"] / two["seconds"]) / (naive["tokens"] / naive["seconds"])) if naive else None
    lines += ["",
              f"- throughput ratio, build --jobs 2 / naive (tokens/s): {ratio:.1f}×" if ratio else "- naive pipeline not run",
              f"- speed-up of --jobs 2 over --jobs 1: {one['seconds'] / two['seconds']:.2f}×; identical output: {figures['same_output']}",
              f"- incremental rebuild: {incremental['rebuild']['seconds']:.1f} s = "
              f"{100 * incremental['rebuild']['seconds'] / two['seconds']:.1f}% of the full build (--jobs 2, no cache)",
              f"- load_dataset of ner ({figures['load']['rows']:,} rows, {figures['load']['train_shards']} shards in train), "
              f"median of {LOAD_REPEATS} cold loads: {figures['load']['cold_seconds']:.1f} s as built, "
              f"{figures['load']['one_shard_cold_seconds']:.1f} s with one shard a split; "
              f"warm {figures['load']['warm_seconds']:.1f} s and {figures['load']['one_shard_warm_seconds']:.1f} s"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/chronique-bench"))
    parser.add_argument("--naive-up-to", type=int, default=20_000,
                        help="run the naive pipeline only on corpora up to this size (it takes ~20 min at 100k)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    for articles in args.articles:
        figures = run(articles, args.workdir, naive_too=articles <= args.naive_up_to)
        (args.workdir / f"figures-{articles}.json").write_text(json.dumps(figures, indent=2))
        print(report(figures), flush=True)


if __name__ == "__main__":
    main()
