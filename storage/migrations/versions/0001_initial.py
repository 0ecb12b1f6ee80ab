"""Initial tables: units, members, invites, progress (log + latest), state, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    """Return an aware timestamp column (TIMESTAMPTZ on PostgreSQL, text on SQLite)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    """Return the named primary key on `id`."""
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    """Return a named foreign key following the metadata naming convention."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _create_unit_and_member() -> None:
    """Create the unit tree and the member table."""
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _fk("unit", "parent_id", "unit", "SET NULL"),
        _pk("unit"),
    )
    op.create_index("ix_unit_code", "unit", ["code"], unique=True)
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("last_seen_at"),
        sa.CheckConstraint("role IN ('member', 'leader', 'admin')", name="ck_member_role"),
        _fk("member", "unit_id", "unit", "SET NULL"),
        _pk("member"),
        sa.UniqueConstraint("channel", "external_id", name="uq_member_channel_external_id"),
    )
    op.create_index("ix_member_unit_id", "member", ["unit_id"])


def _create_invites() -> None:
    """Create invite codes (hash only) and the wrong-attempt log."""
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.Column("used_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        _fk("invite", "unit_id", "unit", "CASCADE"),
        _fk("invite", "used_by_member_id", "member", "SET NULL"),
        _pk("invite"),
    )
    op.create_index("ix_invite_code_hash", "invite", ["code_hash"], unique=True)
    op.create_index("ix_invite_unit_id", "invite", ["unit_id"])
    op.create_index("ix_invite_used_by_member_id", "invite", ["used_by_member_id"])
    op.create_table(
        "invite_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _at("at"),
        _fk("invite_attempt", "member_id", "member", "CASCADE"),
        _pk("invite_attempt"),
    )
    op.create_index("ix_invite_attempt_member_at", "invite_attempt", ["member_id", "at"])


def _create_progress() -> None:
    """Create the append-only progress log and its "latest per unit and task" index."""
    statuses = "'chua_trien_khai', 'dang_thuc_hien', 'hoan_thanh', 'vuong_mac'"
    op.create_table(
        "progress_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("reporter_member_id", sa.Integer(), nullable=True),
        _at("reported_at"),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_progress_update_status"),
        sa.CheckConstraint(
            "percent IS NULL OR (percent >= 0 AND percent <= 100)",
            name="ck_progress_update_percent",
        ),
        _fk("progress_update", "unit_id", "unit", "CASCADE"),
        _fk("progress_update", "reporter_member_id", "member", "SET NULL"),
        _pk("progress_update"),
    )
    op.create_index(
        "ix_progress_update_unit_task_at",
        "progress_update",
        ["unit_id", "document", "task_code", "reported_at", "id"],
    )
    op.create_index("ix_progress_task", "progress_update", ["document", "task_code"])
    op.create_index(
        "ix_progress_update_reporter_member_id", "progress_update", ["reporter_member_id"]
    )
    _create_progress_latest()


def _create_progress_latest() -> None:
    """Create the newest-report-per-(unit, task) table that summaries read."""
    op.create_table(
        "progress_latest",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("reported_at"),
        _fk("progress_latest", "unit_id", "unit", "CASCADE"),
        _fk("progress_latest", "update_id", "progress_update", "CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "document", "task_code", name="pk_progress_latest"),
    )
    op.create_index(
        "ix_progress_latest_task",
        "progress_latest",
        ["document", "task_code", "status", "unit_id"],
    )
    op.create_index("ix_progress_latest_update_id", "progress_latest", ["update_id"])


def _create_state_and_audit() -> None:
    """Create conversation state and the audit log."""
    op.create_table(
        "conversation_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _at("expires_at"),
        _at("updated_at"),
        _pk("conversation_state"),
        sa.UniqueConstraint("channel", "chat_id", name="uq_conversation_state_channel_chat_id"),
    )
    op.create_index("ix_conversation_state_expires_at", "conversation_state", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _at("at"),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _pk("audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def upgrade() -> None:
    """Create every table of the first release."""
    _create_unit_and_member()
    _create_invites()
    _create_progress()
    _create_state_and_audit()


def downgrade() -> None:
    """Drop every table (children first)."""
    for table in (
        "audit_log",
        "conversation_state",
        "progress_latest",
        "progress_update",
        "invite_attempt",
        "invite",
        "member",
        "unit",
    ):
        op.drop_table(table)
