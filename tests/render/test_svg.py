from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import pytest

from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.model.verdict import Verdict
from mlsvs.render import svg
from tests.render import builders


def test_stacked_bar_widths_add_up_worst_first():
    segments = svg.stacked_bar(Counter({Verdict.PASS: 3, Verdict.FAIL: 1}))
    assert [s.verdict for s in segments] == ["fail", "pass"]
    assert sum(float(s.width) for s in segments) == pytest.approx(svg.BAR_WIDTH)
    assert segments[0].x == "0.00" and float(segments[1].x) == pytest.approx(60.0)
    assert svg.stacked_bar(Counter()) == ()


def test_linear_plot_threshold_and_axes():
    p = svg.plot(builders.ROBUST)
    assert p is not None
    inner_h = svg.PLOT_H - svg.TOP - svg.BOTTOM
    assert float(p.threshold_y) == pytest.approx(svg.TOP + 0.5 * inner_h, abs=0.01)
    assert [t.label for t in p.y_ticks] == ["0", "0.25", "0.5", "0.75", "1"]
    assert p.x_ticks[0].label == "0" and p.x_ticks[-1].label == "0.05"
    xs = [float(x) for x, _ in p.markers]
    assert xs == sorted(xs) and xs[0] == pytest.approx(svg.LEFT)
    assert p.diagonal is None


def test_log_plot_uses_decades_and_draws_chance_line():
    p = svg.plot(builders.ROC)
    assert p is not None and p.x_log
    assert [t.label for t in p.x_ticks] == ["0.001", "0.01", "0.1", "1"]
    positions = [float(t.pos) for t in p.x_ticks]
    gaps = [b - a for a, b in itertools.pairwise(positions)]
    assert max(gaps) - min(gaps) < 0.02  # evenly spaced decades
    assert p.diagonal is not None and len(p.diagonal.split()) == 41
    assert p.threshold_y is None  # AUC threshold is not a y value of the curve


def test_unusable_points_are_dropped_and_counted():
    m = dataclasses.replace(
        builders.ROC,
        series=(*builders.ROC.series, SeriesPoint(x=0.0, y=0.0), SeriesPoint(x=float("nan"), y=1)),
    )
    p = svg.plot(m)
    assert p is not None and p.dropped == 2
    assert svg.plot(Measurement(name="x", value=1.0, series=(SeriesPoint(x=1, y=1),))) is None


def test_y_range_grows_beyond_unit_interval():
    m = Measurement(
        name="queries",
        value=1.0,
        threshold=500.0,
        series=(SeriesPoint(x=1, y=100), SeriesPoint(x=2, y=300)),
    )
    p = svg.plot(m)
    assert p is not None
    labels = [float(t.label) for t in p.y_ticks]
    assert labels[0] < 100 and labels[-1] > 500
