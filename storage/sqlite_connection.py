"""aiosqlite with one trip to its thread per statement, instead of four or five.

aiosqlite runs each sqlite3 call on the connection's own thread and wakes the event
loop when it is done. SQLAlchemy's adapter makes four such trips for one SELECT (open a
cursor, execute, fetch, close) and one more to roll back a connection going back to the
pool even when no transaction is open: ~20 trips for one chat update, each costing two
thread switches (measured: ~45 µs of CPU and more of waiting on a busy 2-core machine).
Here a statement is executed, its rows read (up to `BATCH`; a longer result, e.g. a
streamed backup, keeps its cursor and is read on in further trips) and the cursor closed
in one trip, and commit/rollback cost nothing when no transaction is open.

A statement whose last run took under `QUICK` (most of what a chat update runs: a
member, a chat's state, a claim, a report's INSERT, ~20–100 µs) skips the thread and runs
on the event loop's thread: a trip costs more than such a statement, and under load the
loop then waits for the GIL to come back from aiosqlite's thread. A statement not seen
before, or slow last time, still goes to the thread, and an inline run never waits: it
runs with SQLite's busy timeout at 0 (another process holding the write lock: the
statement did nothing and is redone on the thread, which waits as before), and a read is
cut after `READ_BUDGET` (a progress handler; redone on the thread, and marked slow).
Writes are never cut (an interrupted write would roll its whole transaction back).

`storage.engine.create_engine` opens every SQLite connection this way.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Sequence
from functools import partial
from time import perf_counter
from typing import Any, TypeVar

import aiosqlite

BATCH = 1000  # rows read with the statement; a longer result is read on in batches
QUICK = 0.002  # seconds: a statement whose last run took less runs on the loop's thread
READ_BUDGET = 0.005  # seconds an inline read may run before it is cut and redone on the thread
PROGRESS_STEPS = 1000  # SQLite VM steps between checks of READ_BUDGET
KNOWN = 4096  # statements whose last duration is remembered (then forgotten all at once)
INLINE = ("SELECT", "INSERT", "UPDATE", "DELETE", "COMMIT", "ROLLBACK")  # never WITH, PRAGMA…
NOT_NOW = frozenset({5, 6, 9})  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_INTERRUPT: redo on the thread

T = TypeVar("T")

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, int, int | None, list[Any], sqlite3.Cursor | None]


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors run a statement in one trip to its thread,
    or none when the statement is known to be quick."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quick: dict[str, bool] = {}  # by SQL text: did its last run take under QUICK?
        self.lowered_from: int | None = None  # busy timeout (ms) while at 0 for inline runs

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """Return a cursor; nothing is opened until it executes."""
        return OneTripCursor(self)

    async def commit(self) -> None:
        """Commit the open transaction (no trip when none is open)."""
        if self._conn.in_transaction:
            await self.statement("COMMIT", self._conn.commit)

    async def rollback(self) -> None:
        """Roll back the open transaction (no trip when none is open)."""
        if self._conn.in_transaction:
            await self.statement("ROLLBACK", self._conn.rollback)

    async def run(self, function: Callable[[], Any]) -> Any:
        """Run `function` on the connection's thread and return its result."""
        return await self._execute(partial(self.waiting, function))

    async def statement(self, sql: str, function: Callable[[], T]) -> T:
        """Run `function` (which runs `sql`) here if it is known to be quick, else on the thread."""
        if self.quick.get(sql):
            try:
                return self.inline(sql, function)
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in NOT_NOW:
                    raise
        return await self._execute(partial(self.threaded, sql, function))

    def inline(self, sql: str, function: Callable[[], T]) -> T:
        """Run the statement now, never waiting for a lock; a read is cut after READ_BUDGET."""
        connection = self._conn
        if self.lowered_from is None:
            self.lowered_from = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
            connection.execute("PRAGMA busy_timeout = 0")
        is_read = sql.lstrip()[:6].upper() == "SELECT"
        started = perf_counter()
        if is_read:
            deadline = started + READ_BUDGET
            connection.set_progress_handler(lambda: perf_counter() > deadline, PROGRESS_STEPS)
        try:
            return function()
        finally:
            if is_read:
                connection.set_progress_handler(None, 0)
            self.learn(sql, perf_counter() - started)

    def threaded(self, sql: str, function: Callable[[], T]) -> T:
        """On the connection's thread: run the statement, waiting for locks as configured."""
        started = perf_counter()
        try:
            return self.waiting(function)
        finally:
            self.learn(sql, perf_counter() - started)

    def waiting(self, function: Callable[[], T]) -> T:
        """On the connection's thread: run `function` with the busy timeout as configured."""
        if self.lowered_from is not None:
            self._conn.execute(f"PRAGMA busy_timeout = {self.lowered_from}")
            self.lowered_from = None
        return function()

    def learn(self, sql: str, took: float) -> None:
        """Remember whether the statement was quick; only plain reads and writes may be
        (a WITH may hide a long read or a write that can't be cut; PRAGMAs stay put)."""
        if len(self.quick) >= KNOWN:
            self.quick.clear()
        self.quick[sql] = took < QUICK and sql.lstrip()[:8].upper().startswith(INLINE)


class OneTripCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, buffering what it read."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self.connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.rows: deque[Any] = deque()
        self.open: sqlite3.Cursor | None = None  # a long result still being read

    def __await__(self) -> Generator[Any, None, OneTripCursor]:
        """Let `await connection.cursor()` work too, as with aiosqlite."""
        return self.__aenter__().__await__()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        """Execute one statement; read its first BATCH rows in the same trip."""
        args = (sql,) if parameters is None else (sql, parameters)
        return await self.run("execute", sql, args)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneTripCursor:
        """Execute one statement for each set of parameters."""
        return await self.run("executemany", sql, (sql, parameters))

    async def run(self, method: str, sql: str, args: tuple[Any, ...]) -> OneTripCursor:
        """Run sqlite3's cursor `method` in one trip; keep what it brought back."""
        await self.close()
        outcome = await self.connection.statement(
            sql, partial(_execute, self.connection, method, args)
        )
        self.description, self.rowcount, self.lastrowid, rows, self.open = outcome
        self.rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        """Return the next row, or None."""
        if not self.rows and self.open is not None:
            await self.read_on(BATCH)
        return self.rows.popleft() if self.rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Return up to `size` rows (arraysize when None)."""
        size = size or self.arraysize
        if len(self.rows) < size and self.open is not None:
            await self.read_on(max(size - len(self.rows), BATCH))
        return [self.rows.popleft() for _ in range(min(size, len(self.rows)))]

    async def fetchall(self) -> list[Any]:
        """Return every remaining row."""
        if self.open is not None:
            await self.read_on(None)
        rows = list(self.rows)
        self.rows.clear()
        return rows

    async def read_on(self, size: int | None) -> None:
        """Read `size` more rows (all when None) of a long result; close it at its end."""
        cursor = self.open
        assert cursor is not None
        rows, self.rowcount, self.open = await self.connection.run(partial(_read_on, cursor, size))
        self.rows.extend(rows)

    async def close(self) -> None:
        """Forget the rows; close a long result left open."""
        self.rows.clear()
        cursor, self.open = self.open, None
        if cursor is not None:
            await self.connection.run(cursor.close)


def _execute(connection: OneTripConnection, method: str, args: tuple[Any, ...]) -> Outcome:
    """On the connection's thread: run the statement, read its first BATCH rows."""
    cursor = connection._conn.cursor()
    try:
        getattr(cursor, method)(*args)
        rows = cursor.fetchmany(BATCH + 1) if cursor.description else []
        outcome = (cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    except BaseException:
        cursor.close()
        raise
    if len(rows) > BATCH:  # a long result: its cursor stays open to be read on
        return (*outcome, cursor)
    cursor.close()
    return (*outcome, None)


def _read_on(
    cursor: sqlite3.Cursor, size: int | None
) -> tuple[list[Any], int, sqlite3.Cursor | None]:
    """On the connection's thread: read more rows; close the cursor when none are left.

    The row count too: sqlite3 sets a DML statement's (… RETURNING) once it is read to its end.
    """
    rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
    if size is None or len(rows) < size:
        cursor.close()
        return rows, cursor.rowcount, None
    return rows, cursor.rowcount, cursor


def connect(*args: Any, **kwargs: Any) -> OneTripConnection:
    """Return a connection like `aiosqlite.connect(*args, **kwargs)` (to be awaited)."""
    kwargs["check_same_thread"] = False  # quick statements run on the event loop's thread
    connection = OneTripConnection(partial(sqlite3.connect, *args, **kwargs), 64)
    # As SQLAlchemy does for aiosqlite's own (before aiosqlite 0.22 the connection was the thread).
    thread: Any = getattr(connection, "_thread", connection)
    thread.daemon = True
    return connection
