"""A broadcast to 2,000 Telegram recipients through the real bot and the fake Bot API.

Twice: with the fake enforcing Telegram's 30 msg/s (a breach is answered with 429),
and with the paid-broadcast tier (1,000 msg/s). Prints messages per second and 429s.

Run: .venv/bin/python -m bench.bench_broadcast
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from storage.engine import create_engine, session_factory
from storage.queries.outbox import create_broadcast
from storage.queries.recipients import audience
from tests.botprocess import PINNED, Launcher, add_members, bot_env
from tests.fakes import FakeTelegram

RECIPIENTS = 2_000


async def queue(url: str) -> None:
    """Queue one broadcast to everyone."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        people = await audience(session, audience="all")
        await create_broadcast(
            session,
            text="Thông báo thử nghiệm.",
            audience="all",
            actor="bench",
            recipients=people,
            now=PINNED,  # due at once on the bot's (pinned) clock
        )
    await engine.dispose()


async def measure(paid: bool) -> dict[str, float]:
    """Run one broadcast; return msg/s over the sends and the 429s the fake answered."""
    limit = 1000 if paid else 30
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await add_members(url, range(10_000, 10_000 + RECIPIENTS))
        async with FakeTelegram(enforce=True, overall_limit=limit) as fake:
            runner = Launcher(Path(tmp))
            env = bot_env(fake, url, LOG_LEVEL="WARNING")  # the pinned clock: a daytime
            env["TELEGRAM_PAID_BROADCAST"] = "true" if paid else "false"
            await runner.start(env)
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=60)
            await queue(url)
            await fake.wait_for(lambda f: len(f.sent) >= RECIPIENTS, timeout=600)
            await runner.stop_all()
            times = sorted(r["at"] for r in fake.sent)
            rejected = sum(1 for c in fake.calls if c["status"] == 429)
    return {"per_s": round((len(times) - 1) / (times[-1] - times[0]), 1), "429s": rejected}


async def run_all() -> None:
    """Measure both tiers and print them beside their targets."""
    free = await measure(paid=False)
    print(
        f"broadcast {RECIPIENTS} at 30 msg/s: {free['per_s']} msg/s, {free['429s']} × 429 "
        "(target ≥ 28 msg/s, 0 × 429)"
    )
    paid = await measure(paid=True)
    print(
        f"broadcast {RECIPIENTS} at 1,000 msg/s: {paid['per_s']} msg/s, {paid['429s']} × 429 "
        "(target ≥ 500 msg/s)"
    )


def run() -> None:
    """Entry point for make bench."""
    asyncio.run(run_all())


if __name__ == "__main__":
    run()
