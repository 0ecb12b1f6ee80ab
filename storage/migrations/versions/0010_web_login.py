"""The web dashboard's one-time login links and browser sessions.

Both keep only the sha256 of their token: a leaked database copy lets no one sign in.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    """Return the table's member_id foreign key (rows go with their member)."""
    return sa.ForeignKeyConstraint(
        ["member_id"], ["member.id"], name=f"fk_{table}_member_id_member", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "web_login_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _member_fk("web_login_link"),
        sa.PrimaryKeyConstraint("id", name="pk_web_login_link"),
    )
    op.create_index("ix_web_login_link_token_hash", "web_login_link", ["token_hash"], unique=True)
    op.create_index("ix_web_login_link_member_id", "web_login_link", ["member_id"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _member_fk("web_session"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
    )
    op.create_index("ix_web_session_token_hash", "web_session", ["token_hash"], unique=True)
    op.create_index("ix_web_session_member_id", "web_session", ["member_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_session")
    op.drop_table("web_login_link")
