"""Runtime model tests declared in ``[tool.mlsvs.model_tests]`` (MLSVS M6, M7, M8.2).

Every check loads the model in a spawned worker process (``--allow model-exec``) or queries a
declared HTTP endpoint (``--allow network``). Without a ``[model_tests]`` section, a grant,
valid data or enough query budget the outcome is ``error`` ("could not verify"), never a pass:
these are runtime requirements and only a measurement can satisfy them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Capability,
    Gap,
    Isolation,
    Outcome,
    Project,
    Severity,
    Status,
    abstained,
    check,
    errored,
    not_applicable,
    not_verified,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.errors import MlsvsError
    from mlsvs.modeltest.result import TestName, TestResult
    from mlsvs.plugin import Check, CheckContext

NO_MODEL = (
    "no model under test declared; add [tool.mlsvs.model_tests] with model, input and data "
    "tables (see docs/model-testing.md), or attest an external evaluation"
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
    if not result.applicable:
        return not_applicable(result.message, key=result.name)
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


def _not_run(exc: MlsvsError, key: str) -> Outcome:
    """Not verified with the gap when an input was missing or unreadable, else an error."""
    gap = getattr(exc, "gap", None)
    if isinstance(gap, Gap):
        return not_verified(f"not verified: {exc.message}", gap, key=key)
    return errored(f"could not run: {exc.message}", key=key)


def _run(ctx: CheckContext, name: str) -> Iterator[Outcome]:
    from mlsvs.errors import MlsvsError
    from mlsvs.modeltest.result import TestName
    from mlsvs.modeltest.session import run_tests

    section = ctx.section("model_tests")
    if not section:
        # Nothing declared to test: abstain, so an attestation of an external evaluation can
        # stand in (with neither, the requirement stays not verified).
        yield abstained(NO_MODEL)
        return
    test: TestName = TestName(name)
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
        yield _not_run(exc, name)
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
    return _run(ctx, "clean_accuracy")


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
    return _run(ctx, "blackbox_evasion")


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
    return _run(ctx, "whitebox_evasion")


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
    return _run(ctx, "membership_inference")


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
    return _run(ctx, "attribute_inference")


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
    return _run(ctx, "extraction")


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
    return _run(ctx, "output_minimisation")


@_declare(
    id="MLC650",
    title="Returned scores are calibrated: ECE and train/held-out confidence gap bounded",
    requirement="M7.1.3",
    severity=Severity.MEDIUM,
    remediation="Calibrate the scores (temperature scaling on held-out data), regularise to "
    "close the train/held-out confidence gap, or return labels only.",
)
def scores_calibrated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Expected calibration error (15 bins) on held-out data and the mean-confidence gap
    between training and held-out samples, each with a bootstrap 95 % interval."""
    return _run(ctx, "calibration")


@_declare(
    id="MLC651",
    title="Accuracy under corruptions and natural shift keeps the standard's share of clean",
    requirement="M6.3.1",
    severity=Severity.MEDIUM,
    remediation="Train with augmentation (AugMix-style corruptions, noise, missing-value "
    "imputation) and validate inputs; see the worst corruption in the measurements.",
)
def corruption_robustness(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Mean accuracy over a corruption suite (tabular noise/missing/scale/offset shifts, or
    CIFAR-10-C-style image corruptions) at the standard's severity, divided by clean accuracy."""
    return _run(ctx, "corruption_robustness")


@_declare(
    id="MLC652",
    title="Out-of-distribution inputs are detected and routed to the fail-safe",
    requirement="M6.3.2",
    severity=Severity.MEDIUM,
    remediation="Add an OOD detector (confidence threshold, abstain class) in front of the "
    "decision and route flagged inputs to the fail-safe; declare it in model_tests.ood.",
)
def ood_detected(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Detection rate of the declared detector on an OOD set and its false-positive rate on
    held-out in-distribution inputs, with Wilson 95 % intervals."""
    return _run(ctx, "ood_detection")


@_declare(
    id="MLC653",
    title="Worst-case inputs keep per-query latency and memory within the standard's ratios",
    requirement="M6.4.2",
    severity=Severity.MEDIUM,
    remediation="Bound data-dependent loops and allocations, reject non-finite and "
    "out-of-range values before inference, and set per-request timeouts.",
)
def worst_case_compute(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """p99 latency of crafted inputs (bounds, extremes, non-finite, fuzz) over the median of
    ordinary ones, and the model process's peak-memory ratio; rejected inputs are fine."""
    return _run(ctx, "worst_case_compute")


@_declare(
    id="MLC654",
    title="Memorisation indicators (generalisation gap) stay within the standard's limit",
    requirement="M7.2.3",
    severity=Severity.MEDIUM,
    remediation="Regularise, stop earlier or add data; a large train/held-out gap also "
    "drives membership inference.",
)
def memorisation_indicators(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Training accuracy minus held-out accuracy with a Newcombe 95 % interval."""
    return _run(ctx, "memorisation")


@_declare(
    id="MLC655",
    title="Metrics declared in the model card are within the measured uncertainty",
    requirement="M6.1.3",
    severity=Severity.MEDIUM,
    remediation="Update the model card's model-index to the latest measured values.",
)
def declared_metrics_match(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each model-index claim (accuracy, error, F1, precision, recall, balanced accuracy) is
    measured on held-out data; a claim above the 95 % interval fails."""
    return _run(ctx, "declared_metrics")


@_declare(
    id="MLC656",
    title="Third-party model meets its publisher's claims on own data, bound to its digest",
    requirement="M5.2.1",
    severity=Severity.HIGH,
    remediation="Do not accept the model, or record why the shortfall is acceptable and "
    "re-derive its claims; pin the accepted digest in claims.expected_digest.",
)
def third_party_acceptance(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Measure each claimed metric on the organisation's data for the exact artifact file
    (its SHA-256 recorded and compared with the accepted one); shortfall at most the limit."""
    return _run(ctx, "acceptance")


@_declare(
    id="MLC657",
    title="Derived models (quantised, pruned, distilled, converted) pass the parent's suite",
    requirement="M6.1.4",
    severity=Severity.MEDIUM,
    remediation="Re-run the parent's evaluation on every derived artifact before deployment "
    "and do not deploy one that misses a limit; declare them in model_tests.derived.models.",
)
def derived_models_reevaluated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Run the parent's tests (`derived.suite`: accuracy and corruption robustness by
    default) with the same data, seed and parameters on each derived model; every test must
    pass, and a test the parent met but the derived model misses is named."""
    return _run(ctx, "derived_evaluation")


@_declare(
    id="MLC658",
    title="Rebuilding with the recorded recipe reproduces the model's accuracy within tolerance",
    requirement="M3.1.3",
    severity=Severity.MEDIUM,
    remediation="Pin seeds, data order and library versions in the training recipe; record "
    "them in the provenance record.",
)
def training_reproducible(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Run the declared recipe `fit(X, y, seed)` on the training data in the model worker and
    compare the rebuild's held-out accuracy with the registered model's on the same sample:
    the largest deviation over the declared seeds is at most `max_metric_deviation`."""
    return _run(ctx, "reproducibility")
