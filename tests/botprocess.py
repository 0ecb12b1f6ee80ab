"""Start the real bot (`python -m bot run`) as a subprocess against the fake Telegram server.

Shared by the end-to-end tests of Telegram and of reminders.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]


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
    own = ("TELEGRAM_", "DATABASE_", "CLOCK_", "QUIET_", "ADMINS", "HTTP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env |= {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "PTB_TIMEDELTA": "true",
    }
    return env | extra


@dataclass
class Launcher:
    """Starts bot processes in one directory, numbering their logs."""

    directory: Path
    started: list[BotProcess] = field(default_factory=list)

    async def start(self, env: dict[str, str], *, port: int | None = None) -> BotProcess:
        """Start `python -m bot run` with env (HTTP_PORT set here)."""
        port = port or free_port()
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
        bot = BotProcess(process, log, port)
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
