"""The parallel, cached build: the same release whatever the jobs, and a cache that notices every change."""

import hashlib

import pytest

import chronique.run.chunks as chunks
from chronique.pipeline import build

from conftest import make_repo, snapshot


def articles(count: int, start: int = 1) -> dict[str, str]:
    made = {}
    for number in range(start, start + count):
        doc_id = hashlib.sha256(f"scale {number}".encode()).hexdigest()[:16]
        made[f"{number:03d}_{doc_id}.txt"] = (f"date 2021-0{1 + number % 9}\n\nLe maire de Lyon a parlé le {number} mars. "
                                               f"Paris et Moscou ont répondu.\n\nTitre {number}\n\nSuite numéro {number}.")
    return made


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_FILES", 4)  # many chunks from a small corpus
    return make_repo(tmp_path / "repo", articles(22))


def release_files(path):
    return {name: data for name, data in snapshot(path).items() if name.startswith("data/")}


def test_one_and_two_jobs_write_identical_releases(corpus, tmp_path):
    one = build(corpus, releases=tmp_path / "one", statuses=("gold", "unannotated"), update_registry=False, jobs=1)
    two = build(corpus, releases=tmp_path / "two", statuses=("gold", "unannotated"), update_registry=False, jobs=2)
    assert one.fingerprint == two.fingerprint and one.rows == two.rows
    assert release_files(one.path) == release_files(two.path)  # byte for byte


def test_cached_build_equals_a_fresh_one(corpus, tmp_path):
    cache = tmp_path / "cache"
    first = build(corpus, releases=tmp_path / "a", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    assert len(list(cache.glob("*/*.pickle"))) == 6  # 23 files in chunks of 4
    second = build(corpus, releases=tmp_path / "b", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    assert second.fingerprint == first.fingerprint
    assert release_files(first.path) == release_files(second.path)


def hits(corpus, tmp_path, cache, name):
    """The build, and how many of its chunks it computed (the others came from the cache), as it reports them."""
    result = build(corpus, releases=tmp_path / name, statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    return result, result.chunks - result.cache_hits


def test_the_cache_is_invalidated_by_raw_text_annotations_and_code(corpus, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fresh, computed = hits(corpus, tmp_path, cache, "r1")
    assert computed == 6
    _, computed = hits(corpus, tmp_path, cache, "r2")
    assert computed == 0
    raw = next((corpus / "raw").glob("005_*.txt"))
    raw.write_text(raw.read_text().replace("Lyon", "Lille"))
    edited, computed = hits(corpus, tmp_path, cache, "r3")
    assert computed == 1 and edited.fingerprint != fresh.fingerprint
    annotation = corpus / "annotations" / "ba88b6aa48263bfe.json"
    annotation.write_text(annotation.read_text().replace('"metonymic": false', '"metonymic": true', 1))
    _, computed = hits(corpus, tmp_path, cache, "r4")
    assert computed == 1
    monkeypatch.setattr(chunks, "code_version", lambda: "another version of the code")
    _, computed = hits(corpus, tmp_path, cache, "r5")
    assert computed == 6


def test_a_failed_build_leaves_the_cache_as_it_was(corpus, tmp_path):
    cache = tmp_path / "cache"
    build(corpus, releases=tmp_path / "ok", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    before = snapshot(cache)
    make_repo(corpus, {"900_aaaaaaaaaaaaaaaa.txt": "date 2020-13 Texte."}, seed=False)
    with pytest.raises(Exception):
        build(corpus, releases=tmp_path / "bad", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    assert snapshot(cache) == before


def _chunk_entry(cache):
    """A chunk's entry, with the groups removed, so that the build must read its chunks."""
    import shutil

    shutil.rmtree(cache / "groups")
    return sorted(cache.glob("*/*.pickle"))[0]


@pytest.mark.parametrize("entry_of,position", [(_chunk_entry, p) for p in (0, 5, 31, 32, 40, -1)]
                         + [(lambda cache: sorted(cache.glob("groups/*/*/meta.pickle"))[0], p) for p in (0, 33, -1)]
                         + [(lambda cache: sorted(cache.glob("groups/*/*/*.parquet"))[0], p) for p in (0, 100, -1)])
def test_a_corrupted_cache_entry_is_discarded_recomputed_and_reported(corpus, tmp_path, entry_of, position):
    cache = tmp_path / "cache"
    clean = build(corpus, releases=tmp_path / "clean", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    before = release_files(clean.path)
    entry = entry_of(cache)
    data = bytearray(entry.read_bytes())
    data[position] ^= 0x01
    entry.write_bytes(bytes(data))
    again = build(corpus, releases=tmp_path / "again", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    assert again.fingerprint == clean.fingerprint
    assert release_files(again.path) == release_files(clean.path) == before  # the cache shares no file with a release
    assert [w.check_id for w in again.warnings if w.check_id.startswith("build.cache")] == ["build.cache.corrupt"]


def test_a_version_bump_keeps_the_cache(monkeypatch):
    chunks.code_version.cache_clear()
    before = chunks.code_version()
    monkeypatch.setattr(chunks, "CODE_KEY_EXCLUDED", frozenset())
    chunks.code_version.cache_clear()
    try:
        assert chunks.code_version() != before  # version.py is part of the sources, and only the exclusion drops it
    finally:
        monkeypatch.undo()
        chunks.code_version.cache_clear()
    assert chunks.code_version() == before


def test_the_cache_may_live_on_another_file_system_than_the_releases(corpus, tmp_path):
    import os
    from pathlib import Path

    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system (/dev/shm) beside the test folder on this machine")
    import tempfile
    with tempfile.TemporaryDirectory(dir=shm) as cache:
        first = build(corpus, releases=tmp_path / "a", statuses=("gold", "unannotated"), update_registry=False,
                      cache=Path(cache))
        assert list(Path(cache).glob("*/*.pickle"))
        second = build(corpus, releases=tmp_path / "b", statuses=("gold", "unannotated"), update_registry=False,
                       cache=Path(cache))
        assert first.fingerprint == second.fingerprint


# --- what the survey remembers between builds --------------------------------------------------

import os  # noqa: E402
import time  # noqa: E402

from chronique.pipeline import CHUNK_STEPS, READ_STEP, open_pass  # noqa: E402
from chronique.run.chunks import BuildContext  # noqa: E402
from chronique.run.executors import LocalExecutor  # noqa: E402
from chronique.run.survey import FileMemo  # noqa: E402
from chronique.store.raw_files import RawSource  # noqa: E402


def settle(folder):
    """Date every file a minute back, as files are once their last edit is behind them."""
    past = time.time() - 60
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def test_a_second_build_reads_no_raw_file_the_first_one_learnt(corpus, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    settle(corpus)
    first, _ = hits(corpus, tmp_path, cache, "r1")
    memo = FileMemo.load(cache)
    assert len(memo.raw) == 23 and len(memo.annotations) == 1  # every raw file, and the seed's annotation
    learnt = []
    monkeypatch.setattr("chronique.pipeline.learn_raw_files", lambda source, keys: learnt.extend(keys) or [])
    second, computed = hits(corpus, tmp_path, cache, "r2")
    assert learnt == [] and computed == 0 and second.fingerprint == first.fingerprint


def test_a_file_edited_between_survey_and_chunk_stops_the_build(corpus, tmp_path):
    corpus_pass = open_pass(corpus, version="9.9.9", releases=tmp_path / "rel")
    raw = next((corpus / "raw").glob("007_*.txt"))
    raw.write_text(raw.read_text(encoding="utf-8").replace("Paris", "Lille"), encoding="utf-8")
    context = BuildContext(corpus_pass.repo, frozenset({"gold", "unannotated"}), None, read=READ_STEP, steps=CHUNK_STEPS)
    for _ in corpus_pass.results(context, LocalExecutor(1), None):
        pass
    changed = [f for f in corpus_pass.log.errors if f.check_id == "build.input.changed"]
    assert len(changed) == 1 and "chunk 1" in changed[0].message and changed[0].path.startswith("raw/")


def test_files_edited_in_the_last_moments_are_read_again(corpus, tmp_path):
    cache = tmp_path / "cache"
    build(corpus, releases=tmp_path / "a", statuses=("gold", "unannotated"), update_registry=False, cache=cache)
    memo = FileMemo.load(cache)
    assert memo.raw == {}  # every file was just written: none of their stamps can be trusted yet
    paths = sorted(p.relative_to(corpus).as_posix() for p in (corpus / "raw").glob("*.txt"))
    assert memo.stale_raw(RawSource.of_repository(corpus), paths) == paths
