from __future__ import annotations

import random

import pytest

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.poison import canary_test
from mlsvs.datacheck.quality import quality_stats, read_training_table
from mlsvs.datacheck.table import source_for

from .helpers import FEATURES, numeric_rows, write_csv

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")


def _table(path, **kwargs):
    return read_training_table(source_for(path, path.name), "y", **kwargs)


def test_clean_data_is_within_default_limits(tmp_path) -> None:
    path = write_csv(tmp_path / "train.csv", [*FEATURES, "y"], numeric_rows(1, 600))
    stats = quality_stats(_table(path), outlier_z=3.5, folds=5, seed=0)
    assert stats.rows == stats.sample == 600
    assert stats.label_issue_rate < 0.05
    assert stats.duplicate_rate == 0.0
    assert stats.outlier_rate < 0.05
    assert stats.class_imbalance < 3


def test_flipped_labels_duplicates_and_outliers_are_measured(tmp_path) -> None:
    rows = numeric_rows(1, 600)
    rng = random.Random(0)
    for i in rng.sample(range(600), 90):  # 15 % label noise
        rows[i][4] = 1 - int(rows[i][4])
    rows += [list(rows[0]) for _ in range(12)]  # exact duplicates
    for i in range(100, 130):
        rows[i][1] = 10_000.0 + i  # extreme income
    path = write_csv(tmp_path / "train.csv", ["id_text", *FEATURES, "y"], [["t", *r] for r in rows])
    table = _table(path)
    assert table.ignored == ("id_text",)
    stats = quality_stats(table, outlier_z=3.5, folds=5, seed=0)
    assert "id_text" in stats.ignored  # a constant column is no feature either
    assert stats.duplicate_rate == pytest.approx(12 / 612, abs=1e-3)
    assert stats.outlier_rate >= 30 / 612
    assert 0.08 < stats.label_issue_rate < 0.25
    assert stats.noise_lower > 0.05 and stats.noise_lower <= stats.noise_rate <= stats.noise_upper
    assert sum(n for _, n in stats.label_issues_per_class) == round(stats.label_issue_rate * 612)


def test_reservoir_sample_is_bounded_and_seeded(tmp_path) -> None:
    path = write_csv(tmp_path / "train.csv", [*FEATURES, "y"], numeric_rows(1, 500))
    a = _table(path, max_rows=100, seed=1)
    b = _table(path, max_rows=100, seed=1)
    assert a.rows == 500 and len(a.matrix) == 100 and a.matrix == b.matrix


def test_unusable_labels_are_errors(tmp_path) -> None:
    rows = [[*r[:4], 1] for r in numeric_rows(1, 50)]
    path = write_csv(tmp_path / "train.csv", [*FEATURES, "y"], rows)
    with pytest.raises(DataFileError, match="only one class"):
        quality_stats(_table(path), outlier_z=3.5, folds=5, seed=0)
    with pytest.raises(DataFileError, match="no label column 'label'"):
        read_training_table(source_for(path, "train.csv"), "label")


def fit_tree(x, y, seed):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=seed).fit(x, y)


def test_canary_backdoor_succeeds_on_an_undefended_tree(tmp_path) -> None:
    train = write_csv(tmp_path / "train.csv", [*FEATURES, "y"], numeric_rows(1, 800))
    test = write_csv(tmp_path / "test.csv", [*FEATURES, "y"], numeric_rows(2, 300))
    result = canary_test(
        _table(train), _table(test), fit_tree, rate=0.05, target="", features=(), seed=0
    )
    assert result.features == ("age", "income") and result.poisoned_rows == 40
    assert result.attack_success_rate > 0.9
    assert result.baseline_success_rate < 0.6
    assert abs(result.accuracy_change) < 0.1
    with pytest.raises(DataFileError, match="not numeric in both splits"):
        canary_test(
            _table(train), _table(test), fit_tree, rate=0.05, target="", features=("zzz",), seed=0
        )
