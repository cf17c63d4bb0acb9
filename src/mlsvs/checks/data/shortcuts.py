"""Backdoor triggers and shortcuts in training data (MLSVS M2.3.1, poisoning indicators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.data._common import shown, training_setup, uncovered
from mlsvs.checks.data.quality import training_table
from mlsvs.datacheck.errors import DataError
from mlsvs.datacheck.spectral import SEPARATION as SPECTRAL_SEPARATION
from mlsvs.plugin import (
    Capability,
    DatasetArtifact,
    Gap,
    GapReason,
    Isolation,
    ModelArtifact,
    Outcome,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.datacheck.quality import TrainingTable
    from mlsvs.datacheck.shortcuts import ShortcutParams, ShortcutReport
    from mlsvs.plugin import CheckContext

PURITY_KEY = "M2.3.1.trigger_min_purity"
SUPPORT_KEY = "M2.3.1.trigger_max_support"
MAX_SUPPORT = {1: 0.05, 2: 0.10, 3: 0.15}
"""Level defaults of the largest trigger prevalence screened for (share of training rows)."""


def shortcut_params(ctx: CheckContext, seed: int, folds: int) -> ShortcutParams:
    """Thresholds from the standard's parameters for the target level."""
    from mlsvs.datacheck.shortcuts import ShortcutParams

    level = int(ctx.target_level) if ctx.target_level is not None else 2
    return ShortcutParams(
        min_purity=ctx.parameter(PURITY_KEY, 0.95),
        max_support=ctx.parameter(SUPPORT_KEY, MAX_SUPPORT[level]),
        seed=seed,
        folds=folds,
    )


def _facts(report: ShortcutReport, params: ShortcutParams) -> tuple[tuple[str, str], ...]:
    return (
        ("rows", str(report.rows)),
        ("columns", ",".join(report.columns)),
        ("text_columns", ",".join(report.text_columns)),
        ("tests", str(report.tests)),
        ("min_detectable_support", str(report.min_support)),
        ("min_purity", str(params.min_purity)),
        ("max_support", str(params.max_support)),
        ("alpha", str(params.alpha)),
        *((f"trigger.{i}", c.describe()) for i, c in enumerate(report.triggers[:10], 1)),
        *((f"strong_feature.{i}", c.describe()) for i, c in enumerate(report.features[:5], 1)),
    )


def _spectral(project: Project, embeddings: str, table: TrainingTable) -> list[str]:
    """Suspect classes of the spectral-signature test (Tran et al. 2018) on given embeddings."""
    from mlsvs.datacheck.errors import DataFileError
    from mlsvs.datacheck.spectral import load_embeddings, signatures

    if table.rows != len(table.labels):
        raise DataFileError(
            f"{embeddings}: the training table has {table.rows} rows but only "
            f"{len(table.labels)} were sampled; raise [datasets] quality_max_rows to use embeddings"
        )
    array = load_embeddings(project.root / embeddings, table.rows)
    return [
        f"class {c.label!r}: {c.outliers} of {c.rows} rows split off (Ashman's D "
        f"{c.separation:.1f}; rows {', '.join(map(str, c.examples))})"
        for c in signatures(array, table.labels)
        if c.suspect
    ]


@check(
    id="MLC232",
    title="No backdoor trigger: no rare value or n-gram almost always paired with one label",
    requirements=["M2.3.1"],
    applies_to=Project,
    reads=(DatasetArtifact,),
    severity=Severity.HIGH,
    requires=("numpy", "scipy", "sklearn"),
    remediation="Inspect the rows carrying the reported value or token: remove injected rows, "
    "trace their source, and retrain; record the review when the association is legitimate.",
)
def no_backdoor_trigger(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Label association of rare items (binomial test, Bonferroni) confirmed by a masked model."""
    from mlsvs.datacheck.quality import model_inputs
    from mlsvs.datacheck.shortcuts import screen

    setup = training_setup(ctx, project)
    if isinstance(setup, Outcome):
        yield setup
        return
    conf, train = setup
    params = shortcut_params(ctx, conf.seed, conf.cv_folds)
    for source in train:
        try:
            table = training_table(source, conf)
            report = screen(model_inputs(table), table.labels, params)
        except DataError as exc:
            yield uncovered(exc, source.display, key=source.display, prefix="not verified: ")
            continue
        facts = _facts(report, params)
        spectral: list[str] = []
        if conf.embeddings:
            try:
                spectral = _spectral(project, conf.embeddings, table)
            except DataError as exc:
                yield uncovered(exc, conf.embeddings, key=source.display, prefix="not verified: ")
                continue
            facts = (*facts, ("embeddings", conf.embeddings))
        if spectral:
            yield failed(
                f"{source.display}: spectral signature of a backdoor in {conf.embeddings}: "
                f"{'; '.join(spectral)}",
                key=source.display,
                facts=facts,
            )
            continue
        if report.triggers:
            yield failed(
                f"{source.display}: {len(report.triggers)} backdoor trigger candidate(s): "
                f"{shown([c.describe() for c in report.triggers], 3)}",
                key=source.display,
                facts=facts,
            )
            continue
        strong = f"; {len(report.features)} strong feature(s) the rest of the row agrees with" \
            if report.features else ""  # fmt: skip
        yield passed(
            f"{source.display}: no trigger among {report.tests:,} value/n-gram tests on "
            f"{len(report.columns)} column(s) (text: {', '.join(report.text_columns) or 'none'})"
            f"; a trigger needs at least {report.min_support} rows to be detectable{strong}",
            key=source.display,
            facts=facts,
        )


@check(
    id="MLC233",
    title="No spectral signature of a backdoor in the declared model's representations",
    requirements=["M2.3.1"],
    applies_to=Project,
    reads=(DatasetArtifact, ModelArtifact),
    severity=Severity.HIGH,
    requires=("numpy",),
    capabilities={Capability.MODEL_EXECUTION},
    isolation=Isolation.PROCESS,
    timeout_s=1800.0,
    remediation="Inspect the training rows the split isolates (they share a direction in the "
    "model's representation): remove injected rows, trace their source and retrain.",
)
def no_spectral_signature(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Spectral signatures (Tran et al. 2018) on the penultimate layer of the declared model.

    The model of ``[tool.mlsvs.model_tests]`` is loaded by the model adapters' safe loaders in
    a spawned worker (``--allow model-exec``); its penultimate activations (torch: the input of
    the last linear layer; other adapters: float64 log-probabilities) of every row of
    ``model_tests.data.train`` are split per labelled class as in ``datacheck.spectral``.
    """
    from mlsvs.adapters.models._common import representations_of
    from mlsvs.adapters.models.worker import open_worker
    from mlsvs.datacheck.spectral import signatures
    from mlsvs.errors import MlsvsError
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.data import load
    from mlsvs.modeltest.session import model_source

    section = ctx.section("model_tests")
    if not section:
        # No declared model: nothing of this check's kind here; the data screens decide.
        yield abstained(
            "no model under test declared ([tool.mlsvs.model_tests]): spectral signatures "
            "need the model's representations"
        )
        return
    if not ctx.granted(Capability.MODEL_EXECUTION):
        gap = Gap(
            item="model under test", reason=GapReason.NOT_PRESENT,
            detail="representations need the model run: rerun with --allow model-exec",
        )  # fmt: skip
        yield not_verified("not verified: computing representations runs the model", gap)
        return
    try:
        cfg = parse(section)
        source = model_source(cfg, project.root)
        data = load(project.root, cfg.data, "train", source.spec, source.n_classes)
        with open_worker(source, timeout_s=cfg.timeout_s) as worker:
            layer, reps = representations_of(worker.model, data.x)
    except MlsvsError as exc:
        cause = getattr(exc, "gap", None)
        if isinstance(cause, Gap):
            yield not_verified(f"not verified: {exc.message}", cause)
        else:
            yield errored(f"could not compute the model's representations: {exc.message}")
        return
    import numpy as np

    labels = tuple(str(int(v)) for v in data.y)
    matrix = np.asarray(reps, dtype=np.float64).reshape(reps.shape[0], -1)
    found = signatures(matrix, labels)
    facts = (
        ("layer", layer), ("rows", str(len(labels))), ("data", data.source),
        ("dimensions", str(matrix.shape[1])),
        *((f"class.{c.label}", f"{c.outliers}/{c.rows} split off, Ashman's D {c.separation:.1f}")
          for c in found),
    )  # fmt: skip
    if not found:
        yield not_verified(
            f"not verified: no class of {data.source} has enough rows for a spectral split",
            Gap(item=data.source, reason=GapReason.LIMIT, detail="fewer than 20 rows per class"),
        )
        return
    suspects = [c for c in found if c.suspect]
    if suspects:
        yield failed(
            f"{data.source}: spectral signature of a backdoor in the model's {layer}: "
            + "; ".join(
                f"class {c.label!r}: {c.outliers} of {c.rows} rows split off (Ashman's D "
                f"{c.separation:.1f}; rows {', '.join(map(str, c.examples))})"
                for c in suspects
            ),
            facts=facts,
        )
        return
    yield passed(
        f"{data.source}: no class split in the model's {layer} "
        f"(largest Ashman's D {max(c.separation for c in found):.1f}, limit "
        f"{SPECTRAL_SEPARATION:g}; {len(found)} class(es), {len(labels)} rows)",
        facts=facts,
    )
