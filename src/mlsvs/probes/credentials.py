"""Invalid credentials a tester tries: scheme spellings, empty and malformed values, expired and
unsigned JWTs, near-misses of the real key, and the key moved into the query string (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

WRONG_CREDENTIAL = "mlsvs-probe-invalid-credential-7f3a9c"
QUERY_NAMES = ("api_key", "apikey", "key", "token", "access_token")
"""Query parameters servers read credentials from (CWE-598 when they do)."""
SPOOF_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "True-Client-IP", "CF-Connecting-IP")
"""Client-IP headers a rate limiter may trust although any client can set them."""
SPOOF_TRIES = 3
"""Forged requests per header; all must pass (each with a fresh address) to call it a bypass."""


def forged(header: str, index: int) -> str:
    """A TEST-NET-3 address (RFC 5737), in the header's syntax."""
    address = f"203.0.113.{10 + index % 240}"
    return f"for={address}" if header == "Forwarded" else address


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthVariant:
    """One invalid way to authenticate; every one must be refused."""

    name: str
    value: str | None
    """The header value to send (None: send the header without a value, i.e. empty)."""
    derived: bool = False
    """Built from the real credential (its spellings are redacted as the credential)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_json(value: object) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def expired_jwt(now_s: int) -> str:
    """An HS256 JWT that expired an hour ago, signed with a throw-away key."""
    head = _b64url_json({"alg": "HS256", "typ": "JWT"})
    claims = {"sub": "mlsvs-probe", "iat": now_s - 7200, "exp": now_s - 3600}
    body = _b64url_json(claims)
    key = secrets.token_bytes(32)
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(signature)}"


def unsigned_jwt(now_s: int, claims: dict[str, object] | None = None) -> str:
    """A JWT with ``alg: none`` and no signature (CVE-2015-9235 class)."""
    head = _b64url_json({"alg": "none", "typ": "JWT"})
    payload = dict(claims or {"sub": "mlsvs-probe", "role": "admin"})
    payload["exp"] = now_s + 3600
    return f"{head}.{_b64url_json(payload)}."


def jwt_claims(token: str) -> dict[str, object] | None:
    """The claims of a JWT-shaped credential (signature not checked), else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def auth_variants(scheme: str, credential: str | None, now_s: int) -> tuple[AuthVariant, ...]:
    """Every invalid credential to send in the configured header."""
    scheme = scheme.strip()
    prefix = f"{scheme} " if scheme else ""
    variants: list[AuthVariant] = []
    if scheme:
        for name, spelled in (
            ("scheme lower-case", scheme.lower()),
            ("scheme upper-case", scheme.upper()),
        ):
            if spelled != scheme:
                variants.append(AuthVariant(name=name, value=f"{spelled} {WRONG_CREDENTIAL}"))
        variants += [
            AuthVariant(name="double space", value=f"{scheme}  {WRONG_CREDENTIAL}"),
            AuthVariant(name="tab separator", value=f"{scheme}\t{WRONG_CREDENTIAL}"),
            AuthVariant(name="scheme without token", value=scheme),
        ]
        if scheme.lower() != "basic":
            basic = base64.b64encode(b"mlsvs-probe:invalid").decode()
            variants.append(AuthVariant(name="other scheme (Basic)", value=f"Basic {basic}"))
    else:
        variants.append(AuthVariant(name="padded wrong key", value=f"  {WRONG_CREDENTIAL}  "))
    variants += [
        AuthVariant(name="empty value", value=None),
        AuthVariant(name="malformed token", value=f"{prefix}!!mlsvs::probe%%%"),
        AuthVariant(name="expired JWT", value=f"{prefix}{expired_jwt(now_s)}"),
        AuthVariant(name="unsigned JWT (alg none)", value=f"{prefix}{unsigned_jwt(now_s)}"),
    ]
    if credential and len(credential) >= 8:
        variants += _near_misses(prefix, credential, now_s)
    return tuple(variants)


def _near_misses(prefix: str, credential: str, now_s: int) -> list[AuthVariant]:
    """Wrong credentials that share most of the real one: catch prefix, length-only or
    case-insensitive comparisons, and JWTs whose signature or expiry is not checked."""
    last = credential[-1]
    changed = credential[:-1] + ("A" if last != "A" else "B")
    near = [
        AuthVariant(name="truncated credential", value=prefix + credential[: len(credential) // 2]),
        AuthVariant(name="credential with a suffix", value=prefix + credential + "x"),
        AuthVariant(name="credential, last character changed", value=prefix + changed),
    ]
    if credential.swapcase() != credential:
        near.append(
            AuthVariant(name="credential, case swapped", value=prefix + credential.swapcase())
        )
    claims = jwt_claims(credential)
    if claims is not None:
        head, body, _ = credential.split(".")
        expired = dict(claims, exp=now_s - 3600)
        near += [
            AuthVariant(name="credential JWT, signature removed", value=f"{prefix}{head}.{body}."),
            AuthVariant(
                name="credential JWT, alg none", value=prefix + unsigned_jwt(now_s, claims)
            ),
            AuthVariant(
                name="credential JWT, expired claims",
                value=f"{prefix}{head}.{_b64url_json(expired)}.{credential.split('.')[2]}",
            ),
        ]
    return [AuthVariant(name=v.name, value=v.value, derived=True) for v in near]


def derived_secrets(variants: tuple[AuthVariant, ...], scheme: str) -> tuple[str, ...]:
    """The credential-derived tokens (without the scheme) so they are redacted too."""
    prefix = f"{scheme.strip()} " if scheme.strip() else ""
    out: list[str] = []
    for v in variants:
        if v.derived and v.value:
            token = v.value[len(prefix) :] if prefix and v.value.startswith(prefix) else v.value
            out.append(token)
    return tuple(out)


def probe_tokens(variants: tuple[AuthVariant, ...], scheme: str) -> tuple[str, ...]:
    """The invalid tokens the probe made up (redacted and noticed when echoed)."""
    prefix = f"{scheme.strip()} " if scheme.strip() else ""
    made_up = [
        v.value[len(prefix) :]
        for v in variants
        if not v.derived and v.value and v.value.startswith(prefix) and "JWT" in v.name
    ]
    return (WRONG_CREDENTIAL, *made_up)
