"""End to end: `mlsvs verify` on the bundled examples, with their servers on loopback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.integration.servers import API_KEY, EXAMPLES, free_port, running

SARIF_SCHEMA = (
    Path(__file__).resolve().parents[1] / "render" / "schemas" / "sarif-schema-2.1.0.json"
)
TODAY = "2026-12-01"  # the hardened example was re-attested that day


def _copy(example: str, tmp_path: Path, port: int) -> Path:
    project = tmp_path / example
    shutil.copytree(
        EXAMPLES / example, project, ignore=shutil.ignore_patterns("__pycache__", "reports")
    )
    config = project / "mlsvs.toml"
    config.write_text(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", config.read_text()))
    return project


def _verify(
    project: Path, out: Path, *extra: str, today: str = TODAY
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLSVS_EXAMPLE_API_KEY": API_KEY}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mlsvs",
            "verify",
            str(project),
            "--no-progress",
            "--today",
            today,
            "-f",
            f"json:{out}/results.json",
            "-f",
            f"sarif:{out}/results.sarif",
            "-f",
            f"cyclonedx:{out}/bom.cdx.json",
            "-f",
            f"html:{out}/report.html",
            "-f",
            "terminal",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def _verdicts(out: Path) -> dict[str, str]:
    data = json.loads((out / "results.json").read_text())
    return {v["requirement"]: v["verdict"] for v in data["verdicts"]}


def _validate_reports(out: Path) -> None:
    sarif = json.loads((out / "results.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        (out / "bom.cdx.json").read_text()
    )
    assert errors is None, errors


@pytest.mark.network
@pytest.mark.slow
def test_insecure_example_fails_l1_for_the_right_reasons(tmp_path: Path) -> None:
    port = free_port()
    project = _copy("insecure-classifier", tmp_path, port)
    out = tmp_path / "out"
    with running(project, port):
        result = _verify(project, out, "--allow", "network")
    assert result.returncode == 1, result.stderr
    verdicts = _verdicts(out)
    for requirement in (
        "M1.2.1",
        "M1.3.1",
        "M3.2.1",
        "M3.3.1",
        "M4.1.1",
        "M4.2.1",
        "M4.2.2",
        "M4.2.3",
        "M8.1.1",
        "M8.2.1",
        "M8.3.3",
        "M7.1.1",
    ):
        assert verdicts[requirement] == "fail", (requirement, verdicts[requirement])
    assert "L1" in result.stdout and "M4.1.1" in result.stdout
    _validate_reports(out)
    rendered = tmp_path / "again.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlsvs",
            "render",
            str(out / "results.json"),
            "-f",
            f"html:{rendered}",
        ],
        check=True,
        capture_output=True,
    )
    assert rendered.read_bytes() == (out / "report.html").read_bytes()


def _advisory_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: str = TODAY) -> None:
    """An OSV snapshot as `mlsvs advisories update` stores it, current on ``today``.

    M3.2.3 passes only on a complete, current database (the bundled records are a floor that
    never passes): the hardened project, like any user, needs one. Real records, re-modified
    the day before TODAY as OSV re-modifies records continuously.
    """
    import datetime as dt
    import zipfile

    from mlsvs.supply.advisories import import_snapshot

    day_before = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()

    fixtures = Path(__file__).parents[1] / "supply" / "fixtures" / "osv-pypi"
    archive = tmp_path / "osv-all.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for number, path in enumerate(sorted(fixtures.glob("*.json"))):
            record = json.loads(path.read_text())
            if number == 0:
                record["modified"] = f"{day_before}T06:00:00Z"
            handle.writestr(path.name, json.dumps(record))
    cache = tmp_path / "cache"
    import_snapshot(archive, cache=cache, imported_at=f"{day_before}T07:00:00Z")
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(cache))


@pytest.mark.network
@pytest.mark.slow
def blocking_l1(out: Path) -> list[tuple[str, str, list[str]]]:
    """What blocks L1 in ``out/results.json``: requirement, status and findings, for messages."""
    data = json.loads((out / "results.json").read_text())
    blocking = set(data["levels"][0]["blocking"])
    return [
        (v["requirement"], v["status"], v.get("findings", [])[:3])
        for v in data["verdicts"]
        if v["requirement"] in blocking
    ]


def test_hardened_example_reaches_l1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    project = _copy("hardened-classifier", tmp_path, port)
    out = tmp_path / "out"
    _advisory_cache(tmp_path, monkeypatch)
    with running(project, port):
        result = _verify(project, out, "--allow", "network,model-exec")
    assert result.returncode == 0, (blocking_l1(out), result.stdout[-3000:])
    data = json.loads((out / "results.json").read_text())
    assert data["achieved_level"] == 1
    _validate_reports(out)


def test_unreachable_endpoint_is_not_verified_never_pass(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    project = _copy("hardened-classifier", tmp_path, port)
    out = tmp_path / "out"
    result = _verify(project, out, "--allow", "network", "--select", "MLC5*")
    assert result.returncode == 1
    verdicts = _verdicts(out)
    for requirement in ("M8.1.1", "M8.2.1", "M8.3.1"):
        assert verdicts[requirement] == "error", (requirement, verdicts[requirement])
