"""Other tools' reports as evidence: recognised, dated, mapped, and never a pass when stale,
undated or partial."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.evidence._formats import ReportError, parse_document
from mlsvs.checks.evidence.images import images_scanned
from mlsvs.checks.evidence.reports import (
    dependency_reports,
    deserialisation_reports,
    encryption_reports,
    public_access_reports,
    secret_reports,
)
from mlsvs.plugin import Status
from tests.pipeline import tool_reports as tr
from tests.pipeline.conftest import TODAY, run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

RECENT = "2026-11-28T07:41:12.613154221Z"
OLD = "2026-08-01T07:41:12Z"
DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: scoring, namespace: ml-prod}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: scoring}}}}
  template:
    metadata: {{labels: {{app: scoring}}}}
    spec:
      securityContext: {{runAsNonRoot: true}}
      initContainers:
        - name: fetch-model
          image: {tr.IMAGE}@{tr.DIGEST}
          args: ["--verify-only"]
      containers:
        - name: server
          image: {tr.IMAGE}@{tr.DIGEST}
          ports: [{{containerPort: 8080}}]
"""


@pytest.mark.parametrize(
    ("name", "text", "tool", "version"),
    [
        ("trivy-image.json", tr.trivy_image(RECENT), "trivy", "0.57.1"),
        ("checkov.json", tr.checkov(public_bucket=True), "checkov", "3.2.334"),
        ("bandit.json", tr.bandit(RECENT), "bandit", "1.7.10"),
        ("semgrep.json", tr.semgrep(hit=True), "semgrep", "1.97.0"),
        ("gitleaks.sarif", tr.gitleaks_sarif(RECENT, leak=True), "gitleaks", "8.21.2"),
        ("pip-audit.json", tr.pip_audit(vulnerable=True), "pip-audit", ""),
        ("osv-scanner.json", tr.osv_scanner(vulnerable=True), "osv-scanner", ""),
    ],
)
def test_formats_are_recognised(name: str, text: str, tool: str, version: str) -> None:
    report = parse_document(json.loads(text), path=name, sha256="0" * 64, name=name)
    assert (report.tool, report.version) == (tool, version)
    assert report.findings


def test_unknown_json_is_an_error() -> None:
    with pytest.raises(ReportError, match="not a SARIF"):
        parse_document({"items": []}, path="x.json", sha256="", name="x.json")


def test_trivy_time_with_nanoseconds_is_read() -> None:
    report = parse_document(json.loads(tr.trivy_image(RECENT)), path="t", sha256="", name="t")
    assert report.created == dt.datetime(2026, 11, 28, 7, 41, 12, 613154, tzinfo=dt.UTC)
    assert report.digests == (tr.DIGEST,)


def test_image_scanned_by_digest_passes_and_critical_fails(tmp_path: Path) -> None:
    files = {
        "deploy/scoring.yaml": DEPLOYMENT,
        "deploy/Dockerfile": "FROM python:3.12-slim\n",
        "reports/trivy-image.json": tr.trivy_image(RECENT, critical=False),
    }
    outcomes = run(images_scanned, write(tmp_path, files))
    assert statuses(outcomes) == [Status.PASS]
    facts = dict(outcomes[0].facts)
    assert facts["tool"] == "trivy" and facts["version"] == "0.57.1" and len(facts["sha256"]) == 64
    assert facts["scanned_at"].startswith("2026-11-28")
    files["reports/trivy-image.json"] = tr.trivy_image(RECENT)
    [outcome] = run(images_scanned, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "CVE-2024-45490 (libexpat1 2.5.0-1)" in outcome.message


def test_image_scan_stale_other_tag_or_missing(tmp_path: Path) -> None:
    files = {
        "deploy/scoring.yaml": DEPLOYMENT,
        "reports/trivy-image.json": tr.trivy_image(OLD, critical=False),
    }
    [outcome] = run(images_scanned, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "days old" in outcome.message
    other = DEPLOYMENT.replace(f"@{tr.DIGEST}", ":1.5.0")
    files = {
        "deploy/scoring.yaml": other,
        "reports/trivy-image.json": tr.trivy_image(RECENT, critical=False),
    }
    [outcome] = run(images_scanned, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "only other tags" in outcome.message
    [outcome] = run(images_scanned, write(tmp_path / "none", {"Dockerfile": "FROM scratch\n"}))
    assert outcome.status is Status.FAIL and "no image scan" in outcome.message
    [outcome] = run(images_scanned, write(tmp_path / "empty", {"app.py": "x = 1\n"}))
    assert outcome.status is Status.ABSTAINED


def test_undated_report_counts_only_from_the_command_line(tmp_path: Path) -> None:
    files = {"security/gitleaks.sarif": tr.gitleaks_sarif(None, leak=False)}
    project = write(tmp_path, files)
    [outcome] = run(secret_reports, project)
    assert outcome.status is Status.NOT_VERIFIED and "no scan time" in outcome.message
    handed = tmp_path.parent / f"{tmp_path.name}-ci" / "gitleaks.sarif"
    handed.parent.mkdir()
    handed.write_text(tr.gitleaks_sarif(None, leak=False))
    stamp = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC).timestamp()
    os.utime(handed, (stamp, stamp))
    clean = write(tmp_path / "clean", {"app.py": "x = 1\n"})
    settings = {"evidence": {"_cli_reports": [str(handed)]}}
    [outcome] = run(secret_reports, clean, settings=settings)
    assert outcome.status is Status.PASS and dict(outcome.facts)["date_source"] == "file time"


def test_secret_findings_fail_and_suppressed_ones_do_not(tmp_path: Path) -> None:
    [outcome] = run(
        secret_reports, write(tmp_path, {"gitleaks.sarif": tr.gitleaks_sarif(RECENT, leak=True)})
    )
    assert outcome.status is Status.FAIL and "huggingface-access-token" in outcome.message
    sarif = json.loads(tr.gitleaks_sarif(RECENT, leak=True))
    sarif["runs"][0]["results"][0]["suppressions"] = [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "revoked test token, see SEC-118",
        }
    ]
    [outcome] = run(secret_reports, write(tmp_path, {"gitleaks.sarif": json.dumps(sarif)}))
    assert outcome.status is Status.PASS
    fs = write(tmp_path / "fs", {"trivy-fs.json": tr.trivy_fs_secret(RECENT)})
    [outcome] = run(secret_reports, fs)
    assert outcome.status is Status.FAIL and "configs/train.env:3" in outcome.message


def test_bandit_and_semgrep_deserialisation(tmp_path: Path) -> None:
    project = write(
        tmp_path, {"bandit.json": tr.bandit(RECENT), "semgrep.json": tr.semgrep(hit=False)}
    )
    outcomes = run(deserialisation_reports, project)
    # bandit is dated and finds B301; semgrep records no time, so it is not evidence.
    assert sorted(o.status.value for o in outcomes) == ["fail", "not_verified"]
    project = write(tmp_path / "ok", {"bandit.json": tr.bandit(RECENT, pickle_hit=False)})
    assert statuses(run(deserialisation_reports, project)) == [Status.PASS]
    partial = write(
        tmp_path / "partial", {"bandit.json": tr.bandit(RECENT, pickle_hit=False, errors=True)}
    )
    [outcome] = run(deserialisation_reports, partial)
    assert outcome.status is Status.NOT_VERIFIED and "partial" in outcome.message


def _hand_over(path: Path, text: str) -> None:
    """A report as a CI job leaves it just before 'mlsvs verify --evidence-report' runs."""
    path.write_text(text)
    stamp = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))


def test_dependency_reports_explicit_only_and_partial(tmp_path: Path) -> None:
    # A committed pip-audit report is MLC423's; handed over on the command line it counts here.
    committed = write(tmp_path, {"pip-audit.json": tr.pip_audit(vulnerable=True)})
    assert statuses(run(dependency_reports, committed)) == [Status.ABSTAINED]
    handed = tmp_path / "out" / "audit.json"
    handed.parent.mkdir()
    _hand_over(handed, tr.pip_audit(vulnerable=True))
    settings = {"evidence": {"_cli_reports": [str(handed)]}}
    [outcome] = run(dependency_reports, committed, settings=settings, today=TODAY)
    assert outcome.status is Status.FAIL and "PYSEC-2024-227" in outcome.message
    _hand_over(handed, tr.pip_audit(vulnerable=False, skipped=True))
    [outcome] = run(dependency_reports, committed, settings=settings, today=TODAY)
    assert outcome.status is Status.NOT_VERIFIED and "internal-features" in outcome.gaps[0].detail
    # The standard's advisory age limit (7 days at L1) applies, not the 30-day default.
    _hand_over(handed, tr.pip_audit(vulnerable=False))
    old = TODAY + dt.timedelta(days=10)
    [outcome] = run(
        dependency_reports,
        committed,
        settings=settings,
        today=old,
        parameters={"M3.2.3.max_advisory_age_days": 7},
    )
    assert outcome.status is Status.FAIL and "at most 7 days" in outcome.message
    # a fresh, complete scan with no vulnerable package is the pass
    [outcome] = run(dependency_reports, committed, settings=settings, today=TODAY)
    assert outcome.status is Status.PASS, outcome.message


def test_checkov_public_access_and_encryption(tmp_path: Path) -> None:
    handed = tmp_path / "ci" / "results_json.json"
    handed.parent.mkdir()
    _hand_over(handed, tr.checkov(public_bucket=True))
    project = write(tmp_path / "p", {"infra/storage.tf": 'resource "aws_s3_bucket" "models" {}\n'})
    settings = {"evidence": {"_cli_reports": [str(handed)]}}
    today = TODAY
    [public] = run(public_access_reports, project, settings=settings, today=today)
    assert public.status is Status.FAIL and "CKV_AWS_20" in public.message
    [encryption] = run(encryption_reports, project, settings=settings, today=today)
    assert encryption.status is Status.PASS  # CKV_AWS_19/145 evaluated and passed
    _hand_over(handed, tr.checkov(public_bucket=False, parsing_errors=2))
    [public] = run(public_access_reports, project, settings=settings, today=today)
    assert public.status is Status.NOT_VERIFIED and "broken0.tf" in public.gaps[0].detail


def test_checkov_private_store_passes_and_unencrypted_store_fails(tmp_path: Path) -> None:
    handed = tmp_path / "ci" / "results_json.json"
    handed.parent.mkdir()
    project = write(tmp_path / "p", {"infra/storage.tf": 'resource "aws_s3_bucket" "models" {}\n'})
    settings = {"evidence": {"_cli_reports": [str(handed)]}}
    _hand_over(handed, tr.checkov(public_bucket=False))
    [public] = run(public_access_reports, project, settings=settings, today=TODAY)
    assert public.status is Status.PASS, public.message  # CKV_AWS_53 evaluated and passed
    _hand_over(handed, tr.checkov(public_bucket=False, unencrypted=True))
    [encryption] = run(encryption_reports, project, settings=settings, today=TODAY)
    assert encryption.status is Status.FAIL and "CKV_AWS_145" in encryption.message
    assert "infra/storage.tf:1" in encryption.message


def test_unreadable_report_and_bad_settings(tmp_path: Path) -> None:
    project = write(tmp_path, {"trivy-image.json": tr.trivy_image(RECENT)[:300]})
    [outcome] = run(secret_reports, project)
    assert outcome.status is Status.NOT_VERIFIED and outcome.gaps[0].item == "trivy-image.json"
    [outcome] = run(secret_reports, project, settings={"evidence": {"reports": "x.json"}})
    assert outcome.status is Status.ERROR
    missing = {"evidence": {"reports": ["reports/missing.sarif"]}}
    [outcome] = run(secret_reports, write(tmp_path / "m", {"a.py": ""}), settings=missing)
    assert outcome.status is Status.NOT_VERIFIED


def test_reports_in_the_future_are_not_evidence(tmp_path: Path) -> None:
    future = (dt.datetime.combine(TODAY, dt.time()) + dt.timedelta(days=30)).isoformat() + "Z"
    project = write(tmp_path, {"gitleaks.sarif": tr.gitleaks_sarif(future, leak=False)})
    [outcome] = run(secret_reports, project)
    assert outcome.status is Status.NOT_VERIFIED and "after today" in outcome.message
