"""Provider failures lead to the fail-safe (MLC1039, M5.3.7): the project's own function that
calls the hosted model, run against a mocked provider on 127.0.0.1 that fails, stalls,
refuses and answers garbage.

With ``--allow model-exec`` (the function is the project's code)::

    [failsafe.provider]
    call = "app.triage:classify_ticket"   # module:function, called with `input`
    input = "I was charged twice for my card"
    base_url_env = "OPENAI_BASE_URL"      # how the code finds the provider (set to the mock)
    ok_content = '{"category": "billing"}' # what a healthy provider answers (message content)
    fallback = "needs_human_review"       # the defined fail-safe result (any JSON value)
    timeout_s = 20                        # the longest a caller may wait for the result

The mock answers every POST in the OpenAI chat-completions format (the format most provider
SDKs and gateways speak; other wire formats are not mocked). A control call with
``ok_content`` must return something other than ``fallback``. Then each failure must return
exactly ``fallback`` within ``timeout_s``: HTTP 500, HTTP 429 with ``Retry-After``, HTTP 503,
a response that never comes (the mock holds the connection longer than ``timeout_s``), a
refusal (``refusal`` set, ``finish_reason = "content_filter"``), a truncated JSON body, and
content unlike ``ok_content``. An exception is a crash, another value an invalid result
passed on, a call past ``timeout_s`` a hang: each fails.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Isolation,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

TRAIT = "hosted_model_api"
_KEYS = frozenset({"call", "input", "base_url_env", "ok_content", "fallback", "timeout_s"})
SCENARIOS = (
    "server_error",
    "rate_limited",
    "unavailable",
    "timeout",
    "refusal",
    "truncated",
    "invalid_content",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderDrill:
    """The parsed ``[failsafe.provider]`` table."""

    call: str
    input: object
    base_url_env: str
    ok_content: str
    fallback: object
    timeout_s: float


def parse_provider(section: Mapping[str, object]) -> ProviderDrill:
    """Validate the table; ``ConfigError`` (one line) otherwise."""
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(f"failsafe.provider: unknown key(s) {', '.join(unknown)}")
    call, env, content = section.get("call"), section.get("base_url_env"), section.get("ok_content")
    if not isinstance(call, str) or ":" not in call:
        raise ConfigError("failsafe.provider.call must be 'module:function'")
    if not isinstance(env, str) or not env:
        raise ConfigError("failsafe.provider.base_url_env must name the provider URL variable")
    if not isinstance(content, str) or not content:
        raise ConfigError("failsafe.provider.ok_content must be a healthy answer's content")
    if "fallback" not in section or "input" not in section:
        raise ConfigError("failsafe.provider needs input and fallback")
    timeout = section.get("timeout_s", 20)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("failsafe.provider.timeout_s must be a positive number")
    return ProviderDrill(
        call=call,
        input=section["input"],
        base_url_env=env,
        ok_content=content,
        fallback=section["fallback"],
        timeout_s=float(timeout),
    )


def _completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> Any:  # noqa: ANN401
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return {
        "id": "chatcmpl-mlsvs-mock", "object": "chat.completion", "created": 1764633600,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
    }  # fmt: skip


class MockProvider:
    """A provider on 127.0.0.1 whose next answers follow ``scenario``."""

    def __init__(self, ok_content: str, hold_s: float) -> None:
        self.scenario = "ok"
        self.requests = 0
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            error_message_format = ""
            server_version = "mock-provider"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                owner.requests += 1
                owner.answer(self, ok_content, hold_s)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, h: BaseHTTPRequestHandler, ok_content: str, hold_s: float) -> None:
        """Write the response of the current scenario."""
        status, headers, body = 200, [("Content-Type", "application/json")], b""
        match self.scenario:
            case "ok":
                body = json.dumps(_completion(ok_content)).encode()
            case "server_error":
                status = 500
                body = b'{"error": {"message": "The server had an error", "type": "server_error"}}'
            case "rate_limited":
                status, headers = 429, [*headers, ("Retry-After", "30")]
                body = b'{"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}'
            case "unavailable":
                status = 503
                body = b'{"error": {"message": "overloaded", "type": "overloaded_error"}}'
            case "timeout":
                self._stop.wait(hold_s)  # hold the connection, answer nothing
                return
            case "refusal":
                body = json.dumps(
                    _completion(None, refusal="I can't help with that.", finish="content_filter")
                ).encode()
            case "truncated":
                body = json.dumps(_completion(ok_content)).encode()[:57]
            case "invalid_content":
                body = json.dumps(_completion("Sure! Here is the category you asked")).encode()
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self) -> None:
        """Release held connections and stop."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResult:
    """What one call of the project's function did."""

    value: object = None
    error: str = ""
    hung: bool = False
    seconds: float = 0.0


def call_with_limit(fn: Callable[[object], object], arg: object, limit_s: float) -> CallResult:
    """``fn(arg)`` in a daemon thread; a call past ``limit_s`` is reported hung."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn(arg)
        except BaseException as exc:  # noqa: BLE001 - the project's code may raise anything
            box["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"

    start = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit_s)
    took = time.monotonic() - start
    if thread.is_alive():
        return CallResult(hung=True, seconds=took)
    if "error" in box:
        return CallResult(error=str(box["error"]), seconds=took)
    return CallResult(value=box.get("value"), seconds=took)


def run_provider_drill(drill: ProviderDrill, root: str) -> tuple[CallResult, dict[str, CallResult]]:
    """The control call and one call per failure scenario, against one mock provider."""
    from mlsvs.adapters.models.load import resolve

    mock = MockProvider(drill.ok_content, hold_s=drill.timeout_s + 5)
    saved = {k: os.environ.get(k) for k in (drill.base_url_env, "OPENAI_API_KEY")}
    os.environ[drill.base_url_env] = f"http://127.0.0.1:{mock.port}/v1"
    os.environ.setdefault("OPENAI_API_KEY", "sk-mlsvs-mock-provider")
    try:
        fn = resolve(root, drill.call)
        control = call_with_limit(fn, drill.input, drill.timeout_s)
        results: dict[str, CallResult] = {}
        for scenario in SCENARIOS:
            mock.scenario = scenario
            results[scenario] = call_with_limit(fn, drill.input, drill.timeout_s)
        return control, results
    finally:
        mock.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _show(value: object) -> str:
    try:
        return json.dumps(value)[:80]
    except (TypeError, ValueError):
        return repr(value)[:80]


@check(
    id="MLC1039",
    title="Provider errors, timeouts, refusals and garbage lead to the defined fail-safe",
    requirements=["M5.3.7"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities={Capability.MODEL_EXECUTION},
    isolation=Isolation.PROCESS,
    timeout_s=900.0,
    remediation="Wrap provider calls with a timeout, catch transport errors and refusals, "
    "validate the answer and return the defined fallback (human review, cached rule, safe "
    "default) instead of raising or passing the answer on.",
)
def provider_failures_failsafe(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Call the declared function with a mocked provider per failure scenario; each call must
    return the declared fallback within the time limit."""
    from mlsvs.adapters.models.errors import ModelLoadError

    section = ctx.section("failsafe").get("provider")
    if not isinstance(section, dict) or not section:
        if TRAIT in project.traits:
            yield abstained(
                "no provider fail-safe drill declared ([failsafe.provider] with the calling "
                "function, its fallback and the provider URL variable)"
            )
        else:
            yield abstained("no hosted model API declared")
        return
    try:
        drill = parse_provider(section)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not ctx.granted(Capability.MODEL_EXECUTION):
        yield errored("not verified: calling the project's code needs --allow model-exec")
        return
    try:
        control, results = run_provider_drill(drill, str(project.root))
    except ModelLoadError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if control.error or control.hung or control.value == drill.fallback:
        what = control.error or ("no result in time" if control.hung else "the fallback")
        yield not_verified(
            f"{drill.call} with a healthy provider gives {what}: the fallback cannot be told "
            "apart from an ordinary answer",
            Gap(item=drill.call, reason=GapReason.UNSUPPORTED, detail=what[:300]),
        )
        return
    bad: list[str] = []
    for name, r in results.items():
        if r.hung:
            bad.append(f"{name}: no result within {drill.timeout_s:g} s (hangs)")
        elif r.error:
            bad.append(f"{name}: crashed ({r.error})")
        elif r.value != drill.fallback:
            bad.append(f"{name}: passed on {_show(r.value)} instead of the fallback")
    facts = (
        ("call", drill.call),
        ("fallback", _show(drill.fallback)),
        *((f"scenario.{n}", f"{r.seconds:.2f}s") for n, r in results.items()),
    )
    if bad:
        yield failed(f"{drill.call}: " + "; ".join(bad), facts=facts)
    else:
        yield passed(
            f"{drill.call} returned the fallback {_show(drill.fallback)} for all "
            f"{len(results)} provider failures ({', '.join(results)}) and an ordinary "
            f"answer ({_show(control.value)}) for a healthy provider",
            facts=facts,
        )
