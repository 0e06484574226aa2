"""The command line, run as a user runs it: real subprocesses, exit codes, messages."""

import re
import subprocess
import sys

import pytest

from chronique.cli import make_parser

from conftest import make_repo, snapshot


def chronique(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "chronique.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def subcommands():
    parser = make_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_help_says_what_it_does():
    done = chronique("--help")
    assert done.returncode == 0 and "French news corpus" in done.stdout


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_has_help(command):
    done = chronique(command, "--help")
    assert done.returncode == 0
    assert len(done.stdout.split("\n\n")[1]) > 40, "the description should say what the command does"


def test_build_prints_a_summary_table(repo):
    done = chronique("build", "--repo", str(repo))
    assert done.returncode == 0, done.stderr
    assert "documents" in done.stdout and "tokens" in done.stdout and "fingerprint" in done.stdout
    assert (repo / "releases" / "0.1.0" / "manifest.json").exists()


def test_bad_input_gives_located_errors_exit_1_and_no_output(tmp_path):
    repo = make_repo(tmp_path / "repo", {"001_aaaaaaaaaaaaaaaa.txt": b"date 2020-13 Texte.", "notes.docx": b"x"})
    done = chronique("build", "--repo", str(repo))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "raw/001_aaaaaaaaaaaaaaaa.txt:1:6: [L1.raw.date] impossible or malformed date '2020-13'; hint: write the date as YYYY-MM or YYYY-MM-DD" in lines
    assert any(re.match(r"raw/notes\.docx: \[L1\.raw\.extension\] ", line) for line in lines)
    assert snapshot(repo / "releases") == {}


def test_usage_error_exits_2(repo):
    done = chronique("build", "--repo", str(repo), "--status", "bronze")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_preannotate_writes_silver_and_never_touches_gold(repo):
    make_repo(repo, {"001_0123456789abcdef.txt": "date 2020-11 Emmanuel Macron a rencontré Angela Merkel à Berlin."}, seed=False)
    done = chronique("preannotate", "0123456789abcdef", "--repo", str(repo))
    assert done.returncode == 0, done.stderr
    assert '"status": "silver"' in (repo / "annotations" / "0123456789abcdef.json").read_text("utf-8")
    before = snapshot(repo / "annotations")
    refused = chronique("preannotate", "ba88b6aa48263bfe", "--repo", str(repo))
    assert refused.returncode == 1 and "[preannotate.gold-exists]" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(repo / "annotations") == before
