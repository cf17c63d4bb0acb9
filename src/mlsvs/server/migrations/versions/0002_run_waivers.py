"""Waivers with their expiry per run (results schema 1.3 carries them).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "run_waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("waiver", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requirement", sa.String(length=32), nullable=False),
        sa.Column("check_id", sa.String(length=32), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_waivers", schema=None) as batch_op:
        batch_op.create_index("ix_run_waivers_run", ["run_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("run_waivers", schema=None) as batch_op:
        batch_op.drop_index("ix_run_waivers_run")
    op.drop_table("run_waivers")
