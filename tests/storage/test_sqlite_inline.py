"""SQLite statements known to be quick run on the event loop's thread, never stalling it.

A chat update's statements take tens of microseconds, less than a trip to aiosqlite's
thread; but the loop must never wait on another process's lock or a long read.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_connection
from storage.engine import create_engine

ROWS = 2000
COUNT = text(
    "SELECT count(*) FROM n a, n b, n c WHERE a.x + 0 <= :k AND b.x + 0 <= :k AND c.x + 0 <= :k"
)


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE n (x INTEGER PRIMARY KEY)"))
        await conn.execute(text("CREATE TABLE note (body TEXT)"))
        await conn.execute(
            text(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
                "INSERT INTO n SELECT x FROM c"
            ),
            {"n": ROWS},
        )
    yield engine
    await engine.dispose()


async def longest_stall(work: Awaitable[Any]) -> tuple[Any, float]:
    """Run `work` while a ticker measures the event loop's longest stall; return both."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)  # the ticker is running before the work starts
    try:
        result = await work
    finally:
        done.set()
        await ticker
    return result, max(gaps, default=0.0)


def trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count trips to aiosqlite's thread from now on."""
    count = [0]
    real = sqlite_connection.OneTripConnection._execute

    async def counted(self: Any, function: Any) -> Any:
        count[0] += 1
        return await real(self, function)

    monkeypatch.setattr(sqlite_connection.OneTripConnection, "_execute", counted)
    return count


async def test_a_quick_statement_runs_without_a_thread_trip(engine, monkeypatch):
    insert = text("INSERT INTO note (body) VALUES (:body)")
    async with engine.begin() as conn:  # first time: on the thread, and found quick
        await conn.execute(insert, {"body": "một"})
    counted = trips(monkeypatch)
    async with engine.begin() as conn:
        await conn.execute(insert, {"body": "hai"})
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT body FROM note ORDER BY rowid"))).all()
        rows = (await conn.execute(text("SELECT body FROM note ORDER BY rowid"))).all()
    assert [r.body for r in rows] == ["một", "hai"]
    assert counted[0] == 1  # only the SELECT's first run went to the thread


async def test_another_process_holding_the_write_lock_does_not_stall_the_loop(engine, tmp_path):
    insert = text("INSERT INTO note (body) VALUES (:body)")
    async with engine.begin() as conn:
        await conn.execute(insert, {"body": "trước"})  # known quick from now on
    held, release = threading.Event(), threading.Event()

    def other_process() -> None:
        raw = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(5)
        raw.execute("COMMIT")
        raw.close()

    writer = threading.Thread(target=other_process)
    writer.start()
    held.wait(5)
    asyncio.get_running_loop().call_later(0.4, release.set)

    async def write() -> float:
        started = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(insert, {"body": "sau"})
        return time.monotonic() - started

    waited, stall = await longest_stall(write())
    writer.join()
    assert waited >= 0.3  # it waited for the lock (on the thread) and then wrote
    assert stall < 0.2
    async with engine.connect() as conn:
        bodies = (await conn.execute(text("SELECT body FROM note ORDER BY rowid"))).scalars()
        assert list(bodies) == ["trước", "sau"]


async def test_a_read_that_runs_long_is_cut_and_finished_on_the_thread(engine):
    async with engine.connect() as conn:
        assert (await conn.execute(COUNT, {"k": 1})).scalar() == 1  # on the thread: quick
        assert (await conn.execute(COUNT, {"k": 1})).scalar() == 1  # inline now
        started = time.monotonic()
        result, stall = await longest_stall(conn.execute(COUNT, {"k": 60}))
        took = time.monotonic() - started
    assert result.scalar() == 60**3
    assert took > 0.1  # a long read indeed (else the test proves nothing)
    assert stall < took / 2
