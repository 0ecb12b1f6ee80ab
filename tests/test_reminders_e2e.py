"""Reminders and broadcasts through the real bot process and the fake Telegram server.

Days never pass in real time: the bot's reminder clock starts where the test wants
(CLOCK_START), a few seconds before what should happen, and runs at real speed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import create_engine, session_factory
from storage.queries.members import get_or_create_member
from tests.botprocess import (
    Launcher,
    admin_env,
    bot_env,
    free_port,
    pinned_day,
    seed_districts,
    wait_for_log,
)
from tests.fakes import FakeTelegram

DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")  # a date as the bot or the directive writes it
LEADERS = {"HU-TP": 301, "HU-AN": 302, "HU-PM": 303}  # HU-PM has finished task 3.3


def daytime(days: int = 2, hour: int = 10, minute: int = 0) -> datetime:
    """Return a local moment `days` after the pinned date at hour:minute (not the real date)."""
    return pinned_day(days, hour, minute)


def cli(*args: str, url: str, cwd: Path) -> dict:
    """Run an admin command; return its JSON output."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args, "--json"],
        cwd=cwd,
        env=admin_env(url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def count(fake: FakeTelegram, chat: int) -> int:
    return len(fake.sent_to(chat))


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.breaches == [], server.breaches


@pytest_asyncio.fixture
async def launcher(tmp_path: Path) -> AsyncIterator[Launcher]:
    runner = Launcher(tmp_path)
    yield runner
    await runner.stop_all()
    for bot in runner.started:
        assert "Traceback" not in bot.text(), bot.text()[-3000:]


async def test_not_done_leaders_get_each_reminder_once_even_after_kill_9(
    fake: FakeTelegram, launcher: Launcher, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, LEADERS)
    due = daytime()
    added = cli(
        "deadlines",
        "add",
        "--task",
        "3.3",
        "--due",
        due.isoformat(),
        "--remind",
        "1m,0m",
        url=url,
        cwd=tmp_path,
    )
    assert added["task"] == "3.3"
    first = await launcher.start(
        bot_env(fake, url, CLOCK_START=(due - timedelta(seconds=64)).isoformat())
    )
    await fake.wait_for(lambda f: count(f, 301) == 1 and count(f, 302) == 1, timeout=30)
    reminder = fake.sent_to(301)[0]["plain"]
    assert "3.3" in reminder and "vị trí việc làm" in reminder  # names the task …
    assert DATE.findall(reminder) == [f"{due:%d/%m/%Y}"]  # … and shows only its own date
    await first.stop(kill=True)  # kill -9 between the two reminders
    await launcher.start(bot_env(fake, url, CLOCK_START=(due - timedelta(seconds=4)).isoformat()))
    await fake.wait_for(lambda f: count(f, 301) == 2 and count(f, 302) == 2, timeout=30)
    await asyncio.sleep(4)  # the first reminder fired again on restart: nothing new was sent
    assert (count(fake, 301), count(fake, 302), count(fake, 303)) == (2, 2, 0)


async def test_a_reminder_due_at_night_waits_for_seven_in_the_morning(
    fake: FakeTelegram, launcher: Launcher, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, LEADERS)
    due = daytime(hour=22, minute=30)
    cli(
        "deadlines",
        "add",
        "--task",
        "3.3",
        "--due",
        due.isoformat(),
        "--remind",
        "0m",
        url=url,
        cwd=tmp_path,
    )
    night = await launcher.start(
        bot_env(fake, url, CLOCK_START=(due - timedelta(seconds=3)).isoformat())
    )
    await wait_for_log(night, "reminder service")
    await asyncio.sleep(8)
    assert count(fake, 301) == 0  # 22:30: written to the outbox, not delivered
    await night.stop()
    morning = daytime(days=3, hour=7) - timedelta(seconds=3)
    await launcher.start(bot_env(fake, url, CLOCK_START=morning.isoformat()))
    await fake.wait_for(lambda f: count(f, 301) == 1 and count(f, 302) == 1, timeout=30)
    delivered = fake.sent_to(301)[0]["at"]
    await asyncio.sleep(3)
    assert (count(fake, 301), count(fake, 302)) == (1, 1)
    assert delivered  # at 07:00 on the bot's clock, once


async def test_a_429_mid_broadcast_pauses_and_loses_nothing(
    fake: FakeTelegram, launcher: Launcher, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, LEADERS)
    chats = await add_members(url, 40)
    await launcher.start(bot_env(fake, url, CLOCK_START=daytime().isoformat()))
    await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)
    cli(
        "broadcast",
        "Thông báo: họp giao ban sáng thứ Hai.",
        "--to",
        "all",
        "--wait",
        "0",
        url=url,
        cwd=tmp_path,
    )
    await fake.wait_for(lambda f: sum(count(f, c) for c in chats) >= 10, timeout=30)
    fake.fail("sendMessage", status=429, retry_after=3)
    everyone = [*chats, *LEADERS.values()]
    await fake.wait_for(lambda f: all(count(f, c) == 1 for c in everyone), timeout=60)
    times = sorted(r["at"] for r in fake.sent if r["method"] == "sendMessage")
    assert max(b - a for a, b in itertools.pairwise(times)) >= 2.9  # the whole channel paused
    await asyncio.sleep(2)
    assert all(count(fake, c) == 1 for c in everyone)


async def add_members(url: str, n: int) -> list[int]:
    """Add n plain members on Telegram; return their chat ids."""
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        for chat in range(500, 500 + n):
            await get_or_create_member(
                s, channel="telegram", external_id=str(chat), chat_id=str(chat)
            )
    await engine.dispose()
    return list(range(500, 500 + n))


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for two bot processes (skipped without TEST_DATABASE_URL)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"reminders_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_two_processes_send_each_reminder_once_and_survive_the_leader(
    fake: FakeTelegram, postgres_url: str, launcher: Launcher, tmp_path: Path
) -> None:  # postgres_url before launcher: the bots stop before their database is dropped
    await seed_districts(postgres_url, LEADERS)
    due = daytime()
    cli(
        "deadlines",
        "add",
        "--task",
        "3.3",
        "--due",
        due.isoformat(),
        "--remind",
        "1m,0m",
        url=postgres_url,
        cwd=tmp_path,
    )
    port = free_port()
    common = {"TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"}
    leader = await launcher.start(
        bot_env(fake, postgres_url, CLOCK_START=(due - timedelta(seconds=66)).isoformat()) | common
    )
    await wait_for_log(leader, "this process is the leader")
    follower = await launcher.start(
        bot_env(fake, postgres_url, CLOCK_START=(due - timedelta(seconds=22)).isoformat()) | common,
        port=port,
    )
    await fake.wait_for(lambda f: count(f, 301) == 1 and count(f, 302) == 1, timeout=30)
    await leader.stop(kill=True)
    await wait_for_log(follower, "this process is the leader", seconds=30)
    await fake.wait_for(lambda f: count(f, 301) == 2 and count(f, 302) == 2, timeout=45)
    await asyncio.sleep(3)
    assert (count(fake, 301), count(fake, 302), count(fake, 303)) == (2, 2, 0)


async def test_with_an_https_form_a_reminder_carries_the_mini_app_button(
    fake: FakeTelegram, launcher: Launcher, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await seed_districts(url, LEADERS)
    due = daytime(hour=10, minute=30)
    cli("deadlines", "add", "--task", "3.3", "--due", due.isoformat(), "--remind", "0m",
        url=url, cwd=tmp_path)  # fmt: skip
    env = bot_env(fake, url, CLOCK_START=(due - timedelta(seconds=3)).isoformat())
    await launcher.start(env | {"WEB_BASE_URL": "https://bao-cao.example"})
    await fake.wait_for(lambda f: count(f, 301) == 1, timeout=30)
    rows = fake.sent_to(301)[0]["reply_markup"]["inline_keyboard"]
    form = {"text": "📝 Báo cáo", "web_app": {"url": "https://bao-cao.example/bao-cao"}}
    assert rows[-1] == [form]  # after the reminder's own buttons, if any
