"""The three webhooks of the real bot process under abuse: huge, malformed and slow requests.

One `python -m bot run` serves /telegram/webhook, /zalo/oa/webhook and /zalo/bot/webhook
(all in webhook mode) against the three loopback fakes.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.botprocess import BotProcess, Launcher, bot_env, free_port, wait_for_log
from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA

pytestmark = pytest.mark.asyncio(loop_scope="module")
MAX_BODY = 1024 * 1024


@dataclass
class Hooks:
    telegram: FakeTelegram
    oa: FakeZaloOA
    zbot: FakeZaloBot
    bot: BotProcess
    base: str  # http://127.0.0.1:PORT

    def headers(self, path: str) -> dict[str, str]:
        """Return the headers that authenticate a POST to one webhook (none for Zalo OA)."""
        headers = {"Content-Type": "application/json"}
        if path == "/telegram/webhook":
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.telegram.webhook["secret_token"]
        elif path == "/zalo/bot/webhook":
            headers["X-Bot-Api-Secret-Token"] = self.zbot.webhook["secret_token"]
        return headers

    async def post(self, path: str, body: Any, **extra: str) -> int:
        """POST raw bytes (or an async chunk iterator) to a webhook; return the status."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}{path}", data=body, headers=self.headers(path) | extra) as r,
        ):
            await r.read()
            return r.status

    async def oa_post(self, body: bytes, *, stamp: str | None, **extra: str) -> int:
        """POST raw bytes to the Zalo OA webhook, signed with `stamp` (None: unsigned)."""
        headers = {"Content-Type": "application/json"} | extra
        if stamp is not None:
            headers["X-ZEvent-Signature"] = f"mac={self.oa.sign(body, stamp)}"
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/zalo/oa/webhook", data=body, headers=headers) as r,
        ):
            return r.status


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hooks(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hooks]:
    tmp = tmp_path_factory.mktemp("hooks")
    async with FakeTelegram() as telegram, FakeZaloOA() as oa, FakeZaloBot() as zbot:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = bot_env(
            telegram,
            f"sqlite+aiosqlite:///{tmp / 'bot.db'}",
            TELEGRAM_WEBHOOK_URL=f"{base}/telegram/webhook",
            ZALO_OA_APP_ID=oa.app_id,
            ZALO_OA_APP_SECRET=oa.app_secret,
            ZALO_OA_SECRET_KEY=oa.secret_key,
            ZALO_OA_REFRESH_TOKEN=oa.refresh_token,
            ZALO_OA_API_BASE_URL=oa.url,
            ZALO_OAUTH_BASE_URL=oa.url,
            ZALO_BOT_TOKEN=zbot.token,
            ZALO_BOT_API_BASE_URL=zbot.url,
            ZALO_BOT_WEBHOOK_URL=f"{base}/zalo/bot/webhook",
            FLOOD_PER_MINUTE="20",
        )
        launcher = Launcher(tmp)
        bot = await launcher.start(env, port=port)
        try:
            await wait_for_log(bot, "zalo_oa: ready")
            await telegram.wait_for(lambda f: f.webhook, timeout=30)
            await zbot.wait_for(lambda f: f.webhook, timeout=30)
            yield Hooks(telegram, oa, zbot, bot, base)
        finally:
            await launcher.stop_all()
        log = bot.text()
        assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]


def telegram_update(chat: int, text: str) -> dict[str, Any]:
    """Return a well-formed Update with a private text message."""
    user = {"id": chat, "is_bot": False, "first_name": "Cán bộ"}
    message = {
        "message_id": chat,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": "Cán bộ"},
        "from": user,
        "text": text,
    }
    return {"update_id": 800_000_000 + chat, "message": message}


def zalo_bot_update(chat: str, text: str) -> dict[str, Any]:
    """Return a well-formed Zalo Bot text update."""
    message = {
        "message_id": f"m-{chat}",
        "from": {"id": chat, "name": "Cán bộ", "is_bot": False},
        "chat": {"id": chat, "chat_type": "PRIVATE"},
        "date": int(time.time() * 1000),
        "text": text,
    }
    return {"event_name": "message.text.received", "message": message}


def encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """Yield `total` bytes of a JSON string in chunks (sent with chunked encoding)."""
    yield b'{"pad": "'
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        yield b"a" * part
        sent += part
    yield b'"}'


PATHS = ["/telegram/webhook", "/zalo/oa/webhook", "/zalo/bot/webhook"]
JUNK: list[bytes] = [
    b"{not json",
    b"",
    b"\xff\xfe\x00garbage",  # not UTF-8
    b"[" * 100_000,  # nested too deeply for the json module
    b"[]",
    b'"text"',
    b"42",
    b"null",
    b"{}",
]


@pytest.mark.parametrize("path", PATHS)
async def test_a_body_over_one_megabyte_is_refused(hooks: Hooks, path: str) -> None:
    body = b'{"pad": "' + b"a" * MAX_BODY + b'"}'
    assert await hooks.post(path, body) == 413
    assert await hooks.post(path, chunks(MAX_BODY + 1)) == 413  # no Content-Length
    bomb = gzip.compress(b'{"pad": "' + b" " * (8 * MAX_BODY) + b'"}')
    assert len(bomb) < 20_000
    assert await hooks.post(path, bomb, **{"Content-Encoding": "gzip"}) == 413


async def test_a_big_update_under_the_limit_is_still_handled(hooks: Hooks) -> None:
    update = telegram_update(611, "/help")
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    update["padding"] = "x" * (MAX_BODY - 2_000)  # an unknown field Telegram might add
    assert len(encoded(update)) < MAX_BODY
    assert await hooks.post("/telegram/webhook", encoded(update)) == 200
    await hooks.telegram.wait_for(lambda f: f.sent_to(611), timeout=15)


TELEGRAM_MALFORMED: list[Any] = [
    {"update_id": "1"},
    {"update_id": True},
    {"update_id": 1, "message": "hello"},
    {"update_id": 1, "message": {"message_id": 1, "text": "/help"}},  # no chat, no date
    {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": 5, "text": "/help"}},
    {
        "update_id": 1,
        "message": {"message_id": 1, "date": 1, "chat": {"id": 7, "type": "private"}, "text": 5},
    },
    {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": "yesterday",
            "chat": {"id": 7, "type": "private"},
            "text": "/help",
        },
    },
    {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 7, "type": "private"},
            "from": {"id": "7", "is_bot": False, "first_name": "A"},
            "text": "/help",
        },
    },
    {"update_id": 1, "callback_query": {"id": 5, "from": {}, "chat_instance": "c", "data": 1}},
    {"update_id": 1, "callback_query": []},
    {"update_id": 1, "my_chat_member": {"chat": {"id": 7}}},
]


async def test_malformed_telegram_updates_get_400_and_the_next_is_handled(hooks: Hooks) -> None:
    path = "/telegram/webhook"
    bodies = JUNK + [encoded(update) for update in TELEGRAM_MALFORMED]
    statuses = [await hooks.post(path, body) for body in bodies]
    assert statuses == [400] * len(bodies)
    assert await hooks.post(path, encoded(telegram_update(612, "/help"))) == 200
    await hooks.telegram.wait_for(lambda f: f.sent_to(612), timeout=15)
    assert "/baocao" in hooks.telegram.sent_to(612)[0]["plain"]


ZALO_BOT_MALFORMED: list[Any] = [
    {"event_name": "message.text.received"},  # no message
    {"message": "hello"},
    {"message": {"text": "/help"}},  # no chat
    {"message": {"chat": {"id": ""}, "text": "/help"}},
    {"message": {"chat": {"id": ["x"]}, "text": "/help"}},
    {"message": {"chat": {"id": "c1"}, "text": 5}},
    {"message": {"chat": {"id": "c1"}, "from": "me", "text": "/help"}},
    {"event_name": 5, "message": {"chat": {"id": "c1"}, "text": "/help"}},
]


async def test_malformed_zalo_bot_updates_get_400_and_the_next_is_handled(hooks: Hooks) -> None:
    path = "/zalo/bot/webhook"
    bodies = JUNK + [encoded(update) for update in ZALO_BOT_MALFORMED]
    statuses = [await hooks.post(path, body) for body in bodies]
    assert statuses == [400] * len(bodies)
    assert await hooks.post(path, encoded(zalo_bot_update("zb-613", "/help"))) == 200
    await hooks.zbot.wait_for(lambda f: f.sent_to("zb-613"), timeout=15)
    assert "/baocao" in hooks.zbot.sent_to("zb-613")[0]["text"]
    wrapped = {"ok": True, "result": zalo_bot_update("zb-620", "/help")}  # getUpdates' shape
    assert await hooks.post(path, encoded(wrapped)) == 200
    await hooks.zbot.wait_for(lambda f: f.sent_to("zb-620"), timeout=15)


def oa_malformed(oa: FakeZaloOA) -> list[Any]:
    """Events that are signed but wrong: missing fields and wrong types."""
    good = oa.text_event("oa-614", "/help")
    return [
        {k: v for k, v in good.items() if k != "event_name"},
        good | {"event_name": 5},
        good | {"timestamp": "soon"},
        good | {"sender": "oa-614"},
        good | {"sender": {"id": ""}},
        good | {"message": "/help"},
        good | {"message": {"text": 5, "msg_id": "x"}},
        good | {"message": {"text": "/help", "msg_id": 5}},
        oa.follow_event("oa-614") | {"follower": {"id": None}},
    ]


async def test_zalo_oa_checks_the_signature_before_the_json(hooks: Hooks) -> None:
    stamp = str(int(time.time() * 1000))
    for body in JUNK:
        assert await hooks.oa_post(body, stamp=None) == 401  # unsigned: nothing parsed
        assert await hooks.oa_post(body, stamp="1" + stamp) == 401  # signed wrongly
    junk = b'{"timestamp": "' + stamp.encode() + b'", not json'
    assert await hooks.oa_post(junk, stamp=stamp) == 400  # signed, but not JSON
    for event in oa_malformed(hooks.oa):
        body = encoded(event)
        assert await hooks.oa_post(body, stamp=None) == 401
        signed_with = str(event.get("timestamp", stamp))
        assert await hooks.oa_post(body, stamp=signed_with) == 400, event
    event = hooks.oa.text_event("oa-614", "/help")
    assert await hooks.oa.deliver(event, url=f"{hooks.base}/zalo/oa/webhook") == 200
    await hooks.oa.wait_for(lambda o: o.sent_to("oa-614"), timeout=15)
    assert "/baocao" in hooks.oa.sent_to("oa-614")[0]["text"]


async def test_a_slow_reply_holds_up_no_one_else(hooks: Hooks) -> None:
    telegram = hooks.telegram
    telegram.delay("sendMessage", 5)  # the next sendMessage is answered after 5 s
    started = time.monotonic()
    assert await hooks.post("/telegram/webhook", encoded(telegram_update(615, "/help"))) == 200
    await telegram.wait_for(
        lambda f: any(str(c["params"].get("chat_id")) == "615" for c in f.calls_to("sendMessage")),
        timeout=10,
    )
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            asked = time.monotonic()
            async with http.get(f"{hooks.base}/healthz") as r:
                assert r.status == 200
            assert time.monotonic() - asked < 0.5
    asked = time.monotonic()
    assert await hooks.post("/telegram/webhook", encoded(telegram_update(616, "/help"))) == 200
    assert time.monotonic() - asked < 0.5
    await telegram.wait_for(lambda f: f.sent_to(616), timeout=4)
    assert telegram.sent_to(615) == []  # still waiting for its slow answer
    await telegram.wait_for(lambda f: f.sent_to(615), timeout=10)
    assert time.monotonic() - started >= 5


async def test_zalo_webhooks_answer_while_the_bot_is_busy(hooks: Hooks) -> None:
    telegram = hooks.telegram
    telegram.delay("sendMessage", 2)
    assert await hooks.post("/telegram/webhook", encoded(telegram_update(617, "/help"))) == 200
    event = hooks.oa.text_event("oa-618", "/help")
    asked = time.monotonic()
    assert await hooks.oa.deliver(event, url=f"{hooks.base}/zalo/oa/webhook") == 200
    assert await hooks.post("/zalo/bot/webhook", encoded(zalo_bot_update("zb-619", "/help"))) == 200
    assert time.monotonic() - asked < 1.0
    await hooks.oa.wait_for(lambda o: o.sent_to("oa-618"), timeout=3)
    await hooks.zbot.wait_for(lambda z: z.sent_to("zb-619"), timeout=2)
    assert telegram.sent_to(617) == []  # the slow one is still on its way
    await telegram.wait_for(lambda f: f.sent_to(617), timeout=10)
