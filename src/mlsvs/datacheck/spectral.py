"""Spectral signatures (Tran, Li & Madry, NeurIPS 2018) on per-row embeddings of a model.

For each class: centre the class's embeddings, take the top right singular vector ``v`` of the
centred matrix and score every row by its squared projection ``((e - mean) . v)^2``. Poisoned
rows of a backdoor leave a strong direction in the representation, so their projections form a
separate group. Tran et al. remove the top 1.5 x epsilon scores; a verification needs a decision,
so the projection is split in two by 1-D 2-means (Lloyd's algorithm from the extremes) and a class
is suspect when the smaller group holds between ``min_share`` and ``max_share`` of the class and
the groups are separated by at least ``separation`` pooled standard deviations (Ashman's D).
Embeddings are read with ``numpy.load(allow_pickle=False)``: never unpickled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

MIN_CLASS_ROWS = 20
MIN_GROUP_ROWS = 10
SEPARATION = 8.0
"""Ashman's D needed to call a class split: 2-means on a Gaussian projection gives about 3.3;
natural sub-populations reached 7.4 (digits, PCA of the pixels: a handful of odd 8s); a
backdoor whose trigger moves 3 % of the rows by 6 sigma in four dimensions gives 16."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassSignature:
    """The spectral split of one class."""

    label: str
    rows: int
    outliers: int
    """Rows in the smaller group."""
    separation: float
    """Ashman's D between the two groups of the projection."""
    suspect: bool
    examples: tuple[int, ...]
    """1-based rows of the smaller group (at most ten)."""


def load_embeddings(path: Path, rows: int) -> npt.NDArray[np.float64]:
    """A 2-D ``.npy`` array with one row per training row (``DataFileError`` otherwise)."""
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path.name}: not a readable .npy array: {exc}") from None
    if array.ndim != 2 or array.shape[0] != rows or not np.issubdtype(array.dtype, np.number):
        raise DataFileError(
            f"{path.name}: expected a numeric ({rows}, d) array, got {array.dtype}{array.shape}"
        )
    return np.asarray(array, dtype=np.float64)


def _split(projection: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """1-D 2-means: True for the rows of the smaller group."""

    low, high = float(projection.min()), float(projection.max())
    upper = projection > (low + high) / 2
    for _ in range(50):
        if upper.all() or not upper.any():
            break
        cut = (projection[upper].mean() + projection[~upper].mean()) / 2
        new = projection > cut
        if (new == upper).all():
            break
        upper = new
    result: npt.NDArray[np.bool_] = upper if upper.sum() <= (~upper).sum() else ~upper
    return result


def signatures(
    embeddings: npt.NDArray[np.float64],
    labels: tuple[str, ...],
    *,
    min_share: float = 0.005,
    max_share: float = 0.35,
    separation: float = SEPARATION,
) -> tuple[ClassSignature, ...]:
    """Per class with at least ``MIN_CLASS_ROWS`` rows: the spectral split and its verdict."""
    import numpy as np

    y = np.asarray(labels)
    out: list[ClassSignature] = []
    for label in sorted(set(labels)):
        rows = np.flatnonzero(y == label)
        if len(rows) < MIN_CLASS_ROWS:
            continue
        centred = embeddings[rows] - embeddings[rows].mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        projection = centred @ vt[0]
        small = _split(projection)
        count = int(small.sum())
        a, b = projection[small], projection[~small]
        pooled = np.sqrt((a.var() + b.var()) / 2) if count > 1 else 0.0
        gap = abs(a.mean() - b.mean()) if count else 0.0
        d = float(np.sqrt(2) * gap / pooled) if pooled > 0 else (float("inf") if gap else 0.0)
        share = count / len(rows)
        out.append(
            ClassSignature(
                label=label, rows=len(rows), outliers=count, separation=d,
                suspect=min_share <= share <= max_share and d >= separation
                and count >= MIN_GROUP_ROWS,
                examples=tuple(int(r) + 1 for r in rows[small][:10]),
            )
        )  # fmt: skip
    return tuple(out)
