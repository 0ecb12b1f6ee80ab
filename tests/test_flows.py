"""Flows as a cadre meets them on a phone: typed text means the same on every channel.

Through the real handlers (and the real console channel), the real directive and SQLite:
a message in, the reply and what was stored out.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import run_channels
from bot.channels.console import ConsoleChannel
from handlers import Handlers, Incoming, texts
from handlers.ports import Sessions
from handlers.report_form import ReportForm
from handlers.turn import begin_turn
from handlers.types import Reply
from knowledge import Library, load_library
from storage.models import AuditLog, Role
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.outbox import status_counts
from storage.queries.progress import task_history
from storage.queries.state import get_state
from storage.queries.units import upsert_unit
from storage.status import Status

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
LIBRARY: Library = load_library()
TRANSCRIPT = ["/baocao", "3", "3.3", "dang thuc hien", "5", "bo qua", "ok"]
CHANNELS = ["console", "zalo_bot", "telegram", "zalo_oa"]


@pytest.fixture
async def unit_id(sessions: Sessions) -> int:
    """A district whose leader is "u1" on every channel; "boss" is an admin leading it too."""
    async with sessions() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        unit = await upsert_unit(
            s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t", parent_code="TU-BD"
        )
        for channel in CHANNELS:
            for user in ("u1", "boss"):
                member = await get_or_create_member(
                    s, channel=channel, external_id=user, chat_id=user
                )
                await bind_member(
                    s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
                )
    return unit.id or 0


@pytest.fixture
def bot(sessions: Sessions) -> Handlers:
    admins = frozenset(f"{c}:boss" for c in CHANNELS)
    return Handlers(library=LIBRARY, clock=lambda: NOW, sessions=sessions, admins=admins)


Say = Callable[..., Any]


@pytest.fixture
def say(bot: Handlers) -> Say:
    """Return a function sending text (or a payload) and returning the replies' text."""

    async def send(
        text: str = "",
        *,
        user: str = "u1",
        channel: str = "console",
        payload: str | None = None,
        **extra: Any,
    ) -> str:
        incoming = Incoming(
            channel=channel, chat_id=user, user_id=user, text=text, payload=payload, at=NOW, **extra
        )
        replies = await bot.handle(incoming)
        send.last = replies  # type: ignore[attr-defined]
        return "\n".join(r.text for r in replies)

    return send


async def stored(sessions: Sessions, unit_id: int) -> list[tuple[str, str, int | None, str]]:
    """Return the unit's reports on 3.3, oldest first: (code, status, percent, note)."""
    async with sessions() as s:
        rows = await task_history(
            s, unit_id=unit_id, task_code="3.3", document=LIBRARY.default.number
        )
    return [(r.task_code, r.status, r.percent, r.note) for r, _ in reversed(rows)]


async def open_flow(sessions: Sessions, channel: str = "console", chat: str = "u1") -> str | None:
    async with sessions() as s:
        row = await get_state(s, channel=channel, chat_id=chat)
    return row.state if row is not None else None


async def audited(sessions: Sessions, action: str) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


def shown_payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


# --- the same transcript, the same report, on every channel ------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_the_typed_transcript_stores_the_same_report_on_every_channel(
    say: Say, sessions: Sessions, unit_id: int, channel: str
) -> None:
    said = [await say(line, channel=channel) for line in TRANSCRIPT]
    assert "Nhiệm vụ 3.3" in said[2] and "Bước 3/5" in said[2]
    assert "Bước 4/5" in said[3] and "Bước 5/5" in said[4]
    assert "Tỷ lệ: 5%" in said[5] and "Ghi chú: (không có)" in said[5]
    assert "Đã lưu" in said[6] and "(5%)" in said[6]
    assert await stored(sessions, unit_id) == [("3.3", "dang_thuc_hien", 5, "")]
    assert await open_flow(sessions, channel) is None


async def test_the_transcript_through_the_real_console(
    bot: Handlers, sessions: Sessions, unit_id: int
) -> None:
    out = io.StringIO()
    channel = ConsoleChannel(
        bot.handle,
        clock=lambda: NOW,
        stdin=io.StringIO("\n".join(TRANSCRIPT) + "\n"),
        stdout=out,
        user_id="u1",
    )
    await asyncio.wait_for(run_channels([channel]), timeout=20)
    printed = out.getvalue()
    assert "3. Nhóm 3" in printed  # the groups, numbered
    assert "Gợi ý (gõ đúng giá trị): 0% · 25% · 50% · 75% · 100% · Bỏ qua" in printed
    assert "\n1. 0%" not in printed  # suggested percents are never numbered
    assert await stored(sessions, unit_id) == [("3.3", "dang_thuc_hien", 5, "")]


async def test_two_processes_answer_one_conversation_alternately(
    bot: Handlers, sessions: Sessions, unit_id: int
) -> None:
    """The shown choices live in the database: a number typed to the other process works."""
    other = Handlers(library=LIBRARY, clock=lambda: NOW, sessions=sessions)
    for n, line in enumerate(TRANSCRIPT):
        incoming = Incoming(channel="zalo_bot", chat_id="u1", user_id="u1", text=line, at=NOW)
        await (bot if n % 2 else other).handle(incoming)
    assert await stored(sessions, unit_id) == [("3.3", "dang_thuc_hien", 5, "")]


async def test_a_refused_percent_then_a_number_is_that_percent(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    for line in TRANSCRIPT[:4]:
        await say(line, channel="zalo_bot")
    refused = await say("150", channel="zalo_bot")
    assert "từ 0 đến 100" in refused and "/huy" in refused and "Bước 4/5" in refused
    assert "Bước 5/5" in await say("3", channel="zalo_bot")
    await say("Bỏ qua", channel="zalo_bot")
    await say("đồng ý", channel="zalo_bot")
    assert await stored(sessions, unit_id) == [("3.3", "dang_thuc_hien", 3, "")]


@pytest.mark.parametrize("word", ["hủy", "huy", "/huy", "Thôi", "dừng"])
async def test_typed_cancel_ends_the_flow_and_saves_nothing(
    say: Say, sessions: Sessions, unit_id: int, word: str
) -> None:
    for line in TRANSCRIPT[:5]:
        await say(line)
    assert texts.REPORT_CANCELLED in await say(word)
    assert await open_flow(sessions) is None
    assert texts.NOTHING_TO_CANCEL in await say("/huy")
    assert await stored(sessions, unit_id) == []


async def test_words_pick_choices_and_done_means_100(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao")
    await say("3", channel="console")
    assert "Bước 3/5" in await say("3.3")
    assert "Bước 5/5" in await say("hoàn thành")  # the percent goes without saying
    confirm = await say("Đã ban hành kế hoạch")
    assert "Tình trạng: hoàn thành" in confirm and "Tỷ lệ: 100%" in confirm
    assert "Đã lưu" in await say("gửi")
    assert await stored(sessions, unit_id) == [("3.3", "hoan_thanh", 100, "Đã ban hành kế hoạch")]


async def test_a_question_mid_flow_is_answered_and_the_step_shown_again(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    for line in TRANSCRIPT[:4]:
        await say(line)
    said = await say("hạn chót kế hoạch vị trí việc làm là khi nào?")
    assert "31/3/2024" in said  # answered from the directive
    assert said.rstrip().endswith(texts.REPORT_ASK_PERCENT)  # then the step again
    assert say.last[-1].numbered is False and "bc:p:50" in shown_payloads(say.last)
    muddled = await say("tot")
    assert "Tỷ lệ phải là" in muddled and "hủy" in muddled
    assert "Bước 5/5" in await say("40 %")


async def test_text_that_answers_no_choice_says_so_and_shows_the_choices_again(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao")
    said = await say("abc")
    assert texts.STEP_PICK in said and "/huy" in said and "Bước 1/5" in said
    assert "bc:g:3" in shown_payloads(say.last)
    assert await stored(sessions, unit_id) == []


# --- consistency (issue 14) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/baocao 3.3 hoàn thành 0%", "«Hoàn thành» nghĩa là đạt 100%"),
        ("/baocao 3.3 hoan thanh 40", "«Hoàn thành» nghĩa là đạt 100%"),
        ("/baocao 3.3 chưa triển khai 100%", "«Chưa triển khai» nghĩa là 0%"),
        ("/baocao 3.3 chua trien khai 5 %", "«Chưa triển khai» nghĩa là 0%"),
        ("/baocao 3.3 dang thuc hien 150", "từ 0 đến 100"),
    ],
)
async def test_contradictions_are_refused_and_nothing_is_saved(
    say: Say, sessions: Sessions, unit_id: int, line: str, expected: str
) -> None:
    said = await say(line)
    assert expected in said and "Đã lưu" not in said
    assert await stored(sessions, unit_id) == []


@pytest.mark.parametrize(
    ("line", "saved"),
    [
        ("/baocao 3.3 dang thuc hien 60", ("dang_thuc_hien", 60, "")),
        ("/baocao 3.3 dang thuc hien 60 % xin ý kiến", ("dang_thuc_hien", 60, "xin ý kiến")),
        ("/baocao 3.3 đang thực hiện 60% xin ý kiến", ("dang_thuc_hien", 60, "xin ý kiến")),
        ("/baocao 3.3 hoàn thành", ("hoan_thanh", 100, "")),
        ("/baocao 3.3 xong 100%", ("hoan_thanh", 100, "")),
        ("/baocao 3.3 chưa triển khai", ("chua_trien_khai", 0, "")),
        ("/baocao 3.3 vuong mac thieu bien che", ("vuong_mac", None, "thieu bien che")),
    ],
)
async def test_one_line_percent_and_implied_percents(
    say: Say, sessions: Sessions, unit_id: int, line: str, saved: tuple[str, int | None, str]
) -> None:
    said = await say(line)
    assert "Đã lưu" in said and texts.REPORT_SAVED_FIRST in said
    assert await stored(sessions, unit_id) == [("3.3", *saved)]


async def test_going_back_from_done_asks_first_and_every_confirmation_names_the_last(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao 3.3 hoàn thành")
    asked = await say("/baocao 3.3 dang thuc hien 50")
    assert "đã báo cáo «hoàn thành» ngày 26/11/2026" in asked and "Đã lưu" not in asked
    assert "Báo cáo trước: hoàn thành, 100%, ngày 26/11/2026" in asked
    assert len(await stored(sessions, unit_id)) == 1  # nothing yet
    saved = await say("có")
    assert "Đã lưu" in saved and "Báo cáo trước đó: hoàn thành, 100%, ngày 26/11/2026" in saved
    # The clock is pinned: a repeat within 10 minutes replaces the report before it
    # (kept in the audit log), so history shows the unit's standing report only.
    assert [r[1:3] for r in await stored(sessions, unit_id)] == [("dang_thuc_hien", 50)]
    assert await audited(sessions, "progress.replace") == 1
    wizard = [await say(line) for line in TRANSCRIPT[:6]]
    assert "Báo cáo trước: đang thực hiện, 50%, ngày 26/11/2026" in wizard[-1]
    assert "⚠️" not in wizard[-1]  # from 50% to 5% is no step back from "hoàn thành"


async def test_declining_the_step_back_saves_nothing(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao 3.3 xong")
    await say("/baocao 3.3 vuong mac")
    assert texts.REPORT_CANCELLED in await say("không")
    assert [r[1] for r in await stored(sessions, unit_id)] == ["hoan_thanh"]


async def test_propose_shows_the_confirm_step_and_saves_only_on_yes(
    bot: Handlers, say: Say, sessions: Sessions, unit_id: int
) -> None:
    """The free-text path (issue 13 §1) hands a form to `propose`: nothing saved without a yes."""
    async with sessions() as s:  # the turn the router would make for a free-text message
        incoming = Incoming(channel="console", chat_id="u1", user_id="u1", text="", at=NOW)
        turn = await begin_turn(s, incoming, bot.admins, NOW)
        shown = await bot.propose(turn, ReportForm("3.3", Status.DONE, 100, "xong rồi"))
    assert "Xin xác nhận" in shown[-1].text and "Tỷ lệ: 100%" in shown[-1].text
    assert await stored(sessions, unit_id) == []
    assert "Đã lưu" in await say("ok")
    assert await stored(sessions, unit_id) == [("3.3", "hoan_thanh", 100, "xong rồi")]


# --- flows side by side, and old buttons ---------------------------------------------------


async def test_an_old_report_button_does_not_replace_a_broadcast_waiting_to_be_confirmed(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/baocao", user="boss")
    await say(payload="bc:g:3", user="boss")
    status_step = await say(payload="bc:t:3.3", user="boss")
    assert "Bước 3/5" in status_step
    asked = await say("/phatthanh Họp giao ban thứ Hai", user="boss")
    assert "báo cáo tiến độ" in asked and "gửi thông báo" in asked  # which one to keep?
    assert "tới ai" in await say("2", user="boss")  # the broadcast, then its audience
    assert "Gửi thông báo sau" in await say("1", user="boss")
    stale = await say(payload="bc:s:hoan_thanh", user="boss")  # the report's old button
    assert stale == texts.STALE_BUTTON
    assert await open_flow(sessions, chat="boss") == "broadcast"
    assert "Đã xếp lịch gửi thông báo" in await say(payload="pt:ok", user="boss")
    async with sessions() as s:
        assert sum((await status_counts(s)).get("console", {}).values()) >= 1
    assert await stored(sessions, unit_id) == []
    assert await audited(sessions, "payload.refused") == 1


async def test_a_report_button_during_a_broadcast_asks_which_to_keep(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    await say("/phatthanh Thông báo quan trọng", user="boss")
    await say(payload="pt:a:all", user="boss")
    asked = await say(payload="bc:t:3.3", user="boss")  # e.g. a reminder's one-tap button
    assert "đang dở việc gửi thông báo" in asked
    labels = [b.label for b in say.last[-1].flat_buttons()]
    assert labels == ["Tiếp tục gửi thông báo", "Bỏ, bắt đầu báo cáo tiến độ"]
    kept = await say("1", user="boss")
    assert "Gửi thông báo sau" in kept and await open_flow(sessions, chat="boss") == "broadcast"
    assert "Đã xếp lịch" in await say("ok", user="boss")


async def test_forged_and_expired_buttons_change_nothing(
    say: Say, sessions: Sessions, unit_id: int
) -> None:
    for forged in ("bc:p:101", "bc:s:tuyet_voi", "fl:maybe", "pt:ok;1", "bc:t:" + "3" * 70):
        assert await say(payload=forged) == texts.FORGED_PAYLOAD
    assert await say(payload="bc:ok") == texts.STALE_BUTTON  # no report open
    assert await say(payload="fl:new") == texts.STALE_BUTTON  # nothing asked
    assert await say(payload="bc:huy") == texts.STALE_BUTTON
    assert await audited(sessions, "payload.refused") == 8
    assert await stored(sessions, unit_id) == []


async def test_a_menu_choice_is_read_back_by_number_on_any_channel(say: Say) -> None:
    await say("/start", channel="telegram", user="u9")
    assert "Hạn chót trong" in await say("2", channel="telegram", user="u9")
    tree = await say("/nhiemvu", channel="zalo_bot", user="u9")
    assert "Nhiệm vụ trọng tâm" in tree
    assert re.search(r"Nhiệm vụ 3: ", await say("3", channel="zalo_bot", user="u9"))


async def test_commands_declare_who_may_use_them_and_where(say: Say, unit_id: int) -> None:
    for command in ("/baocao", "/tiendo", "/chuabaocao", "/xuat", "/phatthanh x", "/dangky X"):
        assert texts.PRIVATE_ONLY in await say(command, is_group=True)
    assert texts.NOT_A_LEADER in await say("/baocao", user="stranger")
    assert texts.NO_UNIT_SCOPE in await say("/tiendo", user="stranger")
    assert texts.NO_UNIT_SCOPE in await say("/xuat", user="stranger")
    assert "Tệp Excel tiến độ (HU-TP" in await say("/xuat")  # a leader: its own subtree
    assert texts.ADMIN_ONLY in await say(payload="pt:ok")
