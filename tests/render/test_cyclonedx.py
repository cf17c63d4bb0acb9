from __future__ import annotations

import copy
import io
import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mlsvs.render.cyclonedx import PROJECT_REF, CycloneDxRenderer, cyclonedx_bom, requirement_ref


@pytest.fixture(scope="module")
def validator() -> JsonStrictValidator:
    return JsonStrictValidator(SchemaVersion.V1_6)


def _refs(node, out: list[str]) -> list[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "bom-ref":
                out.append(v)
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)
    return out


def test_boms_validate_against_the_official_1_6_schema(validator, assessment, passing):
    for a in (assessment, passing):
        out = io.StringIO()
        CycloneDxRenderer(requirement_titles={"M4.1.1": "Safe formats"}).render(a, out)
        assert validator.validate_str(out.getvalue()) is None


def test_the_schema_check_can_fail(validator, assessment):
    bom = cyclonedx_bom(assessment)
    broken = copy.deepcopy(bom)
    broken["declarations"]["attestations"][0]["map"][0]["conformance"]["score"] = 2
    assert validator.validate_str(json.dumps(broken)) is not None
    broken = copy.deepcopy(bom)
    broken["components"][0]["type"] = "spaceship"
    assert validator.validate_str(json.dumps(broken)) is not None


def test_bom_refs_are_unique_and_every_link_resolves(assessment):
    bom = cyclonedx_bom(assessment)
    refs = _refs(bom, [])
    assert len(refs) == len(set(refs))
    known = set(refs)
    decl = bom["declarations"]
    for claim in decl["claims"]:
        assert claim["target"] in known
        assert set(claim["evidence"]) <= known
    for entry in decl["attestations"][0]["map"]:
        assert entry["requirement"] in known
        assert set(entry["claims"]) <= known
    assert decl["attestations"][0]["assessor"] in known
    for req in bom["definitions"]["standards"][0]["requirements"]:
        assert req.get("parent", req["bom-ref"]) in known


def test_standard_components_and_claims(assessment):
    bom = cyclonedx_bom(assessment, requirement_titles={"M4.1.1": "Safe formats"})
    std = bom["definitions"]["standards"][0]
    assert (std["name"], std["version"]) == ("OWASP MLSVS", "1.0.0")
    assert "a" * 64 in std["description"]
    reqs = {r["identifier"]: r for r in std["requirements"]}
    assert reqs["M4.1.1"]["bom-ref"] == "mlsvs-1.0.0-M4.1.1" == requirement_ref("1.0.0", "M4.1.1")
    assert reqs["M4.1.1"]["title"] == "Safe formats"
    assert (
        reqs["M4.1.1"]["parent"] == "mlsvs-1.0.0-M4.1"
        and reqs["M4.1"]["parent"] == "mlsvs-1.0.0-M4"
    )
    levels = {lv["identifier"]: lv["requirements"] for lv in std["levels"]}
    assert "mlsvs-1.0.0-M7.1.1" in levels["L3"] and "mlsvs-1.0.0-M7.1.1" not in levels["L2"]
    types = {c["name"]: c["type"] for c in bom["components"]}
    assert types == {
        "data/train.csv": "data",
        "models/evil<1>.pkl": "machine-learning-model",
        "models/model.onnx": "machine-learning-model",
        "requirements.txt": "file",
    }
    hashed = {c["name"]: c.get("hashes") for c in bom["components"]}
    assert hashed["requirements.txt"] is None
    assert hashed["models/model.onnx"] == [{"alg": "SHA-256", "content": "b" * 64}]
    decl = bom["declarations"]
    scores = {
        m["requirement"].rsplit("-", 1)[1]: m["conformance"]["score"]
        for m in decl["attestations"][0]["map"]
        if "conformance" in m  # not-applicable requirements carry no conformance score
    }
    assert scores["M4.1.1"] == 0.0 and scores["M1.1.1"] == 1.0
    assert "M4.2.1" not in scores  # n/a is not scored as conforming
    assert scores["M5.2.2"] == 0.0  # waived does not conform
    claims = {c["bom-ref"].split(":", 1)[1]: c for c in decl["claims"]}
    assert claims["M7.1.1"]["target"] == "model:models/model.onnx"
    assert claims["M4.1.1"]["target"] == PROJECT_REF  # findings on several artifacts
    assert any(e.startswith("mlsvs-evidence-attestation:") for e in claims["M1.1.1"]["evidence"])
    names = [a["organization"]["name"] for a in decl["assessors"]]
    assert "mlsvs 0.1.0 (automated)" in names and "ML lead" in names
    assert decl["targets"]["components"][0]["bom-ref"] == PROJECT_REF


def test_output_is_deterministic(assessment):
    from tests.render import builders

    assert cyclonedx_bom(assessment) == cyclonedx_bom(builders.assessment())
    assert cyclonedx_bom(assessment)["serialNumber"].startswith("urn:uuid:")
