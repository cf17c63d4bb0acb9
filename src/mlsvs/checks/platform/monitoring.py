"""Alerting on the production model from Prometheus configuration: drift (MLC840, M10.2.1)
and availability and cost (MLC841, M10.2.2).

Both requirements are verified at run time: a shifted replay or a load test must raise the
alert within ``max_alert_minutes``. The machine-checkable form of that evidence is a promtool
rule unit test (``promtool test rules``) that feeds the alert's series and expects it to fire,
run by CI. So each check passes only when (1) alerting rules with real expressions watch the
listed signals, (2) their ``for`` delay is within ``max_alert_minutes`` (and, for PSI drift, the
threshold fires at the standard's test shift), (3) a promtool test expects the alert to fire,
and (4) a CI workflow runs ``promtool test rules``. A project without Prometheus configuration
is not judged here (the checks have no target), so an attestation can still stand in for
other monitoring stacks.

The checks run once per project: on the first monitoring file; the other files are covered by
that outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names
from mlsvs.checks.platform._sources import MAX_BYTES, Source, items, load, mapping
from mlsvs.plugin import (
    DeploymentConfig,
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
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome, Project

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_MINUTES = {"ms": 1 / 60000, "s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080, "y": 525600}
_DRIFT = re.compile(
    r"(drift|psi\b|_psi|population_stability|kolmogorov|ks_stat|ks_p|wasserstein|jensen_shannon|"
    r"js_divergence|kl_divergence|chi2|chi_squared)",
    re.I,
)
_PREDICTION = re.compile(r"(prediction|output|target|label|score|predicted)", re.I)
_COMPARISON = re.compile(r"(>=?|<=?)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)")
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\s*[{\[(]|[a-zA-Z_:][a-zA-Z0-9_:]*")
_BY = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_MODEL_LABELS = frozenset({"model", "model_name", "model_id", "model_version", "model_digest"})
_PRINCIPAL_LABELS = frozenset(
    {
        "principal",
        "tenant",
        "api_key",
        "client",
        "client_id",
        "user",
        "consumer",
        "customer",
        "key_id",
    }
)
SIGNALS: dict[str, re.Pattern[str]] = {
    "latency": re.compile(r"(latency|duration|response_time|_seconds_bucket)", re.I),
    "error rate": re.compile(r"(error|5\.\.|5xx|code=~\"5|status=~\"5|failed|failure)", re.I),
    "compute per query": re.compile(r"(cpu|gpu|compute|tokens|flops|inference_seconds)", re.I),
    "quota exhaustion": re.compile(r"(quota|429|rate_?limit|throttl)", re.I),
}


def minutes(duration: object) -> float | None:
    """A Prometheus duration in minutes (``1h30m`` -> 90); None when it is not one."""
    text = str(duration or "0s").strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_MINUTES[u] for n, u in parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One alerting rule."""

    alert: str
    expr: str
    for_minutes: float | None
    path: str

    @property
    def text(self) -> str:
        """Name and expression, for signal matching."""
        return f"{self.alert} {self.expr}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Monitoring:
    """Every alerting rule, replay test and CI reference of a project."""

    rules: tuple[Rule, ...]
    tested: frozenset[str]
    """Alert names some promtool test expects to fire."""
    ci_runs_tests: tuple[str, ...]
    """CI files that run ``promtool test rules``."""
    gaps: tuple[Gap, ...]
    files: tuple[str, ...]


def _yaml(text: str) -> list[object]:
    import yaml

    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def alerting_rules(groups: object, path: str) -> list[Rule]:
    """The alerting rules (not recording rules) of a Prometheus ``groups`` list."""
    out = []
    for group in items(groups):
        for raw in items(mapping(group).get("rules")):
            rule = mapping(raw)
            if "alert" in rule:
                out.append(
                    Rule(
                        alert=str(rule.get("alert")),
                        expr=" ".join(str(rule.get("expr", "")).split()),
                        for_minutes=minutes(rule.get("for", "0s")),
                        path=path,
                    )
                )
    return out


def read_monitoring(project: Project) -> Monitoring:
    """Parse the project's monitoring files and find CI runs of ``promtool test rules``."""
    rules: list[Rule] = []
    tested: set[str] = set()
    gaps: list[Gap] = []
    files = []
    for config in project.of_type(MonitoringConfig):
        files.append(config.path)
        try:
            if config.size > MAX_BYTES:
                raise ValueError("larger than 2 MiB")
            docs = _yaml(config.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = GapReason.UNREADABLE if isinstance(exc, OSError) else GapReason.UNPARSEABLE
            gaps.append(Gap(item=config.path, reason=reason, detail=str(exc)[:300]))
            continue
        for doc in docs:
            body = mapping(doc)
            if config.monitoring == "promtool_test":
                for test in items(body.get("tests")):
                    for case in items(mapping(test).get("alert_rule_test")):
                        entry = mapping(case)
                        if items(entry.get("exp_alerts")):
                            tested.add(str(entry.get("alertname", "")))
                continue
            groups = body.get("groups")
            if config.monitoring == "prometheus_rule_crd":
                groups = mapping(body.get("spec")).get("groups")
            rules += alerting_rules(groups, config.path)
    # PrometheusRule objects inside Kubernetes manifests that also hold other objects.
    inventory = load(project, (Source.KUBERNETES,))
    for obj in inventory.objects("PrometheusRule"):
        files.append(obj.path)
        rules += alerting_rules(mapping(obj.doc.get("spec")).get("groups"), obj.path)
    gaps += inventory.gaps
    ci = []
    for pipeline in project.of_type(DeploymentConfig):
        if pipeline.config not in {"github_actions", "gitlab_ci"} or pipeline.size > MAX_BYTES:
            continue
        try:
            text = pipeline.absolute.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            gaps.append(
                Gap(
                    item=pipeline.path,
                    reason=GapReason.UNREADABLE,
                    detail=exc.strerror or "unreadable",
                )
            )
            continue
        if re.search(r"promtool[\s\S]{0,300}?\btest\s+rules\b", text):
            ci.append(pipeline.path)
    return Monitoring(
        rules=tuple(rules),
        tested=frozenset(tested),
        ci_runs_tests=tuple(ci),
        gaps=tuple(gaps),
        files=tuple(files),
    )


def _lead(ctx: CheckContext, target: MonitoringConfig) -> str:
    """The monitoring file the project-wide judgement is attached to ('' for this one)."""
    first = ctx.project.of_type(MonitoringConfig)[0].path
    return "" if first == target.path else first


def _replay(rules: list[Rule], mon: Monitoring, what: str) -> Iterator[Outcome]:
    """The run-time clause: a promtool test expects the alert, and CI runs promtool."""
    untested = [r.alert for r in rules if r.alert not in mon.tested]
    if len(untested) == len(rules):
        yield not_verified(
            f"no promtool rule test expects {what} alert(s) {names(untested)} to fire, so no "
            "replay shows they alert",
            [
                Gap(
                    item=r.path,
                    reason=GapReason.NOT_PRESENT,
                    detail=f"no promtool test for alert {r.alert}",
                )
                for r in rules
            ],
            key="replay",
        )
        return
    if not mon.ci_runs_tests:
        yield not_verified(
            f"promtool tests exist for {what} alerts but no CI workflow runs "
            "'promtool test rules', so nothing shows they pass",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="promtool test not run in CI"),
            key="replay-ci",
        )


def _gap_outcome(mon: Monitoring) -> Iterator[Outcome]:
    if mon.gaps:
        yield not_verified(
            f"{len(mon.gaps)} monitoring file(s) could not be read: "
            + ", ".join(g.describe() for g in mon.gaps[:3]),
            mon.gaps,
            key="unread",
        )


def _threshold(rule: Rule) -> tuple[str, float] | None:
    match = _COMPARISON.search(rule.expr)
    if match is None:
        return None
    return match.group(1), float(match.group(2))


@check(
    id="MLC840",
    title="Prometheus alerts on input and prediction drift, replay-tested in CI",
    requirements=["M10.2.1"],
    applies_to=MonitoringConfig,
    severity=Severity.MEDIUM,
    remediation="Alert on a drift statistic (PSI, KS, Wasserstein) of the model's inputs and of "
    "its predictions with 'for' within max_alert_minutes and a PSI threshold at most "
    "test_shift_psi; add a promtool test that replays a shifted series and expects the alert; "
    "run 'promtool test rules' in CI.",
)
def drift_alerts(ctx: CheckContext, target: MonitoringConfig) -> Iterator[Outcome]:
    """Drift of inputs and predictions raises a Prometheus alert within the standard's time,
    at the standard's test shift, and a promtool replay test run by CI shows it fires."""
    lead = _lead(ctx, target)
    if lead:
        yield not_applicable(f"judged once for the project on {lead}")
        return
    max_minutes = float(ctx.parameter("M10.2.1.max_alert_minutes", 60))
    shift = float(ctx.parameter("M10.2.1.test_shift_psi", 0.25))
    mon = read_monitoring(ctx.project)
    yield from _gap_outcome(mon)
    drift = [r for r in mon.rules if _DRIFT.search(r.text) and _COMPARISON.search(r.expr)]
    prediction = [r for r in drift if _PREDICTION.search(r.text)]
    inputs = [r for r in drift if r not in prediction]
    problems = []
    if not inputs:
        problems.append("no alert on input (feature) drift")
    if not prediction:
        problems.append("no alert on prediction drift")
    for rule in drift:
        if rule.for_minutes is None:
            problems.append(f"{rule.alert}: 'for' is not a Prometheus duration")
        elif rule.for_minutes > max_minutes:
            problems.append(
                f"{rule.alert}: fires after {rule.for_minutes:g} min (limit {max_minutes:g})"
            )
        found = _threshold(rule)
        if found and "psi" in rule.text.lower() and found[0].startswith(">") and found[1] > shift:
            problems.append(
                f"{rule.alert}: PSI threshold {found[1]:g} does not fire at the "
                f"test shift {shift:g}"
            )
    facts = (
        ("alerts", ",".join(sorted(r.alert for r in drift))),
        ("max_alert_minutes", f"{max_minutes:g}"),
    )
    if problems:
        yield failed(
            "; ".join(problems) + f" (rules in {names(mon.files)})", key="drift", facts=facts
        )
        return
    replay = list(_replay(drift, mon, "drift"))
    yield from replay
    if not replay:
        yield passed(
            f"drift alerts {names(r.alert for r in drift)} (inputs and predictions) fire within "
            f"{max_minutes:g} min; promtool tests expect them; CI runs them "
            f"({names(mon.ci_runs_tests)})",
            key="drift",
            facts=facts,
        )


def _aggregates_by(rule: Rule, labels: frozenset[str]) -> bool:
    grouped = {label.strip() for m in _BY.finditer(rule.expr) for label in m.group(1).split(",")}
    return bool(grouped & labels)


@check(
    id="MLC841",
    title="Prometheus alerts on latency, errors, compute and quota per model and principal",
    requirements=["M10.2.2"],
    applies_to=MonitoringConfig,
    severity=Severity.MEDIUM,
    remediation="Alert on latency, error rate and compute per query aggregated by model, and on "
    "quota exhaustion (429s) aggregated by principal, with 'for' within max_alert_minutes; add "
    "a promtool test for the load-test case and run 'promtool test rules' in CI.",
)
def availability_alerts(ctx: CheckContext, target: MonitoringConfig) -> Iterator[Outcome]:
    """Latency, error rate, compute per query (per model) and quota exhaustion (per principal)
    each have an alert within the standard's time, and a promtool test run by CI fires one."""
    lead = _lead(ctx, target)
    if lead:
        yield not_applicable(f"judged once for the project on {lead}")
        return
    max_minutes = float(ctx.parameter("M10.2.2.max_alert_minutes", 15))
    mon = read_monitoring(ctx.project)
    yield from _gap_outcome(mon)
    problems, covering = [], []
    for signal, pattern in SIGNALS.items():
        rules = [r for r in mon.rules if pattern.search(r.text) and _COMPARISON.search(r.expr)]
        labels = _PRINCIPAL_LABELS if signal == "quota exhaustion" else _MODEL_LABELS
        scoped = [r for r in rules if _aggregates_by(r, labels)]
        timely = [r for r in scoped if r.for_minutes is not None and r.for_minutes <= max_minutes]
        who = "principal" if signal == "quota exhaustion" else "model"
        if not rules:
            problems.append(f"no {signal} alert")
        elif not scoped:
            problems.append(f"{signal} alert(s) {names(r.alert for r in rules)} are not per {who}")
        elif not timely:
            problems.append(f"{signal} alert(s) fire later than {max_minutes:g} min")
        else:
            covering += timely
    if problems:
        yield failed("; ".join(problems) + f" (rules in {names(mon.files)})", key="availability")
        return
    replay = list(_replay(covering, mon, "availability"))
    yield from replay
    if not replay:
        yield passed(
            f"alerts per model/principal on latency, errors, compute and quota "
            f"({names(r.alert for r in covering)}); promtool tests fire "
            f"{names(a for a in mon.tested if a in {r.alert for r in covering})}; CI runs them",
            key="availability",
        )
