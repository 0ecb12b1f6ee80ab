"""Reminders: deadlines, the message outbox and broadcasts.

A deadline is soft-deleted (removed_at) so its reminders' history stays; "one
not-removed row per (document, task_code, due_at)" is kept by the queries, not by a
partial index, so the schema stays the same on SQLite and PostgreSQL. Outbox rows
are unique by `key` (occasion + recipient): INSERT … ON CONFLICT (key) DO NOTHING
makes enqueueing idempotent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    """Return an aware timestamp column (TIMESTAMPTZ on PostgreSQL, text on SQLite)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    """Return the named primary key on `id`."""
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _create_deadline() -> None:
    """Create the deadlines of tasks (from the directive or added by admins)."""
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        _at("due_at"),
        sa.Column("offsets", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _at("created_at"),
        _at("removed_at", nullable=True),
        sa.CheckConstraint("source IN ('document', 'admin')", name="ck_deadline_source"),
        _pk("deadline"),
    )
    op.create_index("ix_deadline_task", "deadline", ["document", "task_code", "due_at"])


def _create_outbox() -> None:
    """Create the outbox: one row per message and recipient, drained by the senders."""
    statuses = "'pending', 'sending', 'sent', 'failed', 'dead', 'undeliverable'"
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("occasion", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        _at("created_at"),
        _at("sent_at", nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        _at("claimed_at", nullable=True),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_outbox_status"),
        sa.CheckConstraint(
            "kind IN ('reminder', 'overdue', 'period', 'broadcast')", name="ck_outbox_kind"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name="fk_outbox_member_id_member", ondelete="SET NULL"
        ),
        _pk("outbox"),
    )
    op.create_index("ix_outbox_key", "outbox", ["key"], unique=True)
    op.create_index("ix_outbox_member_id", "outbox", ["member_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_occasion_status", "outbox", ["occasion", "status"])


def _create_broadcast() -> None:
    """Create the admins' broadcasts (their messages are outbox rows)."""
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("audience", sa.String(length=96), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _at("created_at"),
        sa.Column("total", sa.Integer(), nullable=False),
        _pk("broadcast"),
    )


def upgrade() -> None:
    """Create the reminder tables."""
    _create_deadline()
    _create_outbox()
    _create_broadcast()


def downgrade() -> None:
    """Drop the reminder tables."""
    for table in ("broadcast", "outbox", "deadline"):
        op.drop_table(table)
