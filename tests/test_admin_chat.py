"""Administration and broadcasts in chat (issue 15): /phatthanh's audience, /moi, /donvi,
/thanhvien with revoke buttons, and a leader asked before an invite moves them.

Through the real handlers, the real directive and SQLite (and PostgreSQL when configured).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers import Handlers, Incoming, texts
from handlers.ports import Sessions
from knowledge import Library, load_library
from storage.models import AuditLog, Member, Outbox, Role
from storage.queries.members import bind_member, get_member, get_or_create_member
from storage.queries.units import get_unit, upsert_unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
LIBRARY: Library = load_library()
#: leader → unit: two districts of TU-BD, and a commune under HU-TP
LEADERS = {"l_tp": "HU-TP", "l_pm": "HU-PM", "l_x": "XA-1"}
CODE = re.compile(r"/dangky ([A-Z0-9]{10})")

Say = Callable[..., Any]


@pytest.fixture
async def tree(sessions: Sessions) -> None:
    async with sessions() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        await upsert_unit(
            s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t", parent_code="TU-BD"
        )
        await upsert_unit(s, code="HU-PM", name="Huyện ủy Phù Mỹ", actor="t", parent_code="TU-BD")
        await upsert_unit(s, code="XA-1", name="Đảng ủy xã Một", actor="t", parent_code="HU-TP")
        for user, code in LEADERS.items():
            unit = await get_unit(s, code=code)
            member = await get_or_create_member(
                s, channel="console", external_id=user, chat_id=user, display_name=f"Ông {user}"
            )
            await bind_member(
                s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
            )


def make_say(sessions: Sessions, username: str = "") -> Say:
    bot = Handlers(
        library=LIBRARY,
        clock=lambda: NOW,
        sessions=sessions,
        admins=frozenset({"console:boss", "zalo_bot:boss"}),
        bot_username=username,
    )

    async def send(
        text: str = "", *, user: str = "boss", payload: str | None = None, channel: str = "console"
    ) -> str:
        incoming = Incoming(
            channel=channel, chat_id=user, user_id=user, text=text, payload=payload, at=NOW
        )
        replies = await bot.handle(incoming)
        send.last = replies  # type: ignore[attr-defined]
        return "\n".join(r.text for r in replies)

    return send


@pytest.fixture
def say(sessions: Sessions) -> Say:
    return make_say(sessions, "@testbot")


def buttons(say: Say) -> list[tuple[str, str]]:
    return [(b.label, b.payload) for b in say.last[-1].flat_buttons()]


async def queued_to(sessions: Sessions) -> list[str]:
    async with sessions() as s:
        return sorted((await s.scalars(select(Outbox.chat_id))).all())


async def audited(sessions: Sessions, action: str) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


async def member(sessions: Sessions, user: str) -> Member:
    async with sessions() as s:
        found = await get_member(s, channel="console", external_id=user)
    assert found is not None
    return found


# --- /phatthanh: the audience --------------------------------------------------------


async def test_a_broadcast_to_a_subtree_reaches_its_leaders_only(
    say: Say, sessions: Sessions, tree: None
) -> None:
    asked = await say("/phatthanh Họp giao ban chiều nay")
    assert "tới ai" in asked
    assert [label for label, _ in buttons(say)] == [
        "Tất cả mọi người",
        "Lãnh đạo các đơn vị",
        "Đơn vị chưa báo cáo đủ",
        "Một đơn vị và cấp dưới",
        "Hủy",
    ]
    assert "Gõ mã đơn vị" in await say(payload="pt:a:unit")
    wrong = await say("KHONG-CO")
    assert "Không có đơn vị mã «KHONG-CO»" in wrong and "Gõ mã đơn vị" in wrong  # asked again
    confirm = await say("HU-TP")
    assert "tới 2 người (lãnh đạo HU-TP và các đơn vị cấp dưới)" in confirm
    assert buttons(say)[0] == ("Gửi thông báo", "pt:ok")
    assert "Đã xếp lịch gửi thông báo #1 tới 2 người" in await say("có")
    assert await queued_to(sessions) == ["l_tp", "l_x"]


async def test_typed_words_and_numbers_pick_the_audience(
    say: Say, sessions: Sessions, tree: None
) -> None:
    await say("/phatthanh Nhắc báo cáo quý", channel="zalo_bot")  # numbered choices
    confirm = await say("3", channel="zalo_bot")
    assert "tới 3 người (lãnh đạo các đơn vị chưa báo cáo đủ kỳ này)" in confirm  # nobody did
    assert "Đã hủy" in await say("không", channel="zalo_bot")
    await say("/phatthanh Chào cả nhà")
    assert "tới 5 người (tất cả mọi người)" in await say("tat ca")  # 3 leaders, boss twice
    assert "Đã hủy" in await say(payload="pt:huy")
    assert await queued_to(sessions) == []


async def test_an_audience_button_is_refused_out_of_its_step_and_for_non_admins(
    say: Say, sessions: Sessions, tree: None
) -> None:
    assert texts.ADMIN_ONLY in await say("/phatthanh Xin chào", user="l_tp")
    assert texts.ADMIN_ONLY in await say(payload="pt:a:all", user="l_tp")
    await say("/phatthanh Xin chào")
    await say(payload="pt:a:leaders")
    assert await say(payload="pt:a:all") == texts.STALE_BUTTON  # the confirm step is shown
    assert await say(payload="pt:ok") != texts.STALE_BUTTON
    assert await queued_to(sessions) == ["l_pm", "l_tp", "l_x"]


# --- /moi ------------------------------------------------------------------------------


async def test_an_invite_made_in_chat_registers_a_newcomer(
    say: Say, sessions: Sessions, tree: None
) -> None:
    made = await say("/moi HU-PM")
    assert "Mã mời lãnh đạo HU-PM — Huyện ủy Phù Mỹ" in made and "03/12/2026" in made
    code = CODE.search(made)
    assert code is not None and f"https://t.me/testbot?start={code[1]}" in made
    assert (await say(f"/start {code[1]}", user="newbie")).startswith("Đăng ký thành công")
    assert (await member(sessions, "newbie")).role == Role.LEADER.value
    assert texts.INVITE_HOW in await say("/moi")
    assert "Không có đơn vị mã «NOPE»" in await say("/moi NOPE")


async def test_a_leader_invites_within_its_subtree_only(
    say: Say, sessions: Sessions, tree: None
) -> None:
    assert "XA-1" in await say("/moi XA-1", user="l_tp")
    assert "nằm ngoài phạm vi" in await say("/moi HU-PM", user="l_tp")
    assert texts.NO_UNIT_SCOPE in await say("/moi HU-PM", user="stranger")
    assert await audited(sessions, "invite.create") == 1


async def test_without_a_bot_username_only_the_code_is_given(
    sessions: Sessions, tree: None
) -> None:
    say = make_say(sessions)
    made = await say("/moi HU-TP")
    assert CODE.search(made) is not None and "t.me" not in made


# --- /donvi -----------------------------------------------------------------------------


async def test_units_are_listed_as_a_tree_in_scope(say: Say, tree: None) -> None:
    listed = (await say("/donvi")).splitlines()
    assert listed[:5] == [
        "Các đơn vị (4):",
        "• TU-BD — Tỉnh ủy Bình Định",
        "  • HU-PM — Huyện ủy Phù Mỹ",
        "  • HU-TP — Huyện ủy Tuy Phước",
        "    • XA-1 — Đảng ủy xã Một",
    ]
    mine = await say("/donvi", user="l_tp")
    assert "HU-TP" in mine and "XA-1" in mine and "HU-PM" not in mine and "TU-BD" not in mine


async def test_an_admin_adds_a_unit_with_the_cli_checks(
    say: Say, sessions: Sessions, tree: None
) -> None:
    added = await say("/donvi them XA-2 Đảng ủy xã Hai HU-TP")
    assert added == "Đã thêm đơn vị XA-2 — Đảng ủy xã Hai, cấp trên: HU-TP."
    assert "  • XA-2 — Đảng ủy xã Hai" in await say("/donvi", user="l_tp")
    assert "Đã thêm đơn vị XA-3 — Xã Ba." == await say("/donvi them XA-3 Xã Ba")  # no parent
    assert "Đã có đơn vị mã XA-2" in await say("/donvi them XA-2 Trùng")
    assert texts.UNIT_ADD_HOW in await say("/donvi them XA-4")
    assert "tối đa 64 ký tự" in await say(f"/donvi them XA-4 {'x' * 256}")
    assert texts.ADMIN_ONLY in await say("/donvi them XA-5 Xã Năm", user="l_tp")
    async with sessions() as s:
        assert await get_unit(s, code="XA-5") is None and await get_unit(s, code="XA-4") is None
    assert await audited(sessions, "unit.add") == 4 + 2  # the fixture's four, then two


# --- /thanhvien -----------------------------------------------------------------------------


async def test_members_are_listed_with_revoke_buttons_in_scope(
    say: Say, sessions: Sessions, tree: None
) -> None:
    listed = await say("/thanhvien")
    assert "• HU-TP — Ông l_tp (lãnh đạo)" in listed and "• XA-1 — Ông l_x (lãnh đạo)" in listed
    assert len(buttons(say)) == 3
    mine = await say("/thanhvien", user="l_tp")
    assert "Ông l_x" in mine and "Ông l_pm" not in mine
    [(label, payload)] = buttons(say)  # not its own unit's leader: only XA-1's
    assert label == "Thu hồi Ông l_x (XA-1)"
    assert await say(payload=payload, user="l_tp") == "Đã thu hồi quyền lãnh đạo XA-1 của Ông l_x."
    gone = await member(sessions, "l_x")
    assert (gone.role, gone.unit_id) == (Role.MEMBER.value, None)
    assert await audited(sessions, "member.revoke") == 1
    assert "nằm ngoài phạm vi" in await say("/thanhvien HU-PM", user="l_tp")


async def test_a_forged_revoke_changes_nothing(say: Say, sessions: Sessions, tree: None) -> None:
    other = await member(sessions, "l_pm")
    own = await member(sessions, "l_tp")
    for payload in (f"tv:r:{other.id}", f"tv:r:{own.id}", "tv:r:999999"):
        assert await say(payload=payload, user="l_tp") == texts.REVOKE_REFUSED
    assert texts.NO_UNIT_SCOPE in await say(payload=f"tv:r:{other.id}", user="stranger")
    assert await say(payload="tv:r:x", user="l_tp") == texts.FORGED_PAYLOAD
    assert (await member(sessions, "l_pm")).role == Role.LEADER.value
    assert (await member(sessions, "l_tp")).role == Role.LEADER.value
    assert await audited(sessions, "payload.refused") == 5
    assert await audited(sessions, "member.revoke") == 0


# --- an invite that moves a leader ------------------------------------------------------------


async def test_a_leader_is_asked_before_an_invite_moves_it(
    say: Say, sessions: Sessions, tree: None
) -> None:
    code = CODE.search(await say("/moi HU-TP"))
    assert code is not None
    asked = await say(f"/dangky {code[1]}", user="l_pm")
    assert "Bạn đang là lãnh đạo HU-PM — Huyện ủy Phù Mỹ" in asked
    assert [label for label, _ in buttons(say)] == ["Chuyển sang HU-TP", "Không, giữ HU-PM"]
    assert await say("không", user="l_pm") == texts.MOVE_KEPT
    stayed = await member(sessions, "l_pm")
    assert stayed.unit is not None and stayed.unit.code == "HU-PM"
    await say(f"/dangky {code[1]}", user="l_pm")
    assert (await say(payload="cd:ok", user="l_pm")).startswith("Đăng ký thành công")
    moved = await member(sessions, "l_pm")
    assert moved.unit is not None and moved.unit.code == "HU-TP"
    assert await say(payload="cd:ok", user="l_pm") == texts.STALE_BUTTON  # used once


async def test_a_code_typed_mid_report_asks_which_to_keep(
    say: Say, sessions: Sessions, tree: None
) -> None:
    """A leader half-way through /baocao types another unit's code: the report is not
    silently dropped; keeping it shows its step again, switching asks about the move."""
    code = CODE.search(await say("/moi HU-TP"))
    assert code is not None
    step = await say("/baocao 3.3", user="l_pm")
    asked = await say(f"/dangky {code[1]}", user="l_pm")
    assert asked == texts.FLOW_SWITCH.format(current=texts.FLOW_REPORT, new=texts.FLOW_MOVE)
    assert await say(payload="fl:keep", user="l_pm") == step
    await say(f"/dangky {code[1]}", user="l_pm")
    moving = await say(payload="fl:new", user="l_pm")
    assert "Bạn đang là lãnh đạo HU-PM — Huyện ủy Phù Mỹ" in moving
    assert (await say(payload="cd:ok", user="l_pm")).startswith("Đăng ký thành công")
    moved = await member(sessions, "l_pm")
    assert moved.unit is not None and moved.unit.code == "HU-TP"


async def test_an_invite_for_the_own_unit_needs_no_question(
    say: Say, sessions: Sessions, tree: None
) -> None:
    code = CODE.search(await say("/moi HU-PM"))
    assert code is not None
    assert (await say(f"/dangky {code[1]}", user="l_pm")).startswith("Đăng ký thành công")


async def test_typed_words_list_units_and_members_with_the_commands_checks(
    say: Say, tree: None
) -> None:
    assert (await say("danh sach don vi")).startswith("Các đơn vị (4):")
    assert "Ông l_x" in await say("thành viên", user="l_tp")
    assert texts.NO_UNIT_SCOPE in await say("thành viên", user="stranger")
