"""Each flaw a tester finds, built into a real server: the flaw is exploited first (so the
test proves it is real), then the probes must fail the matching check; the hardened server
passes every check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import time
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.endpoints import probes as endpoint_checks
from mlsvs.model.artifact import Capability, Endpoint, Project
from mlsvs.model.catalog import Level
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from mlsvs.probes import Area, ProbeReport, ProbeSettings, ProbeVerdict, RequestKind, probe_endpoint
from tests.probes import flawed

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = [pytest.mark.network, pytest.mark.slow]

LIMIT = 256 * 1024
SETTINGS = ProbeSettings(
    timeout_s=2.0, slow_body_s=2.0, max_body_bytes=LIMIT, cost_max_bytes=8 * 1024
)
BEARER = {"Authorization": f"Bearer {flawed.API_KEY}", "Content-Type": "application/json"}


def _probe(port: int) -> ProbeReport:
    endpoint = Endpoint(
        name="e",
        url=f"http://127.0.0.1:{port}/predict",
        auth_env="FLAWED_KEY",
        request_template=flawed.TEMPLATE,
        health_path="/healthz",
    )
    return probe_endpoint(endpoint, SETTINGS, flawed.API_KEY)


def _call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _batch(rows: int) -> bytes:
    return json.dumps({"instances": [[0.5, 1.5, 2.5]] * rows}).encode()


# --- the exploits -------------------------------------------------------------------------


def _alias(port: int) -> None:
    status, _, body = _call(port, "POST", "/v1/predict", flawed.TEMPLATE.encode())
    assert status == 200 and b"labels" in body  # a prediction without any credential


def _lowercase(port: int) -> None:
    headers = {"Authorization": "bearer not-the-key"}
    status, _, body = _call(port, "POST", "/predict", flawed.TEMPLATE.encode(), headers)
    assert status == 200 and b"labels" in body


def _query_echo(port: int) -> None:
    path = f"/predict?api_key={flawed.API_KEY}"
    assert _call(port, "POST", path, flawed.TEMPLATE.encode())[0] == 200
    status, _, body = _call(port, "POST", path, b"{}")
    assert status == 422 and flawed.API_KEY.encode() in body  # the key comes back


def _xff(port: int) -> None:
    statuses = [_call(port, "POST", "/predict", _batch(1), BEARER)[0] for _ in range(60)]
    assert 429 in statuses
    forged = {**BEARER, "X-Forwarded-For": "198.51.100.7"}
    assert _call(port, "POST", "/predict", _batch(1), forged)[0] == 200
    assert _call(port, "POST", "/predict", _batch(1), BEARER)[0] == 429


def _cors(port: int) -> None:
    headers = {**BEARER, "Origin": "https://attacker.example"}
    _, response_headers, _ = _call(port, "POST", "/predict", _batch(1), headers)
    assert response_headers["access-control-allow-origin"] == "https://attacker.example"
    assert response_headers["access-control-allow-credentials"] == "true"


def _weights(port: int) -> None:
    status, _, body = _call(port, "GET", "/weights")
    assert status == 200 and body.startswith(b"PK\x03\x04")


def _no_body_limit(port: int) -> None:
    body = _batch(LIMIT // 15 + 100)
    assert len(body) > LIMIT
    assert _call(port, "POST", "/predict", body, BEARER)[0] == 200


def _quadratic(port: int) -> None:
    def latency(rows: int) -> float:
        start = time.perf_counter()
        assert _call(port, "POST", "/predict", _batch(rows), BEARER)[0] == 200
        return time.perf_counter() - start

    quarter, full = latency(128), latency(512)
    assert full > 0.3
    assert full / quarter > 8  # 4x the rows, far more than 4x the time (16x when quadratic)


def _openapi_route(port: int) -> None:
    status, _, document = _call(port, "GET", "/openapi.json")
    assert status == 200 and "/internal/score" in json.loads(document)["paths"]
    status, _, body = _call(port, "POST", "/internal/score", flawed.TEMPLATE.encode())
    assert status == 200 and b"labels" in body


FLAWS: list[tuple[str, Area, Callable[[int], None], str]] = [
    ("alias_without_auth", Area.AUTHENTICATION, _alias, "/v1/predict"),
    ("lowercase_scheme_skips_check", Area.AUTHENTICATION, _lowercase, "scheme lower-case"),
    ("query_credential_echo", Area.AUTHENTICATION, _query_echo, "query string"),
    ("query_credential_echo", Area.ERROR_LEAKAGE, _query_echo, "credential"),
    ("xff_rate_limit", Area.RATE_LIMIT, _xff, "X-Forwarded-For"),
    ("cors_reflects_with_credentials", Area.CORS, _cors, "with credentials"),
    ("weights_route", Area.MANAGEMENT_SURFACE, _weights, "/weights"),
    ("no_body_limit", Area.RESOURCE_LIMITS, _no_body_limit, "was accepted"),
    ("quadratic_cost", Area.COST, _quadratic, "super-linearly"),
    ("openapi_hidden_route", Area.AUTHENTICATION, _openapi_route, "/internal/score"),
]


@pytest.mark.parametrize(
    ("flag", "area", "exploit", "said"), FLAWS, ids=[f"{f}-{a}" for f, a, _, _ in FLAWS]
)
def test_flaw_is_exploitable_and_the_probe_fails_it(
    flag: str, area: Area, exploit: Callable[[int], None], said: str
) -> None:
    with flawed.serve(flawed.Flaws(**{flag: True})) as port:  # type: ignore[arg-type]
        exploit(port)
    with flawed.serve(flawed.Flaws(**{flag: True})) as port:  # type: ignore[arg-type]
        report = _probe(port)
    judged = report.result(area)
    assert judged.verdict is ProbeVerdict.FAIL, judged
    assert said in judged.message
    assert flawed.API_KEY not in repr(report)  # reported, but redacted


@pytest.fixture(scope="module")
def hardened() -> ProbeReport:
    with flawed.serve() as port:
        return _probe(port)


def test_hardened_server_passes_every_check(hardened: ProbeReport) -> None:
    verdicts = {r.area: r.verdict for r in hardened.results}
    assert verdicts == dict.fromkeys(Area, ProbeVerdict.PASS), [
        (r.area, r.message) for r in hardened.results if r.verdict is not ProbeVerdict.PASS
    ]
    auth = dict(hardened.result(Area.AUTHENTICATION).facts)
    assert int(auth["routes.tested"]) >= 8
    assert int(auth["credentials.variants_sent"]) >= 10
    cost = hardened.result(Area.COST)
    assert "flat" in cost.message or "size^" in cost.message


def test_hardened_probe_is_bounded(hardened: ProbeReport) -> None:
    exchanges = hardened.observations.exchanges
    assert len(exchanges) < 250
    assert hardened.duration_ms < 30_000
    oversized = [e for e in exchanges if e.kind == "oversized_valid"]
    assert oversized and all(e.status == 413 for e in oversized)
    # Nothing bigger than one body just over the limit was ever uploaded.
    assert max(e.sent_bytes for e in exchanges) < LIMIT * 1.2


def test_openapi_document_routes_are_probed_and_state_changing_ones_only_listed() -> None:
    with flawed.serve(flawed.Flaws(openapi_hidden_route=True)) as port:
        report = _probe(port)
    observations = report.observations
    assert "POST /internal/score" in observations.routes
    assert ("POST /admin/reload", "could change state: never sent") in observations.uncovered
    assert not any(e.path == "/admin/reload" for e in observations.exchanges)
    # The route that was not tested is named as a gap: the requirement is not verified.
    gaps = report.result(Area.AUTHENTICATION).gaps
    assert [g.item for g in gaps] == ["POST /admin/reload"]


@pytest.mark.parametrize(
    ("level", "parameter", "expected"),
    [
        (Level.L1, None, Status.PASS),  # L1 default 16 MiB: a 1 MiB limit is fine
        (Level.L3, 256 * 1024, Status.FAIL),  # the standard's parameter is stricter
        (Level.L3, 2 * 1024 * 1024, Status.PASS),
    ],
)
def test_the_level_parameter_sets_the_body_limit(
    level: Level,
    parameter: int | None,
    expected: Status,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLAWED_KEY", flawed.API_KEY)
    with flawed.serve(flawed.Flaws(body_limit=1024 * 1024)) as port:
        endpoint = Endpoint(
            name="e",
            url=f"http://127.0.0.1:{port}/predict",
            auth_env="FLAWED_KEY",
            request_template=flawed.TEMPLATE,
            health_path="/healthz",
        )
        project = Project(root=tmp_path, name="p", traits=frozenset(), endpoints=(endpoint,))
        ctx = CheckContext(
            project=project,
            today=dt.date(2026, 1, 1),
            settings={"probes": {"timeout_s": 2.0, "slow_body_s": 2.0, "cost_max_bytes": 4096}},
            capabilities=frozenset({Capability.NETWORK}),
            target_level=level,
            parameters={} if parameter is None else {"M8.3.2.max_body_bytes": parameter},
        )
        [outcome] = endpoint_checks.endpoint_limits_resources.run(ctx, project)
    assert outcome.status is expected, outcome.message


def test_a_slow_valid_request_fails_the_cost_check_and_stops_the_curve() -> None:
    settings = dataclasses.replace(SETTINGS, max_request_s=0.2, burst=5)
    with flawed.serve(flawed.Flaws(quadratic_cost=True)) as port:
        endpoint = Endpoint(
            name="e",
            url=f"http://127.0.0.1:{port}/predict",
            auth_env="FLAWED_KEY",
            request_template=flawed.TEMPLATE,
        )
        report = probe_endpoint(endpoint, settings, flawed.API_KEY)
    cost = report.result(Area.COST)
    assert cost.verdict is ProbeVerdict.FAIL and cost.gravity is not None
    assert "limit 0.2 s" in cost.message
    points = report.observations.of(RequestKind.COST_POINT)
    slow = [e for e in points if e.elapsed_ms > 200]
    assert len(slow) == 1  # the curve stopped at the first request over the limit
