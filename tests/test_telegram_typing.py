""" "typing…" on Telegram: shown before a slow reply, never after it; not for a quick one."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels import telegram
from bot.channels.telegram import TelegramChannel, TelegramConfig
from handlers.types import Incoming, Reply
from tests.fakes import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def nobody(channel: str, user_id: str, blocked: bool) -> None:
    """Reachability changes are not what this test looks at."""


async def test_typing_is_shown_before_a_slow_reply_only(monkeypatch: Any) -> None:
    monkeypatch.setattr(telegram, "TYPING_AFTER", 0.1)

    async def dispatch(incoming: Incoming) -> list[Reply]:
        if incoming.text == "chậm":
            await asyncio.sleep(0.4)
        return [Reply(f"đáp {incoming.text}")]

    async with FakeTelegram() as fake:
        config = TelegramConfig(token=fake.token, api_base_url=fake.url)
        channel = TelegramChannel(dispatch, config, web_server=None, reachability=nobody)
        await channel.app.initialize()
        try:
            for update_id, (chat, text) in enumerate([(501, "nhanh"), (502, "chậm")]):
                message = Incoming(
                    channel="telegram",
                    chat_id=str(chat),
                    user_id=str(chat),
                    text=text,
                    at=datetime.now(VN),
                )
                channel.converse(message, update_id)
            await channel.lanes.join()
        finally:
            await channel.app.shutdown()
    replies = {record["chat_id"]: record for record in fake.sent}
    assert {chat: r["text"] for chat, r in replies.items()} == {501: "đáp nhanh", 502: "đáp chậm"}
    assert [(a["chat_id"], a["action"]) for a in fake.actions] == [(502, "typing")]
    assert fake.actions[0]["at"] < replies[502]["at"]
