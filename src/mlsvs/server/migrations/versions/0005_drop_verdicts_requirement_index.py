"""Drop ``ix_verdicts_requirement``: the requirement history reads the primary key instead.

A requirement's history is one system's runs (``ix_runs_system_finished``) joined to the
verdicts primary key ``(run_id, requirement)``: a point lookup per run. The
``(requirement, run_id)`` index served that query no better, and every upload dirtied one of
its leaf pages per verdict (≈ 200 scattered pages per run at 10,000 runs): ≈ 3 ms of the
server's CPU per upload on SQLite at that size, and the same write amplification on
PostgreSQL.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.drop_index("ix_verdicts_requirement", table_name="verdicts")


def downgrade() -> None:
    """Revert."""
    op.create_index("ix_verdicts_requirement", "verdicts", ["requirement", "run_id"])
