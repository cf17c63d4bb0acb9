"""The acceptance report as JSON, Markdown, HTML, and the filled response form (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from mlsvs.catalog.markdown import cell, inline
from mlsvs.procurement.render_annex import RESPONSE_COLUMNS

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from mlsvs.procurement.acceptance import AcceptanceReport, RequirementDecision


@cache
def _adapter() -> TypeAdapter[AcceptanceReport]:
    from pydantic import TypeAdapter

    from mlsvs.procurement.acceptance import AcceptanceReport

    return TypeAdapter(AcceptanceReport)


def report_json(report: AcceptanceReport) -> str:
    """The report as JSON (with the per-decision counts)."""
    data: dict[str, Any] = _adapter().dump_python(report, mode="json")
    data["counts"] = report.counts
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _verdict(report: AcceptanceReport) -> str:
    return "ACCEPTED" if report.accepted else "NOT ACCEPTED"


def report_markdown(report: AcceptanceReport) -> str:
    """The report as Markdown."""
    a = report.annex
    counts = report.counts
    lines = [
        f"# Acceptance report: {_verdict(report)}",
        "",
        f"- Contract: {inline(a['contract'] or '(none named)')}; "
        f"buyer {inline(a['buyer'] or '-')}; supplier {inline(a['supplier'] or '-')}",
        f"- Annex: MLSVS {a['standard']} level {a['level']}"
        + (f" (annex sha256 `{a['sha256']}`)" if a["sha256"] else ""),
        f"- Package: `{inline(report.package['path'])}`; supplier key `{report.package['keyid']}`",
        f"- Verified on: {report.verified_on.isoformat()}",
        f"- Requirements: {counts['accepted']} accepted, {counts['rejected']} rejected, "
        f"{counts['missing']} missing",
        "",
        "## Package checks",
        "",
        "| Check | Result | Detail |",
        "|---|---|---|",
    ]
    lines += [
        f"| {c.name} | {'ok' if c.ok else 'FAILED'} | {cell(c.detail)} |"
        for c in report.package_checks
    ]
    lines += [
        "",
        "## Requirements",
        "",
        "| Requirement | Decision | Reasons | Remediate by |",
        "|---|---|---|---|",
    ]
    for d in report.requirements:
        due = f"{d.remediate_by.isoformat()} ({d.severity})" if d.remediate_by else ""
        lines.append(
            f"| {d.citation} {cell(d.title)} | {d.decision.value} | "
            f"{cell('; '.join(d.reasons))} | {due} |"
        )
    if not report.requirements:
        lines.append("| (none examined: the package failed a check above) | | | |")
    return "\n".join(lines) + "\n"


def report_html(report: AcceptanceReport) -> str:
    """The report as a self-contained HTML page."""
    import jinja2

    from mlsvs.procurement.render_annex_html import code_spans, template

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["code"] = code_spans
    return env.from_string(template("acceptance.html.j2")).render(
        report=report, verdict=_verdict(report), counts=report.counts
    )


def _response_row(d: RequirementDecision) -> dict[str, str]:
    row = dict.fromkeys(RESPONSE_COLUMNS, "")
    claim = "pass" if d.decision.value == "accepted" else ""
    row.update(
        requirement_id=d.requirement,
        citation=d.citation,
        level=d.level,
        title=d.title,
        verification=d.verification,
        evidence_accepted=" + ".join(d.required_evidence),
        accepted_checks=" ".join(d.named_checks),
        parameters="; ".join(d.parameters),
        supplier_claim=claim,
        measured_value="; ".join(
            f"{m.name}={m.value:g}{m.unit and ' ' + m.unit}" for m in d.measured
        ),
        threshold="; ".join(
            f"{m.name}={m.threshold:g}" for m in d.measured if m.threshold is not None
        ),
        test_date=d.test_date,
        tool=d.tool.split(" ")[0],
        tool_version=d.tool.split(" ")[-1] if " " in d.tool else "",
        verifier=d.verifier,
        evidence_reference="; ".join(d.evidence),
        justification="; ".join(d.reasons) if d.decision.value != "accepted" else "",
    )
    return row


def response_form_csv(report: AcceptanceReport) -> str:
    """The response form filled from the package (what the evidence shows per requirement)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_response_row(d) for d in report.requirements)
    return out.getvalue()


def response_form_json(report: AcceptanceReport) -> str:
    """The filled response form as JSON."""
    doc = {
        "kind": "mlsvs-procurement-response",
        "annex": report.annex,
        "responses": [_response_row(d) for d in report.requirements],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
