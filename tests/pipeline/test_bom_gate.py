"""MLC870: the ML-BOM is signed and every deploy job verifies it against an identity."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.bom_gate import bom_verified_before_deploy
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

BOM = json.dumps(
    {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:9b1f4a3e-2c7d-4e8f-a1b0-5d6c7e8f9a0b",
        "version": 1,
        "metadata": {
            "timestamp": "2026-11-30T09:00:00Z",
            "component": {"type": "application", "name": "scoring-service"},
        },
        "components": [
            {
                "type": "machine-learning-model",
                "name": "scorer",
                "version": "1.4.2",
                "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
            }
        ],
    }
)
BUNDLE = json.dumps(
    {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": "MIIC1jCCAlygAwIBAgIU"},
            "tlogEntries": [
                {
                    "logIndex": "153092417",
                    "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                }
            ],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": "q83N7w=="},
            "signature": "MEUCIQDx",
        },
    }
)
DEPLOY = """\
name: deploy
on:
  release:
    types: [published]
jobs:
  verify:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - uses: sigstore/cosign-installer@dc72c7d5c4d10cd6bcb8cf6e3fd625a9e5e537da
      - name: Verify the ML-BOM
        run: |
          cosign verify-blob --bundle bom.cdx.json.sigstore.json \\
            --certificate-identity "https://github.com/acme/scoring/.github/workflows/release.yml@refs/heads/main" \\
            --certificate-oidc-issuer https://token.actions.githubusercontent.com \\
            bom.cdx.json
  rollout:
    needs: verify
    runs-on: ubuntu-24.04
    environment: production
    steps:
      - run: helm upgrade --install scoring charts/scoring --wait
"""


def test_signed_bom_verified_before_rollout(tmp_path: Path) -> None:
    files = {
        "bom.cdx.json": BOM,
        "bom.cdx.json.sigstore.json": BUNDLE,
        ".github/workflows/deploy.yml": DEPLOY,
    }
    [outcome] = run(bom_verified_before_deploy, write(tmp_path, files))
    assert outcome.status is Status.PASS, outcome.message


def test_unsigned_unpinned_or_unverified_fails(tmp_path: Path) -> None:
    files = {"bom.cdx.json": BOM, ".github/workflows/deploy.yml": DEPLOY}
    [outcome] = run(bom_verified_before_deploy, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "is not signed" in outcome.message
    loose = DEPLOY.replace(
        '--certificate-identity "https://github.com/acme/scoring/.github/'
        'workflows/release.yml@refs/heads/main" \\\n            ',
        "",
    )
    loose = loose.replace(
        "--certificate-oidc-issuer https://token.actions.githubusercontent.com \\\n            ", ""
    )
    files = {
        "bom.cdx.json": BOM,
        "bom.cdx.json.sigstore.json": BUNDLE,
        ".github/workflows/deploy.yml": loose,
    }
    [outcome] = run(bom_verified_before_deploy, write(tmp_path / "l", files))
    assert outcome.status is Status.FAIL and "without pinning" in outcome.message
    skipped = DEPLOY.replace("    needs: verify\n", "")
    files[".github/workflows/deploy.yml"] = skipped
    [outcome] = run(bom_verified_before_deploy, write(tmp_path / "s", files))
    assert outcome.status is Status.FAIL and "deploys without verifying" in outcome.message


def test_no_bom_fails(tmp_path: Path) -> None:
    project = write(tmp_path, {".github/workflows/deploy.yml": DEPLOY})
    assert statuses(run(bom_verified_before_deploy, project)) == [Status.FAIL]
