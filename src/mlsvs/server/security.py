"""Passwords (argon2id), API tokens (random, stored as SHA-256), CSRF tokens, login throttling."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

TOKEN_PREFIX = "mlsvs_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    """An argon2id hash (argon2-cffi's defaults, RFC 9106 low-memory profile)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time inside argon2)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def burn_password_time(password: str) -> None:
    """Spend a verification's time for an unknown user (no username oracle by timing)."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(_DUMMY[0], password)


def new_api_token() -> str:
    """A fresh token (256 bits of randomness), shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a token (tokens are random, so a plain hash suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    """A per-session CSRF token."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing side never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(slots=True, kw_only=True)
class LoginThrottle:
    """At most ``attempts`` failed logins per key within ``window_s`` seconds (per process)."""

    attempts: int = 5
    window_s: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, key: str, *, now: float | None = None) -> bool:
        """Whether ``key`` (username and client address) must wait."""
        at = time.monotonic() if now is None else now
        with self._lock:
            window = self._failures.get(key)
            if window is None:
                return False
            while window and at - window[0] > self.window_s:
                window.popleft()
            return len(window) >= self.attempts

    def failed(self, key: str, *, now: float | None = None) -> None:
        """Record a failed attempt."""
        at = time.monotonic() if now is None else now
        with self._lock:
            self._failures.setdefault(key, deque()).append(at)

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)
