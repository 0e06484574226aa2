"""Findings and typed errors.

The library never prints and never exits: it records :class:`Finding` objects
and raises :class:`ChroniqueError` subclasses. Only :mod:`chronique.cli` turns
them into messages and exit codes.

A finding renders as ``path:line:col: [check-id] message; hint: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located in a file and named by a stable check id."""

    check_id: str
    message: str
    path: str
    line: int | None = None
    col: int | None = None
    severity: Severity = "error"
    hint: str | None = None

    def location(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def __str__(self) -> str:
        severity = "" if self.severity == "error" else f"{self.severity}: "
        text = f"{self.location()}: [{self.check_id}] {severity}{self.message}"
        if self.hint:
            text += f"; hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "check_id": self.check_id,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class FindingLog:
    """Collects findings while a stream is processed, so that all are reported at once."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)


class ChroniqueError(Exception):
    """Base of every error the library raises on purpose.

    ``exit_code`` is what the CLI exits with: 1 for bad data, 2 for bad usage.
    """

    exit_code = 1

    def __init__(self, message: str, findings: Iterable[Finding] = ()):
        super().__init__(message)
        self.findings = list(findings)


class InputError(ChroniqueError):
    """The repository's data (raw articles, annotations, registry) is invalid."""


class ReleaseExistsError(ChroniqueError):
    """A release directory exists with different content: the version must be bumped."""


class UsageError(ChroniqueError):
    """The caller asked for something that does not exist or makes no sense."""

    exit_code = 2


def raise_if_errors(log: FindingLog, what: str) -> None:
    """Raise :class:`InputError` carrying every error in ``log``, if there is any."""
    errors = log.errors
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise InputError(f"{what}: {len(errors)} {noun}", log.findings)
