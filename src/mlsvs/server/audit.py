"""The append-only audit log (the database refuses UPDATE and DELETE on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def record(session: Session, actor: str, action: str, target: str = "", detail: str = "") -> None:
    """Append one entry (committed with the caller's transaction)."""
    from mlsvs.server.models import AuditEntry

    session.add(AuditEntry(actor=actor, action=action, target=target[:500], detail=detail[:2000]))
