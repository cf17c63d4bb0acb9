"""Integrity drill (MLC1038, M4.3.3): the project's own model server started on tampered
copies of its weights. The server is a real stdlib HTTP service loading float32 weights of a
scikit-learn logistic regression trained at test time; the hardened one checks the folder
against its SHA256SUMS manifest before loading, the flawed one only warns."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from datetime import date

import numpy as np
import pytest

from mlsvs.checks.endpoints.integrity_drill import flip_byte, tampered_model_refused
from mlsvs.plugin import Capability, CheckContext, Project, Status

pytestmark = pytest.mark.network

SERVER = '''
"""Credit-scoring model server: loads weights from --model-dir and serves predictions."""
import argparse
import hashlib
import json
import pathlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--model-dir", required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--strict", action="store_true")
args = parser.parse_args()
folder = pathlib.Path(args.model_dir)
listed = {}
for line in (folder / "SHA256SUMS").read_text().splitlines():
    digest, name = line.split(maxsplit=1)
    listed[name.lstrip("*")] = digest
problems = [n for n, d in listed.items()
            if hashlib.sha256((folder / n).read_bytes()).hexdigest() != d]
problems += [p.name for p in folder.iterdir() if p.name != "SHA256SUMS" and p.name not in listed]
if problems:
    print(f"integrity check failed for {problems}", file=sys.stderr)
    if args.strict:
        sys.exit(3)
weights = np.fromfile(folder / "weights.f32", dtype="<f4")
w, b = weights[:-1], weights[-1]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        if self.path != "/v1/models/credit:predict":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        x = np.asarray(body["instances"], dtype="f4")
        p = 1 / (1 + np.exp(-(x @ w + b)))
        out = json.dumps({"predictions": p.round(4).tolist()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
'''


def _project(tmp_path, strict: bool):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (400, 6))
    y = ((x - 0.5) @ np.array([3.0, -2.0, 1.5, 0.0, 1.0, -1.0]) > 0).astype(int)
    clf = LogisticRegression().fit(x, y)
    folder = tmp_path / "models" / "credit"
    folder.mkdir(parents=True)
    weights = np.concatenate([clf.coef_[0], clf.intercept_]).astype("<f4")
    weights.tofile(folder / "weights.f32")
    digest = hashlib.sha256((folder / "weights.f32").read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text(f"{digest}  weights.f32\n")
    (tmp_path / "serve.py").write_text(textwrap.dedent(SERVER))
    command = [sys.executable, "serve.py", "--model-dir", "{dir}", "--port", "{port}"]
    if strict:
        command.append("--strict")
    return {
        "model": "models/credit/weights.f32",
        "command": command,
        "path": "/v1/models/credit:predict",
        "request": '{"instances": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]}',
        "ready_timeout_s": 30,
        "tamper": ["byte", "file"],
    }


def _run(tmp_path, section, caps=(Capability.MODEL_EXECUTION, Capability.DRILL)):
    project = Project(root=tmp_path, name="svc", traits=frozenset())
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 1),
        settings={"drills": {"integrity": section}},
        capabilities=frozenset(caps),
    )
    return list(tampered_model_refused.run(ctx, project))


def test_verifying_server_refuses_both_tamperings(tmp_path):
    [o] = _run(tmp_path, _project(tmp_path, strict=True))
    assert o.status is Status.PASS, o.message
    assert "one byte changed" in o.message and "exited with 3" in o.message
    assert "one file added" in o.message


def test_server_that_only_warns_serves_the_tampered_model_and_fails(tmp_path):
    [o] = _run(tmp_path, _project(tmp_path, strict=False))
    assert o.status is Status.FAIL, o.message
    assert "one byte changed" in o.message and "served POST /v1/models/credit:predict -> 200" in (
        o.message
    )


def test_drill_fails_closed_without_grant_control_or_valid_table(tmp_path):
    section = _project(tmp_path, strict=True)
    [o] = _run(tmp_path, section, caps=(Capability.MODEL_EXECUTION,))
    assert o.status is Status.ERROR and "model-exec,drill" in o.message
    broken = {**section, "path": "/v2/wrong/route", "ready_timeout_s": 3}
    [o] = _run(tmp_path, broken)
    assert o.status is Status.NOT_VERIFIED and "control run" in o.message
    [o] = _run(tmp_path, {**section, "model": "models/credit/missing.f32"})
    assert o.status is Status.ERROR and "is not a file" in o.message
    [o] = _run(tmp_path, {**section, "request": "{not json"})
    assert o.status is Status.ERROR and "not valid JSON" in o.message
    project = Project(root=tmp_path, name="svc", traits=frozenset())
    ctx = CheckContext(project=project, today=date(2026, 12, 1), settings={})
    [o] = list(tampered_model_refused.run(ctx, project))
    assert o.status is Status.ABSTAINED and "no integrity drill" in o.message


def test_flip_byte_changes_exactly_one_byte(tmp_path):
    f = tmp_path / "w.bin"
    f.write_bytes(bytes(range(10)))
    offset = flip_byte(f)
    changed = [
        i for i, (a, b) in enumerate(zip(f.read_bytes(), bytes(range(10)), strict=True)) if a != b
    ]
    assert changed == [offset] == [5]
