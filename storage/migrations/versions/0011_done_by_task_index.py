"""Done reports per task, read from an index alone (the completion trend, issue 14).

A closed quarter counts the pairs done before it began; `ix_progress_latest_done` gives
them in task order with their dates, so the count per task needs no table lookups and no
sort (without it SQLite chose `ix_progress_latest_task` and read every row's date from the
table).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_progress_latest_done",
        "progress_latest",
        ["document", "status", "task_code", "reported_at", "unit_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_progress_latest_done", table_name="progress_latest")
