"""Zalo Official Account (API v3): signed webhook events in, consultation messages out.

Every event's X-ZEvent-Signature (sha256 of app id + raw body + timestamp + OA secret
key) is checked in constant time before anything else; stale events (and those dated more
than MAX_SKEW ahead) are refused; an event delivered twice (same msg_id, or the same signed
body when it has none) is handled once, by whichever process took it in first (the
`first_time` ledger); the webhook answers at once and the work happens in the background.
Buttons are `oa.query.show`: their payload comes back as a text message starting with "#",
and is checked like any other input. A file an admin sends (`user_send_file`: a link in
`message.attachments[0].payload`) is downloaded in the chat's turn, at most MAX_UPLOAD
bytes, over https only (redirects too), into `Incoming.file`, as Telegram's documents are.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from yarl import URL

from bot.channels.base import (
    Channel,
    ChannelStats,
    Dispatch,
    FirstTime,
    NoStats,
    Reachability,
)
from bot.channels.lanes import Admit, ChatLanes, admit_all
from bot.channels.shapes import UNREADABLE_EVENTS, parse_json, zalo_oa_event_problem
from bot.web import WebServer
from handlers.flows.upload import MAX_UPLOAD
from handlers.payloads import PREFIXES as PAYLOAD_PREFIXES
from handlers.ports import Sessions
from handlers.types import Button, Incoming, IncomingFile, Reply
from scheduler.delivery import RateLimited, Undeliverable
from storage.queries.tokens import get_tokens, lock_tokens, save_tokens, seed_tokens
from storage.types import as_utc

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/oa/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
PAYLOAD_MARK = "#"  # a button's payload comes back as this mark + the payload
MAX_BUTTONS = 5  # Zalo shows at most 5 buttons under one message
TOKEN_INVALID, TOKEN_EXPIRED = -216, -220
RATE_LIMITED, NIGHT = -32, -234
OUT_OF_WINDOW = (-230, -232)
REFRESH_AHEAD = timedelta(minutes=10)
KEEP_FRESH_EVERY = 300.0  # seconds between looks at the token's expiry when idle
MAX_SKEW = timedelta(minutes=5)  # how far ahead of our clock an event's timestamp may be
FILE_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=20)
FILE_REDIRECTS = 3
FILE_CHUNK = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MayUpload = Callable[[str, str], Awaitable[bool]]
TIMESTAMP_FIELD = re.compile(rb'"timestamp"\s*:\s*(?:"([^"\\]{0,32})"|(-?\d{1,20}))')


class FileRefused(Exception):
    """A file link not followed (not https, too many redirects)."""


class FileTooLarge(FileRefused):
    """A file over MAX_UPLOAD bytes (said by its headers or counted as it arrived)."""


@dataclass(frozen=True)
class SentFile:
    """The file of a `user_send_file` event: where it is, its name, its declared size."""

    url: str
    name: str
    size: int


def sent_file(event: dict[str, Any]) -> SentFile | None:
    """Return the file a `user_send_file` event carries (its shape checked on arrival)."""
    if event.get("event_name") != "user_send_file":
        return None
    payload = event["message"]["attachments"][0]["payload"]
    name = str(payload.get("name") or "tep")[:255]
    kind = str(payload.get("type") or "")
    if "." not in name and kind.isalnum():
        name = f"{name}.{kind.lower()}"
    return SentFile(str(payload["url"]), name, int(payload.get("size") or 0))


class ZaloError(Exception):
    """An error answer from the OA API (HTTP 200 with a negative "error")."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OA error {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class ZaloOAConfig:
    """What the adapter needs from Settings."""

    app_id: str
    app_secret: str
    secret_key: str  # the OA secret key, used in webhook signatures
    refresh_token: str  # the first one; later ones live in the database
    api_base_url: str
    oauth_base_url: str
    max_event_age: timedelta = timedelta(minutes=10)
    http_files: bool = False  # file links over plain http too (a loopback fake's; never Zalo's)


class ZaloOAChannel(Channel):
    """The bot on a Zalo Official Account."""

    name = "zalo_oa"
    max_text = 2000
    supports_buttons = True

    def __init__(
        self,
        dispatch: Dispatch,
        config: ZaloOAConfig,
        *,
        web_server: WebServer,
        sessions: Sessions,
        reachability: Reachability,
        stats: ChannelStats | None = None,
        first_time: FirstTime | None = None,
        admit: Admit = admit_all,
        may_upload: MayUpload | None = None,
    ) -> None:
        super().__init__(dispatch)
        self.config = config
        self.may_upload = may_upload
        self.sessions = sessions
        self.first_time = first_time
        self.reachability = reachability
        self.stats = stats or NoStats()
        self.http: aiohttp.ClientSession | None = None
        self.refresh_lock = asyncio.Lock()
        self.keeper: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.lanes = ChatLanes(self.name, admit)
        web_server.add_post(WEBHOOK_PATH, self.receive)

    async def start(self) -> None:
        """Open the HTTP client; make sure a usable token pair is stored."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        await self.access_token()
        self.keeper = asyncio.create_task(self.keep_tokens_fresh(), name="zalo_oa tokens")
        log.info("zalo_oa: ready for webhook events on %s", WEBHOOK_PATH)

    async def stop(self) -> None:
        """Finish the events being handled, close the HTTP client."""
        if self.keeper is not None:
            self.keeper.cancel()
            await asyncio.gather(self.keeper, return_exceptions=True)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.lanes.join()
        if self.http is not None:
            await self.http.close()
        self.finished.set()

    # --- receiving -------------------------------------------------------------

    async def receive(self, request: web.Request) -> web.Response:
        """Check the signature, then the JSON and the age; answer 200, work (once) later."""
        body = await request.read()  # over 1 MB: 413
        stamp = self.signed_stamp(body, request.headers.get(SIGNATURE_HEADER, ""))
        if stamp is None:
            return web.Response(status=401)
        try:
            event = parse_json(body)
        except ValueError:
            return web.Response(status=400)
        problem = zalo_oa_event_problem(event)
        if problem is not None or str(event["timestamp"]) != stamp:
            log.info("zalo_oa: malformed webhook event refused (%s)", problem or "timestamp")
            return web.Response(status=400)
        if self.out_of_time(stamp):
            return web.Response(status=401)
        message = event.get("message")
        msg_id = str(message.get("msg_id") or "") if isinstance(message, dict) else ""
        key = msg_id or "sha256:" + hashlib.sha256(body).hexdigest()
        task = asyncio.create_task(self.handle_event(event, key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response()

    def signed_stamp(self, body: bytes, header: str) -> str | None:
        """Return the timestamp the body was signed with, or None if it is not signed.

        The timestamp is found in the raw bytes: nothing is parsed before the signature
        is checked. A few "timestamp" fields are tried (the event's, perhaps nested ones).
        """
        for match in itertools.islice(TIMESTAMP_FIELD.finditer(body), 4):
            quoted, bare = match.groups()
            stamp = (quoted if quoted is not None else bare).decode("utf-8", "replace")
            if self.signed(body, stamp, header):
                return stamp
        return None

    def signed(self, body: bytes, stamp: str, header: str) -> bool:
        """Tell whether the header is 'mac=' + sha256(app_id + body + timestamp + secret)."""
        cfg = self.config
        digest = hashlib.sha256(
            cfg.app_id.encode() + body + stamp.encode() + cfg.secret_key.encode()
        )
        expected = f"mac={digest.hexdigest()}"
        return secrets.compare_digest(header.strip().encode(), expected.encode())

    def out_of_time(self, stamp: str) -> bool:
        """Tell whether an event's timestamp (ms) is older than the allowed age, or too far
        ahead (a signed event replayed with a date in the future would stay "fresh")."""
        try:
            age = time.time() - int(stamp) / 1000
        except ValueError:
            return True
        return not -MAX_SKEW.total_seconds() <= age <= self.config.max_event_age.total_seconds()

    async def handle_event(self, event: dict[str, Any], key: str) -> None:
        """Turn one event into an Incoming (text or button) or a follow change, unless repeated."""
        name = event.get("event_name")
        try:
            if name in ("user_send_text", "user_send_file"):
                self.converse(event, key)
            elif name in UNREADABLE_EVENTS:
                self.converse(event, key, unreadable=True)
            elif name in ("follow", "unfollow") and not await self.repeated(key):
                user = str((event.get("follower") or event.get("sender") or {}).get("id", ""))
                if user:
                    await self.reachability(self.name, user, name == "unfollow")
        except Exception:
            log.exception("zalo_oa event %s failed", name)

    async def repeated(self, key: str) -> bool:
        """Tell whether the event was taken in before, by this process or another."""
        return self.first_time is not None and not await self.first_time(self.name, key)

    def converse(self, event: dict[str, Any], key: str, *, unreadable: bool = False) -> None:
        """Admit a user's text, pressed button or file now; answer it in turn within their chat.

        A repeated event is dropped in turn (not before admission), so waiting for the
        database never reorders a chat's messages; a file is downloaded in turn, once.
        """
        user = str((event.get("sender") or {}).get("id", ""))
        text = str((event.get("message") or {}).get("text", ""))
        if not user:
            return
        marked = text.startswith(PAYLOAD_MARK) and text[1:].startswith(PAYLOAD_PREFIXES)
        payload = text[len(PAYLOAD_MARK) :] if marked else None  # else a "#hashtag" is text
        sent = sent_file(event)
        incoming = Incoming(
            channel=self.name,
            chat_id=user,
            user_id=user,
            text="" if payload is not None else text,
            payload=payload,
            at=datetime.now(UTC),
            file=IncomingFile(sent.name, b"") if sent is not None else None,
            unreadable=unreadable,
        )

        async def handle() -> list[Reply]:
            if await self.repeated(key):
                return []
            if sent is None:
                return await self.dispatch(incoming)
            return await self.dispatch(replace(incoming, file=await self.fetch_file(user, sent)))

        async def answer(replies: list[Reply]) -> None:
            for reply in replies:
                try:
                    await self.send(user, reply)
                except (Undeliverable, RateLimited) as exc:
                    log.warning("zalo_oa reply to %s not sent: %s", user, exc)

        self.lanes.take(incoming, handle, answer)

    async def fetch_file(self, user: str, sent: SentFile) -> IncomingFile:
        """Download an admin's file (≤ MAX_UPLOAD); anyone else's is not fetched (the
        handlers answer them without reading it), nor one declared too large."""
        if self.may_upload is not None and not await self.may_upload(self.name, user):
            return IncomingFile(sent.name, b"")
        if sent.size > MAX_UPLOAD:
            return IncomingFile(sent.name, b"", too_large=True)
        try:
            content = await self.download(sent.url)
        except FileTooLarge:
            return IncomingFile(sent.name, b"", too_large=True)
        except FileRefused as exc:
            log.warning("zalo_oa: file from %s not taken: %s", user, exc)
            content = b""
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("zalo_oa: could not download a file from %s: %s", user, exc)
            content = b""
        return IncomingFile(sent.name, content)

    def file_link_allowed(self, url: URL) -> bool:
        """Tell whether a file link may be followed: https (http only for a loopback fake)."""
        schemes = ("https", "http") if self.config.http_files else ("https",)
        return url.scheme in schemes and bool(url.host)

    async def download(self, link: str) -> bytes:
        """Return the file at a link, following ≤ FILE_REDIRECTS redirects, each https;
        FileRefused past MAX_UPLOAD bytes (counted as they arrive)."""
        assert self.http is not None
        url = URL(link)
        for _ in range(FILE_REDIRECTS + 1):
            if not self.file_link_allowed(url):
                raise FileRefused(f"link not followed ({url.scheme}://{url.host})")
            async with self.http.get(url, allow_redirects=False, timeout=FILE_TIMEOUT) as got:
                if got.status in REDIRECTS:
                    url = url.join(URL(got.headers.get("Location", "")))
                    continue
                got.raise_for_status()
                if (got.content_length or 0) > MAX_UPLOAD:
                    raise FileTooLarge(MAX_UPLOAD)
                data = bytearray()
                async for chunk in got.content.iter_chunked(FILE_CHUNK):
                    data += chunk
                    if len(data) > MAX_UPLOAD:
                        raise FileTooLarge(MAX_UPLOAD)
                return bytes(data)
        raise FileRefused("too many redirects")

    # --- sending ---------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send a reply as consultation messages: text ≤ 2,000, at most 5 buttons each."""
        parts = self.texts_of(reply)
        buttons = reply.flat_buttons()
        groups = [buttons[i : i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self.post_message(chat_id, part, groups[0] if last and groups else [])
        for more in groups[1:]:
            await self.post_message(chat_id, "…", more)

    async def post_message(self, user: str, text: str, buttons: list[Button]) -> None:
        """POST one message; refresh the token once if Zalo says it is invalid or expired."""
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["attachment"] = {
                "type": "template",
                "payload": {"buttons": [_button(b) for b in buttons]},
            }
        body = {"recipient": {"user_id": user}, "message": message}
        try:
            await self.call_api(body)
        except ZaloError as exc:
            await self.fail(user, exc)

    async def call_api(self, body: dict[str, Any]) -> None:
        """Send with the current token; on -216/-220 refresh (once, shared) and retry."""
        token = await self.access_token()
        try:
            await self.post_cs(token, body)
        except ZaloError as exc:
            if exc.code not in (TOKEN_INVALID, TOKEN_EXPIRED):
                raise
            await self.refresh_after_failure(token)
            await self.post_cs(await self.access_token(), body)

    async def post_cs(self, token: str, body: dict[str, Any]) -> None:
        """POST /v3.0/oa/message/cs; raise ZaloError on an error answer."""
        assert self.http is not None
        url = f"{self.config.api_base_url.rstrip('/')}/v3.0/oa/message/cs"
        started = time.monotonic()
        async with self.http.post(url, json=body, headers={"access_token": token}) as response:
            answer = await response.json(content_type=None)
        code = int(answer.get("error", 0) or 0)
        if code != 0:
            raise ZaloError(code, str(answer.get("message", "")))
        self.stats.sent(time.monotonic() - started)

    async def fail(self, user: str, exc: ZaloError) -> None:
        """Turn a Zalo error into what the sender understands."""
        if exc.code in OUT_OF_WINDOW:
            await self.reachability(self.name, user, True)
            raise Undeliverable(str(exc)) from exc
        if exc.code == RATE_LIMITED:
            self.stats.rate_limited(60.0)
            raise RateLimited(60.0) from exc
        if exc.code == NIGHT:
            raise RateLimited(3600.0) from exc
        raise exc

    # --- tokens ----------------------------------------------------------------

    async def stored_tokens(self) -> tuple[str, datetime] | None:
        """Return the stored access token and its expiry."""
        async with self.sessions() as session:
            row = await get_tokens(session, channel=self.name)
        return (row.access_token, row.expires_at) if row else None

    async def keep_tokens_fresh(self) -> None:
        """Refresh on time even when nothing is sent, so the 3-month refresh token never lapses."""
        while True:
            await asyncio.sleep(KEEP_FRESH_EVERY)
            try:
                await self.access_token()
            except Exception as exc:  # tried again next round; sends will also retry
                log.warning("zalo_oa: could not refresh the access token: %s", exc)

    async def access_token(self) -> str:
        """Return a usable access token, refreshing it shortly before it expires."""
        stored = await self.stored_tokens()
        if stored is None or stored[1] - REFRESH_AHEAD <= datetime.now(UTC):
            await self.refresh_after_failure(stored[0] if stored else "")
            stored = await self.stored_tokens()
        assert stored is not None
        return stored[0]

    async def refresh_after_failure(self, failed_token: str) -> None:
        """Refresh once for everyone: if another task or process already did, use its token.

        The stored row stays locked (PostgreSQL) from the check to the new pair's commit,
        so two processes never spend the same single-use refresh token.
        """
        async with self.refresh_lock, self.sessions() as session:
            if self.config.refresh_token:  # the first token, until a pair is stored
                await seed_tokens(
                    session, channel=self.name, refresh_token=self.config.refresh_token
                )
            row = await lock_tokens(session, channel=self.name)
            if row is None:
                raise ZaloError(TOKEN_INVALID, "no refresh token: set ZALO_OA_REFRESH_TOKEN")
            usable = row.access_token and row.access_token != failed_token
            if usable and as_utc(row.expires_at) - REFRESH_AHEAD > datetime.now(UTC):
                return
            await self.refresh(session, row.refresh_token)

    async def refresh(self, session: AsyncSession, refresh_token: str) -> None:
        """Trade the single-use refresh token for a new pair; store the pair before use."""
        assert self.http is not None
        url = f"{self.config.oauth_base_url.rstrip('/')}/v4/oa/access_token"
        form = {
            "app_id": self.config.app_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        headers = {"secret_key": self.config.app_secret}
        async with self.http.post(url, data=form, headers=headers) as response:
            answer = await response.json(content_type=None)
        if "access_token" not in answer:
            raise ZaloError(int(answer.get("error", -1) or -1), str(answer.get("error_name", "")))
        expires = datetime.now(UTC) + timedelta(seconds=int(answer.get("expires_in", 90000)))
        await save_tokens(
            session,
            channel=self.name,
            access_token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            expires_at=expires,
        )
        log.info("zalo_oa: access token refreshed, valid until %s", expires.isoformat())


def _button(button: Button) -> dict[str, str]:
    """Return a button as an oa.query.show action whose payload comes back as text."""
    return {
        "title": button.label[:100],
        "type": "oa.query.show",
        "payload": PAYLOAD_MARK + button.payload,
    }
