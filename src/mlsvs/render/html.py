"""Self-contained HTML report: Jinja2 with autoescaping, inline CSS, JS and SVG.

No external fetches: a Content-Security-Policy meta tag allows only the inline style and
script of this report (by hash) and ``data:`` images. All text goes through autoescaping, and
``finalize`` strips escape sequences and control characters from every interpolated string.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from mlsvs.model.catalog import Level
from mlsvs.model.result import Finding, Measurement, Status
from mlsvs.model.verdict import RequirementVerdict
from mlsvs.render import svg
from mlsvs.render.text import (
    VERDICT_LABELS,
    VERDICT_ORDER,
    blocking_next,
    chapter_counts,
    clean,
    finding_sort_key,
    level_text,
    next_level,
    profile_notes,
    sorted_verdicts,
)

if TYPE_CHECKING:
    from typing import TextIO

    from jinja2 import Environment

    from mlsvs.model.assessment import Assessment

_STATUS_ORDER = (
    Status.FAIL,
    Status.ERROR,
    Status.NOT_VERIFIED,
    Status.PASS,
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
class _Chapter:
    id: str
    counts: dict[str, int]
    segments: tuple[svg.Segment, ...]
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _RequirementRow:
    verdict: RequirementVerdict
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _FindingRow:
    finding: Finding


@dataclass(frozen=True, slots=True, kw_only=True)
class _MeasurementRow:
    finding: Finding
    measurement: Measurement
    plot: svg.Plot | None


def context(a: Assessment) -> dict[str, Any]:
    """Everything the template reads, derived from the assessment alone."""
    from markupsafe import Markup

    css, js = _asset("report.css"), _asset("report.js")
    by_id = {f.id: f for f in a.findings}
    findings = sorted(
        a.findings, key=lambda f: (_STATUS_ORDER.index(f.status), *finding_sort_key(f))
    )
    chapters = [
        _Chapter(
            id=ch,
            counts={v.value: counts[v] for v in VERDICT_ORDER},
            segments=svg.stacked_bar(counts),
            total=sum(counts.values()),
        )
        for ch, counts in chapter_counts(a)
    ]
    requirements = [
        _RequirementRow(
            verdict=v,
            findings=tuple(
                sorted((by_id[i] for i in v.findings if i in by_id), key=finding_sort_key)
            ),
        )
        for v in sorted_verdicts(a)
    ]
    measurements = [
        _MeasurementRow(finding=f, measurement=m, plot=svg.plot(m) if m.series else None)
        for f in sorted(a.findings, key=finding_sort_key)
        for m in sorted(f.measurements, key=lambda m: (not m.series, m.name))
    ]
    csp = (
        f"default-src 'none'; style-src '{_sha(css)}'; script-src '{_sha(js)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
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
        "blocking": blocking_next(a),
        "verdicts": [(v.value, VERDICT_LABELS[v]) for v in VERDICT_ORDER],
        "labels": {v.value: VERDICT_LABELS[v] for v in VERDICT_ORDER},
        "statuses": [s.value for s in _STATUS_ORDER],
        "chapters": chapters,
        "requirements": requirements,
        "findings": [_FindingRow(finding=f) for f in findings],
        "measurements": measurements,
        "check_titles": {c.id: c.title for c in a.checks},
        "checks": sorted(a.checks, key=lambda c: (c.state.value, c.id)),
        "attestations": sorted(a.attestations, key=lambda t: (t.requirement, t.source)),
        "problems": sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message)),
        "artifacts": sorted(a.artifacts, key=lambda r: r.path),
        "bar_w": svg.num(svg.BAR_WIDTH),
        "bar_h": svg.num(svg.BAR_HEIGHT),
        "plot_w": svg.num(svg.PLOT_W),
        "plot_h": svg.num(svg.PLOT_H),
        "g": _geometry(),
    }


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
