"""What an operator sees: /healthz, /readyz, /metrics, and JSON logs without secrets."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.health import Health
from bot.logs import EXCERPT, JsonFormatter, Redactor, excerpt
from bot.metrics import Metrics
from bot.web import WebServer
from handlers.types import Incoming, Reply
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.queries.invites import create_invite
from storage.queries.outbox import OutboxRow, enqueue
from storage.queries.units import upsert_unit
from tests.botprocess import PINNED, BotProcess, Launcher, bot_env, wait_for_log
from tests.fakes import FakeTelegram

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


# --- logs ---------------------------------------------------------------------------


def test_the_redactor_masks_secrets_tokens_and_url_passwords() -> None:
    redact = Redactor(["s3cret-webhook-value"])
    line = redact(
        f"POST https://api.telegram.org/bot{TOKEN}/sendMessage secret=s3cret-webhook-value "
        "postgresql+asyncpg://bot:hunter22@db:5432/bot"
    )
    assert TOKEN not in line
    assert "s3cret-webhook-value" not in line
    assert "hunter22" not in line
    assert "bot:***@db:5432" in line


def test_a_json_log_line_is_one_object_with_the_exception() -> None:
    formatter = JsonFormatter(Redactor([]))
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        record = logging.LogRecord(
            "bot.x", logging.ERROR, __file__, 1, "failed in chat %s", ("42",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.x"
    assert entry["message"] == "failed in chat 42"
    assert "ValueError" in entry["exception"] and TOKEN not in line
    assert entry["time"].endswith("+00:00")


def test_an_excerpt_keeps_80_characters() -> None:
    assert excerpt("ngắn") == "ngắn"
    assert len(excerpt("x" * 500)) == EXCERPT + 1


# --- metrics and readiness, in process ----------------------------------------------


async def test_counting_counts_received_and_answered_per_channel() -> None:
    metrics = Metrics()

    async def dispatch(incoming: Incoming) -> list[Reply]:
        return [] if incoming.text == "im lặng" else [Reply("ok")]

    counted = metrics.counting(dispatch)
    for text in ("hỏi", "hỏi nữa", "im lặng"):
        await counted(
            Incoming(channel="zalo_oa", chat_id="1", user_id="1", text=text, at=datetime.now(UTC))
        )
    metrics.question(True)
    metrics.question(False)
    metrics.report_stored()
    metrics.channel("zalo_oa").rate_limited(60.0)
    text = metrics.render({"zalo_oa": {"pending": 3, "dead": 1}}).decode()
    assert 'bot_updates_received_total{channel="zalo_oa"} 3.0' in text
    assert 'bot_updates_answered_total{channel="zalo_oa"} 2.0' in text
    assert 'bot_questions_total{result="found"} 1.0' in text
    assert 'bot_questions_total{result="not_found"} 1.0' in text
    assert "bot_reports_stored_total 1.0" in text
    assert 'bot_outbox_messages{channel="zalo_oa",status="pending"} 3.0' in text
    assert 'bot_outbox_messages{channel="zalo_oa",status="sent"} 0.0' in text
    assert 'bot_rate_limited_wait_seconds_total{channel="zalo_oa"} 60.0' in text


@pytest_asyncio.fixture
async def health_client(sessions: Any) -> AsyncIterator[tuple[TestClient, dict[str, bool]]]:
    """A web server with /readyz and /metrics on the test database; the leader switchable."""
    state = {"leader": True}

    async def leader_known() -> bool:
        return state["leader"]

    server = WebServer("127.0.0.1", 0)
    Health(sessions=sessions, metrics=Metrics(), leader_known=leader_known).add_routes(server)
    async with TestClient(TestServer(server.app)) as client:
        yield client, state


async def test_readyz_needs_a_leader(health_client: tuple[TestClient, dict[str, bool]]) -> None:
    client, state = health_client
    response = await client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["database"] == "ok" and body["leader"] == "known"
    state["leader"] = False
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["leader"] == "none"


async def test_readyz_says_when_the_database_is_unreachable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'no.db'}")
    server = WebServer("127.0.0.1", 0)
    health = Health(sessions=session_factory(engine), metrics=Metrics(), leader_known=None)
    health.add_routes(server)
    async with TestClient(TestServer(server.app)) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"
        metrics = await client.get("/metrics")  # still served, without the outbox
        assert metrics.status == 200
        assert "bot_updates_received_total" in await metrics.text()
    await engine.dispose()


async def test_metrics_count_the_outbox_from_the_database(
    health_client: tuple[TestClient, dict[str, bool]], sessions: Any
) -> None:
    client, _ = health_client
    rows = [
        OutboxRow(
            key=f"broadcast:1:member:{n}",
            occasion="broadcast:1",
            kind="broadcast",
            channel="telegram",
            chat_id=str(n),
            text="Thông báo",
        )
        for n in range(3)
    ]
    async with sessions() as session:
        await enqueue(session, rows=rows, now=datetime.now(UTC))
    text = await (await client.get("/metrics")).text()
    assert 'bot_outbox_messages{channel="telegram",status="pending"} 3.0' in text


# --- the real process -----------------------------------------------------------------


async def seed(url: str) -> str:
    """One unit with an invite; return the code."""
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as s:
        unit = await upsert_unit(s, code="HU-TP", name="Huyện ủy Tuy Phước", actor="t")
        _, code = await create_invite(s, unit_id=unit.id or 0, created_by="t", now=PINNED)
    await engine.dispose()
    return code


async def say(fake: FakeTelegram, chat: int, text: str) -> dict[str, Any]:
    """Send a message; return the bot's next message to that chat."""
    before = len(fake.sent_to(chat))
    fake.message(chat, text)
    await fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=15)
    return fake.sent_to(chat)[before]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_the_running_bot_is_observable(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = await seed(url)
    fake = FakeTelegram()
    await fake.start()
    launcher = Launcher(tmp_path)
    bot: BotProcess | None = None
    try:
        bot = await launcher.start(bot_env(fake, url, LOG_FORMAT="json", LOG_LEVEL="DEBUG"))
        await wait_for_log(bot, "HTTP server listening")
        base = f"http://127.0.0.1:{bot.port}"
        assert (await get(f"{base}/healthz"))[0] == 200
        await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=30)

        await say(fake, 501, f"/dangky {code}")
        saved = await say(fake, 501, "/baocao 3.3 hoan thanh 100% xong ke hoach")
        assert "Đã lưu báo cáo" in saved["text"]
        await say(fake, 501, "Thời hạn hoàn thành kế hoạch vị trí việc làm là khi nào?")
        secret_tail = "ĐOẠN-RIÊNG-TƯ-" + "z" * 20
        long_question = "Xin hỏi về nội dung " + "rất dài " * 12 + secret_tail
        await say(fake, 501, long_question)

        status, body = await get(f"{base}/readyz")
        assert status == 200, body
        ready = json.loads(body)
        assert ready["database"] == "ok" and ready["leader"] == "known"
        assert "telegram" in ready["channels_last_ok"]

        status, text = await get(f"{base}/metrics")
        assert status == 200
        received = _sample(text, 'bot_updates_received_total{channel="telegram"}')
        assert received >= 4
        assert _sample(text, 'bot_updates_answered_total{channel="telegram"}') >= 4
        assert _sample(text, 'bot_questions_total{result="found"}') >= 1
        assert _sample(text, "bot_reports_stored_total") == 1
        assert _sample(text, 'bot_send_seconds_count{channel="telegram"}') >= 4
    finally:
        if bot is not None:
            await bot.stop()
        await fake.stop()
    log = bot.text() if bot is not None else ""
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines
    for line in lines:
        json.loads(line)  # every line one JSON object
    assert fake.token not in log
    assert fake.token.split(":")[1] not in log
    assert secret_tail not in log


def _sample(text: str, name: str) -> float:
    """Return the value of one Prometheus sample line."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics:\n{text}")
