"""MLC960 against loopback MLflow / TensorBoard / Ray look-alikes: open, behind auth, SSO."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlsvs.checks.endpoints.mlops import mlops_services_authenticated as chk
from mlsvs.plugin import Capability, CheckContext, Project, Status
from mlsvs.probes.mlops import Answer, ServiceKind, judge

pytestmark = pytest.mark.network

MLFLOW_MODELS = {
    "registered_models": [
        {
            "name": "fraud-scorer",
            "latest_versions": [
                {"version": "7", "source": "s3://ml-artifacts/fraud/7", "run_id": "4f2a"}
            ],
        }
    ]
}
MLFLOW_UI = "<!doctype html><html><head><title>MLflow</title></head><body><div id=root></div>"
SSO_PAGE = (
    "<html><body><h1>Sign in to Acme ML</h1><form method=post action=/login>"
    "<input name=user><input type=password name=pw></form></body></html>"
)


def _handler(mode: str) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if mode == "basic" and "Authorization" not in self.headers:
                self._send(
                    401,
                    b'{"error_code": "UNAUTHENTICATED"}',
                    "application/json",
                    ("WWW-Authenticate", 'Basic realm="mlflow"'),
                )
            elif mode == "sso" and not self.path.startswith("/oauth2"):
                self._send(302, b"", "text/html", ("Location", "/oauth2/start?rd=" + self.path))
            elif mode == "login_page" and self.path == "/":
                self._send(200, SSO_PAGE.encode(), "text/html")
            elif mode == "login_page":
                self._send(403, b"forbidden", "text/plain")
            elif self.path.startswith("/api/2.0/mlflow/registered-models/search"):
                self._send(200, json.dumps(MLFLOW_MODELS).encode(), "application/json")
            elif self.path.startswith("/data/runs"):
                self._send(200, b'["train", "eval"]', "application/json")
            elif self.path == "/":
                self._send(200, MLFLOW_UI.encode(), "text/html")
            else:
                self._send(404, b'{"error_code": "ENDPOINT_NOT_FOUND"}', "application/json")

        def _send(self, status, body, ctype, *headers):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    return H


@contextmanager
def server(mode: str):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mode))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _run(tmp_path, services, grants=(Capability.NETWORK,)):
    ctx = CheckContext(
        project=Project(root=tmp_path, name="p", traits=frozenset()),
        today=date(2026, 12, 2),
        settings={"mlops": {"services": services}},
        capabilities=frozenset(grants),
    )
    return list(chk.run(ctx, ctx.project))


def test_open_mlflow_fails_and_authenticated_ones_pass(tmp_path):
    with (
        server("open") as open_url,
        server("basic") as basic,
        server("sso") as sso,
        server("login_page") as login,
    ):
        outs = _run(
            tmp_path,
            [
                {"name": "tracking", "kind": "mlflow", "url": open_url},
                {"name": "registry", "kind": "mlflow", "url": basic},
                {"name": "boards", "kind": "tensorboard", "url": sso},
                {"name": "notebooks", "kind": "jupyter", "url": login},
            ],
        )
    by = {o.key: o for o in outs}
    assert by["tracking"].status is Status.FAIL, by["tracking"].message
    assert (
        "registered-models/search" in by["tracking"].message and "-> 200" in by["tracking"].message
    )
    assert by["registry"].status is Status.PASS, by["registry"].message
    assert by["boards"].status is Status.PASS, by["boards"].message
    assert by["notebooks"].status is Status.PASS, by["notebooks"].message


def test_unreachable_or_unrecognised_service_is_not_verified(tmp_path):
    [o] = _run(tmp_path, [{"name": "ray", "kind": "ray", "url": "http://127.0.0.1:9"}])
    assert o.status is Status.NOT_VERIFIED and o.gaps
    with server("open") as url:
        [o] = _run(tmp_path, [{"name": "ray", "kind": "ray", "url": url}])
    # Every Ray route is 404 and the root is an MLflow page: nothing shows Ray refuses.
    assert o.status is Status.NOT_VERIFIED, o.message


def test_fail_closed_on_config_and_grant(tmp_path):
    [o] = _run(tmp_path, [{"name": "x", "kind": "airflow", "url": "http://127.0.0.1:9"}])
    assert o.status is Status.ERROR and "kind" in o.message
    [o] = _run(tmp_path, [{"name": "x", "kind": "mlflow", "url": "http://127.0.0.1:9"}], grants=())
    assert o.status is Status.ERROR and "--allow network" in o.message


def test_judge_is_pure_and_conservative():
    assert (
        judge(ServiceKind.MLFLOW, 200, {"content-type": "application/json"}, "{}", ui=False)
        is Answer.EXPOSED
    )
    assert (
        judge(ServiceKind.RAY, 302, {"location": "https://sso.acme/auth?x"}, "", ui=False)
        is Answer.REFUSED
    )
    assert judge(ServiceKind.RAY, 302, {"location": "/other"}, "", ui=False) is Answer.UNCLEAR
    assert judge(ServiceKind.MLFLOW, 200, {}, SSO_PAGE, ui=True) is Answer.REFUSED
    assert judge(ServiceKind.MLFLOW, 200, {}, MLFLOW_UI, ui=True) is Answer.EXPOSED
    assert judge(ServiceKind.JUPYTER, 500, {}, "", ui=False) is Answer.UNCLEAR


COMPOSE = """services:
  tracking:
    image: ghcr.io/mlflow/mlflow:v2.17.0
    command: mlflow server --host 0.0.0.0 --port 5000 --backend-store-uri sqlite:///mlflow.db
    ports: ["5000:5000"]
  scorer:
    build: .
    ports: ["8080:8080"]
"""


def _project_with_compose(tmp_path):
    from mlsvs.plugin import DeploymentConfig

    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    dep = DeploymentConfig(root=tmp_path, path="docker-compose.yml",
                           size=len(COMPOSE), config="compose")  # fmt: skip
    return Project(root=tmp_path, name="p", traits=frozenset(), artifacts=(dep,))


def _run_section(project, section):
    ctx = CheckContext(project=project, today=date(2026, 12, 2),
                       settings={"mlops": section} if section is not None else {},
                       capabilities=frozenset({Capability.NETWORK}))  # fmt: skip
    return list(chk.run(ctx, project))


def test_undeclared_services_are_never_not_applicable(tmp_path):
    plain = Project(root=tmp_path, name="p", traits=frozenset())
    [o] = _run_section(plain, None)
    assert o.status is Status.NOT_VERIFIED and "mlops.services = []" in o.message
    [o] = _run_section(plain, {"services": []})
    assert o.status is Status.NOT_APPLICABLE
    composed = _project_with_compose(tmp_path)
    [o] = _run_section(composed, {"services": []})
    assert o.status is Status.NOT_VERIFIED and "mlflow in docker-compose.yml" in o.message
    [o] = _run_section(composed, None)
    assert o.status is Status.NOT_VERIFIED and "deploys mlflow" in o.message
