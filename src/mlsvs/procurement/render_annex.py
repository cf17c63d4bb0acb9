"""The annex as Markdown, the response form (CSV, JSON) and the verification profile (YAML)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from mlsvs.catalog.markdown import cell, inline
from mlsvs.procurement.clauses import clauses, parties_lines, title

if TYPE_CHECKING:
    from mlsvs.procurement.annex import ContractAnnex, ScheduledParameter

RESPONSE_COLUMNS = (
    "requirement_id",
    "citation",
    "level",
    "title",
    "verification",
    "evidence_accepted",
    "accepted_checks",
    "parameters",
    "supplier_claim",
    "measured_value",
    "threshold",
    "test_date",
    "tool",
    "tool_version",
    "verifier",
    "evidence_reference",
    "justification",
)
CLAIMS = ("pass", "fail", "not_applicable")


def value_text(param: ScheduledParameter) -> str:
    """``0.03 (buyer)``-style value of a scheduled parameter."""
    value = json.dumps(param.value) if isinstance(param.value, bool) else str(param.value)
    unit = f" {param.unit}" if param.unit and param.unit not in {"-", "flag"} else ""
    return f"{value}{unit}"


def annex_markdown(annex: ContractAnnex) -> str:
    """The annex as one Markdown document."""
    lines = [f"# {title(annex)}", ""]
    lines += [f"- {inline(line)}" for line in parties_lines(annex)]
    lines.append("")
    for clause in clauses(annex):
        lines += [f"## {clause.number}. {clause.heading}", ""]
        for paragraph in clause.paragraphs:
            lines += [inline(paragraph), ""]
        if clause.bullets:
            lines += [f"- {inline(b)}" for b in clause.bullets]
            lines.append("")
    if annex.out_of_scope:
        lines += ["## Out of scope", "", "| ID | Requirement | Level | Why |", "|---|---|---|---|"]
        lines += [
            f"| {o.id} | {cell(o.title)} | {o.level} | {cell(o.reason)} |"
            for o in annex.out_of_scope
        ]
        lines.append("")
    lines += [
        "## Parameter schedule",
        "",
        "| Parameter | Meaning | Value | Set by | Standard's value | Buyer may assign |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{p.key}` | {cell(p.meaning)} | {cell(value_text(p))} | {p.set_by} | "
        f"{cell(str(p.standard_value))} | {cell(p.bounds or 'fixed')} |"
        for p in annex.parameters
    ]
    lines += ["", f"## Requirements ({len(annex.requirements)})", ""]
    chapter = None
    for r in annex.requirements:
        if r.chapter != chapter:
            chapter = r.chapter
            lines += [f"### {chapter} {r.chapter_title}", ""]
        lines += [
            f"#### {r.citation} {r.title}",
            "",
            inline(r.text),
            "",
            f"- Level: {r.level}; verification: {r.verification}",
            f"- Scope: {inline(r.scope_reason)}",
            f"- Pass criteria: {inline(r.pass_criteria)}",
            f"- Fail condition: {inline(r.fail_condition)}",
            f"- Evidence accepted: {inline(r.evidence.describe())}",
        ]
        if r.parameters:
            values = {p.key: p for p in annex.parameters}
            lines.append(
                "- Parameters: "
                + "; ".join(f"`{k}` = {value_text(values[k])}" for k in r.parameters if k in values)
            )
        lines.append("")
    return "\n".join(lines)


def _rows(annex: ContractAnnex) -> list[dict[str, str]]:
    values = {p.key: p for p in annex.parameters}
    rows = []
    for r in annex.requirements:
        params = "; ".join(f"{k}={value_text(values[k])}" for k in r.parameters if k in values)
        row = dict.fromkeys(RESPONSE_COLUMNS, "")
        row.update(
            requirement_id=r.id,
            citation=r.citation,
            level=str(r.level),
            title=r.title,
            verification=r.verification,
            evidence_accepted=" + ".join(k.value for k in r.evidence.kinds),
            accepted_checks=" ".join(r.evidence.checks),
            parameters=params,
        )
        rows.append(row)
    return rows


def response_csv(annex: ContractAnnex) -> str:
    """The supplier response form: one row per in-scope requirement, answers blank."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(annex))
    return out.getvalue()


def response_json(annex: ContractAnnex) -> str:
    """The response form as JSON: the annex it answers and one blank entry per requirement."""
    doc = {
        "kind": "mlsvs-procurement-response",
        "annex": {
            "standard": annex.standard.version,
            "digest": annex.standard.digest,
            "level": str(annex.level),
            "contract": annex.parties.contract,
        },
        "claims": list(CLAIMS),
        "responses": [
            {
                k: (
                    None
                    if k not in {"requirement_id", "citation", "level", "title"} and not v
                    else v
                )
                for k, v in row.items()
            }
            for row in _rows(annex)
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def verification_profile_yaml(annex: ContractAnnex) -> str:
    """The schedule as a verification profile for ``mlsvs verify --profile`` (buyer's values)."""
    import yaml

    doc = {
        "profile": {
            "name": annex.parties.contract or f"procurement annex {annex.issued.isoformat()}",
            "issuer": annex.parties.buyer or "buyer",
            "role": "buyer",
            "standard": annex.standard.version,
            "level": str(annex.level),
        },
        "parameters": {p.key: p.value for p in annex.parameters if p.set_by == "buyer"},
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
