"""The "Báo cáo" link button: rendered by each channel, offered on /start and on reminders
when the report form is served over https, the chat's own flow otherwise."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import keyboard
from handlers import texts
from handlers.router import Handlers
from handlers.types import Button, Incoming, LinkButton, Reply
from scheduler.sender import _reply
from storage.models import Outbox, Role
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.state import get_state
from storage.queries.units import upsert_unit

FORM = LinkButton("📝 Báo cáo", "https://bao-cao.example/bao-cao", web_app=True)


def test_telegram_shows_links_under_the_buttons() -> None:
    markup = keyboard([[Button("Có", "bc:ok")]], [FORM, LinkButton("Trang", "https://x.example")])
    rows = markup.to_dict()["inline_keyboard"] if markup else []
    assert rows == [
        [{"text": "Có", "callback_data": "bc:ok"}],
        [{"text": "📝 Báo cáo", "web_app": {"url": "https://bao-cao.example/bao-cao"}}],
        [{"text": "Trang", "url": "https://x.example"}],
    ]


async def test_the_console_prints_a_link_as_a_line_and_never_numbers_it() -> None:
    out = io.StringIO()

    async def nothing(incoming: Incoming) -> list[Reply]:
        return []

    console = ConsoleChannel(nothing, clock=datetime.now, stdin=io.StringIO(""), stdout=out)
    await console.send("local", Reply("Chọn:", [[Button("Nhiệm vụ", "m:nhiemvu")]], links=[FORM]))
    printed = out.getvalue()
    assert "📝 Báo cáo: https://bao-cao.example/bao-cao" in printed
    assert "1. Nhiệm vụ" in printed and "2." not in printed


async def leader(sessions: Any, channel: str) -> None:
    async with sessions() as s:
        unit = await upsert_unit(s, code="HU-PM", name="Huyện ủy Phù Mỹ", actor="t")
        member = await get_or_create_member(s, channel=channel, external_id="u1")
        await bind_member(s, member_id=member.id or 0, unit_id=unit.id, actor="t", role=Role.LEADER)


@pytest.mark.parametrize(
    ("channel", "base", "web_app"),
    [
        ("telegram", "https://bao-cao.example", True),
        ("telegram", "http://127.0.0.1:8080", False),  # Telegram opens Mini Apps over https only
        ("zalo_bot", "https://bao-cao.example", False),  # no initData outside Telegram
    ],
)
async def test_start_offers_a_leader_the_report(
    make_handlers: Callable[..., Handlers],
    sessions: Any,
    now: datetime,
    channel: str,
    base: str,
    web_app: bool,
) -> None:
    await leader(sessions, channel)
    handlers = make_handlers(now, web_base_url=base)
    incoming = Incoming(channel=channel, chat_id="u1", user_id="u1", text="/start", at=now)
    last = (await handlers.handle(incoming))[-1]
    if web_app:
        assert last.links == [FORM]
        assert "cmd:baocao" not in [b.payload for b in last.flat_buttons()]
    else:
        assert last.links == []
        assert last.buttons[0] == [Button(texts.BUTTON_REPORT_FORM, "cmd:baocao")]


async def test_start_offers_no_report_to_someone_who_leads_nothing(
    make_handlers: Callable[..., Handlers], now: datetime
) -> None:
    handlers = make_handlers(now, web_base_url="https://bao-cao.example")
    incoming = Incoming(channel="telegram", chat_id="u2", user_id="u2", text="/start", at=now)
    last = (await handlers.handle(incoming))[-1]
    assert last.links == [] and "cmd:baocao" not in [b.payload for b in last.flat_buttons()]


@pytest.mark.parametrize(
    ("channel", "kind", "shown"),
    [
        ("telegram", "reminder", True),
        ("telegram", "period", True),
        ("telegram", "overdue", True),
        ("telegram", "broadcast", False),
        ("zalo_oa", "reminder", False),
    ],
)
def test_reminders_on_telegram_carry_the_form(channel: str, kind: str, shown: bool) -> None:
    row = Outbox(key="k", occasion="o", kind=kind, channel=channel, chat_id="1", text="Nhắc")
    row.buttons = [["Báo cáo 3.3", "bc:t:3.3"]]
    reply = _reply(row, "https://bao-cao.example/bao-cao")
    assert reply.buttons == [[Button("Báo cáo 3.3", "bc:t:3.3")]]  # the chat flow's, kept
    assert reply.links == ([FORM] if shown else [])
    assert _reply(row, "").links == []


async def test_baocao_web_sends_a_leader_a_one_time_link_and_keeps_an_open_report(
    make_handlers: Callable[..., Handlers], sessions: Any, now: datetime
) -> None:
    await leader(sessions, "console")
    handlers = make_handlers(now, web_base_url="http://127.0.0.1:8080")

    async def say(text: str, user: str = "u1") -> list[Reply]:
        return await handlers.handle(
            Incoming(channel="console", chat_id=user, user_id=user, text=text, at=now)
        )

    started = await say("/baocao")
    assert started[-1].buttons  # the groups of the report flow
    sent = (await say("/baocao web"))[-1].text
    assert "http://127.0.0.1:8080/bao-cao/lien-ket/" in sent and "10 phút" in sent
    assert "Báo cáo nào" not in sent  # no "which flow to keep" question
    async with sessions() as s:
        state = await get_state(s, channel="console", chat_id="u1", now=now)
    assert state is not None and state.state == "report"  # the report begun is still open
    refused = (await say("/baocao web", user="u9"))[-1].text
    assert refused == texts.NOT_A_LEADER
