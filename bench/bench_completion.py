"""Reporting-period completion at volume (issue 14), on SQLite and PostgreSQL.

5,000 units (bench_storage's tree) with one Telegram leader each, 60 tasks (five of them
narrowed to the central level: the three defaults and two more), 50 exempt units, 100,000
reports spread over the twelve months before a pinned NOW (20/11/2026, quý IV/2026).
Medians of RUNS:

- the admin's `/chuabaocao` and `/tiendo` (completion per unit and task, the four-quarter
  trend, and the status overview) through the real handlers;
- `completion()` for the current quarter, and the trend's four quarters;
- the period reminder's recipients (`leaders_of_incomplete_units`, each leader with the
  unit's missing tasks) and the escalation digest's (`incomplete_children`).

Targets: `/chuabaocao` and completion ≤ 200 ms (goal 50 ms); reminder recipients ≤ 2 s.
Beside the wall times, this process's CPU time (`*_cpu_ms`): on SQLite that is all the
work, so it shows the cost when the machine is shared (the 1-minute load is printed).
Run: `.venv/bin/python -m bench.bench_completion` (PostgreSQL when BENCH_DATABASE_URL or
TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_plan import _seed_leaders
from bench.bench_reporting import SixtyTasks
from bench.bench_storage import TASKS, UNITS, UPDATES, _seed_units
from handlers import Handlers, Incoming
from knowledge.periods import last_periods, period_of
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import DEFAULT_DOCUMENT, ProgressUpdate, Role, TaskScope, UnitExemption
from storage.queries import progress
from storage.queries.completion import Window, completion, incomplete_children, trend
from storage.queries.members import set_member_role
from storage.queries.recipients import leaders_of_incomplete_units
from storage.status import Status

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
RUNS = 7
EXEMPT = 50
TARGET_MS, GOAL_MS, RECIPIENTS_TARGET_S = 200, 50, 2.0


async def _seed(engine: AsyncEngine) -> None:
    """Units, leaders, reports over the last year, central-level tasks and exemptions."""
    await upgrade(engine)
    await _seed_units(engine)
    await _seed_leaders(engine)
    rng = random.Random(14)
    statuses = [status.value for status in Status]
    minutes = 365 * 24 * 60
    rows = [
        {
            "unit_id": rng.randint(1, UNITS),
            "document": DEFAULT_DOCUMENT,
            "task_code": rng.choice(TASKS),
            "status": rng.choice(statuses),
            "percent": None,
            "note": "",
            "reported_at": NOW - timedelta(minutes=rng.randint(1, minutes)),
        }
        for _ in range(UPDATES)
    ]
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            await conn.execute(insert(ProgressUpdate), rows[start : start + 10_000])
        await conn.execute(
            insert(TaskScope),
            [
                {
                    "document": DEFAULT_DOCUMENT,
                    "task_code": code,
                    "level": "tw",
                    "created_by": "bench",
                    "created_at": now,
                }
                for code in TASKS[-2:]
            ],
        )
        await conn.execute(
            insert(UnitExemption),
            [
                {
                    "unit_id": UNITS - n,
                    "starts_on": date(2026, 10, 1),
                    "ends_on": date(2026, 12, 31),
                    "reason": "bench",
                    "created_by": "bench",
                    "created_at": now,
                }
                for n in range(EXEMPT)
            ],
        )
    async with session_factory(engine)() as session:
        await progress.rebuild_latest(session)
        await set_member_role(
            session, channel="bench", external_id="boss", role=Role.ADMIN.value, actor="bench"
        )
    async with engine.connect() as conn:
        # What autovacuum does within a minute of a bulk load on a running PostgreSQL: the
        # visibility map set, so index-only scans need no heap fetches (SQLite: statistics).
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        postgres = engine.dialect.name == "postgresql"
        await conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    if engine.dialect.name == "sqlite":
        async with engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


CPU: dict[str, float] = {}  # the last _median's CPU time of this process, in ms


async def _median(action: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    """Return the median wall time of `action`, in ms (its median CPU time in CPU["last"]:
    on SQLite all the work is this process's, so it shows the cost on a shared machine)."""
    times, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        await action()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    CPU["last"] = round(statistics.median(cpu), 1)
    return round(statistics.median(times), 1)


async def _measure(engine: AsyncEngine) -> dict[str, float]:
    """Seed, then time the views, the queries and the reminder recipients."""
    started = time.perf_counter()
    await _seed(engine)
    figures: dict[str, float] = {"seed_s": round(time.perf_counter() - started, 1)}
    sessions = session_factory(engine)
    handlers = Handlers(library=SixtyTasks(TASKS), clock=lambda: NOW, sessions=sessions)

    async def say(command: str) -> None:
        incoming = Incoming(channel="bench", chat_id="boss", user_id="boss", text=command, at=NOW)
        replies = await handlers.handle(incoming)
        assert replies and "trục trặc" not in replies[0].text, replies[0].text

    window = Window.of(period_of(NOW.date()), VN, now=NOW)
    windows = [Window.of(p, VN, now=NOW) for p in last_periods(NOW.date(), 4)]
    reminder = Window.of(window.period, VN, now=NOW, exempt_on=NOW.date())
    after = Window.of(window.period, VN, now=NOW).until(NOW)

    async def current() -> None:
        async with sessions() as session:
            await completion(session, window=window, task_codes=TASKS)

    async def quarters() -> None:
        async with sessions() as session:
            await trend(session, windows=windows, task_codes=TASKS)

    recipients: list[Any] = []

    async def remind() -> None:
        async with sessions() as session:
            recipients[:] = await leaders_of_incomplete_units(
                session, window=reminder, task_codes=TASKS
            )

    async def escalate() -> None:
        async with sessions() as session:
            await incomplete_children(session, window=after, task_codes=TASKS)

    await say("/chuabaocao")  # warm the caches once, as a running bot's are
    figures["chuabaocao_admin_ms"] = await _median(lambda: say("/chuabaocao"))
    figures["chuabaocao_admin_cpu_ms"] = CPU["last"]
    figures["completion_ms"] = await _median(current)
    figures["completion_cpu_ms"] = CPU["last"]
    figures["trend_4_quarters_ms"] = await _median(quarters)
    figures["trend_4_quarters_cpu_ms"] = CPU["last"]
    figures["tiendo_admin_ms"] = await _median(lambda: say("/tiendo"))
    figures["tiendo_admin_cpu_ms"] = CPU["last"]
    figures["chuabaocao_task_ms"] = await _median(lambda: say(f"/chuabaocao {TASKS[0]}"))
    figures["period_recipients_ms"] = await _median(remind, runs=3)
    figures["period_recipients_cpu_ms"] = CPU["last"]
    figures["period_recipients"] = len(recipients)
    figures["escalation_ms"] = await _median(escalate, runs=3)
    figures["load_average_1m"] = round(os.getloadavg()[0], 1)  # the machine was shared?
    return figures


async def _sqlite() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'completion.db'}")
        try:
            return await _measure(engine)
        finally:
            await engine.dispose()


async def _postgres(url: str) -> dict[str, float]:
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        return await _measure(engine)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


TARGETS = {
    "chuabaocao_admin_ms": f"≤ {TARGET_MS} ms (goal {GOAL_MS})",
    "completion_ms": f"≤ {TARGET_MS} ms (goal {GOAL_MS})",
    "period_recipients_ms": f"≤ {RECIPIENTS_TARGET_S * 1000:.0f} ms",
}


def _print(backend: str, figures: dict[str, float]) -> None:
    """Print one backend's figures beside their targets."""
    print(f"[completion: {UNITS:,} units × {len(TASKS)} tasks × {UPDATES:,} reports, {backend}]")
    for name, value in figures.items():
        target = f"   target {TARGETS[name]}" if name in TARGETS else ""
        print(f"  {name:24} {value:>10}{target}", flush=True)


async def _run_all() -> dict[str, dict[str, float]]:
    results = {"sqlite": await _sqlite()}
    _print("sqlite", results["sqlite"])
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        results["postgresql"] = await _postgres(url)
        _print("postgresql", results["postgresql"])
    return results


def run() -> dict[str, dict[str, float]]:
    """Run the benchmark, print the figures beside their targets and return them."""
    return asyncio.run(_run_all())


if __name__ == "__main__":
    run()
