"""Directives added by admins, one of them current, and the deadlines they propose.

`directive` keeps each added directive's normalised text (every process parses it into
its library); at most one row is current (partial unique index) and while none is, the
bundled Kết luận 09-KL/BTCTW is. `deadline_proposal` holds the dated deadlines found in
an added directive until the admin accepts (copied into `deadline`) or rejects them.
Rows of the per-document tables written without a document name the bundled one
explicitly, so they keep pointing at it when another directive becomes current.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUNDLED = "09-KL/BTCTW"
PER_DOCUMENT = ("progress_update", "progress_latest", "deadline", "task_scope")


def upgrade() -> None:
    op.create_table(
        "directive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("issued", sa.Date(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'archived')", name="ck_directive_status"),
        sa.PrimaryKeyConstraint("id", name="pk_directive"),
        sa.UniqueConstraint("number", name="uq_directive_number"),
        sa.UniqueConstraint("sha256", name="uq_directive_sha256"),
    )
    op.create_index(
        "ix_directive_one_current",
        "directive",
        ["is_current"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "deadline_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("task_code", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("phrase", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('proposed', 'accepted', 'rejected')", name="ck_deadline_proposal_state"
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directive.id"],
            name="fk_deadline_proposal_directive_id_directive",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deadline_proposal"),
        sa.UniqueConstraint("directive_id", "task_code", "due_on", name="uq_deadline_proposal"),
    )
    op.create_index("ix_deadline_proposal_directive_id", "deadline_proposal", ["directive_id"])
    for table in PER_DOCUMENT:  # an implicit document is the bundled one, said explicitly
        op.execute(
            sa.text(
                f"UPDATE {table} SET document = :doc WHERE document IS NULL OR document = ''"
            ).bindparams(doc=BUNDLED)
        )


def downgrade() -> None:
    op.drop_table("deadline_proposal")
    op.drop_index("ix_directive_one_current", table_name="directive")
    op.drop_table("directive")
