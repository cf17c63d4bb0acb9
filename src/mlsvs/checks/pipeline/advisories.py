"""Advisory monitoring (M5.4.1): a scheduled match of the inventory, often enough, tracked.

Evidence read: Dependabot's ``.github/dependabot.yml`` (version updates on a schedule, one
pull request per advisory match), Renovate's ``renovate.json``, and scheduled CI workflows
that run an advisory scanner over the BOM or the lock files (``mlsvs deps``/``advisories``,
pip-audit, osv-scanner, trivy, grype). The longest gap between two scheduled runs, computed
from the cron expression (cronsim), must not exceed ``max_scan_interval_days``, and matches
must end up tracked: Dependabot pull requests, issues created by the job, or SARIF uploaded
to code scanning. GitLab pipeline schedules are project settings, invisible here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._workflows import load_workflows
from mlsvs.checks.pipeline._yaml import DocumentError, mapping, read_json, read_yaml
from mlsvs.plugin import (
    DeploymentConfig,
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.pipeline._ci import Job
    from mlsvs.plugin import CheckContext, Outcome

INTERVAL_PARAMETER = "M5.4.1.max_scan_interval_days"
_DEPENDABOT_DAYS = {
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "semiannually": 183,
    "yearly": 366,
}
_ML_ECOSYSTEMS = frozenset({"pip", "uv", "conda", "docker", "pip-compile", "pipenv", "poetry"})
_SCAN = re.compile(
    r"\bmlsvs\s+(?:deps|advisories|bom)\b|\bpip-audit\b|\bosv-scanner\b|\btrivy\s+(?:fs|image|sbom|rootfs|repo)\b"
    r"|\bgrype\b|\bsafety\s+(?:check|scan)\b"
)
_SCAN_USES = (
    "pypa/gh-action-pip-audit",
    "google/osv-scanner-action",
    "aquasecurity/trivy-action",
    "anchore/scan-action",
)
_TRACK = re.compile(
    r"\b(?:gh|glab)\s+issue\s+create\b|issues\.create|[\"']gh[\"'],\s*[\"']issue[\"'],\s*[\"']create"
)
_TRACK_USES = (
    "github/codeql-action/upload-sarif",
    "jasonetco/create-an-issue",
    "actions/github-script",
    "peter-evans/create-issue-from-file",
)


def longest_gap_days(cron: str, start: dt.datetime) -> float:
    """The longest time between two runs of ``cron`` over the year after ``start``, in days."""
    from cronsim import CronSim, CronSimError

    try:
        runs = CronSim(cron, start)
        previous = next(runs)
        longest = (previous - start).total_seconds()
        horizon = start + dt.timedelta(days=400)
        while previous < horizon:
            current = next(runs)
            longest = max(longest, (current - previous).total_seconds())
            previous = current
    except (CronSimError, StopIteration) as exc:
        raise ValueError(f"invalid cron expression {cron!r}: {exc}") from None
    return longest / 86400


def _scans(job: Job) -> bool:
    return any(_SCAN.search(s.run) or s.uses.lower().startswith(_SCAN_USES) for s in job.steps)


def _tracks(job: Job) -> bool:
    return any(_TRACK.search(s.run) or s.uses.lower().startswith(_TRACK_USES) for s in job.steps)


def _dependabot(data: object, rel: str) -> list[tuple[str, float]]:
    doc = mapping(data, rel, "dependabot configuration")
    updates = doc.get("updates")
    if not isinstance(updates, list):
        raise DocumentError(f"{rel}: 'updates' must be a list")
    out: list[tuple[str, float]] = []
    for update in updates:
        entry = mapping(update, rel, "an update")
        ecosystem = str(entry.get("package-ecosystem", ""))
        schedule = mapping(entry.get("schedule") or {}, rel, "'schedule'")
        interval = str(schedule.get("interval", ""))
        if interval == "cron" and isinstance(schedule.get("cronjob"), str):
            days = longest_gap_days(str(schedule["cronjob"]), _START)
        elif interval in _DEPENDABOT_DAYS:
            days = float(_DEPENDABOT_DAYS[interval])
        else:
            raise DocumentError(f"{rel}: {ecosystem}: unknown schedule interval {interval!r}")
        out.append((ecosystem, days))
    return out


_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@check(
    id="MLC862",
    title="A scheduled advisory match of the inventory runs at least every max_scan_interval_days",
    requirements=["M5.4.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=("cronsim",),
    reads=(Document, DeploymentConfig),
    remediation="Schedule an advisory scan of the BOM and lock files (Dependabot for pip, or a "
    "cron workflow running 'mlsvs deps'/pip-audit/osv-scanner) at least as often as the "
    "standard's interval, and have it open an issue or upload SARIF for each match.",
)
def advisory_monitoring(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Dependabot/Renovate configurations and scheduled scanner workflows, with their cadence."""
    limit: object = ctx.parameter(INTERVAL_PARAMETER, 7)
    max_days = (
        float(limit) if isinstance(limit, int | float) and not isinstance(limit, bool) else 7.0
    )
    loaded = load_workflows(project)
    gaps: list[Gap] = list(loaded.gaps)
    good: list[str] = []
    slow: list[str] = []
    untracked: list[str] = []
    for doc in project.of_type(Document):
        name = PurePosixPath(doc.path)
        try:
            if name.as_posix().endswith((".github/dependabot.yml", ".github/dependabot.yaml")):
                for ecosystem, days in _dependabot(read_yaml(doc.absolute, doc.path), doc.path):
                    if ecosystem not in _ML_ECOSYSTEMS:
                        continue
                    line = f"{doc.path}: dependabot {ecosystem} every {days:g} day(s)"
                    (good if days <= max_days else slow).append(line)
            elif name.name in {"renovate.json", ".renovaterc.json", ".renovaterc"}:
                config = mapping(read_json(doc.absolute, doc.path), doc.path, "renovate config")
                if config.get("schedule"):
                    gaps.append(
                        Gap(
                            item=doc.path,
                            reason=GapReason.UNSUPPORTED,
                            detail="Renovate's natural-language schedule is not evaluated",
                        )
                    )
                elif config.get("osvVulnerabilityAlerts") or config.get("vulnerabilityAlerts"):
                    good.append(f"{doc.path}: Renovate vulnerability alerts on every run")
        except (DocumentError, ValueError) as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
    for workflow in loaded.workflows:
        scanning = [j for j in workflow.jobs if _scans(j)]
        if not scanning:
            continue
        if workflow.schedules:
            try:
                days = min(longest_gap_days(c, _START) for c in workflow.schedules)
            except ValueError as exc:
                gaps.append(Gap(item=workflow.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
                continue
            line = f"{workflow.path}: scheduled scan every {days:g} day(s) at most"
            (good if days <= max_days else slow).append(line)
            if not any(_tracks(j) for j in scanning):
                untracked.append(
                    f"{workflow.path}: matches are neither filed as issues nor uploaded as SARIF"
                )
        elif any("schedule" in j.triggers for j in scanning):
            gaps.append(
                Gap(
                    item=workflow.path,
                    reason=GapReason.NOT_PRESENT,
                    detail="GitLab pipeline schedules are project settings",
                )
            )
    facts = (("max_scan_interval_days", f"{max_days:g}"), *(("schedule", g) for g in good))
    if untracked:
        yield failed("; ".join(untracked), facts=facts)
    if good:
        yield passed(
            f"advisory matching scheduled within {max_days:g} day(s): {'; '.join(good)}",
            facts=facts,
        )
    elif gaps:
        yield not_verified("advisory monitoring configuration could not be judged", gaps)
    elif slow:
        yield failed(
            f"advisory matching runs less often than every {max_days:g} day(s): {'; '.join(slow)}",
            facts=facts,
        )
    else:
        yield failed(
            "no scheduled advisory matching: no Dependabot/Renovate configuration for the ML "
            "dependencies and no scheduled workflow running an advisory scanner",
            facts=facts,
        )
    if gaps and good:
        yield not_verified("some monitoring configuration could not be read", gaps)
