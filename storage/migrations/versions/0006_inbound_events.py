"""Inbound events taken in, per channel: a repeated webhook or update is handled once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_event",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key", name="pk_inbound_event"),
    )
    op.create_index("ix_inbound_event_received_at", "inbound_event", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_event_received_at", table_name="inbound_event")
    op.drop_table("inbound_event")
