"""Roles, API-token scopes and what each may do (the authorization policy, pure data)."""

from __future__ import annotations

import enum


@enum.unique
class Role(enum.StrEnum):
    """A user's role; each includes the permissions of the ones below it except where noted."""

    ADMIN = "admin"
    AUDITOR = "auditor"
    ENGINEER = "engineer"
    VIEWER = "viewer"


@enum.unique
class Scope(enum.StrEnum):
    """What an API token may do (tokens never log in to the pages)."""

    INGEST = "ingest"
    """Upload results documents."""
    READ = "read"
    """Read systems, runs, diffs and the standard through the JSON API."""


@enum.unique
class Permission(enum.StrEnum):
    """One capability a route needs."""

    PUBLIC = "public"
    """No login (login page, health, the OpenAPI document)."""
    READ = "read"
    INGEST = "ingest"
    ASSESS = "assess"
    """Open an assessment, record verdicts and evidence."""
    SIGN_OFF = "sign_off"
    """Sign an assessment off (never one's own entries: four-eyes)."""
    ADMIN = "admin"
    """Users, tokens, audit log."""


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.AUDITOR: frozenset(
        {Permission.PUBLIC, Permission.READ, Permission.ASSESS, Permission.SIGN_OFF}
    ),
    Role.ENGINEER: frozenset({Permission.PUBLIC, Permission.READ, Permission.INGEST}),
    Role.VIEWER: frozenset({Permission.PUBLIC, Permission.READ}),
}

SCOPE_GRANTS: dict[Scope, frozenset[Permission]] = {
    Scope.INGEST: frozenset({Permission.INGEST}),
    Scope.READ: frozenset({Permission.READ}),
}


def allowed(role: Role, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``."""
    return permission in GRANTS[role]


def token_allows(scopes: frozenset[Scope], permission: Permission) -> bool:
    """Whether a token with ``scopes`` may use a route needing ``permission``."""
    return permission is Permission.PUBLIC or any(permission in SCOPE_GRANTS[s] for s in scopes)
