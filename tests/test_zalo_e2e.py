"""One bot process on Telegram, Zalo OA and Zalo Bot at once, against the three loopback fakes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from handlers import texts
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Role
from storage.queries.deadlines import add_deadline
from storage.queries.invites import create_invite
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import latest_for_unit
from storage.queries.tokens import get_tokens
from storage.queries.units import get_unit, upsert_unit
from tests.botprocess import (
    PINNED,
    BotProcess,
    Launcher,
    bot_env,
    free_port,
    wait_for_log,
    zalo_env,
)
from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA

pytestmark = pytest.mark.asyncio(loop_scope="module")
# The bot's clock: a pinned daytime far from the directive's own deadlines (not the real
# date: its reminders would fire into the test); invites are made on the same clock.
START = PINNED


@dataclass
class Fakes:
    telegram: FakeTelegram
    oa: FakeZaloOA
    zbot: FakeZaloBot
    bot: BotProcess
    url: str  # the bot's database
    hook: str  # the bot's Zalo OA webhook URL
    invites: dict[str, str]


async def seed(url: str) -> dict[str, str]:
    """A district with leaders on each platform, and invites for the report flows."""
    engine = create_engine(url)
    await upgrade(engine)
    codes = {}
    async with session_factory(engine)() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        unit = await upsert_unit(
            s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t", parent_code="TU-BD"
        )
        for channel, user in (
            ("telegram", "701"),
            ("zalo_oa", "oa-user-1"),
            ("zalo_bot", "zb-user-1"),
        ):
            member = await get_or_create_member(s, channel=channel, external_id=user, chat_id=user)
            await bind_member(
                s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
            )
        for name in ("oa", "zbot"):
            _, codes[name] = await create_invite(
                s,
                unit_id=unit.id or 0,
                created_by="t",
                now=START,  # valid on the bot's clock
            )
    await engine.dispose()
    return codes


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fakes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Fakes]:
    tmp = tmp_path_factory.mktemp("zalo")
    url = f"sqlite+aiosqlite:///{tmp / 'bot.db'}"
    invites = await seed(url)
    async with FakeTelegram() as telegram, FakeZaloOA() as oa, FakeZaloBot() as zbot:
        port = free_port()
        env = bot_env(telegram, url, CLOCK_START=START.isoformat(), **zalo_env(oa, zbot))
        launcher = Launcher(tmp)
        bot = await launcher.start(env, port=port)
        try:
            await wait_for_log(bot, "zalo_oa: ready")
            await zbot.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
            yield Fakes(
                telegram, oa, zbot, bot, url, f"http://127.0.0.1:{port}/zalo/oa/webhook", invites
            )
        finally:
            await launcher.stop_all()
        assert "Traceback" not in bot.text(), bot.text()[-3000:]
        assert oa.breaches == [] and telegram.breaches == []


async def oa_say(f: Fakes, user: str, text: str, **extra: Any) -> dict[str, Any]:
    """Send a signed text event; return the next message the OA sends that user."""
    before = len(f.oa.sent_to(user))
    assert await f.oa.deliver(f.oa.text_event(user, text, **extra), url=f.hook) == 200
    await oa_settled(f.oa, user, before)
    return f.oa.sent_to(user)[before]


async def oa_settled(oa: FakeZaloOA, user: str, before: int, quiet: float = 0.5) -> None:
    """Wait for the OA's reply to a user, and for its later parts (a reply with more than
    five buttons goes as two messages), so the next step doesn't count a late part."""
    await oa.wait_for(lambda o: len(o.sent_to(user)) > before, timeout=15)
    seen = -1
    while seen != len(oa.sent_to(user)):
        seen = len(oa.sent_to(user))
        await asyncio.sleep(quiet)


async def zb_say(f: Fakes, chat: str, text: str) -> dict[str, Any]:
    """Send a Zalo Bot message; return the next message the bot sends to that chat."""
    before = len(f.zbot.sent_to(chat))
    f.zbot.message(chat, text)
    await f.zbot.wait_for(lambda z: len(z.sent_to(chat)) > before, timeout=15)
    return f.zbot.sent_to(chat)[before]


async def test_a_signed_question_gets_an_answer_through_the_oa(fakes: Fakes) -> None:
    reply = await oa_say(fakes, "oa-q1", "han chot vi tri viec lam")
    assert "31/3/2024" in reply["text"]


async def test_unsigned_or_stale_events_are_refused(fakes: Fakes) -> None:
    oa = fakes.oa
    event = oa.text_event("oa-q2", "han chot vtvl")
    assert await oa.deliver(event, url=fakes.hook, signature=None) == 401
    assert await oa.deliver(event, url=fakes.hook, signature="mac=" + "0" * 64) == 401
    old = oa.text_event("oa-q2", "han chot vtvl", timestamp_ms=int((time.time() - 3600) * 1000))
    assert await oa.deliver(old, url=fakes.hook) == 401
    await asyncio.sleep(1)
    assert oa.sent_to("oa-q2") == []


async def test_the_same_msg_id_twice_gets_one_reply(fakes: Fakes) -> None:
    oa = fakes.oa
    event = oa.text_event("oa-q3", "Quyết định 244-QĐ/TW ban hành ngày nào?", msg_id="dup-1")
    assert await oa.deliver(event, url=fakes.hook) == 200
    assert await oa.deliver(event, url=fakes.hook) == 200
    await oa.wait_for(lambda o: o.sent_to("oa-q3"), timeout=15)
    await asyncio.sleep(1)
    assert len(oa.sent_to("oa-q3")) == 1


async def test_a_signed_event_without_msg_id_sent_three_times_gets_one_reply(
    fakes: Fakes,
) -> None:
    oa = fakes.oa
    event = oa.text_event("oa-q5", "Quyết định 244-QĐ/TW ban hành ngày nào?")
    del event["message"]["msg_id"]
    for _ in range(3):
        assert await oa.deliver(event, url=fakes.hook) == 200
    await oa.wait_for(lambda o: o.sent_to("oa-q5"), timeout=15)
    await asyncio.sleep(1)
    assert len(oa.sent_to("oa-q5")) == 1
    again = oa.text_event("oa-q5", "Quyết định 244-QĐ/TW ban hành ngày nào?")
    del again["message"]["msg_id"]  # the same words later: another event, answered
    assert await oa.deliver(again, url=fakes.hook) == 200
    await oa.wait_for(lambda o: len(o.sent_to("oa-q5")) == 2, timeout=15)


async def test_an_event_dated_in_the_future_is_refused(fakes: Fakes) -> None:
    oa = fakes.oa
    ahead = int((time.time() + 3600) * 1000)
    event = oa.text_event("oa-q6", "han chot vtvl", timestamp_ms=ahead)
    assert await oa.deliver(event, url=fakes.hook) == 401
    slightly = int((time.time() + 60) * 1000)  # a clock a minute fast is tolerated
    fast = oa.text_event("oa-q6", "/help", timestamp_ms=slightly)
    assert await oa.deliver(fast, url=fakes.hook) == 200
    await oa.wait_for(lambda o: o.sent_to("oa-q6"), timeout=15)
    await asyncio.sleep(1)
    assert len(oa.sent_to("oa-q6")) == 1


async def test_a_zalo_bot_message_delivered_twice_gets_one_reply(fakes: Fakes) -> None:
    zbot, chat = fakes.zbot, "zb-q1"
    update = zbot.message(chat, "/help")
    zbot.message(chat, "/help")  # typed again: a new message_id, answered again
    await zbot.wait_for(lambda z: len(z.sent_to(chat)) == 2, timeout=15)
    zbot.repeat(update)
    await asyncio.sleep(2)
    assert len(zbot.sent_to(chat)) == 2


async def test_report_flow_by_buttons_on_the_oa(fakes: Fakes) -> None:
    oa, user = fakes.oa, "oa-leader-2"
    assert (
        "Đăng ký thành công"
        in (await oa_say(fakes, user, f"/dangky {fakes.invites['oa']}"))["text"]
    )
    await oa_say(fakes, user, "/baocao")
    for payload in ("#bc:g:3", "#bc:t:3.3", "#bc:s:dang_thuc_hien", "#bc:p:50", "#bc:n:-"):
        before = len(oa.sent_to(user))
        assert await oa.deliver(oa.button_event(user, payload), url=fakes.hook) == 200
        await oa_settled(oa, user, before)
    done = await oa_say(fakes, user, "#bc:ok")
    assert "Đã lưu" in done["text"]
    forged = await oa_say(fakes, user, "#bc:t:9.9")
    assert "Đã lưu" not in forged["text"]


async def test_report_flow_by_numbers_on_zalo_bot(fakes: Fakes) -> None:
    chat = "zb-leader-2"
    assert (
        "Đăng ký thành công"
        in (await zb_say(fakes, chat, f"/dangky {fakes.invites['zbot']}"))["text"]
    )
    groups = await zb_say(fakes, chat, "/baocao")
    assert "3. Nhóm 3" in groups["text"]
    await zb_say(fakes, chat, "3")  # group 3
    status = await zb_say(fakes, chat, "3")  # task 3.3
    assert "3.3" in status["text"]
    note_step = await zb_say(fakes, chat, "3")  # hoàn thành: 100%, no percent step
    assert "Bước 5/5" in note_step["text"]
    confirm = await zb_say(fakes, chat, "Đã ban hành kế hoạch")
    assert "Xin xác nhận" in confirm["text"] and "Tỷ lệ: 100%" in confirm["text"]
    assert "Đã lưu" in (await zb_say(fakes, chat, "1"))["text"]
    engine = create_engine(fakes.url)
    async with session_factory(engine)() as s:
        unit = await get_unit(s, code="HU-TP")
        rows = await latest_for_unit(s, unit_id=unit.id or 0) if unit else []
    await engine.dispose()
    assert any(
        (r.task_code, r.status, r.percent, r.note)
        == ("3.3", "hoan_thanh", 100, "Đã ban hành kế hoạch")
        for r in rows
    )


async def test_an_expired_token_is_refreshed_once_with_many_messages_in_flight(
    fakes: Fakes,
) -> None:
    oa = fakes.oa
    oa.expire_access_token()
    users = [f"oa-burst-{n}" for n in range(20)]
    for user in users:
        assert await oa.deliver(oa.text_event(user, "/help"), url=fakes.hook) == 200
    await oa.wait_for(lambda o: all(o.sent_to(u) for u in users), timeout=30)
    assert oa.max_concurrent_refreshes == 1 and len(oa.refreshes) == 2  # start, then once
    engine = create_engine(fakes.url)
    async with session_factory(engine)() as s:
        stored = await get_tokens(s, channel="zalo_oa")
    await engine.dispose()
    assert stored is not None and stored.refresh_token == oa.refresh_token


async def test_a_reminder_reaches_leaders_on_all_three_channels_once(fakes: Fakes) -> None:
    engine = create_engine(fakes.url)
    due = START + timedelta(seconds=40)  # soon after the bot started (its clock began at START)
    async with session_factory(engine)() as s:
        await add_deadline(s, task_code="2.1", due_at=due, offsets="0m", actor="test")
    await engine.dispose()
    await fakes.telegram.wait_for(lambda t: t.sent_to(701), timeout=60)
    await fakes.oa.wait_for(lambda o: o.sent_to("oa-user-1"), timeout=30)
    await fakes.zbot.wait_for(lambda z: z.sent_to("zb-user-1"), timeout=30)
    await asyncio.sleep(3)
    sent = (
        fakes.telegram.sent_to(701),
        fakes.oa.sent_to("oa-user-1"),
        fakes.zbot.sent_to("zb-user-1"),
    )
    assert [len(s) for s in sent] == [1, 1, 1]
    assert all("2.1" in (s[0].get("plain") or s[0]["text"]) for s in sent)


async def test_a_sticker_or_photo_is_answered_text_only_on_both_zalo_channels(
    fakes: Fakes,
) -> None:
    """Something the bot can't read is said, not silently dropped (no traceback)."""
    before = len(fakes.oa.sent_to("oa-st"))
    assert await fakes.oa.deliver(fakes.oa.sticker_event("oa-st"), url=fakes.hook) == 200
    await oa_settled(fakes.oa, "oa-st", before)
    assert fakes.oa.sent_to("oa-st")[before]["text"] == texts.UNREADABLE_MESSAGE
    before = len(fakes.zbot.sent_to("zb-st"))
    fakes.zbot.image("zb-st")
    await fakes.zbot.wait_for(lambda z: len(z.sent_to("zb-st")) > before, timeout=15)
    assert fakes.zbot.sent_to("zb-st")[before]["text"] == texts.UNREADABLE_MESSAGE


async def test_a_hashtag_is_text_not_a_button(fakes: Fakes) -> None:
    reply = await oa_say(fakes, "oa-q4", "#VTVL hạn chót")
    assert "31/3/2024" in reply["text"]
