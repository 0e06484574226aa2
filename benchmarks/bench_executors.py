"""Executor benchmark: the build and the pre-annotation, on the local executor and on Ray, at 1 and 2 workers.

On a generated corpus (benchmarks/generate_corpus.py, the one bench_build.py uses) it times,
each in its own process:

- ``chronique build --no-cache --executor local|ray --jobs 1|2`` over the whole corpus;
- ``chronique preannotate --all --executor local|ray --jobs 1|2`` over the first
  ``--preannotate-articles`` raw files of it, copied into a repository without annotations
  (emptied before each run), with ``--model`` (default fr_core_news_sm).

For each run it prints wall time, throughput, the peak PSS of the driver process alone and of
the whole process tree (Ray's own processes included), and the overhead of Ray against local
at the same number of workers. The Ray runs start a local Ray instance of that many CPUs.

Run:  .venv/bin/python benchmarks/bench_executors.py --articles 20000 [--preannotate-articles 2000] [--workdir /tmp/chronique-bench]
It needs the ray and models extras. The figures are also written as JSON beside the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_build import CHRONIQUE, _tree_memory, corpus_of

EXECUTORS = ("local", "ray")
WORKERS = (1, 2)


def _pss(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        return int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:"))) * 1024
    except (OSError, StopIteration, ValueError):
        return 0


def measure(command: list[str]) -> dict:
    """Wall time, and the peak PSS of the driver and of its whole process tree, sampled every 20 ms."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
        driver = tree = 0
        while process.poll() is None:
            driver, tree = max(driver, _pss(process.pid)), max(tree, _tree_memory(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        stderr.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr.read()[-3000:]}")
    return {"seconds": seconds, "driver_peak_mb": driver / 2**20, "tree_peak_mb": tree / 2**20}


def preannotation_repo(corpus: Path, workdir: Path, articles: int) -> Path:
    """A repository holding the first ``articles`` raw files of ``corpus`` and no annotation file."""
    repo = workdir / f"preannotate-{articles}"
    if not (repo / "raw").is_dir():
        (repo / "raw").mkdir(parents=True)
        for path in sorted((corpus / "raw").iterdir())[:articles]:
            shutil.copyfile(path, repo / "raw" / path.name)
    return repo


def run(articles: int, workdir: Path, preannotate_articles: int, model: str) -> dict:
    corpus = corpus_of(workdir, articles)
    figures: dict = {"articles": articles, "preannotate_articles": preannotate_articles, "model": model,
                     "build": {}, "preannotate": {}}
    for executor in EXECUTORS:
        for workers in WORKERS:
            name = f"{executor}-{workers}"
            releases = workdir / f"rel-executors-{name}"
            shutil.rmtree(releases, ignore_errors=True)
            figures["build"][name] = measure([*CHRONIQUE, "build", "--repo", str(corpus), "--releases", str(releases),
                                              "--no-registry-update", "--quiet", "--no-cache", "--executor", executor,
                                              "--jobs", str(workers)])
            fingerprint = json.loads(next(releases.glob("*/manifest.json")).read_text())["fingerprint"]
            figures["build"][name]["fingerprint"] = fingerprint
            print(f"build {name}: {figures['build'][name]['seconds']:.1f} s", file=sys.stderr, flush=True)
    repo = preannotation_repo(corpus, workdir, preannotate_articles)
    for executor in EXECUTORS:
        for workers in WORKERS:
            name = f"{executor}-{workers}"
            shutil.rmtree(repo / "annotations", ignore_errors=True)
            (repo / "annotations").mkdir()
            figures["preannotate"][name] = measure([*CHRONIQUE, "preannotate", "--all", "--repo", str(repo), "--model",
                                                    model, "--quiet", "--executor", executor, "--jobs", str(workers)])
            figures["preannotate"][name]["written"] = len(list((repo / "annotations").glob("*.json")))
            print(f"preannotate {name}: {figures['preannotate'][name]['seconds']:.1f} s", file=sys.stderr, flush=True)
    figures["same_release"] = len({run["fingerprint"] for run in figures["build"].values()}) == 1
    return figures


def report(figures: dict) -> str:
    lines = []
    for stage, count in (("build", figures["articles"]), ("preannotate", figures["preannotate_articles"])):
        what = "chronique build --no-cache" if stage == "build" else f"chronique preannotate --all ({figures['model']})"
        lines += [f"### {what}, {count:,} articles", "",
                  "| executor | workers | wall (s) | articles/s | driver peak PSS (MB) | tree peak PSS (MB) | "
                  "overhead against local |", "|---|---|---|---|---|---|---|"]
        for executor in EXECUTORS:
            for workers in WORKERS:
                run = figures[stage][f"{executor}-{workers}"]
                local = figures[stage][f"local-{workers}"]["seconds"]
                overhead = "" if executor == "local" else f"{100 * (run['seconds'] - local) / local:+.0f} %"
                lines.append(f"| {executor} | {workers} | {run['seconds']:.1f} | {count / run['seconds']:,.0f} | "
                             f"{run['driver_peak_mb']:.0f} | {run['tree_peak_mb']:.0f} | {overhead} |")
        lines.append("")
    lines.append(f"- the same release from every executor and worker count: {figures['same_release']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--preannotate-articles", type=int, default=2_000,
                        help="raw files to pre-annotate (default: 2,000; a model pass over 20,000 takes about half an "
                        "hour a run on one core)")
    parser.add_argument("--model", default="fr_core_news_sm")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/chronique-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    figures = run(args.articles, args.workdir, min(args.preannotate_articles, args.articles), args.model)
    (args.workdir / f"executors-{args.articles}.json").write_text(json.dumps(figures, indent=2))
    print(report(figures), flush=True)


if __name__ == "__main__":
    main()
