"""Inputs a careless or malicious contributor might commit.

For each, `chronique validate` and `chronique build` must end with exit code 1 and
located findings: no traceback, no hang, nothing read outside the repository, and
nothing written anywhere.
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

import pytest

from chronique.store.annotations import dumps_annotation
from chronique.cli import main

from conftest import SEED_ID, SEED_NAME, make_repo, snapshot

SECRET = "TOP-SECRET-OUTSIDE-THE-REPOSITORY"


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging."""
    def expire(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def edit_seed(repo, change):
    path = repo / "annotations" / f"{SEED_ID}.json"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(dumps_annotation(data), encoding="utf-8")


def big_article(repo):
    with (repo / "raw" / "big.txt").open("wb") as handle:
        handle.write(b"date 2020-11 ")
        handle.truncate(50 * 1024 * 1024)


def outside_symlink(repo):
    secret = repo.parent / "secret.txt"
    secret.write_text(f"date 2020-11 {SECRET}")
    (repo / "raw" / "001_0123456789abcdef.txt").symlink_to(secret)


HOSTILE = {
    "binary garbage": lambda r: (r / "raw" / "garbage.txt").write_bytes(bytes(range(256)) * 64),
    "latin-1 text": lambda r: (r / "raw" / "latin.txt").write_bytes("date 2020-11 Élysée".encode("latin-1")),
    "byte-order mark": lambda r: (r / "raw" / "bom.txt").write_bytes(b"\xef\xbb\xbfdate 2020-11 Texte."),
    "CRLF": lambda r: (r / "raw" / "crlf.txt").write_bytes(b"date 2020-11\r\nTexte.\r\n"),
    "NUL bytes": lambda r: (r / "raw" / "nul.txt").write_bytes(b"date 2020-11 \x00\x00\x00"),
    "empty file": lambda r: (r / "raw" / "empty.txt").write_bytes(b""),
    "50 MB article": big_article,
    "JSON nested 100 000 levels": lambda r: (r / "annotations" / f"{SEED_ID}.json").write_text("[" * 100_000 + "]" * 100_000),
    "offset beyond the text": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(start=10**9, end=10**9 + 5)),
    "negative offset": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(start=-4)),
    "start after end": lambda r: edit_seed(r, lambda d: d["mentions"][0].update(start=30, end=20)),
    "doc id ../../etc/passwd": lambda r: (r / "raw" / "bulk.jsonl").write_text(
        json.dumps({"id": "../../etc/passwd", "date": "2020-11", "text": "x", "license": "CC0-1.0"}) + "\n"),
    "duplicate ids": lambda r: (r / "raw" / "bulk.jsonl").write_text(
        json.dumps({"id": SEED_ID, "date": "2020-11", "text": "x", "license": "CC0-1.0"}) + "\n"),
    "stance pointing at a missing entity": lambda r: edit_seed(r, lambda d: d["stances"][0].update(target="e404", target_kind="entity")),
    "symlink in raw/ pointing outside": outside_symlink,
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_is_refused_cleanly(tmp_path, capsys, case):
    repo = make_repo(tmp_path / "repo")
    HOSTILE[case](repo)
    before = snapshot(tmp_path)
    with time_limit(120):
        assert main(["validate", "--repo", str(repo)]) == 1
        assert main(["build", "--repo", str(repo)]) == 1
        assert main(["reanchor", "--repo", str(repo), "--dry-run"]) in (0, 1)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and SECRET not in out + err
    assert any("[L" in line for line in err.splitlines()), err
    assert snapshot(tmp_path) == before
