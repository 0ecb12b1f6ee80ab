"""The console adapter in-process, and how choices are shown and read back."""

from __future__ import annotations

import asyncio
import io

from bot.app import run_channels
from bot.channels.base import format_choices
from bot.channels.console import ConsoleChannel
from handlers import Handlers
from handlers.conversation import Ask
from handlers.flows.base import resolve
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


async def test_console_passes_numbers_as_typed_and_the_handlers_pick_the_choice(now, make_handlers):
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
    assert [(i.text, i.payload) for i in seen] == [("/start", None), ("2", None), ("2", None)]
    replies = [b for b in out.getvalue().split("\n\n") if b.strip()]
    assert "Hạn chót trong" in replies[1]  # "2" picked the menu's second choice
    assert "Hạn chót trong" not in replies[2]  # the deadline list showed no choices
    # with no choices shown, "2" is a task code typed alone (as /nhiemvu 2), not a choice
    assert out.getvalue().rstrip().endswith(handlers.show_task("2")[0].text.strip())
    assert library_asked(handlers) == []


def library_asked(handlers: Handlers) -> list[str]:
    return handlers.library.questions  # type: ignore[attr-defined]


async def test_console_prints_choices_and_file_notice(handlers):
    channel, out = console(handlers, "")
    reply = Reply(
        "Xem tệp",
        [[Button("Một", "cmd:help"), Button("Hai", "cmd:nhiemvu")]],
        ReplyFile("bao-cao.xlsx", b"x", "application/vnd.ms-excel"),
    )
    await channel.send("local", reply)
    assert out.getvalue() == "Xem tệp\n[Tệp đính kèm: bao-cao.xlsx]\n1. Một\n2. Hai\n\n"


def test_shown_choices_are_read_back_by_number_or_label():
    buttons = [Button("Hoàn thành", "bc:s:hoan_thanh"), Button("Hạn chót", "cmd:hanchot")]
    ask = Ask(Reply("Chọn:", [buttons]))
    assert resolve(ask, " 2 ") == "cmd:hanchot"
    assert resolve(ask, "2.") == "cmd:hanchot"
    assert resolve(ask, "hoan thanh") == "bc:s:hoan_thanh"
    assert resolve(ask, "HẠN CHÓT") == "cmd:hanchot"
    for typed in ("0", "3", "٢", "9" * 5000, "hoàn", "có"):
        assert resolve(ask, typed) is None
    assert format_choices(Reply("x", [buttons])) == "1. Hoàn thành\n2. Hạn chót"


def test_at_a_value_step_a_number_is_never_an_index():
    values = [Button("0%", "bc:p:0"), Button("25%", "bc:p:25"), Button("Bỏ qua", "bc:p:-")]
    ask = Ask(Reply("Bao nhiêu phần trăm?", [values], numbered=False), "value", skip="bc:p:-")
    assert resolve(ask, "2") is None and resolve(ask, "1") is None
    assert resolve(ask, "bo qua") == resolve(ask, "Bỏ qua") == resolve(ask, "skip") == "bc:p:-"
    shown = format_choices(ask.reply)
    assert "1." not in shown and "0% · 25% · Bỏ qua" in shown
