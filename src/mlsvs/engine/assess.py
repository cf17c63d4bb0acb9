"""One verification run, from a discovered project to the ``Assessment``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from mlsvs import __version__
from mlsvs.engine.attestations import load_attestations
from mlsvs.engine.coverage import discovery_gaps
from mlsvs.engine.levels import compute_levels
from mlsvs.engine.plan import Plan, Task, plan
from mlsvs.engine.reqinfo import requirement_infos
from mlsvs.engine.runner import run
from mlsvs.engine.verdicts import ApplicabilityProfile, Evidence, decide, newest_valid
from mlsvs.engine.waivers import apply_waivers, waiver_records
from mlsvs.model.artifact import (
    Artifact,
    BomDocument,
    DatasetArtifact,
    ModelArtifact,
    SignatureFile,
)
from mlsvs.model.assessment import (
    SCHEMA_VERSION,
    ArtifactRecord,
    Assessment,
    CheckRecord,
    CheckState,
    ParameterSetting,
    Problem,
    ProfileRef,
    ProjectInfo,
    SkipCause,
    StandardRef,
    ToolInfo,
)
from mlsvs.model.catalog import id_sort_key
from mlsvs.model.check import CheckContext
from mlsvs.util.hashing import sha256_file

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence

    from mlsvs.config import Config
    from mlsvs.discovery import Discovery
    from mlsvs.engine.events import EventSink
    from mlsvs.engine.registry import Registry
    from mlsvs.model.artifact import Project
    from mlsvs.model.attestation import Attestation
    from mlsvs.model.catalog import Standard
    from mlsvs.model.coverage import Gap
    from mlsvs.model.result import Finding
    from mlsvs.model.verdict import RequirementVerdict

_TARGET_WORDS = {
    "ModelArtifact": "model file",
    "DatasetArtifact": "dataset",
    "SourceFile": "source file",
    "DependencyManifest": "dependency manifest or lock file",
    "CardDocument": "model or dataset card",
    "BomDocument": "bill of materials",
    "SignatureFile": "signature",
    "DeploymentConfig": "deployment configuration",
    "Document": "document",
    "Endpoint": "endpoint",
}
"""Target types in plain words, for reasons."""

_HASHED = (ModelArtifact, DatasetArtifact, BomDocument, SignatureFile)


def assess_project(
    discovery: Discovery,
    config: Config,
    standard: Standard,
    registry: Registry,
    *,
    root_label: str,
    today: dt.date,
    now: Callable[[], dt.datetime],
    sink: EventSink | None = None,
    extra_problems: Sequence[Problem] = (),
    parameters: Sequence[ParameterSetting] | None = None,
    profile: ProfileRef | None = None,
) -> Assessment:
    """Run every planned check and decide every requirement of ``standard``.

    ``parameters`` are the standard's parameter values in force (``engine.profile.resolve``);
    by default the standard's own values for the target level.
    """
    from mlsvs.engine.profile import resolve

    started = now()
    settings = tuple(parameters) if parameters is not None else resolve(standard, config.level)
    values = {s.key: s.value for s in settings}
    project = discovery.project
    the_plan = plan(registry, project, config)

    def context_for(task: Task) -> CheckContext:
        return CheckContext(
            project=project,
            today=today,
            options=dict(config.check_options.get(task.loaded.check.id, {})),
            settings={k: dict(v) for k, v in config.settings.items()},
            capabilities=config.allow,
            target_level=config.level,
            parameters=dict(values),
        )

    result = run(
        the_plan.tasks,
        context_for,
        jobs=config.effective_jobs,
        default_timeout_s=config.timeout_s,
        sink=sink,
    )
    findings, waiver_problems = apply_waivers(result.findings, config.waivers, today=today)
    loaded = load_attestations(project.root, config.attestations, standard, today=today)
    scope = ApplicabilityProfile(
        declared=config.traits,
        denied=dict(project.denied_traits),
        evidence=_trait_evidence(project),
    )
    verdicts = _verdicts(
        standard, registry, the_plan, findings, loaded.attestations, scope, project.gaps
    )
    levels, achieved = compute_levels(verdicts, waived_satisfies=config.waivers_satisfy)
    problems = (
        *extra_problems,
        *registry.problems,
        *discovery.problems,
        *waiver_problems,
        *loaded.problems,
    )
    return Assessment(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(name="mlsvs", version=__version__),
        standard=StandardRef(
            key=standard.key, name=standard.name, version=standard.version, digest=standard.digest
        ),
        project=ProjectInfo(
            name=project.name,
            root=root_label,
            traits=tuple(sorted(config.traits)),
            denied_traits=tuple(sorted(project.denied_traits.items())),
            trait_evidence=tuple(
                (e.trait, e.path, e.detail)
                for e in sorted(project.trait_evidence, key=lambda e: (e.trait, e.path, e.detail))
            ),
        ),
        target_level=config.level,
        achieved_level=achieved,
        levels=levels,
        verdicts=verdicts,
        findings=findings,
        artifacts=_records(project.artifacts),
        checks=_check_records(registry, the_plan),
        attestations=loaded.attestations,
        problems=tuple(sorted(problems, key=lambda p: (p.kind.value, p.path, p.message))),
        config_digest=config.digest,
        started_at=started.isoformat(),
        finished_at=now().isoformat(),
        interrupted=result.interrupted,
        parameters=settings,
        profile=profile,
        requirements=requirement_infos(standard),
        waivers=waiver_records(config.waivers, findings, today=today),
    )


def _verdicts(
    standard: Standard,
    registry: Registry,
    the_plan: Plan,
    findings: Sequence[Finding],
    attestations: Sequence[Attestation],
    profile: ApplicabilityProfile,
    project_gaps: Sequence[Gap],
) -> tuple[RequirementVerdict, ...]:
    by_requirement: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        for requirement in finding.requirements:
            by_requirement[requirement].append(finding)
    mapped: dict[str, list[str]] = defaultdict(list)
    gaps: dict[str, set[Gap]] = defaultdict(set)
    skipped = {s.loaded.check.id for s in the_plan.skips}
    for loaded in registry.checks:
        relevant = () if loaded.check.id in skipped else discovery_gaps(loaded.check, project_gaps)
        for requirement in loaded.check.requirements:
            mapped[requirement].append(loaded.check.id)
            gaps[requirement].update(relevant)
    not_run: dict[str, list[str]] = defaultdict(list)
    for skip in the_plan.skips:
        for requirement in skip.loaded.check.requirements:
            not_run[requirement].append(
                f"check {skip.loaded.check.id} ({skip.loaded.check.title}) did not run: "
                f"{skip.reason}"
            )
    for loaded in the_plan.idle:
        kind = _TARGET_WORDS.get(loaded.check.applies_to.__name__, loaded.check.applies_to.__name__)
        for requirement in loaded.check.requirements:
            not_run[requirement].append(
                f"check {loaded.check.id} ({loaded.check.title}) found no {kind} in the "
                "project to check: add it, point discovery at it in mlsvs.toml, or attest the "
                "requirement"
            )
    chosen = newest_valid(attestations)
    titles = {loaded.check.id: loaded.check.title for loaded in registry.checks}
    decided = []
    for chapter in standard.chapters:
        for req in chapter.requirements:
            evidence = Evidence(
                requirement=req,
                chapter_tags=chapter.applicability,
                findings=tuple(by_requirement.get(req.id, ())),
                attestation=chosen.get(req.id),
                has_checks=bool(mapped.get(req.id)),
                not_run=tuple(not_run.get(req.id, ())),
                gaps=tuple(gaps.get(req.id, ())),
                check_titles=titles,
            )
            decided.append(decide(evidence, profile))
    return tuple(sorted(decided, key=lambda v: id_sort_key(v.requirement)))


def _trait_evidence(project: Project) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = defaultdict(list)
    for item in project.trait_evidence:
        where = f"{item.path}:{item.line}" if item.line else item.path
        seen[item.trait].append(f"{where}: {item.detail}")
    return dict(seen)


def _records(artifacts: Sequence[Artifact]) -> tuple[ArtifactRecord, ...]:
    records = []
    for artifact in artifacts:
        digest = ""
        if isinstance(artifact, _HASHED) and artifact.absolute.is_file():
            try:
                digest = sha256_file(artifact.absolute)
            except OSError:
                digest = ""
        fmt = getattr(artifact, "format", "")
        records.append(
            ArtifactRecord(
                path=artifact.path,
                kind=artifact.kind,
                format=str(fmt),
                size=artifact.size,
                sha256=digest,
            )
        )
    return tuple(records)


def _check_records(registry: Registry, the_plan: Plan) -> tuple[CheckRecord, ...]:
    skipped = {s.loaded.check.id: s for s in the_plan.skips}
    idle = {c.check.id for c in the_plan.idle}
    records = []
    for loaded in registry.checks:
        check = loaded.check
        skip = skipped.get(check.id)
        reason, cause, needs = (skip.reason, skip.cause, skip.needs) if skip else ("", None, ())
        if check.id in idle:
            reason, cause = f"no {check.applies_to.__name__} in the project", SkipCause.NO_TARGET
        records.append(
            CheckRecord(
                id=check.id,
                title=check.title,
                requirements=check.requirements,
                severity=check.severity.value,
                state=CheckState.SKIPPED if reason else CheckState.RAN,
                remediation=check.remediation,
                description=check.description,
                skip_reason=reason,
                skip_cause=cause,
                skip_needs=needs,
                source=loaded.source,
            )
        )
    return tuple(records)
