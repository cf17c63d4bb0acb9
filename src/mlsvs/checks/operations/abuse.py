"""Abuse monitoring from Prometheus alerting rules: extraction and inference probing alerts per
principal (MLC1070, M10.2.4) and feedback-loop manipulation alerts (MLC1071, M10.2.5).

Both requirements are verified by a replay (a simulated extraction run, a coordinated burst of
manipulated feedback) that must raise the alert. Like the drift checks (MLC840), the machine-
checkable form of that evidence is a promtool rule unit test that expects the alert to fire,
run by CI; each check passes only when the rules watch the listed signals, the alert carries
the metadata the requirement names, a promtool test expects it and CI runs promtool. A project
without Prometheus configuration is not judged here (no target), so an attestation can stand in
for other monitoring stacks.

Queries before an extraction alert are read from the rule: ``increase(x[w]) > T`` (or
``sum_over_time``/``count_over_time``) alerts after T queries; ``rate(x[w]) > r`` after
``r * (w + for)`` queries. A threshold in any other form cannot be converted and is a named
gap.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names
from mlsvs.checks.platform._sources import MAX_BYTES, Source, items, load, mapping
from mlsvs.checks.platform.monitoring import (
    _PRINCIPAL_LABELS,
    _aggregates_by,
    _gap_outcome,
    _lead,
    _replay,
    _yaml,
    minutes,
    read_monitoring,
)
from mlsvs.plugin import (
    Gap,
    GapReason,
    MonitoringConfig,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.checks.platform.monitoring import Rule
    from mlsvs.plugin import CheckContext, Outcome, Project

_QUERIES = re.compile(r"(requests?_total|quer(y|ies)|predictions?_total|inference_\w*total)", re.I)
_INPUT_STATS = re.compile(
    r"(distinct|diversity|entropy|boundary|margin|coverage|novelty|prada|uncertain|"
    r"low_confidence|min_distance|query_distance|nearest|extraction|probing|membership)",
    re.I,
)
_FEEDBACK = re.compile(
    r"(feedback|ground_truth|label(led|ed)?_(events|total|count)|annotation|user_rating|"
    r"thumbs_(up|down)|correction|reported_label)",
    re.I,
)
_DISTRIBUTION = re.compile(
    r"(psi\b|_psi|kolmogorov|ks_|chi2|chi_squared|kl_div|js_div|jensen|wasserstein|"
    r"distribution|share|fraction|proportion|ratio|label=)",
    re.I,
)
_COUNTER = re.compile(
    r"\b(increase|sum_over_time|count_over_time|rate|irate)\s*\((?P<inner>[^\[\]]*)\[(?P<w>[^\]]+)\]"
)
_ABOVE = re.compile(r">=?\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")
_COMPARES = re.compile(r"[<>]=?\s*-?\d")
_VALUE = re.compile(r"\$value\b|humanize")


def _templates(project: Project) -> dict[tuple[str, str], str]:
    """(file, alert) -> the rule's labels and annotations joined (for template references)."""
    out: dict[tuple[str, str], str] = {}

    def take(groups: object, path: str) -> None:
        for group in items(groups):
            for raw in items(mapping(group).get("rules")):
                rule = mapping(raw)
                if "alert" in rule:
                    parts = [
                        str(v)
                        for k in ("labels", "annotations")
                        for v in mapping(rule.get(k)).values()
                    ]
                    out[(path, str(rule.get("alert")))] = " ".join(parts)

    for config in project.of_type(MonitoringConfig):
        if config.monitoring == "promtool_test" or config.size > MAX_BYTES:
            continue
        try:
            docs = _yaml(config.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # read_monitoring reports the gap
        for doc in docs:
            body = mapping(doc)
            groups = body.get("groups")
            if config.monitoring == "prometheus_rule_crd":
                groups = mapping(body.get("spec")).get("groups")
            take(groups, config.path)
    for obj in load(project, (Source.KUBERNETES,)).objects("PrometheusRule"):
        take(mapping(obj.doc.get("spec")).get("groups"), obj.path)
    return out


def queries_before_alert(rule: Rule) -> float | None:
    """Queries one principal sends before the rule fires, read from its threshold; None when
    the expression has no convertible counter threshold."""
    match = _COUNTER.search(rule.expr)
    above = _ABOVE.search(rule.expr)
    if match is None or above is None:
        return None
    threshold = float(above.group(1))
    if match.group(1) in {"increase", "sum_over_time", "count_over_time"}:
        return threshold
    window = minutes(match.group("w"))
    if window is None or rule.for_minutes is None:
        return None
    return threshold * 60 * (window + rule.for_minutes)


def _carries(rule: Rule, templates: Mapping[tuple[str, str], str]) -> bool:
    return bool(_VALUE.search(templates.get((rule.path, rule.alert), "")))


@check(
    id="MLC1070",
    title="Per-principal Prometheus alerts on extraction and probing, replay-tested in CI",
    requirements=["M10.2.4"],
    applies_to=MonitoringConfig,
    severity=Severity.MEDIUM,
    remediation="Alert per principal (by (principal)) on query volume with a threshold under "
    "max_queries_before_alert and on an input statistic (query diversity, boundary proximity, "
    "coverage); template {{ $value }} into the annotations; add a promtool test that replays an "
    "extraction run and run 'promtool test rules' in CI.",
)
def extraction_alerts(ctx: CheckContext, target: MonitoringConfig) -> Iterator[Outcome]:
    """A per-principal query-volume alert fires within ``max_queries_before_alert`` queries, a
    per-principal alert watches an input statistic, both carry their value in the annotations
    (the principal is a grouping label), and a promtool test run by CI expects one to fire."""
    lead = _lead(ctx, target)
    if lead:
        yield not_applicable(f"judged once for the project on {lead}")
        return
    limit = float(ctx.parameter("M10.2.4.max_queries_before_alert", 5000))
    mon = read_monitoring(ctx.project)
    yield from _gap_outcome(mon)
    templates = _templates(ctx.project)
    scoped = [r for r in mon.rules if _aggregates_by(r, _PRINCIPAL_LABELS)]
    volume = [r for r in scoped if _QUERIES.search(r.expr) and _COUNTER.search(r.expr)]
    stats = [r for r in scoped if _INPUT_STATS.search(r.text)]
    problems: list[str] = []
    unknown: list[Gap] = []
    timely = []
    for rule in volume:
        count = queries_before_alert(rule)
        if count is None:
            unknown.append(
                Gap(
                    item=f"{rule.path}: {rule.alert}",
                    reason=GapReason.UNSUPPORTED,
                    detail="threshold not convertible to a query count",
                )
            )
        elif count > limit:
            problems.append(f"{rule.alert} fires after about {count:g} queries (limit {limit:g})")
        else:
            timely.append(rule)
    if not volume:
        problems.append("no per-principal alert on query volume")
    if not stats:
        problems.append(
            "no per-principal alert on an input statistic (diversity, boundary proximity, coverage)"
        )
    covering = [*timely, *stats]
    silent = [r.alert for r in covering if not _carries(r, templates)]
    if silent:
        problems.append(f"alert(s) {names(silent)} do not carry {{{{ $value }}}} in annotations")
    facts = (
        ("alerts", ",".join(sorted({r.alert for r in covering}))),
        ("max_queries_before_alert", f"{limit:g}"),
    )
    if problems:
        yield failed(
            "; ".join(problems) + f" (rules in {names(mon.files)})", key="extraction", facts=facts
        )
        return
    if not timely:
        yield not_verified(
            "the per-principal volume alerts' thresholds cannot be read as a query count",
            unknown,
            key="extraction",
            facts=facts,
        )
        return
    replay = list(_replay(covering, mon, "extraction"))
    yield from replay
    if not replay:
        yield passed(
            f"per-principal alerts on query volume ({names(r.alert for r in timely)}, within "
            f"{limit:g} queries) and input statistics ({names(r.alert for r in stats)}) carry "
            "principal and value; promtool tests expect them; CI runs them",
            key="extraction",
            facts=facts,
        )


@check(
    id="MLC1071",
    title="Prometheus alerts on feedback volume and label distribution, replay-tested in CI",
    requirements=["M10.2.5"],
    applies_to=MonitoringConfig,
    severity=Severity.MEDIUM,
    remediation="Alert on the rate of feedback events (per principal or source) and on the "
    "distribution of feedback labels against a baseline; add a promtool test that replays a "
    "coordinated burst of manipulated feedback and run 'promtool test rules' in CI.",
)
def feedback_alerts(ctx: CheckContext, target: MonitoringConfig) -> Iterator[Outcome]:
    """Feedback volume and feedback label distribution each have an alerting rule with a
    threshold, and a promtool test run by CI expects one to fire on a replayed burst."""
    lead = _lead(ctx, target)
    if lead:
        yield not_applicable(f"judged once for the project on {lead}")
        return
    mon = read_monitoring(ctx.project)
    yield from _gap_outcome(mon)
    feedback = [r for r in mon.rules if _FEEDBACK.search(r.text) and _COMPARES.search(r.expr)]
    volume = [r for r in feedback if _COUNTER.search(r.expr)]
    distribution = [r for r in feedback if _DISTRIBUTION.search(r.expr)]
    problems = []
    if not volume:
        problems.append("no alert on feedback volume (rate or increase of feedback events)")
    if not distribution:
        problems.append("no alert on the distribution of feedback labels")
    facts = (("alerts", ",".join(sorted({r.alert for r in feedback}))),)
    if problems:
        yield failed(
            "; ".join(problems) + f" (rules in {names(mon.files)})", key="feedback", facts=facts
        )
        return
    covering = list(dict.fromkeys([*volume, *distribution]))
    replay = list(_replay(covering, mon, "feedback"))
    yield from replay
    if not replay:
        yield passed(
            f"alerts on feedback volume ({names(r.alert for r in volume)}) and label "
            f"distribution ({names(r.alert for r in distribution)}); promtool tests expect "
            "them; CI runs them",
            key="feedback",
            facts=facts,
        )
