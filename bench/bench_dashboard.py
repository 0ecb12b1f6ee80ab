"""Dashboard benchmark: the overview and a unit page over 5,000 units and 100,000 reports
(the data of bench_storage), server time through aiohttp's test client, and page weight.

Run: `.venv/bin/python -m bench.bench_dashboard` (PostgreSQL too when TEST_DATABASE_URL is
set). Targets (issue 15): the overview ≤ 300 ms (goal 100 ms), a page ≤ 200 KB.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bench_storage import _seed_units, _seed_updates
from bot.app import settle_memory
from bot.dashboard import add_dashboard
from bot.database import Database
from bot.settings import Settings
from bot.web import WebServer
from knowledge import load_library
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Member, Role
from storage.queries.web_auth import create_login_link

RUNS = 15
#: (name, path): the overview with its matrix, filtered, one unit, the search, one task, the
#: missing reports and the tree of units.
PAGES = (
    ("overview", "/"),
    ("overview_missing", "/?tt=thieu"),
    ("overview_group", "/?nhom=2&tt=chua"),
    ("unit", "/don-vi/H00"),
    ("search", "/?q=C0001"),
    ("task", "/nhiem-vu/2.1"),
    ("missing", "/chua-bao-cao"),
    ("units", "/don-vi"),
)
NOW = datetime(2024, 4, 20, 2, 0, tzinfo=UTC)


async def _member(engine: AsyncEngine, user: str, role: Role, unit_id: int | None) -> int:
    """Insert a member; return its id."""
    async with session_factory(engine)() as session:
        member = Member(channel="bench", external_id=user, role=role.value, unit_id=unit_id)
        session.add(member)
        await session.commit()
        return member.id or 0


async def _median_ms(client: TestClient, path: str) -> tuple[float, float, int]:
    """GET `path` RUNS times; return the median wall ms, the median CPU ms of this process
    (server and client: on a shared machine the steadier figure) and the page's bytes."""
    times, cpu, size = [], [], 0
    for _ in range(RUNS):
        started, used = time.perf_counter(), time.process_time()
        response = await client.get(path)
        body = await response.read()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        assert response.status == 200, (path, response.status)
        size = len(body)
    return round(statistics.median(times), 1), round(statistics.median(cpu), 1), size


async def _signed_in(database: Database, settings: Settings, member_id: int) -> TestClient:
    """Return a test client of the dashboard signed in as the member."""
    server = WebServer("127.0.0.1", 0)
    library = load_library(None)
    add_dashboard(server, settings=settings, database=database, clock=lambda: NOW, library=library)
    settle_memory()  # as `bot run` / `bot web` do once started: the library leaves the GC's walks
    client = TestClient(TestServer(server.app))
    await client.start_server()
    async with database.sessions() as session:
        token = await create_login_link(session, member_id=member_id, actor="bench", now=NOW)
    response = await client.post("/dang-nhap", data={"token": token}, allow_redirects=False)
    assert response.status == 303
    return client


async def _bench(engine: AsyncEngine, settings: Settings) -> dict[str, float]:
    """Seed, then time the PAGES as an admin and as a district leader."""
    await upgrade(engine)
    await _seed_units(engine)
    await _seed_updates(engine)
    database = Database(engine=engine, sessions=session_factory(engine))
    figures: dict[str, float] = {}
    for name, role, unit_id in (("admin", Role.ADMIN, None), ("district", Role.LEADER, 2)):
        client = await _signed_in(database, settings, await _member(engine, name, role, unit_id))
        try:
            for page, path in PAGES:
                ms, cpu, size = await _median_ms(client, path)
                figures[f"{page}_{name}_ms"], figures[f"{page}_{name}_cpu_ms"] = ms, cpu
                figures[f"{page}_{name}_kb"] = size / 1024
        finally:
            await client.close()
    return {key: round(value, 1) for key, value in figures.items()}


async def _run_all() -> dict[str, dict[str, float]]:
    """Benchmark SQLite, and PostgreSQL in a throw-away schema when configured."""
    settings = Settings(_env_file=None, clock_start=NOW)  # type: ignore[call-arg]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            results["sqlite"] = await _bench(engine, settings)
        finally:
            await engine.dispose()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            results["postgresql"] = await _bench(engine, settings)
        finally:
            await engine.dispose()
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    return results


def run() -> dict[str, dict[str, float]]:
    """Run the benchmark and print the figures beside their targets."""
    results = asyncio.run(_run_all())
    for backend, figures in results.items():
        print(f"[{backend}]  (overview target ≤ 300 ms, goal 100 ms; a page ≤ 200 KB)")
        for name, value in figures.items():
            print(f"  {name:24} {value}")
    return results


if __name__ == "__main__":
    run()
