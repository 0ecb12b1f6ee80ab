"""Storage benchmark: 5,000 units × 60 tasks, 100,000 reports, on SQLite and PostgreSQL.

Run: `.venv/bin/python -m bench.bench_storage` (PostgreSQL too when TEST_DATABASE_URL is set).
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

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_reporting import measure_handlers
from knowledge.periods import last_periods
from storage.engine import create_engine, session_factory
from storage.export import EXPORT_PERIODS, write_xlsx
from storage.migrate import upgrade
from storage.models import DEFAULT_DOCUMENT, ProgressUpdate, Unit
from storage.queries import matrix, progress, summary
from storage.queries.matrix import Span
from storage.status import Status

UNITS = 5_000
REPORTS_TARGET, REPORTS_GOAL = 500, 1_000  # one-line reports a second through the handlers
DISTRICTS = 50
TASKS = [f"{group}.{item}" for group in range(1, 7) for item in range(1, 11)]
UPDATES = 100_000
APPENDS = 300
RUNS = 7
XLSX_ROWS = 300_000
START = datetime(2024, 1, 15, tzinfo=UTC)
PERIODS_DAY = date(2024, 4, 10)  # the export's current quarter: Q2 2024, reports from Q1 on


async def _seed_units(engine: AsyncEngine) -> None:
    """Insert one province, DISTRICTS districts and grassroots units up to UNITS."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {"id": 1, "code": "T", "name": "Tỉnh", "level": "tinh", "parent_id": None}
    ]
    rows += [
        {"id": 2 + d, "code": f"H{d:02d}", "name": f"Huyện {d}", "level": "huyen", "parent_id": 1}
        for d in range(DISTRICTS)
    ]
    for index in range(len(rows), UNITS):
        parent = 2 + index % DISTRICTS
        rows.append(
            {
                "id": index + 1,
                "code": f"C{index:05d}",
                "name": f"Cơ sở {index}",
                "level": "coso",
                "parent_id": parent,
            }
        )
    async with engine.begin() as conn:
        await conn.execute(insert(Unit), [{**row, "created_at": now} for row in rows])


async def _seed_updates(engine: AsyncEngine) -> None:
    """Insert UPDATES random reports spread over 90 days, in batches."""
    rng = random.Random(9)
    statuses = [status.value for status in Status]
    batch: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        for _ in range(UPDATES):
            batch.append(
                {
                    "unit_id": rng.randint(1, UNITS),
                    "document": DEFAULT_DOCUMENT,
                    "task_code": rng.choice(TASKS),
                    "status": rng.choice(statuses),
                    "percent": rng.randint(0, 100),
                    "note": "ghi chú",
                    "reported_at": START + timedelta(minutes=rng.randint(0, 90 * 24 * 60)),
                }
            )
            if len(batch) == 10_000:
                await conn.execute(insert(ProgressUpdate), batch)
                batch = []
        if batch:
            await conn.execute(insert(ProgressUpdate), batch)
    async with session_factory(engine)() as session:
        await progress.rebuild_latest(session)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":  # fold the bulk load's WAL back, as a running bot would
        async with engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


async def _median_ms(action: Callable[[], Awaitable[Any]]) -> float:
    """Run `action` RUNS times; return the median wall time in ms."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


async def _appends_per_second(engine: AsyncEngine) -> float:
    """Time APPENDS reports, each through add_update in its own session and transaction."""
    sessions = session_factory(engine)
    started = time.perf_counter()
    for index in range(APPENDS):
        async with sessions() as session:
            await progress.add_update(
                session,
                unit_id=1 + index % UNITS,
                task_code=TASKS[index % len(TASKS)],
                status=Status.IN_PROGRESS.value,
                percent=50,
                note="đang làm",
            )
    return round(APPENDS / (time.perf_counter() - started), 1)


async def _measure(engine: AsyncEngine) -> dict[str, float]:
    """Time the read paths the admin commands use."""
    sessions = session_factory(engine)
    figures: dict[str, float] = {}
    async with sessions() as s:
        figures["overview_all_ms"] = await _median_ms(lambda: summary.overview(s, task_codes=TASKS))
        figures["overview_district_ms"] = await _median_ms(
            lambda: summary.overview(s, task_codes=TASKS, root_id=2)
        )
        figures["not_reported_task_ms"] = await _median_ms(
            lambda: summary.units_not_reported(s, task_code="3.3")
        )
        figures["not_reported_any_ms"] = await _median_ms(lambda: summary.units_not_reported(s))
        figures["latest_for_task_ms"] = await _median_ms(
            lambda: progress.latest_for_task(s, task_code="3.3")
        )
        started = time.perf_counter()
        rows = await summary.export_rows(s)
        figures["export_rows_ms"] = round((time.perf_counter() - started) * 1000, 1)
        figures["export_row_count"] = len(rows)
        started = time.perf_counter()
        spans = Span.of_periods(last_periods(PERIODS_DAY, EXPORT_PERIODS), UTC)
        periods = await matrix.period_report(s, task_codes=TASKS, spans=spans)
        figures["period_report_ms"] = round((time.perf_counter() - started) * 1000, 1)
    titles = {code: f"Nhiệm vụ {code}" for code in TASKS}
    started = time.perf_counter()
    write_xlsx(rows, task_titles=titles)
    figures["export_xlsx_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    write_xlsx(rows, task_titles=titles, periods=periods)  # + matrix and 4 period sheets
    figures["export_xlsx_periods_s"] = round(time.perf_counter() - started, 2)
    big = (rows * (XLSX_ROWS // len(rows) + 1))[:XLSX_ROWS]
    started = time.perf_counter()
    write_xlsx(big, task_titles=titles)
    figures["export_xlsx_300k_s"] = round(time.perf_counter() - started, 2)
    return figures


async def _bench(engine: AsyncEngine) -> dict[str, float]:
    """Migrate, seed and measure one database."""
    await upgrade(engine)
    started = time.perf_counter()
    await _seed_units(engine)
    await _seed_updates(engine)
    seeded = round(time.perf_counter() - started, 1)
    figures = await _measure(engine)
    figures["appends_per_s"] = await _appends_per_second(engine)
    figures |= await measure_handlers(engine, TASKS)
    return {"seed_s": seeded, **figures}


async def _bench_sqlite() -> dict[str, float]:
    """Benchmark a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            return await _bench(engine)
        finally:
            await engine.dispose()


async def _bench_postgres(url: str) -> dict[str, float]:
    """Benchmark PostgreSQL inside a throw-away schema."""
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        return await _bench(engine)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _run_all() -> dict[str, dict[str, float]]:
    """Benchmark every configured backend."""
    results = {"sqlite": await _bench_sqlite()}
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        results["postgresql"] = await _bench_postgres(url)
    return results


def run() -> dict[str, dict[str, float]]:
    """Run the benchmark, print the figures and return them."""
    results = asyncio.run(_run_all())
    for backend, figures in results.items():
        print(f"[{backend}]")
        for name, value in figures.items():
            print(f"  {name:24} {value}")
        print(
            f"  report submissions through the handlers: {figures['handler_reports_per_s']}/s"
            f"   (target ≥ {REPORTS_TARGET}/s, goal {REPORTS_GOAL:,}/s)"
        )
    return results


if __name__ == "__main__":
    run()
