"""MLC508 (transport), MLC510 (CORS) and MLC511 (cost) run as checks, not as bare probes.

The probe-level tests (test_tester, test_tls) judge areas; these run the registered check
functions on a project declaring the endpoint, so the verdict is the one a verification
records: each check fails on a realistic flawed server and passes on the hardened one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from mlsvs.checks.endpoints import probes as endpoint_checks
from mlsvs.model.artifact import Capability, Endpoint, Project
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from tests.probes import flawed, servers

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.model.check import Check

pytestmark = [pytest.mark.network, pytest.mark.slow]

_PROBES = {"timeout_s": 2.0, "slow_body_s": 1.0, "burst": 10, "cost_max_bytes": 8 * 1024}
_KEY_ENV = "MLSVS_TEST_VERDICT_KEY"


def _run(
    check: Check[Any], url: str, template: str, tmp_path: Path, **probes: object
) -> tuple[Status, str]:
    endpoint = Endpoint(name="e", url=url, auth_env=_KEY_ENV, request_template=template)
    project = Project(root=tmp_path, name="p", traits=frozenset(), endpoints=(endpoint,))
    ctx = CheckContext(
        project=project,
        today=dt.date(2026, 1, 1),
        settings={"probes": _PROBES | probes},
        capabilities=frozenset({Capability.NETWORK}),
    )
    [outcome] = check.run(ctx, project)
    return outcome.status, outcome.message


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_KEY_ENV, flawed.API_KEY)


@pytest.mark.parametrize(
    ("check", "flaws", "expected", "said"),
    [
        (
            endpoint_checks.endpoint_cors_restricted,
            flawed.Flaws(cors_reflects_with_credentials=True),
            Status.FAIL,
            "with credentials",
        ),
        (endpoint_checks.endpoint_cors_restricted, flawed.Flaws(), Status.PASS, ""),
        (
            endpoint_checks.endpoint_cost_bounded,
            flawed.Flaws(quadratic_cost=True),
            Status.FAIL,
            "super-linearly",
        ),
        (endpoint_checks.endpoint_cost_bounded, flawed.Flaws(), Status.PASS, ""),
    ],
    ids=[
        "mlc510-reflects-origin-with-credentials",
        "mlc510-hardened",
        "mlc511-quadratic-in-batch-size",
        "mlc511-hardened",
    ],
)
def test_flawed_server_fails_and_hardened_passes(
    check: Check[Any], flaws: flawed.Flaws, expected: Status, said: str, tmp_path: Path
) -> None:
    with flawed.serve(flaws) as port:
        status, message = _run(check, f"http://127.0.0.1:{port}/predict", flawed.TEMPLATE, tmp_path)
    assert status is expected, message
    assert said in message


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    pytest.importorskip("cryptography")
    tmp = tmp_path_factory.mktemp("tls")
    return {"good": servers.self_signed(tmp), "expired": servers.self_signed(tmp, expired=True)}


@pytest.mark.parametrize(
    ("cert", "trusted", "expected", "said"),
    [
        ("expired", True, Status.FAIL, "expired"),
        ("good", False, Status.FAIL, ""),  # self-signed, not trusted: verification fails
        ("good", True, Status.PASS, ""),
    ],
    ids=["expired-certificate", "untrusted-self-signed", "trusted-tls13"],
)
def test_mlc508_transport(
    cert: str,
    trusted: bool,
    expected: Status,
    said: str,
    certs: dict[str, tuple[Path, Path]],
    tmp_path: Path,
) -> None:
    certificate, key = certs[cert]
    ca = {"ca_file": str(certificate)} if trusted else {}
    with servers.tls_server(certificate, key) as port:
        url = f"https://127.0.0.1:{port}/predict"
        status, message = _run(
            endpoint_checks.endpoint_transport_secure, url, servers.TEMPLATE, tmp_path, **ca
        )
    assert status is expected, message
    assert said in message


def test_mlc508_plain_http_to_a_remote_host_fails(tmp_path: Path) -> None:
    """Plain HTTP to a non-loopback address fails before anything is sent (TEST-NET-1)."""
    status, message = _run(
        endpoint_checks.endpoint_transport_secure,
        "http://192.0.2.10/predict",
        servers.TEMPLATE,
        tmp_path,
    )
    assert status is Status.FAIL, message
