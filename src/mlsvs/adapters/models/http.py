"""An HTTP JSON inference endpoint as a (black-box) model adapter.

Only hosts the user declared are contacted. The credential comes from an environment variable
whose *name* is configured; its value is never stored in results or messages.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from mlsvs.adapters.models._common import looks_like_probabilities, one_hot, softmax
from mlsvs.adapters.models.errors import EndpointError, ModelLoadError
from mlsvs.adapters.models.spec import HttpSettings, OutputKind

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]

PLACEHOLDER = "$INPUTS"


class HttpModel:
    """Scores or labels from a JSON API; retries 429 with exponential backoff."""

    def __init__(
        self,
        settings: HttpSettings,
        spec: InputSpec,
        n_classes: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        host = urlsplit(settings.url).hostname or ""
        if host not in settings.allowed_hosts:
            raise ModelLoadError(
                f"endpoint host {host!r} is not in allowed_hosts {list(settings.allowed_hosts)}"
            )
        if PLACEHOLDER not in settings.request_template:
            raise ModelLoadError(f"request_template must contain the string {PLACEHOLDER!r}")
        try:
            self._template = json.loads(settings.request_template)
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"request_template is not JSON: {exc.msg}") from None
        headers = {"Content-Type": "application/json"}
        if settings.auth_env is not None:
            secret = os.environ.get(settings.auth_env)
            if not secret:
                raise ModelLoadError(f"environment variable {settings.auth_env} is not set")
            value = f"{settings.auth_scheme} {secret}" if settings.auth_scheme else secret
            headers[settings.auth_header] = value
        self._s = settings
        self._client = httpx.Client(headers=headers, timeout=settings.timeout_s)
        self._spec = spec
        self._n_classes = n_classes
        self._sleep = sleep
        self._kind = OutputKind.PROBABILITIES
        self.retries = 0
        """How many 429 answers were retried (for reports and tests)."""

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        return self._spec

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return self._n_classes

    @property
    def output_kind(self) -> OutputKind:
        """Labels when the last answer held one value per row."""
        return self._kind

    @property
    def has_gradient(self) -> bool:
        """Never: black-box only."""
        return False

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def predict_proba(self, x: Array) -> Array:
        """Scores per row (one-hot for label answers; zeros for classes a top-k API omits)."""
        self._spec.check(x)
        step = self._s.batch_size
        rows = [self._call(x[i : i + step]) for i in range(0, len(x), step)]
        return np.concatenate(rows, axis=0) if rows else np.zeros((0, self._n_classes))

    def predict(self, x: Array) -> Labels:
        """Arg-max class."""
        return np.asarray(self.predict_proba(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Not available over HTTP."""
        raise EndpointError("an HTTP endpoint gives no gradient; use a black-box attack")

    def _call(self, batch: Array) -> Array:
        body = _fill(self._template, batch.reshape(batch.shape[0], *self._spec.shape).tolist())
        for attempt in range(self._s.max_retries + 1):
            try:
                resp = self._client.post(self._s.url, json=body)
            except httpx.TimeoutException:
                raise EndpointError(f"endpoint timed out after {self._s.timeout_s} s") from None
            except httpx.HTTPError as exc:
                raise EndpointError(f"endpoint unreachable: {type(exc).__name__}") from None
            if resp.status_code == 429:
                if attempt == self._s.max_retries:
                    break
                self.retries += 1
                self._sleep(_retry_after(resp, self._s.backoff_s * 2**attempt))
                continue
            if resp.status_code != 200:
                raise EndpointError(f"endpoint answered HTTP {resp.status_code}")
            return self._parse(resp, batch.shape[0])
        raise EndpointError(f"endpoint still rate-limited after {self._s.max_retries} retries")

    def _parse(self, resp: httpx.Response, n: int) -> Array:
        try:
            out = _lookup(resp.json(), self._s.output_path)
        except (ValueError, KeyError, IndexError, TypeError):
            raise EndpointError(
                f"answer has no JSON value at output_path {self._s.output_path!r}"
            ) from None
        if not isinstance(out, list) or len(out) != n:
            raise EndpointError(f"expected a list of {n} outputs at {self._s.output_path!r}")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in out):
            self._kind = OutputKind.LABELS
            labels = np.asarray(out, dtype=np.int64)
            if labels.min() < 0 or labels.max() >= self._n_classes:
                raise EndpointError(f"label outside 0..{self._n_classes - 1} in the answer")
            return one_hot(labels, self._n_classes)
        scores = np.zeros((n, self._n_classes))
        for i, row in enumerate(out):
            if isinstance(row, dict):  # top-k answers: {"class index": score}
                for k, v in row.items():
                    scores[i, int(k)] = float(v)
            elif isinstance(row, list) and len(row) == self._n_classes:
                scores[i] = np.asarray(row, dtype=np.float64)
            else:
                raise EndpointError(f"output row {i} is not {self._n_classes} scores or a label")
        self._kind = OutputKind.PROBABILITIES
        return scores if looks_like_probabilities(scores) or _sparse(scores) else softmax(scores)


def _sparse(scores: Array) -> bool:
    return bool(np.all(scores >= 0) and np.all(scores.sum(axis=1) <= 1.0 + 1e-3))


def _fill(template: Any, inputs: list[Any]) -> Any:  # noqa: ANN401 - JSON values
    if template == PLACEHOLDER:
        return inputs
    if isinstance(template, dict):
        return {k: _fill(v, inputs) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, inputs) for v in template]
    return template


def _lookup(doc: Any, path: str) -> Any:  # noqa: ANN401 - JSON values
    for part in (p for p in path.removeprefix("$").split(".") if p):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _retry_after(resp: httpx.Response, default: float) -> float:
    try:
        return min(float(resp.headers.get("Retry-After", default)), 30.0)
    except ValueError:
        return default


def post_json(
    url: str,
    body: object,
    *,
    auth_env: str | None,
    auth_header: str = "Authorization",
    auth_scheme: str = "Bearer",
    timeout_s: float = 10.0,
    max_retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> object:
    """POST one JSON body to a declared endpoint and return the parsed JSON answer."""
    headers = {"Content-Type": "application/json"}
    if auth_env is not None:
        secret = os.environ.get(auth_env)
        if not secret:
            raise ModelLoadError(f"environment variable {auth_env} is not set")
        headers[auth_header] = f"{auth_scheme} {secret}" if auth_scheme else secret
    with httpx.Client(headers=headers, timeout=timeout_s) as client:
        for attempt in range(max_retries + 1):
            try:
                resp = client.post(url, json=body)
            except httpx.TimeoutException:
                raise EndpointError(f"endpoint timed out after {timeout_s} s") from None
            except httpx.HTTPError as exc:
                raise EndpointError(f"endpoint unreachable: {type(exc).__name__}") from None
            if resp.status_code == 429 and attempt < max_retries:
                sleep(_retry_after(resp, 0.5 * 2**attempt))
                continue
            if resp.status_code != 200:
                raise EndpointError(f"endpoint answered HTTP {resp.status_code}")
            try:
                return resp.json()
            except ValueError:
                raise EndpointError("endpoint answer is not JSON") from None
    raise EndpointError(f"endpoint still rate-limited after {max_retries} retries")
