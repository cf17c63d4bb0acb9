"""The probes against FastAPI/Starlette/uvicorn configured as in real deployments."""

from __future__ import annotations

import http.client

import pytest

from mlsvs.model.artifact import Endpoint
from mlsvs.probes import Area, ProbeReport, ProbeSettings, ProbeVerdict, probe_endpoint

pytestmark = [pytest.mark.network, pytest.mark.slow]

fastapi = pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.probes import stack  # noqa: E402

SETTINGS = ProbeSettings(
    timeout_s=2.0, slow_body_s=1.0, burst=10, cost_max_bytes=4096, max_body_bytes=128 * 1024
)


def _probe(port: int) -> ProbeReport:
    endpoint = Endpoint(
        name="e",
        url=f"http://127.0.0.1:{port}/predict",
        auth_env="STACK_KEY",
        request_template=stack.TEMPLATE,
    )
    return probe_endpoint(endpoint, SETTINGS, stack.API_KEY)


def _post(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json", **headers}
        connection.request("POST", path, body=stack.TEMPLATE, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def test_cors_regex_any_origin_with_credentials_fails() -> None:
    with stack.serve(stack.build_app(cors_any_origin=True)) as port:
        auth = {"Authorization": f"Bearer {stack.API_KEY}", "Origin": "https://evil.example"}
        status, headers = _post(port, "/predict", auth)
        assert status == 200
        assert headers["access-control-allow-origin"] == "https://evil.example"
        assert headers["access-control-allow-credentials"] == "true"
        report = _probe(port)
    cors = report.result(Area.CORS)
    assert cors.verdict is ProbeVerdict.FAIL and "with credentials" in cors.message


def test_unauthenticated_versioned_router_fails() -> None:
    with stack.serve(stack.build_app(unauthenticated_v1=True)) as port:
        assert _post(port, "/v1/predict", {})[0] == 200
        report = _probe(port)
    auth = report.result(Area.AUTHENTICATION)
    assert auth.verdict is ProbeVerdict.FAIL and "POST /v1/predict" in auth.message


def test_hidden_route_found_in_the_openapi_document() -> None:
    app = stack.build_app(docs=True)

    @app.post("/explain")
    def explain() -> dict[str, str]:  # a forgotten debug route, no auth
        return {"explanation": "feature 2 dominates"}

    with stack.serve(app) as port:
        report = _probe(port)
    assert "POST /explain" in report.observations.routes
    auth = report.result(Area.AUTHENTICATION)
    assert auth.verdict is ProbeVerdict.FAIL and "/explain" in auth.message


def test_hardened_fastapi_passes_access_cors_and_cost() -> None:
    with stack.serve(stack.build_app()) as port:
        report = _probe(port)
    for area in (Area.AUTHENTICATION, Area.CORS, Area.COST, Area.MANAGEMENT_SURFACE):
        judged = report.result(area)
        assert judged.verdict is ProbeVerdict.PASS, judged
    # What FastAPI/uvicorn do not do by themselves, found on the same run: no body limit (a
    # batch capped at 64 rows still lets a JSON-padded body of any size through) ...
    resources = report.result(Area.RESOURCE_LIMITS)
    assert resources.verdict is ProbeVerdict.FAIL
    assert "valid padding body" in resources.message
    # ... and a 422 for an infinite number that cannot be serialised becomes a 500.
    malformed = report.result(Area.MALFORMED_INPUT)
    assert malformed.verdict is ProbeVerdict.FAIL and "huge_numbers → 500" in malformed.message


def test_flask_cors_with_credentials_reflects_any_origin() -> None:
    """flask-cors with its default origins ("*") and supports_credentials=True echoes the
    request's Origin with Access-Control-Allow-Credentials: true (a documented behaviour)."""
    flask = pytest.importorskip("flask")
    flask_cors = pytest.importorskip("flask_cors")
    serving = pytest.importorskip("werkzeug.serving")
    import hmac
    import threading

    app = flask.Flask("flask-stack")
    flask_cors.CORS(app, supports_credentials=True)

    @app.post("/predict")
    def predict() -> tuple[dict[str, object], int]:
        header = flask.request.headers.get("Authorization", "")
        if not hmac.compare_digest(header.encode(), f"Bearer {stack.API_KEY}".encode()):
            return {"error": "unauthorized"}, 401
        rows = (flask.request.get_json(silent=True) or {}).get("instances")
        if not isinstance(rows, list) or not rows or len(rows) > 64:
            return {"error": "invalid request"}, 422
        return {"labels": ["low"] * len(rows)}, 200

    server = serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_port
        auth = {"Authorization": f"Bearer {stack.API_KEY}", "Origin": "https://evil.example"}
        status, headers = _post(port, "/predict", auth)
        assert status == 200
        assert headers["access-control-allow-origin"] == "https://evil.example"
        report = _probe(port)
    finally:
        server.shutdown()
        thread.join(5)
    cors = report.result(Area.CORS)
    assert cors.verdict is ProbeVerdict.FAIL and cors.gravity is not None
    assert "with credentials" in cors.message
    assert report.result(Area.AUTHENTICATION).verdict is ProbeVerdict.PASS
