"""One normalised shape for other tools' reports: what was scanned, when, by what, and found."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


@enum.unique
class Topic(enum.StrEnum):
    """What a finding is about; decides which requirement it is evidence for."""

    VULNERABILITY = "vulnerability"
    """A known-vulnerable package (OS or language)."""
    SECRET = "secret"  # noqa: S105 - a topic name, not a credential
    CODE = "code"
    """A static-analysis finding in source code."""
    MISCONFIGURATION = "misconfiguration"
    """An infrastructure-as-code or container configuration rule."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolFinding:
    """One result of a tool, with the rule that produced it."""

    topic: Topic
    rule: str
    severity: str
    """Upper-case: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN."""
    message: str
    path: str = ""
    line: int | None = None
    package: str = ""
    """``name version`` for vulnerabilities."""
    suppressed: str = ""
    """The tool's own suppression justification (SARIF ``suppressions``), empty when none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolReport:
    """A parsed report of one tool run."""

    path: str
    sha256: str
    tool: str
    version: str
    created: dt.datetime | None
    """When the scan ran, from the report itself (None: the format records no time)."""
    artifact: str = ""
    """What was scanned: an image reference, a directory, a file."""
    artifact_type: str = ""
    """Trivy's ``ArtifactType`` (container_image, filesystem, repository ...), else empty."""
    digests: tuple[str, ...] = ()
    """Image digests the report covers (``sha256:...``)."""
    topics: frozenset[Topic] = frozenset()
    """What the run scanned for (from the tool and its results)."""
    findings: tuple[ToolFinding, ...] = ()
    passed_rules: tuple[tuple[str, str], ...] = ()
    """(rule, resource) pairs the tool evaluated and passed (checkov, tfsec --include-passed)."""
    problems: tuple[str, ...] = ()
    """What the tool could not scan (parse errors, skipped packages): the report is partial."""


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 / RFC 3339 timestamp (any fraction length, ``Z`` or offset); naive = UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
