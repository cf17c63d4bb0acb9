"""Attestation validity is recomputed from files, digests and the injected date."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from types import MappingProxyType

import pytest

from mlsvs.engine.attestations import load_attestations, template
from mlsvs.model.attestation import Claim, Validity
from mlsvs.model.catalog import (
    Chapter,
    Guidance,
    Level,
    Requirement,
    Section,
    Standard,
    Verification,
)

TODAY = dt.date(2026, 11, 25)


def _standard() -> Standard:
    req = Requirement(
        id="M1.3.1",
        chapter="M1",
        section="M1.3",
        title="Threat model",
        text="Verify that a threat model exists.",
        level=Level.L1,
        verification=Verification.HYBRID,
        evidence=("threat_model",),
        pass_criteria="Pass when it exists.",
        fail_condition="Fail when absent.",
        applicability=frozenset(),
        guidance=Guidance(why="w", how="h"),
    )
    chapter = Chapter(
        id="M1",
        title="Governance",
        objective="o",
        sections=(Section(id="M1.3", title="T", objective="o", requirements=(req,)),),
    )
    return Standard(
        key="mlsvs",
        name="MLSVS",
        version="1.0.0",
        status="final",
        license="x",
        released="2026-11-25",
        description="d",
        level_semantics="s",
        levels=(),
        tags=(),
        frameworks=(),
        chapters=(chapter,),
        digest="0" * 64,
        requirements=MappingProxyType({"M1.3.1": req}),
    )


def _project(tmp_path: Path, body: str, evidence: str = "threat model v1\n") -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "tm.md").write_text(evidence)
    (tmp_path / "attestations").mkdir()
    (tmp_path / "attestations" / "m1.yaml").write_text(body)
    return tmp_path


def _body(digest: str, *, expires: str = "2027-06-01", claim: str = "pass", extra: str = "") -> str:
    return (
        f"requirement: M1.3.1\nclaim: {claim}\nstatement: Reviewed by the team.\n"
        f"evidence:\n  - path: docs/tm.md\n    sha256: {digest}\n"
        f"attested_by: {{name: A. Person, role: CISO}}\ndate: 2026-11-01\n"
        f"expires: {expires}\n{extra}"
    )


DIGEST = hashlib.sha256(b"threat model v1\n").hexdigest()


def _load(root: Path):
    return load_attestations(root, ["attestations"], _standard(), today=TODAY)


def test_valid_attestation(tmp_path: Path) -> None:
    [att] = _load(_project(tmp_path, _body(DIGEST))).attestations
    assert att.validity is Validity.VALID
    assert att.claim is Claim.PASS
    assert att.attested_by is not None and att.attested_by.role == "CISO"


@pytest.mark.parametrize(
    ("body", "evidence", "validity"),
    [
        (_body(DIGEST, expires="2026-11-24"), "threat model v1\n", Validity.EXPIRED),
        (_body(DIGEST), "threat model v2\n", Validity.EVIDENCE_CHANGED),
        (
            _body(DIGEST).replace("M1.3.1", "M9.9.9"),
            "threat model v1\n",
            Validity.UNKNOWN_REQUIREMENT,
        ),
        (
            _body(DIGEST).replace("docs/tm.md", "docs/gone.md"),
            "threat model v1\n",
            Validity.EVIDENCE_MISSING,
        ),
        (_body(DIGEST, claim="not_applicable"), "threat model v1\n", Validity.INVALID),
        (_body(DIGEST, extra="colour: blue\n"), "threat model v1\n", Validity.INVALID),
        ("requirement: [unclosed\n", "threat model v1\n", Validity.INVALID),
        (
            _body(DIGEST).replace("docs/tm.md", "../../etc/passwd"),
            "threat model v1\n",
            Validity.INVALID,
        ),
    ],
)
def test_invalid_attestations_are_kept_and_explained(
    tmp_path: Path, body: str, evidence: str, validity: Validity
) -> None:
    loaded = _load(_project(tmp_path, body, evidence))
    [att] = loaded.attestations
    assert att.validity is validity
    assert att.problems
    assert loaded.problems and loaded.problems[0].path == "attestations/m1.yaml"


def test_template_round_trips(tmp_path: Path) -> None:
    root = _project(tmp_path, "")
    (root / "attestations" / "m1.yaml").write_text(
        template(
            "M1.3.1", _standard(), evidence=[root / "docs" / "tm.md"], root=root, today=TODAY
        ).replace("REPLACE ME", "A. Person")
    )
    [att] = _load(root).attestations
    assert att.validity is Validity.VALID, att.problems
