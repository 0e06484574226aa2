"""The executor seam: a release built on Ray is the one built locally, byte for byte, even when a worker dies.

These tests start a real local Ray instance (two CPUs) and kill real Ray worker processes.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import chronique.run.chunks as chunks
import chronique.run.executors as executors
import chronique.run.groups as groups
from chronique.cli import main
from chronique.errors import InputError, UsageError
from chronique.pipeline import build
from chronique.run.executors import ExecutorError, LocalExecutor, RayExecutor

from conftest import PROJECT, make_repo
from test_scale import articles, release_files

ray = pytest.importorskip("ray", reason="Ray is not installed here (pip install 'chronique[ray]'; CI installs it)")

TASK_TITLE = b"ray::run_task"
"""What Ray sets as the command line of a worker process while it runs one of our tasks."""


@pytest.fixture(scope="module")
def ray_instance():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=256 * 2**20,
             logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_FILES", 2)
    monkeypatch.setattr(groups, "GROUP_CHUNKS", 1)  # 41 files: 21 groups, so 21 tasks
    return make_repo(tmp_path / "repo", articles(40))


def build_with(corpus, releases, executor, **options):
    return build(corpus, releases=releases, statuses=("gold", "unannotated"), update_registry=False,
                 executor=executor, **options)


def task_processes() -> list[int]:
    """Ray worker processes running one of our tasks now, found by their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(TASK_TITLE):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class WorkerKiller(threading.Thread):
    """Kills Ray workers in the middle of a task: the first one seen, or (``every``) each one seen."""

    def __init__(self, every: bool = False):
        super().__init__(daemon=True)
        self.every, self.killed, self.done = every, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in task_processes():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.killed.append(pid)
                if not self.every:
                    return

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()


def test_a_ray_build_writes_the_release_a_local_build_writes(corpus, tmp_path, ray_instance):
    local = build_with(corpus, tmp_path / "local", LocalExecutor(1))
    on_ray = build_with(corpus, tmp_path / "ray", RayExecutor(2))
    assert len(list((on_ray.path / "data" / "ner").glob("train-*-of-*.parquet"))) > 1  # several shards, from several workers
    assert on_ray.fingerprint == local.fingerprint and on_ray.rows == local.rows
    assert release_files(on_ray.path) == release_files(local.path)


def test_a_ray_build_of_the_repository_reproduces_the_committed_release(tmp_path, ray_instance):
    repo = tmp_path / "repo"
    for part in ("raw", "annotations"):
        shutil.copytree(PROJECT / part, repo / part)
    shutil.copyfile(PROJECT / "CITATION.cff", repo / "CITATION.cff")
    result = build(repo, releases=tmp_path / "releases", update_registry=False, executor=RayExecutor(2))
    committed = PROJECT / "releases" / result.version
    assert release_files(result.path) == release_files(committed)


def test_ray_workers_read_raw_files_through_an_fsspec_url(corpus, tmp_path, ray_instance):
    archive = tmp_path / "archive"
    shutil.copytree(corpus / "raw", archive)
    url = f"file://{archive.as_posix()}"  # every Ray worker opens the files itself, through fsspec
    local = build_with(corpus, tmp_path / "local", LocalExecutor(1), raw=url)
    on_ray = build_with(corpus, tmp_path / "ray", RayExecutor(2), raw=url)
    assert release_files(on_ray.path) == release_files(local.path) and on_ray.fingerprint == local.fingerprint
    from_raw = build_with(corpus, tmp_path / "raw", LocalExecutor(1))
    assert on_ray.rows == from_raw.rows and on_ray.fingerprint != from_raw.fingerprint  # provenance names the URL


def test_a_worker_killed_in_the_middle_of_a_task_is_retried_and_the_release_is_the_same(corpus, tmp_path, ray_instance):
    local = build_with(corpus, tmp_path / "local", LocalExecutor(1))
    with WorkerKiller() as killer:
        on_ray = build_with(corpus, tmp_path / "ray", RayExecutor(2), cache=tmp_path / "cache")
    assert killer.killed, "no Ray worker was caught running a task"
    assert release_files(on_ray.path) == release_files(local.path)


def test_a_worker_that_keeps_dying_fails_the_build_and_publishes_nothing(corpus, tmp_path, ray_instance, monkeypatch):
    monkeypatch.setattr(executors, "RAY_TASK_RETRIES", 1)  # two attempts, both killed
    cache = tmp_path / "cache"
    with WorkerKiller(every=True) as killer, pytest.raises(ExecutorError, match=r"failed 2 times"):
        build_with(corpus, tmp_path / "ray", RayExecutor(2), cache=cache)
    assert len(killer.killed) >= 2
    assert not (tmp_path / "ray").exists() or not any((tmp_path / "ray").iterdir())
    assert not any(path.is_file() for path in cache.rglob("*") if path.name != ".lock")


def test_an_invalid_document_fails_a_ray_build_with_the_finding_a_local_build_reports(corpus, tmp_path, ray_instance):
    make_repo(corpus, {"900_aaaaaaaaaaaaaaaa.txt": "date 2020-13 Texte."}, seed=False)
    found = {}
    for name, executor in (("local", LocalExecutor(1)), ("ray", RayExecutor(2))):
        with pytest.raises(InputError) as raised:
            build_with(corpus, tmp_path / name, executor)
        found[name] = [str(finding) for finding in raised.value.findings]
        assert not (tmp_path / name).exists() or not any((tmp_path / name).iterdir())
    assert any("900_aaaaaaaaaaaaaaaa.txt:1:" in line for line in found["ray"])
    assert found["ray"] == found["local"]


def test_the_cli_builds_on_ray_and_says_so_when_the_address_has_no_executor(corpus, tmp_path, ray_instance, capsys):
    command = ["build", "--repo", str(corpus), "--no-registry-update", "--status", "gold", "unannotated", "--quiet"]
    assert main([*command, "--releases", str(tmp_path / "local")]) == 0
    assert main([*command, "--releases", str(tmp_path / "ray"), "--executor", "ray", "--jobs", "2"]) == 0  # on this Ray
    assert release_files(next((tmp_path / "ray").iterdir())) == release_files(next((tmp_path / "local").iterdir()))
    capsys.readouterr()
    assert main([*command, "--releases", str(tmp_path / "x"), "--ray-address", "auto"]) == 2
    assert "--ray-address needs --executor ray" in capsys.readouterr().err


def test_the_default_build_imports_nothing_of_ray(corpus, tmp_path):
    script = ("import sys; from pathlib import Path; from chronique.pipeline import build; "
              f"build(Path({str(corpus)!r}), releases=Path({str(tmp_path / 'rel')!r}), update_registry=False, jobs=2); "
              "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))")
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "[]"


def test_a_model_that_cannot_load_on_ray_is_the_usage_error_it_is_locally(tmp_path, ray_instance):
    from chronique.curation.preannotate_corpus import preannotate_corpus

    repo = make_repo(tmp_path / "repo", articles(2), seed=False)
    for executor in (LocalExecutor(1), RayExecutor(2)):
        with pytest.raises(UsageError, match="cannot load the spaCy model 'no_such_model'") as raised:
            preannotate_corpus(repo, model="no_such_model", executor=executor)
        assert type(raised.value) is UsageError  # the error itself, not Ray's wrapper of it
    assert not list((repo / "annotations").glob("*.json"))


@pytest.mark.parametrize("executor_name", ["local", "ray"])
def test_an_interrupted_build_leaves_nothing_behind_once_it_returns(corpus, tmp_path, ray_instance, executor_name):
    """The interruption comes while tasks run; by the time the build has raised, none of them writes any more."""
    releases, cache = tmp_path / "releases", tmp_path / "cache"

    def interrupt(files):
        raise KeyboardInterrupt

    executor = LocalExecutor(2) if executor_name == "local" else RayExecutor(2)
    try:
        with pytest.raises(KeyboardInterrupt):
            build(corpus, releases=releases, statuses=("gold", "unannotated"), update_registry=False,
                  executor=executor, cache=cache, on_progress=interrupt)
        time.sleep(1.0)  # a task still running would write its shard or cache entry in this second
    finally:
        executor.close()
    assert [p.name for p in releases.iterdir()] in ([], [".build.lock"])
    assert not any(path.is_file() for path in cache.rglob("*") if path.name != ".lock")
