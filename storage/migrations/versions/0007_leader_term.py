"""Fencing the reminder leader, and dropping dead messages.

`leader_term` holds one counter per leadership (the reminder service's: "reminders"),
incremented atomically by each process that becomes the leader; `outbox.claimed_term`
records the term of a claim, so a leader that hung (SIGSTOP, a frozen VM) and resumed
after a follower took over sends nothing it had claimed. `outbox.status` gains
"dropped": a dead message an admin gave up on (`python -m bot outbox drop ID`), kept so
that an occasion planned again does not queue it a second time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "'pending', 'sending', 'sent', 'failed', 'dead', 'undeliverable'"
NEW_STATUSES = f"{OLD_STATUSES}, 'dropped'"


def _status_check(statuses: str) -> None:
    """Replace the outbox's status CHECK (SQLite rebuilds the table in batch mode)."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("ck_outbox_status", type_="check")
        batch.create_check_constraint("ck_outbox_status", sa.text(f"status IN ({statuses})"))


def upgrade() -> None:
    op.create_table(
        "leader_term",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leader_term"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("claimed_term", sa.Integer(), nullable=False, server_default="0")
        )
    _status_check(NEW_STATUSES)


def downgrade() -> None:
    op.execute(sa.text("UPDATE outbox SET status = 'dead' WHERE status = 'dropped'"))
    _status_check(OLD_STATUSES)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_term")
    op.drop_table("leader_term")
