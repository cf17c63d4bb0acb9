"""A hardened model server for the credit-default classifier (the counterpart of the insecure one).

    MLSVS_EXAMPLE_API_KEY=... python examples/hardened-classifier/serve.py --host 127.0.0.1 --port 8402

What it does about each MLSVS M8 topic:

* authentication (M8.1): an API key from the environment, compared in constant time, required on
  every route except ``/healthz``; the check runs before routing, so unknown paths answer 401 too;
* quotas (M8.2): a token bucket per API key, one per client address for failed logins and one
  global, answering 429 with ``Retry-After``;
* input (M8.3): the body is read by a guard that enforces a size limit (413) and a read deadline
  (408); JSON is parsed with a nesting limit and no NaN/Infinity or huge integers (400), then
  validated by a strict pydantic schema with bounds (422);
* errors: generic JSON messages only, no debug mode, no ``Server`` header;
* outputs (M7.1/M8.4): the label and a confidence rounded to two decimals, nothing else;
* management surface (M8.5): no ``/docs``, ``/redoc`` or ``/openapi.json`` unless ``--dev``.

The model is loaded from ``models/classifier.onnx`` (ONNX cannot run code when loaded) when
onnxruntime is installed, otherwise trained at start-up from ``data/train.csv``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

HERE = Path(__file__).resolve().parent
FEATURES = ["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]
API_KEY_ENV = "MLSVS_EXAMPLE_API_KEY"
LABELS = ("repays", "defaults")
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16
MAX_INT_DIGITS = 18
PUBLIC_PATHS = frozenset({"/healthz"})


class PredictRequest(BaseModel):
    """The only accepted request: five finite, bounded numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)
    features: list[Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]] = Field(
        min_length=len(FEATURES), max_length=len(FEATURES)
    )


class TokenBucket:
    """Thread-safe token buckets keyed by principal; ``take`` returns (allowed, retry_after_s)."""

    def __init__(self, capacity: float, refill_per_s: float) -> None:
        self.capacity = capacity
        self.rate = refill_per_s
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    MAX_KEYS = 10_000
    """Bound the memory an attacker can make the buckets use (one entry per client address)."""

    def take(self, key: str) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            if key not in self._state and len(self._state) >= self.MAX_KEYS:
                self._forget_full(now)
            tokens, last = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return True, 0
            self._state[key] = (tokens, now)
            return False, max(1, math.ceil((1 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they behave exactly like new ones)."""
        refilled = [
            k
            for k, (t, last) in self._state.items()
            if t + (now - last) * self.rate >= self.capacity
        ]
        for k in refilled:
            del self._state[k]
        if len(self._state) >= self.MAX_KEYS:
            self._state.clear()  # still full: start over; the global bucket still caps the load


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Guard:
    """Pure-ASGI front door: authentication, quotas, body size and body read deadline."""

    def __init__(self, app, *, api_key: str, body_timeout_s: float, per_key: TokenBucket) -> None:
        self.app = app
        self.key_digest = hashlib.sha256(api_key.encode()).digest()
        self.body_timeout_s = body_timeout_s
        self.per_key = per_key
        self.failed_logins = TokenBucket(capacity=100, refill_per_s=5)
        self.global_bucket = TokenBucket(capacity=500, refill_per_s=100)

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        """``X-API-Key: KEY`` or ``Authorization: Bearer KEY``."""
        token = headers.get(b"x-api-key", b"")
        if not token:
            scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
            if scheme.lower() != b"bearer":
                return False
        if not token.strip():
            return False
        # Compare digests so the comparison time does not depend on the key's length either.
        return hmac.compare_digest(hashlib.sha256(token.strip()).digest(), self.key_digest)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in PUBLIC_PATHS and scope["method"] == "GET":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        client = (scope.get("client") or ("unknown", 0))[0]
        if not self._authorised(headers):
            allowed, retry = self.failed_logins.take(client)
            if not allowed:
                await _error(429, "too many requests", {"Retry-After": str(retry)})(
                    scope, receive, send
                )
                return
            response = _error(401, "unauthorized", {"WWW-Authenticate": 'Bearer realm="api"'})
            await response(scope, receive, send)
            return
        for bucket, key in ((self.global_bucket, "*"), (self.per_key, "api-key")):
            allowed, retry = bucket.take(key)
            if not allowed:
                await _error(429, "rate limit exceeded", {"Retry-After": str(retry)})(
                    scope, receive, send
                )
                return
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            await _error(413, "request body too large")(scope, receive, send)
            return
        body = await self._read_body(receive)
        if isinstance(body, JSONResponse):
            await body(scope, receive, send)
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_body(self, receive) -> bytes | JSONResponse:
        deadline = time.monotonic() + self.body_timeout_s
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except TimeoutError:
                return _error(408, "request body not received in time")
            if message["type"] == "http.disconnect":
                return _error(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return _error(413, "request body too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _json_depth_ok(raw: bytes, limit: int) -> bool:
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _no_constants(text: str) -> float:
    raise ValueError(f"{text} is not allowed")


def parse_request(raw: bytes) -> PredictRequest:
    """Strict parsing; ``ValueError`` (400) or ``ValidationError`` (422) on bad input."""
    if not _json_depth_ok(raw, MAX_JSON_DEPTH):
        raise ValueError("nesting too deep")
    data = json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constants)
    return PredictRequest.model_validate(data)


def load_predictor():
    """A function from one feature row to (label index, probability of that label)."""
    import numpy as np

    onnx_path = HERE / "models" / "classifier.onnx"
    try:
        import onnxruntime
    except ImportError:
        onnxruntime = None
    if onnxruntime is not None and onnx_path.is_file():
        session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def predict_onnx(row: list[float]) -> tuple[int, float]:
            outputs = session.run(None, {input_name: np.asarray([row], dtype=np.float32)})
            probabilities = np.asarray(outputs[-1])[0]
            index = int(probabilities.argmax())
            return index, float(probabilities[index])

        return predict_onnx
    import csv

    from sklearn.linear_model import LogisticRegression

    with (HERE / "data" / "train.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    x = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    model = LogisticRegression(C=0.5, max_iter=1000).fit(x, [int(r["default"]) for r in rows])

    def predict_sklearn(row: list[float]) -> tuple[int, float]:
        probabilities = model.predict_proba(np.asarray([row]))[0]
        index = int(probabilities.argmax())
        return index, float(probabilities[index])

    return predict_sklearn


def create_app(
    *,
    api_key: str,
    dev: bool = False,
    body_timeout_s: float = 2.0,
    inference_timeout_s: float = 2.0,
    rate_capacity: float = 20,
    rate_refill_per_s: float = 5,
) -> Guard:
    predict_row = load_predictor()
    docs = {} if dev else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title="hardened-classifier", debug=False, **docs)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal error")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            parsed = parse_request(raw)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()})
            return JSONResponse({"error": "invalid request", "fields": fields}, status_code=422)
        except (ValueError, RecursionError):
            return _error(400, "invalid request")
        try:
            index, probability = await asyncio.wait_for(
                asyncio.to_thread(predict_row, parsed.features), timeout=inference_timeout_s
            )
        except TimeoutError:
            return _error(503, "try again later", {"Retry-After": "1"})
        return JSONResponse({"label": LABELS[index], "confidence": round(probability, 2)})

    return Guard(
        app,
        api_key=api_key,
        body_timeout_s=body_timeout_s,
        per_key=TokenBucket(capacity=rate_capacity, refill_per_s=rate_refill_per_s),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve the hardened credit-default classifier.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8402)
    parser.add_argument(
        "--dev", action="store_true", help="serve /docs and /openapi.json (never in production)"
    )
    parser.add_argument(
        "--body-timeout", type=float, default=2.0, help="seconds to receive a request body"
    )
    args = parser.parse_args()
    api_key = os.environ.get(API_KEY_ENV, "")
    if len(api_key) < 16:
        print(
            f"serve.py: set {API_KEY_ENV} to an API key of at least 16 characters", file=sys.stderr
        )
        return 2
    import uvicorn
    from ops import install_ops  # structured inference logs and the kill switch (M10)

    app = install_ops(
        create_app(api_key=api_key, dev=args.dev, body_timeout_s=args.body_timeout),
        model_path=HERE / "models" / "classifier.onnx",
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=5,
        limit_concurrency=64,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
