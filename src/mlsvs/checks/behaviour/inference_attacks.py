"""Runtime tests of subgroup gaps (M6.4.3), data reconstruction (M7.2.5), property
inference (M7.2.6) and adaptive attacks on declared defences (M6.2.5), declared in
``[tool.mlsvs.model_tests]`` like the other model tests.

They load the model in a spawned worker (``--allow model-exec``); without a declaration, a
grant or the data they need the outcome is "could not verify", never a pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.behaviour.model_tests import _declare, _run
from mlsvs.plugin import Severity

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome, Project


@_declare(
    id="MLC1030",
    title="Subgroup accuracy and corrupted accuracy stay within the standard's gap",
    requirement="M6.4.3",
    severity=Severity.MEDIUM,
    remediation="Collect or reweight data for the weak subgroup, augment it, or route it to a "
    "fallback; declare the subgroup column in model_tests.subgroups.column.",
)
def subgroup_gaps(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Clean and corrupted (M6.3.1 suite) accuracy of every group of `subgroups.column` on
    held-out data; the largest |group - whole set| gap is at most `max_subgroup_gap`."""
    return _run(ctx, "subgroup_robustness")


@_declare(
    id="MLC1031",
    title="Model inversion reconstructs no more training records than the standard allows",
    requirement="M7.2.5",
    severity=Severity.HIGH,
    remediation="Return labels or rounded scores, regularise (wider kernels, weight decay) or "
    "train with differential privacy; declare reconstruction.unknown_features.",
)
def reconstruction_resisted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """An informed adversary knowing a training record's label and all but the declared
    unknown features searches them with `query_budget` score queries per target; the share
    reconstructed within tolerance (nearest training record, beyond the prior) is at most
    `max_reconstruction_success`."""
    return _run(ctx, "reconstruction")


@_declare(
    id="MLC1032",
    title="Property inference over shadow training sets stays within the standard's advantage",
    requirement="M7.2.6",
    severity=Severity.HIGH,
    remediation="Balance or reweight the sensitive group's share, regularise, or add noise to "
    "the outputs; declare property_inference.column/value and privacy.recipe.",
)
def property_inference_resisted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Shadow models trained with the project's recipe on training sets with two shares of
    the sensitive group; a cross-validated meta-classifier over their scores on fixed probes
    has an advantage over a coin flip of at most `max_property_advantage`."""
    return _run(ctx, "property_inference")


@_declare(
    id="MLC1042",
    title="Evasion defences keep the standard's robust-accuracy ratio under adaptive attacks",
    requirement="M6.2.5",
    severity=Severity.HIGH,
    remediation="Evaluate every defence with an attack adapted to it (EOT for randomness, "
    "end-to-end for transforms); prefer adversarial training; declare the served pipeline's "
    "defences in model_tests.adaptive.defences.",
)
def adaptive_attacks(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The Square attack on the served (defended) pipeline, on the Expectation over
    Transformation for randomized defences; robust accuracy over clean accuracy at least
    `min_robust_accuracy_ratio`, with the naive attack's figure reported beside it."""
    return _run(ctx, "adaptive_evaluation")
