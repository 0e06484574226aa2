"""The public API is the top level of the package: build, validate and load, with their records."""

import chronique

from conftest import seed_only_repo


def test_everything_in_all_is_importable_from_the_top_level():
    for name in chronique.__all__:
        assert getattr(chronique, name) is not None, name
    assert {"build", "validate", "load", "BuildResult", "ValidationReport"} <= set(chronique.__all__)


def test_build_and_validate_from_the_top_level_report_their_records(tmp_path):
    repo = seed_only_repo(tmp_path)
    report = chronique.validate(repo)
    assert isinstance(report, chronique.ValidationReport) and report.errors == []
    cache = tmp_path / "cache"
    first = chronique.build(repo, releases=tmp_path / "a", update_registry=False, cache=cache)
    again = chronique.build(repo, releases=tmp_path / "b", update_registry=False, cache=cache)
    assert isinstance(first, chronique.BuildResult) and first.fingerprint == again.fingerprint
    # the build says how much of its work came from the cache
    assert (first.chunks, first.cache_hits) == (1, 0) and (again.chunks, again.cache_hits) == (1, 1)
