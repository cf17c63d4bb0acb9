"""Frozen results of a scan: findings per file, plus the options that produced them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mlsvs.model.formats import ModelFormat
from mlsvs.model.severity import Location, Severity
from mlsvs.scanner.rules import ScanRule


@enum.unique
class ScanStatus(enum.StrEnum):
    """Overall result for one file."""

    CLEAN = "clean"
    FINDINGS = "findings"
    NOT_VERIFIED = "not verified"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    """Limits and allowlist extensions for one scan."""

    allow: frozenset[str] = frozenset()
    """Extra allowed callables, ``module.qualname`` (``module:qualname`` accepted)."""
    max_depth: int = 6
    """Nesting depth of archives and compressed wrappers."""
    max_members: int = 10_000
    """Members examined per archive."""
    max_member_bytes: int = 64 * 1024 * 1024
    """Largest decompressed member (or wrapper payload) held in memory."""
    max_memory_bytes: int = 96 * 1024 * 1024
    """Decompressed bytes held in memory at once across every nesting level (a bomb inside a
    bomb cannot multiply it); with decompression's transient copy the scanner's peak stays
    under 256 MiB. Plain files are memory-mapped, not counted."""
    max_total_bytes: int = 1024 * 1024 * 1024
    """Total decompressed bytes per top-level file."""
    max_opcodes: int = 20_000_000
    """Opcodes emulated per file before the scan gives up (fail closed)."""
    max_seconds: int = 10
    """Emulation time per file before the scan gives up (PKL008: not verified, never clean)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanFinding:
    """One problem found in a file."""

    rule: ScanRule
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def remediation(self) -> str:
        """What to do about it (from the rule catalog)."""
        return self.rule.info.remediation


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanReport:
    """Everything the scanner learned about one file or directory."""

    path: str
    format: ModelFormat
    findings: tuple[ScanFinding, ...] = ()
    errors: tuple[str, ...] = ()
    """Operational errors (unreadable path); these also appear as GEN003 findings."""
    bytes_read: int = 0
    content: str = ""
    """For files that are not models: what they were recognised as ("PNG image", "text")."""

    @property
    def clean(self) -> bool:
        """No findings and no errors (verified, and nothing found)."""
        return not self.findings and not self.errors

    @property
    def hazards(self) -> tuple[ScanFinding, ...]:
        """Findings about what the file would do (code paths, anomalies)."""
        return tuple(f for f in self.findings if not f.rule.not_verified)

    @property
    def gaps(self) -> tuple[ScanFinding, ...]:
        """Why (part of) the file was not verified: unidentified, unparseable, over a limit."""
        return tuple(f for f in self.findings if f.rule.not_verified)

    @property
    def verified(self) -> bool:
        """Everything in the file was read and understood."""
        return not self.gaps and not self.errors

    @property
    def status(self) -> ScanStatus:
        """One word for the file: hazards win over gaps, gaps over clean."""
        if self.hazards:
            return ScanStatus.FINDINGS
        if not self.verified:
            return ScanStatus.NOT_VERIFIED
        return ScanStatus.CLEAN

    def at_least(self, minimum: Severity) -> tuple[ScanFinding, ...]:
        """Findings with severity >= ``minimum``."""
        return tuple(f for f in self.findings if f.severity.rank >= minimum.rank)


_LOCATION_FIELDS = ("line", "column", "offset", "member", "pointer")
ReportRecord = list[Any]
"""A ``ScanReport`` as JSON values (what a ``-j`` worker hands back)."""


def to_record(report: ScanReport) -> ReportRecord:
    """``report`` as JSON values (see ``from_record``)."""
    return [
        report.path,
        report.format.value,
        tuple(
            (
                f.rule.value,
                f.severity.value,
                f.message,
                [getattr(f.location, name) for name in _LOCATION_FIELDS],
                f.facts,
            )
            for f in report.findings
        ),
        report.errors,
        report.bytes_read,
        report.content,
    ]  # fmt: skip


def from_record(record: ReportRecord) -> ScanReport:
    """The ``ScanReport`` that ``to_record`` wrote (JSON turned its tuples into lists)."""
    path, fmt, findings, errors, bytes_read, content = record
    return ScanReport(
        path=str(path),
        format=ModelFormat(fmt),
        findings=tuple(
            ScanFinding(
                rule=ScanRule(rule),
                severity=Severity(severity),
                message=str(message),
                location=Location(**dict(zip(_LOCATION_FIELDS, location, strict=True))),
                facts=tuple((str(key), str(value)) for key, value in facts),
            )
            for rule, severity, message, location, facts in findings
        ),
        errors=tuple(str(error) for error in errors),
        bytes_read=int(bytes_read),
        content=str(content),
    )


def finding(
    rule: ScanRule,
    message: str,
    *,
    member: str | None = None,
    offset: int | None = None,
    pointer: str | None = None,
    severity: Severity | None = None,
    facts: tuple[tuple[str, str], ...] = (),
) -> ScanFinding:
    """Build a finding with the rule's default severity unless overridden."""
    return ScanFinding(
        rule=rule,
        severity=severity or rule.severity,
        message=message,
        location=Location(member=member, offset=offset, pointer=pointer),
        facts=facts,
    )


def sort_key(f: ScanFinding) -> tuple[str, int, int, str, str]:
    """Deterministic order: member, offset, severity (high first), rule, message."""
    loc = f.location
    return (loc.member or "", loc.offset or 0, -f.severity.rank, f.rule.value, f.message)
