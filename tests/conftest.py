"""Shared fixtures: small repositories built on disk, and the real seed and external data."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parents[1]
SEED_NAME = "000_ba88b6aa48263bfe.txt"
SEED_ID = "ba88b6aa48263bfe"
EXTERNAL = PROJECT.parent / "shared" / "external"


def external(relative: str) -> Path:
    """A file of ../shared/external, or a skip with the reason when it is absent."""
    path = EXTERNAL / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared/external is only beside a CI or developer checkout")
    return path


def make_repo(root: Path, articles: dict[str, str | bytes] | None = None, *, seed: bool = True,
              annotations: dict[str, str] | None = None, licensed: bool = True) -> Path:
    """A repository folder with raw/ and annotations/, optionally holding the seed and its gold annotation.

    With ``licensed``, every added ``NNN_<hex>.txt`` article gets a CC-BY-4.0 line in annotations/sources.tsv.
    """
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    if not (root / "CITATION.cff").exists():
        shutil.copyfile(PROJECT / "CITATION.cff", root / "CITATION.cff")  # the one source of a release's citation
    sources = root / "annotations" / "sources.tsv"
    if seed:
        shutil.copyfile(PROJECT / "raw" / SEED_NAME, root / "raw" / SEED_NAME)
        shutil.copyfile(PROJECT / "annotations" / f"{SEED_ID}.json", root / "annotations" / f"{SEED_ID}.json")
        seed_lines = [line for line in (PROJECT / "annotations" / "sources.tsv").read_text("utf-8").splitlines(keepends=True)
                      if line.startswith("#") or line.startswith(SEED_ID)]
        sources.write_text("".join(seed_lines), encoding="utf-8")
    for name in articles or {}:
        numbered = re.match(r"^\d+_([0-9a-f]{8,64})\.txt$", name)
        if licensed and numbered:
            with sources.open("a", encoding="utf-8") as handle:
                handle.write(f"{numbered.group(1)}\tCC-BY-4.0\tcomposed\ttest fixture\t\t\t\t\n")
    for name, content in (articles or {}).items():
        path = root / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name, content in (annotations or {}).items():
        (root / "annotations" / name).write_text(content, encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes, to show that nothing changed."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def seed_only_repo(folder: Path) -> Path:
    """A repository below ``folder`` holding only the seed, its annotation and its source line,
    so that tests of the seed's figures do not change as the project's corpus grows."""
    return make_repo(folder / "seed-repo")


@pytest.fixture
def memory_url():
    """A fresh folder of fsspec's in-memory file system, removed afterwards (the store is the process's)."""
    import uuid

    import fsspec

    url = f"memory://chronique-{uuid.uuid4().hex[:8]}"
    yield url
    fs, folder = fsspec.core.url_to_fs(url)
    if fs.exists(folder):
        fs.rm(folder, recursive=True)


def copy_raw(repo: Path, url: str) -> None:
    """Every file of ``repo``'s raw/ (dotfiles too) at the same place below the fsspec ``url``."""
    import fsspec

    fs, folder = fsspec.core.url_to_fs(url)
    for path in sorted((repo / "raw").rglob("*")):
        if path.is_file():
            fs.pipe(f"{folder}/{path.relative_to(repo / 'raw').as_posix()}", path.read_bytes())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def cache_dir(tmp_path: Path) -> str:
    """A fresh datasets cache: a README-configured folder is cached by name and README hash."""
    return str(tmp_path / "hf-cache")


def error_ids(error) -> list[str]:
    """The sorted check ids of the errors (not warnings) an exception carries."""
    return sorted(f.check_id for f in error.findings if f.severity == "error")


@pytest.fixture(scope="session")
def seed_release(tmp_path_factory) -> tuple[Path, str]:
    """The seed's release, built once for the whole run from the project's raw/ and annotations/,
    and a datasets cache folder for it. Tests read it and never write into it."""
    from chronique.pipeline import build

    root = tmp_path_factory.mktemp("seed-release")
    repo = make_repo(root / "repo")
    return build(repo, releases=root / "releases", update_registry=False).path, str(root / "hf-cache")


@pytest.fixture(scope="session")
def seed_rows(seed_release) -> dict:
    """The seed's ``documents`` and ``ner`` rows, through the real ``load_dataset``."""
    from datasets import load_dataset

    path, cache = seed_release
    return {config: list(load_dataset(str(path), config, split="train", cache_dir=cache)) for config in ("documents", "ner")}
