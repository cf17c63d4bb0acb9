"""Evaluation data: CSV / Parquet / NPZ files inside the project, checked against the spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.adapters.models.errors import InputShapeError, ModelTestError
from mlsvs.model.coverage import Gap, GapReason
from mlsvs.modeltest.config import strs

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.modeltest.config import FamilySettings

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


class TestDataError(ModelTestError):
    """Evaluation data is missing, unreadable or does not fit the model."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Dataset:
    """Inputs shaped like the model expects, integer labels, optional sensitive column."""

    x: Array
    y: Labels
    features: tuple[str, ...]
    source: str
    sensitive: Array | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def head(self, n: int) -> Dataset:
        """The first ``n`` rows."""
        s = None if self.sensitive is None else self.sensitive[:n]
        return Dataset(
            x=self.x[:n], y=self.y[:n], features=self.features, source=self.source, sensitive=s
        )

    def take(self, n: int, rng: np.random.Generator) -> Dataset:
        """A seeded random subset of at most ``n`` rows (all rows, shuffled, if fewer)."""
        idx = rng.permutation(len(self))[: max(0, n)]
        s = None if self.sensitive is None else self.sensitive[idx]
        return Dataset(
            x=self.x[idx], y=self.y[idx], features=self.features, source=self.source, sensitive=s
        )


def load(
    root: Path,
    data: FamilySettings,
    role: str,
    spec: InputSpec,
    n_classes: int,
    *,
    labels: bool = True,
) -> Dataset:
    """Load the file named by ``data.<role>`` (``test``, ``train``, ``nonmembers``, ``ood``).

    ``labels=False`` (out-of-distribution inputs): a label column/array is not required and
    the labels of the returned set are all 0.
    """
    rel = data.get_str(role, "")
    if not rel:
        raise TestDataError(
            f"model_tests.data.{role} is not declared",
            gap=Gap(item=f"model_tests.data.{role}", reason=GapReason.NOT_PRESENT,
                    detail="not declared"),
        )  # fmt: skip
    base = root.resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base):
        raise TestDataError(f"data file {rel} is outside the project")
    if not path.is_file():
        raise TestDataError(
            f"data file {rel} does not exist",
            gap=Gap(item=rel, reason=GapReason.NOT_PRESENT, detail="no such file"),
        )
    if path.suffix == ".npz":
        x, y, names, sens = _npz(path, data, labels)
    elif path.suffix in (".csv", ".parquet", ".pq"):
        x, y, names, sens = _table(path, data, labels)
    else:
        raise TestDataError(
            f"data file {rel}: use .csv, .parquet or .npz",
            gap=Gap(item=rel, reason=GapReason.UNSUPPORTED, detail="not .csv, .parquet or .npz"),
        )
    if not labels:
        import numpy as np

        y = np.zeros(x.shape[0], dtype=np.int64)
    return _finish(x, y, names, sens, rel, spec, n_classes)


def _npz(
    path: Path, data: FamilySettings, labels: bool = True
) -> tuple[Array, Array, tuple[str, ...], Array | None]:
    import numpy as np

    x_key, y_key = data.get_str("x_key", "x"), data.get_str("y_key", "y")
    with np.load(path, allow_pickle=False) as z:
        needed = (x_key, y_key) if labels else (x_key,)
        missing = [k for k in needed if k not in z.files]
        if missing:
            raise TestDataError(f"{path.name} has no array {missing[0]!r} (has {sorted(z.files)})")
        x = z[x_key]
        y = z[y_key] if y_key in z.files else np.zeros(x.shape[0], dtype=np.int64)
        sens_key = data.get_str("sensitive", "")
        sens = z[sens_key] if sens_key and sens_key in z.files else None
    names = tuple(f"f{i}" for i in range(int(np.prod(x.shape[1:]))))
    return x, y, names, sens


def _table(
    path: Path, data: FamilySettings, labels: bool = True
) -> tuple[Array, Array, tuple[str, ...], Array | None]:
    import numpy as np

    try:
        import pandas as pd
    except ImportError:
        raise TestDataError("reading CSV/Parquet needs pandas: pip install 'mlsvs[data]'") from None
    try:
        df = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pandas/pyarrow raise many types
        raise TestDataError(
            f"cannot read {path.name}: {type(exc).__name__}: {exc}",
            gap=Gap(item=path.name, reason=GapReason.UNPARSEABLE, detail=type(exc).__name__),
        ) from None
    label = data.get_str("label", "label")
    sensitive = data.get_str("sensitive", "")
    feats = data.get("features", None)
    if feats is None:
        names = tuple(str(c) for c in df.columns if c not in (label, sensitive))
    else:
        names = strs(feats, "model_tests.data.features")
    missing = [c for c in (*names, label) if c not in df.columns]
    if not labels and label in missing:
        missing.remove(label)
    if sensitive and sensitive not in df.columns and labels:
        missing.append(sensitive)
    if missing:
        raise TestDataError(f"{path.name} lacks column(s): {', '.join(map(str, missing))}")
    x = df[list(names)].to_numpy(dtype="float64")
    sens = df[sensitive].to_numpy() if sensitive and sensitive in df.columns else None
    y: Array = df[label].to_numpy() if label in df.columns else np.zeros(len(df), dtype=np.int64)
    return x, y, tuple(map(str, names)), sens


def _finish(
    x: Array,
    y: Array,
    names: tuple[str, ...],
    sens: Array | None,
    rel: str,
    spec: InputSpec,
    n_classes: int,
) -> Dataset:
    import numpy as np

    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise TestDataError(f"{rel}: {x.shape[0]} inputs but {y.shape[0]} labels")
    flat = x.reshape(x.shape[0], -1)
    if flat.shape[1] != spec.n_features:
        raise InputShapeError(
            f"{rel} has {flat.shape[1]} features per row; input.shape {list(spec.shape)} "
            f"needs {spec.n_features}"
        )
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.mod(y, 1) == 0):
        raise TestDataError(f"{rel}: labels must be class indices 0..{n_classes - 1}")
    labels = y.astype(np.int64)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise TestDataError(f"{rel}: labels outside 0..{n_classes - 1}")
    if not np.all(np.isfinite(flat)):
        raise TestDataError(f"{rel}: inputs contain NaN or infinity")
    shaped = flat.reshape((flat.shape[0], *spec.shape)).astype(spec.dtype)
    return Dataset(x=shaped, y=labels, features=names, source=rel, sensitive=sens)
