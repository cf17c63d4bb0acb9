from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import replace

import pytest

from mlsvs.checks.supply_chain.bom import (
    bom_describes_models,
    bom_hashes_match,
    bom_lists_models_and_datasets,
)
from mlsvs.checks.supply_chain.integrity import models_and_datasets_are_hashed
from mlsvs.plugin import BomDocument, CheckContext, Document, DocumentKind, Project, Status
from mlsvs.supply.bom import build_bom, validate_bom
from mlsvs.supply.manifests import parse_project


def _ctx(project: Project) -> CheckContext:
    return CheckContext(project=project, today=dt.date(2026, 11, 25))


def _with_bom(project: Project, bom: dict[str, object], name: str = "bom.cdx.json") -> Project:
    path = project.root / name
    path.write_text(json.dumps(bom))
    doc = BomDocument(root=project.root, path=name, size=path.stat().st_size, bom="cyclonedx")
    return replace(project, artifacts=(*project.artifacts, doc))


def _bom(project: Project) -> dict[str, object]:
    return build_bom(
        project,
        manifests=parse_project(project),
        serial=uuid.UUID(int=7),
        timestamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def _component(bom: dict[str, object], ref: str) -> dict[str, object]:
    return next(c for c in bom["components"] if c["bom-ref"] == ref)  # type: ignore[union-attr, index]


def test_bom_is_valid_cyclonedx_1_6_with_model_card(project: Project) -> None:
    bom = _bom(project)
    assert bom["specVersion"] == "1.6" and validate_bom(bom) == []
    model = _component(bom, "model:models/tiny/model.safetensors")
    weights = (project.root / "models/tiny/model.safetensors").read_bytes()
    assert model["type"] == "machine-learning-model"
    assert model["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(weights).hexdigest()}]
    assert {"name": "mlsvs:format", "value": "safetensors"} in model["properties"]  # type: ignore[operator]
    card = model["modelCard"]
    assert card["modelParameters"]["task"] == "text-classification"  # type: ignore[index]
    assert card["modelParameters"]["modelArchitecture"] == "DistilBertForSequenceClassification"  # type: ignore[index]
    assert card["modelParameters"]["datasets"] == [{"ref": "data:data/reviews.csv"}]  # type: ignore[index]
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]  # type: ignore[index]
    assert {"type": "accuracy", "value": "0.91", "slice": "reviews (test)"} in metrics
    assert card["considerations"]["technicalLimitations"] == [  # type: ignore[index]
        "Trained on 200 reviews; accuracy drops on sarcasm."
    ]
    assert model["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    data = _component(bom, "data:data/reviews.csv")
    assert data["type"] == "data" and data["data"] == [
        {"type": "dataset", "name": "data/reviews.csv"}
    ]
    torch = _component(bom, "pkg:pypi/torch@2.6.0")
    assert torch["purl"] == "pkg:pypi/torch@2.6.0"


def test_validator_rejects_unknown_model_card_key(project: Project) -> None:
    bom = _bom(project)
    _component(bom, "model:models/tiny/model.safetensors")["modelCard"]["bogus"] = 1  # type: ignore[index]
    assert any("bogus" in e for e in validate_bom(bom))


def test_mlc401_no_bom_fails(project: Project) -> None:
    [outcome] = bom_lists_models_and_datasets.run(_ctx(project), project)
    assert outcome.status is Status.FAIL and "no CycloneDX" in outcome.message


def test_mlc401_and_402_pass_on_fresh_bom(project: Project) -> None:
    with_bom = _with_bom(project, _bom(project))
    [outcome] = bom_lists_models_and_datasets.run(_ctx(with_bom), with_bom)
    assert outcome.status is Status.PASS
    assert ("models", "1") in outcome.facts
    outcomes = bom_hashes_match.run(_ctx(with_bom), with_bom)
    assert [o.status for o in outcomes] == [Status.PASS]
    [coverage] = models_and_datasets_are_hashed.run(_ctx(with_bom), with_bom)
    assert coverage.status is Status.PASS
    [described] = bom_describes_models.run(_ctx(with_bom), with_bom)
    assert described.status is Status.PASS and ("described", "2") in described.facts


def test_mlc401_reports_missing_model(project: Project) -> None:
    bom = _bom(project)
    bom["components"] = [c for c in bom["components"] if c["type"] != "machine-learning-model"]  # type: ignore[union-attr]
    bom.pop("dependencies")
    with_bom = _with_bom(project, bom)
    [outcome] = bom_lists_models_and_datasets.run(_ctx(with_bom), with_bom)
    assert outcome.status is Status.FAIL
    assert "models/tiny/model.safetensors" in outcome.message


def test_mlc401_schema_invalid_and_unreadable_boms(project: Project) -> None:
    bom = _bom(project)
    bom["components"][0]["type"] = "spaceship"  # type: ignore[index]
    broken = _with_bom(project, bom)
    (project.root / "other.cdx.json").write_text("{not json")
    doc = BomDocument(root=project.root, path="other.cdx.json", size=9, bom="cyclonedx")
    both = replace(broken, artifacts=(*broken.artifacts, doc))
    outcomes = bom_lists_models_and_datasets.run(_ctx(both), both)
    statuses = sorted((o.status.value, o.key) for o in outcomes)
    assert statuses == [("error", "other.cdx.json"), ("fail", "bom.cdx.json")]
    assert any("spaceship" in o.message for o in outcomes)


def test_mlc402_detects_tampered_model(project: Project) -> None:
    with_bom = _with_bom(project, _bom(project))
    weights = project.root / "models/tiny/model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\x00\x00\x80\x7f")
    outcomes = bom_hashes_match.run(_ctx(with_bom), with_bom)
    failed = [o for o in outcomes if o.status is Status.FAIL]
    assert len(failed) == 1 and "models/tiny/model.safetensors does not match" in failed[0].message


def test_mlc402_without_bom_abstains(project: Project) -> None:
    [outcome] = bom_hashes_match.run(_ctx(project), project)
    assert outcome.status is Status.ABSTAINED


def test_mlc403_checksums_and_coverage(project: Project) -> None:
    [outcome] = models_and_datasets_are_hashed.run(_ctx(project), project)
    assert outcome.status is Status.FAIL and "not hashed" in outcome.message
    root = project.root
    weights = (root / "models/tiny/model.safetensors").read_bytes()
    csv = (root / "data/reviews.csv").read_bytes()
    (root / "SHA256SUMS").write_text(
        f"{hashlib.sha256(weights).hexdigest()}  models/tiny/model.safetensors\n"
        f"{hashlib.sha256(csv).hexdigest()}  data/reviews.csv\n"
    )
    doc = Document(root=root, path="SHA256SUMS", size=10, document=DocumentKind.CHECKSUMS)
    covered = replace(project, artifacts=(*project.artifacts, doc))
    outcomes = models_and_datasets_are_hashed.run(_ctx(covered), covered)
    assert [o.status for o in outcomes] == [Status.PASS, Status.PASS]
    (root / "data/reviews.csv").write_text("poisoned\n")
    outcomes = models_and_datasets_are_hashed.run(_ctx(covered), covered)
    assert (
        outcomes[0].status is Status.FAIL and "data/reviews.csv (modified)" in outcomes[0].message
    )
    (root / "SHA256SUMS").write_text("garbage\n")
    outcomes = models_and_datasets_are_hashed.run(_ctx(covered), covered)
    assert outcomes[0].status is Status.ERROR and outcomes[0].message.startswith("SHA256SUMS:1")


@pytest.mark.parametrize("spec", ["1.5", "1.7"])
def test_validate_other_spec_versions(project: Project, spec: str) -> None:
    assert (
        validate_bom({"bomFormat": "CycloneDX", "specVersion": spec, "version": 1}, version=spec)
        == []
    )
    assert validate_bom({}, version="2.0")[0].startswith("unsupported CycloneDX specVersion")


def test_directory_component_covers_files_inside(project: Project) -> None:
    from mlsvs.supply.hashing import tree_digest

    tree = tree_digest(project.root / "models" / "tiny")
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {"type": "machine-learning-model", "name": "models/tiny", "hashes": [{"alg": "SHA-256", "content": tree}],
             "properties": [{"name": "mlsvs:hash-method", "value": "tree-sha256-v1"}]},
            {"type": "data", "name": "reviews", "evidence": {"occurrences": [{"location": "data/reviews.csv"}]},
             "hashes": [{"alg": "MD5", "content": "0" * 32}]},
        ],
    }  # fmt: skip
    with_bom = _with_bom(project, bom)
    [listed] = bom_lists_models_and_datasets.run(_ctx(with_bom), with_bom)
    assert listed.status is Status.PASS
    outcomes = {o.status for o in bom_hashes_match.run(_ctx(with_bom), with_bom)}
    assert outcomes == {Status.PASS, Status.FAIL}  # tree digest matches; MD5 alone is no evidence
    [described] = bom_describes_models.run(_ctx(with_bom), with_bom)
    assert described.status is Status.FAIL
    assert "models/tiny (no format, modelCard)" in described.message
    assert "data/reviews.csv (no strong hash)" in described.message
