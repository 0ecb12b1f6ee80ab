"""The fake Bot API server speaks the protocol: the real telegram.Bot drives it over loopback."""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.aiohttp_request import AiohttpRequest
from tests.fakes import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
CHAT = 4242


def transport(kind: str, read_timeout: float, pool: int = 1) -> BaseRequest:
    """Return PTB's own httpx transport or the bot's aiohttp one (bot/channels)."""
    if kind == "aiohttp":
        return AiohttpRequest(pool_size=pool, read_timeout=read_timeout)
    return HTTPXRequest(connection_pool_size=pool, read_timeout=read_timeout)


def make_bot(
    fake: FakeTelegram, token: str = TOKEN, read_timeout: float = 2.0, kind: str = "httpx"
) -> Bot:
    """Return a telegram.Bot pointed at the fake, with short timeouts."""
    return Bot(
        token,
        base_url=fake.url + "/bot",
        base_file_url=fake.url + "/file/bot",
        request=transport(kind, read_timeout, pool=8),
        get_updates_request=transport(kind, read_timeout),
    )


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """Return a valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        """Return one PNG chunk with its CRC."""
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def keyboard(*data: str) -> InlineKeyboardMarkup:
    """Return a one-row inline keyboard with one button per callback_data."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(d[:10], callback_data=d) for d in data]])


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """Run a fake Bot API server for one test."""
    async with FakeTelegram(token=TOKEN, bot_username="kl09_bot") as server:
        yield server


@pytest.fixture(params=["httpx", "aiohttp"])
def kind(request: pytest.FixtureRequest) -> str:
    """Each protocol test runs with PTB's httpx transport and the bot's aiohttp one."""
    return str(request.param)


@pytest.fixture
async def bot(fake: FakeTelegram, kind: str) -> AsyncIterator[Bot]:
    """Return an initialised telegram.Bot talking to the fake."""
    client = make_bot(fake, kind=kind)
    await client.initialize()
    yield client
    await client.shutdown()


@pytest.fixture
def receiver() -> list[tuple[str | None, Any]]:
    """Collect (secret header, JSON body) of webhook POSTs."""
    return []


@pytest.fixture
async def webhook_url(receiver: list[tuple[str | None, Any]]) -> AsyncIterator[str]:
    """Run a tiny webhook receiver that accepts only the secret "s3cret"."""

    async def receive(request: web.Request) -> web.Response:
        """Record the update; 403 without the right secret."""
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        receiver.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


# --- basic methods ---------------------------------------------------------------


async def test_get_me_returns_the_bot_user(bot: Bot, fake: FakeTelegram) -> None:
    """getMe (called by initialize) gives the bot's id and username."""
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "kl09_bot")
    assert bot.username == "kl09_bot"
    assert fake.calls[0]["method"] == "getMe"


async def test_send_message_with_keyboard(bot: Bot, fake: FakeTelegram) -> None:
    """sendMessage returns a Message and records text, parse mode and the parsed keyboard."""
    message = await bot.send_message(
        CHAT,
        "<b>Mục II.3</b> trước 31/3",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("t:3.3"),
    )
    assert message.chat.id == CHAT and message.from_user and message.from_user.is_bot
    assert message.text == "Mục II.3 trước 31/3"
    assert message.reply_markup and message.reply_markup.inline_keyboard[0][0].callback_data
    [record] = fake.sent_to(CHAT)
    assert record["method"] == "sendMessage" and record["parse_mode"] == "HTML"
    assert record["text"] == "<b>Mục II.3</b> trước 31/3"
    assert record["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "t:3.3"
    assert record["message_id"] == message.message_id and record["file"] is None


async def test_reply_to_message_is_echoed(bot: Bot, fake: FakeTelegram) -> None:
    """reply_to_message_id (sent by PTB as reply_parameters) comes back in the Message."""
    incoming = fake.message(CHAT, "câu hỏi")["message"]
    message = await bot.send_message(CHAT, "trả lời", reply_to_message_id=incoming["message_id"])
    assert message.reply_to_message and message.reply_to_message.text == "câu hỏi"
    assert fake.sent[-1]["reply_to_message_id"] == incoming["message_id"]


async def test_edit_message_text(bot: Bot, fake: FakeTelegram) -> None:
    """editMessageText returns the edited Message; an identical edit is 400."""
    sent = await bot.send_message(CHAT, "bước 1", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("bước 2", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "bước 2"
    assert edited.message_id == sent.message_id and edited.reply_markup is None
    assert [r["method"] for r in fake.sent] == ["sendMessage", "editMessageText"]
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("bước 2", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=99_999)


async def test_send_document_uploads_bytes(bot: Bot, fake: FakeTelegram) -> None:
    """sendDocument (multipart) records name, mime type and bytes; getFile serves them back."""
    content = b"PK\x03\x04 fake workbook"
    message = await bot.send_document(
        CHAT, InputFile(content, filename="bao-cao.xlsx"), caption="Báo cáo quý I"
    )
    assert message.document and message.document.file_name == "bao-cao.xlsx"
    assert message.document.file_size == len(content) and message.caption == "Báo cáo quý I"
    record = fake.sent[-1]
    assert record["method"] == "sendDocument" and record["text"] == "Báo cáo quý I"
    assert record["file"]["name"] == "bao-cao.xlsx" and record["file"]["content"] == content
    assert record["file"]["mime"].endswith("spreadsheetml.sheet")
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content


async def test_send_photo_returns_sizes(bot: Bot, fake: FakeTelegram) -> None:
    """sendPhoto returns PhotoSize objects with the image's real dimensions."""
    message = await bot.send_photo(CHAT, InputFile(tiny_png(3, 2), filename="chart.png"))
    assert (message.photo[-1].width, message.photo[-1].height) == (3, 2)
    assert fake.sent[-1]["file"]["mime"] == "image/png"


async def test_answer_callback_query_once(bot: Bot, fake: FakeTelegram) -> None:
    """A callback query can be answered once; the second answer is "query is too old"."""
    sent = await bot.send_message(CHAT, "Chọn", reply_markup=keyboard("pick:1"))
    update = Update.de_json(fake.callback(CHAT, "pick:1", message_id=sent.message_id), bot)
    assert update and update.callback_query and update.callback_query.data == "pick:1"
    assert update.callback_query.message and update.callback_query.message.text == "Chọn"
    assert await bot.answer_callback_query(update.callback_query.id, text="Đã ghi")
    assert fake.answers[-1]["text"] == "Đã ghi"
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_commands_actions_and_webhook_info(bot: Bot, fake: FakeTelegram) -> None:
    """setMyCommands is recorded, sendChatAction works, getWebhookInfo says polling."""
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("hoi", "Hỏi đáp")])
    assert fake.commands == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "hoi", "description": "Hỏi đáp"},
    ]
    assert await bot.send_chat_action(CHAT, "typing")
    assert fake.actions[-1]["action"] == "typing"
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.delete_my_commands() and fake.commands == []


async def test_unknown_methods(bot: Bot, fake: FakeTelegram) -> None:
    """A real but unhandled method answers True and is logged; a made-up one is 404."""
    assert await bot.set_my_description("Trợ lý Kết luận 09")
    assert fake.unknown_methods == ["setMyDescription"]
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_wrong_token_is_invalid_token(fake: FakeTelegram, kind: str) -> None:
    """A wrong token gets 404 Not Found, which PTB raises as InvalidToken."""
    client = make_bot(fake, token="999:WRONG", kind=kind)
    with pytest.raises(InvalidToken):
        await client.initialize()


def test_updates_parse_with_ptb() -> None:
    """Injected updates are valid PTB objects; commands carry a bot_command entity."""
    fake = FakeTelegram()
    message = Update.de_json(fake.message(CHAT, "/start ABC123"), None)
    assert message and message.message and message.message.text == "/start ABC123"
    assert message.message.entities[0].type == "bot_command"
    assert message.message.from_user and message.message.from_user.id == CHAT
    group = Update.de_json(fake.message(-100, "chào", user_id=7), None)
    assert group and group.effective_chat and group.effective_chat.type == "group"
    left = Update.de_json(fake.my_chat_member(CHAT), None)
    assert left and left.my_chat_member and left.my_chat_member.new_chat_member.status == "kicked"
    assert [u["update_id"] for u in fake.pending_updates] == sorted(
        {u["update_id"] for u in fake.pending_updates}
    )


# --- long polling and webhooks ------------------------------------------------------


async def test_long_poll_returns_promptly(bot: Bot, fake: FakeTelegram) -> None:
    """An update queued while getUpdates waits is returned at once, not at the timeout."""
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    injected = fake.message(CHAT, "xin chào")
    updates = await asyncio.wait_for(poll, 1)
    assert time.monotonic() - started < 0.5
    assert [u.update_id for u in updates] == [injected["update_id"]]


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    """With nothing queued, getUpdates holds for `timeout` and returns []."""
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 1.5


async def test_offsets_confirm_updates(bot: Bot, fake: FakeTelegram) -> None:
    """offset confirms everything below it; unconfirmed updates come back; limit works."""
    first, second = fake.message(CHAT, "một"), fake.message(CHAT, "hai")
    assert len(await bot.get_updates()) == 2
    assert len(await bot.get_updates(limit=1)) == 1
    again = await bot.get_updates(offset=first["update_id"] + 1)
    assert [u.update_id for u in again] == [second["update_id"]]
    assert [u.update_id for u in await bot.get_updates()] == [second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()


async def test_webhook_delivery_with_secret(
    bot: Bot, fake: FakeTelegram, webhook_url: str, receiver: list[tuple[str | None, Any]]
) -> None:
    """After setWebhook, updates are POSTed with the secret header; deliver can omit it."""
    assert await bot.set_webhook(webhook_url, secret_token="s3cret")
    assert fake.webhook == {"url": webhook_url, "secret_token": "s3cret"}
    update = fake.message(CHAT, "qua webhook")
    await fake.wait_for(lambda f: len(f.deliveries) == 1, timeout=2)
    assert receiver[0] == ("s3cret", json.loads(json.dumps(update)))
    assert fake.deliveries[0]["status"] == 200
    assert await fake.deliver(update, secret=None) == 403
    assert await fake.deliver(update, secret="wrong") == 403
    assert receiver[-1][0] == "wrong"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert (await bot.get_webhook_info()).url == webhook_url
    assert await bot.delete_webhook() and fake.webhook is None


# --- errors -------------------------------------------------------------------------


async def test_injected_429_is_retry_after(
    bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 with parameters.retry_after raises RetryAfter carrying that delay."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "một")
    assert caught.value.retry_after == timedelta(seconds=7)
    assert fake.calls[-1]["status"] == 429 and fake.sent == []
    assert (await bot.send_message(CHAT, "hai")).text == "hai"


async def test_blocked_chat_is_forbidden(bot: Bot, fake: FakeTelegram) -> None:
    """block() makes sends answer 403, which PTB raises as Forbidden, until unblock()."""
    fake.block(CHAT)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(CHAT, "nhắc hạn")
    fake.unblock(CHAT)
    await bot.send_message(CHAT, "nhắc hạn")
    fake.fail("sendMessage", status=403)
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "nhắc hạn")


async def test_5xx_is_plain_network_error(bot: Bot, fake: FakeTelegram) -> None:
    """PTB raises a plain NetworkError (not TimedOut) for 5xx; an outage ends on time."""
    fake.fail("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(CHAT, "x")
    assert type(caught.value) is NetworkError
    fake.fail_all(status=503, seconds=0.3)
    with pytest.raises(NetworkError, match="Service Unavailable"):
        await bot.get_me()
    await asyncio.sleep(0.35)
    assert (await bot.get_me()).username == "kl09_bot"


async def test_slow_answer_is_timed_out(fake: FakeTelegram, kind: str) -> None:
    """An answer slower than PTB's read timeout raises TimedOut."""
    client = make_bot(fake, read_timeout=0.2, kind=kind)
    await client.initialize()
    fake.delay("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await client.send_message(CHAT, "x")
    await client.shutdown()


async def test_unreachable_server_is_network_error(kind: str) -> None:
    """Nothing listening: both transports raise PTB's NetworkError, not their own errors."""
    from tests.botprocess import free_port

    client = Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{free_port()}/bot",
        request=transport(kind, 1.0),
        get_updates_request=transport(kind, 1.0),
    )
    with pytest.raises(NetworkError) as caught:
        await client.initialize()
    assert not isinstance(caught.value, TimedOut)
    await client.shutdown()


async def test_bad_requests(bot: Bot, fake: FakeTelegram) -> None:
    """Too long text, oversized callback_data and broken HTML are 400 BadRequest."""
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(CHAT, "x" * 4097)
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "chọn", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(CHAT, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(CHAT, "Hạn 31.3", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(CHAT, " ")
    await bot.send_message(CHAT + 1, r"Hạn 31\.3 \(Mục II\.3\) *đậm*", parse_mode="MarkdownV2")
    assert [r["plain"] for r in fake.sent][1:] == ["Hạn 31.3 (Mục II.3) đậm"]


async def test_json_and_get_requests(fake: FakeTelegram) -> None:
    """JSON bodies and GET query strings are accepted; unknown paths are 404 JSON."""
    async with aiohttp.ClientSession() as session:
        url = f"{fake.url}/bot{TOKEN}"
        body = {"chat_id": CHAT, "text": "json", "reply_markup": {"inline_keyboard": []}}
        async with session.post(f"{url}/sendMessage", json=body) as resp:
            assert resp.status == 200 and (await resp.json())["result"]["text"] == "json"
        async with session.get(f"{url}/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "kl09_bot"
        async with session.get(f"{fake.url}/nowhere") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


# --- flood limits -------------------------------------------------------------------


async def test_two_quick_sends_are_one_breach(bot: Bot, fake: FakeTelegram) -> None:
    """Two messages to one private chat within a second are recorded as one breach."""
    await bot.send_message(CHAT, "một")
    await bot.send_message(CHAT, "hai")
    assert len(fake.breaches) == 1 and str(CHAT) in fake.breaches[0]


async def test_spaced_sends_are_fine(bot: Bot, fake: FakeTelegram) -> None:
    """Messages one second apart (and to different chats) are within the limits."""
    await bot.send_message(CHAT, "một")
    await bot.send_message(CHAT + 1, "khác")
    await asyncio.sleep(1.0)
    await bot.send_message(CHAT, "hai")
    assert fake.breaches == []


async def test_overall_rate_breach(bot: Bot, fake: FakeTelegram) -> None:
    """31 messages to different chats within a second breach the overall limit."""
    for chat_id in range(1, 32):
        await bot.send_message(chat_id, "phát")
    assert len(fake.breaches) == 1 and "31 messages within 1 s" in fake.breaches[0]


async def test_enforce_answers_breach_with_429(monkeypatch: pytest.MonkeyPatch) -> None:
    """With enforce=True a breach is answered with a real 429 (retry_after=1)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(token=TOKEN, enforce=True) as strict:
        client = make_bot(strict)
        await client.initialize()
        await client.send_message(CHAT, "một")
        with pytest.raises(RetryAfter) as caught:
            await client.send_message(CHAT, "hai")
        assert caught.value.retry_after == timedelta(seconds=1)
        assert len(strict.sent) == 1 and len(strict.breaches) == 1
        await client.shutdown()


async def test_wait_for_dumps_on_timeout(bot: Bot, fake: FakeTelegram) -> None:
    """wait_for returns when the count is reached and explains what was sent otherwise."""
    await bot.send_message(CHAT, "đã gửi")
    await fake.wait_for(1, timeout=0.5)
    with pytest.raises(TimeoutError, match="đã gửi"):
        await fake.wait_for(lambda f: len(f.sent) > 1, timeout=0.1)


def test_the_aiohttp_transport_takes_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offices behind a proxy: HTTPS_PROXY is used for Telegram, NO_PROXY hosts go direct."""
    for name in ("https_proxy", "http_proxy", "HTTP_PROXY", "no_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.so-noi-vu.local:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest(pool_size=1)
    telegram = request._proxy_for(f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert telegram == "http://proxy.so-noi-vu.local:3128"
    assert request._proxy_for(f"http://127.0.0.1:8081/bot{TOKEN}/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert AiohttpRequest(pool_size=1)._proxy_for("https://api.telegram.org/x") is None
