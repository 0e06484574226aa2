"""One build at a time per releases folder, and killed builds leave nothing behind for long."""

import subprocess
import sys

from chronique.version import __version__
from chronique.cli import main

from conftest import make_repo


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stale_lock_and_stale_staging_folders_are_cleared_by_the_next_build(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    releases = repo / "releases"
    (releases / ".staging-0.1.0-killed").mkdir(parents=True)
    (releases / ".staging-0.1.0-killed" / "big.parquet").write_bytes(b"x" * 1000)
    (releases / ".build.lock").write_text(f"{dead_pid()}\n")
    assert main(["build", "--repo", str(repo), "--quiet"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in releases.iterdir()) == [__version__]


def test_a_live_build_holds_the_lock_and_the_other_is_told_who(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    releases = repo / "releases"
    releases.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (releases / ".build.lock").write_text(f"{sleeper.pid}\n")
        assert main(["build", "--repo", str(repo), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert f"another build is running (pid {sleeper.pid})" in err and "Traceback" not in err
        assert sorted(p.name for p in releases.iterdir()) == [".build.lock"]
    finally:
        sleeper.kill()
        sleeper.wait()
