"""The numbers behind the report's overview: level progress, chapter heat map, trend.

Pure functions of the assessment returning geometry as pre-formatted strings (like
``render.svg``), so the template draws them under autoescaping and the HTML stays byte-stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.catalog import Level, id_sort_key
from mlsvs.model.verdict import Verdict
from mlsvs.render.svg import num
from mlsvs.render.text import chapter_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.model.assessment import Assessment
    from mlsvs.model.verdict import LevelResult, RequirementVerdict

PROGRESS_W, PROGRESS_ROW, PROGRESS_LABEL = 380.0, 26.0, 34.0
HEAT_LABEL, HEAT_CELL_W, HEAT_CELL_H, HEAT_TOP = 270.0, 56.0, 20.0, 18.0
TREND_W, TREND_H = 380.0, 170.0
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 40.0, 12.0, 10.0, 34.0
HEAT_BUCKETS = 5
"""Heat map colours: share of applicable requirements satisfied, in fifths (h0..h5)."""


def share(satisfied: int, applicable: int) -> float | None:
    """``satisfied / applicable``; ``None`` when nothing applies."""
    return satisfied / applicable if applicable else None


def percent(value: float | None) -> str:
    """``42%`` or ``n/a``; never rounds a shortfall up to ``100%``."""
    if value is None:
        return "n/a"
    whole = int(value * 100)
    return f"{whole}%"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressRow:
    """One level's bar: how much of it is satisfied."""

    level: Level
    y: str
    text_y: str
    width: str
    """Width of the satisfied part of the bar."""
    label: str
    met: bool
    target: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """The level progress chart."""

    rows: tuple[ProgressRow, ...]
    height: str
    bar_x: str
    bar_w: str
    bar_h: str


def progress(a: Assessment) -> Progress:
    """One bar per level: applicable requirements that pass, target level marked."""
    bar_w = PROGRESS_W - PROGRESS_LABEL - 120
    rows = []
    for i, lr in enumerate(sorted(a.levels, key=lambda lr: lr.level)):
        frac = share(lr.satisfied, lr.applicable)
        y = 4 + i * PROGRESS_ROW
        rows.append(
            ProgressRow(
                level=lr.level,
                y=num(y),
                text_y=num(y + 13),
                width=num(bar_w * (frac or 0.0)),
                label=f"{lr.satisfied} of {lr.applicable} ({percent(frac)})"
                + (" met" if lr.met else ""),
                met=lr.met,
                target=lr.level == a.target_level,
            )
        )
    return Progress(
        rows=tuple(rows),
        height=num(8 + len(rows) * PROGRESS_ROW),
        bar_x=num(PROGRESS_LABEL),
        bar_w=num(bar_w),
        bar_h=num(18),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatCell:
    """One chapter at one level."""

    x: str
    text_x: str
    label: str
    bucket: str
    """``h0``..``h5`` by share satisfied, ``hna`` when nothing applies."""
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatRow:
    """One chapter of the heat map."""

    chapter: str
    title: str
    y: str
    text_y: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatMap:
    """Chapters by levels: the share of applicable requirements satisfied."""

    rows: tuple[HeatRow, ...]
    columns: tuple[tuple[str, str], ...]
    """(x of the column centre, level label)."""
    width: str
    height: str
    cell_w: str
    cell_h: str


def _in_level(v: RequirementVerdict, level: Level) -> bool:
    return v.level <= level


def heat_map(a: Assessment) -> HeatMap:
    """Rows per chapter (numeric order), one column per level (cumulative, like levels).

    A cell is the share of the chapter's applicable requirements up to that level that pass.
    """
    titles = {r.chapter: r.chapter_title for r in a.requirements}
    by_chapter: dict[str, list[RequirementVerdict]] = {}
    for v in a.verdicts:
        by_chapter.setdefault(chapter_of(v.requirement), []).append(v)
    levels = list(Level)
    rows = []
    for i, chapter in enumerate(sorted(by_chapter, key=lambda c: (id_sort_key(c), c))):
        verdicts = by_chapter[chapter]
        y = HEAT_TOP + i * HEAT_CELL_H
        cells = []
        for j, level in enumerate(levels):
            scope = [v for v in verdicts if _in_level(v, level)]
            applicable = [v for v in scope if v.verdict is not Verdict.NOT_APPLICABLE]
            passing = [v for v in applicable if v.verdict is Verdict.PASS]
            frac = share(len(passing), len(applicable))
            bucket = "hna" if frac is None else f"h{int(frac * HEAT_BUCKETS)}"
            title = (
                f"{chapter} at {level}: nothing applies"
                if frac is None
                else f"{chapter} at {level}: {len(passing)} of {len(applicable)} applicable "
                "requirements pass"
            )
            cells.append(
                HeatCell(
                    x=num(HEAT_LABEL + j * HEAT_CELL_W),
                    text_x=num(HEAT_LABEL + j * HEAT_CELL_W + (HEAT_CELL_W - 2) / 2),
                    label=percent(frac) if frac is not None else "–",
                    bucket=bucket,
                    title=title,
                )
            )
        rows.append(
            HeatRow(
                chapter=chapter,
                title=_short(titles.get(chapter, ""), 38),
                y=num(y),
                text_y=num(y + HEAT_CELL_H / 2),
                cells=tuple(cells),
            )
        )
    return HeatMap(
        rows=tuple(rows),
        columns=tuple(
            (num(HEAT_LABEL + j * HEAT_CELL_W + HEAT_CELL_W / 2), str(lv))
            for j, lv in enumerate(levels)
        ),
        width=num(HEAT_LABEL + len(levels) * HEAT_CELL_W + 2),
        height=num(HEAT_TOP + len(rows) * HEAT_CELL_H + 2),
        cell_w=num(HEAT_CELL_W - 2),
        cell_h=num(HEAT_CELL_H - 2),
    )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendLine:
    """One level's share satisfied across runs."""

    level: Level
    points: str
    markers: tuple[tuple[str, str, str], ...]
    """(x, y, tooltip) per run."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Trend:
    """Share satisfied per level over the earlier runs and this one."""

    lines: tuple[TrendLine, ...]
    y_ticks: tuple[tuple[str, str], ...]
    x_labels: tuple[tuple[str, str, str], ...]
    """(x, anchor, label): the first and last run's dates."""
    left: str
    right: str
    top: str
    bottom: str
    runs: int


def trend(a: Assessment) -> Trend | None:
    """``None`` without earlier runs (``--previous`` not given)."""
    if not a.trend:
        return None
    runs: list[tuple[str, Sequence[LevelResult]]] = [(p.finished_at, p.levels) for p in a.trend]
    runs.append((a.finished_at, a.levels))
    right, bottom = TREND_W - TREND_RIGHT, TREND_H - TREND_BOTTOM
    inner_w, inner_h = right - TREND_LEFT, bottom - TREND_TOP

    def sx(i: int) -> float:
        return TREND_LEFT + (inner_w * i / (len(runs) - 1) if len(runs) > 1 else inner_w / 2)

    def sy(frac: float) -> float:
        return TREND_TOP + (1 - frac) * inner_h

    lines = []
    for level in Level:
        coords = []
        for i, (when, levels) in enumerate(runs):
            lr = next((r for r in levels if r.level == level), None)
            frac = share(lr.satisfied, lr.applicable) if lr is not None else None
            if frac is None or lr is None:
                continue
            tip = f"{level} on {when[:10] or 'unknown date'}: {lr.satisfied} of {lr.applicable}"
            coords.append((num(sx(i)), num(sy(frac)), tip))
        if coords:
            lines.append(
                TrendLine(
                    level=level,
                    points=" ".join(f"{x},{y}" for x, y, _ in coords),
                    markers=tuple(coords),
                )
            )
    first, last = runs[0][0][:10] or "first run", runs[-1][0][:10] or "this run"
    return Trend(
        lines=tuple(lines),
        y_ticks=tuple((num(sy(f)), f"{int(f * 100)}%") for f in (0.0, 0.5, 1.0)),
        x_labels=((num(sx(0)), "start", first), (num(sx(len(runs) - 1)), "end", last)),
        left=num(TREND_LEFT),
        right=num(right),
        top=num(TREND_TOP),
        bottom=num(bottom),
        runs=len(runs),
    )
