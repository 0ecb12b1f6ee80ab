"""Registration, reports and the committee's views, through the real handlers and SQLite."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from handlers import Handlers, Incoming
from handlers.ports import Sessions
from handlers.types import Reply
from knowledge import Library, load_library
from storage.models import AuditLog, ProgressUpdate
from storage.queries.invites import create_invite
from storage.queries.members import bind_member, get_member
from storage.queries.progress import latest_for_unit
from storage.queries.state import get_state
from storage.queries.units import get_unit, upsert_unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.now(VN)


def real_clock() -> datetime:
    """Invites expire by the real clock, so the handlers use it too."""
    return datetime.now(VN)


LIBRARY: Library = load_library()


@pytest.fixture
async def units(sessions: Sessions) -> dict[str, int]:
    """A province with two districts, as in the issue's scripted check."""
    async with sessions() as s:
        tu = await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        tp = await upsert_unit(
            s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t", parent_code="TU-BD"
        )
        an = await upsert_unit(
            s, code="HU-AN", name="Huyện ủy An Nhơn", actor="t", parent_code="TU-BD"
        )
    return {"TU-BD": tu.id or 0, "HU-TP": tp.id or 0, "HU-AN": an.id or 0}


@pytest.fixture
def bot(sessions: Sessions) -> Handlers:
    return Handlers(
        library=LIBRARY, clock=real_clock, sessions=sessions, admins=frozenset({"test:boss"})
    )


Say = Callable[..., Any]


@pytest.fixture
def say(bot: Handlers) -> Say:
    """Return a function sending text (or a payload) as a user and returning the reply text."""

    async def send(
        text: str = "", *, user: str = "u1", payload: str | None = None, **extra: Any
    ) -> str:
        incoming = Incoming(
            channel="test", chat_id=user, user_id=user, text=text, payload=payload, at=NOW, **extra
        )
        replies = await bot.handle(incoming)
        send.last = replies  # type: ignore[attr-defined]
        return "\n".join(r.text for r in replies)

    return send


async def invite(sessions: Sessions, unit_id: int, ttl: timedelta = timedelta(days=7)) -> str:
    async with sessions() as s:
        _, code = await create_invite(s, unit_id=unit_id, created_by="test", ttl=ttl)
    return code


async def reports(sessions: Sessions, unit_id: int) -> list[ProgressUpdate]:
    async with sessions() as s:
        return await latest_for_unit(s, unit_id=unit_id)


async def audited(sessions: Sessions, action: str) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


async def test_invite_makes_a_leader_once(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    code = await invite(sessions, units["HU-TP"])
    assert "Đăng ký thành công" in await say(f"/dangky {code.lower()}")
    assert "đã được dùng" in await say(f"/dangky {code}", user="u2")
    assert await audited(sessions, "invite.redeem") == 1


async def test_deep_link_start_registers(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    code = await invite(sessions, units["HU-AN"])
    assert "HU-AN" in await say(f"/start {code}")


async def test_wrong_codes_lock_the_member_for_the_hour(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    code = await invite(sessions, units["HU-TP"])
    for left in (4, 3, 2, 1, 0):
        assert f"còn {left} lần" in await say("/dangky SAIMA12345")
    assert "thử lại sau" in await say(f"/dangky {code}")
    assert await reports(sessions, units["HU-TP"]) == []


async def test_expired_invite_is_refused(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    code = await invite(sessions, units["HU-TP"], ttl=timedelta(seconds=-1))
    assert "hết hạn" in await say(f"/dangky {code}")


async def test_button_flow_stores_a_report(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    assert "Bước 1/5" in await say("/baocao")
    assert "bc:g:3" in payloads(say.last)
    assert "nhóm 3" in await say(payload="bc:g:3")
    assert "bc:t:3.3" in payloads(say.last)
    assert "Bước 3/5" in await say(payload="bc:t:3.3")
    assert "Bước 4/5" in await say(payload="bc:s:dang_thuc_hien")
    assert "Bước 5/5" in await say("80%")
    confirm = await say("Đang trình kế hoạch VTVL")
    assert "Xin xác nhận" in confirm and "Báo cáo trước: chưa có" in confirm
    assert "Đã lưu" in await say(payload="bc:ok")
    [row] = await reports(sessions, units["HU-TP"])
    assert (row.task_code, row.status, row.percent, row.note) == (
        "3.3",
        "dang_thuc_hien",
        80,
        "Đang trình kế hoạch VTVL",
    )
    async with sessions() as s:
        assert await get_state(s, channel="test", chat_id="u1") is None
    assert "bước đã qua" in await say(payload="bc:ok")  # a second press saves nothing more
    assert len(await reports(sessions, units["HU-TP"])) == 1
    assert await audited(sessions, "progress.add") == 1


async def test_flow_survives_a_restart(sessions: Sessions, units: dict[str, int], say: Say) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.2")
    await say(payload="bc:s:dang_thuc_hien")
    restarted = Handlers(library=load_library(), clock=real_clock, sessions=sessions)
    incoming = Incoming(channel="test", chat_id="u1", user_id="u1", payload="bc:p:-", at=NOW)
    assert "Bước 5/5" in (await restarted.handle(incoming))[0].text
    incoming = Incoming(channel="test", chat_id="u1", user_id="u1", payload="bc:n:-", at=NOW)
    await restarted.handle(incoming)
    incoming = Incoming(channel="test", chat_id="u1", user_id="u1", payload="bc:ok", at=NOW)
    assert "Đã lưu" in (await restarted.handle(incoming))[0].text
    [row] = await reports(sessions, units["HU-TP"])
    assert (row.status, row.percent, row.note) == ("dang_thuc_hien", None, "")


async def test_cancel_saves_nothing(say: Say, sessions: Sessions, units: dict[str, int]) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3")
    assert "Đã hủy" in await say("/huy")
    assert "Không có thao tác" in await say("/huy")
    assert await reports(sessions, units["HU-TP"]) == []


async def test_one_line_report_without_diacritics(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    assert "Đã lưu" in await say("/baocao 3.3 dang lam 60% Dang xin y kien")
    [row] = await reports(sessions, units["HU-TP"])
    assert (row.status, row.percent, row.note) == ("dang_thuc_hien", 60, "Dang xin y kien")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/baocao 9.9 xong", "9.1"),  # unknown code: the nearest offered
        ("/baocao 3 xong", "3.1, 3.2, 3.3, 3.4"),  # a group: its tasks named
        ("/baocao 3.3 tot lam", "Tình trạng:"),  # unknown status: the choices
        ("/baocao 3.3 xong 150% ghi chu", "từ 0 đến 100"),
        ("/baocao 3.3 xong " + "x" * 2001, "quá giới hạn 2000"),
    ],
)
async def test_bad_one_line_reports_save_nothing(
    say: Say, sessions: Sessions, units: dict[str, int], line: str, expected: str
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    assert expected in await say(line)
    assert await reports(sessions, units["HU-TP"]) == []


@pytest.mark.parametrize(
    "payload",
    ["bc:t:9.9", "bc:g:77", "bc:s:tuyet_voi", "bc:x:1", "bc:t:3.3;DROP", "bc:" + "9" * 80],
)
async def test_forged_payloads_are_refused_and_audited(
    say: Say, sessions: Sessions, units: dict[str, int], payload: str
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao")
    reply = await say(payload=payload)
    assert "Đã lưu" not in reply
    assert await audited(sessions, "payload.refused") + ("bước đã qua" in reply) >= 1
    assert await reports(sessions, units["HU-TP"]) == []


async def test_a_member_without_a_unit_cannot_report(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    assert "Chỉ lãnh đạo" in await say("/baocao 3.3 xong")
    assert "Chỉ lãnh đạo" in await say(payload="bc:ok")
    assert "Chỉ lãnh đạo" in await say(payload="bc:t:3.3")


async def test_nothing_about_units_in_a_group(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    for command in ("/baocao 3.3 xong", "/tiendo", "/chuabaocao", "/xuat", "/bieudo"):
        assert "tin nhắn riêng" in await say(command, is_group=True)
    assert await reports(sessions, units["HU-TP"]) == []


async def test_committee_sees_who_has_not_reported(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3 hoan thanh Da ban hanh ke hoach VTVL")
    silent = await say("/chuabaocao 3.3", user="boss")
    assert "HU-AN" in silent and "HU-TP" not in silent
    overview = await say("/tiendo", user="boss")
    assert "• 3.3: 1 / 0 / 0 / 0 / 2" in overview
    across = await say("/tiendo 3.3", user="boss")
    assert "HU-TP — Huyện ủy Tuy Phước: hoàn thành" in across


async def test_parent_leader_sees_children_only(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3 xong")
    await say(f"/dangky {await invite(sessions, units['TU-BD'])}", user="chief")
    silent = await say("/chuabaocao 3.3", user="chief")
    assert "HU-AN" in silent and "HU-TP" not in silent and "TU-BD —" not in silent
    assert "chưa báo cáo" in await say(
        "/chuabaocao", user="u1"
    ) or "không có đơn vị cấp dưới" in await say("/chuabaocao")
    assert "ngoài phạm vi" in await say("/lichsu 3.3 HU-AN")  # a leader can't peek at a sibling


async def test_leader_sees_own_progress_and_history(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3 vuong mac Thieu bien che")
    await say("/baocao 3.3 xong")
    assert "3.3 — hoàn thành" in await say("/tiendo")
    history = await say("/lichsu 3.3")
    assert "hoàn thành" in history
    assert "vướng mắc" not in history  # a repeat within 10 minutes replaces the report


async def test_export_is_an_excel_file_of_the_senders_scope(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3 hoan thanh Da ban hanh")
    assert "HU-TP — Huyện ủy Tuy Phước" in await say("/xuat")  # a leader: its own subtree
    await say("/xuat", user="boss")
    [reply] = say.last
    assert reply.file is not None and reply.file.name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(reply.file.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(
        r[0] == "HU-TP" and r[3] == "3.3" and "hoàn thành" in r and "Da ban hanh" in r for r in rows
    )
    assert await audited(sessions, "progress.export") == 2


async def test_chart_is_a_png(say: Say, sessions: Sessions, units: dict[str, int]) -> None:
    await say("/bieudo", user="boss")
    [reply] = say.last
    assert reply.file is not None and reply.file.kind == "photo"
    assert reply.file.content.startswith(b"\x89PNG")


async def test_a_unit_name_with_dollar_signs_still_gets_its_chart(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    """matplotlib reads $…$ as math: "$x_{$" used to fail the whole /bieudo."""
    async with sessions() as s:
        await upsert_unit(s, code="HU-TP", name="Chi bộ $x_{$ và $5 triệu$", actor="t")
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    text = await say("/bieudo")
    [reply] = say.last
    assert reply.file is not None and reply.file.content.startswith(b"\x89PNG"), text
    assert "$x_{$" in text


async def test_report_goes_to_the_unit_in_the_database(
    say: Say, sessions: Sessions, units: dict[str, int]
) -> None:
    """A leader moved to another unit mid-flow (by an admin, or an invite redeemed in
    another chat) reports for the unit they lead now: the unit is read again at confirm."""
    await say(f"/dangky {await invite(sessions, units['HU-TP'])}")
    await say("/baocao 3.3")
    await say(payload="bc:s:hoan_thanh")
    await say(payload="bc:p:-")
    async with sessions() as s:
        member = await get_member(s, channel="test", external_id="u1")
        assert member is not None and member.id is not None
        await bind_member(
            s, member_id=member.id, unit_id=units["HU-AN"], actor="test", role="leader"
        )
    await say(payload="bc:n:-")
    await say(payload="bc:ok")
    assert await reports(sessions, units["HU-TP"]) == []
    assert len(await reports(sessions, units["HU-AN"])) == 1
    async with sessions() as s:
        assert (await get_unit(s, code="HU-AN")) is not None
