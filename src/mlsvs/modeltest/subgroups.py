"""Subgroup robustness gaps (M6.4.3): clean and corrupted accuracy of every declared subgroup
against the whole evaluation set.

The subgroup column (``subgroups.column``) is a column of the evaluation file that the model
does not see (a demographic, language or device field) or one of its features. Each group with
at least ``min_group_size`` rows is measured on the clean inputs and under the tabular or image
corruption suite of M6.3.1 at the standard's severity; the gap is the absolute difference
between the group's accuracy and the whole set's. A group too small to measure leaves the
requirement not verified: an unmeasured group is not a small gap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.data import TestDataError
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import FamilySettings, ModelTestConfig
    from mlsvs.modeltest.data import Dataset

NAME = TestName.SUBGROUPS
MIN_GROUP = 30
MAX_GROUPS = 50


def column_values(root: Path, data: FamilySettings, role: str, column: str) -> npt.NDArray[np.str_]:
    """The values of ``column`` in the file of ``data.<role>``, in row order, as text.

    The loader keeps every row in file order, so these line up with the loaded dataset.
    """
    import numpy as np

    rel = data.get_str(role, "")
    if not rel:
        raise TestDataError(f"model_tests.data.{role} is not declared")
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise TestDataError(f"data file {rel} does not exist in the project")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            if column not in z.files:
                raise TestDataError(f"{path.name} has no array {column!r} (has {sorted(z.files)})")
            return np.asarray(z[column]).astype(str).reshape(-1)
    try:
        import pandas as pd
    except ImportError:
        raise TestDataError("reading CSV/Parquet needs pandas: pip install 'mlsvs[data]'") from None
    try:
        df = (
            pd.read_csv(path, usecols=[column], dtype=str, keep_default_na=False)
            if path.suffix == ".csv"
            else pd.read_parquet(path, columns=[column])
        )
    except (ValueError, KeyError):
        raise TestDataError(f"{path.name} has no column {column!r}") from None
    except Exception as exc:  # noqa: BLE001 - pandas/pyarrow raise many types
        raise TestDataError(f"cannot read {path.name}: {type(exc).__name__}: {exc}") from None
    out: npt.NDArray[np.str_] = df[column].astype(str).to_numpy()
    return out


def subgroup_robustness(
    model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, root: Path
) -> TestResult:
    """The largest |group - whole| gap over clean and corrupted accuracy, per declared group."""
    import numpy as np

    from mlsvs.modeltest.corruptions import apply, context, is_image
    from mlsvs.modeltest.shift import DEFAULT_SEVERITY, _suite

    sec = cfg.subgroups
    column = sec.get_str("column", "")
    if not column:
        raise TestDataError("subgroup robustness needs model_tests.subgroups.column = 'column'")
    groups_all = column_values(root, cfg.data, "test", column)
    if len(groups_all) != len(test):
        raise TestDataError(
            f"{test.source}: {column!r} has {len(groups_all)} values, not {len(test)}"
        )
    n = sec.get_int("samples", 5000)
    idx = np.random.default_rng([cfg.seed, 643]).permutation(len(test))[:n]
    x, y, groups = test.x[idx], test.y[idx], groups_all[idx]
    names, counts = np.unique(groups, return_counts=True)
    if len(names) < 2:
        return TestResult(
            name=NAME, ok=None, message=f"{column!r} has one value in {test.source}: no subgroups",
            gaps=limited(f"subgroups of {column}", "fewer than two groups in the evaluation set"),
        )  # fmt: skip
    if len(names) > MAX_GROUPS:
        raise TestDataError(f"{column!r} has {len(names)} values: not a subgroup column")
    image = is_image(model.input_spec)
    severity = int(cfg.standard.budget("M6.3.1.severity", sec.get_int("severity", 0)))
    severity = min(5, severity if severity > 0 else DEFAULT_SEVERITY)
    ok_by: dict[str, npt.NDArray[np.bool_]] = {"clean": model.predict(x) == y}
    ctx = context(x, model.input_spec, image=image)
    for i, kind in enumerate(_suite(cfg, image)):
        xc = apply(kind, x, severity, np.random.default_rng([cfg.seed, 644, i]), ctx)
        ok_by[kind.value] = model.predict(xc) == y
    corrupted = np.mean(np.stack([v for k, v in ok_by.items() if k != "clean"]), axis=0)
    threshold, source = cfg.standard.threshold(
        "M6.4.3.max_subgroup_gap", sec.threshold("subgroup_gap_max")
    )
    min_size = max(MIN_GROUP, sec.get_int("min_group_size", MIN_GROUP))
    measurements: list[Measurement] = []
    worst = (0.0, "", "")
    small: list[str] = []
    whole = {"clean": float(ok_by["clean"].mean()), "corrupted": float(corrupted.mean())}
    for name, count in zip(names.tolist(), counts.tolist(), strict=True):
        if count < min_size:
            small.append(f"{name} ({count})")
            continue
        mask = groups == name
        for what, values in (("clean", ok_by["clean"]), ("corrupted", corrupted)):
            acc = float(values[mask].mean())
            gap = abs(acc - whole[what])
            lo, hi = wilson(round(float(values[mask].sum())), int(count))
            measurements.append(
                Measurement(
                    name=f"subgroup_accuracy.{what}.{name}",
                    value=acc,
                    lower=lo,
                    upper=hi,
                    confidence=0.95,
                    unit="accuracy",
                    parameters=params(
                        column=column,
                        group=name,
                        rows=count,
                        gap=gap,
                        whole=whole[what],
                        severity=severity,
                    ),
                )
            )
            if gap > worst[0]:
                worst = (gap, name, what)
    gap, group, what = worst
    d = decide(gap, threshold, cfg.level)
    measurements.insert(
        0,
        Measurement(
            name="max_subgroup_gap",
            value=gap,
            threshold=d.limit,
            unit="accuracy points",
            parameters=params(
                column=column,
                groups=len(names),
                samples=len(y),
                data=test.source,
                severity=severity,
                worst_group=group or None,
                worst_metric=what or None,
                limit_source=source,
                seed=cfg.seed,
            ),
        ),
    )
    measured = len(names) - len(small)
    text = (
        f"{measured} subgroup(s) of {column!r}: whole-set accuracy {whole['clean']:.3f} clean, "
        f"{whole['corrupted']:.3f} corrupted (severity {severity}); largest gap {gap:.3f}"
        + (f" ({group}, {what})" if group else "")
    )
    if small:
        return TestResult(
            name=NAME, ok=None, measurements=tuple(measurements),
            message=f"{text}; not verified: group(s) below {min_size} rows: {', '.join(small[:5])}",
            gaps=limited(f"subgroups of {column}", f"too small to measure: {', '.join(small)}"),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(name=NAME, ok=None, measurements=tuple(measurements),
                          message=f"{text}: {d.text}",
                          gaps=limited("subgroup gap limit", d.text))  # fmt: skip
    return TestResult(
        name=NAME, ok=d.ok, measurements=tuple(measurements), message=f"{text}: {d.text}"
    )
