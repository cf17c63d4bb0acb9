"""Release gates (M1.2.2): every job that ships a model runs ``mlsvs verify`` first, and fails.

A gate counts when its failure stops the release: it runs in the releasing job before the
deploy step or in a job the releasing job needs (GitLab: an earlier stage, or ``needs``), its
exit status is not swallowed (``|| true``, ``continue-on-error``, ``allow_failure``, ``set +e``)
and the release does not run anyway (``if: always()``). It must verify at the level in force or
above, without leaving checks out (``--select``/``--ignore``), and the release must also be
blocked on regressions against the previous release (``mlsvs diff``, exit 1 on a regressed
verdict).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._ci import Invocation, Job, Step, Workflow, step_invocations
from mlsvs.checks.pipeline._workflows import deploy_step, load_workflows, release_jobs
from mlsvs.checks.pipeline._yaml import DocumentError, load_yaml
from mlsvs.model.catalog import Comparison
from mlsvs.plugin import (
    DeploymentConfig,
    Project,
    Severity,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome

_RUNS_ANYWAY = re.compile(r"\balways\(\)|\bfailure\(\)|!\s*cancelled\(\)|when:\s*always")
_LEVEL = re.compile(r"^L?([123])$", re.I)


def gate_path(workflow: Workflow, job: Job) -> list[tuple[Job, Step]]:
    """Steps whose failure stops ``job``'s first deploy step, in order."""
    path: list[tuple[Job, Step]] = []
    for upstream_id in sorted(workflow.upstream(job)):
        upstream = workflow.job(upstream_id)
        if upstream is not None and not upstream.continue_on_error:
            path.extend((upstream, s) for s in upstream.steps)
    for step in job.steps:
        if deploy_step(step):
            break
        path.append((job, step))
    return path


def _blocking(step: Step, invocation: Invocation) -> bool:
    return not invocation.swallowed and blocking_step(step)


_SWALLOWED = re.compile(r"\|\|\s*(?:true|:|exit\s+0)\b|^\s*set\s+\+e\b", re.M)


def blocking_step(step: Step) -> bool:
    """A step whose failure stops the job: no continue-on-error, no always(), no '|| true'."""
    return not (
        step.continue_on_error or _RUNS_ANYWAY.search(step.condition) or _SWALLOWED.search(step.run)
    )


def _level_of(invocation: Invocation) -> int | None:
    value = invocation.value("--level")
    match = _LEVEL.match(value or "")
    return int(match.group(1)) if match else None


def laxer_profile(
    reference: str, root: Path, in_force: Mapping[str, object]
) -> tuple[list[str], str]:
    """(parameters the gate's ``--profile`` assigns laxer than the values in force, note).

    A profile outside the repository (the buyer's, fetched at run time) cannot be compared.
    """
    import tomllib

    from mlsvs.catalog import load_standard

    path = root / reference
    if ".." in PurePosixPath(reference).parts or not path.is_file():
        return [], f"profile {reference} is not in the repository; its values were not compared"
    try:
        if path.suffix.lower() == ".toml":
            document: object = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            document = load_yaml(path.read_text(encoding="utf-8"), reference)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, DocumentError) as exc:
        return [f"the gate's profile {reference} cannot be read ({type(exc).__name__})"], ""
    assigned = document.get("parameters") if isinstance(document, dict) else None
    definitions = load_standard(None).parameters
    laxer: list[str] = []
    for key, value in (assigned if isinstance(assigned, dict) else {}).items():
        current, definition = in_force.get(str(key)), definitions.get(str(key))
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (value, current)
        )
        if definition is None or not numbers:
            continue
        ceiling = definition.comparison is Comparison.CEILING
        if (value > current) if ceiling else (value < current):
            laxer.append(f"{key} = {value} (in force: {current})")
    return laxer, ""


def judge_release(
    workflow: Workflow,
    job: Job,
    target_level: int,
    root: Path | None = None,
    in_force: Mapping[str, object] | None = None,
) -> tuple[list[str], list[str]]:
    """(problems, what was found) for one releasing job."""
    problems: list[str] = []
    found: list[str] = []
    where = f"{workflow.path} job {job.id!r}"
    if _RUNS_ANYWAY.search(job.condition):
        problems.append(f"{where} runs even when the jobs it needs failed ({job.condition})")
    deploy = next((s for s in job.steps if deploy_step(s)), None)
    if deploy is not None and _RUNS_ANYWAY.search(deploy.condition):
        problems.append(f"{where}: step {deploy.label!r} runs even after a failed step")
    path = gate_path(workflow, job)
    verifies = [(j, s, i) for j, s in path for i in step_invocations(s) if i.command == "verify"]
    diffs = [(j, s, i) for j, s in path for i in step_invocations(s) if i.command == "diff"]
    blocking = [(j, s, i) for j, s, i in verifies if _blocking(s, i)]
    if not verifies:
        problems.append(f"{where} releases without running 'mlsvs verify' before it")
    elif not blocking:
        j, s, _ = verifies[0]
        problems.append(
            f"{where}: 'mlsvs verify' in job {j.id!r} step {s.label!r} cannot block the "
            "release (its exit status is ignored)"
        )
    for gate_job, step, invocation in blocking:
        label = f"job {gate_job.id!r} step {step.label!r}"
        level = _level_of(invocation)
        if level is not None and level < target_level:
            problems.append(
                f"{where}: the gate in {label} verifies at L{level}, below the level in "
                f"force (L{target_level})"
            )
        profile = invocation.value("--profile")
        if profile and root is not None:
            laxer, note = laxer_profile(profile, root, in_force or {})
            if laxer:
                problems.append(
                    f"{where}: the gate's profile {profile} is laxer than the values in force: "
                    + ", ".join(laxer[:4])
                )
            if note:
                found.append(note)
        if invocation.has("--select", "--ignore"):
            problems.append(f"{where}: the gate in {label} leaves checks out (--select/--ignore)")
        found.append(f"gate: {label} ({invocation.line[:80]})")
    if not any(_blocking(s, i) for _, s, i in diffs):
        problems.append(
            f"{where}: no blocking regression gate against the previous release "
            "('mlsvs diff PREVIOUS.json NEW.json' before the release step)"
        )
    else:
        found.append("regression gate: mlsvs diff")
    return problems, found


@check(
    id="MLC860",
    title="Release jobs are gated by a blocking 'mlsvs verify' at the level in force",
    requirements=["M1.2.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(DeploymentConfig,),
    remediation="Run 'mlsvs verify --level <target> [--profile FILE]' and 'mlsvs diff "
    "previous.json results.json' in a job every deploy/publish job `needs:` (GitLab: an "
    "earlier stage), without continue-on-error, allow_failure or '|| true'.",
)
def release_gate(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Read GitHub Actions and GitLab CI definitions; judge every job that ships a model.

    Covers the machine-readable part of the gate: that it exists on the release path, blocks,
    runs at the level in force without dropping checks, and is paired with a regression gate.
    The standard's parameters themselves are applied by ``mlsvs verify``. Whether the released
    digest has a passing gate record lives in the CI system's run history, not the repository.
    """
    loaded = load_workflows(project)
    if loaded.gaps:
        yield not_verified("CI/CD definitions could not be read", loaded.gaps)
    if not loaded.workflows:
        if not loaded.gaps:
            yield failed(
                "no CI/CD definition (.github/workflows, .gitlab-ci.yml): nothing shows that "
                "release automation enforces the standard's parameters"
            )
        return
    target = int(ctx.target_level) if ctx.target_level is not None else 1
    releases = [(w, j) for w in loaded.workflows for j in release_jobs(w)]
    if not releases:
        yield failed(
            f"none of {len(loaded.workflows)} CI definition(s) has a deploy, publish or "
            "promotion job: no release gate is visible"
        )
        return
    for workflow, job in releases:
        problems, found = judge_release(workflow, job, target, project.root, dict(ctx.parameters))
        key = f"{workflow.path}#{job.id}"
        facts = (("workflow", workflow.path), ("job", job.id), *(("found", f) for f in found))
        if problems:
            yield failed("; ".join(problems), key=key, facts=facts)
        else:
            yield passed(
                f"{workflow.path} job {job.id!r} releases only after a blocking 'mlsvs verify' "
                f"at L{target} or above and a regression gate",
                key=key,
                facts=facts,
            )
