"""Reminder admin commands: `deadlines`, `remind plan`, `outbox status`, `broadcast`.

Each runs as `python -m bot …` on a throw-away SQLite file, with the reminder clock fixed
by CLOCK_START (1 June 2026, 10:00 in Hà Nội), so days left and the plan are stable.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Outbox
from storage.queries.audit import list_audit
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.outbox import OutboxRow, claim_due, enqueue, mark_failed, mark_undeliverable
from storage.queries.progress import add_update
from storage.queries.units import get_unit
from tests.clitools import ok
from tests.clitools import refused as shared_refused

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=VN)
Run = Callable[..., subprocess.CompletedProcess[str]]
_HIDDEN = (
    "DATABASE_URL",
    "DOCUMENTS_DIR",
    "LOG_LEVEL",
    "ADMINS",
    "TIMEZONE",
    "DATA_DIR",
    "REMINDER_OFFSETS",
    "REMINDER_TIME",
    "OVERDUE_EVERY",
    "OVERDUE_FOR",
    "PERIOD_REMINDER_DAYS",
    "QUIET_HOURS",
    "SKIP_WEEKENDS",
    "CLOCK_START",
)
#: external id → (unit code, display name); all leaders on Telegram
LEADERS = {"100": ("T", "Bí thư Tỉnh"), "200": ("H", "Bí thư Huyện"), "300": ("X", "Bí thư Xã")}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"


@pytest.fixture
def bot(tmp_path: Path, db_url: str) -> Run:
    """Return a function running `python -m bot ARGS` at NOW on a SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN}
    env.update(PYTHONIOENCODING="utf-8", DATABASE_URL=db_url, CLOCK_START=NOW.isoformat())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    return run


def refused(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """Assert the command failed with `code`, one message and no traceback; return it."""
    shared_refused(result, code)
    lines = [line for line in result.stderr.splitlines() if " INFO " not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def seed(db_url: str) -> None:
    """Units T > H > X, one Telegram leader each; X has finished 3.3 (reported 31/05)."""

    async def go() -> None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                for external_id, (code, name) in LEADERS.items():
                    unit = await get_unit(session, code=code)
                    assert unit is not None and unit.id is not None
                    member = await get_or_create_member(
                        session, channel="telegram", external_id=external_id, display_name=name
                    )
                    assert member.id is not None
                    await bind_member(
                        session, member_id=member.id, unit_id=unit.id, role="leader", actor="t"
                    )
                unit = await get_unit(session, code="X")
                assert unit is not None and unit.id is not None
                await add_update(
                    session,
                    unit_id=unit.id,
                    task_code="3.3",
                    status="hoan_thanh",
                    reported_at=NOW - timedelta(days=1),
                )
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.fixture
def tree(bot: Run, db_url: str) -> None:
    ok(bot("units", "add", "T", "Tỉnh ủy"))
    ok(bot("units", "add", "H", "Huyện ủy", "--parent", "T"))
    ok(bot("units", "add", "X", "Đảng ủy xã", "--parent", "H"))
    seed(db_url)


# --- deadlines -------------------------------------------------------------------


def test_add_with_a_date_shows_the_reminder_times(bot):
    out = ok(bot("deadlines", "add", "--task", "3.3", "--due", "15/07/2026"))
    assert "#1" in out and "3.3" in out
    assert "15/07/2026 08:00" in out
    for at in ("15/06/2026 08:00", "08/07/2026 08:00", "14/07/2026 08:00"):
        assert at in out
    assert "vài giây" in out  # the running bot picks it up by itself


def test_add_with_an_iso_datetime_as_json(bot):
    due = "2026-07-15T17:30:00+07:00"
    shown = json.loads(
        ok(bot("deadlines", "add", "--task", "2.1", "--due", due, "--remind", "7d,2h", "--json"))
    )
    assert shown["id"] == 1 and shown["task"] == "2.1"
    assert shown["due_at"] == due
    assert shown["remind"] == ["7d", "2h"]
    assert shown["reminders_at"] == ["2026-07-08T17:30:00+07:00", "2026-07-15T15:30:00+07:00"]
    utc = json.loads(
        ok(bot("deadlines", "add", "--task", "2.1", "--due", "2026-07-20T01:00:00+00:00", "--json"))
    )
    assert utc["due_at"] == "2026-07-20T08:00:00+07:00"
    assert utc["remind"] == ["30d", "7d", "1d", "0d"]  # REMINDER_OFFSETS by default


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--due", "15/07/2026", "--remind", "30d,7x"), "Mốc nhắc"),
        (("--due", "15/07/2026", "--remind", ","), "Mốc nhắc"),
        (("--due", "31/02/2026"), "không hợp lệ"),
        (("--due", "ngày mai"), "không hợp lệ"),
        (("--due", "2026-07-15T08:00"), "múi giờ"),
        (("--due", "2026-07-15T08:00+07:00", "--at", "09:00"), "--at"),
        (("--due", "15/07/2026", "--at", "25:00"), "Giờ"),
    ],
)
def test_bad_input_is_refused(bot, args, words):
    assert words in refused(bot("deadlines", "add", "--task", "3.3", *args))


def test_unknown_task_names_the_nearest_codes(bot):
    message = refused(bot("deadlines", "add", "--task", "3.9", "--due", "15/07/2026"))
    assert "3.9" in message
    assert "3.1, 3.2, 3.3" in message
    assert "Chưa có hạn" in ok(bot("deadlines", "list"))


def test_list_remove_and_list_all(bot):
    ok(bot("deadlines", "add", "--task", "3.3", "--due", "15/07/2026"))
    ok(bot("deadlines", "add", "--task", "2.1", "--due", "2026-05-20", "--title", "Sơ kết"))
    out = ok(bot("deadlines", "list"))
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["ID", "Nhiệm"]
    assert "2.1" in lines[2] and "đã quá hạn 12 ngày" in lines[2] and "Sơ kết" in lines[2]
    assert "3.3" in lines[3] and "còn 44 ngày" in lines[3] and "30d,7d,1d,0d" in lines[3]
    assert "quản trị" in lines[3]
    rows = json.loads(ok(bot("deadlines", "list", "--json")))
    assert [(r["id"], r["days_left"], r["overdue"]) for r in rows] == [
        (2, -12, True),
        (1, 44, False),
    ]

    assert "Đã xóa hạn #1" in ok(bot("deadlines", "remove", "1"))
    assert "3.3" not in ok(bot("deadlines", "list"))
    every = ok(bot("deadlines", "list", "--all"))
    assert "3.3" in every and "đã xóa" in every
    assert "#1" in refused(bot("deadlines", "remove", "1"))  # already removed
    assert "#99" in refused(bot("deadlines", "remove", "99"))
    assert "abc" in refused(bot("deadlines", "remove", "abc"))


# --- remind plan -----------------------------------------------------------------


def test_plan_lists_the_next_occasions_in_time_order(bot, tree):
    ok(bot("deadlines", "add", "--task", "3.3", "--due", "15/06/2026"))
    ok(
        bot(
            "deadlines",
            "add",
            "--task",
            "2.1",
            "--due",
            "10/06/2026",
            "--at",
            "22:00",
            "--remind",
            "1d",
        )
    )
    plan = json.loads(ok(bot("remind", "plan", "--json", "--limit", "8")))
    assert plan["now"].startswith("2026-06-01T10:00")
    got = [
        (e["at"][:16], e["deliver_at"][:16], e["label"], e["recipients"]) for e in plan["entries"]
    ]
    assert got == [
        # the 30 days' reminder of 3.3 (16/05) is past, so not shown
        ("2026-06-08T08:00", "2026-06-08T08:00", "hạn 3.3 — trước 7 ngày", 2),
        ("2026-06-09T22:00", "2026-06-10T07:00", "hạn 2.1 — trước 1 ngày", 3),
        ("2026-06-14T08:00", "2026-06-14T08:00", "hạn 3.3 — trước 1 ngày", 2),
        ("2026-06-15T08:00", "2026-06-15T08:00", "hạn 3.3 — đúng hạn", 2),
        ("2026-06-17T22:00", "2026-06-18T07:00", "quá hạn 2.1 lần 1", 3),
        ("2026-06-22T08:00", "2026-06-22T08:00", "quá hạn 3.3 lần 1", 2),
        ("2026-06-24T22:00", "2026-06-25T07:00", "quá hạn 2.1 lần 2", 3),
        # quarter and half year end 30/06: T, H and X all miss tasks of quý II/2026
        # (X reported one task, which is not all of them)
        ("2026-06-25T08:00", "2026-06-25T08:00", "hết kỳ báo cáo 30/06/2026 (quý, 6 tháng)", 3),
    ]
    assert [e["quiet"] for e in plan["entries"]][:2] == [False, True]
    assert plan["entries"][0]["occasion"] == "deadline:1:7d"
    assert plan["total"] > 8

    out = ok(bot("remind", "plan", "--limit", "3"))
    lines = out.splitlines()
    assert "01/06/2026 10:00" in lines[0]
    assert lines[3].startswith("08/06/2026 08:00") and lines[3].split()[-1] == "2"
    assert lines[4].startswith("09/06/2026 22:00") and "gửi 10/06/2026 07:00" in lines[4]
    assert "21:00-07:00" in out and "--limit" in out


def test_plan_limit_is_checked(bot):
    assert "1 đến 1000" in refused(bot("remind", "plan", "--limit", "0"))
    entries = json.loads(ok(bot("remind", "plan", "--limit", "1", "--json")))["entries"]
    assert [e["kind"] for e in entries] == ["period"]  # the directive's reporting rhythm


# --- outbox status ---------------------------------------------------------------


def fill_outbox(db_url: str) -> None:
    """Two reminder rows: one refused for good (blocked), one failed once (retrying)."""

    async def go() -> None:
        engine = create_engine(db_url)
        now = datetime.now(UTC)
        try:
            async with session_factory(engine)() as session:
                rows = [
                    OutboxRow(
                        key=f"deadline:1:7d:member:{n}",
                        occasion="deadline:1:7d",
                        kind="reminder",
                        channel="telegram",
                        chat_id=chat,
                        text="⏰ Nhắc hạn",
                        member_id=n,
                    )
                    for n, chat in ((1, "100"), (2, "200"))
                ]
                await enqueue(session, rows=rows, now=now)
                claimed = await claim_due(
                    session, channel="telegram", now=now, limit=10, worker="test"
                )
                first, second = sorted(claimed, key=lambda row: row.chat_id)
                assert first.id is not None and second.id is not None
                await mark_undeliverable(
                    session, outbox_id=first.id, error="Forbidden: bot was blocked by the user"
                )
                await mark_failed(
                    session,
                    outbox_id=second.id,
                    error="Timed out",
                    retry_at=now + timedelta(minutes=1),
                    max_attempts=8,
                )
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_outbox_status_empty(bot):
    assert "Hàng đợi trống" in ok(bot("outbox", "status"))
    shown = json.loads(ok(bot("outbox", "status", "--json")))
    assert shown["channels"] == {} and shown["totals"]["pending"] == 0


def test_outbox_status_counts_errors_and_unreachable(bot, tree, db_url):
    fill_outbox(db_url)
    out = ok(bot("outbox", "status"))
    header, _, telegram = out.splitlines()[1:4]
    assert header.split()[:3] == ["Kênh", "Chờ", "gửi"]
    assert telegram.split() == ["telegram", "1", "0", "0", "0", "0", "1", "0"]
    assert "Timed out" in out and "bot was blocked" in out
    assert "telegram:100 — Bí thư Tỉnh (T)" in out
    shown = json.loads(ok(bot("outbox", "status", "--json")))
    assert shown["channels"]["telegram"]["undeliverable"] == 1
    assert [e["error"] for e in shown["last_errors"]] == [  # newest first
        "Timed out",
        "Forbidden: bot was blocked by the user",
    ]
    assert shown["undeliverable"][0]["chat_id"] == "100"
    assert shown["undeliverable"][0]["unit"] == "T"


# --- broadcast -------------------------------------------------------------------


def outbox_rows(db_url: str) -> list[Outbox]:
    async def go() -> list[Outbox]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return list((await session.scalars(select(Outbox).order_by(Outbox.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_broadcast_to_a_unit_queues_one_message_per_leader_of_its_subtree(bot, tree, db_url):
    out = ok(bot("broadcast", "Họp giao ban lúc 14:00", "--to", "unit:H", "--wait", "1"))
    assert "#1" in out and "2 người" in out
    assert "đang chờ 2" in out
    assert "bot đang chạy" in out and "vẫn nằm trong hàng đợi" in out
    rows = outbox_rows(db_url)
    assert sorted(row.chat_id for row in rows) == ["200", "300"]  # H and X, not T
    assert {(row.occasion, row.kind, row.status) for row in rows} == {
        ("broadcast:1", "broadcast", "pending")
    }
    assert rows[0].text == "Họp giao ban lúc 14:00"
    status = ok(bot("outbox", "status"))
    assert status.splitlines()[3].split()[:2] == ["telegram", "2"]


def test_broadcast_json_without_waiting(bot, tree, db_url):
    shown = json.loads(ok(bot("broadcast", "Chào", "--to", "leaders", "--wait", "0", "--json")))
    assert shown == {
        "id": 1,
        "audience": "leaders",
        "total": 3,
        "sent": 0,
        "failed": 0,
        "pending": 3,
        "bot_sending": None,  # not watched
    }


def test_broadcast_to_incomplete_units_leaves_out_an_exempt_one(bot, tree, db_url):
    ok(bot("units", "exempt", "H", "--from", "01/04/2026", "--to", "30/06/2026", "--reason", "x"))
    shown = json.loads(ok(bot("broadcast", "Nhắc", "--to", "INCOMPLETE", "--wait", "0", "--json")))
    assert (shown["audience"], shown["total"]) == ("incomplete", 2)  # nobody reported: T, X
    assert sorted(row.chat_id for row in outbox_rows(db_url)) == ["100", "300"]
    assert "chưa báo cáo đủ" in ok(bot("broadcast", "Nhắc", "--to", "incomplete", "--wait", "0"))


def test_broadcast_bad_input(bot, tree, db_url):
    assert "NOPE" in refused(bot("broadcast", "Chào", "--to", "unit:NOPE", "--wait", "0"))
    assert "không được để trống" in refused(bot("broadcast", "   ", "--to", "all"))
    assert "4000" in refused(bot("broadcast", "x" * 4001, "--to", "all"))
    assert "everyone" in refused(bot("broadcast", "Chào", "--to", "everyone"))
    assert "giây" in refused(bot("broadcast", "Chào", "--to", "all", "--wait", "-1"))
    assert outbox_rows(db_url) == []


# --- outbox retry / drop ------------------------------------------------------------------


def kill_outbox(db_url: str, count: int) -> list[int]:
    """Queue `count` reminders and make them dead (one failed attempt of one allowed)."""

    async def go() -> list[int]:
        await upgrade(db_url)
        engine = create_engine(db_url)
        now = datetime.now(UTC)
        try:
            async with session_factory(engine)() as session:
                rows = [
                    OutboxRow(
                        key=f"deadline:2:1d:member:{n}",
                        occasion="deadline:2:1d",
                        kind="reminder",
                        channel="telegram",
                        chat_id=str(n),
                        text="⏰ Nhắc hạn",
                    )
                    for n in range(count)
                ]
                await enqueue(session, rows=rows, now=now)
                claimed = await claim_due(
                    session, channel="telegram", now=now, limit=99, worker="t"
                )
                for row in claimed:
                    assert row.id is not None
                    await mark_failed(
                        session, outbox_id=row.id, error="Timed out", retry_at=now, max_attempts=1
                    )
                return sorted(row.id for row in claimed if row.id is not None)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def outbox_audit(db_url: str) -> list[tuple[str, str, str]]:
    async def go() -> list[tuple[str, str, str]]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = reversed(await list_audit(session))  # oldest first
                return [
                    (a.actor, a.action, a.target) for a in rows if a.action.startswith("outbox")
                ]
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_outbox_retry_and_drop_act_on_dead_messages_only(bot, db_url):
    first, second, third = kill_outbox(db_url, 3)
    status = ok(bot("outbox", "status"))
    assert "3 tin đã bỏ cuộc" in status and f"#{first} deadline:2:1d" in status
    assert "đã bỏ cuộc" in refused(bot("outbox", "retry"))  # neither an id nor --dead
    assert "đã bỏ cuộc" in refused(bot("outbox", "retry", str(first), "--dead"))
    assert "không hợp lệ" in refused(bot("outbox", "retry", "abc"))
    assert "Không có tin nào mang mã 999" in refused(bot("outbox", "drop", "999"))

    assert "Đã xếp lại 1 tin" in ok(bot("outbox", "retry", f"#{first}"))
    assert "«Chờ gửi»" in refused(bot("outbox", "retry", str(first)))  # pending now
    assert "«Chờ gửi»" in refused(bot("outbox", "drop", str(first)))
    assert json.loads(ok(bot("outbox", "drop", str(second), "--json"))) == {"dropped": second}
    assert "«Đã bỏ»" in refused(bot("outbox", "retry", str(second)))
    assert json.loads(ok(bot("outbox", "retry", "--dead", "--json"))) == {"retried": 1}
    assert "Không có tin nào đã bỏ cuộc" in ok(bot("outbox", "retry", "--dead"))

    rows = {row.id: row for row in outbox_rows(db_url)}
    assert (rows[first].status, rows[first].attempts) == ("pending", 0)
    assert NOW <= rows[first].next_attempt_at < NOW + timedelta(minutes=1)  # the bot's clock
    assert rows[second].status == "dropped"
    assert (rows[third].status, rows[third].attempts) == ("pending", 0)
    assert outbox_audit(db_url) == [
        ("cli", "outbox.retry", f"outbox:{first}"),
        ("cli", "outbox.drop", f"outbox:{second}"),
        ("cli", "outbox.retry", "outbox:dead"),
    ]
