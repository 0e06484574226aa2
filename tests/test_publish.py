"""Publishing to the Hub: the plan and dry run offline, the Hub calls against an in-process fake.

The remote Hub cannot be reached from tests; :class:`FakeHub` stands in for it, records every
call and answers with huggingface_hub's own return types.
"""

import shutil
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest
from datasets import load_dataset
from huggingface_hub import CommitInfo, GitRefInfo, GitRefs
from huggingface_hub.utils import HfHubHTTPError

from chronique.errors import InputError, UsageError
from chronique.pipeline import build
from chronique.release.publish import PublishError, describe, pinned_local_path, plan_publication, publish
from chronique.release.manifest import MANIFEST_NAME, file_sha256
from chronique.version import __version__

from conftest import PROJECT, seed_only_repo

REPO_ID = "chronique-org/chronique"
TAG = f"v{__version__}"
TOKEN = "hf_FakeTokenForTests0123456789abcdefgh"
OID = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """Records calls as (method, args, kwargs); ``fail`` maps a method name to the exception it raises."""

    def __init__(self, tags=(), fail=None):
        self.calls, self.tags, self.fail = [], list(tags), fail or {}

    def _call(self, name, args, kwargs):
        self.calls.append((name, args, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def create_repo(self, *args, **kwargs):
        self._call("create_repo", args, kwargs)
        return f"https://huggingface.co/datasets/{args[0]}"

    def list_repo_refs(self, *args, **kwargs):
        self._call("list_repo_refs", args, kwargs)
        tags = [GitRefInfo(name=t, ref=f"refs/tags/{t}", target_commit="f" * 40) for t in self.tags]
        return GitRefs(branches=[], converts=[], tags=tags)

    def upload_folder(self, *args, **kwargs):
        self._call("upload_folder", args, kwargs)
        return CommitInfo(commit_url=f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/{OID}",
                          commit_message=kwargs["commit_message"], commit_description="", oid=OID)

    def create_tag(self, *args, **kwargs):
        self._call("create_tag", args, kwargs)

    def names(self):
        return [name for name, _, _ in self.calls]


@pytest.fixture(scope="module")
def built_release(tmp_path_factory) -> Path:
    scratch = tmp_path_factory.mktemp("publish")
    return build(seed_only_repo(scratch), releases=scratch / "releases", update_registry=False).path


@pytest.fixture
def release(built_release, tmp_path) -> Path:
    """A private copy of the seed release, free to corrupt."""
    return Path(shutil.copytree(built_release, tmp_path / "releases" / __version__))


@pytest.fixture
def no_token(monkeypatch, tmp_path):
    """No token anywhere huggingface_hub looks: environment, OIDC, login file."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


def all_files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --- plan and dry run ----------------------------------------------------------------


def test_dry_run_lists_every_file_with_its_checksum_and_the_tag_and_no_token(release, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    plan = plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True)
    text = describe(plan)
    on_disk = all_files(release)
    assert MANIFEST_NAME in on_disk and any(path.endswith(".parquet") for path in on_disk)
    assert {(f.path, f.sha256) for f in plan.files} == set(on_disk.items())
    for path, digest in on_disk.items():
        assert any(line.split()[0] == digest and line.split()[-1] == path for line in text.splitlines()), path
    assert f"tag          {TAG} on that commit" in text
    assert f"https://huggingface.co/datasets/{REPO_ID}" in text and "branch main" in text
    assert (plan.repo_type, plan.branch, plan.tag) == ("dataset", "main", TAG)
    assert plan.commit_message in text
    assert TOKEN not in text and TOKEN not in repr(plan)


@pytest.mark.parametrize("repo_id", ["chronique", "org/name/extra", "/name", "org/", "org/na me", "org/-name",
                                     "org/name.git", "org/na--me", "org/café", "org/" + "n" * 97])
def test_a_bad_repo_id_is_refused(release, repo_id):
    with pytest.raises(UsageError, match="repository id"):
        plan_publication(release, repo_id=repo_id, version=__version__)


def test_a_version_other_than_the_manifests_is_refused(release):
    with pytest.raises(InputError) as caught:
        plan_publication(release, repo_id=REPO_ID, version="9.9.9")
    assert [f.check_id for f in caught.value.findings] == ["publish.version"]
    assert __version__ in str(caught.value.findings[0])


@pytest.mark.parametrize("damage, says", [
    (lambda manifest: manifest.unlink(), "no manifest: this is not a built release"),
    (lambda manifest: manifest.write_text("{not json", encoding="utf-8"), "unreadable manifest"),
])
def test_a_folder_without_a_readable_manifest_is_refused(release, damage, says):
    damage(release / MANIFEST_NAME)
    with pytest.raises(InputError) as caught:
        plan_publication(release, repo_id=REPO_ID, version=__version__)
    [problem] = caught.value.findings
    assert (problem.check_id, problem.path) == ("publish.manifest", str(release.resolve() / MANIFEST_NAME))
    assert says in problem.message


def test_a_missing_release_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        plan_publication(tmp_path / "releases" / __version__, repo_id=REPO_ID, version=__version__)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, check_id", [
    (lambda r: flip_a_byte(r / "data" / "ner" / "train-00000-of-00001.parquet"), "publish.file.changed"),
    (lambda r: (r / "README.md").unlink(), "publish.file.missing"),
    (lambda r: (r / "notes.txt").write_text("draft\n"), "publish.file.extra"),
])
def test_a_release_that_differs_from_its_manifest_is_refused(release, damage, check_id):
    damage(release)
    with pytest.raises(InputError) as caught:
        plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True)
    assert [f.check_id for f in caught.value.findings] == [check_id]


def test_a_file_corrupted_after_planning_is_refused_before_any_call(release):
    plan = plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True)
    flip_a_byte(release / "data" / "ner" / "train-00000-of-00001.parquet")
    hub = FakeHub()
    with pytest.raises(InputError, match="changed since it was planned"):
        publish(plan, api=hub, token=TOKEN)
    assert hub.calls == []


def test_without_a_token_publishing_says_how_to_log_in(release, no_token):
    plan = plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True)
    hub = FakeHub()
    with pytest.raises(UsageError, match="hf auth login"):
        publish(plan, api=hub)
    assert hub.calls == []


# --- the Hub calls -------------------------------------------------------------------


def test_publish_creates_checks_uploads_then_tags_the_uploaded_commit(release):
    plan = plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True)
    hub = FakeHub(tags=["v0.0.1"])
    result = publish(plan, api=hub, token=TOKEN)
    assert hub.calls == [
        ("create_repo", (REPO_ID,), {"repo_type": "dataset", "exist_ok": True, "token": TOKEN}),
        ("list_repo_refs", (REPO_ID,), {"repo_type": "dataset", "token": TOKEN}),
        ("upload_folder", (), {"folder_path": release.resolve(), "repo_id": REPO_ID, "repo_type": "dataset",
                               "revision": "main", "commit_message": plan.commit_message, "delete_patterns": "*",
                               "token": TOKEN}),
        ("create_tag", (REPO_ID,), {"tag": TAG, "revision": OID, "repo_type": "dataset", "token": TOKEN}),
    ]
    assert (result.tag, result.commit_oid, result.files) == (TAG, OID, len(plan.files))
    assert TOKEN not in repr(result)


def test_the_token_comes_from_the_environment_when_not_given(release, no_token, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    hub = FakeHub()
    publish(plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True), api=hub)
    assert {kwargs["token"] for _, _, kwargs in hub.calls} == {TOKEN}


def test_an_existing_tag_is_refused_before_uploading(release):
    hub = FakeHub(tags=[TAG])
    with pytest.raises(InputError, match=f"tag {TAG} already exists"):
        publish(plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True), api=hub, token=TOKEN)
    assert hub.names() == ["create_repo", "list_repo_refs"]


def http_error(status: int, text: str) -> HfHubHTTPError:
    return HfHubHTTPError(text, response=SimpleNamespace(status_code=status, headers={}, request=None))


@pytest.mark.parametrize("method, error", [
    ("create_repo", http_error(403, f"403 Forbidden: token {TOKEN} cannot write to chronique-org")),
    ("upload_folder", ConnectionError(f"connection reset; headers={{'authorization': 'Bearer {TOKEN}'}}")),
    ("create_tag", http_error(409, f"409 Conflict for token {TOKEN[::-1]}{TOKEN}")),
    ("list_repo_refs", RuntimeError(TOKEN)),
])
def test_hub_errors_become_typed_errors_without_the_token(release, method, error):
    hub = FakeHub(fail={method: error})
    with pytest.raises(PublishError) as caught:
        publish(plan_publication(release, repo_id=REPO_ID, version=__version__, include_restricted=True), api=hub, token=TOKEN)
    message = str(caught.value)
    assert TOKEN not in message and TOKEN not in repr(caught.value.args)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert hub.names()[-1] == method
    if method == "create_tag":
        assert OID in message and "uploaded but not tagged" in message


# --- reading a published version offline ---------------------------------------------


def test_pinned_local_path_is_a_typed_error_when_nothing_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    # huggingface_hub reads HF_HOME once, at import: point its cache where a fresh process would.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    with pytest.raises(UsageError, match=f"{REPO_ID} {TAG} is not"):
        pinned_local_path(REPO_ID, __version__)


def test_pinned_local_path_resolves_the_tag_in_the_hub_cache_and_loads(built_release, tmp_path):
    """A Hub cache laid out as snapshot_download leaves it: refs/<tag> names the snapshot."""
    storage = tmp_path / "hub" / f"datasets--{REPO_ID.replace('/', '--')}"
    shutil.copytree(built_release, storage / "snapshots" / OID)
    (storage / "refs").mkdir()
    (storage / "refs" / TAG).write_text(OID)
    path = pinned_local_path(REPO_ID, __version__, cache_dir=tmp_path / "hub")
    assert path == storage / "snapshots" / OID
    ner = load_dataset(str(path), "ner", split="train", cache_dir=str(tmp_path / "datasets"))
    assert ner.num_rows == 10
    with pytest.raises(UsageError):
        pinned_local_path(REPO_ID, "9.9.9", cache_dir=tmp_path / "hub")
