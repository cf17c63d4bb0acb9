"""Kill-switch drill (MLSVS M10.3.1): toggle the declared safe mode, time the switch-over.

The drill changes the service's state, so it runs only with ``--allow drill`` (point it at
staging or a canary). Steps: the inference answer must not be
the fallback yet; an activation without credentials must be refused; the authorised activation
is timed until ``consecutive`` answers in a row are the fallback; the switch is then turned off
again and the normal answer must come back. Every wait is bounded by ``drill_max_s``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mlsvs.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One admin request (activate / deactivate)."""

    method: str
    url: str
    body: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class KillSwitch:
    """The validated section."""

    activate: Action
    deactivate: Action
    fallback_field: str
    """Dotted path in the inference answer (JSON) that marks the fallback."""
    fallback_value: str
    auth_env: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    poll_interval_s: float = 1.0
    consecutive: int = 5
    drill_max_s: float = 120.0


def _action(raw: object, where: str) -> Action:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table with method, url and optional body")
    method, url, body = raw.get("method", "POST"), raw.get("url"), raw.get("body", "")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"{where}.url must be an http(s) URL")
    if not isinstance(method, str) or method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
        raise ConfigError(f"{where}.method must be POST, PUT, PATCH or DELETE")
    if not isinstance(body, str):
        raise ConfigError(f"{where}.body must be a string (JSON)")
    return Action(method=method.upper(), url=url, body=body)


def parse_kill_switch(raw: Mapping[str, object]) -> KillSwitch:
    """Validate ``[tool.mlsvs.kill_switch]``."""
    known = {
        "drill",
        "endpoint",
        "activate",
        "deactivate",
        "fallback",
        "auth_env",
        "auth_header",
        "auth_scheme",
        "poll_interval_s",
        "consecutive",
        "drill_max_s",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"kill_switch.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})"
        )
    fb = raw.get("fallback")
    if not isinstance(fb, Mapping) or not isinstance(fb.get("field"), str) or "value" not in fb:
        raise ConfigError("kill_switch.fallback needs field (dotted JSON path) and value")
    auth = raw.get("auth_env")
    poll = raw.get("poll_interval_s", 1.0)
    cap = raw.get("drill_max_s", 120.0)
    n = raw.get("consecutive", 5)
    if not isinstance(poll, (int, float)) or not 0.05 <= poll <= 30:
        raise ConfigError("kill_switch.poll_interval_s must be between 0.05 and 30")
    if not isinstance(cap, (int, float)) or not 1 <= cap <= 1800:
        raise ConfigError("kill_switch.drill_max_s must be between 1 and 1800")
    if not isinstance(n, int) or not 1 <= n <= 100:
        raise ConfigError("kill_switch.consecutive must be between 1 and 100")
    return KillSwitch(
        activate=_action(raw.get("activate"), "kill_switch.activate"),
        deactivate=_action(raw.get("deactivate"), "kill_switch.deactivate"),
        fallback_field=str(fb["field"]),
        fallback_value=str(fb["value"]),
        auth_env=auth if isinstance(auth, str) else None,
        auth_header=str(raw.get("auth_header", "Authorization")),
        auth_scheme=str(raw.get("auth_scheme", "Bearer")),
        poll_interval_s=float(poll),
        consecutive=n,
        drill_max_s=float(cap),
    )


def lookup(doc: object, path: str) -> object:
    """``a.b.0.c`` in a JSON document (None when absent)."""
    node: Any = doc
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


@dataclass(frozen=True, slots=True, kw_only=True)
class Drill:
    """What the drill observed."""

    ok: bool | None
    message: str
    switch_s: float | None = None


def run_drill(
    ks: KillSwitch,
    infer: Callable[[], tuple[int, object]],
    admin: Callable[[Action, bool], int],
    *,
    max_switch_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Drill:
    """The drill (pure over the two callables): ``infer() -> (status, JSON)``,
    ``admin(action, with_credential) -> status``."""

    def is_fallback() -> bool | None:
        status, doc = infer()
        if not 200 <= status < 300:
            return None
        return str(lookup(doc, ks.fallback_field)) == ks.fallback_value

    before = is_fallback()
    if before is None:
        return Drill(ok=None, message="the inference endpoint did not answer before the drill")
    if before:
        return Drill(
            ok=None, message="the endpoint already answers with the fallback: nothing to time"
        )
    anonymous = admin(ks.activate, False)
    if 200 <= anonymous < 300:
        admin(ks.deactivate, True)
        return Drill(
            ok=False,
            message=f"the kill switch accepted an unauthenticated activation ({anonymous})",
        )
    status = admin(ks.activate, True)
    if not 200 <= status < 300:
        return Drill(ok=None, message=f"the authorised activation was refused ({status})")
    start = clock()
    streak, first = 0, None
    try:
        while clock() - start <= ks.drill_max_s:
            state = is_fallback()
            if state:
                first = clock() if streak == 0 else first
                streak += 1
                if streak >= ks.consecutive:
                    break
            else:
                streak = 0
            sleep(ks.poll_interval_s)
    finally:
        admin(ks.deactivate, True)
    restored = _restored(ks, is_fallback, clock, sleep)
    if streak < ks.consecutive or first is None:
        waited = clock() - start
        if waited >= max_switch_s:
            return Drill(ok=False, message=f"traffic was not on the fallback after {waited:.1f} s")
        return Drill(
            ok=None,
            message=f"no switch-over within the drill's {ks.drill_max_s:g} s cap "
            f"(shorter than the limit {max_switch_s:g} s)",
        )
    took = first - start
    tail = "" if restored else "; WARNING: the normal answer did not come back after deactivation"
    if took > max_switch_s:
        return Drill(
            ok=False,
            switch_s=took,
            message=f"switch-over took {took:.1f} s > {max_switch_s:g} s{tail}",
        )
    return Drill(
        ok=restored,
        switch_s=took,
        message=f"switch-over in {took:.2f} s ({ks.consecutive} fallback answers in a row) "
        f"<= {max_switch_s:g} s; unauthenticated activation refused ({anonymous}){tail}",
    )


def _restored(
    ks: KillSwitch,
    is_fallback: Callable[[], bool | None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    start = clock()
    while clock() - start <= ks.drill_max_s:
        if is_fallback() is False:
            return True
        sleep(ks.poll_interval_s)
    return False


def http_callables(
    ks: KillSwitch, url: str, body: str, headers: Mapping[str, str], timeout_s: float = 5.0
) -> tuple[Callable[[], tuple[int, object]], Callable[[Action, bool], int], Callable[[], None]]:
    """``infer``, ``admin`` and ``close`` over httpx (no redirects)."""
    import httpx

    client = httpx.Client(timeout=timeout_s, follow_redirects=False)
    cred: dict[str, str] = {}
    if ks.auth_env:
        secret = os.environ.get(ks.auth_env)
        if not secret:
            raise ConfigError(f"environment variable {ks.auth_env} is not set")
        cred[ks.auth_header] = f"{ks.auth_scheme} {secret}" if ks.auth_scheme else secret

    def infer() -> tuple[int, object]:
        try:
            r = client.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
            return r.status_code, r.json()
        except (httpx.HTTPError, ValueError):
            return 0, None

    def admin(action: Action, with_credential: bool) -> int:
        h = {"Content-Type": "application/json", **(cred if with_credential else {})}
        try:
            return client.request(
                action.method, action.url, content=action.body or None, headers=h
            ).status_code
        except httpx.HTTPError:
            return 0

    return infer, admin, client.close


def parse_body(template: str) -> str:
    """The endpoint's request template, checked to be JSON."""
    try:
        json.loads(template)
    except json.JSONDecodeError:
        raise ConfigError("the kill-switch endpoint needs a JSON request_template") from None
    return template
