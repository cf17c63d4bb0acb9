"""Find, read and date the tool reports of a run.

Reports come from three places: ``mlsvs verify --evidence-report FILE`` (made by whoever runs
mlsvs, typically the CI job right before), ``[evidence] reports = [...]`` in the project's
configuration, and files in the project named as the tools name them (``*.sarif``,
``trivy*.json``, ``checkov*.json`` ...). Each is recorded with its tool, version, date and
SHA-256. The date is the scan time the report records; only a report handed over on the
command line may be dated by its file time when its format records none (a committed file's
time is the checkout's, not the scan's).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.evidence._formats import ReportError, parse_document
from mlsvs.checks.evidence._model import ToolReport
from mlsvs.plugin import Document, Gap, GapReason

if TYPE_CHECKING:
    from mlsvs.plugin import CheckContext, Project

MAX_REPORT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_AGE_DAYS = 30
NAME_PATTERNS = (
    "*.sarif",
    "*.sarif.json",
    "trivy*.json",
    "checkov*.json",
    "results_json.json",
    "tfsec*.json",
    "bandit*.json",
    "semgrep*.json",
    "gitleaks*.json",
    "pip-audit*.json",
    "pip_audit*.json",
    "osv-scanner*.json",
    "osv_scanner*.json",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dated:
    """A report with the time it stands for and where that time came from."""

    report: ToolReport
    when: dt.datetime | None
    source: str
    """``report`` (recorded scan time), ``file time`` (command line only) or ``none``."""
    conventional: bool
    """Found in the project by its name rather than named by the user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reports:
    """Every report of the run, and those that could not be read or recognised."""

    reports: tuple[Dated, ...]
    gaps: tuple[Gap, ...]


class EvidenceSettingsError(ValueError):
    """The ``[evidence]`` section is malformed."""


def _configured(ctx: CheckContext) -> tuple[list[str], list[str]]:
    section = ctx.section("evidence")
    unknown = sorted(set(section) - {"reports", "max_age_days", "_cli_reports"})
    if unknown:
        raise EvidenceSettingsError(
            f"[evidence] unknown key {unknown[0]!r} (known: reports, max_age_days)"
        )
    reports = section.get("reports", [])
    cli = section.get("_cli_reports", [])
    return _paths(reports, "reports"), _paths(cli, "--evidence-report")


def _paths(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvidenceSettingsError(f"[evidence] {name} must be a list of paths")
    return [str(v) for v in value]


def max_age_days(ctx: CheckContext, parameter: str | None = None) -> int:
    """The age limit: the standard's parameter when the requirement has one, else 30 days;
    the project's ``[evidence] max_age_days`` may only tighten it."""
    limit = DEFAULT_MAX_AGE_DAYS
    if parameter is not None:
        value: object = ctx.parameter(parameter, DEFAULT_MAX_AGE_DAYS)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            limit = int(value)
    own = ctx.section("evidence").get("max_age_days")
    if isinstance(own, int) and not isinstance(own, bool) and 0 < own < limit:
        limit = own
    return limit


def _display(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def load_reports(ctx: CheckContext, project: Project) -> Reports:
    """Every report: command line, configuration, then conventional names (deduplicated)."""
    configured, cli = _configured(ctx)
    root = project.root
    wanted: dict[Path, tuple[bool, bool]] = {}  # path -> (from command line, conventional)
    for item in cli:
        wanted.setdefault(Path(item), (True, False))
    for item in configured:
        wanted.setdefault((root / item).resolve(), (False, False))
    for doc in project.of_type(Document):
        name = PurePosixPath(doc.path).name.lower()
        if any(fnmatch.fnmatchcase(name, p) for p in NAME_PATTERNS):
            wanted.setdefault(doc.absolute.resolve(), (False, True))
    dated: list[Dated] = []
    gaps: list[Gap] = []
    for path, (from_cli, conventional) in wanted.items():
        rel = _display(path, root.resolve())
        try:
            raw = _read(path, rel)
            report = parse_document(
                json.loads(raw.decode("utf-8")),
                path=rel,
                sha256=hashlib.sha256(raw).hexdigest(),
                name=path.name,
            )
        except (ReportError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
            if conventional and isinstance(exc, ReportError):
                continue  # a JSON file that merely shares a tool's name: not a report
            reason = GapReason.UNREADABLE if isinstance(exc, OSError) else GapReason.UNPARSEABLE
            detail = str(exc) if isinstance(exc, ReportError | OSError) else f"not JSON: {exc}"
            gaps.append(Gap(item=rel, reason=reason, detail=detail[:200]))
            continue
        when, source = report.created, "report"
        if when is None and from_cli:
            when = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            source = "file time"
        dated.append(
            Dated(
                report=report,
                when=when,
                source=source if when else "none",
                conventional=conventional,
            )
        )
    return Reports(reports=tuple(dated), gaps=tuple(gaps))


def _read(path: Path, rel: str) -> bytes:
    size = path.stat().st_size
    if size > MAX_REPORT_BYTES:
        raise ReportError(f"{rel}: larger than 64 MiB")
    if size == 0:
        raise ReportError(f"{rel}: empty file")
    return path.read_bytes()
