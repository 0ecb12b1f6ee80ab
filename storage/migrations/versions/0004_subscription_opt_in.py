"""Reminder subscription is opt-in: members get general reminders after `/nhacnho bat`.

Leaders are reminded of their own unit's tasks whatever this says; `subscribed` only
adds the general deadline reminders for anyone who asked for them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE member SET subscribed = false"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE member SET subscribed = true"))
