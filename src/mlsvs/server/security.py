"""Passwords (argon2id), API tokens (random, stored as SHA-256), CSRF tokens, login throttling."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker  # noqa: TC004 - annotations only (postponed)

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


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginThrottle:
    """At most ``attempts`` failed logins per key within ``window_s`` seconds, counted in the
    database (table ``login_failures``) so every server process enforces the same limit.

    ``attempt`` records the attempt *before* the password is checked and commits it, then
    counts the key's attempts in the window: two processes racing on the same key both see
    both rows, so no more than ``attempts`` checks can run in a window however many workers
    serve them (counting inside one uncommitted transaction would let each racer see only
    itself). A refused attempt takes its row back out, so the lockout ends ``window_s`` after
    the last counted failure; a successful check clears the key. Keys are stored hashed.
    Times are Unix seconds from the server's clock (several servers on one database must
    agree on the time).
    """

    sessions: sessionmaker[Session]
    attempts: int = 5
    window_s: float = 300.0

    def attempt(self, key: str, *, now: float | None = None) -> bool:
        """Count an attempt for ``key``; False when it must wait (the attempt is not made)."""
        from sqlalchemy import delete, func, insert, select

        from mlsvs.server.models import LoginFailure

        at = time.time() if now is None else now
        hashed = _key_digest(key)
        with self.sessions() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at < at - self.window_s))
            row = session.execute(
                insert(LoginFailure).values(key=hashed, at=at).returning(LoginFailure.id)
            ).scalar_one()
            session.commit()
            counted = session.execute(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.key == hashed, LoginFailure.at >= at - self.window_s)
            ).scalar_one()
            if counted <= self.attempts:
                return True
            session.execute(delete(LoginFailure).where(LoginFailure.id == row))
            session.commit()
            return False

    def succeeded(self, key: str) -> None:
        """Forget the attempts of ``key`` (its credentials were right)."""
        from sqlalchemy import delete

        from mlsvs.server.models import LoginFailure

        with self.sessions() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == _key_digest(key)))
            session.commit()


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
