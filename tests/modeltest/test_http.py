"""HTTP JSON adapter against a tiny loopback server (429 retries, auth from env, errors)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from mlsvs.adapters.models.errors import EndpointError, ModelLoadError
from mlsvs.adapters.models.http import HttpModel
from mlsvs.adapters.models.spec import HttpSettings, InputSpec, OutputKind
from mlsvs.modeltest.output import Granularity, detect
from mlsvs.modeltest.session import TestName, run_tests
from tests.modeltest.conftest import section

pytestmark = pytest.mark.network
SPEC = InputSpec(shape=(6,))


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        st = self.server.state  # type: ignore[attr-defined]
        st["auth"].append(self.headers.get("Authorization"))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if st["throttle"] > 0:
            st["throttle"] -= 1
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        rows = np.asarray(body["instances"], dtype=float)
        s = 1 / (1 + np.exp(-8 * (rows[:, 0] - 0.5)))
        if st["mode"] == "labels":
            out = (s > 0.5).astype(int).tolist()
        elif st["mode"] == "rounded":
            out = np.round(np.c_[1 - s, s], 1).tolist()
        else:
            out = np.c_[1 - s, s].tolist()
        data = json.dumps({"result": {"predictions": out}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.state = {"throttle": 0, "mode": "scores", "auth": []}  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _settings(srv, **kw):
    url = f"http://127.0.0.1:{srv.server_address[1]}/predict"
    base = {
        "url": url,
        "allowed_hosts": ("127.0.0.1",),
        "request_template": '{"instances": "$INPUTS"}',
        "output_path": "result.predictions",
        "backoff_s": 0.0,
        "batch_size": 16,
    }
    return HttpSettings(**{**base, **kw})


def test_retries_429_with_backoff_and_sends_auth_from_env(server, monkeypatch):
    monkeypatch.setenv("MODEL_TOKEN", "s3cret")
    server.state["throttle"] = 2
    slept = []
    m = HttpModel(
        _settings(server, auth_env="MODEL_TOKEN", backoff_s=0.25), SPEC, 2, sleep=slept.append
    )
    p = m.predict_proba(np.full((3, 6), 0.9))
    assert m.retries == 2 and slept == [0.0, 0.0]  # Retry-After: 0 honoured
    assert p.shape == (3, 2) and np.all(p[:, 1] > 0.9)
    assert server.state["auth"][-1] == "Bearer s3cret"
    m.close()


def test_gives_up_after_max_retries(server):
    server.state["throttle"] = 10
    m = HttpModel(_settings(server, max_retries=2), SPEC, 2, sleep=lambda s: None)
    with pytest.raises(EndpointError, match="rate-limited after 2 retries"):
        m.predict_proba(np.zeros((1, 6)))


def test_undeclared_host_and_missing_secret_are_refused(server):
    with pytest.raises(ModelLoadError, match="not in allowed_hosts"):
        HttpModel(_settings(server, allowed_hosts=("example.org",)), SPEC, 2)
    with pytest.raises(ModelLoadError, match="NOPE_UNSET_VAR is not set"):
        HttpModel(_settings(server, auth_env="NOPE_UNSET_VAR"), SPEC, 2)


def test_endpoint_down_is_a_clear_error():
    s = HttpSettings(url="http://127.0.0.1:9/x", allowed_hosts=("127.0.0.1",), timeout_s=1.0)
    with pytest.raises(EndpointError, match="unreachable"):
        HttpModel(s, SPEC, 2).predict_proba(np.zeros((1, 6)))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("scores", Granularity.FULL),
        ("rounded", Granularity.ROUNDED),
        ("labels", Granularity.LABELS),
    ],
)
def test_output_granularity_detected_from_answers(server, mode, expected):
    server.state["mode"] = mode
    m = HttpModel(_settings(server), SPEC, 2)
    x = np.random.default_rng(0).uniform(size=(20, 6))
    assert detect(m.predict_proba(x), m.output_kind)[0] is expected
    assert (m.output_kind is OutputKind.LABELS) == (mode == "labels")


def test_http_model_through_run_tests_needs_network_grant(server, project):
    from mlsvs.errors import CapabilityError

    s = _settings(server)
    sec = section(
        model={
            "kind": "http",
            "url": s.url,
            "allowed_hosts": ["127.0.0.1"],
            "request_template": s.request_template,
            "output_path": s.output_path,
            "n_classes": 2,
        }
    )
    del sec["model"]["factory"]  # type: ignore[attr-defined]
    with pytest.raises(CapabilityError):
        run_tests(sec, project, [TestName.OUTPUT], model_exec=True, network=False)
    server.state["mode"] = "labels"
    out, ext = run_tests(
        sec, project, [TestName.OUTPUT, TestName.EXTRACTION], model_exec=False, network=True
    )
    assert out.ok is True and "labels" in out.message
    assert ext.measurements[0].series[-1].y > 0.8  # a threshold on f0 is easy to copy


@pytest.mark.parametrize(
    ("answer", "n_classes", "expected"),
    [
        ({"label": "default", "confidence": 0.83}, 2, Granularity.ROUNDED),
        ({"label": "default", "confidence": 0.8312345}, 2, Granularity.TOP_K),
        ({"probabilities": [0.1234567, 0.8765433]}, 2, Granularity.FULL),
        ({"scores": {"a": 0.123456, "b": 0.876544}}, 2, Granularity.FULL),
        ({"scores": {"a": 0.12, "b": 0.88}}, 2, Granularity.ROUNDED),
        ({"top": [0.712345, 0.212345]}, 5, Granularity.TOP_K),
        ({"label": "default", "id": 17}, 2, Granularity.LABELS),
    ],
)
def test_raw_answer_granularity(answer, n_classes, expected):
    from mlsvs.modeltest.output import classify_answer

    assert classify_answer(answer, n_classes)[0] is expected


def test_output_minimisation_from_a_declared_endpoint(server, project):
    from mlsvs.errors import CapabilityError
    from mlsvs.model.artifact import Endpoint

    url = f"http://127.0.0.1:{server.server_address[1]}/predict"
    ep = Endpoint(name="predict", url=url, request_template='{"instances": [[0.9, 0, 0, 0, 0, 0]]}')
    sec = section(output={"endpoint": "predict", "requests": 2})
    with pytest.raises(CapabilityError):
        run_tests(
            sec,
            project,
            [TestName.OUTPUT],
            model_exec=False,
            network=False,
            endpoints={"predict": ep},
        )
    [full] = run_tests(
        sec, project, [TestName.OUTPUT], model_exec=False, network=True, endpoints={"predict": ep}
    )
    assert full.ok is False and "full scores" in full.message
    server.state["mode"] = "rounded"
    acc, out = run_tests(
        sec,
        project,
        [TestName.ACCURACY, TestName.OUTPUT],
        model_exec=True,
        network=True,
        endpoints={"predict": ep},
    )
    assert (
        out.ok is True and dict(out.measurements[0].parameters)["granularity"] == "rounded_scores"
    )
    assert acc.name == "clean_accuracy" and acc.ok is True
    from mlsvs.errors import ConfigError

    with pytest.raises(ConfigError, match="not a declared"):
        run_tests(sec, project, [TestName.OUTPUT], model_exec=False, network=True, endpoints={})
