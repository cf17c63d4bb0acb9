"""The buyer's answers file: parties, level, scope answers, parameter assignments and terms.

YAML or JSON::

    buyer: Example Bank plc
    supplier: Vendor Ltd
    contract: EB-2026-117
    system: Credit-risk classifier
    level: L2
    scope: {exposes_api: yes, personal_data: yes, llm: no}
    parameters: {"M6.2.1.epsilon_linf": 0.03}
    terms: {validity_days: 365, remediation_days: {critical: 7, high: 30}}
    independent_verifiers: [Example Assurance GmbH]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from mlsvs.errors import ConfigError
from mlsvs.model.catalog import Level
from mlsvs.procurement.annex import BuyerInput, Deadline, Parties, Terms

_TOP = frozenset(
    {
        "buyer",
        "supplier",
        "contract",
        "system",
        "level",
        "chapters",
        "scope",
        "parameters",
        "terms",
        "independent_verifiers",
    }
)
_TERMS = frozenset(
    {
        "validity_days",
        "acceptance_days",
        "remediation_days",
        "unrated_severity",
        "audit_notice_days",
        "change_notice_days",
        "reverification_triggers",
    }
)
_SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class Answers:
    """A parsed answers file."""

    buyer: BuyerInput
    scope: Mapping[str, object] = field(default_factory=dict)
    level: Level | None = None
    chapters: frozenset[str] = frozenset()


def _days(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a positive whole number of days")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _terms(raw: object, source: str) -> Terms:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: terms must be a mapping")
    unknown = sorted(set(raw) - _TERMS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown terms key {unknown[0]!r} (allowed: {', '.join(sorted(_TERMS))})"
        )
    base = Terms()

    def days(key: str, default: int) -> int:
        return _days(raw[key], f"{source}: terms.{key}") if key in raw else default

    terms = replace(
        base,
        validity_days=days("validity_days", base.validity_days),
        acceptance_days=days("acceptance_days", base.acceptance_days),
        audit_notice_days=days("audit_notice_days", base.audit_notice_days),
        change_notice_days=days("change_notice_days", base.change_notice_days),
    )
    if "remediation_days" in raw:
        table = raw["remediation_days"]
        if not isinstance(table, dict) or not table:
            raise ConfigError(f"{source}: terms.remediation_days must map severity to days")
        deadlines = []
        for severity, days in table.items():
            if severity not in _SEVERITIES:
                raise ConfigError(
                    f"{source}: terms.remediation_days: unknown severity {severity!r} "
                    f"(known: {', '.join(_SEVERITIES)})"
                )
            deadlines.append(
                Deadline(severity=severity, days=_days(days, f"{source}: remediation {severity}"))
            )
        order = {s: i for i, s in enumerate(_SEVERITIES)}
        terms = replace(
            terms, remediation=tuple(sorted(deadlines, key=lambda d: order[d.severity]))
        )
    if "unrated_severity" in raw:
        if raw["unrated_severity"] not in _SEVERITIES:
            raise ConfigError(f"{source}: terms.unrated_severity must be one of {_SEVERITIES}")
        terms = replace(terms, unrated_severity=str(raw["unrated_severity"]))
    if "reverification_triggers" in raw:
        terms = replace(
            terms,
            reverification_triggers=_strings(
                raw["reverification_triggers"], f"{source}: terms.reverification_triggers"
            ),
        )
    return terms


def parse_answers(data: Mapping[str, object], *, source: str = "answers") -> Answers:
    """Check and convert an answers mapping; ``ConfigError`` names the first problem."""
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP))})"
        )
    for key in ("buyer", "supplier", "contract", "system", "level"):
        if (key in data and not isinstance(data[key], str | int)) or isinstance(
            data.get(key), bool
        ):
            raise ConfigError(f"{source}: {key} must be a string")
    level = None
    if "level" in data:
        try:
            level = Level.parse(str(data["level"]))
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    scope = data.get("scope", {})
    if not isinstance(scope, dict):
        raise ConfigError(f"{source}: scope must map questions to yes/no")
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ConfigError(f"{source}: parameters must map '<requirement>.<name>' to values")
    chapters = (
        frozenset(_strings(data["chapters"], f"{source}: chapters"))
        if "chapters" in data
        else frozenset()
    )
    verifiers = (
        _strings(data["independent_verifiers"], f"{source}: independent_verifiers")
        if "independent_verifiers" in data
        else ()
    )
    buyer = BuyerInput(
        parties=Parties(
            buyer=str(data.get("buyer", "")),
            supplier=str(data.get("supplier", "")),
            contract=str(data.get("contract", "")),
            system=str(data.get("system", "")),
        ),
        parameters=dict(parameters),
        terms=_terms(data["terms"], source) if "terms" in data else Terms(),
        independent_verifiers=verifiers,
        source=source,
    )
    return Answers(buyer=buyer, scope=dict(scope), level=level, chapters=chapters)
