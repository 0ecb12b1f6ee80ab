"""Start the real bot (`python -m bot run`) as a subprocess against the fake Telegram server.

Shared by the end-to-end tests of Telegram, of reminders and of faults; `admin` runs an
admin command without blocking the loop, `throwaway_database` makes a PostgreSQL one.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Member, Role
from storage.queries.members import bind_member, get_or_create_member
from storage.queries.progress import add_update
from storage.queries.units import upsert_unit
from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TIMEOUT = 60.0  # seconds an admin command may take
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: The bot's clock (CLOCK_START) in every test that does not set its own: a Tuesday
#: morning in May 2025, weeks away from every deadline, overdue repeat and reporting
#: period of the bundled directive, so none of its reminders fires into a test, whatever
#: the real date. Tests put what they expect relative to it (`BotProcess.now`).
PINNED = datetime(2025, 5, 13, 9, 0, tzinfo=VN)


def pinned_day(days: int = 0, hour: int = 10, minute: int = 0) -> datetime:
    """Return a local moment `days` after PINNED's date, at hour:minute."""
    day = PINNED.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotProcess:
    """One running bot process and where its log goes."""

    process: asyncio.subprocess.Process
    log: Path
    port: int
    clock_start: datetime = PINNED  # the bot's CLOCK_START (the real time when it has none)
    started: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """Return about what the bot's clock shows now (it began at `clock_start`)."""
        return self.clock_start + timedelta(seconds=time.monotonic() - self.started)

    async def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (graceful) or SIGKILL the bot, and wait for it to end."""
        if self.process.returncode is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def text(self) -> str:
        """Return what the bot logged."""
        return self.log.read_text(errors="replace")


def bot_env(fake: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a bot process talking to the fake."""
    own = ("TELEGRAM_", "DATABASE_", "CLOCK_", "QUIET_", "ADMINS", "HTTP_", "FLOOD_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env |= {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "PTB_TIMEDELTA": "true",
        "CLOCK_START": PINNED.isoformat(),
    }
    return env | extra


def zalo_env(oa: FakeZaloOA, zbot: FakeZaloBot) -> dict[str, str]:
    """Return the settings putting a bot on the fake Zalo OA and Zalo Bot (add to bot_env)."""
    return {
        "ZALO_OA_APP_ID": oa.app_id,
        "ZALO_OA_APP_SECRET": oa.app_secret,
        "ZALO_OA_SECRET_KEY": oa.secret_key,
        "ZALO_OA_REFRESH_TOKEN": oa.refresh_token,
        "ZALO_OA_API_BASE_URL": oa.url,
        "ZALO_OAUTH_BASE_URL": oa.url,
        "ZALO_BOT_TOKEN": zbot.token,
        "ZALO_BOT_API_BASE_URL": zbot.url,
    }


@dataclass
class Launcher:
    """Starts bot processes in one directory, numbering their logs."""

    directory: Path
    started: list[BotProcess] = field(default_factory=list)
    epoch: float = field(default_factory=time.monotonic)  # PINNED, for this launcher's bots

    async def start(self, env: dict[str, str], *, port: int | None = None) -> BotProcess:
        """Start `python -m bot run` with env (HTTP_PORT set here).

        Bots on the default pinned clock share one timeline, PINNED at the launcher's
        creation, so a second process agrees with the first on what time it is (a claim's
        lease, a reminder's due time).
        """
        port = port or free_port()
        if env.get("CLOCK_START") == PINNED.isoformat():
            elapsed = timedelta(seconds=time.monotonic() - self.epoch)
            env = env | {"CLOCK_START": (PINNED + elapsed).isoformat()}
        log = self.directory / f"bot-{len(self.started)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.directory,
                env=env | {"HTTP_PORT": str(port)},
                stdout=out,
                stderr=out,
            )
        pinned = env.get("CLOCK_START")
        start = datetime.fromisoformat(pinned) if pinned else datetime.now(UTC)
        bot = BotProcess(process, log, port, start)
        self.started.append(bot)
        return bot

    async def stop_all(self) -> None:
        """Stop every process still running."""
        for bot in self.started:
            await bot.stop()


async def wait_for_log(bot: BotProcess, needle: str, seconds: float = 30) -> None:
    """Wait until the bot's log contains `needle`."""
    for _ in range(int(seconds * 10)):
        if needle in bot.text():
            return
        if bot.process.returncode is not None:
            raise AssertionError(f"the bot exited:\n{bot.text()[-3000:]}")
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{needle!r} not in the log:\n{bot.text()[-3000:]}")


def log_count(bot: BotProcess, needle: str) -> int:
    """Return how many times the bot's log contains `needle`."""
    return bot.text().count(needle)


def admin_env(url: str) -> dict[str, str]:
    """Return an admin command's environment: the bot's database, and the pinned clock.

    The command's clock starts at PINNED, at or before every test bot's clock, so what it
    queues (a broadcast) is already due for the bot.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CLOCK_"))}
    return env | {"DATABASE_URL": url, "PYTHONPATH": str(ROOT), "CLOCK_START": PINNED.isoformat()}


async def admin(*args: str, url: str, cwd: Path) -> dict[str, Any]:
    """Run `python -m bot ARGS --json` against `url` without blocking the event loop."""
    env = admin_env(url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        "--json",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), ADMIN_TIMEOUT)
    assert process.returncode == 0, err.decode(errors="replace")
    result: dict[str, Any] = json.loads(out)
    return result


@asynccontextmanager
async def throwaway_database(base_url: str, prefix: str) -> AsyncIterator[str]:
    """Create a fresh PostgreSQL database next to `base_url`; yield its URL; drop it after."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.engine import create_engine

    name = f"{prefix}_{secrets.token_hex(4)}"
    server = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        for _ in range(20):  # the server may be restarting (the PostgreSQL fault test)
            try:
                async with server.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except Exception:
                await asyncio.sleep(0.5)
        await server.dispose()


def member_row(chat: int, *, unit_id: int | None = None, name: str = "") -> dict[str, Any]:
    """Return the columns of a Telegram member in their private chat (a leader with a unit)."""
    now = datetime.now(UTC)
    return {
        "channel": "telegram",
        "external_id": str(chat),
        "chat_id": str(chat),
        "display_name": name,
        "role": "leader" if unit_id else "member",
        "unit_id": unit_id,
        "subscribed": False,
        "blocked": False,
        "created_at": now,
        "last_seen_at": now,
    }


async def add_members(url: str, chats: Iterable[int]) -> list[int]:
    """Migrate, then add plain Telegram members in one statement; return their chats."""
    chats = list(chats)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(insert(Member), [member_row(c) for c in chats])
    finally:
        await engine.dispose()
    return chats


async def seed_districts(url: str, leaders: dict[str, int], *, done: str = "HU-PM") -> None:
    """Migrate; TU-BD with one district per leader (bound on Telegram); `done` reported 3.3."""
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as s:
        await upsert_unit(s, code="TU-BD", name="Tỉnh ủy Bình Định", actor="t", level="tinh")
        for code, chat in leaders.items():
            unit = await upsert_unit(s, code=code, name=code, actor="t", parent_code="TU-BD")
            member = await get_or_create_member(
                s, channel="telegram", external_id=str(chat), chat_id=str(chat)
            )
            await bind_member(
                s, member_id=member.id or 0, unit_id=unit.id or 0, actor="t", role=Role.LEADER
            )
            if code == done:
                await add_update(s, unit_id=unit.id or 0, task_code="3.3", status="hoan_thanh")
    await engine.dispose()
