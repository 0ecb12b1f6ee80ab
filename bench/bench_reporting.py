"""The same load through the chat handlers: what a leader and the committee wait for.

Called by bench_storage on its seeded database (5,000 units × 60 tasks, 100,000 reports).
Alone, `python -m bench.bench_reporting` times only the one-line reports, on a fresh SQLite
database with the same units (median of RUNS_ALONE runs, and CPU ms per report).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from handlers import Handlers, Incoming
from knowledge import Answer, Deadline, Document, Task, load_library
from storage.engine import session_factory
from storage.models import Role
from storage.queries.members import bind_member, get_or_create_member, set_member_role

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SUBMISSIONS = 600
RUNS = 7
RUNS_ALONE = 5


class SixtyTasks:
    """The real directive, but with 60 reportable tasks (6 groups × 10) as in the seed."""

    def __init__(self, codes: list[str]) -> None:
        self.real = load_library()
        self.default: Document = self.real.default
        self.archived: frozenset[str] = frozenset()
        groups = sorted({c.split(".")[0] for c in codes}, key=int)
        self._tasks = [
            Task(self.default.number, g, f"Nhóm {g}", "", "", children=[]) for g in groups
        ]
        for code in codes:
            group = next(t for t in self._tasks if t.code == code.split(".")[0])
            group.children.append(code)
            self._tasks.append(
                Task(self.default.number, code, f"Nhiệm vụ {code}", "", "", group.code)
            )

    @property
    def documents(self) -> list[Document]:
        return [self.default]

    def answer(self, question: str) -> Answer:
        return self.real.answer(question)

    def qualified(self, code: str, number: str) -> str:
        return code

    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def find_task(self, code: str) -> Task | None:
        return next((t for t in self._tasks if t.code == code), None)

    def close_codes(self, code: str, number: str | None = None) -> list[str]:
        return []

    def match_tasks(self, text: str) -> list[tuple[str, float]]:
        return []

    def deadlines(self) -> list[Deadline]:
        return []


def _incoming(user: str, text: str) -> Incoming:
    return Incoming(channel="bench", chat_id=user, user_id=user, text=text, at=datetime.now(VN))


async def _median_ms(handlers: Handlers, user: str, text: str) -> float:
    """Return the median time of RUNS identical messages, in ms."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        replies = await handlers.handle(_incoming(user, text))
        times.append((time.perf_counter() - started) * 1000)
        assert replies and "trục trặc" not in replies[0].text, replies[0].text
    return round(statistics.median(times), 1)


async def measure_handlers(engine: AsyncEngine, codes: list[str]) -> dict[str, Any]:
    """Time the committee's views and a leader's one-line reports through the handlers."""
    sessions = session_factory(engine)
    clock = lambda: datetime.now(VN)  # noqa: E731
    views = Handlers(library=SixtyTasks(codes), clock=clock, sessions=sessions)
    async with sessions() as s:
        await set_member_role(
            s, channel="bench", external_id="boss", role=Role.ADMIN.value, actor="bench"
        )
    figures: dict[str, Any] = {}
    for name, text in (
        ("handler_tiendo_ms", "/tiendo"),
        ("handler_chuabaocao_ms", "/chuabaocao"),
        ("handler_chuabaocao_task_ms", f"/chuabaocao {codes[0]}"),
        ("handler_tiendo_task_ms", f"/tiendo {codes[0]}"),
    ):
        figures[name] = await _median_ms(views, "boss", text)
    started = time.perf_counter()
    await views.handle(_incoming("boss", "/xuat"))
    figures["handler_xuat_s"] = round(time.perf_counter() - started, 2)
    figures["handler_reports_per_s"] = await _submissions(engine)
    return figures


async def _submissions(engine: AsyncEngine) -> float:
    """Return one-line reports per second by one leader, each a whole handled message."""
    sessions = session_factory(engine)
    handlers = Handlers(library=load_library(), clock=lambda: datetime.now(VN), sessions=sessions)
    async with sessions() as s:
        member = await get_or_create_member(s, channel="bench", external_id="leader")
        await bind_member(
            s, member_id=member.id or 0, unit_id=1, actor="bench", role=Role.LEADER.value
        )
    per_s, _ = await _submit(handlers, 0)
    return per_s


async def _submit(handlers: Handlers, first: int) -> tuple[float, float]:
    """Send SUBMISSIONS one-line reports; return reports per second and CPU ms per report."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(first, first + SUBMISSIONS):
        text = f"/baocao 3.3 dang lam {i % 100}% đã hoàn thành bước {i}"
        replies = await handlers.handle(_incoming("leader", text))
        assert "Đã lưu" in replies[0].text, replies[0].text
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return round(SUBMISSIONS / elapsed, 1), round(cpu * 1000 / SUBMISSIONS, 2)


async def _alone() -> None:
    """Time the reports alone on a fresh SQLite database; print them beside the target."""
    from bench.bench_storage import _seed_units
    from storage.engine import create_engine
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/reports.db")
        await upgrade(engine)
        await _seed_units(engine)
        await _submissions(engine)  # warm up: the leader, compiled statements
        sessions = session_factory(engine)
        handlers = Handlers(
            library=load_library(), clock=lambda: datetime.now(VN), sessions=sessions
        )
        runs = [await _submit(handlers, (n + 1) * SUBMISSIONS) for n in range(RUNS_ALONE)]
        await engine.dispose()
    per_s = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(
        f"reports via the handlers (SQLite): {per_s}/s, {cpu} ms CPU each"
        "   (target ≥ 500/s, goal 1,000/s)"
    )


if __name__ == "__main__":
    asyncio.run(_alone())
