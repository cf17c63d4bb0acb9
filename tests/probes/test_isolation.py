"""Auxiliary routes (MLC1035), tenant isolation (MLC1036) and fail-safe (MLC1037) probed on a
real FastAPI service on 127.0.0.1."""

from __future__ import annotations

from datetime import date

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from mlsvs.checks.endpoints.auxiliary import auxiliary_routes_controlled, candidates
from mlsvs.checks.endpoints.failsafe import failsafe_taken, lookup
from mlsvs.checks.endpoints.tenancy import tenants_isolated
from mlsvs.plugin import Capability, CheckContext, Endpoint, Project, Status
from tests.probes import tenant_stack as ts
from tests.probes.stack import serve

pytestmark = pytest.mark.network

INVENTORY = [
    "POST /v1/models/credit:predict",
    "POST /v1/models/credit:explain",
    "GET /v1/models/credit",
    "GET /metrics",
]


@pytest.fixture(autouse=True)
def _tokens(monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", ts.TOKENS["acme"])
    monkeypatch.setenv("GLOBEX_TOKEN", ts.TOKENS["globex"])


def _run(check, port, settings, tmp_path, grant=True):
    ep = Endpoint(
        name="scoring",
        url=f"http://127.0.0.1:{port}/v1/models/credit:predict",
        auth_env="ACME_TOKEN",
        request_template=ts.TEMPLATE,
    )
    project = Project(
        root=tmp_path, name="svc", traits=frozenset({"exposes_inference_api"}), endpoints=(ep,)
    )
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 1),
        settings=settings,
        capabilities=frozenset({Capability.NETWORK}) if grant else frozenset(),
    )
    return list(check.run(ctx, project))


def test_candidates_follow_the_serving_protocol():
    got = candidates("/v1/models/credit:predict")
    assert ("POST", "/v1/models/credit:explain") in got and ("GET", "/v1/models/credit") in got
    v2 = candidates("/v2/models/credit/infer")
    assert ("GET", "/v2/models/credit") in v2 and ("GET", "/v2/models/credit/config") in v2


def test_auxiliary_routes_behind_auth_and_inventoried_pass(tmp_path):
    with serve(ts.build_app()) as port:
        [o] = _run(
            auxiliary_routes_controlled, port, {"auxiliary": {"inventory": INVENTORY}}, tmp_path
        )
        assert o.status is Status.PASS, o.message
        assert ("route", "POST /v1/models/credit:explain") in o.facts
        # without an inventory the routes are protected but nothing says which should exist
        [o] = _run(auxiliary_routes_controlled, port, {}, tmp_path)
        assert o.status is Status.NOT_VERIFIED and "inventory" in o.message


def test_open_explain_and_metrics_and_undocumented_routes_fail(tmp_path):
    with serve(ts.build_app(open_explain=True, open_metrics=True)) as port:
        [o] = _run(
            auxiliary_routes_controlled, port, {"auxiliary": {"inventory": INVENTORY}}, tmp_path
        )
        assert o.status is Status.FAIL
        assert "POST /v1/models/credit:explain -> 200 without a credential" in o.message
        assert "GET /metrics -> 200" in o.message
    with serve(ts.build_app(extra_route=True)) as port:
        [o] = _run(
            auxiliary_routes_controlled, port, {"auxiliary": {"inventory": INVENTORY}}, tmp_path
        )
        assert o.status is Status.FAIL and "POST /v1/embeddings answers but is not in" in o.message


def test_auxiliary_needs_grant_and_valid_settings(tmp_path):
    [o] = _run(auxiliary_routes_controlled, 9, {}, tmp_path, grant=False)
    assert o.status is Status.ERROR and "--allow network" in o.message
    with serve(ts.build_app()) as port:
        [o] = _run(
            auxiliary_routes_controlled, port, {"auxiliary": {"inventory": ["predict"]}}, tmp_path
        )
        assert o.status is Status.ERROR and "METHOD /path" in o.message


TENANTS = {
    "tenants": {
        "endpoint": "scoring",
        "principals": [
            {
                "name": "acme",
                "auth_env": "ACME_TOKEN",
                "resources": ["POST /t/acme/models/credit:predict", "GET /t/acme/results/r-1842"],
            },
            {
                "name": "globex",
                "auth_env": "GLOBEX_TOKEN",
                "resources": ["POST /t/globex/models/credit:predict"],
            },
        ],
    }
}


def test_isolated_tenants_pass_shared_authorisation_fails(tmp_path):
    with serve(ts.build_app()) as port:
        [o] = _run(tenants_isolated, port, TENANTS, tmp_path)
        assert o.status is Status.PASS, o.message
        assert "3 cross-tenant request(s)" in o.message
    with serve(ts.build_app(isolated=False)) as port:
        [o] = _run(tenants_isolated, port, TENANTS, tmp_path)
        assert o.status is Status.FAIL
        assert "acme's credential reads globex's POST /t/globex/models/credit:predict" in o.message
        assert "tok-" not in o.message


def test_tenants_control_and_config_fail_closed(tmp_path, monkeypatch):
    wrong = {"tenants": {**TENANTS["tenants"], "principals": [
        {**TENANTS["tenants"]["principals"][0], "resources": ["POST /t/acme/models/fraud:predict"]},
        TENANTS["tenants"]["principals"][1],
    ]}}  # fmt: skip
    with serve(ts.build_app()) as port:
        [o] = _run(tenants_isolated, port, wrong, tmp_path)
        assert o.status is Status.NOT_VERIFIED and "own POST /t/acme/models/fraud" in o.message
    [o] = _run(tenants_isolated, 9, {"tenants": {"principals": []}}, tmp_path)
    assert o.status is Status.ERROR and "at least two principals" in o.message
    [o] = _run(tenants_isolated, 9, {}, tmp_path)
    assert o.status is Status.ABSTAINED
    monkeypatch.delenv("GLOBEX_TOKEN")
    [o] = _run(tenants_isolated, 9, TENANTS, tmp_path)
    assert o.status is Status.ERROR and "$GLOBEX_TOKEN" in o.message


FAILSAFE = {
    "failsafe": {
        "endpoint": "scoring",
        "fallback": {"path": "predictions.0.decision", "values": ["refer_to_human"]},
        "refusal_status": [422],
        "timeout_s": 5,
        "faults": [
            {"name": "low_confidence", "body": '{"instances": [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]}'},
            {"name": "model_error", "headers": {"X-Fault-Inject": "model-error"}},
            {"name": "timeout", "headers": {"X-Fault-Inject": "delay-30s"}},
        ],
    }
}


def test_failsafe_taken_for_every_fault_passes_raw_model_fails(tmp_path):
    with serve(ts.build_app()) as port:
        [o] = _run(failsafe_taken, port, FAILSAFE, tmp_path)
        assert o.status is Status.PASS, o.message
        assert "out_of_distribution (derived)" in o.message
    with serve(ts.build_app(failsafe=False)) as port:
        [o] = _run(failsafe_taken, port, FAILSAFE, tmp_path)
        assert o.status is Status.FAIL
        assert "low_confidence got an unqualified decision" in o.message
        assert "model_error surfaced as a failure" in o.message


def test_failsafe_missing_faults_and_bad_config_are_not_a_pass(tmp_path):
    partial = {"failsafe": {**FAILSAFE["failsafe"], "faults": FAILSAFE["failsafe"]["faults"][:1]}}
    with serve(ts.build_app()) as port:
        [o] = _run(failsafe_taken, port, partial, tmp_path)
        assert o.status is Status.NOT_VERIFIED and "model_error not injected" in o.message
    bad = {"failsafe": {**FAILSAFE["failsafe"], "faults": [{"name": "x", "body": "{oops"}]}}
    [o] = _run(failsafe_taken, 9, bad, tmp_path)
    assert o.status is Status.ERROR and "not valid JSON" in o.message
    [o] = _run(failsafe_taken, 9, {}, tmp_path)
    assert o.status is Status.ABSTAINED and "no fail-safe declared" in o.message
    assert lookup({"a": [{"b": 1}]}, ("a", "0", "b")) == 1 and lookup([], ("x",)) is None
