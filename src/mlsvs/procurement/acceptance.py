"""``mlsvs evidence verify``: decide whether a signed package meets an annex for what was delivered.

Package checks come first (signature, statement, blob digests, subjects against the delivered
files, the results' standard, level and age); only a package that passes the signature and
statement checks is examined per requirement. Each in-scope requirement is accepted, rejected
or missing, with reasons. Fail closed throughout: what cannot be read or matched is rejected.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsvs.model.assessment import Assessment, CheckState, SkipCause
from mlsvs.model.attestation import Attestation, Claim, Validity
from mlsvs.model.catalog import Level
from mlsvs.model.verdict import Basis, Verdict
from mlsvs.procurement.annex import ContractAnnex
from mlsvs.procurement.evidence_rules import INDEPENDENT_ROLE, EvidenceKind
from mlsvs.procurement.layout import PAYLOAD_TYPE, PREDICATE_TYPE, SHA256, safe_relative
from mlsvs.procurement.package_read import PackageFiles

if TYPE_CHECKING:
    from securesystemslib.signer import Key

    from mlsvs.model.catalog import Standard
    from mlsvs.procurement.annex import AnnexRequirement, ScheduledParameter


@enum.unique
class AcceptanceDecision(enum.StrEnum):
    """The buyer's decision on one requirement."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MISSING = "missing"
    """No acceptable evidence was delivered (counts as rejected)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageCheck:
    """One check of the package as a whole."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """A measured value and the threshold it was judged against."""

    name: str
    value: float
    threshold: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementDecision:
    """The decision on one in-scope requirement, with the response-form facts."""

    requirement: str
    citation: str
    title: str
    level: str
    decision: AcceptanceDecision
    reasons: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    """What was accepted as evidence."""
    severity: str = ""
    remediate_by: dt.date | None = None
    measured: tuple[Measured, ...] = ()
    test_date: str = ""
    tool: str = ""
    verifier: str = ""
    verification: str = ""
    required_evidence: tuple[str, ...] = ()
    """The evidence kinds the annex requires."""
    named_checks: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    """``key=value`` of the parameters the results used for this requirement."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptanceReport:
    """The buyer's record of the acceptance decision."""

    kind: str
    accepted: bool
    verified_on: dt.date
    annex: dict[str, str]
    package: dict[str, str]
    package_checks: tuple[PackageCheck, ...]
    requirements: tuple[RequirementDecision, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Requirements per decision."""
        return {
            d.value: sum(1 for r in self.requirements if r.decision is d)
            for d in AcceptanceDecision
        }


class _Stop(Exception):  # noqa: N818 - control flow inside verify_package only
    pass


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest_of(ref: object) -> str:
    if isinstance(ref, dict) and isinstance(ref.get("digest"), dict):
        value = ref["digest"].get("sha256", "")
        return value if isinstance(value, str) and SHA256.match(value) else ""
    return ""


def _meets(param: ScheduledParameter, used: object) -> bool:
    """Whether a run with ``used`` is at least as strict as the schedule's value."""
    wanted = param.value
    if isinstance(wanted, bool) or isinstance(used, bool) or isinstance(wanted, str):
        return used == wanted
    if not isinstance(used, int | float):
        return False
    match param.comparison:
        case "floor" | "budget":
            return used >= wanted
        case "ceiling":
            return used <= wanted
        case _:
            return used == wanted


@dataclass(slots=True)
class _Context:
    annex: ContractAnnex
    files: PackageFiles
    key: Any
    """A securesystemslib ``Key``."""
    delivered: Path
    today: dt.date
    checks: list[PackageCheck]
    predicate: dict[str, Any] | None = None
    assessment: Assessment | None = None
    attestations: dict[str, Attestation] | None = None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(PackageCheck(name=name, ok=ok, detail=detail))
        return ok


def _signature(ctx: _Context) -> bytes:
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError

    try:
        envelope = Envelope.from_dict(json.loads(ctx.files.envelope))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        ctx.add("signature", False, f"the DSSE envelope is malformed: {exc}")
        raise _Stop from None
    if envelope.payload_type != PAYLOAD_TYPE:
        ctx.add("signature", False, f"payload type {envelope.payload_type!r} is not in-toto")
        raise _Stop
    try:
        envelope.verify([ctx.key], 1)
    except VerificationError:
        signers = ", ".join(sorted(envelope.signatures)) or "none"
        ctx.add(
            "signature",
            False,
            f"not signed by the supplier key {ctx.key.keyid[:16]}… (signature key IDs: "
            f"{signers[:80]}), or the signed statement was altered",
        )
        raise _Stop from None
    ctx.add("signature", True, f"DSSE signature verified with key {ctx.key.keyid[:16]}…")
    return envelope.payload


def _statement(ctx: _Context, payload: bytes) -> list[tuple[str, str]]:
    from google.protobuf import json_format
    from in_toto_attestation.v1.statement import Statement
    from in_toto_attestation.v1.statement_pb2 import Statement as StatementPb

    try:
        pb = json_format.Parse(payload.decode("utf-8"), StatementPb())
        statement = Statement.copy_from_pb(pb)
        statement.validate()
    except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
        ctx.add("statement", False, f"not a valid in-toto Statement v1: {exc}")
        raise _Stop from None
    if pb.predicate_type != PREDICATE_TYPE:
        ctx.add("statement", False, f"predicate type {pb.predicate_type!r} is not {PREDICATE_TYPE}")
        raise _Stop
    ctx.predicate = json_format.MessageToDict(pb.predicate)
    subjects = [(s.name, s.digest.get("sha256", "")) for s in pb.subject]
    ctx.add("statement", True, f"in-toto Statement v1 with {len(subjects)} subject(s)")
    return subjects


def _subjects(ctx: _Context, subjects: list[tuple[str, str]]) -> None:
    from mlsvs.discovery.classify import data_named, model_named
    from mlsvs.util.hashing import sha256_file

    problems = []
    named = set()
    for name, digest in subjects:
        named.add(name)
        if not safe_relative(name) or not SHA256.match(digest):
            problems.append(f"subject {name!r} has no usable name or sha256 digest")
            continue
        file = ctx.delivered / name
        if not file.is_file():
            problems.append(f"{name} was not delivered (not found in {ctx.delivered})")
            continue
        actual = sha256_file(file)
        if actual != digest:
            problems.append(
                f"delivered {name} does not match the signed digest (signed sha256:"
                f"{digest[:12]}…, delivered sha256:{actual[:12]}…)"
            )
    delivered = (
        f.relative_to(ctx.delivered).as_posix() for f in ctx.delivered.rglob("*") if f.is_file()
    )
    problems.extend(
        f"delivered {rel} is not covered by the package"
        for rel in sorted(delivered)
        if rel not in named and (model_named(rel) or data_named(rel))
    )
    ok = ctx.add(
        "subjects",
        not problems,
        "; ".join(problems)
        if problems
        else f"all {len(subjects)} delivered model/dataset file(s) match the signed digests",
    )
    if not ok:
        return


def _blob(ctx: _Context, ref: object, what: str, problems: list[str]) -> bytes | None:
    digest = _digest_of(ref)
    if not digest:
        problems.append(f"{what} has no sha256 digest in the statement")
        return None
    data = ctx.files.blobs.get(digest)
    if data is None:
        problems.append(f"{what} (sha256:{digest[:12]}…) is missing from the package")
        return None
    if _sha(data) != digest:
        problems.append(f"{what} in the package does not match its signed digest (edited)")
        return None
    return data


def _results(ctx: _Context) -> None:
    from mlsvs.errors import MlsvsError
    from mlsvs.render.json import parse_assessment

    assert ctx.predicate is not None  # noqa: S101 - set by _statement
    problems: list[str] = []
    section = ctx.predicate.get("assessment")
    ref = section.get("results") if isinstance(section, dict) else None
    data = _blob(ctx, ref, "the results file", problems)
    if data is None:
        ctx.add("results", False, "; ".join(problems))
        raise _Stop
    try:
        assessment = parse_assessment(json.loads(data), source="results")
    except (MlsvsError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        ctx.add("results", False, f"the results file is not valid mlsvs results: {exc}")
        raise _Stop from None
    ctx.assessment = assessment
    annex = ctx.annex
    if (assessment.standard.version, assessment.standard.digest) != (
        annex.standard.version,
        annex.standard.digest,
    ):
        problems.append(
            f"results are for MLSVS {assessment.standard.version} (sha256:"
            f"{assessment.standard.digest[:12]}…), the annex for {annex.standard.version} "
            f"(sha256:{annex.standard.digest[:12]}…)"
        )
    if assessment.target_level < annex.level:
        problems.append(
            f"the package is for level {assessment.target_level}; the annex requires {annex.level}"
        )
    if assessment.interrupted:
        problems.append("the results are partial (the run was interrupted)")
    tested = _date(assessment.finished_at)
    if tested is None:
        problems.append(f"the results have no readable test date ({assessment.finished_at!r})")
    elif tested + dt.timedelta(days=annex.terms.validity_days) < ctx.today:
        problems.append(
            f"the results are from {tested}; older than the annex's validity of "
            f"{annex.terms.validity_days} days"
        )
    elif tested > ctx.today:
        problems.append(f"the results are dated in the future ({tested})")
    ctx.add(
        "results",
        not problems,
        "; ".join(problems)
        or f"results of {assessment.tool.name} {assessment.tool.version} for MLSVS "
        f"{assessment.standard.version} at {assessment.target_level}, tested {tested}",
    )


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _bound(ctx: _Context, subjects: list[tuple[str, str]]) -> None:
    """The results were produced for the subjects (same paths and digests)."""
    assert ctx.assessment is not None  # noqa: S101
    signed = dict(subjects)
    problems = [
        f"results assessed {record.path} with another digest than signed"
        for record in ctx.assessment.artifacts
        if record.kind in {"model", "dataset"} and signed.get(record.path) != record.sha256
    ]
    ctx.add(
        "binding",
        not problems,
        "; ".join(problems) or "the results assessed exactly the signed files",
    )


def _bom_and_signatures(ctx: _Context) -> None:
    """Every ML-BOM and signature blob matches its digest; a BOM agrees with what was delivered."""
    from mlsvs.supply.bomread import check_hashes, load_bom
    from mlsvs.supply.errors import BomError

    assert ctx.predicate is not None  # noqa: S101
    problems: list[str] = []
    boms = ctx.predicate.get("bom", [])
    signatures = ctx.predicate.get("signatures", [])
    compared = 0
    for kind, entries in (("ML-BOM", boms), ("signature", signatures)):
        for entry in entries if isinstance(entries, list) else []:
            path = entry.get("path", "") if isinstance(entry, dict) else ""
            data = _blob(ctx, entry, f"{kind} {path}", problems)
            if data is None or kind != "ML-BOM" or not isinstance(path, str):
                continue
            with tempfile.TemporaryDirectory(prefix="mlsvs-bom-") as tmp:
                file = Path(tmp) / "bom.cdx.json"
                file.write_bytes(data)
                try:
                    bom = load_bom(file, rel=path, root=ctx.delivered.resolve())
                except BomError as exc:
                    problems.append(f"ML-BOM {path} cannot be read: {exc.message}")
                    continue
            for component in bom.components:
                if component.path is None or not component.hashes:
                    continue
                result = check_hashes(component, ctx.delivered.resolve())
                compared += 1
                if result.mismatched:
                    problems.append(
                        f"ML-BOM {path} lists {component.path} with another "
                        f"{'/'.join(result.mismatched)} digest than the delivered file"
                    )
    if boms or signatures:
        ctx.add(
            "bom",
            not problems,
            "; ".join(problems)
            or f"{len(boms)} ML-BOM(s) and {len(signatures)} signature file(s) match; "
            f"{compared} BOM component digest(s) agree with the delivered files",
        )


def _materialise_attestations(ctx: _Context, standard: Standard) -> None:
    """Re-validate every delivered attestation with the engine's own rules on the buyer's date."""
    from mlsvs.engine.attestations import load_one

    assert ctx.predicate is not None  # noqa: S101
    problems: list[str] = []
    found: dict[str, Attestation] = {}
    entries = ctx.predicate.get("attestations", [])
    with tempfile.TemporaryDirectory(prefix="mlsvs-evidence-") as tmp:
        root = Path(tmp).resolve()
        for entry in entries if isinstance(entries, list) else []:
            source = entry.get("source", "") if isinstance(entry, dict) else ""
            if not isinstance(source, str) or not safe_relative(source):
                problems.append(f"attestation path {source!r} is not a plain relative path")
                continue
            data = _blob(ctx, entry, f"attestation {source}", problems)
            if data is None:
                continue
            ok = True
            for ev in entry.get("evidence", []):
                path = ev.get("path") if isinstance(ev, dict) else None
                if path is None:
                    continue
                if not isinstance(path, str) or not safe_relative(path):
                    problems.append(f"evidence path {path!r} is not a plain relative path")
                    ok = False
                    continue
                blob = _blob(ctx, ev, f"evidence file {path} of {source}", problems)
                if blob is None:
                    ok = False
                    continue
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_bytes(blob)
            (root / source).parent.mkdir(parents=True, exist_ok=True)
            (root / source).write_bytes(data)
            attestation = load_one(root, root / source, standard, today=ctx.today)
            if not ok:
                attestation = _invalidated(attestation)
            found[source] = attestation
    ctx.attestations = found
    ctx.add(
        "evidence",
        not problems,
        "; ".join(problems) or f"{len(found)} attestation(s) and their evidence files match",
    )


def _invalidated(attestation: Attestation) -> Attestation:
    from dataclasses import replace

    return replace(
        attestation,
        validity=Validity.EVIDENCE_CHANGED,
        problems=(*attestation.problems, "an evidence file in the package was edited"),
    )


def _severity(ctx: _Context, requirement: str) -> str:
    from mlsvs.model.result import Status

    assert ctx.assessment is not None  # noqa: S101
    ranks = [
        f.severity
        for f in ctx.assessment.findings
        if requirement in f.requirements and f.status is Status.FAIL
    ]
    return max(ranks, key=lambda s: s.rank).value if ranks else ctx.annex.terms.unrated_severity


def _attestation_problems(
    ctx: _Context, item: AnnexRequirement, attestation: Attestation | None, verdict: Verdict
) -> tuple[AcceptanceDecision, str] | None:
    if attestation is None:
        return (
            AcceptanceDecision.MISSING,
            "the annex requires a signed attestation backed by: "
            + ("; ".join(item.evidence.documents) or "named evidence")
            + "; none was delivered in the package",
        )
    if attestation.requirement != item.id:
        return (
            AcceptanceDecision.REJECTED,
            f"attestation {attestation.source} is for {attestation.requirement}",
        )
    claim = Claim.PASS if verdict is Verdict.PASS else Claim.NOT_APPLICABLE
    if attestation.claim is not claim:
        return (
            AcceptanceDecision.REJECTED,
            f"attestation {attestation.source} in the package claims {attestation.claim}, the "
            f"signed results say {verdict}",
        )
    if attestation.validity is not Validity.VALID:
        if attestation.validity is Validity.EXPIRED:
            return (
                AcceptanceDecision.REJECTED,
                f"attestation {attestation.source} expired on {attestation.expires} "
                f"(verified on {ctx.today})",
            )
        return (
            AcceptanceDecision.REJECTED,
            f"attestation {attestation.source} is {attestation.validity}: "
            + "; ".join(attestation.problems),
        )
    if not any(ev.path for ev in attestation.evidence):
        return (
            AcceptanceDecision.REJECTED,
            f"attestation {attestation.source} names no content-addressed evidence file",
        )
    if EvidenceKind.INDEPENDENT in item.evidence.kinds or ctx.annex.level >= Level.L3:
        person = attestation.attested_by
        role = (person.role if person else "").strip().lower()
        if role != INDEPENDENT_ROLE:
            return (
                AcceptanceDecision.REJECTED,
                f"at {ctx.annex.level} the attestation must be made by an independent verifier "
                f"(role {INDEPENDENT_ROLE!r}); {attestation.source} is by role {role!r}",
            )
        names = ctx.annex.independent_verifiers
        if names and (person.name if person else "") not in names:
            return (
                AcceptanceDecision.REJECTED,
                f"{person.name if person else 'nobody'} is not an independent verifier the "
                f"annex accepts ({', '.join(names)})",
            )
    return None


def _idle(assessment: Assessment, item: AnnexRequirement) -> str:
    """Why none of the named checks had anything to examine ('' when one could have)."""
    records = {c.id: c for c in assessment.checks}
    reasons = []
    for check in item.evidence.checks:
        record = records.get(check)
        if record is None:
            return ""
        if record.state is CheckState.SKIPPED:
            if record.skip_cause is SkipCause.CAPABILITY and record.skip_needs == ("drill",):
                # State-changing drills are opt-in; the engine lets a drill record stand in.
                reasons.append(f"{check}: not run (drills are opt-in: --allow drill)")
                continue
            if record.skip_cause is not SkipCause.NO_TARGET:
                return ""  # skipped for a capability, a module or a filter: it could have run
            reasons.append(f"{check}: {record.skip_reason}")
        elif any(check == f.check and item.id in f.requirements for f in assessment.findings):
            return ""
        else:
            reasons.append(f"{check}: nothing to examine")
    return "; ".join(reasons)


def _not_run(assessment: Assessment, item: AnnexRequirement) -> str:
    records = {c.id: c for c in assessment.checks}
    return "; ".join(
        f"{c} was skipped: {records[c].skip_reason}"
        for c in item.evidence.checks
        if c in records and records[c].state.value == "skipped"
    )


def _decide(ctx: _Context, item: AnnexRequirement) -> RequirementDecision:
    from mlsvs.model.result import Status

    assessment = ctx.assessment
    assert assessment is not None  # noqa: S101
    verdict = next((v for v in assessment.verdicts if v.requirement == item.id), None)
    tool = f"{assessment.tool.name} {assessment.tool.version}"
    base: dict[str, Any] = {
        "requirement": item.id,
        "citation": item.citation,
        "title": item.title,
        "level": str(item.level),
        "tool": tool,
        "test_date": assessment.finished_at[:10],
        "verification": item.verification,
        "required_evidence": tuple(k.value for k in item.evidence.kinds),
        "named_checks": item.evidence.checks,
        "parameters": tuple(
            f"{s.key}={s.value}" for s in assessment.parameters if s.key in item.parameters
        ),
    }

    def out(decision: AcceptanceDecision, reasons: list[str], **more: Any) -> RequirementDecision:  # noqa: ANN401
        if decision is not AcceptanceDecision.ACCEPTED:
            severity = _severity(ctx, item.id)
            more.setdefault("severity", severity)
            more.setdefault(
                "remediate_by", ctx.today + dt.timedelta(days=ctx.annex.terms.deadline(severity))
            )
        return RequirementDecision(decision=decision, reasons=tuple(reasons), **base, **more)

    if verdict is None:
        return out(AcceptanceDecision.MISSING, [f"the results hold no verdict for {item.id}"])
    findings = [f for f in assessment.findings if item.id in f.requirements]
    measured = tuple(
        Measured(name=m.name, value=m.value, threshold=m.threshold, unit=m.unit)
        for f in findings
        for m in f.measurements
    )
    settings = {s.key: s for s in assessment.parameters}
    reasons: list[str] = []
    for key in item.parameters:
        scheduled = ctx.annex.parameter(key)
        if scheduled is None:
            continue
        used = settings.get(key)
        if used is None:
            reasons.append(f"verified without the scheduled parameter {key} = {scheduled.value}")
        elif not _meets(scheduled, used.value):
            reasons.append(
                f"verified with {key} = {used.value}; the annex schedules {scheduled.value} "
                f"({scheduled.comparison})"
            )
    if reasons:
        return out(AcceptanceDecision.REJECTED, reasons, measured=measured)
    if verdict.verdict not in {Verdict.PASS, Verdict.NOT_APPLICABLE}:
        detail = "; ".join(verdict.reasons[:3]) or "no reason given"
        return out(
            AcceptanceDecision.REJECTED, [f"verdict {verdict.verdict}: {detail}"], measured=measured
        )
    if verdict.verdict is Verdict.NOT_APPLICABLE and verdict.basis in {Basis.PROFILE, Basis.NONE}:
        return out(
            AcceptanceDecision.REJECTED,
            [
                "the results mark it not applicable from the supplier's declared traits, but "
                f"the annex keeps it in scope ({item.scope_reason})"
            ],
        )
    attestation = None
    if verdict.attestation and ctx.attestations is not None:
        attestation = ctx.attestations.get(verdict.attestation)
    accepted: list[str] = []
    verifier = "automated"
    kinds = item.evidence.kinds
    if verdict.verdict is Verdict.NOT_APPLICABLE:
        if verdict.basis in {Basis.ATTESTED, Basis.BOTH}:
            problem = _attestation_problems(ctx, item, attestation, verdict.verdict)
            if problem:
                return out(problem[0], [problem[1]])
        accepted.append("not applicable: " + ("; ".join(verdict.reasons[:2]) or "as determined"))
        kinds = ()
    if EvidenceKind.AUTOMATED in kinds:
        ran = {c.id for c in assessment.checks if c.state.value == "ran"}
        passing = sorted(
            {
                f.check
                for f in findings
                if f.check in item.evidence.checks and f.check in ran and f.status is Status.PASS
            }
        )
        idle = _idle(assessment, item)
        if passing and verdict.basis in {Basis.AUTOMATED, Basis.BOTH}:
            accepted.append("automated result of " + ", ".join(passing))
        elif idle and verdict.basis is Basis.ATTESTED and EvidenceKind.ATTESTATION not in kinds:
            # The named checks had nothing to examine in this system (the engine's rule: an
            # attestation then stands in); the attestation must pass every attestation test.
            problem = _attestation_problems(ctx, item, attestation, verdict.verdict)
            if problem:
                return out(problem[0], [problem[1]], measured=measured)
            assert attestation is not None  # noqa: S101 - _attestation_problems checked it
            person = attestation.attested_by
            verifier = f"{person.name} ({person.role})" if person else "unnamed"
            files = ", ".join(ev.path for ev in attestation.evidence if ev.path)
            accepted.append(
                f"attestation {attestation.source} backed by {files}, in place of "
                f"{', '.join(item.evidence.checks)} ({idle})"
            )
        else:
            why = _not_run(assessment, item)
            return out(
                AcceptanceDecision.MISSING,
                [
                    "the annex accepts an automated result only from "
                    + ", ".join(item.evidence.checks)
                    + "; the results hold no passing result of them"
                    + (f" ({why})" if why else "")
                ],
                measured=measured,
            )
    if EvidenceKind.ATTESTATION in kinds:
        problem = _attestation_problems(ctx, item, attestation, verdict.verdict)
        if problem:
            return out(problem[0], [problem[1]], measured=measured)
        assert attestation is not None  # noqa: S101 - _attestation_problems checked it
        person = attestation.attested_by
        verifier = f"{person.name} ({person.role})" if person else "unnamed"
        files = ", ".join(ev.path for ev in attestation.evidence if ev.path)
        accepted.append(f"attestation {attestation.source} backed by {files}")
        base["test_date"] = attestation.date.isoformat() if attestation.date else base["test_date"]
    return out(
        AcceptanceDecision.ACCEPTED,
        ["; ".join(accepted)],
        evidence=tuple(accepted),
        measured=measured,
        verifier=verifier,
    )


def verify_package(
    files: PackageFiles,
    annex: ContractAnnex,
    key: Key,
    delivered: Path,
    *,
    today: dt.date,
    annex_sha256: str = "",
) -> AcceptanceReport:
    """The acceptance report for ``files`` against ``annex`` and the ``delivered`` directory."""
    from mlsvs.catalog import load_standard
    from mlsvs.errors import CatalogError

    ctx = _Context(annex=annex, files=files, key=key, delivered=delivered, today=today, checks=[])
    decisions: list[RequirementDecision] = []
    try:
        payload = _signature(ctx)
        subjects = _statement(ctx, payload)
        _subjects(ctx, subjects)
        _results(ctx)
        _bound(ctx, subjects)
        try:
            standard = load_standard(annex.standard.version)
        except CatalogError:
            standard = None
        if standard is None or standard.digest != annex.standard.digest:
            ctx.add(
                "standard",
                False,
                f"this mlsvs does not bundle MLSVS {annex.standard.version} with the annex's "
                "digest; attestations cannot be re-validated",
            )
            raise _Stop
        _materialise_attestations(ctx, standard)
        _bom_and_signatures(ctx)
        if files.unexpected:
            ctx.add("layout", False, "unexpected package members: " + ", ".join(files.unexpected))
        decisions = [_decide(ctx, item) for item in annex.requirements]
    except _Stop:
        pass
    accepted = (
        bool(decisions)
        and all(c.ok for c in ctx.checks)
        and all(d.decision is AcceptanceDecision.ACCEPTED for d in decisions)
    )
    return AcceptanceReport(
        kind="mlsvs-acceptance-report",
        accepted=accepted,
        verified_on=today,
        annex={
            "contract": annex.parties.contract,
            "buyer": annex.parties.buyer,
            "supplier": annex.parties.supplier,
            "standard": annex.standard.version,
            "level": str(annex.level),
            "sha256": annex_sha256,
        },
        package={"path": files.path, "keyid": key.keyid},
        package_checks=tuple(ctx.checks),
        requirements=tuple(decisions),
    )
