"""MLC875: third-party model components record publisher, licence and model card."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.suppliers import supplier_assessment
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

COMPONENT = {
    "type": "machine-learning-model",
    "bom-ref": "pkg:huggingface/sentence-transformers/all-MiniLM-L6-v2@c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
    "name": "all-MiniLM-L6-v2",
    "version": "c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
    "publisher": "sentence-transformers",
    "purl": "pkg:huggingface/sentence-transformers/all-MiniLM-L6-v2@c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
    "licenses": [{"license": {"id": "Apache-2.0"}}],
    "externalReferences": [
        {
            "type": "distribution",
            "url": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
        },
        {
            "type": "model-card",
            "url": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/blob/main/README.md",
        },
    ],
    "hashes": [
        {
            "alg": "SHA-256",
            "content": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        }
    ],
}
OWN = {
    "type": "machine-learning-model",
    "name": "ticket-router",
    "version": "3.1.0",
    "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
}


def _bom(*components: dict[str, object]) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "serialNumber": "urn:uuid:0f5b1c3e-8d2a-4b7c-9e1f-2a3b4c5d6e7f",
            "metadata": {"timestamp": "2026-11-30T10:00:00Z"},
            "components": list(components),
        }
    )


def test_complete_and_incomplete_components(tmp_path: Path) -> None:
    project = write(tmp_path, {"bom.cdx.json": _bom(COMPONENT, OWN)})
    assert statuses(run(supplier_assessment, project)) == [Status.PASS]
    bare = {k: v for k, v in COMPONENT.items() if k not in {"publisher", "licenses"}}
    [outcome] = run(supplier_assessment, write(tmp_path / "b", {"bom.cdx.json": _bom(bare, OWN)}))
    assert outcome.status is Status.FAIL and "publisher, licence" in outcome.message


def test_no_bom_or_no_third_party_component(tmp_path: Path) -> None:
    assert statuses(run(supplier_assessment, write(tmp_path, {"a.py": ""}))) == [Status.FAIL]
    project = write(tmp_path / "o", {"bom.cdx.json": _bom(OWN)})
    assert statuses(run(supplier_assessment, project)) == [Status.NOT_VERIFIED]
