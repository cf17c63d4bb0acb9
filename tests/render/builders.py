"""Fixture assessments built in Python: realistic, with every verdict and hostile text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from mlsvs.model.assessment import (
    SCHEMA_VERSION,
    ArtifactRecord,
    Assessment,
    CheckRecord,
    CheckState,
    Problem,
    ProblemKind,
    ProjectInfo,
    RequirementInfo,
    StandardRef,
    ToolInfo,
)
from mlsvs.model.attestation import Attestation, Claim, EvidenceRef, Person, Validity
from mlsvs.model.catalog import Level, Verification
from mlsvs.model.result import (
    Finding,
    Location,
    Measurement,
    SeriesPoint,
    Severity,
    Status,
    TargetRef,
)
from mlsvs.model.verdict import Basis, LevelResult, RequirementVerdict, Verdict

HOSTILE = "<script>alert('x')</script> a|b \x1b[31mRED\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07\nnext line & \"q\""
"""Text a scanned file could carry: HTML, a table pipe, ANSI colour, an OSC 8 link, a newline."""

SHA_A = "a" * 64
SHA_B = "b" * 64


def fid(n: int) -> str:
    """A fingerprint-shaped finding id."""
    return hashlib.sha256(f"finding-{n}".encode()).hexdigest()


def _finding(n: int, **kw: object) -> Finding:
    base: dict[str, object] = {
        "id": fid(n),
        "check": "MLC101",
        "requirements": ("M4.1.1",),
        "severity": Severity.HIGH,
        "status": Status.PASS,
        "target": TargetRef(path="models/model.pkl", kind="model"),
        "message": "ok",
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


ROBUST = Measurement(
    name="robust_accuracy",
    value=0.41,
    unit="",
    lower=0.37,
    upper=0.45,
    confidence=0.95,
    threshold=0.5,
    parameters=(("attack", "pgd"), ("norm", "linf"), ("samples", "500"), ("seed", "7")),
    series=tuple(
        SeriesPoint(x=x, y=y)
        for x, y in ((0.0, 0.93), (0.01, 0.81), (0.02, 0.64), (0.03, 0.52), (0.05, 0.41))
    ),
    x_label="epsilon <L∞>",
    y_label="robust accuracy",
)
ROC = Measurement(
    name="mia_auc",
    value=0.58,
    threshold=0.6,
    parameters=(("attack", "loss-threshold"),),
    series=tuple(
        SeriesPoint(x=x, y=y)
        for x, y in ((0.001, 0.004), (0.01, 0.03), (0.1, 0.19), (0.5, 0.61), (1.0, 1.0))
    ),
    x_label="false positive rate",
    y_label="true positive rate",
    x_log=True,
)
PLAIN = Measurement(name="query_budget", value=1000.0, unit="queries")


def findings() -> tuple[Finding, ...]:
    """Passes, failures (one waived), errors, not-applicables; hostile messages."""
    return (
        _finding(
            1,
            message="no pickle opcodes that import code",
            facts=(
                *((f"leak{n:02d}", f"train row {n * 7} = test row {n * 11}") for n in range(1, 13)),
                ("count.email", "3"),
                ("count.phone", "1"),
                ("format", "pickle"),
            ),
        ),
        _finding(
            2,
            status=Status.FAIL,
            severity=Severity.CRITICAL,
            target=TargetRef(path="models/evil<1>.pkl", kind="model"),
            message="GLOBAL os.system imported on load: " + HOSTILE,
            location=Location(member="archive/data.pkl", offset=0x1F),
            rule="PKL001",
            facts=(("callable", "os.system"), ("format", "pickle")),
        ),
        _finding(
            3,
            check="MLC201",
            requirements=("M5.2.1", "M4.1.1"),
            status=Status.FAIL,
            severity=Severity.MEDIUM,
            target=TargetRef(path="src/train.py", kind="source"),
            message="yaml.load without SafeLoader",
            location=Location(line=12, column=5),
            rule="ML002",
        ),
        _finding(
            4,
            check="MLC202",
            requirements=("M5.2.2",),
            status=Status.FAIL,
            severity=Severity.LOW,
            target=TargetRef(path="notebooks/eda.ipynb", kind="source"),
            message="hard-coded token in cell 3",
            location=Location(line=40),
            waiver="W-001",
        ),
        _finding(
            5,
            check="MLC301",
            requirements=("M2.1.1",),
            status=Status.ERROR,
            severity=Severity.MEDIUM,
            target=TargetRef(path="requirements.txt", kind="dependencies"),
            message="advisory database unreadable: " + HOSTILE,
        ),
        _finding(
            6,
            check="MLC401",
            requirements=("M7.1.1",),
            status=Status.FAIL,
            severity=Severity.HIGH,
            target=TargetRef(path="models/model.onnx", kind="model"),
            message="robust accuracy 0.41 below 0.5 at eps=0.05",
            measurements=(ROBUST, PLAIN),
            duration_ms=5400,
        ),
        _finding(
            7,
            check="MLC402",
            requirements=("M7.2.1",),
            status=Status.PASS,
            severity=Severity.MEDIUM,
            target=TargetRef(path="models/model.onnx", kind="model"),
            message="membership inference AUC 0.58 below 0.6",
            measurements=(ROC,),
        ),
        _finding(
            8,
            check="MLC102",
            requirements=("M4.2.1",),
            status=Status.NOT_APPLICABLE,
            severity=Severity.INFO,
            target=TargetRef(path=".", kind="project"),
            message="no signatures expected for internal models",
        ),
    )


def verdicts() -> tuple[RequirementVerdict, ...]:
    """Every verdict at least once, in four chapters, with hostile reasons."""
    rv = RequirementVerdict
    return (
        rv(
            requirement="M1.1.1",
            level=Level.L1,
            verdict=Verdict.PASS,
            basis=Basis.ATTESTED,
            reasons=("attested pass by Ana <ana@example.org>",),
            attestation="attestations/a0.yaml",
        ),
        rv(
            requirement="M1.2.1",
            level=Level.L2,
            verdict=Verdict.NOT_VERIFIED,
            basis=Basis.NONE,
            reasons=("attestation expired on 2026-01-01",),
            attestation="attestations/a1.yaml",
        ),
        rv(
            requirement="M2.1.1",
            level=Level.L1,
            verdict=Verdict.ERROR,
            basis=Basis.AUTOMATED,
            reasons=("MLC301 could not decide: " + HOSTILE,),
            findings=(fid(5),),
        ),
        rv(
            requirement="M4.1.1",
            level=Level.L1,
            verdict=Verdict.FAIL,
            basis=Basis.AUTOMATED,
            reasons=("MLC101 failed on models/evil<1>.pkl", "MLC201 failed on src/train.py"),
            findings=(fid(1), fid(2), fid(3)),
        ),
        rv(
            requirement="M4.2.1",
            level=Level.L2,
            verdict=Verdict.NOT_APPLICABLE,
            basis=Basis.PROFILE,
            reasons=("profile: uses_third_party_model not declared",),
            findings=(fid(8),),
        ),
        rv(
            requirement="M5.2.1",
            level=Level.L1,
            verdict=Verdict.FAIL,
            basis=Basis.AUTOMATED,
            reasons=("MLC201 failed on src/train.py | line 12",),
            findings=(fid(3),),
        ),
        rv(
            requirement="M5.2.2",
            level=Level.L2,
            verdict=Verdict.WAIVED,
            basis=Basis.AUTOMATED,
            reasons=("waived by W-001 until 2027-01-31",),
            findings=(fid(4),),
        ),
        rv(
            requirement="M7.1.1",
            level=Level.L3,
            verdict=Verdict.FAIL,
            basis=Basis.AUTOMATED,
            reasons=("robust accuracy 0.41 < 0.5",),
            findings=(fid(6),),
        ),
        rv(
            requirement="M7.2.1",
            level=Level.L2,
            verdict=Verdict.PASS,
            basis=Basis.AUTOMATED,
            reasons=("MIA AUC 0.58 < 0.6",),
            findings=(fid(7),),
        ),
        rv(
            requirement="M10.1.1",
            level=Level.L1,
            verdict=Verdict.PASS,
            basis=Basis.AUTOMATED,
            reasons=("all endpoints require authentication",),
        ),
    )


_CHAPTERS = {
    "M1": "Governance",
    "M2": "Data sourcing",
    "M4": "Model artifact integrity",
    "M5": "Third-party models",
    "M7": "Privacy",
    "M10": "Monitoring",
}


def requirement_infos() -> tuple[RequirementInfo, ...]:
    """What each requirement of ``verdicts()`` says; M4.1.1 carries hostile guidance."""
    out = []
    for v in verdicts():
        chapter = v.requirement.split(".")[0]
        section = ".".join(v.requirement.split(".")[:2])
        hostile = v.requirement == "M4.1.1"
        out.append(
            RequirementInfo(
                id=v.requirement,
                title=f"Title of {v.requirement}" + (" " + HOSTILE if hostile else ""),
                text=f"Verify that {v.requirement} holds for every model artifact.",
                level=v.level,
                verification=Verification.ATTEST
                if v.requirement == "M1.2.1"
                else Verification.STATIC,
                chapter=chapter,
                chapter_title=_CHAPTERS[chapter],
                section=section,
                section_title=f"Section {section}",
                pass_criteria=f"Pass when {v.requirement} is met by every artifact.",
                fail_condition=f"Fail when any artifact misses {v.requirement}.",
                evidence=("model_artifact", "scanner_report"),
                why="Pickle runs code on load.",
                how="Convert weights to safetensors." + (" " + HOSTILE if hostile else ""),
                tools=("safetensors", "modelscan"),
            )
        )
    return tuple(out)


def attestations() -> tuple[Attestation, ...]:
    """One attestation per validity."""
    person = Person(name="Ana <b>Lima</b>", role="ML lead", email="ana@example.org")
    out = []
    for n, validity in enumerate(Validity):
        out.append(
            Attestation(
                source=f"attestations/a{n}.yaml",
                requirement=("M1.1.1", "M1.2.1", "M7.2.1", "M9.9.9", "M1.1.1", "M4.1.1")[n],
                claim=(Claim.PASS, Claim.FAIL, Claim.NOT_APPLICABLE)[n % 3],
                statement=f"statement {n}: " + HOSTILE,
                justification="scoped out" if n % 3 == 2 else "",
                evidence=(
                    EvidenceRef(path="docs/threat-model.md", sha256=SHA_A, actual_sha256=SHA_A),
                    EvidenceRef(url="https://example.org/review", description="review"),
                )
                if n < 3
                else (EvidenceRef(path="docs/missing.md", sha256=SHA_B),),
                attested_by=person if n != 5 else None,
                date=dt.date(2026, 1, 1 + n),
                expires=dt.date(2027, 1, 1) if n != 1 else dt.date(2026, 6, 1),
                validity=validity,
                problems=("evidence digest changed",)
                if validity is Validity.EVIDENCE_CHANGED
                else (),
            )
        )
    return tuple(out)


def assessment(**overrides: object) -> Assessment:
    """A realistic assessment: L1 not met (target L2), every verdict, hostile strings."""
    base = Assessment(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(name="mlsvs", version="0.1.0"),
        standard=StandardRef(key="mlsvs", name="OWASP MLSVS", version="1.0.0", digest=SHA_A),
        project=ProjectInfo(
            name="fraud-model " + HOSTILE,
            root="./fraud",
            traits=("exposes_inference_api", "trains_on_personal_data"),
        ),
        target_level=Level.L2,
        achieved_level=None,
        levels=(
            LevelResult(
                level=Level.L1,
                met=False,
                blocking=("M2.1.1", "M4.1.1", "M5.2.1"),
                applicable=5,
                satisfied=2,
            ),
            LevelResult(
                level=Level.L2,
                met=False,
                blocking=("M1.2.1", "M2.1.1", "M4.1.1", "M5.2.1", "M5.2.2"),
                applicable=8,
                satisfied=3,
            ),
            LevelResult(
                level=Level.L3,
                met=False,
                blocking=("M1.2.1", "M2.1.1", "M4.1.1", "M5.2.1", "M5.2.2", "M7.1.1"),
                applicable=9,
                satisfied=3,
            ),
        ),
        verdicts=verdicts(),
        findings=findings(),
        artifacts=(
            ArtifactRecord(
                path="data/train.csv", kind="dataset", format="csv", size=2048, sha256=SHA_B
            ),
            ArtifactRecord(
                path="models/evil<1>.pkl", kind="model", format="pickle", size=99, sha256=SHA_A
            ),
            ArtifactRecord(
                path="models/model.onnx", kind="model", format="onnx", size=4096, sha256=SHA_B
            ),
            ArtifactRecord(path="requirements.txt", kind="dependencies", size=120),
        ),
        checks=(
            CheckRecord(
                id="MLC101",
                title="Model files do not execute code on load",
                requirements=("M4.1.1",),
                severity="critical",
                state=CheckState.RAN,
                remediation="Convert to safetensors.",
                description="Scans pickle opcodes.",
            ),
            CheckRecord(
                id="MLC201",
                title="Safe YAML loading",
                requirements=("M5.2.1", "M4.1.1"),
                severity="medium",
                state=CheckState.RAN,
                remediation="Use yaml.safe_load.",
            ),
            CheckRecord(
                id="MLC202",
                title="No secrets in notebooks",
                requirements=("M5.2.2",),
                severity="low",
                state=CheckState.RAN,
            ),
            CheckRecord(
                id="MLC301",
                title="Dependencies without known vulnerabilities",
                requirements=("M2.1.1",),
                severity="medium",
                state=CheckState.RAN,
            ),
            CheckRecord(
                id="MLC401",
                title="Robust accuracy under PGD",
                requirements=("M7.1.1",),
                severity="high",
                state=CheckState.RAN,
            ),
            CheckRecord(
                id="MLC402",
                title="Membership inference resistance",
                requirements=("M7.2.1",),
                severity="medium",
                state=CheckState.RAN,
            ),
            CheckRecord(
                id="MLC102",
                title="Model signatures",
                requirements=("M4.2.1",),
                severity="info",
                state=CheckState.RAN,
            ),
            CheckRecord(
                id="MLC501",
                title="Endpoint rate limiting",
                requirements=("M10.1.2",),
                severity="high",
                state=CheckState.SKIPPED,
                skip_reason="needs --allow network " + HOSTILE,
            ),
        ),
        attestations=attestations(),
        problems=(
            Problem(
                kind=ProblemKind.DISCOVERY,
                message="unreadable file: " + HOSTILE,
                path="data/bad.parquet",
            ),
            Problem(kind=ProblemKind.WAIVER, message="waiver W-009 expired on 2026-02-01"),
        ),
        config_digest=SHA_B,
        started_at="2026-11-25T10:00:00Z",
        finished_at="2026-11-25T10:02:03Z",
        requirements=requirement_infos(),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def passing_assessment() -> Assessment:
    """The same project, everything satisfied: L2 achieved."""
    clean = tuple(
        dataclasses.replace(v, verdict=Verdict.PASS, reasons=("fixed",))
        if not v.verdict.satisfies
        else v
        for v in verdicts()
    )
    return assessment(
        verdicts=clean,
        achieved_level=Level.L3,
        levels=tuple(LevelResult(level=lv, met=True, applicable=9, satisfied=9) for lv in Level),
        findings=tuple(f for f in findings() if f.status is Status.PASS),
        problems=(),
    )
