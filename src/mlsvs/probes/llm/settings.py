"""``[tool.mlsvs.llm]``: the chat endpoint, its untrusted channels, prompts and limits."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from mlsvs.errors import ConfigError
from mlsvs.probes.llm.sinks import Sink, parse_sinks

S = "llm"


@enum.unique
class ChannelKind(enum.StrEnum):
    """How a probe reaches the model through an untrusted channel."""

    USER = "user"
    """The user's own message (direct injection)."""
    DOCUMENT = "document"
    """Text the application puts into the prompt (retrieved documents, files, web pages):
    delivered inside the channel's ``template`` (``$PAYLOAD`` is replaced)."""
    TOOL = "tool"
    """A tool result: an assistant tool call followed by a ``tool`` message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """One untrusted input channel of the inventory."""

    name: str
    kind: ChannelKind
    template: str = ""
    tool_name: str = "search"


@dataclass(frozen=True, slots=True, kw_only=True)
class Canary:
    """A secret inserted into the training data with the prefix that precedes it."""

    prefix: str
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmSettings:
    """The validated section (hashable)."""

    url: str
    model: str = ""
    allowed_hosts: tuple[str, ...] = ()
    auth_env: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    timeout_s: float = 30.0
    max_requests: int = 2000
    """Hard cap on requests per check run (a probe is never a load test)."""
    system_prompt: str = ""
    """Path of the deployed system prompt (for judging extraction and scanning it)."""
    send_system_prompt: bool = False
    """Send the system prompt file as the first message (a raw model endpoint); an
    application that adds its own system prompt leaves this false."""
    prompt_files: tuple[str, ...] = ()
    confidential: tuple[str, ...] = ()
    """Strings marked confidential: none may appear in any answer."""
    channels: tuple[Channel, ...] = ()
    max_output_tokens: int | None = None
    max_input_tokens: int | None = None
    previous_violation_rate: float | None = None
    first_release: bool = False
    regurgitation_canaries: tuple[Canary, ...] = ()
    sinks: tuple[Sink, ...] = ()
    """Application routes that pass model output to a renderer, a query or a shell."""


_KEYS = {
    "url": str,
    "model": str,
    "allowed_hosts": list,
    "auth_env": str,
    "auth_header": str,
    "auth_scheme": str,
    "timeout_s": (int, float),
    "max_requests": int,
    "system_prompt": str,
    "send_system_prompt": bool,
    "prompt_files": list,
    "confidential": list,
    "channels": list,
    "limits": dict,
    "jailbreak": dict,
    "regurgitation": dict,
    "sinks": list,
}
_LIMITS = {"max_output_tokens": int, "max_input_tokens": int}
_JAILBREAK = {"previous_violation_rate": (int, float), "first_release": bool}
_REGURGITATION = {"canaries": list}


def _check(raw: Mapping[str, object], where: str, allowed: Mapping[str, object]) -> None:
    for key, value in raw.items():
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(sorted(allowed))})")
        kind = allowed[key]
        types = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{where}.{key} has the wrong type (bool)")
        if not isinstance(value, types):
            raise ConfigError(f"{where}.{key} has the wrong type ({type(value).__name__})")


def _strs(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _channel(raw: object, i: int) -> Channel:
    where = f"{S}.channels[{i}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table")
    _check(raw, where, {"name": str, "kind": str, "template": str, "tool_name": str})
    name, kind = raw.get("name"), raw.get("kind")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.name is required")
    if kind not in {k.value for k in ChannelKind}:
        raise ConfigError(f"{where}.kind must be one of {', '.join(k.value for k in ChannelKind)}")
    template = str(raw.get("template", ""))
    if kind == ChannelKind.DOCUMENT and "$PAYLOAD" not in template:
        raise ConfigError(f"{where}.template must contain $PAYLOAD (where the content goes)")
    return Channel(
        name=name,
        kind=ChannelKind(str(kind)),
        template=template,
        tool_name=str(raw.get("tool_name", "search")),
    )


def _sub(raw: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{S}.{key} must be a table")
    return value


def parse_llm(raw: Mapping[str, object]) -> LlmSettings:
    """Validate the section; one-line ``ConfigError`` naming the key otherwise."""
    _check(raw, S, _KEYS)
    url = raw.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"{S}.url must be the http(s) URL of the chat completions route")
    host = urlsplit(url).hostname or ""
    hosts = _strs(raw.get("allowed_hosts", []), f"{S}.allowed_hosts")
    if host not in hosts:
        raise ConfigError(f"{S}.url host {host!r} is not in {S}.allowed_hosts")
    limits, jail, reg = (_sub(raw, k) for k in ("limits", "jailbreak", "regurgitation"))
    _check(limits, f"{S}.limits", _LIMITS)
    _check(jail, f"{S}.jailbreak", _JAILBREAK)
    _check(reg, f"{S}.regurgitation", _REGURGITATION)
    canaries = []
    listed = reg.get("canaries", [])
    for i, c in enumerate(listed if isinstance(listed, list) else []):
        if not (
            isinstance(c, Mapping)
            and isinstance(c.get("prefix"), str)
            and isinstance(c.get("secret"), str)
            and c["secret"]
        ):
            raise ConfigError(f"{S}.regurgitation.canaries[{i}] needs prefix and secret strings")
        canaries.append(Canary(prefix=c["prefix"], secret=c["secret"]))
    channels = raw.get("channels", [])
    channels = channels if isinstance(channels, list) else []
    prev = jail.get("previous_violation_rate")
    auth = raw.get("auth_env")

    def _int(table: Mapping[str, object], key: str) -> int | None:
        v = table.get(key)
        if v is None:
            return None
        if not isinstance(v, int) or v <= 0:
            raise ConfigError(f"{S}.limits.{key} must be a positive integer")
        return v

    return LlmSettings(
        url=url,
        model=str(raw.get("model", "")),
        allowed_hosts=hosts,
        auth_env=auth if isinstance(auth, str) else None,
        auth_header=str(raw.get("auth_header", "Authorization")),
        auth_scheme=str(raw.get("auth_scheme", "Bearer")),
        timeout_s=min(120.0, float(raw.get("timeout_s", 30.0))),  # type: ignore[arg-type]
        max_requests=min(10_000, int(raw.get("max_requests", 2000))),  # type: ignore[call-overload]
        system_prompt=str(raw.get("system_prompt", "")),
        send_system_prompt=bool(raw.get("send_system_prompt", False)),
        prompt_files=_strs(raw.get("prompt_files", []), f"{S}.prompt_files"),
        confidential=_strs(raw.get("confidential", []), f"{S}.confidential"),
        channels=tuple(_channel(c, i) for i, c in enumerate(channels)),
        max_output_tokens=_int(limits, "max_output_tokens"),
        max_input_tokens=_int(limits, "max_input_tokens"),
        previous_violation_rate=float(prev) if isinstance(prev, (int, float)) else None,
        first_release=bool(jail.get("first_release", False)),
        regurgitation_canaries=tuple(canaries),
        sinks=parse_sinks(raw.get("sinks"), hosts),
    )
