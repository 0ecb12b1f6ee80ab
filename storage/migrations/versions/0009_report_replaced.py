"""A repeat of the same task by the same unit within 10 minutes replaces the one before.

`progress_update.replaced_by` holds the id of the report that replaced a row (NULL for a
report that stands). Replaced rows stay in the log and their content goes to the audit
(`progress.replace`, written by `add_update`), but history, `rebuild_latest` and the
period export skip them; `progress_latest` already points at the newer report (the
insert trigger of migration 0002 advances it). A plain integer, no foreign key: both
rows belong to one unit and are deleted together with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: no SQLite batch rebuild, which would drop the
    # table's trigger (migration 0002).
    op.add_column("progress_update", sa.Column("replaced_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a plain column in place, keeping the trigger.
    op.drop_column("progress_update", "replaced_by")
