"""Keep progress_latest and the audit of reports in the database, on every insert.

An AFTER INSERT trigger on progress_update advances progress_latest (only forward
in (reported_at, id) order) and writes the report's audit row, in the statement
that inserts the report: no insert path can forget either, and a report costs one
round trip instead of three (the hot write path of the bot).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADVANCE = """
    INSERT INTO progress_latest (unit_id, document, task_code, update_id, status, reported_at)
    VALUES (NEW.unit_id, NEW.document, NEW.task_code, NEW.id, NEW.status, NEW.reported_at)
    ON CONFLICT (unit_id, document, task_code) DO UPDATE SET
        update_id = excluded.update_id, status = excluded.status,
        reported_at = excluded.reported_at
    WHERE excluded.reported_at > progress_latest.reported_at
       OR (excluded.reported_at = progress_latest.reported_at
           AND excluded.update_id > progress_latest.update_id);
"""
_ACTOR = (
    "COALESCE((SELECT channel || ':' || external_id FROM member"
    " WHERE id = NEW.reporter_member_id), 'system')"
)


def _audit(json_object: str) -> str:
    """Return the audit insert, with the dialect's JSON object function."""
    detail = (
        f"{json_object}('unit_id', NEW.unit_id, 'status', NEW.status,"
        " 'percent', NEW.percent, 'id', NEW.id)"
    )
    return (
        "INSERT INTO audit_log (at, actor, action, target, detail)"
        f" VALUES (NEW.reported_at, {_ACTOR}, 'progress.add', NEW.task_code, {detail});"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION progress_update_after_insert() RETURNS trigger"
            f" LANGUAGE plpgsql AS $$ BEGIN {_ADVANCE} {_audit('json_build_object')}"
            " RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER progress_update_after_insert AFTER INSERT ON progress_update"
            " FOR EACH ROW EXECUTE FUNCTION progress_update_after_insert()"
        )
    else:
        op.execute(
            "CREATE TRIGGER progress_update_after_insert AFTER INSERT ON progress_update"
            f" BEGIN {_ADVANCE} {_audit('json_object')} END"
        )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS progress_update_after_insert ON progress_update"
        if op.get_bind().dialect.name == "postgresql"
        else "DROP TRIGGER IF EXISTS progress_update_after_insert"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS progress_update_after_insert()")
