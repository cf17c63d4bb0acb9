"""The contract clauses of an annex as text blocks, shared by the Markdown and HTML renderings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.procurement.evidence_rules import INDEPENDENT_ROLE
from mlsvs.procurement.questionnaire import Answer

if TYPE_CHECKING:
    from mlsvs.procurement.annex import ContractAnnex

RESPONSE_HINT = "`mlsvs procurement -f response-csv` or `-f response-json`"


@dataclass(frozen=True, slots=True, kw_only=True)
class Clause:
    """A numbered clause: heading, paragraphs, then bullet points."""

    number: int
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()


def title(annex: ContractAnnex) -> str:
    """The document title."""
    return f"Annex: ML security requirements (MLSVS {annex.standard.version}, level {annex.level})"


def parties_lines(annex: ContractAnnex) -> tuple[str, ...]:
    """Who and what the annex binds, as label: value lines."""
    p = annex.parties
    blank = "________________"
    return (
        f"Buyer: {p.buyer or blank}",
        f"Supplier: {p.supplier or blank}",
        f"Contract reference: {p.contract or blank}",
        f"System delivered: {p.system or blank}",
        f"Standard: {annex.standard.name} {annex.standard.version} "
        f"(content digest `sha256:{annex.standard.digest}`)",
        f"Target level: {annex.level} (requirements with entry level <= {int(annex.level)})",
        f"Issued: {annex.issued.isoformat()}",
    )


def scope_bullets(annex: ContractAnnex) -> tuple[str, ...]:
    """One bullet per scope question with its answer and effect."""
    out = []
    for a in annex.scope:
        if a.answer is Answer.UNANSWERED:
            effect = "NOT ANSWERED: its requirements are kept in scope (fail closed)"
        elif a.answer is Answer.YES:
            effect = "yes: its requirements apply"
        else:
            effect = "no: its requirements are out of scope (listed below)"
        out.append(f"{a.text} (`{a.question}`, tag `{a.tag}`): {effect}")
    return tuple(out)


def clauses(annex: ContractAnnex) -> tuple[Clause, ...]:
    """The contract clauses in order."""
    t = annex.terms
    unanswered = [a.question for a in annex.scope if a.answer is Answer.UNANSWERED]
    verifiers = (
        "the buyer accepts these independent verifiers: " + ", ".join(annex.independent_verifiers)
        if annex.independent_verifiers
        else "any verifier independent of the supplier's development team may act, named in the "
        "attestation"
    )
    return (
        Clause(
            number=1,
            heading="Purpose and precedence",
            paragraphs=(
                "This annex states the machine-learning security requirements the supplier must "
                f"meet for the system delivered under the contract: {annex.standard.name} "
                f"{annex.standard.version}, level {annex.level}. Requirements are cited "
                "with their version, e.g. "
                f"{annex.requirements[0].citation if annex.requirements else 'v1.1.0-M4.1.1'}; "
                "the text of the cited version governs.",
            ),
        ),
        Clause(
            number=2,
            heading="Scope",
            paragraphs=(
                "The scope was chosen with the questionnaire below. Every core requirement "
                "applies; a requirement tied to a system trait applies unless the buyer answered "
                "no to that trait. "
                + (
                    "Unanswered questions: " + ", ".join(unanswered) + " — their requirements "
                    "are included until the buyer answers them."
                    if unanswered
                    else "Every question was answered."
                ),
            ),
            bullets=scope_bullets(annex),
        ),
        Clause(
            number=3,
            heading="Parameter schedule",
            paragraphs=(
                "Verification uses the parameter values in the schedule (section Parameter "
                "schedule). Values marked `buyer` are the buyer's assignments within the bounds "
                "the standard fixes; the supplier cannot change any value. Results produced with "
                "a weaker value are not accepted. The schedule is also delivered as a "
                "verification profile (`mlsvs verify --profile`).",
            ),
        ),
        Clause(
            number=4,
            heading="Evidence",
            paragraphs=(
                "For each requirement the annex names the evidence accepted. An automated result "
                "is accepted only from the named checks; where no check exists the supplier "
                "delivers a signed attestation backed by the named evidence. "
                + (
                    f"At level {annex.level}, attestations must be made by an independent "
                    f"verifier (attested_by.role `{INDEPENDENT_ROLE}`); {verifiers}."
                    if any("independent" in k for r in annex.requirements for k in r.evidence.kinds)
                    else "Attestations are signed by a named, responsible person of the supplier."
                ),
                "Evidence is delivered as an MLSVS evidence package (`mlsvs evidence pack`): "
                "the `mlsvs verify` results, attestations and their evidence files (addressed "
                "by SHA-256), the ML-BOM and model signatures, bound to the SHA-256 digests of "
                "the delivered model and dataset files by an in-toto Statement in a DSSE "
                "envelope signed with the supplier's key registered with the buyer.",
            ),
        ),
        Clause(
            number=5,
            heading="Acceptance procedure",
            bullets=(
                "The supplier delivers the model and dataset files and the evidence package, "
                "and answers every in-scope requirement in the response form "
                f"({RESPONSE_HINT}): measured value, threshold, test date, tool and version, "
                "verifier.",
                "The buyer runs `mlsvs evidence verify PACKAGE --annex annex.json --delivered "
                "DIR --key SUPPLIER_KEY` against the files actually delivered and decides "
                f"within {t.acceptance_days} days.",
                "The delivery is accepted only when the signature verifies, every delivered "
                "model and dataset file matches a signed digest, the results are for this "
                "standard version at this level or higher with the scheduled parameters, and "
                "every in-scope requirement is accepted. A requirement without acceptable "
                "evidence is missing and counts as rejected.",
                "A not-applicable claim is accepted only with a signed justification, or an "
                "automated determination recorded in the results; a requirement the results "
                "mark not applicable only because a trait was not declared is rejected.",
                "The buyer's acceptance report (JSON, Markdown or HTML) lists each requirement "
                "as accepted, rejected or missing with the reason, and is the record of the "
                "decision.",
            ),
        ),
        Clause(
            number=6,
            heading="Validity and re-verification",
            paragraphs=(
                f"Accepted evidence is valid for {t.validity_days} days from its test date; "
                "evidence older than that, or an attestation past its expiry date, is not "
                "accepted. The supplier re-verifies, re-packs and re-delivers before the "
                "validity ends and on each of these triggers:",
            ),
            bullets=t.reverification_triggers,
        ),
        Clause(
            number=7,
            heading="Remediation",
            paragraphs=(
                "A rejected requirement is remediated and re-delivered within the deadline for "
                "its severity, counted from the acceptance report. A rejection that no finding "
                f"rates (missing or expired evidence) counts as {t.unrated_severity}.",
            ),
            bullets=tuple(f"{d.severity}: {d.days} days" for d in t.remediation),
        ),
        Clause(
            number=8,
            heading="Right to audit",
            paragraphs=(
                f"On {t.audit_notice_days} business days' notice the buyer, or an independent "
                "auditor it appoints, may re-run the verification on the delivered files, "
                "inspect the evidence behind any attestation and the environment that produced "
                "the results. The supplier keeps every evidence package it delivered for the "
                "contract term plus one year.",
            ),
        ),
        Clause(
            number=9,
            heading="Change notification",
            paragraphs=(
                f"The supplier notifies the buyer in writing at least {t.change_notice_days} "
                "days before any change that triggers re-verification takes effect, and within "
                "72 hours of a security incident affecting the delivered system, naming the "
                "affected requirements.",
            ),
        ),
    )
