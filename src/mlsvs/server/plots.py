"""The history plots as SVG markup, drawn from numbers (every label escaped).

Two plots per system: the achieved level per run (a step line with the target dashed) and a
chapter × run grid whose cell shade is the share of the chapter's applicable requirements
satisfied in that run. The markup is written here in one pass rather than by a template loop:
the grid has one cell per chapter and run (≈ 550 for 50 runs), and building it as objects
for Jinja2 to walk cost more than the rest of the page. Every text that is not a number goes
through ``markupsafe.escape``; the result is ``Markup`` so the template does not escape it
twice.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from mlsvs.render.svg import num

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

WIDTH = 720.0
LEVEL_H = 160.0
PAD_L, PAD_R, PAD_T, PAD_B = 44.0, 12.0, 12.0, 28.0
CELL_H = 16.0


def _level_y(level: int) -> float:
    inner = LEVEL_H - PAD_T - PAD_B
    return PAD_T + inner - inner * level / 3


def _label(level: int) -> str:
    return f"L{level}" if level else "none"


def level_plot(runs: Sequence[tuple[int, str, int, int]]) -> Markup | None:
    """``runs`` oldest first as (run id, finished, achieved, target); None when empty."""
    if not runs:
        return None
    inner_w = WIDTH - PAD_L - PAD_R
    step = inner_w / max(len(runs) - 1, 1)
    width, height = num(WIDTH), num(LEVEL_H)
    left, right = num(PAD_L), num(WIDTH - PAD_R)
    out = [
        f'<svg id="level-plot" role="img" aria-label="achieved level per run" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for n in range(4):
        y = num(_level_y(n))
        out.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}"></line>'
            f'<text x="4" y="{y}">{_label(n)}</text>'
        )
    target = num(_level_y(int(runs[-1][3])))
    out.append(f'<line class="target" x1="{left}" x2="{right}" y1="{target}" y2="{target}"></line>')
    commands: list[str] = []
    dots: list[str] = []
    for i, (run_id, when, achieved, _target) in enumerate(runs):
        x = num(PAD_L + i * step if len(runs) > 1 else PAD_L + inner_w / 2)
        y = num(_level_y(int(achieved)))
        commands.append(f"M{x} {y}" if i == 0 else f"H{x} V{y}")
        rid = int(run_id)
        dots.append(
            f'<a href="/runs/{rid}"><circle class="dot" cx="{x}" cy="{y}" r="3"><title>run {rid} '
            f"{escape(when)}: {_label(int(achieved))}</title></circle></a>"
        )
    out.append(f'<path class="line" d="{" ".join(commands)}"></path>')
    out.extend(dots)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - numbers and escaped text only


@functools.lru_cache(maxsize=4096)
def _shade(counts: tuple[tuple[str, int], ...]) -> tuple[str, str]:
    """(CSS class ``s0``..``s4`` or ``sx``, escaped detail) for sorted (verdict, n) pairs."""
    applicable = sum(n for v, n in counts if v != "not_applicable")
    satisfied = sum(n for v, n in counts if v == "pass")
    if applicable == 0:
        return "sx", "nothing applicable"
    share = satisfied / applicable
    bucket = min(4, int(share * 4 + 1e-9)) if share < 1 else 4
    detail = ", ".join(f"{v} {n}" for v, n in counts)
    return f"s{bucket}", str(escape(f"{satisfied}/{applicable} satisfied ({detail})"))


def shade(counts: Mapping[str, int]) -> tuple[str, str]:
    """A cell's class and (escaped) detail for one chapter's verdict counts."""
    return _shade(tuple(sorted((str(v), int(n)) for v, n in counts.items())))


def chapter_grid(
    runs: Sequence[tuple[int, str]],
    counts: Mapping[int, Mapping[str, Mapping[str, int]]],
    chapters: Sequence[str],
) -> Markup | None:
    """``runs`` oldest first as (run id, finished); ``counts`` run -> chapter -> verdict -> n."""
    if not runs or not chapters:
        return None
    inner_w = WIDTH - PAD_L - PAD_R
    w = inner_w / len(runs)
    width, height = num(WIDTH), num(PAD_T + len(chapters) * CELL_H + PAD_B)
    cell_w, cell_h = num(max(w - 1, 0.5)), num(CELL_H - 1)
    ys = [num(PAD_T + j * CELL_H) for j in range(len(chapters))]
    names = [str(escape(c)) for c in chapters]
    out = [
        f'<svg id="chapter-grid" role="img" aria-label="per-chapter verdicts per run" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    out.extend(
        f'<text x="4" y="{num(PAD_T + j * CELL_H + CELL_H * 0.75)}">{name}</text>'
        for j, name in enumerate(names)
    )
    empty: Mapping[str, Mapping[str, int]] = {}
    for i, (run_id, when) in enumerate(runs):
        x = num(PAD_L + i * w)
        rid = int(run_id)
        suffix = f" in run {rid} ({escape(when)}): "
        per_run = counts.get(rid, empty)
        for j, chapter in enumerate(chapters):
            css, detail = shade(per_run.get(chapter, {}))
            out.append(
                f'<rect class="{css}" x="{x}" y="{ys[j]}" width="{cell_w}" height="{cell_h}">'
                f"<title>{names[j]}{suffix}{detail}</title></rect>"
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - numbers and escaped text only
