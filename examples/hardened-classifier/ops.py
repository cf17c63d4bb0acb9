"""Operational controls for the scoring service: structured inference logging and a kill switch.

    from ops import install_ops
    app = install_ops(asgi_app, model_path=HERE / "models" / "classifier.onnx")

``install_ops`` wraps any ASGI application (the FastAPI app, or serve.py's ``Guard`` around it)
and returns the wrapped application; wrap the *outermost* layer so that requests refused by
authentication (401) and quotas (429) are logged too (M10.1.1, M10.2.2). It is idempotent.

Structured logging (MLSVS M10.1.1): one JSON object per line on stdout (or the stream given),
schema ``mlsvs.inference/1`` - see ``docs/security/inference-logging.md``:

    ts, event, schema, service, model_id, model_sha256, request_id, principal, client, method,
    path, status, input_sha256, input_bytes, output, latency_ms, cpu_ms, [features], [kill_switch]

* ``principal`` is ``key:<first 12 hex of SHA-256(credential)>`` for an accepted credential and
  ``unauthenticated`` when the service answered 401; the credential itself is never logged;
* ``input_sha256`` is the SHA-256 of the request body as received (the input fingerprint);
* ``features`` (the five numbers of an accepted /predict request) feeds the drift monitor
  (``monitoring/drift.py``); turn it off with ``log_features=False`` when inputs are personal data.

Kill switch (MLSVS M10.3.1): the model is disabled when the environment variable
``MLSVS_MODEL_DISABLED`` is truthy, or when the flag file named by ``kill_switch_file`` /
``MLSVS_KILL_SWITCH_FILE`` exists (in Kubernetes: a key of the ``hardened-classifier-ops``
ConfigMap, see ``deploy/k8s.yaml``). The flag file may hold JSON ``{"actor": ..., "reason": ...}``.
While disabled every route except ``/healthz`` answers ``503 {"error": "model disabled"}`` with
``Retry-After``, so callers fall back to manual review; each activation and deactivation is logged
once, as ``event: "kill_switch"``, with its source, actor and reason. The switch is re-read at
most every ``poll_interval_s`` seconds (default 1 s), so no restart or redeploy is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

SCHEMA = "mlsvs.inference/1"
KILL_ENV = "MLSVS_MODEL_DISABLED"
KILL_ACTOR_ENV = "MLSVS_MODEL_DISABLED_BY"
KILL_FILE_ENV = "MLSVS_KILL_SWITCH_FILE"
_TRUE = frozenset({"1", "true", "yes", "on"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_CAPTURE = 4096  # bytes of response body kept for the log (responses here are ~40 bytes)
_MAX_FEATURE_BODY = 64 * 1024


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class JsonLog:
    """Writes one JSON object per line; thread-safe; never raises into the request path."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
        with self._lock:
            try:
                stream = self.stream or sys.stdout
                stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # a broken log sink must not take the model down


class KillSwitch:
    """The disabled/enabled state from an environment variable or a flag file, cached briefly."""

    def __init__(
        self,
        *,
        flag_file: Path | None,
        poll_interval_s: float,
        log: JsonLog,
        identity: dict[str, str],
        environ: dict[str, str] | os._Environ[str] = os.environ,
    ) -> None:
        self.flag_file = flag_file
        self.poll_interval_s = poll_interval_s
        self.log = log
        self.identity = identity
        self.environ = environ
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._state: dict[str, str] | None = None

    def _read(self) -> dict[str, str] | None:
        if self.environ.get(KILL_ENV, "").strip().lower() in _TRUE:
            actor = self.environ.get(KILL_ACTOR_ENV, "").strip() or "unknown (set in deployment)"
            return {"source": f"env:{KILL_ENV}", "actor": actor, "reason": "environment flag"}
        if self.flag_file is None:
            return None
        try:
            text = self.flag_file.read_text(encoding="utf-8", errors="replace")[:2048]
        except FileNotFoundError:
            return None
        except OSError:
            # Unreadable flag: fail safe (disabled) rather than silently serving.
            return {"source": f"file:{self.flag_file}", "actor": "unknown", "reason": "unreadable"}
        actor, reason = "unknown", text.strip()[:200] or "flag file present"
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            actor = str(data.get("actor") or "unknown")[:200]
            reason = str(data.get("reason") or "flag file present")[:200]
        return {"source": f"file:{self.flag_file}", "actor": actor, "reason": reason}

    def disabled(self) -> dict[str, str] | None:
        """The activation record while disabled, None while the model serves."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked < self.poll_interval_s:
                return self._state
            self._checked = now
            state = self._read()
            changed = (state is None) != (self._state is None)
            previous = self._state
            self._state = state
        if changed:
            if state is not None:
                record = state
            else:  # who removed the flag is recorded by the platform (e.g. the cluster audit log)
                prior = previous or {}
                record = {"source": prior.get("source", ""), "activated_by": prior.get("actor", "")}
            self.log.write(
                {
                    "ts": _now(),
                    "event": "kill_switch",
                    "schema": SCHEMA,
                    **self.identity,
                    "state": "activated" if state is not None else "deactivated",
                    **record,
                }
            )
        return state


class OpsMiddleware:
    """Pure-ASGI middleware: kill switch first, then one structured log record per request."""

    def __init__(
        self,
        app: Any,
        *,
        model_path: str | os.PathLike[str],
        model_id: str = "credit-default-logreg",
        model_sha256: str | None = None,
        service: str = "hardened-classifier",
        kill_switch_file: str | os.PathLike[str] | None = None,
        poll_interval_s: float = 1.0,
        log_stream: TextIO | None = None,
        log_features: bool = True,
        public_paths: frozenset[str] = frozenset({"/healthz"}),
        inference_paths: frozenset[str] = frozenset({"/predict"}),
    ) -> None:
        self.app = app
        path = Path(model_path)
        digest = model_sha256 or file_sha256(path)  # fails at start-up if the model is missing
        self.identity = {"service": service, "model_id": model_id, "model_sha256": digest}
        self.log = JsonLog(log_stream)
        flag = kill_switch_file or os.environ.get(KILL_FILE_ENV) or None
        self.kill_switch = KillSwitch(
            flag_file=Path(flag) if flag else None,
            poll_interval_s=poll_interval_s,
            log=self.log,
            identity=self.identity,
        )
        self.log_features = log_features
        self.public_paths = public_paths
        self.inference_paths = inference_paths
        self.kill_switch.disabled()  # log the state at start-up when the model starts disabled
        self.log.write({"ts": _now(), "event": "startup", "schema": SCHEMA, **self.identity})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "")
        if path in self.public_paths and method == "GET":
            await self.app(scope, receive, send)
            return
        started, cpu_started = time.perf_counter(), time.process_time()
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        body_hash, body = hashlib.sha256(), bytearray()
        received = 0
        status: list[int] = [0]
        out = bytearray()

        async def logged_receive():
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                chunk = message.get("body", b"")
                body_hash.update(chunk)
                received += len(chunk)
                if len(body) + len(chunk) <= _MAX_FEATURE_BODY:
                    body.extend(chunk)
            return message

        async def logged_send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            elif message["type"] == "http.response.body" and len(out) < _MAX_CAPTURE:
                out.extend(message.get("body", b"")[: _MAX_CAPTURE - len(out)])
            await send(message)

        killed = self.kill_switch.disabled()
        try:
            if killed is not None:
                await _disabled_response(logged_send)
            else:
                await self.app(scope, logged_receive, logged_send)
        finally:
            record: dict[str, Any] = {
                "ts": _now(),
                "event": "inference" if path in self.inference_paths else "request",
                "schema": SCHEMA,
                **self.identity,
                "request_id": request_id,
                "principal": _principal(headers, status[0]),
                "client": (scope.get("client") or ("unknown", 0))[0],
                "method": method,
                "path": path,
                "status": status[0] or 500,
                "input_sha256": body_hash.hexdigest(),
                "input_bytes": received,
                "output": _output(bytes(out)),
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "cpu_ms": round((time.process_time() - cpu_started) * 1000, 3),
            }
            if killed is not None:
                record["kill_switch"] = True
            if self.log_features and status[0] == 200 and path in self.inference_paths:
                features = _features(bytes(body))
                if features is not None:
                    record["features"] = features
            self.log.write(record)


async def _disabled_response(send) -> None:
    payload = b'{"error":"model disabled"}'
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"retry-after", b"60"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def _principal(headers: dict[bytes, bytes], status: int) -> str:
    if status == 401:
        return "unauthenticated"
    scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
    credential = token.strip() if scheme.lower() == b"bearer" else b""
    credential = credential or headers.get(b"x-api-key", b"").strip()
    if not credential:
        return "anonymous"
    return "key:" + hashlib.sha256(credential).hexdigest()[:12]


def _output(raw: bytes) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"non_json_bytes": len(raw)}


def _features(raw: bytes) -> list[float] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    values = data.get("features") if isinstance(data, dict) else None
    if not isinstance(values, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        return None
    return [float(v) for v in values]


def install_ops(app: Any, *, model_path: str | os.PathLike[str], **options: Any) -> Any:
    """Wrap ``app`` (any ASGI app) with logging and the kill switch; returns the app to serve."""
    if isinstance(app, OpsMiddleware):
        return app
    return OpsMiddleware(app, model_path=model_path, **options)


if __name__ == "__main__":
    # Self-check: python ops.py  (serves nothing; prints the identity the logs will carry)
    here = Path(__file__).resolve().parent
    model = here / "models" / "classifier.onnx"
    print(json.dumps({"model_path": str(model.relative_to(here)), "sha256": file_sha256(model)}))
