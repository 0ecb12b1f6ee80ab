"""Engine settings, aware datetimes and the Alembic migrations on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from storage.engine import default_database_url, to_async_url, to_sync_url
from storage.migrate import alembic_config, current_revision, downgrade, upgrade
from storage.models import AuditLog, Unit
from tests.storage.conftest import Backend

TABLES = {
    "unit",
    "member",
    "invite",
    "invite_attempt",
    "progress_update",
    "progress_latest",
    "conversation_state",
    "audit_log",
}


async def test_sqlite_pragmas_are_on(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000


async def test_long_results_read_whole_whether_streamed_or_not(engine: AsyncEngine) -> None:
    # SQLite reads a statement's first rows in the same trip as the statement; longer
    # results (a streamed backup) are read on in batches: nothing lost, nothing doubled.
    rows = [{"code": f"U{n:05d}", "name": f"Đơn vị {n}"} for n in range(2_500)]
    codes = [row["code"] for row in rows]
    async with engine.begin() as conn:
        await conn.execute(Unit.__table__.insert(), rows)  # type: ignore[attr-defined]
    query = text("SELECT code FROM unit ORDER BY code")
    async with engine.connect() as conn:
        assert list((await conn.execute(query)).scalars()) == codes
        streamed = await conn.stream(query)
        first = await streamed.fetchmany(10)
        assert [r.code for r in first] == codes[:10]
        rest = [row.code async for row in streamed]
        assert rest == codes[10:]
        half_read = await conn.stream(query)
        assert (await half_read.fetchone()).code == codes[0]  # type: ignore[union-attr]
        await half_read.close()
        count = (await conn.execute(text("SELECT count(*) FROM unit"))).scalar()
        assert count == 2_500
    async with engine.begin() as conn:
        renamed = await conn.execute(text("UPDATE unit SET name = name || '.' RETURNING code"))
        assert sorted(renamed.scalars()) == codes and renamed.rowcount == 2_500


async def test_datetimes_come_back_aware_utc(session: AsyncSession) -> None:
    hanoi = timezone(timedelta(hours=7))
    unit = Unit(code="A", name="A", created_at=datetime(2024, 1, 11, 8, 0, tzinfo=hanoi))
    session.add(unit)
    await session.commit()
    session.expunge_all()
    loaded = await session.get(Unit, unit.id)
    assert loaded is not None
    assert loaded.created_at == datetime(2024, 1, 11, 1, 0, tzinfo=UTC)
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(session: AsyncSession) -> None:
    session.add(AuditLog(actor="cli", action="x", at=datetime(2024, 1, 1)))
    with pytest.raises(Exception, match="naive"):
        await session.commit()


async def test_foreign_keys_are_enforced(session: AsyncSession) -> None:
    session.add(Unit(code="X", name="X", parent_id=999))
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await session.commit()


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _diff(connection: Any) -> list[Any]:
    """Return differences between the database schema and the models."""
    return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await current_revision(engine) == HEAD


def _tables(connection: Any) -> set[str]:
    """Return the table names in the current schema."""
    return set(inspect(connection).get_table_names())


async def test_downgrade_and_upgrade_round_trip(fresh_backend: Backend) -> None:
    engine = fresh_backend.engine()
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert TABLES <= await conn.run_sync(_tables)
        await downgrade(engine, "base")
        async with engine.connect() as conn:
            assert not TABLES & await conn.run_sync(_tables)
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == HEAD
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO unit (code, name, level, created_at) "
                    "VALUES ('U', 'U', '', CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()


def test_url_helpers(tmp_path: Any) -> None:
    url = default_database_url(tmp_path / "data")
    assert url.startswith("sqlite+aiosqlite:///") and url.endswith("/data/bot.db")
    assert (tmp_path / "data").is_dir()
    assert to_async_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert to_async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert to_sync_url("sqlite+aiosqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="unsupported"):
        to_async_url("mysql://u@h/db")
