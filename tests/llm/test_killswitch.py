"""MLC961: kill-switch drills against loopback services (sound, unauthenticated, broken)."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlsvs.checks.endpoints.killswitch import kill_switch_drilled as chk
from mlsvs.plugin import Capability, CheckContext, Endpoint, Project, Status

pytestmark = pytest.mark.network
TOKEN = "drill-token-5f1c9a"


@contextmanager
def service(*, auth: bool = True, works: bool = True, delay_s: float = 0.3):
    state = {"on_since": None}

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")) or 0)
            if self.path == "/admin/safe-mode":
                if auth and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"error": "unauthorised"})
                    return
                enabled = json.loads(body or b"{}").get("enabled", False)
                state["on_since"] = time.monotonic() if enabled and works else None
                self._send(200, {"safe_mode": enabled})
                return
            on = state["on_since"] is not None and time.monotonic() - state["on_since"] >= delay_s
            self._send(
                200, {"label": 0, "source": "rules"} if on else {"label": 1, "source": "model"}
            )

        def _send(self, status, doc):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _run(tmp_path, base, monkeypatch, *, drill=True, params=None):
    grants = {Capability.NETWORK, Capability.DRILL} if drill else {Capability.NETWORK}
    monkeypatch.setenv("DRILL_TOKEN", TOKEN)
    ep = Endpoint(
        name="scoring", url=f"{base}/predict", request_template='{"inputs": [[0.1, 0.2]]}'
    )
    section = {
        "endpoint": "scoring",
        "auth_env": "DRILL_TOKEN",
        "activate": {"url": f"{base}/admin/safe-mode", "body": '{"enabled": true}'},
        "deactivate": {"url": f"{base}/admin/safe-mode", "body": '{"enabled": false}'},
        "fallback": {"field": "source", "value": "rules"},
        "poll_interval_s": 0.05,
        "consecutive": 3,
        "drill_max_s": 3,
    }
    project = Project(root=tmp_path, name="p", traits=frozenset(), endpoints=(ep,))
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 2),
        settings={"kill_switch": section},
        capabilities=frozenset(grants),
        parameters=params or {},
    )
    [o] = chk.run(ctx, project)
    return o


def test_sound_drill_passes_with_measured_switch_time(tmp_path, monkeypatch):
    with service() as base:
        o = _run(tmp_path, base, monkeypatch)
    assert o.status is Status.PASS, o.message
    [m] = o.measurements
    assert 0.25 <= m.value < 3 and m.threshold == 900


def test_unauthenticated_switch_and_slow_switch_fail(tmp_path, monkeypatch):
    with service(auth=False) as base:
        o = _run(tmp_path, base, monkeypatch)
    assert o.status is Status.FAIL and "unauthenticated activation" in o.message
    with service() as base:
        o = _run(tmp_path, base, monkeypatch, params={"M10.3.1.max_switch_minutes": 0.002})
    assert o.status is Status.FAIL and "took" in o.message, o.message


def test_switch_without_effect_is_not_verified_within_a_short_cap(tmp_path, monkeypatch):
    with service(works=False) as base:
        o = _run(tmp_path, base, monkeypatch)
    assert o.status is Status.NOT_VERIFIED and "no switch-over" in o.message, o.message


def test_drill_needs_opt_in(tmp_path, monkeypatch):
    with service() as base:
        o = _run(tmp_path, base, monkeypatch, drill=False)
    assert o.status is Status.ERROR and "--allow network,drill" in o.message
