"""Telegram end to end: this bot against a bare PTB echo bot, on the same loopback fake.

Each run starts the bot as a subprocess polling tests/fakes/telegram.py, sends it
questions from distinct chats at a steady 50 updates/s (then all at once, for the
most it can take) and times update → first reply. The first WARM updates after start are
timed and printed apart from the steady load: they pay the process's one-off warm-up. The
fake allows 1,000 msg/s overall (Telegram's paid tier) so the overall flood limit is not
what is measured.

Run: .venv/bin/python -m bench.bench_telegram
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from tests.botprocess import free_port
from tests.fakes import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "eval" / "qa_dev.jsonl"
RATE = 50  # updates per second, steady
STEADY = 400  # updates at the steady rate
BURST = 400  # updates all at once
WARM = 20  # updates first, at the steady rate, timed apart: a process's first updates pay
# once for compiling its SQL statements and filling its caches (start-up, not steady load)
FALLBACK = ["hạn chót vị trí việc làm", "tinh giản biên chế đến năm nào", "báo cáo định kỳ"]


def questions() -> list[str]:
    """Return the dev questions (or a few of our own without ../shared)."""
    if DEV_SET.is_file():
        return [json.loads(line)["q"] for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    return FALLBACK


class Replies:
    """When each watched chat got each reply, read from the fake's `sent` as it grows.

    Scanning every chat's replies on each poll of `wait_for` costs O(chats × sent) every
    20 ms, which in the same process as the fake slowed the fake itself: the yardstick
    then measured the bench, not the bots.
    """

    def __init__(self, fake: FakeTelegram, chats: Iterable[int]) -> None:
        self.fake = fake
        self.times: dict[int, list[float]] = {chat: [] for chat in chats}
        self.read = len(fake.sent)

    def update(self) -> None:
        """Read the records sent since the last call."""
        sent = self.fake.sent
        for record in sent[self.read :]:
            times = self.times.get(int(record["chat_id"]))
            if times is not None:
                times.append(record["at"])
        self.read = len(sent)

    def all_answered(self, at_least: int = 1) -> bool:
        """Tell whether every watched chat got `at_least` replies."""
        self.update()
        return all(len(times) >= at_least for times in self.times.values())


async def start(command: list[str], fake: FakeTelegram, tmp: Path) -> asyncio.subprocess.Process:
    """Start a bot process polling the fake; return once it polls."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.url,
        "TELEGRAM_PAID_BROADCAST": "true",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "HTTP_PORT": str(free_port()),  # not 8080: another bot may be running here
    }
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=60)
    return process


async def drive(
    fake: FakeTelegram, texts: list[str], first_chat: int, rate: float | None
) -> dict[str, float]:
    """Send one update per chat (at `rate`/s, or all at once) and time the replies."""
    sent_at: dict[int, float] = {}
    replies = Replies(fake, (first_chat + n for n in range(len(texts))))
    began = time.monotonic()
    for n, text in enumerate(texts):
        chat = first_chat + n
        if rate is not None:
            await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
        sent_at[chat] = time.monotonic()
        fake.message(chat, text)
    await fake.wait_for(lambda f: replies.all_answered(), timeout=120)
    replied = {c: times[0] for c, times in replies.times.items()}
    latencies = sorted((replied[c] - sent_at[c]) * 1000 for c in sent_at)
    span = max(replied.values()) - min(sent_at.values())
    return {
        "per_s": round(len(texts) / span, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
    }


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def drive_counting_cpu(
    process: asyncio.subprocess.Process, fake: FakeTelegram, texts: list[str], first_chat: int
) -> dict[str, float]:
    """Run the burst; add the bot's CPU milliseconds per update (read from /proc)."""
    before = cpu_seconds(process.pid)
    figures = await drive(fake, texts, first_chat, None)
    after = cpu_seconds(process.pid)
    if before is not None and after is not None:
        figures["cpu_ms_per_update"] = round((after - before) * 1000 / len(texts), 2)
    return figures


async def measure(command: list[str], label: str) -> dict[str, dict[str, float]]:
    """Run the steady and burst loads against one bot."""
    asked = questions()
    warm = [asked[n % len(asked)] for n in range(WARM)]
    steady = [asked[n % len(asked)] for n in range(STEADY)]
    burst = [asked[n % len(asked)] for n in range(BURST)]
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram(overall_limit=1000) as fake:
            process = await start(command, fake, Path(tmp))
            try:
                results = {
                    "first": await drive(fake, warm, 500, RATE),
                    "steady": await drive(fake, steady, 1_000, RATE),
                    "burst": await drive_counting_cpu(process, fake, burst, 100_000),
                }
            finally:
                process.terminate()
                await process.wait()
            breaches = len(fake.breaches)
    print(
        f"[{label}] first {WARM} after start: {results['first']}  "
        f"steady {RATE}/s: {results['steady']}  burst: {results['burst']}  "
        f"flood breaches: {breaches}"
    )
    return results


async def run_all() -> None:
    """Measure the echo bot and this bot, and print the ratios."""
    echo = await measure([sys.executable, "-m", "bench.echo_bot"], "echo")
    ours = await measure([sys.executable, "-m", "bot", "run"], "this bot")
    for load in ("steady", "burst"):
        ratio = ours[load]["per_s"] / echo[load]["per_s"]
        goal = "  goal 0.80" if load == "burst" else ""
        print(f"{load}: this bot / echo throughput = {ratio:.2f}   (target ≥ 0.50{goal})")
    print(f"steady p99 {ours['steady']['p99_ms']} ms   (target ≤ 30 ms at {RATE}/s)")
    if "cpu_ms_per_update" in ours["burst"] and "cpu_ms_per_update" in echo["burst"]:
        mine, bare = ours["burst"]["cpu_ms_per_update"], echo["burst"]["cpu_ms_per_update"]
        print(f"burst CPU per update: this bot {mine} ms, echo {bare} ms = {bare / mine:.2f}")


def run() -> None:
    """Entry point for make bench."""
    asyncio.run(run_all())


if __name__ == "__main__":
    run()
