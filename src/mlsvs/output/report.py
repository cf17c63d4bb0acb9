"""The findings report every command's output is rendered from (frozen, stdlib only)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from mlsvs.model.result import Severity

FINGERPRINT_KEY = "mlsvs/finding/v1"
"""The one SARIF ``partialFingerprints`` key every command uses."""


def fingerprint(rule: str, path: str, where: str = "", sub_rule: str = "", key: str = "") -> str:
    """Stable identity of a finding across runs and rewording.

    sha256 over the rule (a check ID, a scanner or code rule), the project-relative path, the
    place inside it (``Location.describe()``), a sub-rule and a producer-chosen key; the first
    32 hex digits. ``mlsvs verify`` stamps its findings with the same function.
    """
    material = "\x1f".join((rule, path, where, sub_rule, key))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32]


@enum.unique
class FindingKind(enum.StrEnum):
    """What a reported finding means for the exit code and for CI dashboards."""

    FAIL = "fail"
    """A violation (a hazard, a vulnerable package, a failed requirement)."""
    ERROR = "error"
    """The tool could not decide; blocks like a failure."""
    NOT_VERIFIED = "not_verified"
    """Something could not be covered (unreadable, over a limit, missing evidence)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRule:
    """What a rule (a check, a scanner or code rule) is, for SARIF ``rules`` and help links."""

    id: str
    title: str
    severity: Severity
    description: str = ""
    remediation: str = ""
    help_uri: str = ""
    requirements: tuple[str, ...] = ()
    cwe: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportLocation:
    """Where a finding is: a project-relative POSIX path and, optionally, a place inside it."""

    path: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    offset: int | None = None
    """Byte offset in the file (pickle opcode, header) for binary artifacts."""
    member: str | None = None
    """Archive member (``model/data.pkl``, nested with ``!``)."""
    pointer: str | None = None
    """A name inside a structured artifact (a tensor, a JSON pointer, a package)."""
    cell: int | None = None
    """Notebook cell (1-based) the line counts within."""

    def describe(self) -> str:
        """The place inside the file, e.g. ``archive/data.pkl @ 0x1f`` or ``cell 2 line 3:5``."""
        parts: list[str] = []
        if self.member is not None:
            parts.append(self.member)
        if self.pointer is not None:
            parts.append(self.pointer)
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.line is not None:
            parts.append(f"line {self.line}" + (f":{self.column}" if self.column else ""))
        if self.offset is not None:
            parts.append(f"@ {self.offset:#x}")
        return " ".join(parts)

    def display(self) -> str:
        """``path`` or ``path (place)``."""
        where = self.describe()
        return f"{self.path} ({where})" if where else self.path


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """The dependency a finding is about (dependency audits)."""

    name: str
    version: str
    ecosystem: str = "pypi"
    advisories: tuple[str, ...] = ()
    """Advisory IDs (OSV, GHSA, CVE ...), the first is the primary one."""
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFinding:
    """One reported result. ``id`` is :func:`fingerprint` of rule, path and place."""

    id: str
    rule: str
    kind: FindingKind
    severity: Severity
    message: str
    location: ReportLocation
    requirements: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    suppressed_by: str | None = None
    """A waiver or inline suppression that accepts this finding."""
    package: Package | None = None

    @classmethod
    def make(
        cls,
        *,
        rule: str,
        kind: FindingKind,
        severity: Severity,
        message: str,
        location: ReportLocation,
        key: str = "",
        requirements: tuple[str, ...] = (),
        facts: tuple[tuple[str, str], ...] = (),
        suppressed_by: str | None = None,
        package: Package | None = None,
    ) -> ReportFinding:
        """A finding whose ``id`` is computed from rule, path, place and ``key``."""
        return cls(
            id=fingerprint(rule, location.path, location.describe(), "", key),
            rule=rule,
            kind=kind,
            severity=severity,
            message=message,
            location=location,
            requirements=requirements,
            facts=facts,
            suppressed_by=suppressed_by,
            package=package,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Something about the run that is not a finding (a skipped file, an input error)."""

    message: str
    path: str | None = None
    level: FindingKind = FindingKind.NOT_VERIFIED


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingsReport:
    """Everything one command run reports, in a format-neutral shape.

    ``command`` is the CLI command (``scan``, ``code`` ...); ``targets`` the files or items the
    run covered (JUnit test cases: one per target, so a clean target is a passing case).
    """

    command: str
    tool_version: str
    rules: tuple[ReportRule, ...]
    findings: tuple[ReportFinding, ...]
    targets: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    root: str = ""
    """Absolute project root the paths are relative to (SARIF ``%SRCROOT%``), if known."""
    started_at: str = ""
    finished_at: str = ""
    successful: bool = True
    """False when the run itself failed (usage or read errors)."""
    properties: tuple[tuple[str, str], ...] = ()

    def rule(self, rule_id: str) -> ReportRule | None:
        """The rule descriptor of ``rule_id``, if declared."""
        return next((r for r in self.rules if r.id == rule_id), None)
