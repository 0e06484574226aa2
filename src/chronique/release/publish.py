"""Publishing a release to the Hugging Face Hub, and pinning a published version offline.

``chronique publish`` is three steps, each usable on its own:

- :func:`plan_publication` checks a release folder (its manifest's version and every file's
  SHA-256) and lists exactly what would be sent where; it is pure and never touches the network.
- :func:`describe` renders a plan as the dry-run text.
- :func:`publish` carries a plan out: create the dataset repository if needed, refuse if the
  tag ``v<version>`` exists, upload the release folder in one commit to ``main`` (deleting
  remote files that are not in the release, so that the tag holds the release and nothing
  else), then tag that commit ``v<version>``.

The token is read only by :func:`publish` (argument, else ``huggingface_hub.get_token()``:
``HF_TOKEN`` or ``hf auth login``) and never appears in a plan, a result, the dry-run text or
an error: every exception raised by a Hub call is converted to :class:`PublishError` whose
message is redacted and which does not chain the original exception.

Pinning a published version offline, a trap
-------------------------------------------
With ``HF_HUB_OFFLINE=1``, ``load_dataset("ORG/NAME", "ner", revision="v0.1.0")`` does **not**
load v0.1.0: ``datasets`` cannot resolve the revision offline, falls back to
``CachedDatasetModuleFactory`` and loads the most recently written cache folder of
``ORG___NAME`` whatever its revision; even a revision that never existed loads without error.
Measured with datasets 5.2.0: with v0.1.0 (10 ``ner`` rows) cached first and a later 3-row
version cached after it, ``revision="v0.1.0"``, ``"v0.2.0"``, ``"v9.9.9"`` and ``None`` all
returned the 3 rows (reported upstream as huggingface/datasets#7928). The safe way resolves
the tag in the Hub cache, where ``snapshot_download`` recorded it, and loads the folder::

    from datasets import load_dataset
    from huggingface_hub import snapshot_download

    # once, online: snapshot_download("ORG/NAME", repo_type="dataset", revision="v0.1.0")
    path = snapshot_download("ORG/NAME", repo_type="dataset", revision="v0.1.0", local_files_only=True)
    ner = load_dataset(path, "ner")

:func:`pinned_local_path` is that ``snapshot_download`` call, with a typed error when the
version is not cached.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from chronique.errors import ChroniqueError, Finding, InputError, UsageError
from chronique.schema import SEMVER
from chronique.release.manifest import (MANIFEST_DIGEST_NAME, MANIFEST_NAME, FileDifference, FileEntry, Manifest,
                                        ManifestError, file_checksums, file_differences, file_sha256, read_manifest)
from chronique.checks.catalogue import finding

if TYPE_CHECKING:
    from huggingface_hub import HfApi

REPO_TYPE = "dataset"
BRANCH = "main"
# The upload commit deletes every remote file the release does not re-add, so that the tag holds
# the release and nothing else (upload_folder never deletes .gitattributes).
DELETE_PATTERNS = "*"
LOGIN_HINT = "run `hf auth login` with a token that can write to the organisation, or set HF_TOKEN"
# Shapes of Hugging Face tokens and Authorization headers, redacted even when they are not ours.
_SECRET_SHAPES = re.compile(r"\bhf_[A-Za-z0-9]{8,}|(?i:bearer)\s+\S+")
_MAX_DETAIL = 400
# ``scheme://user:password@host``: the credentials of any URL we print (HF_ENDPOINT may carry them)
_URL_CREDENTIALS = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


class PublishError(ChroniqueError):
    """The Hub refused a step or could not be reached. The message never carries the token."""


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    """One file to upload: its path relative to the release folder, size and SHA-256."""

    path: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class PublicationPlan:
    """Exactly what :func:`publish` sends and where. Holds no credential."""

    release: Path
    version: str
    fingerprint: str
    repo_id: str
    repo_type: str
    branch: str
    tag: str
    commit_message: str
    endpoint: str = field(repr=False)  # as configured, credentials included: for the API only, never shown
    files: tuple[ReleaseFile, ...] = ()

    @property
    def url(self) -> str:
        """The dataset's address as it may be shown: without any user:password part of the endpoint."""
        return f"{redact_url_credentials(self.endpoint)}/datasets/{self.repo_id}"

    @property
    def total_bytes(self) -> int:
        return sum(f.bytes for f in self.files)


@dataclass(frozen=True)
class PublishResult:
    repo_id: str
    url: str
    tag: str
    commit_oid: str
    commit_url: str
    files: int


# --- planning (pure) ----------------------------------------------------------------


def validate_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it is ``ORG/NAME`` under the Hub's naming rules, else raise :class:`UsageError`."""
    from huggingface_hub.utils import HFValidationError
    from huggingface_hub.utils import validate_repo_id as hub_validate

    org, slash, name = repo_id.partition("/")
    if not (org and slash and name) or "/" in name:
        raise UsageError(f"repository id {repo_id!r} is not ORG/NAME (for example my-org/chronique)")
    try:
        hub_validate(repo_id)
    except HFValidationError as error:
        raise UsageError(f"repository id {repo_id!r} breaks the Hub's naming rules: {error}") from None
    return repo_id


def _validate_version(version: str) -> str:
    if not SEMVER.match(version):
        raise UsageError(f"version {version!r} is not MAJOR.MINOR.PATCH (for example 0.1.0)")
    return version


def _problem(check_id: str, message: str, path: Path, hint: str | None = None) -> Finding:
    return finding(check_id, message, str(path), hint=hint)


_REBUILD_HINT = "rebuild the release with chronique build"


def _read_manifest(release: Path, version: str) -> tuple[Manifest | None, list[Finding]]:
    where = release / MANIFEST_NAME
    try:
        manifest = read_manifest(release)
    except ManifestError as error:
        return None, _manifest_findings(where, error)
    if manifest.version != version:
        return manifest, [_problem("publish.version", f"the manifest is version {manifest.version!r}, "
                                   f"not the requested {version!r}", where,
                                   f"pass --version {manifest.version} or choose the folder of {version}")]
    return manifest, []


def _manifest_findings(where: Path, error: ManifestError) -> list[Finding]:
    """``publish.manifest``: the manifest is absent, unreadable, or lacks what publishing needs."""
    if error.kind == "missing":
        return [_problem("publish.manifest", "no manifest: this is not a built release", where,
                         "publish a folder written by chronique build")]
    if error.kind == "unreadable":
        return [_problem("publish.manifest", f"unreadable manifest: {error.cause}", where)]
    if error.fields() & {None, "files"}:
        return [_problem("publish.manifest", "the manifest has no files table", where, _REBUILD_HINT)]
    if missing := [key for key in ("version", "fingerprint") if key in error.fields()]:
        return [_problem("publish.manifest", f"the manifest lacks {', '.join(missing)}", where, _REBUILD_HINT)]
    return [_problem("publish.manifest", problem.message, where, _REBUILD_HINT) for problem in error.problems]


def verify_release_files(release: Path, listed: dict[str, FileEntry], files: tuple[ReleaseFile, ...]) -> list[Finding]:
    """Every difference between the ``files`` of ``release`` (but the manifest) and the manifest's ``files`` table."""
    found = {f.path: FileEntry(f.sha256, f.bytes) for f in files if f.path not in (MANIFEST_NAME, MANIFEST_DIGEST_NAME)}
    return [_file_problem(release / difference.path, difference)
            for difference in file_differences(release, listed, found)]


def _file_problem(path: Path, difference: FileDifference) -> Finding:
    if difference.change == "missing":
        return _problem("publish.file.missing", "listed in the manifest but absent", path)
    if difference.change == "unlisted":
        return _problem("publish.file.extra", "not listed in the manifest: it would be published", path,
                        "remove it, or rebuild the release")
    expected, found = difference.listed, difference.found
    return _problem("publish.file.changed", f"expected {expected.bytes} bytes, sha256 {expected.sha256}; "
                    f"found {found.bytes} bytes, sha256 {found.sha256}", path,
                    "a release is immutable: rebuild it under a new version")


def _release_files(release: Path) -> tuple[ReleaseFile, ...]:
    files = {path: (entry.bytes, entry.sha256) for path, entry in file_checksums(release).items()}
    for name in (MANIFEST_NAME, MANIFEST_DIGEST_NAME):  # the two files the manifest cannot list
        if (release / name).is_file():
            files[name] = ((release / name).stat().st_size, file_sha256(release / name))
    return tuple(ReleaseFile(path, size, digest) for path, (size, digest) in sorted(files.items()))


def restricted_findings(release: Path, manifest: Manifest) -> list[Finding]:
    """One finding per document whose text may not be redistributed (its licence is unknown or does not allow it)."""
    from chronique.release.card import restricted_texts

    return [finding("publish.restricted", f"document {r['doc_id']} has licence {r['license']} (origin {r['origin']}, "
                    f"source {r['source'] or 'unknown'}): its text may not be redistributed", str(release / MANIFEST_NAME),
                    hint="leave it out of the release, or pass --include-restricted to upload it anyway (the card "
                    "lists it under 'Restricted texts')")
            for r in restricted_texts(manifest.statistics)]


def plan_publication(release: Path, *, repo_id: str, version: str, include_restricted: bool = False) -> PublicationPlan:
    """Check ``release`` and list what publishing it as ``version`` to ``repo_id`` sends.

    Raises :class:`UsageError` for a bad repository id or version or a missing folder, and
    :class:`InputError` (one finding per problem) when the manifest is missing, has another
    version, or any file differs from it: missing, extra, other size or other SHA-256.
    """
    from huggingface_hub import constants

    validate_repo_id(repo_id)
    _validate_version(version)
    release = Path(release).resolve()
    if not release.is_dir():
        raise UsageError(f"release folder {release} does not exist (run chronique build)")
    manifest, problems = _read_manifest(release, version)
    files = _release_files(release) if manifest is not None and not problems else ()
    if files:
        problems = verify_release_files(release, manifest.files, files)
    if not problems and not include_restricted:
        problems = restricted_findings(release, manifest)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise InputError(f"release {release} not published: {len(problems)} {noun}", problems)
    return PublicationPlan(
        release=release, version=version, fingerprint=manifest.fingerprint, repo_id=repo_id,
        repo_type=REPO_TYPE, branch=BRANCH, tag=f"v{version}",
        commit_message=f"Publish chronique {version} (fingerprint {manifest.fingerprint[:16]})",
        endpoint=constants.ENDPOINT.rstrip("/"), files=files,
    )


def describe(plan: PublicationPlan) -> str:
    """What :func:`publish` sends and where, file by file, and the tag. Never mentions a token's value."""
    width = max(len(f"{f.bytes:,}") for f in plan.files)
    lines = [
        f"chronique {plan.version} -> {plan.url}",
        f"  release      {plan.release}",
        f"  fingerprint  {plan.fingerprint}",
        f"  target       {plan.repo_type} repository {plan.repo_id}, branch {plan.branch} (created if absent)",
        f"  commit       {plan.commit_message!r}; remote files not in the release are deleted by it "
        "(.gitattributes is kept)",
        f"  tag          {plan.tag} on that commit; refused before any upload if {plan.tag} already exists",
        "  token        read from HF_TOKEN or `hf auth login` only when publishing; never shown",
        f"{len(plan.files)} files, {plan.total_bytes:,} bytes:",
    ]
    lines += [f"  {f.sha256}  {f.bytes:>{width},}  {f.path}" for f in plan.files]
    return "\n".join(lines)


# --- publishing (network) -----------------------------------------------------------


def redact_url_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it replaced by ``***@``."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def _redact(text: str, token: str) -> str:
    text = redact_url_credentials(_SECRET_SHAPES.sub("***", text))
    # Replacing a very short string would shred the message; such a "token" withholds it instead.
    if len(token) >= 8:
        text = text.replace(token, "***")
    text = text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "…"
    return "(details withheld: they contained the token)" if token and token in text else text


@contextmanager
def _hub_step(step: str, plan: PublicationPlan, token: str) -> Iterator[None]:
    """Convert whatever a Hub call raises into a :class:`PublishError` that cannot carry the token.

    Deliberately broad: huggingface_hub's transport errors change with its version (requests,
    httpx, httpx2) and any of them may quote a request; ``from None`` keeps the original,
    unredacted exception out of tracebacks and logs.
    """
    try:
        yield
    except ChroniqueError:
        raise
    except Exception as error:  # noqa: BLE001 - see the docstring
        status = getattr(getattr(error, "response", None), "status_code", None)
        kind = type(error).__name__ + (f", HTTP {status}" if isinstance(status, int) else "")
        detail = _redact(" ".join(str(error).split()), token)
        hint = f"; {LOGIN_HINT}" if status in (401, 403) else ""
        raise PublishError(f"{step} on {plan.url} failed ({kind}): {detail}{hint}") from None


def resolve_token(token: str | None = None) -> str:
    """``token``, else the one huggingface_hub finds (``HF_TOKEN``, then the login file), else :class:`UsageError`."""
    if token:
        return token
    from huggingface_hub import get_token

    try:
        found = get_token()
    except Exception as error:  # noqa: BLE001 - e.g. a failed OIDC exchange; its text is not ours to show
        raise UsageError(f"could not read a Hugging Face token ({type(error).__name__}); {LOGIN_HINT}") from None
    if not found:
        raise UsageError(f"no Hugging Face token found: {LOGIN_HINT}")
    return found


def _check_unchanged(plan: PublicationPlan) -> None:
    """Refuse when the release folder changed since it was planned (and described)."""
    if not plan.release.is_dir() or _release_files(plan.release) != plan.files:
        raise InputError(f"release {plan.release} changed since it was planned; nothing was sent: plan again")


def publish(plan: PublicationPlan, *, api: HfApi | None = None, token: str | None = None) -> PublishResult:
    """Carry out ``plan``: create the repository, refuse an existing tag, upload, tag the upload's commit.

    Raises :class:`UsageError` without a token, :class:`InputError` when the tag exists (nothing
    is uploaded) or the folder changed since planning, and :class:`PublishError` when a Hub call
    fails; the message then says which step, and a failure to tag says the upload happened.
    """
    _check_unchanged(plan)
    token = resolve_token(token)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=plan.endpoint)
    with _hub_step("creating the repository", plan, token):
        api.create_repo(plan.repo_id, repo_type=plan.repo_type, exist_ok=True, token=token)
    with _hub_step("listing tags", plan, token):
        tags = {ref.name: ref.target_commit for ref in api.list_repo_refs(plan.repo_id, repo_type=plan.repo_type,
                                                                          token=token).tags}
    if plan.tag in tags:
        raise InputError(f"tag {plan.tag} already exists on {plan.url} (commit {tags[plan.tag]}); nothing was "
                         "uploaded: a published version is immutable, bump the version to publish other content")
    with _hub_step("uploading the release", plan, token):
        commit = api.upload_folder(folder_path=plan.release, repo_id=plan.repo_id, repo_type=plan.repo_type,
                                   revision=plan.branch, commit_message=plan.commit_message,
                                   delete_patterns=DELETE_PATTERNS, token=token)
    with _hub_step(f"tagging commit {commit.oid} as {plan.tag} (uploaded but not tagged: run the same "
                   "chronique publish again to tag it)", plan, token):
        api.create_tag(plan.repo_id, tag=plan.tag, revision=commit.oid, repo_type=plan.repo_type, token=token)
    return PublishResult(repo_id=plan.repo_id, url=plan.url, tag=plan.tag, commit_oid=commit.oid,
                         commit_url=redact_url_credentials(commit.commit_url), files=len(plan.files))


# --- reading a published version offline --------------------------------------------


def pinned_local_path(repo_id: str, version: str, *, cache_dir: Path | None = None) -> Path:
    """The cached snapshot of tag ``v<version>`` of the dataset ``repo_id``, without the network.

    Pass the result to ``load_dataset(str(path), config)``; see the module docstring for why
    ``load_dataset(repo_id, revision=...)`` is not safe offline. Raises :class:`UsageError`
    when that version is not (completely) in the Hub cache.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import LocalEntryNotFoundError

    validate_repo_id(repo_id)
    tag = f"v{_validate_version(version)}"
    try:
        path = snapshot_download(repo_id, repo_type=REPO_TYPE, revision=tag, local_files_only=True,
                                 cache_dir=str(cache_dir) if cache_dir else None)
    except LocalEntryNotFoundError as error:
        raise UsageError(f"{repo_id} {tag} is not (completely) in the Hugging Face cache: {error}; download it once "
                         f"online with snapshot_download({repo_id!r}, repo_type='dataset', revision={tag!r})") from None
    return Path(path)
