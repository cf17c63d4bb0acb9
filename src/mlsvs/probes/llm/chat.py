"""A bounded client for an OpenAI-compatible ``/v1/chat/completions`` route."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mlsvs.errors import ConfigError

if TYPE_CHECKING:
    from mlsvs.probes.llm.settings import LlmSettings

Message = dict[str, Any]
MAX_ANSWER_CHARS = 200_000


class RequestBudgetError(Exception):
    """The run's request cap is spent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """One exchange: HTTP status, the assistant text and the reported usage."""

    status: int
    """0: no HTTP answer (connection refused, timeout)."""
    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = ""
    elapsed_s: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer with a parsed assistant message."""
        return 200 <= self.status < 300 and not self.error

    @property
    def refused(self) -> bool:
        """The service refused the request (4xx)."""
        return 400 <= self.status < 500


class ChatClient:
    """Sends chat requests to the declared URL only, counting them against ``max_requests``."""

    def __init__(self, settings: LlmSettings) -> None:
        import httpx

        host = urlsplit(settings.url).hostname or ""
        if host not in settings.allowed_hosts:
            raise ConfigError(f"llm.url host {host!r} is not in llm.allowed_hosts")
        headers = {"Content-Type": "application/json"}
        if settings.auth_env:
            secret = os.environ.get(settings.auth_env)
            if not secret:
                raise ConfigError(f"environment variable {settings.auth_env} is not set")
            scheme = f"{settings.auth_scheme} " if settings.auth_scheme else ""
            headers[settings.auth_header] = scheme + secret
        self._s = settings
        self._http = httpx.Client(
            headers=headers, timeout=settings.timeout_s, follow_redirects=False
        )
        self.sent = 0

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Answer:
        """One completion at temperature 0; never raises on HTTP or network errors."""
        import httpx

        if self.sent >= self._s.max_requests:
            raise RequestBudgetError(f"request cap of {self._s.max_requests} reached")
        self.sent += 1
        body: dict[str, Any] = {"messages": messages, "temperature": 0}
        if self._s.model:
            body["model"] = self._s.model
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        body.update(extra or {})
        start = time.monotonic()
        try:
            resp = self._http.post(self._s.url, json=body)
        except httpx.HTTPError as exc:
            return Answer(
                status=0, text="", error=type(exc).__name__, elapsed_s=time.monotonic() - start
            )
        elapsed = time.monotonic() - start
        if not 200 <= resp.status_code < 300:
            return Answer(status=resp.status_code, text=resp.text[:2000], elapsed_s=elapsed)
        try:
            doc = resp.json()
            choice = doc["choices"][0]
            text = choice["message"].get("content") or ""
            usage = doc.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return Answer(
                status=resp.status_code,
                text=resp.text[:2000],
                elapsed_s=elapsed,
                error="not a chat completion",
            )
        return Answer(
            status=resp.status_code,
            text=str(text)[:MAX_ANSWER_CHARS],
            elapsed_s=elapsed,
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
            finish_reason=str(choice.get("finish_reason") or ""),
        )


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None
