"""The Zalo fakes speak their protocols: plain aiohttp clients drive them over loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes import FakeZaloBot, FakeZaloOA

USER = "2512467983845371234"
BOT_TOKEN = "zb-123:TOKEN"
SECRET = "hook-secret-123"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a client session with short timeouts."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    """Run a fake OA API + OAuth server for one test."""
    async with FakeZaloOA(refresh_delay=0.01) as server:
        yield server


@pytest.fixture
async def zbot() -> AsyncIterator[FakeZaloBot]:
    """Run a fake Zalo Bot API server for one test."""
    async with FakeZaloBot(token=BOT_TOKEN) as server:
        yield server


class Receiver:
    """A tiny webhook endpoint that keeps what it was sent and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Serve POST /hook on a free loopback port."""
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        """Keep the headers and raw body; answer the configured status."""
        self.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=self.status, text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Run a webhook receiver for one test."""
    hook = Receiver()
    await hook.start()
    yield hook
    await hook.stop()


async def oa_send(
    http: aiohttp.ClientSession,
    oa: FakeZaloOA,
    text: str,
    *,
    token: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Send a CS message the way the bot does; return the JSON answer."""
    body = {"recipient": {"user_id": extra.pop("user_id", USER)}, "message": {"text": text}}
    if "buttons" in extra:
        body["message"]["attachment"] = {
            "type": "template",
            "payload": {"buttons": extra.pop("buttons")},
        }
    headers = {"access_token": token if token is not None else oa.access_token}
    async with http.post(oa.url + "/v3.0/oa/message/cs", json=body, headers=headers) as resp:
        assert resp.status == 200
        return await resp.json()


async def oa_refresh(
    http: aiohttp.ClientSession, oa: FakeZaloOA, refresh_token: str, **overrides: str
) -> tuple[int, dict[str, Any]]:
    """Call the OAuth refresh endpoint; return (status, JSON)."""
    form = {"app_id": oa.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token}
    secret = overrides.pop("secret_key", oa.app_secret)
    form.update(overrides)
    headers = {"secret_key": secret}
    async with http.post(oa.url + "/v4/oa/access_token", data=form, headers=headers) as resp:
        return resp.status, await resp.json()


def button(title: str, payload: str) -> dict[str, str]:
    """Return an oa.query.show button."""
    return {"title": title, "type": "oa.query.show", "payload": payload}


# --- Zalo OA: sending ------------------------------------------------------------------


async def test_oa_send_with_valid_token(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    answer = await oa_send(http, oa, "Xin chào", buttons=[button("Hạn nộp", "/deadlines")])
    assert answer["error"] == 0 and answer["message"] == "Success"
    assert answer["data"]["user_id"] == USER
    assert len(answer["data"]["message_id"]) == 32
    [record] = oa.sent_to(USER)
    assert record["text"] == "Xin chào"
    assert record["buttons"] == [("Hạn nộp", "/deadlines")]
    assert record["message_id"] == answer["data"]["message_id"]
    assert oa.calls[-1]["token"] == "at-0" and oa.calls[-1]["error"] == 0
    assert oa.button_event(USER, "/deadlines")["message"]["text"] == "/deadlines"
    with pytest.raises(AssertionError):
        oa.button_event(USER, "/other")


async def test_oa_unknown_and_revoked_tokens(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    assert (await oa_send(http, oa, "a", token="nope"))["error"] == -216
    oa.revoke_access_token()
    answer = await oa_send(http, oa, "a")
    assert answer == {"error": -216, "message": "Access token is invalid"}
    assert oa.sent == []


async def test_oa_expired_token(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    oa.expire_access_token()
    answer = await oa_send(http, oa, "a")
    assert answer == {"error": -220, "message": "Access token has expired"}


async def test_oa_refresh_rotates_both_tokens(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    old_access = oa.access_token
    status, pair = await oa_refresh(http, oa, "rt-0")
    assert status == 200
    assert pair == {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": "90000"}
    assert (oa.access_token, oa.refresh_token) == ("at-1", "rt-1")
    assert (await oa_send(http, oa, "a", token=old_access))["error"] == -216
    assert (await oa_send(http, oa, "a", token="at-1"))["error"] == 0
    status, again = await oa_refresh(http, oa, "rt-0")
    assert status == 200 and again["error"] == -14014
    assert again["error_name"] == "Invalid refresh token"
    assert (await oa_refresh(http, oa, "rt-1", secret_key="wrong"))[1]["error"] == -14004
    assert (await oa_refresh(http, oa, "rt-1", app_id="999"))[1]["error"] == -14002
    assert len(oa.refreshes) == 4
    assert oa.refresh_token == "rt-1"


async def test_oa_grace_keeps_old_token_briefly(http: aiohttp.ClientSession) -> None:
    async with FakeZaloOA(grace=0.2, refresh_delay=0) as oa:
        await oa_refresh(http, oa, "rt-0")
        assert (await oa_send(http, oa, "a", token="at-0"))["error"] == 0
        await asyncio.sleep(0.25)
        assert (await oa_send(http, oa, "a", token="at-0"))["error"] == -216


async def test_oa_counts_concurrent_refreshes(http: aiohttp.ClientSession) -> None:
    async with FakeZaloOA(refresh_delay=0.1) as oa:
        answers = await asyncio.gather(*(oa_refresh(http, oa, "rt-0") for _ in range(3)))
        assert oa.max_concurrent_refreshes == 3
        assert sorted("access_token" in body for _, body in answers) == [False, False, True]


async def test_oa_out_of_window_and_faults(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    oa.out_of_window(USER)
    assert (await oa_send(http, oa, "a"))["error"] == -230
    assert (await oa_send(http, oa, "a", user_id="other"))["error"] == 0
    oa.in_window(USER)
    oa.fail(error=-32, times=2)
    oa.fail(error=-234)
    codes = [(await oa_send(http, oa, "a"))["error"] for _ in range(4)]
    assert codes == [-32, -32, -234, 0]
    assert oa.calls[0]["error"] == -230


async def test_oa_limits(http: aiohttp.ClientSession, oa: FakeZaloOA) -> None:
    assert (await oa_send(http, oa, ""))["error"] == -201
    assert (await oa_send(http, oa, "a", user_id=""))["error"] == -201
    assert (await oa_send(http, oa, "x" * 2001))["error"] == 0  # recorded, not enforced
    assert oa.breaches == ["text of 2001 characters (limit 2000)"]
    oa.enforce = True
    assert (await oa_send(http, oa, "x" * 2001))["error"] == -201
    assert (await oa_send(http, oa, "x" * 2000))["error"] == 0
    six = [button(str(n), str(n)) for n in range(6)]
    assert (await oa_send(http, oa, "a", buttons=six))["error"] == -201
    assert (await oa_send(http, oa, "a", buttons=[button("t" * 101, "p")]))["error"] == -201
    assert (await oa_send(http, oa, "a", buttons=[button("t", "p" * 1001)]))["error"] == -201
    assert len(oa.sent) == 2


# --- Zalo OA: webhook events -------------------------------------------------------------


async def test_oa_signed_event(oa: FakeZaloOA, receiver: Receiver) -> None:
    event = oa.text_event(USER, "Hạn nộp báo cáo?", msg_id="ab12", timestamp_ms=1_700_000_000_000)
    assert event["event_name"] == "user_send_text"
    assert event["timestamp"] == "1700000000000"
    assert event["sender"] == {"id": USER} and event["recipient"] == {"id": oa.oa_id}
    assert event["message"] == {"text": "Hạn nộp báo cáo?", "msg_id": "ab12"}
    assert await oa.deliver(event, url=receiver.url) == 200
    headers, body = receiver.requests[-1]
    assert json.loads(body) == event
    # The receiver verifies with the documented formula and nothing from the fake.
    data = json.loads(body)
    expected = hashlib.sha256(
        (data["app_id"] + body.decode() + data["timestamp"] + "oa-secret-key").encode()
    ).hexdigest()
    assert hmac.compare_digest(headers["X-ZEvent-Signature"], f"mac={expected}")
    assert oa.sign(body, data["timestamp"]) == expected


async def test_oa_unsigned_and_forged_events(oa: FakeZaloOA, receiver: Receiver) -> None:
    receiver.status = 401
    assert await oa.deliver(oa.follow_event(USER), url=receiver.url, signature=None) == 401
    assert "X-ZEvent-Signature" not in receiver.requests[-1][0]
    await oa.deliver(oa.unfollow_event(USER), url=receiver.url, signature="mac=wrong")
    headers, body = receiver.requests[-1]
    assert headers["X-ZEvent-Signature"] == "mac=wrong"
    assert json.loads(body)["follower"] == {"id": USER}
    assert json.loads(body)["event_name"] == "unfollow"
    await oa.deliver(oa.text_event(USER, "x"), url=receiver.url, timestamp="1")
    headers, body = receiver.requests[-1]
    assert headers["X-ZEvent-Signature"] == f"mac={oa.sign(body, '1')}"
    assert [d["status"] for d in oa.deliveries] == [401, 401, 401]


# --- Zalo Bot ---------------------------------------------------------------------------


async def bot_call(
    http: aiohttp.ClientSession,
    zbot: FakeZaloBot,
    method: str,
    token: str = BOT_TOKEN,
    **params: Any,
) -> tuple[int, dict[str, Any]]:
    """POST a JSON call to the Bot API; return (status, JSON)."""
    async with http.post(f"{zbot.url}/bot{token}/{method}", json=params) as resp:
        return resp.status, await resp.json()


async def test_bot_get_me_and_tokens(http: aiohttp.ClientSession, zbot: FakeZaloBot) -> None:
    status, body = await bot_call(http, zbot, "getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"] == {
        "id": "zb-123",
        "account_name": "bot.kl09",
        "account_type": "BASIC",
        "can_join_groups": False,
    }
    async with http.get(f"{zbot.url}/bot{BOT_TOKEN}/getMe") as resp:
        assert resp.status == 200
    assert (await bot_call(http, zbot, "getMe", token="zb-123:WRONG"))[0] == 401
    status, body = await bot_call(http, zbot, "editMessageText")
    assert (status, body["ok"], body["error_code"]) == (404, False, 404)


async def test_bot_send_message(http: aiohttp.ClientSession, zbot: FakeZaloBot) -> None:
    status, body = await bot_call(http, zbot, "sendMessage", chat_id="c1", text="Chào")
    assert status == 200 and set(body["result"]) == {"message_id", "date"}
    status, body = await bot_call(http, zbot, "sendMessage", chat_id="c1", text="x" * 2001)
    assert status == 400 and body["error_code"] == 400 and body["ok"] is False
    async with http.post(
        f"{zbot.url}/bot{BOT_TOKEN}/sendPhoto",
        data={"chat_id": "c1", "photo": "https://example.invalid/a.png", "caption": "Ảnh"},
    ) as resp:
        assert resp.status == 200
    status, body = await bot_call(http, zbot, "sendChatAction", chat_id="c1", action="typing")
    assert (status, body) == (200, {"ok": True})
    assert [(r["method"], r["text"]) for r in zbot.sent_to("c1")] == [
        ("sendMessage", "Chào"),
        ("sendPhoto", "Ảnh"),
    ]
    zbot.fail("sendMessage", error_code=429)
    assert (await bot_call(http, zbot, "sendMessage", chat_id="c1", text="a"))[0] == 429
    assert (await bot_call(http, zbot, "sendMessage", chat_id="c1", text="a"))[0] == 200
    assert await zbot.wait_for(3, timeout=1)


async def test_bot_long_poll_gets_update_queued_mid_poll(
    http: aiohttp.ClientSession, zbot: FakeZaloBot
) -> None:
    poll = asyncio.create_task(bot_call(http, zbot, "getUpdates", timeout="5"))
    await asyncio.sleep(0.1)
    assert not poll.done()
    sent = zbot.message("c9", "/start", name="Chi bộ 3")
    status, body = await asyncio.wait_for(poll, 1)
    assert status == 200 and body["ok"] is True
    update = body["result"]
    assert update == sent
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    assert message["chat"] == {"id": "c9", "chat_type": "PRIVATE"}
    assert message["from"]["id"] == "c9" and message["from"]["name"] == "Chi bộ 3"
    assert message["text"] == "/start" and isinstance(message["date"], int)
    assert zbot.pending_updates == []


async def test_bot_idle_poll_times_out_with_408(
    http: aiohttp.ClientSession, zbot: FakeZaloBot
) -> None:
    started = time.monotonic()
    status, body = await bot_call(http, zbot, "getUpdates", timeout=0.3)
    assert 0.25 <= time.monotonic() - started < 1.0
    assert status == 408
    assert body == {"ok": False, "error_code": 408, "description": "Request timeout"}
    zbot.message("c1", "đã có")
    status, body = await bot_call(http, zbot, "getUpdates", timeout=0.3)
    assert status == 200 and body["result"]["message"]["text"] == "đã có"


async def test_bot_webhook_delivery(
    http: aiohttp.ClientSession, zbot: FakeZaloBot, receiver: Receiver
) -> None:
    zbot.message("c1", "trước webhook")
    status, body = await bot_call(http, zbot, "setWebhook", url=receiver.url, secret_token=SECRET)
    assert status == 200 and body["result"]["url"] == receiver.url
    assert (await bot_call(http, zbot, "getUpdates", timeout=0))[0] == 409
    zbot.message("c1", "sau webhook")
    await zbot.wait_for(lambda fake: len(fake.deliveries) == 2, timeout=1)
    texts = [json.loads(body)["message"]["text"] for _, body in receiver.requests]
    assert texts == ["trước webhook", "sau webhook"]
    assert all(h["X-Bot-Api-Secret-Token"] == SECRET for h, _ in receiver.requests)
    update = json.loads(receiver.requests[0][1])
    assert await zbot.deliver(update, secret=None) == 200
    assert "X-Bot-Api-Secret-Token" not in receiver.requests[-1][0]
    await zbot.deliver(update, secret="wrong")
    assert receiver.requests[-1][0]["X-Bot-Api-Secret-Token"] == "wrong"
    info = (await bot_call(http, zbot, "getWebhookInfo"))[1]["result"]
    assert info["url"] == receiver.url
    assert (await bot_call(http, zbot, "deleteWebhook"))[1]["result"]["url"] == ""
    assert zbot.webhook is None
    status, _ = await bot_call(http, zbot, "setWebhook", url=receiver.url, secret_token="short")
    assert status == 400
