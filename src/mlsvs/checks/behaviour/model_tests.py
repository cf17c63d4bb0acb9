"""Runtime model tests declared in ``[tool.mlsvs.model_tests]`` (MLSVS M6, M7, M8.2).

Every check loads the model in a spawned worker process (``--allow model-exec``) or queries a
declared HTTP endpoint (``--allow network``). Without a ``[model_tests]`` section, a grant,
valid data or enough query budget the outcome is ``error`` ("could not verify"), never a pass:
these are runtime requirements and only a measurement can satisfy them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.modeltest.result import TestName
from mlsvs.plugin import (
    Capability,
    Isolation,
    Outcome,
    Project,
    Severity,
    Status,
    check,
    errored,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.modeltest.result import TestResult
    from mlsvs.plugin import Check, CheckContext

NO_MODEL = (
    "not verified: no model under test declared; add [tool.mlsvs.model_tests] with model, "
    "input and data tables (see docs/model-testing.md)"
)


def _declare(
    *, id: str, title: str, requirement: str, severity: Severity, remediation: str
) -> Callable[[Callable[[CheckContext, Project], Iterator[Outcome]]], Check[Project]]:
    """The shared declaration: project scope, model-exec, process isolation."""
    return check(
        id=id,
        title=title,
        requirements=[requirement],
        applies_to=Project,
        severity=severity,
        remediation=remediation,
        requires=("numpy", "sklearn"),
        capabilities={Capability.MODEL_EXECUTION},
        isolation=Isolation.PROCESS,
        timeout_s=1800.0,
    )


def _outcome(result: TestResult) -> Outcome:
    status = {True: Status.PASS, False: Status.FAIL, None: Status.ERROR}[result.ok]
    if result.ok is None and result.gaps:  # measured, but the measurement cannot decide
        status = Status.NOT_VERIFIED
    return Outcome(
        status=status,
        message=result.message,
        facts=result.facts,
        key=result.name,
        measurements=result.measurements,
        gaps=result.gaps if status is Status.NOT_VERIFIED else (),
    )


def _run(ctx: CheckContext, test: TestName) -> Iterator[Outcome]:
    from mlsvs.errors import MlsvsError
    from mlsvs.modeltest.session import run_tests

    section = ctx.section("model_tests")
    if not section:
        yield errored(NO_MODEL)
        return
    try:
        (result,) = run_tests(
            section,
            ctx.project.root,
            (test,),
            model_exec=ctx.granted(Capability.MODEL_EXECUTION),
            network=ctx.granted(Capability.NETWORK),
            endpoints={e.name: e for e in ctx.project.endpoints},
            level=str(ctx.target_level) if ctx.target_level is not None else None,
            parameters=ctx.parameters,
        )
    except MlsvsError as exc:
        yield errored(f"not verified: {exc.message}", key=test)
        return
    yield _outcome(result)


@_declare(
    id="MLC601",
    title="Clean accuracy is measured on held-out data with a confidence interval",
    requirement="M6.1.1",
    severity=Severity.MEDIUM,
    remediation="Declare model_tests.data.test (held-out data) and optionally "
    "accuracy.clean_accuracy_min per level.",
)
def clean_accuracy_measured(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Measure clean accuracy on a seeded held-out sample with a Wilson 95 % interval."""
    return _run(ctx, TestName.ACCURACY)


@_declare(
    id="MLC602",
    title="Black-box evasion robustness meets the declared threshold",
    requirement="M6.2.1",
    severity=Severity.HIGH,
    remediation="Harden the model (adversarial training, input validation) or lower the "
    "exposed output granularity; set robustness.blackbox_robust_accuracy_min.",
)
def blackbox_evasion(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Square (score-based) or HopSkipJump (decision-based) robust accuracy at the budget."""
    return _run(ctx, TestName.BLACKBOX)


@_declare(
    id="MLC603",
    title="White-box evasion robustness meets the threshold and passes sanity checks",
    requirement="M6.2.2",
    severity=Severity.HIGH,
    remediation="Use adversarial training; a failed sanity check means the number cannot be "
    "trusted (gradient masking): evaluate with stronger or black-box attacks.",
)
def whitebox_evasion(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """PGD robust-accuracy curve over ε with gradient-masking sanity checks."""
    return _run(ctx, TestName.WHITEBOX)


@_declare(
    id="MLC610",
    title="Membership inference stays below the declared AUC / TPR at low FPR",
    requirement="M7.2.1",
    severity=Severity.HIGH,
    remediation="Regularise, train with differential privacy, or reduce overfitting; "
    "declare privacy.mia_auc_max and privacy.mia_tpr_at_1pct_fpr_max.",
)
def membership_inference(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Loss / confidence / entropy threshold attacks (and LiRA with a recipe) on members."""
    return _run(ctx, TestName.MEMBERSHIP)


@_declare(
    id="MLC611",
    title="Attribute inference advantage over the public-features baseline is bounded",
    requirement="M7.2.2",
    severity=Severity.HIGH,
    remediation="Reduce what the outputs reveal (labels, rounding) or remove the sensitive "
    "attribute's influence; declare privacy.attribute_advantage_max.",
)
def attribute_inference(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Predict the sensitive column from outputs + public features vs public features alone."""
    return _run(ctx, TestName.ATTRIBUTE)


@_declare(
    id="MLC620",
    title="Model extraction fidelity at the query budget stays below the threshold",
    requirement="M8.2.2",
    severity=Severity.MEDIUM,
    remediation="Rate-limit and monitor queries, return labels only; declare "
    "extraction.extraction_fidelity_max.",
)
def model_extraction(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Train surrogates on the model's answers over a budget schedule; report fidelity."""
    return _run(ctx, TestName.EXTRACTION)


@_declare(
    id="MLC621",
    title="The model or API does not return full score vectors without justification",
    requirement="M7.1.1",
    severity=Severity.MEDIUM,
    remediation="Return labels, top-k or rounded scores, or record why full scores are "
    "needed in output.full_scores_justification.",
)
def output_minimised(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Detect labels-only, top-k, rounded or full-precision outputs from real answers."""
    return _run(ctx, TestName.OUTPUT)
