"""Self-contained HTML report: Jinja2 with autoescaping, inline CSS, JS and SVG.

No external fetches: a Content-Security-Policy meta tag allows only the inline style and
script of this report (by hash) and ``data:`` images. All text goes through autoescaping, and
``finalize`` strips escape sequences and control characters from every interpolated string.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from mlsvs.model.assessment import RequirementInfo
from mlsvs.model.catalog import Level
from mlsvs.model.result import Finding, Measurement, Status
from mlsvs.model.verdict import RequirementVerdict
from mlsvs.render import advice, overview, svg
from mlsvs.render.advice import NextStep
from mlsvs.render.text import (
    VERDICT_LABELS,
    VERDICT_ORDER,
    blocking_next,
    chapter_counts,
    chapter_of,
    clean,
    finding_sort_key,
    format_value,
    level_text,
    next_level,
    parameter_summary,
    profile_notes,
    sorted_verdicts,
    verdict_totals,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TextIO

    from jinja2 import Environment

    from mlsvs.model.assessment import Assessment

_STATUS_ORDER = (
    Status.FAIL,
    Status.ERROR,
    Status.NOT_VERIFIED,
    Status.PASS,
    Status.ABSTAINED,
    Status.NOT_APPLICABLE,
)


def _asset(name: str) -> str:
    return resources.files("mlsvs.render").joinpath("templates", name).read_text(encoding="utf-8")


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _finalize(value: object) -> object:
    from markupsafe import Markup

    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return clean(value, multiline=True)


@cache
def _environment() -> Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlsvs.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["g"] = _number
    return env


def _number(value: float | None) -> str:
    """A measured number for people: four significant digits."""
    return "" if value is None else f"{value:.4g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _FactRow:
    """One row of a finding's evidence table: a key and its value, or a group of them."""

    key: str
    value: str = ""
    items: tuple[tuple[str, str], ...] = ()
    """For grouped keys (``leak01``..``leak12``, ``count.email``): (sub-key, value) rows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _FindingRow:
    finding: Finding
    facts: tuple[_FactRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _RequirementRow:
    verdict: RequirementVerdict
    info: RequirementInfo | None
    step: NextStep
    findings: tuple[_FindingRow, ...]
    count_text: str
    """Findings of this requirement by status: ``2 fail, 1 pass``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Chapter:
    id: str
    title: str
    counts: dict[str, int]
    segments: tuple[svg.Segment, ...]
    total: int
    requirements: tuple[_RequirementRow, ...]
    count_text: str
    """``3 fail · 12 not verified · 1 pass``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _MeasurementRow:
    finding: Finding
    measurement: Measurement
    plot: svg.Plot | None


_NUMBERED = re.compile(r"^(?P<stem>.*?[^\d])(?P<n>\d+)$")
TOP_BLOCKERS = 5
"""How many blocking requirements the overview lists (the rest are one click away)."""


def fact_rows(facts: Sequence[tuple[str, str]]) -> tuple[_FactRow, ...]:
    """Evidence as a table: numbered keys (``leak01``..) and dotted keys (``count.email``)
    that share a stem become one row holding a sub-table; the rest stay key/value rows."""
    groups: dict[str, list[tuple[str, str]]] = {}
    order: list[tuple[str, str, str]] = []
    for key, value in facts:
        stem, sub = key, ""
        dotted = key.partition(".")
        numbered = _NUMBERED.match(key)
        if dotted[1] and dotted[0] and dotted[2]:
            stem, sub = dotted[0], dotted[2]
        elif numbered:
            stem, sub = numbered["stem"].rstrip("_-"), numbered["n"]
        order.append((stem, sub, value))
        if sub:
            groups.setdefault(stem, []).append((sub, value))
    rows: list[_FactRow] = []
    done: set[str] = set()
    for stem, sub, value in order:
        if sub and len(groups[stem]) > 1:
            if stem not in done:
                done.add(stem)
                rows.append(_FactRow(key=stem, items=tuple(groups[stem])))
            continue
        key = f"{stem}.{sub}" if sub and not sub.isdigit() else f"{stem}{sub}"
        rows.append(_FactRow(key=key if sub else stem, value=value))
    return tuple(rows)


def _count_text(counts: Mapping[str, int], order: Sequence[str], sep: str) -> str:
    return sep.join(f"{counts[k]} {k.replace('_', ' ')}" for k in order if counts.get(k))


def context(a: Assessment) -> dict[str, Any]:
    """Everything the template reads, derived from the assessment alone."""
    from markupsafe import Markup

    css, js = _asset("report.css"), _asset("report.js")
    by_id = {f.id: f for f in a.findings}
    infos = {r.id: r for r in a.requirements}
    chapter_titles = {r.chapter: r.chapter_title for r in a.requirements}
    next_steps = advice.steps(a)
    findings = sorted(
        a.findings, key=lambda f: (_STATUS_ORDER.index(f.status), *finding_sort_key(f))
    )

    def row(v: RequirementVerdict) -> _RequirementRow:
        mine = sorted(
            (by_id[i] for i in v.findings if i in by_id),
            key=lambda f: (_STATUS_ORDER.index(f.status), *finding_sort_key(f)),
        )
        return _RequirementRow(
            verdict=v,
            info=infos.get(v.requirement),
            step=next_steps[v.requirement],
            findings=tuple(_FindingRow(finding=f, facts=fact_rows(f.facts)) for f in mine),
            count_text=_count_text(
                Counter(f.status.value for f in mine), [s.value for s in _STATUS_ORDER], ", "
            ),
        )

    rows = [row(v) for v in sorted_verdicts(a)]
    chapters = []
    for ch, counts in chapter_counts(a):
        values = {v.value: counts[v] for v in VERDICT_ORDER}
        chapters.append(
            _Chapter(
                id=ch,
                title=chapter_titles.get(ch, ""),
                counts=values,
                segments=svg.stacked_bar(counts),
                total=sum(counts.values()),
                requirements=tuple(r for r in rows if chapter_of(r.verdict.requirement) == ch),
                count_text=_count_text(
                    {VERDICT_LABELS[v]: counts[v] for v in VERDICT_ORDER},
                    [VERDICT_LABELS[v] for v in VERDICT_ORDER],
                    " · ",
                ),
            )
        )
    by_requirement = {r.verdict.requirement: r for r in rows}
    blocking = [by_requirement[v.requirement] for v in blocking_next(a)]
    measurements = [
        _MeasurementRow(finding=f, measurement=m, plot=svg.plot(m) if m.series else None)
        for f in sorted(a.findings, key=finding_sort_key)
        for m in sorted(f.measurements, key=lambda m: (not m.series, m.name))
    ]
    csp = (
        f"default-src 'none'; style-src '{_sha(css)}'; script-src '{_sha(js)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    totals = verdict_totals(a)
    return {
        "a": a,
        "css": Markup(css),  # noqa: S704 - our own static asset, never user data
        "js": Markup(js),  # noqa: S704 - our own static asset, never user data
        "csp": csp,
        "achieved": level_text(a.achieved_level),
        "levels": sorted(a.levels, key=lambda lr: lr.level),
        "profile_notes": profile_notes(a),
        "all_levels": list(Level),
        "traits": sorted(a.project.traits),
        "next_level": next_level(a),
        "blocking": blocking,
        "top_blockers": _top_blockers(blocking),
        "totals": [(v.value, VERDICT_LABELS[v], totals[v]) for v in VERDICT_ORDER if totals[v]],
        "progress": overview.progress(a),
        "heat": overview.heat_map(a),
        "trend": overview.trend(a),
        "verdicts": [(v.value, VERDICT_LABELS[v]) for v in VERDICT_ORDER],
        "labels": {v.value: VERDICT_LABELS[v] for v in VERDICT_ORDER},
        "statuses": [s.value for s in _STATUS_ORDER],
        "chapters": chapters,
        "findings": [_FindingRow(finding=f, facts=fact_rows(f.facts)) for f in findings],
        "measurements": measurements,
        "check_titles": {c.id: c.title for c in a.checks},
        "checks": sorted(a.checks, key=lambda c: (c.state.value, c.id)),
        "attestations": sorted(a.attestations, key=lambda t: (t.requirement, t.source)),
        "problems": sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message)),
        "parameter_summary": parameter_summary(a),
        "parameters": [
            (p, format_value(p.value), format_value(p.standard_value)) for p in a.parameters
        ],
        "artifacts": sorted(a.artifacts, key=lambda r: r.path),
        "bar_w": svg.num(svg.BAR_WIDTH),
        "bar_h": svg.num(svg.BAR_HEIGHT),
        "plot_w": svg.num(svg.PLOT_W),
        "plot_h": svg.num(svg.PLOT_H),
        "g": _geometry(),
        "ov": {
            "progress_w": svg.num(overview.PROGRESS_W),
            "trend_w": svg.num(overview.TREND_W),
            "trend_h": svg.num(overview.TREND_H),
        },
    }


def _top_blockers(blocking: Sequence[_RequirementRow]) -> list[_RequirementRow]:
    """The blockers a manager should see first: failures, then errors, then the rest, each
    in requirement order (the full list is in the requirements section)."""
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    ordered = sorted(blocking, key=lambda r: rank[r.verdict.verdict])
    return list(ordered[:TOP_BLOCKERS])


def _geometry() -> dict[str, str]:
    right, bottom = svg.PLOT_W - svg.RIGHT, svg.PLOT_H - svg.BOTTOM
    return {
        "left": svg.num(svg.LEFT),
        "top": svg.num(svg.TOP),
        "right": svg.num(right),
        "bottom": svg.num(bottom),
        "y_label_x": svg.num(svg.LEFT - 6),
        "x_label_y": svg.num(bottom + 14),
        "x_mid": svg.num((svg.LEFT + right) / 2),
        "y_mid": svg.num((svg.TOP + bottom) / 2),
        "title_y": svg.num(svg.PLOT_H - 6),
    }


def render_html(assessment: Assessment) -> str:
    """The whole report as one string."""
    return _environment().get_template("report.html.j2").render(context(assessment))


class HtmlRenderer:
    """Registered as ``html``: one self-contained file to archive or attach to a release."""

    name: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"
    binary: ClassVar[bool] = False

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the report."""
        out.write(render_html(assessment))
