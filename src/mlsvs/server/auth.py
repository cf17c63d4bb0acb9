"""Who is asking and may they: session cookies (pages) or bearer tokens (API), CSRF, roles.

Every route depends on exactly one ``Need``: the route × role matrix test finds it in the
app's route table, so a route without a declared permission cannot be added unnoticed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request  # noqa: TC002 - FastAPI reads the annotation at runtime

from mlsvs.server.roles import Permission, Role, Scope, allowed, token_allows

if TYPE_CHECKING:
    from sqlalchemy import Engine, Executable
    from sqlalchemy.orm import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated caller (``via`` is ``session`` or ``token``)."""

    user_id: int
    username: str
    role: Role
    via: str
    scopes: frozenset[Scope] = frozenset()

    def may(self, permission: Permission) -> bool:
        """Role grant, narrowed by the token's scopes for token callers."""
        if not allowed(self.role, permission):
            return False
        return self.via != "token" or token_allows(self.scopes, permission)


class AuthError(Exception):
    """Raised by ``Need``: 401 (not logged in) or 403 (refused); pages redirect on 401."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@functools.cache
def _token_lookup() -> Executable:
    """The token query, built once (SQLAlchemy's compiled cache then serves every request)."""
    from sqlalchemy import bindparam, select

    from mlsvs.server.models import ApiToken, User

    return (
        select(ApiToken.revoked, ApiToken.scopes, User.id, User.username, User.role, User.disabled)
        .join(User, User.id == ApiToken.owner_id)
        .where(ApiToken.token_hash == bindparam("digest"))
    )


def _from_token(engine: Engine, header: str) -> Principal:
    """The token's owner, read on every request: no cache, so revoking a token or disabling
    its owner takes effect on the next request in every server process."""
    from mlsvs.server.security import token_digest

    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "Authorization must be 'Bearer TOKEN'")
    # A Core connection, not an ORM session: one indexed SELECT, the API's hot path.
    with engine.connect() as connection:
        row = connection.execute(_token_lookup(), {"digest": token_digest(token.strip())}).first()
    if row is None or row.revoked or row.disabled:
        raise AuthError(401, "invalid or revoked API token")
    scopes = frozenset(Scope(s) for s in row.scopes.split(",") if s)
    return Principal(
        user_id=row.id, username=row.username, role=Role(row.role), via="token", scopes=scopes
    )


def _from_session(session: Session, request: Request) -> Principal | None:
    from mlsvs.server.models import User

    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or user.disabled or request.session.get("pw") != user.password_hash[-16:]:
        request.session.clear()
        return None
    return Principal(user_id=user.id, username=user.username, role=Role(user.role), via="session")


async def check_csrf(request: Request) -> None:
    """Unsafe requests authenticated by cookie carry the session's CSRF token."""
    from mlsvs.server.security import csrf_matches

    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not csrf_matches(expected, given):
        raise AuthError(403, "missing or wrong CSRF token (reload the page)")


class Need:
    """FastAPI dependency: the caller must hold ``permission``; returns the ``Principal``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal | None:
        """Authenticate, authorise, and check CSRF for cookie-authenticated unsafe requests."""
        if self.permission is Permission.PUBLIC:
            if request.method not in SAFE_METHODS and "uid" in request.session:
                await check_csrf(request)
            return None
        header = request.headers.get("authorization")
        if header:
            principal: Principal | None = _from_token(request.app.state.engine, header)
        else:
            with request.app.state.sessions() as session:
                principal = _from_session(session, request)
        if principal is None:
            raise AuthError(401, "log in first")
        if not principal.may(self.permission):
            raise AuthError(403, f"{principal.role} may not {self.permission}")
        if principal.via == "session" and request.method not in SAFE_METHODS:
            await check_csrf(request)
        return principal
