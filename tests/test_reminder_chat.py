"""Deadlines, reminder opt-in and broadcasts in chat, through the real handlers and SQLite."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers import Handlers, Incoming
from handlers.ports import Sessions
from knowledge import load_library
from storage.queries.deadlines import list_deadlines
from storage.queries.members import get_member
from storage.queries.outbox import status_counts

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
LIBRARY = load_library()
# a due date, as the directive ("trước ngày 31/3/2024") or the bot ("hạn 31/03/2024") says it
DUE = re.compile(r"(?:trước ngày|hạn) (\d{1,2})/(\d{1,2})/(\d{4})")


@pytest.fixture
def say(sessions: Sessions) -> Any:
    bot = Handlers(
        library=LIBRARY, clock=lambda: NOW, sessions=sessions, admins=frozenset({"test:boss"})
    )

    async def send(text: str = "", *, user: str = "u1", payload: str | None = None) -> str:
        incoming = Incoming(
            channel="test", chat_id=user, user_id=user, text=text, payload=payload, at=NOW
        )
        return "\n".join(r.text for r in await bot.handle(incoming))

    return send


async def test_everyone_sees_the_deadlines_with_days_left(say: Any) -> None:
    shown = await say("/hanchot")
    assert "31/03/2024" in shown and "đã quá hạn" in shown
    assert "31/12/2026" in shown and "còn 35 ngày" in shown
    assert "/nhacnho bat" in shown


async def test_admins_add_and_remove_deadlines(say: Any, sessions: Sessions) -> None:
    assert "Ban Tổ chức" in await say("/hanchot them 3.3 15/12/2026")  # not an admin
    added = await say("/hanchot them 3.3 15/12/2026 14:00 Nộp báo cáo VTVL", user="boss")
    assert "Đã thêm hạn #1" in added and "15/12/2026 14:00" in added
    listed = await say("/hanchot", user="boss")
    assert "Nộp báo cáo VTVL (#1)" in listed and "còn 19 ngày" in listed
    assert "Cách thêm hạn" in await say("/hanchot them 3.3 32/13/2026", user="boss")
    assert "Không có nhiệm vụ mã 9.9" in await say("/hanchot them 9.9 15/12/2026", user="boss")
    assert "Đã bỏ hạn #1" in await say("/hanchot xoa 1", user="boss")
    assert "Không có hạn số 7" in await say("/hanchot xoa 7", user="boss")
    async with sessions() as s:
        assert await list_deadlines(s) == []


async def test_each_deadline_in_the_list_shows_one_date(say: Any) -> None:
    await say("/hanchot them 3.3 02/12/2026", user="boss")  # no title: the task names it
    entries = (await say("/hanchot", user="boss")).split("• ")[1:]
    moved = [e for e in entries if "02/12/2026" in e]
    assert len(moved) == 1 and "vị trí việc làm" in moved[0] and "31/3/2024" not in moved[0]
    for entry in entries:  # one due date per deadline, however it is written
        assert len({tuple(map(int, d)) for d in DUE.findall(entry)}) <= 1, entry


async def test_members_opt_in_and_out_of_reminders(say: Any, sessions: Sessions) -> None:
    assert "đang tắt" in await say("/nhacnho")
    assert "Đã bật" in await say("/nhacnho bat")
    async with sessions() as s:
        member = await get_member(s, channel="test", external_id="u1")
        assert member is not None and member.subscribed
    assert "Đã tắt" in await say("/nhacnho TẮT")


async def test_a_broadcast_is_confirmed_before_it_is_queued(say: Any, sessions: Sessions) -> None:
    await say("/start", user="u2")
    assert "Ban Tổ chức" in await say("/phatthanh Họp giao ban")  # not an admin
    await say("/phatthanh Họp giao ban thứ Hai", user="boss")
    asked = await say("tất cả", user="boss")
    assert "Gửi thông báo sau tới 3 người" in asked  # u1, u2 and the admin
    assert "Ban Tổ chức" in await say(payload="pt:ok")  # an admin's button, pressed by u1
    assert "Đã xếp lịch gửi thông báo #1 tới 3 người" in await say(payload="pt:ok", user="boss")
    assert "không còn dùng được" in await say(payload="pt:ok", user="boss")  # once only
    async with sessions() as s:
        assert sum((await status_counts(s)).get("test", {}).values()) == 3
    assert "đang chờ 3 / 3" in await say("/phatthanh", user="boss")


async def test_a_cancelled_broadcast_sends_nothing(say: Any, sessions: Sessions) -> None:
    await say("/phatthanh Thông báo nhầm", user="boss")
    assert "Đã hủy" in await say(payload="pt:huy", user="boss")
    async with sessions() as s:
        assert await status_counts(s) == {}
