"""INSERT … ON CONFLICT for the session's dialect (SQLite and PostgreSQL share the API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

INSERTS: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """Return an INSERT supporting on_conflict_do_update for the session's database."""
    return INSERTS.get(session.get_bind().dialect.name, sqlite_insert)(table)
