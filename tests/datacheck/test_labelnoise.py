"""Confident learning on real datasets (scikit-learn's bundled ones load offline).

Each flaw is built at test time: a clean copy of a dataset, and one with 5 % of the labels
flipped to another class. The check must fail the flipped copy, pass the clean one where the
sample can show it, and say "not verified" where it cannot (iris: 150 rows).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from mlsvs.checks.data.quality import poisoning_screening
from mlsvs.datacheck import labelnoise
from mlsvs.model.catalog import Level
from mlsvs.plugin import CheckContext, Status

from .helpers import project, write_csv

np = pytest.importorskip("numpy")
datasets = pytest.importorskip("sklearn.datasets")


def dataset_csv(root: Path, name: str, flip: float, seed: int = 0) -> tuple[Path, set[int]]:
    """``root/data/train.csv`` from a bundled dataset with ``flip`` of its labels changed."""
    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    rng = np.random.default_rng(seed)
    classes = len(set(y.tolist()))
    flipped = rng.choice(len(y), round(flip * len(y)), replace=False)
    y = y.copy()
    y[flipped] = (y[flipped] + rng.integers(1, classes, len(flipped))) % classes
    header = [f"f{i}" for i in range(x.shape[1])] + ["label"]
    rows = [[*r, int(v)] for r, v in zip(x.tolist(), y.tolist(), strict=True)]
    path = write_csv(root / "data" / "train.csv", header, rows)
    return path, {int(i) for i in flipped}


def screen(root: Path, level: Level | None = None) -> tuple[Status, str, dict[str, object]]:
    ctx, proj = project(root)
    if level is not None:
        ctx = CheckContext(
            project=ctx.project, today=dt.date(2026, 12, 1), settings=ctx.settings,
            target_level=level,
        )  # fmt: skip
    [outcome] = poisoning_screening.run(ctx, proj)
    noise = {m.name: m for m in outcome.measurements}.get("label_noise_rate")
    facts = {"noise": noise}
    return outcome.status, outcome.message, facts


@pytest.mark.parametrize("name", ["breast_cancer"])
def test_five_percent_flipped_labels_fail_and_clean_copy_passes(tmp_path, name) -> None:
    clean = tmp_path / "clean"
    dataset_csv(clean, name, 0.0)
    status, message, facts = screen(clean)
    assert status is Status.PASS, message
    noise = facts["noise"]
    assert noise is not None and noise.upper is not None and noise.upper < noise.threshold

    dirty = tmp_path / "dirty"
    dataset_csv(dirty, name, 0.05)
    status, message, facts = screen(dirty)
    assert status is Status.FAIL, message
    noise = facts["noise"]
    assert noise is not None and noise.lower is not None and noise.lower > 0.02
    assert 0.035 < noise.value < 0.09  # the estimate is near the 5 % that was flipped


def test_flipped_rows_are_the_ones_flagged(tmp_path) -> None:
    _, flipped = dataset_csv(tmp_path, "digits", 0.05)
    from mlsvs.datacheck.quality import quality_stats, read_training_table
    from mlsvs.datacheck.table import source_for

    table = read_training_table(source_for(tmp_path / "data" / "train.csv", "t"), "label")
    stats = quality_stats(table, outlier_z=3.5, folds=5, seed=0)
    assert stats.kappa > 0.8 and stats.noise_lower > 0.02
    # label_issues holds the first 20 flagged rows (1-based): most must be real flips.
    hits = sum((i - 1) in flipped for i in stats.label_issues)
    assert hits >= 0.8 * len(stats.label_issues) and len(stats.label_issues) == 20


def test_small_sample_is_not_verified_and_level_tightens_the_limit(tmp_path) -> None:
    dataset_csv(tmp_path, "iris", 0.0)
    status, message, _ = screen(tmp_path)
    assert status is Status.NOT_VERIFIED and "cannot decide" in message  # 0 of 150: CI up to 2.5 %
    status, message, facts = screen(tmp_path, Level.L1)
    assert status is Status.PASS, message  # the L1 limit (3 %) is above the interval
    assert facts["noise"] is not None and facts["noise"].threshold == 0.03


def test_parameter_overrides_the_level_default(tmp_path) -> None:
    dataset_csv(tmp_path, "breast_cancer", 0.05)
    ctx, proj = project(tmp_path)
    ctx = CheckContext(
        project=ctx.project, today=ctx.today, settings=ctx.settings, target_level=Level.L3,
        parameters={labelnoise.NOISE_LIMIT_KEY: 0.2},
    )  # fmt: skip
    [outcome] = poisoning_screening.run(ctx, proj)
    assert outcome.status is Status.PASS, outcome.message


def test_labels_without_signal_are_not_verified(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=4).round(4).tolist(), int(rng.integers(0, 2))] for _ in range(600)]
    write_csv(tmp_path / "data" / "train.csv", ["a", "b", "c", "d", "label"], rows)
    status, message, _ = screen(tmp_path)
    assert status is Status.NOT_VERIFIED and "kappa" in message


def test_decision_uses_the_interval() -> None:
    assert labelnoise.decide(0.03, 0.05, 0.02) is labelnoise.Decision.EXCEEDS
    assert labelnoise.decide(0.0, 0.019, 0.02) is labelnoise.Decision.WITHIN
    assert labelnoise.decide(0.01, 0.03, 0.02) is labelnoise.Decision.UNDECIDED
    low, high = labelnoise.wilson(0, 150)
    assert low == 0 and high == pytest.approx(0.0250, abs=1e-4)


def random_probs(rng, n: int, k: int):
    logits = rng.normal(size=(n, k)) * rng.uniform(0.3, 5)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = probs.argmax(axis=1)
    noisy = rng.random(n) < 0.1
    labels[noisy] = rng.integers(0, k, int(noisy.sum()))
    return labels, probs


def test_native_confident_learning_matches_cleanlab() -> None:
    pytest.importorskip("cleanlab", reason="cleanlab is the optional mlsvs[cleanlab] extra")
    from cleanlab.count import estimate_joint
    from cleanlab.filter import find_label_issues

    rng = np.random.default_rng(7)
    cases = [random_probs(rng, int(rng.integers(30, 2000)), int(rng.integers(2, 7)))
             for _ in range(40)]  # fmt: skip
    x, y = datasets.load_digits(return_X_y=True)
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_noisy = y.copy()
        y_noisy[::17] = (y_noisy[::17] + 3) % 10
        probs = cross_val_predict(LogisticRegression(max_iter=300), x / 16, y_noisy, cv=3,
                                  method="predict_proba")  # fmt: skip
    cases.append((y_noisy, probs))
    for labels, p in cases:
        expected = find_label_issues(labels=labels, pred_probs=p, n_jobs=1)
        assert (labelnoise.label_issues(labels, p) == expected).all()
        joint = estimate_joint(labels=labels, pred_probs=p)
        assert labelnoise.noise_rate(labels, p) == pytest.approx(1 - np.trace(joint), abs=1e-12)


def test_cleanlab_method_gives_the_same_verdict(tmp_path) -> None:
    pytest.importorskip("cleanlab", reason="cleanlab is the optional mlsvs[cleanlab] extra")
    dataset_csv(tmp_path, "breast_cancer", 0.05)
    ctx, proj = project(tmp_path, {"label_method": "cleanlab"})
    [outcome] = poisoning_screening.run(ctx, proj)
    ctx2, _ = project(tmp_path, {})
    [native] = poisoning_screening.run(ctx2, proj)
    assert outcome.status is native.status is Status.FAIL
    values = [{m.name: m.value for m in o.measurements} for o in (outcome, native)]
    assert values[0] == values[1]
