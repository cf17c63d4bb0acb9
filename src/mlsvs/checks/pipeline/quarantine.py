"""Third-party artifacts quarantined until checks pass (M5.1.3).

Third-party models must reach pipelines only through an intake (quarantine) job: a CI job
that downloads them from the hub, runs a blocking model-file scan (``mlsvs scan``, modelscan,
picklescan, fickling) and a blocking acceptance test (``mlsvs test``, pytest ...) and only then
publishes them to the internal registry or store. Everything else must load them from there:
a hub id or hub download in the project's code outside the intake, or a hub download in any
other CI job, reaches an artifact that was never quarantined. Per-digest release records live
in the registry; this check reads the gate that produces them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._serving import Source, analyse
from mlsvs.checks.pipeline._workflows import load_workflows
from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.gates import blocking_step
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.pipeline._ci import Job
    from mlsvs.plugin import CheckContext, Outcome

_DOWNLOAD = re.compile(
    r"\b(?:huggingface-cli|hf)\s+download\b|snapshot_download|hf_hub_download|\bgit\s+clone\s+https://huggingface\.co/"
)
_SCAN = re.compile(r"\bmlsvs\s+scan\b|\bmodelscan\b|\bpicklescan\b|\bfickling\b")
_ACCEPT = re.compile(r"\bmlsvs\s+test\b|\bpytest\b|\bmlsvs\s+verify\b.*--allow\s+\S*model-exec")
_PUBLISH = re.compile(
    r"\bmlflow\b.*(register|log_model)|\baws\s+s3\s+(cp|sync)\b|\bgsutil\s+cp\b|\boras\s+push\b"
    r"|\baz\s+storage\s+blob\s+upload|\bhuggingface-cli\s+upload\b|\bjf\s+rt\s+upload\b"
)


def _intake(job: Job) -> tuple[bool, list[str]]:
    """(downloads third-party models, what its publishing lacks)."""
    downloads = [i for i, s in enumerate(job.steps) if _DOWNLOAD.search(s.run)]
    if not downloads:
        return False, []
    publish = next((i for i, s in enumerate(job.steps) if _PUBLISH.search(s.run)), None)
    end = len(job.steps) if publish is None else publish
    window = [s for s in job.steps[downloads[0] + 1 : end + 1] if blocking_step(s)]
    missing = []
    if not any(_SCAN.search(s.run) for s in window):
        missing.append("a blocking model-file scan")
    if not any(_ACCEPT.search(s.run) for s in window):
        missing.append("a blocking acceptance test")
    if publish is None:
        missing.append("a publish step to the internal registry")
    return True, missing


@check(
    id="MLC881",
    title="Third-party models reach pipelines only through a scanned and tested quarantine job",
    requirements=["M5.1.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile, DeploymentConfig),
    remediation="Download third-party models only in an intake job that scans them (mlsvs "
    "scan), runs the acceptance tests and then publishes them to the internal registry; load "
    "them everywhere else from that registry.",
)
def quarantined(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Intake jobs gate downloads; code and other jobs never reach the hub directly."""
    loaded = load_workflows(project)
    gaps: list[Gap] = list(loaded.gaps)
    intakes: list[str] = []
    problems: list[str] = []
    for workflow in loaded.workflows:
        for job in workflow.jobs:
            downloads, missing = _intake(job)
            if not downloads:
                continue
            where = f"{workflow.path} job {job.id!r}"
            if missing:
                problems.append(
                    f"{where} downloads third-party models without {', '.join(missing)}"
                )
            else:
                intakes.append(where)
    for source in project.of_type(SourceFile):
        try:
            code = analyse(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        problems += [
            f"{source.path}:{load.line} loads {load.reference!r} straight from the hub"
            for load in code.loads
            if load.source is Source.HUB
        ]
    if gaps:
        yield not_verified("CI definitions or code could not be read", gaps)
    if problems:
        yield failed("; ".join(problems[:6]))
    elif intakes:
        yield passed(f"third-party models enter only through {', '.join(intakes)}")
    elif not gaps:
        yield not_verified(
            "no intake job downloads third-party models and no code loads them from the hub: "
            "where uses_third_party_model holds, how they reach the registry is not visible here",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no quarantine job"),
        )
