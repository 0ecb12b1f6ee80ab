"""Reminder plan benchmark: `remind plan` over 5,000 units × 60 deadlines, on SQLite.

5,000 units with one Telegram leader each, 100,000 reports (bench_storage's seeding), 60
deadlines added through storage.queries.deadlines.add_deadline. Times build_plan (what
`python -m bot remind plan` computes) for the default 20 entries and for the whole plan
(every occasion counted), with tracemalloc's peak, then the process's peak RSS
(resource.getrusage). Targets: ≤ 2 s and ≤ 200 MB.

Run: `.venv/bin/python -m bench.bench_plan`.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_storage import TASKS, UNITS, _seed_units, _seed_updates
from bot.commands.remind import MOST, PlanConfig, build_plan
from knowledge import load_library
from scheduler.plan import QuietHours, parse_clock_time, parse_span
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Member
from storage.queries.deadlines import add_deadline

RUNS = 5
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TARGET_S, TARGET_MB = 2.0, 200.0


async def _seed_leaders(engine: AsyncEngine) -> None:
    """One reachable Telegram leader per unit (ids 1 … UNITS, as _seed_units numbers them)."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "channel": "telegram",
            "external_id": str(10_000 + unit_id),
            "chat_id": str(10_000 + unit_id),
            "display_name": f"Lãnh đạo {unit_id}",
            "role": "leader",
            "unit_id": unit_id,
            "subscribed": False,
            "blocked": False,
            "created_at": now,
            "last_seen_at": now,
        }
        for unit_id in range(1, UNITS + 1)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(Member), rows)


async def _seed_deadlines(engine: AsyncEngine, now: datetime) -> None:
    """60 deadlines, one per task, due every 3 days from a week ago on."""
    async with session_factory(engine)() as session:
        for n, code in enumerate(TASKS):
            await add_deadline(
                session,
                task_code=code,
                due_at=now + timedelta(days=3 * n - 7),
                offsets="30d,7d,1d,0d",
                actor="bench",
            )


def _config() -> PlanConfig:
    return PlanConfig(
        zone=ZONE,
        reminder_time=parse_clock_time("08:00"),
        overdue_every=parse_span("7d"),
        overdue_for=parse_span("90d"),
        period_days=5,
        quiet=QuietHours.parse("21:00-07:00", ZONE),
        escalate_after=parse_span("3d"),
    )


async def _measure(engine: AsyncEngine) -> dict[str, float]:
    """Seed, then time build_plan (median of RUNS) and its tracemalloc peak."""
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    await upgrade(engine)
    await _seed_units(engine)
    await _seed_leaders(engine)
    await _seed_updates(engine)
    await _seed_deadlines(engine, now)
    figures: dict[str, float] = {"seed_s": round(time.perf_counter() - started, 1)}
    library, config = load_library(), _config()
    sessions = session_factory(engine)
    for name, limit in (("plan_20", 20), ("plan_all", MOST)):
        times, peaks, entries, total = [], [], 0, 0
        for _ in range(RUNS):
            tracemalloc.start()
            begun = time.perf_counter()
            async with sessions() as session:
                shown, total = await build_plan(
                    session, library=library, config=config, now=now, limit=limit
                )
            times.append(time.perf_counter() - begun)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            entries = len(shown)
        figures[f"{name}_s"] = round(statistics.median(times), 3)
        figures[f"{name}_peak_mb"] = round(max(peaks) / 2**20, 1)
        figures[f"{name}_entries"] = entries
        figures["occasions"] = total
    return figures


async def _bench_sqlite() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'plan.db'}")
        try:
            return await _measure(engine)
        finally:
            await engine.dispose()


def _max_rss_mb() -> float:
    """Return the process's peak resident memory (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def run() -> dict[str, float]:
    """Run the benchmark, print the figures beside their targets and return them."""
    figures = asyncio.run(_bench_sqlite())
    figures["process_peak_rss_mb"] = round(_max_rss_mb(), 1)
    print(f"[remind plan: {UNITS:,} units × {len(TASKS)} deadlines, sqlite]")
    targets = {
        "plan_20_s": f"≤ {TARGET_S} s",
        "plan_all_s": f"≤ {TARGET_S} s",
        "plan_20_peak_mb": f"≤ {TARGET_MB} MB",
        "plan_all_peak_mb": f"≤ {TARGET_MB} MB",
        "process_peak_rss_mb": f"≤ {TARGET_MB} MB (incl. seeding)",
    }
    for name, value in figures.items():
        target = f"   target {targets[name]}" if name in targets else ""
        print(f"  {name:24} {value:>10}{target}", flush=True)
    return figures


if __name__ == "__main__":
    run()
