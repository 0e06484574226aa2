"""What the CLI prints is literal: no rich markup or emoji from file names, no credentials from URLs."""

import os
import subprocess
import sys

from chronique.cli import main
from chronique.release.publish import redact_url_credentials

from conftest import make_repo, seed_only_repo


def test_a_file_name_with_emoji_and_markup_codes_is_printed_as_it_is(tmp_path, capsys):
    repo = make_repo(tmp_path / "repo")
    (repo / "raw" / "a:x:[bold]b.md").write_text("date 2020-01 Texte.")
    assert main(["validate", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "raw/a:x:[bold]b.md" in err and "❌" not in err


def test_url_credentials_are_redacted():
    assert redact_url_credentials("see http://user:pass@hub.example/x and https://tok@h/y") == \
        "see http://***@hub.example/x and https://***@h/y"
    assert redact_url_credentials("https://huggingface.co/datasets/a/b") == "https://huggingface.co/datasets/a/b"


def test_publish_dry_run_never_prints_the_credentials_of_hf_endpoint(tmp_path):
    from chronique.pipeline import build

    release = build(seed_only_repo(tmp_path), releases=tmp_path / "releases", update_registry=False).path
    env = {**os.environ, "HF_ENDPOINT": "http://alice:s3cret@127.0.0.1:9", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "chronique.cli", "publish", "--repo-id", "org/name", "--release",
                           str(release), "--version", release.name, "--dry-run", "--include-restricted"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr and "alice" not in done.stdout + done.stderr
    assert "http://***@127.0.0.1:9/datasets/org/name" in done.stdout
