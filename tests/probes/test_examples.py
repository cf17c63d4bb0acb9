"""The insecure example fails every mapped requirement, the hardened one passes them all."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.endpoints import probes as endpoint_checks
from mlsvs.cli.main import main
from mlsvs.model.artifact import Capability, Endpoint, Project
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from mlsvs.probes import Area, ProbeReport, ProbeSettings, ProbeVerdict, probe_endpoint
from tests.probes import servers

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.network, pytest.mark.slow]

SETTINGS = ProbeSettings(slow_body_s=3.0)
CHECKS = [
    endpoint_checks.endpoint_requires_authentication,
    endpoint_checks.endpoint_rate_limited,
    endpoint_checks.endpoint_rejects_malformed_input,
    endpoint_checks.endpoint_limits_resources,
    endpoint_checks.endpoint_errors_do_not_leak,
    endpoint_checks.endpoint_response_has_no_internals,
    endpoint_checks.endpoint_management_not_exposed,
    endpoint_checks.endpoint_transport_secure,
    endpoint_checks.endpoint_outputs_minimal,
    endpoint_checks.endpoint_cors_restricted,
    endpoint_checks.endpoint_cost_bounded,
]


def _endpoint(port: int, name: str = "predict") -> Endpoint:
    return Endpoint(
        name=name,
        url=f"http://127.0.0.1:{port}/predict",
        auth_env="MLSVS_TEST_PROBE_KEY",
        request_template=servers.TEMPLATE,
        health_path="/healthz",
    )


@pytest.fixture(scope="module")
def reports(example_ports: dict[str, int]) -> dict[str, ProbeReport]:
    return {
        name: probe_endpoint(_endpoint(port), SETTINGS, servers.API_KEY)
        for name, port in example_ports.items()
    }


def test_insecure_fails_every_probed_requirement(reports: dict[str, ProbeReport]) -> None:
    report = reports["insecure"]
    verdicts = {r.area: r.verdict for r in report.results}
    assert verdicts.pop(Area.TRANSPORT) is ProbeVerdict.PASS  # plain HTTP, but loopback only
    assert verdicts.pop(Area.CORS) is ProbeVerdict.PASS  # it sends no CORS headers at all
    assert verdicts.pop(Area.COST) is ProbeVerdict.NOT_APPLICABLE  # one fixed-size feature row
    assert set(verdicts.values()) == {ProbeVerdict.FAIL}, verdicts
    facts = {area: dict(report.result(area).facts) for area in Area}
    assert facts[Area.AUTHENTICATION]["no_auth.status"] == "200"
    assert facts[Area.RATE_LIMIT]["burst.statuses"] == "200x60"
    assert facts[Area.MALFORMED_INPUT]["malformed_json.status"] == "500"
    assert "Traceback (most recent call last)" in facts[Area.ERROR_LEAKAGE]["leak01.detail"]
    assert facts[Area.RESOURCE_LIMITS]["slow_body.failure"].startswith("server still waiting")
    assert "/admin" in report.result(Area.MANAGEMENT_SURFACE).message
    assert "score vector" in report.result(Area.SCORE_EXPOSURE).message
    assert "LogisticRegression" in report.result(Area.RESPONSE_INTERNALS).message
    for result in report.results:
        assert all(len(v) <= 200 for k, v in result.facts if k.endswith("excerpt"))


def test_hardened_passes_everything(reports: dict[str, ProbeReport]) -> None:
    report = reports["hardened"]
    expected = dict.fromkeys(Area, ProbeVerdict.PASS) | {Area.COST: ProbeVerdict.NOT_APPLICABLE}
    assert {r.area: r.verdict for r in report.results} == expected
    facts = dict(report.result(Area.RATE_LIMIT).facts)
    assert facts["burst.retry_after"] != "absent"
    assert dict(report.result(Area.RESOURCE_LIMITS).facts)["slow_body.status"] == "408"


def test_time_budget_stops_sending(example_ports: dict[str, int]) -> None:
    settings = ProbeSettings(slow_body_s=1.0, max_total_s=1.0, burst=5)
    report = probe_endpoint(_endpoint(example_ports["insecure"]), settings, None)
    management = report.result(Area.MANAGEMENT_SURFACE)
    assert management.verdict is ProbeVerdict.ERROR
    assert "time budget of 1 s used up" in management.message
    assert report.result(Area.AUTHENTICATION).verdict is ProbeVerdict.FAIL  # sent before the limit


def test_credential_never_recorded(reports: dict[str, ProbeReport]) -> None:
    for report in reports.values():
        text = repr(report)
        assert servers.API_KEY not in text


def _project(tmp_path: Path, port: int) -> Project:
    return Project(
        root=tmp_path,
        name="p",
        traits=frozenset({"exposes_inference_api"}),
        endpoints=(_endpoint(port),),
    )


def _context(project: Project, *, network: bool = True) -> CheckContext:
    return CheckContext(
        project=project,
        today=dt.date(2026, 1, 1),
        settings={"probes": {"slow_body_s": 3.0}},
        capabilities=frozenset({Capability.NETWORK}) if network else frozenset(),
    )


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (
            "hardened",
            dict.fromkeys((c.id for c in CHECKS), Status.PASS) | {"MLC511": Status.NOT_APPLICABLE},
        ),
        (
            "insecure",
            {c.id: Status.FAIL for c in CHECKS}
            | {"MLC508": Status.PASS, "MLC510": Status.PASS, "MLC511": Status.NOT_APPLICABLE},
        ),
    ],
)
def test_checks_probe_each_endpoint_once(
    server: str,
    expected: dict[str, Status],
    example_ports: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLSVS_TEST_PROBE_KEY", servers.API_KEY)
    calls: list[str] = []
    from mlsvs.checks.endpoints import _probing

    real = _probing.probe_endpoint

    def counting(*args: object, **kwargs: object) -> ProbeReport:
        calls.append("probe")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_probing, "probe_endpoint", counting)
    project = _project(tmp_path, example_ports[server])
    ctx = _context(project)
    got = {}
    for check in CHECKS:
        [outcome] = check.run(ctx, project)
        got[check.id] = outcome.status
        assert outcome.message.startswith("predict: ")
        assert outcome.key == "predict"
    assert got == expected
    assert calls == ["probe"]


def test_checks_need_the_network_grant(tmp_path: Path) -> None:
    project = _project(tmp_path, servers.free_port())
    [outcome] = CHECKS[0].run(_context(project, network=False), project)
    assert outcome.status is Status.ERROR
    assert "--allow network" in outcome.message


def test_cli_probe_hardened(
    example_ports: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MLSVS_TEST_PROBE_KEY", servers.API_KEY)
    port = example_ports["hardened"]
    (tmp_path / "mlsvs.toml").write_text(
        f"""
traits = ["exposes_inference_api"]
[[endpoints]]
name = "hardened"
url = "http://127.0.0.1:{port}/predict"
auth_env = "MLSVS_TEST_PROBE_KEY"
auth_header = "X-API-Key"
auth_scheme = ""
health_path = "/healthz"
request_template = '{servers.TEMPLATE}'
[probes]
slow_body_s = 3.0
""",
        encoding="utf-8",
    )
    code = main(["probe", str(tmp_path), "--allow", "network", "-f", "json"])
    out = capsys.readouterr().out
    document = json.loads(out)
    verdicts = {r["check"]: r["verdict"] for r in document["endpoints"][0]["results"]}
    assert verdicts == {f"MLC5{i:02d}": "pass" for i in range(1, 11)} | {"MLC511": "not_applicable"}
    assert code == 0
    assert servers.API_KEY not in out
    assert os.environ["MLSVS_TEST_PROBE_KEY"] not in out
