"""Poisoning screening (MLSVS M2.3): data-quality rates and a canary poisoning test."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.data._common import (
    NO_TRAIN,
    label_column,
    settings,
    test_files,
    training_files,
    training_setup,
    uncovered,
)
from mlsvs.datacheck.errors import DataError
from mlsvs.datacheck.table import read_header
from mlsvs.plugin import (
    Capability,
    DatasetArtifact,
    Gap,
    GapReason,
    Isolation,
    Measurement,
    Outcome,
    Project,
    Severity,
    SourceFile,
    Status,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.datacheck.quality import QualityStats, TrainingTable
    from mlsvs.datacheck.settings import DataSettings
    from mlsvs.datacheck.table import TableSource
    from mlsvs.plugin import CheckContext


def training_table(source: TableSource, conf: DataSettings) -> TrainingTable:
    """A training file read with its label column, for the label-based data checks."""
    from mlsvs.datacheck.quality import read_training_table

    label = label_column(read_header(source), conf)
    if label is None:
        raise DataError(f"{source.display}: no label column; declare [datasets] label_column")
    exclude = frozenset(c for c in (conf.key_column, conf.time_column) if c)
    return read_training_table(
        source, label, exclude=exclude, max_rows=conf.quality_max_rows, seed=conf.seed
    )


def noise_limit(ctx: CheckContext, conf: DataSettings) -> tuple[float, str]:
    """The label-noise limit in force and where it comes from."""
    from mlsvs.datacheck.labelnoise import NOISE_LIMIT_KEY, NOISE_LIMITS

    if conf.label_issue_rate_max is not None:
        return conf.label_issue_rate_max, "[datasets] label_issue_rate_max"
    level = int(ctx.target_level) if ctx.target_level is not None else 2
    value = ctx.parameter(NOISE_LIMIT_KEY, NOISE_LIMITS[level])
    return value, f"{NOISE_LIMIT_KEY} (L{level})"


def _measurements(
    stats: QualityStats, conf: DataSettings, limit: float, source: str
) -> tuple[Measurement, ...]:
    params = (
        ("rows", str(stats.rows)),
        ("sample", str(stats.sample)),
        ("features", ",".join(stats.features)),
        ("ignored", ",".join(stats.ignored)),
        ("model", stats.model),
        ("model_kappa", f"{stats.kappa:.4f}"),
        ("cv_folds", str(stats.folds)),
        ("method", stats.method),
        ("bootstrap_rounds", str(stats.bootstrap_rounds)),
        ("limit_source", source),
        ("outlier_z", str(conf.outlier_z)),
        ("seed", str(conf.seed)),
        ("class_counts", ",".join(f"{c}={n}" for c, n in stats.class_counts)),
        ("label_issues_per_class", ",".join(f"{c}={n}" for c, n in stats.label_issues_per_class)),
        ("label_issue_rows", ",".join(map(str, stats.label_issues))),
    )
    return (
        Measurement(name="label_noise_rate", value=stats.noise_rate, lower=stats.noise_lower,
                    upper=stats.noise_upper, confidence=0.95, threshold=limit, parameters=params),
        Measurement(name="label_issue_rate", value=stats.label_issue_rate, parameters=params),
        Measurement(name="duplicate_rate", value=stats.duplicate_rate,
                    threshold=conf.duplicate_rate_max, parameters=params),
        Measurement(name="outlier_rate", value=stats.outlier_rate,
                    threshold=conf.outlier_rate_max, parameters=params),
        Measurement(name="class_imbalance", value=stats.class_imbalance,
                    threshold=conf.class_imbalance_max, parameters=params),
    )  # fmt: skip


@check(
    id="MLC230",
    title="Label-issue, duplicate, outlier and class-imbalance rates are within limits",
    requirements=["M2.3.1"],
    applies_to=Project,
    reads=(DatasetArtifact,),
    severity=Severity.MEDIUM,
    requires=("numpy", "sklearn"),
    remediation="Review the flagged rows (label errors, repeated or extreme records) before "
    "training; tune the [datasets] *_max thresholds only with a recorded review.",
)
def poisoning_screening(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Confident-learning label issues on cross-validated probabilities, plus simple rates."""
    from mlsvs.datacheck.quality import judge, quality_stats

    setup = training_setup(ctx, project)
    if isinstance(setup, Outcome):
        yield setup
        return
    conf, train = setup
    limit, origin = noise_limit(ctx, conf)
    for source in train:
        try:
            stats = quality_stats(
                training_table(source, conf),
                outlier_z=conf.outlier_z,
                folds=conf.cv_folds,
                seed=conf.seed,
                method=conf.label_method,
            )
        except DataError as exc:
            prefix = "" if exc.message.startswith(source.display) else f"{source.display}: "
            yield uncovered(exc, source.display, key=source.display, prefix=prefix)
            continue
        measurements = _measurements(stats, conf, limit, origin)
        verdict, reasons, noise = judge(stats, conf, limit)
        summary = ", ".join(f"{m.name} {m.value:.4g}" for m in measurements[2:])
        if verdict == "fail":
            yield failed(f"{source.display}: {'; '.join(reasons)}", key=source.display,
                         measurements=measurements)  # fmt: skip
        elif verdict == "undecided":
            text = f"not verified: {source.display}: {'; '.join(reasons)}"
            gap = Gap(item=f"{source.display} (labels)", reason=GapReason.LIMIT,
                      detail=reasons[-1])  # fmt: skip
            yield Outcome(status=Status.NOT_VERIFIED, key=source.display, message=text,
                          measurements=measurements, gaps=(gap,))  # fmt: skip
        else:
            yield passed(f"{source.display}: {noise}; {summary} (all within limits)",
                         key=source.display, measurements=measurements)  # fmt: skip


@check(
    id="MLC231",
    title="A canary poison through the training recipe stays below the attack-success limit",
    requirements=["M2.3.2"],
    applies_to=Project,
    reads=(DatasetArtifact, SourceFile),
    severity=Severity.HIGH,
    requires=("numpy",),
    capabilities={Capability.MODEL_EXECUTION},
    isolation=Isolation.PROCESS,
    timeout_s=1800.0,
    remediation="Add poisoning defences to the pipeline (data provenance, outlier and "
    "trigger filtering, robust training) until the canary's attack success stays low.",
)
def canary_poisoning(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Insert a trigger into p % of training rows, retrain with the recipe, measure success."""
    from mlsvs.datacheck.poison import canary_test

    try:
        conf = settings(ctx)
        train, test = training_files(project, conf), test_files(project, conf)
    except DataError as exc:
        yield errored(exc.message)
        return
    if not conf.recipe:
        yield not_verified(
            "not verified: no training recipe; set [datasets] recipe = 'module:fit'",
            Gap(item="[datasets] recipe", reason=GapReason.NOT_PRESENT, detail="not declared"),
        )
        return
    if not train or not test:
        yield errored(NO_TRAIN.replace("train = '...'", "train = '...', test = '...'"))
        return
    from mlsvs.adapters.models.errors import ModelTestError
    from mlsvs.adapters.models.load import resolve

    try:
        fit = resolve(str(project.root), conf.recipe)
        result = canary_test(
            training_table(train[0], conf), training_table(test[0], conf), fit,
            rate=conf.canary_rate, target=conf.canary_target,
            features=conf.canary_features, seed=conf.seed,
        )  # fmt: skip
    except (DataError, ModelTestError) as exc:
        gap = getattr(exc, "gap", None)
        if isinstance(gap, Gap):
            yield not_verified(f"not verified: {exc.message}", gap)
        else:
            yield errored(f"could not run the canary test: {exc.message}")
        return
    params = (
        ("rate", str(conf.canary_rate)), ("poisoned_rows", str(result.poisoned_rows)),
        ("target", result.target), ("features", ",".join(result.features)),
        ("trigger", ",".join(f"{v:.6g}" for v in result.trigger)), ("seed", str(conf.seed)),
        ("triggered_test_rows", str(result.triggered_test_rows)),
        ("baseline_success_rate", f"{result.baseline_success_rate:.4g}"),
        ("clean_accuracy", f"{result.clean_accuracy:.4g}"),
        ("recipe", conf.recipe), ("train", train[0].display), ("test", test[0].display),
    )  # fmt: skip
    asr = Measurement(name="canary_attack_success_rate", value=result.attack_success_rate,
                      threshold=conf.canary_attack_success_max, parameters=params)  # fmt: skip
    drop = Measurement(name="clean_accuracy_change", value=result.accuracy_change,
                       threshold=-conf.canary_accuracy_drop_max, parameters=params)  # fmt: skip
    text = (
        f"attack success {result.attack_success_rate:.3f} (clean model "
        f"{result.baseline_success_rate:.3f}), clean accuracy {result.clean_accuracy:.3f} -> "
        f"{result.poisoned_accuracy:.3f} with {result.poisoned_rows} poisoned row(s)"
    )
    if (
        result.attack_success_rate > conf.canary_attack_success_max
        or -result.accuracy_change > conf.canary_accuracy_drop_max
    ):
        yield failed(text, measurements=(asr, drop))
    else:
        yield passed(text, measurements=(asr, drop))
