"""The console adapter in-process, and the numbered-choice helper."""

from __future__ import annotations

import asyncio
import io

from bot.app import run_channels
from bot.channels.base import NumberedChoices, format_choices
from bot.channels.console import ConsoleChannel
from handlers import Handlers
from handlers.types import Button, Reply, ReplyFile


def console(handlers: Handlers, text: str) -> tuple[ConsoleChannel, io.StringIO]:
    out = io.StringIO()
    channel = ConsoleChannel(
        handlers.handle, clock=handlers.clock, stdin=io.StringIO(text), stdout=out
    )
    return channel, out


async def test_console_answers_each_line_then_finishes(handlers):
    channel, out = console(handlers, "/help\n/nhiemvu 3.3\n")
    await asyncio.wait_for(run_channels([channel]), timeout=10)
    assert channel.finished.is_set()
    assert "/hanchot" in out.getvalue()
    assert "Nhiệm vụ 3.3" in out.getvalue()


async def test_console_number_becomes_the_button_payload(now, make_handlers):
    seen = []
    handlers = make_handlers(now)

    async def spy(incoming):
        seen.append(incoming)
        return await handlers.handle(incoming)

    out = io.StringIO()
    channel = ConsoleChannel(
        spy, clock=lambda: now, stdin=io.StringIO("/start\n2\n2\n"), stdout=out
    )
    await asyncio.wait_for(run_channels([channel]), timeout=10)
    assert [(i.text, i.payload) for i in seen] == [
        ("/start", None),
        ("", "cmd:hanchot"),
        ("2", None),
    ]


async def test_console_prints_choices_and_file_notice(handlers):
    channel, out = console(handlers, "")
    reply = Reply(
        "Xem tệp",
        [[Button("Một", "cmd:help"), Button("Hai", "cmd:nhiemvu")]],
        ReplyFile("bao-cao.xlsx", b"x", "application/vnd.ms-excel"),
    )
    await channel.send("local", reply)
    assert out.getvalue() == "Xem tệp\n[Tệp đính kèm: bao-cao.xlsx]\n1. Một\n2. Hai\n\n"


def test_numbered_choices_per_chat():
    choices = NumberedChoices()
    buttons = [Button("A", "cmd:help"), Button("B", "cmd:hanchot")]
    choices.remember("c1", buttons)
    assert choices.pick("c1", " 2 ") == buttons[1]
    assert choices.pick("c1", "2.") == buttons[1]
    assert choices.pick("c2", "1") is None
    assert choices.pick("c1", "0") is None
    assert choices.pick("c1", "3") is None
    assert choices.pick("c1", "٢") is None
    assert choices.pick("c1", "9" * 5000) is None
    assert format_choices(buttons) == "1. A\n2. B"
