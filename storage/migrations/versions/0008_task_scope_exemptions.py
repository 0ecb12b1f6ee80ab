"""Who must report what: task scope and unit exemptions.

`task_scope`: the unit levels or units a task of a document applies to, one row each
(a task with no rows applies to every unit). `unit_exemption`: a unit excused from
reporting and reminders over a date range, with its reason. `outbox.buttons`: the
one-tap buttons of a queued message (the period reminder's "report this task"). Two
covering indexes for "reported in this period" (storage/queries/completion.py): 5,000
units × 60 tasks counted from index range scans instead of every row's table lookup.

A task's default scope (the directive's Central Commission tasks) is not seeded here but
read from storage/data/task-scope.tsv: a freshly migrated database stays empty, so a backup
can be restored into it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(level IS NULL) <> (unit_id IS NULL)", name="ck_task_scope_level_or_unit"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name="fk_task_scope_unit_id_unit", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_scope"),
    )
    op.create_index("ix_task_scope_task", "task_scope", ["document", "task_code"])
    op.create_index("ix_task_scope_unit_id", "task_scope", ["unit_id"])
    op.create_table(
        "unit_exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name="ck_unit_exemption_span"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name="fk_unit_exemption_unit_id_unit", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unit_exemption"),
    )
    op.create_index("ix_unit_exemption_unit_id", "unit_exemption", ["unit_id"])
    op.create_index(
        "ix_progress_latest_period",
        "progress_latest",
        ["document", "status", "reported_at", "task_code", "unit_id"],
    )
    op.create_index(
        "ix_progress_update_period",
        "progress_update",
        ["document", "reported_at", "task_code", "unit_id"],
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("buttons", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_index("ix_progress_update_period", table_name="progress_update")
    op.drop_index("ix_progress_latest_period", table_name="progress_latest")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("buttons")
    op.drop_index("ix_unit_exemption_unit_id", table_name="unit_exemption")
    op.drop_table("unit_exemption")
    op.drop_index("ix_task_scope_unit_id", table_name="task_scope")
    op.drop_index("ix_task_scope_task", table_name="task_scope")
    op.drop_table("task_scope")
