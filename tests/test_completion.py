"""Issue 14: what "reported" means for a period — /chuabaocao, task scope, exemptions, the
period reminder, holidays and the escalation digest (checks 1-4), on a pinned clock.

In-process: the real handlers and reminder jobs on a migrated SQLite file (with the seeded
central-level tasks of migration 0008). `remind plan --json` runs as `python -m bot`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers import Handlers, Incoming
from handlers.ports import Sessions
from handlers.types import Reply
from knowledge import Library, load_library
from scheduler import jobs
from scheduler.clock import Clock
from scheduler.holidays import load_holidays
from scheduler.plan import QuietHours, weekly_digest_times
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Outbox
from storage.queries.applicability import add_exemption, clear_task_scope, set_task_scope
from storage.queries.completion import task_scope
from storage.queries.invites import create_invite
from storage.queries.members import bind_member, get_or_create_member, set_member_role
from storage.queries.progress import add_update
from storage.queries.units import get_unit, upsert_unit
from tests.clitools import ok

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)  # a Friday in quý IV/2026
LIBRARY: Library = load_library()
LEAVES = [t.code for t in LIBRARY.tasks() if not t.children]
UNITS = (  # code, name, parent, level
    ("TU-BD", "Tỉnh ủy Bình Định", None, "tinh"),
    ("HU-TP", "Huyện ủy Tuy Phước", "TU-BD", "huyen"),
    ("HU-AN", "Huyện ủy An Nhơn", "TU-BD", "huyen"),
)
LEADERS = {"chief": "TU-BD", "tp": "HU-TP", "an": "HU-AN"}

Say = Callable[..., Awaitable[list[Reply]]]


async def central(sessions: Sessions) -> set[str]:
    """Return the tasks scoped to the central level (by default: storage/data/task-scope.tsv)."""
    async with sessions() as s:
        scope = await task_scope(s)
    return {code for code, (levels, _) in scope.narrowed.items() if levels == {"tw"}}


@pytest.fixture
async def tree(sessions: Sessions) -> dict[str, int]:
    """A province with two districts, each with its leader registered by invite."""
    ids: dict[str, int] = {}
    async with sessions() as s:
        for code, name, parent, level in UNITS:
            unit = await upsert_unit(
                s, code=code, name=name, actor="t", parent_code=parent, level=level
            )
            ids[code] = unit.id or 0
    return ids


@pytest.fixture
def bot(sessions: Sessions) -> Handlers:
    return Handlers(
        library=LIBRARY, clock=lambda: NOW, sessions=sessions, admins=frozenset({"test:boss"})
    )


@pytest.fixture
async def say(bot: Handlers, sessions: Sessions, tree: dict[str, int]) -> Say:
    """Register the leaders, then return a function sending as a user (text or payload)."""

    async def send(text: str = "", *, user: str = "boss", payload: str | None = None) -> Any:
        incoming = Incoming(
            channel="test", chat_id=user, user_id=user, text=text, payload=payload, at=NOW
        )
        return await bot.handle(incoming)

    for user, code in LEADERS.items():
        async with sessions() as s:
            _, secret = await create_invite(s, unit_id=tree[code], created_by="t", now=NOW)
        await send(f"/dangky {secret}", user=user)
    return send


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row]


# --- check 1 ----------------------------------------------------------------------


async def test_check1_admin_sees_every_incomplete_unit_with_its_count(
    say: Say, sessions: Sessions, tree: dict[str, int]
) -> None:
    applicable = [c for c in LEAVES if c not in await central(sessions)]
    await say("/baocao 3.3 hoan thanh", user="tp")
    answer = text_of(await say("/chuabaocao"))
    assert "0/3 đơn vị đã báo cáo đủ quý IV/2026" in answer
    assert "Tất cả" not in answer
    m = len(applicable)
    assert f"HU-TP — Huyện ủy Tuy Phước: thiếu {m - 1}/{m} nhiệm vụ" in answer
    assert f"HU-AN — Huyện ủy An Nhơn: thiếu {m}/{m} nhiệm vụ" in answer
    assert answer.index("HU-AN —") < answer.index("HU-TP —")  # most missing first
    buttons = payloads(await say("/chuabaocao"))
    assert f"cbu:{tree['HU-AN']}" in buttons and f"cbu:{tree['HU-TP']}" in buttons
    # drill into a task: the units missing 3.3 (HU-TP reported it)
    across = text_of(await say(payload="cbt:3.3"))
    assert "HU-AN" in across and "TU-BD" in across and "HU-TP" not in across
    # drill into a unit: its missing tasks, without report buttons (not the admin's unit)
    unit = await say(payload=f"cbu:{tree['HU-TP']}")
    assert f"còn {m - 1} nhiệm vụ chưa báo cáo quý IV/2026" in text_of(unit)
    assert payloads(unit) == []


async def test_check1_district_leader_sees_its_own_missing_tasks(
    say: Say, sessions: Sessions
) -> None:
    applicable = [c for c in LEAVES if c not in await central(sessions)]
    await say("/baocao 3.3 hoan thanh", user="tp")
    own = await say("/chuabaocao", user="tp")
    shown = text_of(own)
    assert "HU-TP — Huyện ủy Tuy Phước còn" in shown and "• 3.3 " not in shown
    assert payloads(own) == [f"bc:t:{c}" for c in applicable if c != "3.3"]
    # one tap starts the report for that task
    first = applicable[0]
    started = text_of(await say(payload=f"bc:t:{first}", user="tp"))
    assert first in started
    # the province leader sees its districts, not itself
    chief = text_of(await say("/chuabaocao", user="chief"))
    assert "0/2 đơn vị đã báo cáo đủ quý IV/2026" in chief and "TU-BD —" not in chief


async def test_complete_unit_is_counted_and_not_listed(say: Say, sessions: Sessions) -> None:
    applicable = [c for c in LEAVES if c not in await central(sessions)]
    for code in applicable:
        await say(f"/baocao {code} dang thuc hien 50", user="tp")
    answer = text_of(await say("/chuabaocao"))
    assert "1/3 đơn vị đã báo cáo đủ quý IV/2026" in answer and "HU-TP —" not in answer
    assert "đã báo cáo đủ các nhiệm vụ quý IV/2026" in text_of(await say("/chuabaocao", user="tp"))
    rates = text_of(await say("/tiendo"))
    assert "Tỷ lệ báo cáo quý IV/2026" in rates and "1/3 đơn vị đủ" in rates
    assert "quý I/2026" in rates and "quý IV/2026" in rates  # four quarters' trend
    assert "• 3.3 Tham mưu Kế hoạch triển khai" in rates  # a short title, not a bare code
    assert all(len(r.text) <= 2000 for r in await say("/tiendo"))


# --- check 2 ----------------------------------------------------------------------


async def test_check2_a_task_narrowed_to_central_drops_out_of_district_lists(
    say: Say, sessions: Sessions
) -> None:
    seeded = await central(sessions)
    assert "6.2" in seeded  # the Búa Liềm vàng prize is the Central Commission's own
    for user in ("tp", "an"):
        assert "bc:t:6.2" not in payloads(await say("/chuabaocao", user=user))
    before = payloads(await say("/chuabaocao", user="an"))
    assert "bc:t:1.1" in before
    async with sessions() as s:
        await set_task_scope(s, task_code="1.1", levels=["tw"], actor="test")
    for user in ("tp", "an"):
        after = payloads(await say("/chuabaocao", user=user))
        assert "bc:t:1.1" not in after
    assert payloads(await say("/chuabaocao", user="an")) == [p for p in before if p != "bc:t:1.1"]
    m = len(LEAVES) - len(seeded) - 1
    assert f"HU-AN — Huyện ủy An Nhơn: thiếu {m}/{m} nhiệm vụ" in text_of(await say("/chuabaocao"))
    assert "HU-AN" not in text_of(await say(payload="cbt:1.1"))
    # an admin widens a default central task again: every unit must report it
    async with sessions() as s:
        assert await clear_task_scope(s, task_code="6.2", actor="test")
    assert "bc:t:6.2" in payloads(await say("/chuabaocao", user="an"))


# --- check 3 (chat and jobs) --------------------------------------------------------


class PinnedClock(Clock):
    """The reminder clock standing at a given moment."""

    def __init__(self, moment: datetime) -> None:
        super().__init__(moment)
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def runtime(sessions: Sessions) -> Callable[[datetime], None]:
    """Return a function setting the jobs' runtime at a pinned moment."""

    def set_at(moment: datetime) -> None:
        jobs.RUNTIME = jobs.Runtime(sessions, LIBRARY, PinnedClock(moment), VN, lambda: None)

    yield set_at
    jobs.RUNTIME = None


async def outbox(sessions: Sessions, occasion: str) -> list[Outbox]:
    async with sessions() as s:
        query = select(Outbox).where(Outbox.occasion == occasion).order_by(Outbox.chat_id)
        return list((await s.scalars(query)).all())


async def test_check3_an_exempt_unit_is_neither_counted_nor_reminded(
    say: Say, sessions: Sessions, tree: dict[str, int], runtime: Callable[[datetime], None]
) -> None:
    async with sessions() as s:
        await add_exemption(
            s,
            unit_id=tree["HU-AN"],
            starts_on=date(2026, 11, 1),
            ends_on=date(2027, 1, 31),
            reason="sáp nhập",
            actor="test",
        )
    answer = text_of(await say("/chuabaocao"))
    assert "0/2 đơn vị đã báo cáo đủ quý IV/2026 (1 đơn vị được miễn" in answer
    assert "HU-AN" not in answer
    assert "được miễn báo cáo quý IV/2026" in text_of(await say("/chuabaocao", user="an"))
    runtime(datetime(2026, 12, 26, 8, 0, tzinfo=VN))
    await jobs.fire_period("2026-12-31", "2026-10-01", "quarter,half_year,year")
    rows = await outbox(sessions, "period:2026-12-31")
    assert [r.chat_id for r in rows] == ["chief", "tp"]  # not "an"
    tp = rows[1]
    assert "quý IV/2026" in tp.text and "• 3.3 " in tp.text
    assert ["Báo cáo 1.1: Tham mưu cấp ủy các cấp…", "bc:t:1.1"] in tp.buttons


async def test_period_reminder_skips_complete_units_and_is_written_once(
    say: Say, sessions: Sessions, runtime: Callable[[datetime], None]
) -> None:
    for code in [c for c in LEAVES if c not in await central(sessions)]:
        await say(f"/baocao {code} dang thuc hien", user="an")
    runtime(datetime(2026, 12, 26, 8, 0, tzinfo=VN))
    for _ in range(2):
        await jobs.fire_period("2026-12-31", "2026-10-01", "quarter")
    assert [r.chat_id for r in await outbox(sessions, "period:2026-12-31")] == ["chief", "tp"]


def test_check3_a_reminder_on_new_year_goes_out_the_next_working_day() -> None:
    quiet = QuietHours.parse("21:00-07:00", VN, skip_weekends=True, holidays=load_holidays(""))
    new_year = datetime(2027, 1, 1, 8, 0, tzinfo=VN)  # a Friday
    assert quiet.next_open(new_year) == datetime(2027, 1, 4, 7, 0, tzinfo=VN)  # Monday
    tet = datetime(2027, 2, 6, 8, 0, tzinfo=VN)  # mùng 1 Tết Đinh Mùi
    assert quiet.next_open(tet) == datetime(2027, 2, 10, 7, 0, tzinfo=VN)  # after mùng 4
    off = QuietHours.parse("21:00-07:00", VN, holidays=load_holidays("off"))
    assert off.next_open(new_year) == new_year


# --- check 4 ----------------------------------------------------------------------


async def test_check4_escalation_reaches_the_province_leader_once(
    say: Say, sessions: Sessions, tree: dict[str, int], runtime: Callable[[datetime], None]
) -> None:
    async with sessions() as s:
        await upsert_unit(
            s, code="HU-PC", name="Huyện ủy Phù Cát", actor="t", parent_code="TU-BD", level="huyen"
        )
    applicable = [c for c in LEAVES if c not in await central(sessions)]
    for code in applicable:
        await say(f"/baocao {code} dang thuc hien", user="tp")
    await say("/baocao 3.3 hoan thanh", user="an")
    # three days after quý IV/2026 ended
    runtime(datetime(2027, 1, 3, 8, 0, tzinfo=VN))
    for _ in range(2):
        await jobs.fire_escalation("2026-12-31")
    rows = await outbox(sessions, "escalate:2026Q4")
    assert [r.chat_id for r in rows] == ["chief"]
    digest = rows[0].text
    assert "Đã hết quý IV/2026: 2 đơn vị trực thuộc còn thiếu báo cáo" in digest
    assert "HU-AN — Huyện ủy An Nhơn" in digest and "HU-PC — Huyện ủy Phù Cát" in digest
    assert "HU-TP" not in digest


async def test_each_parent_gets_one_digest_of_its_own_incomplete_children(
    say: Say, sessions: Sessions, tree: dict[str, int], runtime: Callable[[datetime], None]
) -> None:
    # TU-BD > HU-TP (> XA-1 complete, XA-2 silent), HU-AN complete; TU-BD has two leaders.
    async with sessions() as s:
        for code in ("XA-1", "XA-2"):
            await upsert_unit(s, code=code, name=f"Xã {code}", actor="t", parent_code="HU-TP")
        xa1 = await get_unit(s, code="XA-1")
        _, secret = await create_invite(s, unit_id=tree["TU-BD"], created_by="t", now=NOW)
    await say(f"/dangky {secret}", user="deputy")
    applicable = [c for c in LEAVES if c not in await central(sessions)]
    async with sessions() as s:
        for code in applicable:
            await add_update(
                s, unit_id=xa1.id or 0, task_code=code, status="dang_thuc_hien", reported_at=NOW
            )
    for code in applicable:
        await say(f"/baocao {code} dang thuc hien", user="an")
    runtime(datetime(2027, 1, 3, 8, 0, tzinfo=VN))  # ESCALATE_AFTER (3 days) past quý IV
    for _ in range(3):
        await jobs.fire_escalation("2026-12-31")
    rows = await outbox(sessions, "escalate:2026Q4")
    assert [r.chat_id for r in rows] == ["chief", "deputy", "tp"]  # "an" has no units below
    for row in rows[:2]:
        assert "1 đơn vị trực thuộc còn thiếu báo cáo" in row.text
        assert "HU-TP — Huyện ủy Tuy Phước" in row.text and "HU-AN" not in row.text
        assert "XA-2" not in row.text  # a grandchild is its own parent's business
    assert "XA-2 — Xã XA-2" in rows[2].text and "XA-1" not in rows[2].text


# --- check 1 and 3: remind plan --json --------------------------------------------


def run_bot(
    tmp_path: Path, db_url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` with only the given settings."""
    hidden = ("DATABASE_URL", "DOCUMENTS_DIR", "ADMINS", "TIMEZONE", "DATA_DIR", "CLOCK_START")
    base = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith("PERIOD")}
    base.update(PYTHONIOENCODING="utf-8", DATABASE_URL=db_url, **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=base,
        timeout=120,
    )


def seed_plan(db_url: str, exempt: bool) -> None:
    """The province and two districts with Telegram leaders; HU-TP reported 3.3 done."""

    async def go() -> None:
        await upgrade(db_url)
        engine = create_engine(db_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as s:
                ids = {}
                for code, name, parent, level in UNITS:
                    unit = await upsert_unit(
                        s, code=code, name=name, actor="t", parent_code=parent, level=level
                    )
                    ids[code] = unit.id or 0
                for external_id, code in LEADERS.items():
                    member = await get_or_create_member(
                        s, channel="telegram", external_id=external_id, display_name=external_id
                    )
                    await bind_member(
                        s, member_id=member.id or 0, unit_id=ids[code], role="leader", actor="t"
                    )
                await add_update(
                    s,
                    unit_id=ids["HU-TP"],
                    task_code="3.3",
                    status="hoan_thanh",
                    reported_at=NOW - timedelta(days=1),
                )
                if exempt:
                    await add_exemption(
                        s,
                        unit_id=ids["HU-AN"],
                        starts_on=date(2026, 10, 1),
                        ends_on=date(2027, 3, 31),
                        reason="sáp nhập",
                        actor="t",
                    )
        finally:
            await engine.dispose()

    asyncio.run(go())


def plan_entries(tmp_path: Path, db_url: str, start: datetime, **env: str) -> list[dict[str, Any]]:
    result = run_bot(
        tmp_path, db_url, "remind", "plan", "--json", CLOCK_START=start.isoformat(), **env
    )
    return list(json.loads(ok(result))["entries"])


def test_check1_remind_plan_names_both_district_leaders(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    seed_plan(db_url, exempt=False)
    entries = plan_entries(tmp_path, db_url, NOW)
    period = next(e for e in entries if e["occasion"] == "period:2026-12-31")
    units = {entry["unit"]: entry["missing"] for entry in period["to"]}
    assert {"HU-TP", "HU-AN"} <= set(units) and period["recipients"] == len(units) == 3
    assert units["HU-TP"] == units["HU-AN"] - 1  # 3.3 done counts as reported
    escalate = next(e for e in entries if e["occasion"] == "escalate:2026-12-31")
    assert [(e["unit"], e["units"]) for e in escalate["to"]] == [("TU-BD", ["HU-AN", "HU-TP"])]


def test_check3_remind_plan_skips_exempt_units_and_new_year(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    seed_plan(db_url, exempt=True)
    start = datetime(2026, 12, 28, 9, 0, tzinfo=VN)
    # the quý I/2027 reminder 89 days before 31/3/2027 falls on 1/1/2027, a holiday
    entries = plan_entries(tmp_path, db_url, start, PERIOD_REMINDER_DAYS="89")
    period = next(e for e in entries if e["occasion"] == "period:2027-03-31")
    assert period["at"].startswith("2027-01-01T08:00")
    assert period["deliver_at"].startswith("2027-01-02T07:00") and period["quiet"]
    assert "HU-AN" not in {entry["unit"] for entry in period["to"]}
    assert {entry["unit"] for entry in period["to"]} == {"TU-BD", "HU-TP"}


async def test_admins_who_opt_in_get_the_weekly_digest_of_the_whole_tree(
    say: Say, sessions: Sessions, runtime: Callable[[datetime], None]
) -> None:
    async with sessions() as s:
        admin = await set_member_role(
            s, channel="test", external_id="committee", role="admin", actor="test"
        )
    await say("/nhacnho bat", user="committee")
    await say("/nhacnho bat", user="tp")  # a leader's opt-in is for deadlines, not this digest
    assert admin.id is not None
    runtime(datetime(2026, 11, 23, 8, 0, tzinfo=VN))
    for _ in range(2):
        await jobs.fire_digest("2026-11-23")
    rows = await outbox(sessions, "digest:2026-11-23")
    assert [r.chat_id for r in rows] == ["committee"]
    assert "0/3 đơn vị đã báo cáo đủ quý IV/2026" in rows[0].text
    assert "HU-AN — Huyện ủy An Nhơn" in rows[0].text and "TU-BD" in rows[0].text


def test_the_weekly_digest_is_planned_on_mondays() -> None:
    times = weekly_digest_times(date(2026, 11, 20), time(8, 0), VN)
    assert [day for _, day in times] == [date(2026, 11, 23), date(2026, 11, 30)]
    assert times[0][0] == datetime(2026, 11, 23, 8, 0, tzinfo=VN)
