"""Flood control: the throttle on its own, then through the real handlers and SQLite."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers import Handlers, Incoming, texts
from handlers.ports import Sessions
from handlers.throttle import Throttle, Verdict
from storage.models import AuditLog
from tests.botprocess import Launcher, bot_env
from tests.conftest import FakeLibrary
from tests.fakes import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=VN)


def verdicts(throttle: Throttle, sender: str, moments: list[datetime]) -> list[Verdict]:
    return [throttle.admit(sender, at).verdict for at in moments]


# --- the throttle alone ---------------------------------------------------------------


def test_twenty_pass_then_one_notice_then_silence() -> None:
    throttle = Throttle(20)
    moments = [T0 + timedelta(seconds=n) for n in range(25)]
    got = verdicts(throttle, "telegram:1", moments)
    assert got == [Verdict.PASS] * 20 + [Verdict.WARN] + [Verdict.DROP] * 4
    assert throttle.admit("telegram:1", T0 + timedelta(seconds=30)).reopens_at == T0 + timedelta(
        minutes=1
    )


def test_the_notice_says_when_the_minute_ends() -> None:
    throttle = Throttle(2)
    throttle.admit("u", T0 + timedelta(seconds=5))
    throttle.admit("u", T0 + timedelta(seconds=6))
    notice = throttle.admit("u", T0 + timedelta(seconds=7))
    assert notice.verdict is Verdict.WARN
    assert notice.reopens_at == T0 + timedelta(seconds=65)  # the window began with the first


def test_a_member_may_write_again_once_the_minute_has_passed() -> None:
    throttle = Throttle(3)
    assert verdicts(throttle, "u", [T0] * 5)[-1] is Verdict.DROP
    assert throttle.admit("u", T0 + timedelta(seconds=59.9)).verdict is Verdict.DROP
    again = [T0 + timedelta(seconds=60 + n) for n in range(5)]
    assert verdicts(throttle, "u", again) == [Verdict.PASS] * 3 + [Verdict.WARN, Verdict.DROP]


def test_dropped_messages_do_not_extend_the_silence() -> None:
    throttle = Throttle(1)
    for second in range(0, 60, 5):
        throttle.admit("u", T0 + timedelta(seconds=second))
    assert throttle.admit("u", T0 + timedelta(seconds=60)).verdict is Verdict.PASS


def test_senders_are_counted_apart() -> None:
    throttle = Throttle(2)
    assert verdicts(throttle, "telegram:1", [T0] * 3)[-1] is Verdict.WARN
    assert verdicts(throttle, "telegram:2", [T0] * 2) == [Verdict.PASS] * 2
    assert throttle.admit("zalo_oa:1", T0).verdict is Verdict.PASS  # same id, other channel


def test_a_clock_set_back_does_not_lock_anyone_out() -> None:
    throttle = Throttle(1)
    throttle.admit("u", T0)
    assert throttle.admit("u", T0).verdict is Verdict.WARN
    assert throttle.admit("u", T0 - timedelta(hours=1)).verdict is Verdict.PASS


def test_ended_windows_are_forgotten() -> None:
    throttle = Throttle(20)
    for n in range(10_000):
        throttle.admit(f"telegram:{n}", T0 + timedelta(milliseconds=n))
    assert len(throttle) == 10_000
    throttle.admit("telegram:late", T0 + timedelta(seconds=65))
    assert len(throttle) == 5_000  # those who began after 0:05 (and the late one) remain
    throttle.admit("telegram:late", T0 + timedelta(seconds=70))
    assert len(throttle) == 1


def test_a_million_senders_in_one_minute_stay_within_the_cap() -> None:
    throttle = Throttle(20, max_senders=5_000)
    started = time.perf_counter()
    for n in range(1_000_000):
        throttle.admit(f"zalo_oa:{n}", T0 + timedelta(microseconds=n))
    assert len(throttle) == 5_000
    assert time.perf_counter() - started < 30  # ~2-5 µs a message: nothing grows with the count
    assert throttle.admit("zalo_oa:999999", T0 + timedelta(seconds=1)).verdict is Verdict.PASS


@pytest.mark.parametrize("limit", [0, -1])
def test_the_limit_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError):
        Throttle(limit)


# --- through the handlers -------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class CountingSessions:
    """The real session maker, counting how many sessions the handlers open."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.opened = 0

    def __call__(self) -> Any:
        self.opened += 1
        return self.sessions()


def incoming(
    user: str, text: str = "/help", *, channel: str = "telegram", **extra: Any
) -> Incoming:
    return Incoming(channel=channel, chat_id=user, user_id=user, text=text, at=T0, **extra)


async def audit_rows(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def counted(sessions: Sessions) -> CountingSessions:
    return CountingSessions(sessions)


@pytest.fixture
def bot(clock: Clock, counted: CountingSessions) -> Handlers:
    return Handlers(
        library=FakeLibrary(),
        clock=clock,
        sessions=counted,  # type: ignore[arg-type]
        admins=frozenset({"telegram:boss"}),
        flood_per_minute=20,
    )


async def test_the_21st_message_gets_one_notice_and_the_rest_nothing(
    bot: Handlers, counted: CountingSessions, sessions: Sessions
) -> None:
    answers = [await bot.handle(incoming("u1")) for _ in range(20)]
    assert all("/baocao" in replies[0].text for replies in answers)
    opened, audited = counted.opened, await audit_rows(sessions)
    [notice] = await bot.handle(incoming("u1"))
    assert notice.text == texts.SLOW_DOWN.format(limit=20, time="09:01:00", seconds=60)
    assert notice.buttons == []
    forged = incoming("u1", "", payload="bc:t:9.9")  # would be refused and audited
    for message in [forged, incoming("u1"), incoming("u1", "vị trí việc làm")]:
        assert await bot.handle(message) == []
    assert counted.opened == opened  # no database session for the throttled
    assert await audit_rows(sessions) == audited


async def test_button_presses_count_and_others_are_not_affected(
    bot: Handlers, clock: Clock
) -> None:
    for n in range(20):
        message = incoming("u1", "", payload="cmd:help") if n % 2 else incoming("u1")
        assert await bot.handle(message)
    [notice] = await bot.handle(incoming("u1", "", payload="cmd:help"))
    assert notice.text.startswith("Bạn đang gửi quá nhanh")
    assert "/baocao" in (await bot.handle(incoming("u2")))[0].text
    clock.now += timedelta(seconds=30)
    assert await bot.handle(incoming("u1")) == []
    clock.now += timedelta(seconds=30)
    assert "/baocao" in (await bot.handle(incoming("u1")))[0].text


async def test_admins_are_limited_too(bot: Handlers) -> None:
    for _ in range(20):
        await bot.handle(incoming("boss", "/tiendo"))
    [notice] = await bot.handle(incoming("boss", "/tiendo"))
    assert notice.text.startswith("Bạn đang gửi quá nhanh")


async def test_the_console_is_not_limited(bot: Handlers) -> None:
    for _ in range(30):
        [reply, *_] = await bot.handle(incoming("local", channel="console"))
        assert "/baocao" in reply.text


async def test_zero_turns_flood_control_off(sessions: Sessions, clock: Clock) -> None:
    bot = Handlers(library=FakeLibrary(), clock=clock, sessions=sessions, flood_per_minute=0)
    for _ in range(30):
        assert "/baocao" in (await bot.handle(incoming("u1")))[0].text


# --- end to end: the real bot process on the fake Telegram ------------------------------


async def test_a_flood_on_telegram_gets_twenty_answers_and_one_notice(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = bot_env(fake, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", FLOOD_PER_MINUTE="20")
        launcher = Launcher(tmp_path)
        bot = await launcher.start(env)
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
            for n in range(25):
                fake.message(501, "/help" if n % 2 else "/start")
            fake.message(502, "/help")  # someone else, at the same moment
            await fake.wait_for(lambda f: f.sent_to(502), timeout=10)
            await fake.wait_for(lambda f: len(f.sent_to(501)) >= 21, timeout=45)
            menu = fake.sent_to(501)[0]["message_id"]  # the greeting, with its buttons
            fake.callback(501, "cmd:help", message_id=menu)  # a press, silenced too
            await fake.wait_for(lambda f: f.answers, timeout=10)  # but the spinner stops
            await asyncio.sleep(1.5)  # the last four are handled by now: nothing more comes
        finally:
            await launcher.stop_all()
    flooded = [sent["plain"] for sent in fake.sent_to(501)]
    assert len(flooded) == 21, fake.dump()
    greeted = [text for text in flooded[:20] if text.startswith("Xin chào")]
    helped = [text for text in flooded[:20] if "/baocao" in text]
    assert (len(greeted), len(helped)) == (10, 10)
    assert flooded[20].startswith("Bạn đang gửi quá nhanh (hơn 20 tin nhắn trong một phút)")
    assert "/baocao" in fake.sent_to(502)[0]["plain"]
    assert fake.breaches == []
    assert "Traceback" not in bot.text(), bot.text()[-3000:]
