"""CORS: which hostile origins the probes send, and what a response's CORS headers allow (pure).

A browser lets a page on another origin read a response only when ``Access-Control-Allow-Origin``
names that origin (or ``*``); with ``Access-Control-Allow-Credentials: true`` it also sends the
user's cookies and reads the authenticated answer. Reflecting any Origin with credentials lets
every web page query the model as the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.probes.types import Gravity

if TYPE_CHECKING:
    from mlsvs.probes.types import Exchange

HOSTILE_DOMAIN = "mlsvs-probe.invalid"
"""RFC 2606 reserved: never a real site."""


def hostile_origins(scheme: str, host: str) -> tuple[tuple[str, str], ...]:
    """(label, origin) pairs: an unrelated site, ``null`` (sandboxed frames, files), and
    origins that pass naive prefix / suffix allow-list checks against the endpoint's host."""
    bare = host.strip("[]")
    return (
        ("unrelated origin", f"https://{HOSTILE_DOMAIN}"),
        ("null origin", "null"),
        ("prefix match", f"{scheme}://{bare}.{HOSTILE_DOMAIN}"),
        ("suffix match", f"{scheme}://mlsvs-probe-{bare}"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsGrant:
    """What one response allowed a hostile origin to do."""

    label: str
    origin: str
    allow_origin: str
    credentials: bool
    gravity: Gravity

    def describe(self) -> str:
        """One line for the message."""
        creds = " with credentials" if self.credentials else ""
        return f"{self.label} {self.origin!r} allowed (Allow-Origin: {self.allow_origin}){creds}"


def cors_grant(label: str, origin: str, exchange: Exchange) -> CorsGrant | None:
    """The access ``exchange``'s headers give ``origin``; None when they give none."""
    allow = (exchange.header("access-control-allow-origin") or "").strip()
    if not allow:
        return None
    credentials = (
        exchange.header("access-control-allow-credentials") or ""
    ).strip().lower() == "true"
    if allow == "*":
        # Browsers never send credentials to "*": any page reads unauthenticated answers only.
        return CorsGrant(
            label=label, origin=origin, allow_origin=allow, credentials=False, gravity=Gravity.LOW
        )
    if allow != origin:
        return None
    gravity = Gravity.HIGH if credentials else Gravity.MEDIUM
    return CorsGrant(
        label=label, origin=origin, allow_origin=allow, credentials=credentials, gravity=gravity
    )
