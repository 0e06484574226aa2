"""Raw articles read from elsewhere than raw/: another local folder, or a folder at an fsspec URL
(``memory://`` here, in this process; ``file://`` on Ray in test_executors). The release holds the
same documents, their provenance names where each was read, and problems are located as usual."""

import shutil

import fsspec
import pyarrow.parquet as pq
import pytest

from chronique.cli import main
from chronique.errors import FindingLog, InputError, UsageError
from chronique.pipeline import build, validate
from chronique.run.survey import FileMemo
from chronique.store.raw_files import RawSource

from conftest import copy_raw, make_repo
from test_scale import articles


ARTICLES = articles(10)
NESTED = sorted(ARTICLES)[-1]
"""The last article, kept in a sub-folder: keys and order must hold below the top."""


@pytest.fixture
def repo(tmp_path):
    made = make_repo(tmp_path / "repo", ARTICLES)
    (made / "raw" / "2021").mkdir()
    (made / "raw" / NESTED).rename(made / "raw" / "2021" / NESTED)
    return made


def rows(release, where: str | None = None) -> list[tuple[str, dict]]:
    """Every row of every table of ``release``, with ``<raw>`` in place of ``where`` (the raw files' folder) in provenance."""
    found = []
    for path in sorted((release / "data").rglob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            if "provenance" in row and where is not None:
                row["provenance"]["raw_path"] = row["provenance"]["raw_path"].replace(where, "<raw>", 1)
            found.append((path.relative_to(release).as_posix(), row))
    return found


def build_from(repo, releases, **options):
    return build(repo, releases=releases, statuses=("gold", "unannotated"), update_registry=False, **options)


def test_a_memory_url_gives_the_release_of_raw_with_provenance_naming_the_url(repo, tmp_path, memory_url):
    copy_raw(repo, memory_url)
    local = build_from(repo, tmp_path / "local")
    remote = build_from(repo, tmp_path / "remote", raw=memory_url)
    assert remote.rows == local.rows and remote.rows["documents"]["train"] + remote.rows["documents"].get("test", 0) > 5
    assert rows(remote.path, f"{memory_url}/") == rows(local.path, "raw/")
    paths = {row["provenance"]["raw_path"] for _, row in rows(remote.path) if "provenance" in row}
    assert f"{memory_url}/2021/{NESTED}" in paths and all(p.startswith(memory_url) for p in paths)


def test_a_folder_outside_the_repository_is_read_like_raw(repo, tmp_path):
    elsewhere = tmp_path / "archive"
    shutil.copytree(repo / "raw", elsewhere)
    local = build_from(repo, tmp_path / "local")
    outside = build_from(repo, tmp_path / "outside", raw=str(elsewhere))
    assert rows(outside.path, f"{elsewhere.as_posix()}/") == rows(local.path, "raw/")


def test_a_remote_folder_is_walked_in_the_order_of_a_local_one(tmp_path, memory_url):
    names = ["b.txt", "a-c.txt", "a/z.txt", "a/b/c.txt", ".hidden.txt", "a/.gitkeep", "A.txt", "é.txt"]
    local = tmp_path / "folder"
    for name in names:
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_text("date 2021-01 Texte.", encoding="utf-8")
    fs, folder = fsspec.core.url_to_fs(memory_url)
    for name in names:
        fs.pipe(f"{folder}/{name}", b"date 2021-01 Texte.")
    on_disk = RawSource.at(str(local), tmp_path)
    in_memory = RawSource.at(memory_url, tmp_path)
    local_order = [on_disk.inside(f.key) for f in on_disk.files(FindingLog())]
    assert local_order == ["A.txt", "a/b/c.txt", "a/z.txt", "a-c.txt", "b.txt", "é.txt"]  # folder by folder, by name
    assert [in_memory.inside(f.key) for f in in_memory.files(FindingLog())] == local_order


def test_a_bad_remote_file_is_reported_at_its_url_and_line(repo, tmp_path, memory_url):
    copy_raw(repo, memory_url)
    fs, folder = fsspec.core.url_to_fs(memory_url)
    fs.pipe(f"{folder}/020_bbbbbbbbbbbbbbbb.jsonl",
            b'{"id": "good0000", "date": "2021-02-03", "text": "Un texte.", "license": "CC-BY-4.0", "origin": "composed"}\n'
            b'{"id": "bad00000", "date": "2021-13", "text": "x"}\n')
    with pytest.raises(InputError) as raised:
        build_from(repo, tmp_path / "rel", raw=memory_url)
    located = [f"{f.path}:{f.line}: [{f.check_id}]" for f in raised.value.findings if f.severity == "error"]
    assert located == [f"{memory_url}/020_bbbbbbbbbbbbbbbb.jsonl:2: [L1.raw.date]"]
    assert not (tmp_path / "rel").exists() or not any((tmp_path / "rel").iterdir())
    report = validate(repo, raw=memory_url)
    assert [f"{f.path}:{f.line}: [{f.check_id}]" for f in report.errors] == located


def test_remote_files_are_learnt_every_build_and_their_chunks_still_come_from_the_cache(repo, tmp_path, memory_url):
    copy_raw(repo, memory_url)
    cache = tmp_path / "cache"
    first = build_from(repo, tmp_path / "a", raw=memory_url, cache=cache)
    assert FileMemo.load(cache).raw == {}  # no stamp to trust: nothing remembered of a remote file
    second = build_from(repo, tmp_path / "b", raw=memory_url, cache=cache)
    assert second.cache_hits == second.chunks and second.fingerprint == first.fingerprint
    fs, folder = fsspec.core.url_to_fs(memory_url)
    name = f"{folder}/{sorted(ARTICLES)[2]}"
    fs.pipe(name, fs.cat_file(name).replace(b"Lyon", b"Brest"))  # same size: only the content tells
    third = build_from(repo, tmp_path / "c", raw=memory_url, cache=cache)
    assert third.fingerprint != first.fingerprint and third.chunks - third.cache_hits == 1
    fresh = build_from(repo, tmp_path / "d", raw=memory_url)
    assert fresh.fingerprint == third.fingerprint


@pytest.mark.parametrize("where, message", [
    ("memory://no-such-folder-here", "is not a folder of raw articles"),
    ("nosuchprotocol://bucket/crawl", "cannot read nosuchprotocol://bucket/crawl"),
    ("{tmp}/missing", "is not a folder of raw articles"),
])
def test_a_raw_location_that_cannot_be_read_is_a_usage_error(repo, tmp_path, capsys, where, message):
    where = where.format(tmp=tmp_path)
    with pytest.raises(UsageError, match="cannot read|is not a folder"):
        RawSource.at(where, repo)
    for command in (["validate"], ["build", "--releases", str(tmp_path / "rel")]):
        assert main([*command, "--repo", str(repo), "--raw", where]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "rel").exists()


def test_the_build_command_reads_a_memory_url(repo, tmp_path, memory_url, capsys):
    copy_raw(repo, memory_url)
    assert main(["build", "--repo", str(repo), "--releases", str(tmp_path / "rel"), "--status", "gold", "unannotated",
                 "--no-registry-update", "--raw", memory_url, "--quiet"]) == 0
    [release] = (tmp_path / "rel").iterdir()
    assert all(row["provenance"]["raw_path"].startswith(memory_url)
               for row in pq.read_table(release / "data" / "documents" / "train-00000-of-00001.parquet").to_pylist())
