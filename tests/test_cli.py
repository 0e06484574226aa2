"""The command line, run as a user runs it: real subprocesses, exit codes, messages."""

import json
import re
import subprocess
import sys

import pytest

from chronique.version import __version__
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
    assert (repo / "releases" / __version__ / "manifest.json").exists()


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


def test_validate_exit_codes_json_and_max_errors(repo):
    clean = chronique("validate", "--repo", str(repo))
    assert clean.returncode == 0 and "valid: 0 error(s), 1 warning(s)" in clean.stdout
    assert "[L0.license.unknown] warning: " in clean.stderr
    make_repo(repo, {f"00{i}_{i:016x}.txt": f"date 2020-1{i} Texte." for i in range(3, 6)}, seed=False)
    broken = chronique("validate", "--repo", str(repo), "--max-errors", "1")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert len([line for line in broken.stderr.splitlines() if "[L1.raw.date]" in line]) == 1
    assert "2 more error(s) not shown" in broken.stderr
    as_json = chronique("validate", "--repo", str(repo), "--format", "json")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and report["valid"] is False and report["errors"] == 3
    assert {f["check_id"] for f in report["findings"] if f["severity"] == "error"} == {"L1.raw.date"}
    assert chronique("validate", "--repo", str(repo), "--max-errors", "-1").returncode == 2
    assert chronique("validate", "--format", "xml").returncode == 2


def test_list_checks_names_every_check():
    from chronique.checks.catalogue import CHECKS as CATALOGUE

    done = chronique("validate", "--list-checks")
    assert done.returncode == 0
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == list(CATALOGUE)
