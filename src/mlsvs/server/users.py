"""Creating users and API tokens (used by the admin pages and ``mlsvs server create-user``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import UsageError
from mlsvs.server.roles import Role, Scope
from mlsvs.server.security import MIN_PASSWORD, hash_password, new_api_token, token_digest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mlsvs.server.models import User

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def check_username(name: str) -> str:
    """A lower-case login name of 1-64 letters, digits and ``._-@``; ``UsageError`` if not."""
    clean = name.strip().lower()
    if not clean or len(clean) > 64 or not set(clean) <= _NAME_CHARS:
        raise UsageError("user name: 1-64 characters of a-z, 0-9, '.', '_', '-', '@'")
    return clean


def create_user(session: Session, username: str, password: str, role: str, *, actor: str) -> User:
    """Add a user (argon2id password hash); ``UsageError`` for a taken name or weak password."""
    from sqlalchemy import select

    from mlsvs.server.audit import record
    from mlsvs.server.models import User

    name = check_username(username)
    try:
        the_role = Role(role)
    except ValueError:
        raise UsageError(f"unknown role {role!r} (known: {', '.join(Role)})") from None
    _check_new_password(password)
    if session.execute(select(User.id).where(User.username == name)).first() is not None:
        raise UsageError(f"user {name!r} exists")
    user = User(username=name, password_hash=hash_password(password), role=the_role.value)
    session.add(user)
    session.flush()
    record(session, actor, "user.create", name, f"role={the_role.value}")
    return user


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"password must have at least {MIN_PASSWORD} characters")


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: ``current`` must verify; ``UsageError`` otherwise.

    Every other session of the user stops authenticating (sessions carry a fingerprint of
    the password hash); the caller rotates the current one.
    """
    from mlsvs.server.audit import record
    from mlsvs.server.security import verify_password

    if not verify_password(user.password_hash, current):
        record(session, user.username, "user.password_change_refused", user.username)
        raise UsageError("the current password is wrong")
    _check_new_password(new)
    if new == current:
        raise UsageError("the new password must differ from the current one")
    user.password_hash = hash_password(new)
    record(session, user.username, "user.password_change", user.username)


def reset_password(session: Session, user: User, new: str, *, actor: str) -> None:
    """An administrator sets ``user``'s password (their sessions stop authenticating)."""
    from mlsvs.server.audit import record

    _check_new_password(new)
    user.password_hash = hash_password(new)
    record(session, actor, "user.password_reset", user.username)


def parse_scopes(text: str) -> frozenset[Scope]:
    """``ingest,read`` -> scopes; ``UsageError`` for an unknown one or none."""
    scopes: set[Scope] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            scopes.add(Scope(part))
        except ValueError:
            raise UsageError(f"unknown scope {part!r} (known: {', '.join(Scope)})") from None
    if not scopes:
        raise UsageError("a token needs at least one scope")
    return frozenset(scopes)


def create_token(
    session: Session, owner: User, name: str, scopes: frozenset[Scope], *, actor: str
) -> str:
    """A new API token for ``owner``; returns the token itself (stored only hashed)."""
    from mlsvs.server.audit import record
    from mlsvs.server.models import ApiToken

    token = new_api_token()
    session.add(
        ApiToken(
            name=name.strip()[:64] or "token",
            token_hash=token_digest(token),
            scopes=",".join(sorted(scopes)),
            owner_id=owner.id,
        )
    )
    record(session, actor, "token.create", owner.username, f"{name} scopes={sorted(scopes)}")
    return token
