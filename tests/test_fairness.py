"""One member's flood never slows anyone else; per-chat bookkeeping goes with idle chats.

The chat lanes alone (admission on arrival, one worker per chat, order kept, idle chats
forgotten), FloodControl's per-chat maps, then the real bot process on the fake Telegram.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.lanes import ChatLanes
from bot.channels.telegram_limits import CALLS_AT_ONCE, FloodControl
from handlers.types import Incoming, Reply
from tests.botprocess import Launcher, bot_env
from tests.fakes import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def incoming(chat: str, text: str = "hỏi") -> Incoming:
    return Incoming(channel="telegram", chat_id=chat, user_id=chat, text=text, at=datetime.now(VN))


class Recorder:
    """Handles updates by waiting for a gate, noting who was being handled at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.busy: dict[str, int] = {}
        self.most_busy: dict[str, int] = {}
        self.handled: list[tuple[str, str]] = []
        self.answered: list[tuple[str, str]] = []

    def handle(self, message: Incoming, gated: bool = True) -> Any:
        async def work() -> list[Reply]:
            chat = message.chat_id
            self.busy[chat] = self.busy.get(chat, 0) + 1
            self.most_busy[chat] = max(self.most_busy.get(chat, 0), self.busy[chat])
            try:
                if gated:
                    await self.gate.wait()
                self.handled.append((chat, message.text))
                return [Reply(f"đáp {message.text}")]
            finally:
                self.busy[chat] -= 1

        return work

    def deliver(self, chat: str) -> Any:
        async def send(replies: list[Reply]) -> None:
            self.answered += [(chat, reply.text) for reply in replies]

        return send


async def test_a_flooding_chat_holds_one_worker_and_others_go_past_it() -> None:
    lanes = ChatLanes("telegram", workers=4)
    seen = Recorder()
    for n in range(200):
        message = incoming("flood", f"tin {n}")
        lanes.take(message, seen.handle(message), seen.deliver("flood"))
    others = [incoming(f"other-{n}") for n in range(20)]
    for message in others:
        lanes.take(message, seen.handle(message, gated=False), seen.deliver(message.chat_id))
    for _ in range(100):  # let the other chats run while the flood's first update is held
        await asyncio.sleep(0)
        if len(seen.answered) == 20:
            break
    assert sorted(chat for chat, _ in seen.answered) == sorted(m.chat_id for m in others)
    assert seen.busy["flood"] == 1 and seen.handled == [(m.chat_id, "hỏi") for m in others]
    seen.gate.set()
    await lanes.join()
    flood = [text for chat, text in seen.answered if chat == "flood"]
    assert flood == [f"đáp tin {n}" for n in range(200)]  # in the order they came
    assert seen.most_busy["flood"] == 1  # never two of one chat at once
    assert len(lanes) == 0  # and no lane is left for the chats now idle


async def test_admission_is_decided_on_arrival_and_the_dropped_are_never_queued() -> None:
    decided: list[str] = []

    def admit(message: Incoming) -> list[Reply] | None:
        decided.append(message.text)
        n = len([t for t in decided if t.startswith("tin")])
        if message.chat_id != "flood" or n <= 3:
            return None
        return [Reply("chậm lại")] if n == 4 else []

    lanes = ChatLanes("telegram", admit, workers=1)
    seen = Recorder()
    for n in range(1, 101):
        message = incoming("flood", f"tin {n}")
        lanes.take(message, seen.handle(message), seen.deliver("flood"))
        assert len(decided) == n  # decided at once, before waiting for anything
    assert len(lanes.waiting["flood"]) == 4  # three to handle and the notice; 96 dropped
    seen.gate.set()
    await lanes.join()
    answered = [text for _, text in seen.answered]
    assert answered == ["đáp tin 1", "đáp tin 2", "đáp tin 3", "chậm lại"]


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    lanes = ChatLanes("telegram")
    answered: list[str] = []

    async def broken() -> list[Reply]:
        raise RuntimeError("boom")

    async def fine() -> list[Reply]:
        return [Reply("ok")]

    async def deliver(replies: list[Reply]) -> None:
        answered.extend(reply.text for reply in replies)

    lanes.take(incoming("a"), broken, deliver)
    lanes.take(incoming("a"), fine, deliver)
    await lanes.join()
    assert answered == ["ok"] and len(lanes) == 0


class Timeline:
    """A monotonic clock that only moves when FloodControl sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(1e-6, seconds)  # as real time does, however small the wait
        await REAL_SLEEP(0)


REAL_SLEEP = asyncio.sleep


async def sent(*args: Any, **kwargs: Any) -> bool:
    return True


async def message_to(flood: FloodControl, chat: int) -> None:
    await flood.process_request(sent, (), {}, "sendMessage", {"chat_id": chat, "text": "x"}, None)


async def test_flood_control_forgets_chats_once_their_spacing_has_passed(monkeypatch: Any) -> None:
    time = Timeline()
    monkeypatch.setattr(asyncio, "sleep", time.sleep)
    flood = FloodControl(overall_rate=1000, clock=time)
    for chat in range(5_000):
        await message_to(flood, chat)
        time.now += 0.002  # 10 s in all: the first chats' 1 s spacing has long passed
    assert len(flood.chat_turns) == 0  # no chat has a request waiting
    assert len(flood.next_for_chat) <= 600  # only the last second's chats are still spaced
    time.now += 3.1
    await message_to(flood, -5)
    assert list(flood.next_for_chat) == ["-5"]


async def test_flood_control_still_spaces_one_chat(monkeypatch: Any) -> None:
    time = Timeline()
    monkeypatch.setattr(asyncio, "sleep", time.sleep)
    flood = FloodControl(overall_rate=1000, clock=time)
    for _ in range(3):
        await message_to(flood, 7)
    await message_to(flood, -7)  # another chat: no wait
    assert [round(s, 3) for s in time.slept if s > 0.5] == [1.0, 1.0]


async def test_a_burst_of_replies_keeps_at_most_calls_at_once_on_the_wire() -> None:
    flood = FloodControl(overall_rate=1000)
    on_wire, most, done = 0, 0, []

    async def slow_send(*args: Any, **kwargs: Any) -> bool:
        nonlocal on_wire, most
        on_wire += 1
        most = max(most, on_wire)
        await REAL_SLEEP(0.1)  # ~100 would be on the wire, 1 ms apart, without the cap
        on_wire -= 1
        done.append(kwargs)
        return True

    async def reply(chat: int) -> None:
        data = {"chat_id": chat, "text": "x"}
        await flood.process_request(slow_send, (), {}, "sendMessage", data, None)

    await asyncio.gather(*(reply(chat) for chat in range(200)))  # 200 chats at once
    assert len(done) == 200
    assert most == CALLS_AT_ONCE  # each request would otherwise open its own connection


# --- end to end: the real bot process on the fake Telegram ------------------------------


async def test_a_flooding_chat_does_not_hold_up_other_chats_on_telegram(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = bot_env(fake, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", FLOOD_PER_MINUTE="20")
        launcher = Launcher(tmp_path)
        bot = await launcher.start(env)
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
            for n in range(60):  # far more than PTB takes in at once
                fake.message(501, "/help" if n % 2 else "/start")
            others = list(range(601, 611))
            for chat in others:
                fake.message(chat, "/help")
            await fake.wait_for(lambda f: all(f.sent_to(c) for c in others), timeout=30)
            await fake.wait_for(lambda f: len(f.sent_to(501)) >= 3, timeout=30)
        finally:
            await launcher.stop_all()
    flooded = fake.sent_to(501)
    last_other = max(fake.sent_to(chat)[0]["at"] for chat in others)
    # The flood's replies go out 1 s apart (Telegram's limit per chat); everyone else was
    # answered before its third: they did not wait behind it (they used to wait ~20 s).
    assert last_other < flooded[2]["at"], fake.dump()
    texts = [sent["plain"] for sent in flooded[:3]]
    assert texts[0].startswith("Xin chào") and "/baocao" in texts[1]  # in the order sent
    assert texts[2].startswith("Xin chào")
    assert all("/baocao" in fake.sent_to(chat)[0]["plain"] for chat in others)
    assert fake.breaches == []
    assert "Traceback" not in bot.text(), bot.text()[-3000:]
