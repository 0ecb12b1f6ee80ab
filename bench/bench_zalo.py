"""Zalo OA webhook acknowledgement latency at 100 signed events/s, on loopback.

The bot answers each webhook POST at once and works in the background; this measures
how long that answer takes (p50 / p99), with the real bot process and the fake OA.

Run: .venv/bin/python -m bench.bench_zalo
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.botprocess import Launcher, bot_env, free_port, wait_for_log
from tests.fakes import FakeTelegram, FakeZaloOA

RATE = 100  # signed events per second
EVENTS = 1_000


async def run_all() -> None:
    """Start the bot on the fake OA, post EVENTS signed questions at RATE/s, print latencies."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        async with FakeTelegram() as telegram, FakeZaloOA() as oa:
            env = bot_env(telegram, url, LOG_LEVEL="WARNING") | {
                "TELEGRAM_BOT_TOKEN": "",
                "ZALO_OA_APP_ID": oa.app_id,
                "ZALO_OA_APP_SECRET": oa.app_secret,
                "ZALO_OA_SECRET_KEY": oa.secret_key,
                "ZALO_OA_REFRESH_TOKEN": oa.refresh_token,
                "ZALO_OA_API_BASE_URL": oa.url,
                "ZALO_OAUTH_BASE_URL": oa.url,
                "LOG_LEVEL": "INFO",
            }
            port = free_port()
            runner = Launcher(Path(tmp))
            bot = await runner.start(env, port=port)
            await wait_for_log(bot, "zalo_oa: ready", seconds=60)
            hook = f"http://127.0.0.1:{port}/zalo/oa/webhook"
            latencies = await post_events(oa, hook)
            await runner.stop_all()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"zalo_oa webhook ack at {RATE} events/s: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {p99:.1f} ms over {len(latencies)} events (target p99 ≤ 50 ms)"
    )


async def post_events(oa: FakeZaloOA, hook: str) -> list[float]:
    """POST signed events at a steady rate; return each acknowledgement's time in ms."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:

        async def one(n: int) -> None:
            event = oa.text_event(f"bench-{n % 200}", "hạn chót vị trí việc làm")
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {
                "X-ZEvent-Signature": "mac=" + oa.sign(body, str(event["timestamp"])),
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            async with http.post(hook, data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append((time.perf_counter() - started) * 1000)

        began, tasks = time.perf_counter(), []
        for n in range(EVENTS):
            await asyncio.sleep(max(0.0, began + n / RATE - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return latencies


def run() -> None:
    """Entry point for make bench."""
    asyncio.run(run_all())


if __name__ == "__main__":
    run()
