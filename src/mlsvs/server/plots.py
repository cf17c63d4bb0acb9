"""Geometry of the history plots (numbers and class names only; templates draw the SVG).

Two plots per system: the achieved level per run (a step line with the target dashed) and a
chapter × run grid whose cell shade is the share of the chapter's applicable requirements
satisfied in that run. Labels stay under Jinja2's autoescaping; nothing here emits markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.render.svg import num

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

WIDTH = 720.0
LEVEL_H = 160.0
PAD_L, PAD_R, PAD_T, PAD_B = 44.0, 12.0, 12.0, 28.0
CELL_H = 16.0
_SATISFYING = frozenset({"pass", "not_applicable"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """One run on the level plot."""

    x: str
    y: str
    level: str
    run_id: int
    when: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelPlot:
    """The level-over-time plot."""

    width: str
    height: str
    path: str
    """SVG path data of the step line (numbers and M/H/V commands only)."""
    target_y: str
    points: tuple[Point, ...]
    gridlines: tuple[tuple[str, str], ...]
    """(y, label) for none, L1, L2, L3."""


def _level_y(level: int) -> float:
    inner = LEVEL_H - PAD_T - PAD_B
    return PAD_T + inner - inner * level / 3


def level_plot(runs: Sequence[tuple[int, str, int, int]]) -> LevelPlot | None:
    """``runs`` oldest first as (run id, finished, achieved, target); None when empty."""
    if not runs:
        return None
    inner_w = WIDTH - PAD_L - PAD_R
    step = inner_w / max(len(runs) - 1, 1)
    points = []
    commands: list[str] = []
    for i, (run_id, when, achieved, _target) in enumerate(runs):
        x = PAD_L + i * step if len(runs) > 1 else PAD_L + inner_w / 2
        y = _level_y(achieved)
        commands.append(f"M{num(x)} {num(y)}" if i == 0 else f"H{num(x)} V{num(y)}")
        points.append(
            Point(
                x=num(x),
                y=num(y),
                level=f"L{achieved}" if achieved else "none",
                run_id=run_id,
                when=when,
            )
        )
    return LevelPlot(
        width=num(WIDTH),
        height=num(LEVEL_H),
        path=" ".join(commands),
        target_y=num(_level_y(runs[-1][3])),
        points=tuple(points),
        gridlines=tuple((num(_level_y(n)), f"L{n}" if n else "none") for n in range(4)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One chapter in one run."""

    x: str
    y: str
    w: str
    shade: str
    """CSS class ``s0``..``s4`` (0: nothing satisfied, 4: all), ``sx`` for nothing applicable."""
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChapterGrid:
    """The chapter × run grid."""

    width: str
    height: str
    cells: tuple[Cell, ...]
    rows: tuple[tuple[str, str], ...]
    """(y of the label baseline, chapter ID)."""
    cell_h: str


def _shade(counts: Mapping[str, int]) -> tuple[str, str]:
    applicable = sum(n for v, n in counts.items() if v != "not_applicable")
    satisfied = counts.get("pass", 0)
    if applicable == 0:
        return "sx", "nothing applicable"
    share = satisfied / applicable
    bucket = min(4, int(share * 4 + 1e-9)) if share < 1 else 4
    detail = ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
    return f"s{bucket}", f"{satisfied}/{applicable} satisfied ({detail})"


def chapter_grid(
    runs: Sequence[tuple[int, str]],
    counts: Mapping[int, Mapping[str, Mapping[str, int]]],
    chapters: Sequence[str],
) -> ChapterGrid | None:
    """``runs`` oldest first as (run id, finished); ``counts`` run -> chapter -> verdict -> n."""
    if not runs or not chapters:
        return None
    inner_w = WIDTH - PAD_L - PAD_R
    w = inner_w / len(runs)
    cells = []
    for i, (run_id, when) in enumerate(runs):
        for j, chapter in enumerate(chapters):
            shade, detail = _shade(counts.get(run_id, {}).get(chapter, {}))
            cells.append(
                Cell(
                    x=num(PAD_L + i * w),
                    y=num(PAD_T + j * CELL_H),
                    w=num(max(w - 1, 0.5)),
                    shade=shade,
                    title=f"{chapter} in run {run_id} ({when}): {detail}",
                )
            )
    rows = tuple((num(PAD_T + j * CELL_H + CELL_H * 0.75), c) for j, c in enumerate(chapters))
    return ChapterGrid(
        width=num(WIDTH),
        height=num(PAD_T + len(chapters) * CELL_H + PAD_B),
        cells=tuple(cells),
        rows=rows,
        cell_h=num(CELL_H - 1),
    )
