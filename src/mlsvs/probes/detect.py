"""Pure detectors of what a response gives away: tracebacks, banners, paths, internals, scores."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.probes.redact import excerpt_around

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.probes.types import Exchange


@enum.unique
class LeakKind(enum.StrEnum):
    """What kind of internal detail a response revealed."""

    TRACEBACK = "traceback"
    EXCEPTION = "exception class"
    FILE_PATH = "file path"
    BANNER = "framework banner"
    VERSION_HEADER = "version header"
    DEBUG_FIELD = "debug field"
    MODEL_INTERNALS = "model internals"
    UNEXPECTED_FIELD = "unexpected field"
    SCORE_VECTOR = "score vector"
    PRECISION = "high-precision score"
    CREDENTIAL_ECHO = "credential reflected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Leak:
    """One detail found in one response."""

    kind: LeakKind
    detail: str
    excerpt: str = ""
    in_header: bool = False


_TRACEBACKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
    r"^\s+at [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)|Exception in thread \"|"
    r"goroutine \d+ \[running\]|at [\w.<>]+ \(/[^)]+:\d+:\d+\)",
    re.MULTILINE,
)
_EXCEPTION = re.compile(
    r"\b(?:[A-Z][A-Za-z0-9_]*(?:Error|Exception)|KeyboardInterrupt|StopIteration)\b"
)
_PATH_ROOTS = (
    r"(?:home|usr|opt|srv|app|var|tmp|root|Users|workspace|workspaces|mnt|data|models|etc|proc"
    r"|code|src|site-packages|dist-packages)"
)
_FILE_PATH = re.compile(
    rf"(?<![\w/.:-])/{_PATH_ROOTS}/[^\s\"'<>,;)]+|\b[A-Za-z]:\\[^\s\"'<>,;]+|"
    r"\b[\w.-]+\.(?:py|pyc|pkl|pickle|joblib|skops|onnx|pt|pth|ckpt|safetensors|h5|keras|gguf|bin)\b"
)
_FRAMEWORKS = re.compile(
    r"uvicorn|werkzeug|gunicorn|hypercorn|daphne|tornado|waitress|cherrypy|aiohttp|"
    r"BaseHTTP|SimpleHTTP|Python/\d|CPython|Jetty|Kestrel|Express|Flask|Django|FastAPI|Starlette|"
    r"(?:nginx|Apache|Microsoft-IIS|openresty|envoy|Caddy)/\d",
    re.IGNORECASE,
)
_VERSION = re.compile(r"/\s*v?\d+(?:\.\d+)+|\b\d+\.\d+\.\d+\b")
_ESTIMATOR = re.compile(
    r"\b[A-Z][A-Za-z0-9]*(?:Classifier|Regressor|Regression|Estimator|Pipeline|Booster|SVC|SVR|"
    r"Transformer|ForCausalLM|ForSequenceClassification)\b"
)
_DEBUG_KEYS = frozenset(
    [
        "debug",
        "trace",
        "traceback",
        "stack",
        "stacktrace",
        "exception",
        "internal",
        "internals",
        "modelpath",
        "modelfile",
        "modeluri",
        "modelclass",
        "modelrepr",
        "artifactpath",
        "checkpoint",
        "weightspath",
        "weightsfile",
        "filename",
        "file",
        "path",
        "estimator",
        "hostname",
        "pid",
        "pythonversion",
        "frameworkversion",
        "sklearnversion",
        "torchversion",
        "environment",
        "env",
        "config",
        "hyperparameters",
        "params",
        "coef",
        "coefficients",
        "intercept",
        "featureimportances",
        "weights",
    ]
)
_SCORE_KEYS = frozenset(
    [
        "probabilities",
        "probability",
        "probs",
        "proba",
        "predictproba",
        "scores",
        "logits",
        "confidences",
        "distribution",
        "classprobabilities",
        "allscores",
        "softmax",
    ]
)


def error_leaks(exchange: Exchange) -> tuple[Leak, ...]:
    """Tracebacks, exception names, file paths and banners in a response (headers and body)."""
    leaks: list[Leak] = []
    body = exchange.body
    for kind, pattern in (
        (LeakKind.TRACEBACK, _TRACEBACKS),
        (LeakKind.EXCEPTION, _EXCEPTION),
        (LeakKind.FILE_PATH, _FILE_PATH),
    ):
        match = pattern.search(body)
        if match is not None:
            leaks.append(
                Leak(
                    kind=kind,
                    detail=match.group(0)[:80],
                    excerpt=excerpt_around(body, match.start()),
                )
            )
    banner = _FRAMEWORKS.search(body)
    if banner is not None and exchange.status is not None and exchange.status >= 400:
        leaks.append(
            Leak(
                kind=LeakKind.BANNER,
                detail=banner.group(0),
                excerpt=excerpt_around(body, banner.start()),
            )
        )
    for name in ("server", "x-powered-by", "x-aspnet-version", "x-runtime-version"):
        value = exchange.header(name)
        if not value:
            continue
        if name != "server" or _FRAMEWORKS.search(value) or _VERSION.search(value):
            kind = LeakKind.VERSION_HEADER if _VERSION.search(value) else LeakKind.BANNER
            leaks.append(Leak(kind=kind, detail=f"{name}: {value}"[:80], in_header=True))
    return tuple(leaks)


class RawFloat(float):
    """A float that remembers how it was written (to count its decimals)."""

    raw: str

    def __new__(cls, text: str) -> RawFloat:
        value = super().__new__(cls, text)
        value.raw = text
        return value


def decimals(raw: str) -> int:
    """Digits after the decimal point of a JSON number, exponent included (``1.5e-3`` → 4)."""
    mantissa, _, exponent = raw.lower().partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    shift = int(exponent) if exponent.lstrip("+-").isdigit() else 0
    return max(0, places - shift)


def parse_json(text: str) -> object | None:
    """The body as JSON (floats as ``RawFloat``), or None when it is not JSON."""
    try:
        value: object = json.loads(text, parse_float=RawFloat)
    except (ValueError, RecursionError):
        return None
    return value


def _walk(value: object, path: str = "") -> Iterator[tuple[str, object]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, f"{path}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value[:1000]):
            yield from _walk(child, f"{path}/{index}")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def internals_leaks(body: str, expected_fields: tuple[str, ...]) -> tuple[Leak, ...]:
    """Debug fields, internal model names and file paths in a successful response."""
    document = parse_json(body)
    leaks: list[Leak] = []
    expected = {_norm(f) for f in expected_fields}
    for path, value in _walk(document):
        key = path.rsplit("/", 1)[-1]
        if key and not key.isdigit():
            if _norm(key) in _DEBUG_KEYS and _norm(key) not in expected:
                leaks.append(
                    Leak(kind=LeakKind.DEBUG_FIELD, detail=path, excerpt=f"{path}: {value!s}"[:200])
                )
            elif expected and _norm(key) not in expected:
                leaks.append(Leak(kind=LeakKind.UNEXPECTED_FIELD, detail=path))
        if isinstance(value, str):
            for kind, pattern in (
                (LeakKind.FILE_PATH, _FILE_PATH),
                (LeakKind.MODEL_INTERNALS, _ESTIMATOR),
            ):
                match = pattern.search(value)
                if match is not None:
                    leaks.append(Leak(kind=kind, detail=f"{path}: {match.group(0)}"[:120]))
    if document is None:
        for kind, pattern in (
            (LeakKind.FILE_PATH, _FILE_PATH),
            (LeakKind.MODEL_INTERNALS, _ESTIMATOR),
        ):
            match = pattern.search(body)
            if match is not None:
                leaks.append(
                    Leak(
                        kind=kind,
                        detail=match.group(0)[:120],
                        excerpt=excerpt_around(body, match.start()),
                    )
                )
    return tuple(_unique(leaks))


def _numbers(value: object) -> list[float] | None:
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list) or len(items) < 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        return None
    return [float(v) for v in items]


def score_leaks(body: str, *, max_decimals: int, allow_vector: bool) -> tuple[Leak, ...]:
    """Full score vectors and scores with more decimals than ``max_decimals``."""
    document = parse_json(body)
    leaks: list[Leak] = []
    for path, value in _walk(document):
        key = _norm(path.rsplit("/", 1)[-1])
        numbers = _numbers(value)
        if numbers is not None and not allow_vector:
            named = key in _SCORE_KEYS
            distribution = all(0.0 <= n <= 1.0 for n in numbers) and abs(sum(numbers) - 1.0) < 0.02
            if named or distribution:
                shown = json.dumps([round(n, 6) for n in numbers[:6]])
                leaks.append(
                    Leak(
                        kind=LeakKind.SCORE_VECTOR,
                        detail=f"{path or '/'}: {len(numbers)} scores {shown}"[:160],
                    )
                )
        if isinstance(value, RawFloat) and decimals(value.raw) > max_decimals:
            leaks.append(Leak(kind=LeakKind.PRECISION, detail=f"{path or '/'}: {value.raw[:40]}"))
    return tuple(_unique(leaks))


def _unique(leaks: list[Leak]) -> list[Leak]:
    seen: set[tuple[LeakKind, str]] = set()
    out: list[Leak] = []
    for leak in leaks:
        if (leak.kind, leak.detail) not in seen:
            seen.add((leak.kind, leak.detail))
            out.append(leak)
    return out
