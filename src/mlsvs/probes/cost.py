"""Fit the cost curve: how latency grows with the size of a valid request (pure).

The model is ``latency = c + a * size**p`` (c: fixed overhead, a ≥ 0). For each exponent on a
grid the best (c, a) is the least-squares line on ``size**p``; the exponent with the smallest
error wins. The fit runs on the fastest of the repeats at each size (scheduling and network
noise only ever add latency, so the minimum is the robust estimate of the cost), and it is only
judged when latency rises clearly above the spread of the repeats.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(71))  # 0.5 … 4.0
MIN_RISE_MS = 10.0
"""A rise smaller than this is timer and scheduling noise, whatever the exponent says."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CostFit:
    """The fitted growth of latency with request size."""

    exponent: float
    """Best exponent p on the grid (0.5 … 4.0)."""
    linear_error_ratio: float
    """Squared error of the best fit divided by that of the linear fit (≤ 1)."""
    rise_ms: float
    """Fastest latency at the largest size minus that at the smallest."""
    noise_ms: float
    """Spread of the repeats (scaled median absolute deviation)."""
    measurable: bool
    """Whether the rise stands clearly above the noise (otherwise the cost is flat)."""

    def super_linear(self, max_exponent: float) -> bool:
        """Latency grows faster than ``size**max_exponent`` and a line fits clearly worse."""
        return self.measurable and self.exponent > max_exponent and self.linear_error_ratio < 0.5


def _sse(sizes: Sequence[float], fastest: Sequence[float], p: float) -> float:
    top = max(sizes)
    xs = [(s / top) ** p for s in sizes]
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(fastest)
    var_x = sum((x - mean_x) ** 2 for x in xs)
    slope = (
        0.0
        if var_x == 0
        else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, fastest, strict=True)) / var_x
    )
    slope = max(0.0, slope)
    intercept = mean_y - slope * mean_x
    if intercept < 0:  # no negative overhead: refit through the origin
        intercept = 0.0
        denominator = sum(x * x for x in xs)
        slope = max(0.0, sum(x * y for x, y in zip(xs, fastest, strict=True)) / denominator)
    return float(sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, fastest, strict=True)))


def fit_cost(points: Sequence[tuple[int, Sequence[float]]]) -> CostFit | None:
    """Fit ``(size in bytes, latencies in ms)`` points; None with fewer than 3 sizes."""
    usable = sorted((s, list(v)) for s, v in points if s > 0 and v)
    if len({s for s, _ in usable}) < 3:
        return None
    sizes = [float(s) for s, _ in usable]
    fastest = [min(v) for _, v in usable]
    deviations = [abs(x - statistics.median(v)) for _, v in usable for x in v]
    noise = 1.4826 * statistics.median(deviations) if deviations else 0.0
    rise = fastest[-1] - fastest[0]
    errors = {p: _sse(sizes, fastest, p) for p in _GRID}
    best = min(errors, key=lambda p: (errors[p], p))
    linear = errors[1.0]
    ratio = 1.0 if linear == 0 else min(1.0, errors[best] / linear)
    measurable = rise >= max(MIN_RISE_MS, 5 * noise)
    return CostFit(
        exponent=best,
        linear_error_ratio=round(ratio, 4),
        rise_ms=round(rise, 1),
        noise_ms=round(noise, 1),
        measurable=measurable,
    )
