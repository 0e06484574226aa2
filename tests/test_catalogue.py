"""The catalogue names every finding id the library can report, and some test makes each one fire.

The validation checks have one fixture each in tests/test_validate.py (``CASES``); the ids of the
other commands are made to fire by the tests of those commands. Here: every id the source can
emit is catalogued, every catalogued id is named by a test other than this one, findings are
built through :func:`chronique.checks.catalogue.finding`, and that constructor keeps to the
catalogue's severities.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chronique.checks import document
from chronique.checks.catalogue import CATALOGUE, CHECKS, EITHER, TOOL_FINDINGS, finding

SOURCE = Path(__file__).parents[1] / "src" / "chronique"
TESTS = Path(__file__).parent
CONSTRUCTORS = {"finding", "Finding", "catalogue_finding"}

NOT_YET_CONVERTED: tuple[str, ...] = ()
"""Where findings are still built with ``Finding(...)`` directly. Empty: every module goes through the
catalogue's constructor, and it must stay so."""

NOT_YET_COVERED: set[str] = set()
"""Catalogued ids that no test names yet. It may only shrink."""

_PREFIXES = sorted({check_id.split(".")[0] for check_id in CATALOGUE}, key=len, reverse=True)
ID_SHAPE = re.compile(rf"(?<![\w.-])(?:{'|'.join(map(re.escape, _PREFIXES))})\.[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def _modules() -> list[tuple[str, ast.AST]]:
    return [(path.relative_to(SOURCE).as_posix(), ast.parse(path.read_text("utf-8")))
            for path in sorted(SOURCE.rglob("*.py"))]


def _constructor_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in CONSTRUCTORS and node.args:
            yield node


def _template(node: ast.JoinedStr) -> re.Pattern:
    """An f-string id as a pattern: each ``{…}`` stands for one or more id characters."""
    parts = [re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z0-9-]+" for part in node.values]
    return re.compile("".join(parts))


def _is_id_template(node: ast.JoinedStr) -> bool:
    """Whether an f-string makes an id, such as ``f"L1.{kind}.json"``: it starts with a prefix and a dot, and
    its fixed parts hold no space (which a message would)."""
    fixed = [part.value for part in node.values if isinstance(part, ast.Constant)]
    return bool(node.values) and isinstance(node.values[0], ast.Constant) \
        and node.values[0].value.split(".")[0] in _PREFIXES and "." in node.values[0].value \
        and not any(" " in part for part in fixed)


def _source_ids() -> tuple[set[str], list[tuple[str, int, re.Pattern]]]:
    """The ids written out in src (outside the catalogue), and the f-strings that make ids there."""
    literals, templates = set(), []
    for name, tree in _modules():
        if name == "checks/catalogue.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ID_SHAPE.fullmatch(node.value):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and _is_id_template(node):
                templates.append((name, node.lineno, _template(node)))
    return literals, templates


def _ids_named_by_tests() -> set[str]:
    named = set()
    for path in sorted(TESTS.glob("*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.update(ID_SHAPE.findall(node.value))
    return named


def test_every_id_written_in_the_source_is_catalogued():
    literals, templates = _source_ids()
    assert sorted(literals - set(CATALOGUE)) == []
    unmatched = [(name, line, pattern.pattern) for name, line, pattern in templates
                 if not any(pattern.fullmatch(check_id) for check_id in CATALOGUE)]
    assert unmatched == []


def test_every_catalogued_id_is_emitted_somewhere():
    """No stale entry: each id is written out in the source, or is what an f-string id there gives."""
    literals, templates = _source_ids()
    stale = [check_id for check_id in CATALOGUE if check_id not in literals
             and not any(pattern.fullmatch(check_id) for _, _, pattern in templates)]
    assert stale == []


def test_a_severity_is_passed_for_an_either_id_and_only_for_one():
    wrong = []
    for name, tree in _modules():
        for call in _constructor_calls(tree):
            if call.func.id == "finding" and isinstance(call.args[0], ast.Constant):
                passed = any(keyword.arg == "severity" for keyword in call.keywords)
                if passed != (CATALOGUE[call.args[0].value].severity == EITHER):
                    wrong.append(f"{name}:{call.lineno} {call.args[0].value}")
    assert wrong == []


def test_every_catalogued_id_is_named_by_a_test():
    missing = sorted(set(CATALOGUE) - _ids_named_by_tests() - NOT_YET_COVERED)
    assert missing == [], f"no test makes these ids fire: {missing}"


def test_the_not_yet_covered_list_only_holds_uncovered_catalogued_ids():
    assert NOT_YET_COVERED <= set(CATALOGUE)
    assert NOT_YET_COVERED.isdisjoint(_ids_named_by_tests()), "a test names it now: remove it from NOT_YET_COVERED"


def test_findings_are_built_through_the_catalogue():
    direct = [f"{name}:{call.lineno}" for name, tree in _modules()
              if name != "checks/catalogue.py" and not name.startswith(NOT_YET_CONVERTED)
              for call in _constructor_calls(tree) if call.func.id == "Finding"]
    assert direct == []


def test_the_catalogue_is_the_checks_and_the_tool_findings():
    assert CATALOGUE == {**CHECKS, **TOOL_FINDINGS} and not CHECKS.keys() & TOOL_FINDINGS.keys()
    assert all(re.fullmatch(r"L[0-4]\.[a-z]+\.[a-z-]+", check_id) and info.level == int(check_id[1])
               for check_id, info in CHECKS.items())
    assert all(info.level is None for info in TOOL_FINDINGS.values())
    assert all(info.explanation and info.severity in ("error", "warning", EITHER) for info in CATALOGUE.values())
    assert all(info.severity != EITHER for info in CHECKS.values())


def test_finding_takes_its_severity_from_the_catalogue():
    assert finding("L0.license.unknown", "m", "raw/a.txt", 3).severity == "warning"
    made = finding("import.file.missing", "no such file or folder", "in/x.xmi")
    assert (made.severity, made.line, made.col, str(made)) == (
        "error", None, None, "in/x.xmi: [import.file.missing] no such file or folder")
    assert str(document.finding("L3.ref.entity", "m", "annotations/a.json", 4)) == \
        "annotations/a.json:4:1: [L3.ref.entity] m"


def test_finding_refuses_an_id_the_catalogue_lacks():
    with pytest.raises(KeyError, match="not in the catalogue"):
        finding("import.no-such-check", "m", "p")


@pytest.mark.parametrize("check_id", sorted(i for i, info in TOOL_FINDINGS.items() if info.severity == EITHER))
def test_an_either_id_needs_the_callers_severity(check_id):
    with pytest.raises(ValueError, match="pass severity"):
        finding(check_id, "m", "p")
    assert [finding(check_id, "m", "p", severity=s).severity for s in ("error", "warning")] == ["error", "warning"]


def test_a_fixed_severity_is_not_overridden():
    with pytest.raises(ValueError, match="always a warning"):
        finding("import.span.empty", "m", "p", severity="error")
    with pytest.raises(ValueError, match="always an error"):
        finding("L1.raw.date", "m", "p", severity="error")
