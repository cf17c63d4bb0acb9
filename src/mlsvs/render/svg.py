"""Geometry for the inline SVG charts of the HTML report (numbers only, no markup).

The template draws what these functions compute, so every label stays under Jinja2's
autoescaping. Numbers are pre-formatted strings, which keeps the HTML byte-stable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.render.text import VERDICT_ORDER

if TYPE_CHECKING:
    from collections import Counter

    from mlsvs.model.result import Measurement
    from mlsvs.model.verdict import Verdict

BAR_WIDTH = 240.0
BAR_HEIGHT = 14.0
PLOT_W, PLOT_H = 440.0, 270.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 16.0, 14.0, 44.0


def num(value: float) -> str:
    """A coordinate with two decimals (``-0.00`` normalised)."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def tick_label(value: float) -> str:
    """A short axis label: ``0.05``, ``1e-03``, ``250``."""
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.0e}"
    return f"{value:.4g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One verdict's part of a stacked bar."""

    verdict: str
    count: int
    x: str
    width: str


def stacked_bar(counts: Counter[Verdict]) -> tuple[Segment, ...]:
    """Segments of a horizontal bar, one per verdict present, worst first."""
    total = sum(counts[v] for v in VERDICT_ORDER)
    if total == 0:
        return ()
    out: list[Segment] = []
    x = 0.0
    for verdict in VERDICT_ORDER:
        if counts[verdict]:
            width = BAR_WIDTH * counts[verdict] / total
            out.append(
                Segment(verdict=verdict.value, count=counts[verdict], x=num(x), width=num(width))
            )
            x += width
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """An axis tick: position in pixels and its label."""

    pos: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plot:
    """Everything the template needs to draw one measured curve."""

    points: str
    """The polyline ``points`` attribute."""
    markers: tuple[tuple[str, str], ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    threshold_y: str | None
    diagonal: str | None
    """Polyline points of the chance line (ROC curves)."""
    x_log: bool
    dropped: int
    """Points left out: non-finite, or not positive on a log axis."""


def is_roc(m: Measurement) -> bool:
    """ROC-like curves get the chance diagonal and no horizontal threshold line."""
    name = m.name.lower()
    return m.x_log or "roc" in name or name.endswith("auc")


def _linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    return [lo + (hi - lo) * i / (count - 1) for i in range(count)]


def _y_range(ys: list[float], threshold: float | None) -> tuple[float, float]:
    values = [*ys, *([threshold] if threshold is not None and math.isfinite(threshold) else [])]
    lo, hi = min(values), max(values)
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if hi == lo:
        return lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def plot(m: Measurement) -> Plot | None:
    """Project ``m.series`` into the plot area; ``None`` when fewer than two usable points."""
    pts = [(p.x, p.y) for p in m.series if math.isfinite(p.x) and math.isfinite(p.y)]
    if m.x_log:
        pts = [(x, y) for x, y in pts if x > 0]
    pts.sort()
    dropped = len(m.series) - len(pts)
    if len(pts) < 2:
        return None
    xs = [math.log10(x) for x, _ in pts] if m.x_log else [x for x, _ in pts]
    ys = [y for _, y in pts]
    roc = is_roc(m)
    if m.x_log:
        x_lo, x_hi = float(math.floor(min(xs))), float(math.ceil(max(xs)))
        x_hi = max(x_hi, x_lo + 1)
        x_values = [float(e) for e in range(int(x_lo), int(x_hi) + 1)]
    else:
        x_lo, x_hi = min(xs), max(xs)
        if x_hi == x_lo:
            x_hi = x_lo + 1
        x_values = _linear_ticks(x_lo, x_hi)
    threshold = None if roc else m.threshold
    y_lo, y_hi = _y_range(ys, threshold)
    inner_w, inner_h = PLOT_W - LEFT - RIGHT, PLOT_H - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x_lo) / (x_hi - x_lo) * inner_w

    def sy(y: float) -> float:
        return TOP + (1 - (y - y_lo) / (y_hi - y_lo)) * inner_h

    coords = [(num(sx(x)), num(sy(y))) for x, y in zip(xs, ys, strict=True)]
    x_ticks = tuple(
        Tick(pos=num(sx(v)), label=tick_label(10**v if m.x_log else v)) for v in x_values
    )
    y_ticks = tuple(Tick(pos=num(sy(v)), label=tick_label(v)) for v in _linear_ticks(y_lo, y_hi))
    diagonal = None
    if roc:
        if m.x_log:
            # y = x on a log x axis is a curve: sample it across the visible decades.
            steps = [x_lo + (x_hi - x_lo) * i / 40 for i in range(41)]
            diag = [(sx(e), sy(min(max(10**e, y_lo), y_hi))) for e in steps]
        else:
            lo, hi = max(x_lo, y_lo), min(x_hi, y_hi)
            diag = [(sx(lo), sy(lo)), (sx(hi), sy(hi))]
        diagonal = " ".join(f"{num(x)},{num(y)}" for x, y in diag)
    threshold_y = None
    if threshold is not None and math.isfinite(threshold):
        threshold_y = num(sy(threshold))
    return Plot(
        points=" ".join(f"{x},{y}" for x, y in coords),
        markers=tuple(coords),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        threshold_y=threshold_y,
        diagonal=diagonal,
        x_log=m.x_log,
        dropped=dropped,
    )
