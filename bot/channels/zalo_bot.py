"""The Zalo Bot platform (Telegram-like API, no buttons): long polling or a webhook.

It has no buttons, so choices are shown numbered, as on the console; the number typed
back is read by the handlers (from the chat's state in the database, so any process
can). An idle long poll ends with 408: just poll again. A message delivered twice
(same message_id) is handled once, by whichever process took it in first.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import (
    Channel,
    ChannelStats,
    Dispatch,
    FirstTime,
    NoStats,
    Reachability,
    format_choices,
)
from bot.channels.lanes import Admit, ChatLanes, admit_all
from bot.channels.shapes import parse_json, zalo_bot_update_problem
from bot.web import WebServer
from handlers.types import Incoming, Reply
from scheduler.delivery import RateLimited, Undeliverable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/bot/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT = 30  # seconds a getUpdates may wait
MAX_BACKOFF = 30.0


class ZaloBotError(Exception):
    """An error answer of the Zalo Bot API."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"Zalo Bot error {code}: {description}")
        self.code = code


@dataclass(frozen=True)
class ZaloBotConfig:
    """What the adapter needs from Settings."""

    token: str
    api_base_url: str
    webhook_url: str = ""
    webhook_secret: str = ""


class ZaloBotChannel(Channel):
    """The bot on the Zalo Bot platform."""

    name = "zalo_bot"
    max_text = 2000
    supports_buttons = False

    def __init__(
        self,
        dispatch: Dispatch,
        config: ZaloBotConfig,
        *,
        web_server: WebServer | None,
        reachability: Reachability,
        stats: ChannelStats | None = None,
        first_time: FirstTime | None = None,
        admit: Admit = admit_all,
    ) -> None:
        super().__init__(dispatch)
        self.config = config
        self.reachability = reachability
        self.first_time = first_time
        self.stats = stats or NoStats()
        self.http: aiohttp.ClientSession | None = None
        self.lanes = ChatLanes(self.name, admit)
        self.poller: asyncio.Task[None] | None = None
        if config.webhook_url:
            if web_server is None:
                raise ValueError("webhook mode needs the web server")
            web_server.add_post(WEBHOOK_PATH, self.receive_webhook)

    async def start(self) -> None:
        """Check the token, then register the webhook or start long polling."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POLL_TIMEOUT + 15))
        await self.call("getMe")
        if self.config.webhook_url:
            await self.call(
                "setWebhook", url=self.config.webhook_url, secret_token=self.config.webhook_secret
            )
            log.info("zalo_bot: webhook registered")
        else:
            await self.call("deleteWebhook")
            self.poller = asyncio.create_task(self.poll(), name="zalo_bot-poll")
            log.info("zalo_bot: long polling")

    async def stop(self) -> None:
        """Stop polling, finish what is in flight, close the client."""
        if self.poller is not None:
            self.poller.cancel()
            await asyncio.gather(self.poller, return_exceptions=True)
        await self.lanes.join()
        if self.http is not None:
            await self.http.close()
        self.finished.set()

    async def call(self, method: str, **params: Any) -> Any:
        """Call one Bot API method; return its result or raise ZaloBotError."""
        assert self.http is not None
        url = f"{self.config.api_base_url.rstrip('/')}/bot{self.config.token}/{method}"
        started = time.monotonic()
        async with self.http.post(url, json=params) as response:
            answer = await response.json(content_type=None)
        if not answer.get("ok"):
            code = int(answer.get("error_code") or response.status)
            raise ZaloBotError(code, str(answer.get("description", "")))
        if method == "sendMessage":
            self.stats.sent(time.monotonic() - started)
        else:
            self.stats.succeeded()
        return answer.get("result")

    async def poll(self) -> None:
        """Long-poll for updates for ever; back off on errors."""
        backoff = 1.0
        while True:
            try:
                result = await self.call("getUpdates", timeout=POLL_TIMEOUT)
            except ZaloBotError as exc:
                if exc.code == 408:  # nothing arrived: poll again
                    continue
                log.warning("zalo_bot getUpdates failed: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("zalo_bot getUpdates failed: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
                continue
            backoff = 1.0
            for update in result if isinstance(result, list) else [result]:
                problem = zalo_bot_update_problem(update)
                if problem is None:
                    self.spawn(update)
                else:
                    log.debug("zalo_bot: update skipped (%s)", problem)

    async def receive_webhook(self, request: web.Request) -> web.Response:
        """Queue one update; refuse a request without the secret (constant-time check)."""
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), self.config.webhook_secret.encode()):
            return web.Response(status=403)
        try:  # a body over 1 MB raises 413 in read()
            update = parse_json(await request.read())
        except ValueError:
            return web.Response(status=400)
        if isinstance(update, dict) and isinstance(update.get("result"), dict):
            update = update["result"]  # the {"ok": true, "result": …} envelope, as getUpdates
        problem = zalo_bot_update_problem(update)
        if problem is not None:
            log.info("zalo_bot: malformed webhook update refused (%s)", problem)
            return web.Response(status=400)
        self.spawn(update)
        return web.Response()

    def spawn(self, update: dict[str, Any]) -> None:
        """Admit one message now and queue it in its chat's lane (bot/channels/lanes.py)."""
        message = update.get("message") or {}
        text = message.get("text")
        chat = str((message.get("chat") or {}).get("id", ""))
        user = str((message.get("from") or {}).get("id", "") or chat)
        is_group = (message.get("chat") or {}).get("chat_type") == "GROUP"
        if not chat or (not isinstance(text, str) and is_group):
            return
        incoming = Incoming(
            channel=self.name,
            chat_id=chat,
            user_id=user,
            text=text if isinstance(text, str) else "",
            at=datetime.now(UTC),
            display_name=str((message.get("from") or {}).get("name", "")),
            is_group=is_group,
            unreadable=not isinstance(text, str),  # a photo or sticker: said, not dropped
        )

        message_id = str(message.get("message_id") or "")

        async def handle() -> list[Reply]:
            if message_id and self.first_time and not await self.first_time(self.name, message_id):
                return []  # a repeat, taken in before by this process or another
            return await self.dispatch(incoming)

        async def answer(replies: list[Reply]) -> None:
            for reply in replies:
                await self.deliver(chat, reply)

        self.lanes.take(incoming, handle, answer)

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send a direct reply; an unreachable user is noted, not retried."""
        try:
            await self.send(chat_id, reply)
        except (Undeliverable, RateLimited) as exc:
            log.warning("zalo_bot reply to %s not sent: %s", chat_id, exc)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send text (≤ 2,000 a message) with the choices numbered at the end."""
        parts = self.texts_of(reply)
        if reply.buttons:
            parts = [*parts[:-1], f"{parts[-1]}\n{format_choices(reply)}".strip()]
            parts = [p for chunk in parts for p in self.texts_of(Reply(chunk))]
        for part in parts:
            try:
                await self.call("sendMessage", chat_id=chat_id, text=part)
            except ZaloBotError as exc:
                if exc.code == 429:
                    self.stats.rate_limited(30.0)
                    raise RateLimited(30.0) from exc
                if exc.code == 403:
                    await self.reachability(self.name, chat_id, True)
                    raise Undeliverable(str(exc)) from exc
                raise
