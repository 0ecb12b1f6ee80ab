"""A loopback fake of the Zalo Bot platform API (bot-api.zaloplatforms.com), Telegram-like.

Calls are ``GET`` or ``POST /bot<TOKEN>/<method>`` with parameters in the query string, a
JSON body, a form or a multipart body. Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": ...}`` with HTTP status = error_code.

Protocol choices (from the public docs and clients; where they are silent, the fake decides):

* getUpdates has no offset: each call hands out (and forgets) the single oldest pending
  update, so ``result`` is ONE update object ``{"event_name": "message.text.received",
  "message": {...}}``, not a list (as in the docs' sample and the clients that read
  ``result.event_name``). With nothing pending it waits up to ``timeout`` seconds (default
  30) and then answers HTTP 408 ``{"ok": false, "error_code": 408, "description": "Request
  timeout"}``: the bot should simply poll again. Concurrent polls each get a different
  update. While a webhook is set getUpdates answers 409.
* Message ids are 20-digit hex strings, dates are Unix milliseconds, chat and user ids are
  strings. sendMessage and sendPhoto answer ``{"message_id", "date"}``; sendChatAction
  answers ``{"ok": true}`` with no result, like the docs' sample.
* A wrong token answers 401 "Unauthorized"; an unknown method 404 "Not Found".
* Webhook updates are POSTed as the bare update object (``wrapped=True`` posts
  ``{"ok": true, "result": update}`` instead, a shape some clients unwrap) with
  ``X-Bot-Api-Secret-Token``. Updates queued before setWebhook are delivered once it is set.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import base
from .base import FaultQueue, Handler, Json, UpdateServer, one_line

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT = 2000
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
_REGISTERED: Any = object()  # `deliver(secret=...)` default: the secret given to setWebhook
_NO_RESULT: Any = object()  # a handler's answer without a "result" field


class BotApiError(Exception):
    """An error answer of the Zalo Bot API: HTTP status = error_code."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def body(self) -> Json:
        """Return the JSON body of this error."""
        return {"ok": False, "error_code": self.code, "description": self.description}


async def read_params(request: web.Request) -> tuple[Json, dict[str, Json]]:
    """Read parameters from a query string, a JSON body, a form or a multipart body."""
    return await base.read_params(
        request, lambda: BotApiError(400, "Bad Request: body is not valid JSON")
    )


@dataclass
class Fault:
    """An injected failure for the next `times` calls of one method ("*" = any)."""

    code: int
    description: str
    times: int


def required(params: Json, key: str) -> str:
    """Return a required string parameter; 400 when it is missing or empty."""
    value = params.get(key)
    if value is None or str(value) == "":
        raise BotApiError(400, f"Bad Request: {key} is required")
    return str(value)


def check_text(text: str, key: str = "text") -> str:
    """Validate a text of 1-2000 characters."""
    if not text.strip() or len(text) > MAX_TEXT:
        raise BotApiError(400, f"Bad Request: {key} must be 1-{MAX_TEXT} characters")
    return text


class FakeZaloBot(UpdateServer):
    """An in-process Zalo Bot API server on 127.0.0.1 that records what the bot does."""

    label = "fake Zalo Bot"
    client_max_size = 20 * 1024 * 1024

    def __init__(
        self,
        token: str = "zb-123:TOKEN",
        *,
        account_name: str = "bot.kl09",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.token = token
        self.bot_info: Json = {
            "id": token.split(":", 1)[0],
            "account_name": account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.actions: list[Json] = []
        self._faults: FaultQueue[Fault] = FaultQueue()
        self._ids = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendsticker": self._send_sticker,
            "sendchataction": self._send_chat_action,
        }

    # --- lifecycle ---

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Route /bot<TOKEN>/<method> (the API is under /bot) and 404 for the rest."""
        router.add_route("*", "/bot{token}/{method}", self._handle_api)
        router.add_route("*", "/{tail:.*}", self._handle_other)

    # --- injecting updates ---

    def message(
        self,
        chat_id: str,
        text: str,
        *,
        user_id: str | None = None,
        name: str = "Cán bộ",
        chat_type: str = "PRIVATE",
    ) -> Json:
        """Build a message.text.received update, queue (or webhook) it and return it."""
        sender = str(user_id) if user_id is not None else str(chat_id)
        update = {
            "event_name": "message.text.received",
            "message": {
                "message_id": self._hex_id(),
                "from": {"id": sender, "name": name, "display_name": name, "is_bot": False},
                "chat": {"id": str(chat_id), "chat_type": chat_type},
                "date": int(time.time() * 1000),
                "text": text,
            },
        }
        return self._push(update)

    def image(self, chat_id: str) -> Json:
        """Build a message.image.received update (a photo, no text), queue (or webhook) it."""
        update = {
            "event_name": "message.image.received",
            "message": {
                "message_id": self._hex_id(),
                "from": {"id": str(chat_id), "name": "Cán bộ", "is_bot": False},
                "chat": {"id": str(chat_id), "chat_type": "PRIVATE"},
                "date": int(time.time() * 1000),
                "photo_url": f"https://photo.zalo.invalid/{chat_id}.jpg",
            },
        }
        return self._push(update)

    async def deliver(
        self, update: Json, *, secret: str | None = _REGISTERED, wrapped: bool = False
    ) -> int:
        """POST an update to the registered webhook; return the HTTP status it answered."""
        if self.webhook is None or self._session is None:
            raise RuntimeError("no webhook is set (or the fake is not started)")
        token = self.webhook["secret_token"] if secret is _REGISTERED else secret
        headers = {"Content-Type": "application/json"}
        if token:
            headers[SECRET_HEADER] = token
        payload = {"ok": True, "result": update} if wrapped else update
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        status = await self._post(self.webhook["url"], body, headers)
        message_id = (update.get("message") or {}).get("message_id")
        self.deliveries.append({"message_id": message_id, "status": status})
        return status

    def _failed_delivery(self, update: Json) -> Json:
        """Return the `deliveries` record of an update that could not be POSTed."""
        message_id = (update.get("message") or {}).get("message_id")
        return {"message_id": message_id, "status": 0}

    # --- reading what happened ---

    def sent_to(self, chat_id: str) -> list[Json]:
        """Return the message-producing calls to one chat, oldest first."""
        return self._sent_to(chat_id)

    def _describe_sent(self, record: Json) -> str:
        """Describe one message-producing call for `dump`."""
        photo = f" photo={record['photo']}" if record["photo"] else ""
        text = one_line(record["text"])
        return f"{record['method']} chat={record['chat_id']} {text!r}{photo}"

    def _dump_tail(self) -> list[str]:
        """Unknown methods and failed calls, for `dump`."""
        lines = []
        if self.unknown_methods:
            lines.append(f"unknown methods: {sorted(set(self.unknown_methods))}")
        errors = [f"{c['method']}={c['status']}" for c in self.calls if c["status"] not in (200,)]
        errors = [e for e in errors if not e.startswith("getUpdates=408")]
        if errors:
            lines.append(f"failed calls: {errors[-20:]}")
        return lines

    # --- injecting failures ---

    def fail(
        self,
        method: str,
        *,
        error_code: int = 429,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail with `error_code`."""
        text = description or ("Too Many Requests" if error_code == 429 else f"Error {error_code}")
        self._faults.add(method.lower(), Fault(error_code, text, times))

    # --- HTTP ---

    async def _handle_api(self, request: web.Request) -> web.Response:
        """Answer one call: GET or POST /bot<TOKEN>/<method>."""
        method = request.match_info["method"]
        call: Json = {"method": method, "params": {}, "at": time.monotonic(), "status": None}
        self.calls.append(call)
        try:
            params, files = await read_params(request)
            call["params"] = params
            if request.match_info["token"] != self.token:
                raise BotApiError(401, "Unauthorized")
            result = await self._dispatch(method, params, files)
        except BotApiError as error:
            call["status"] = error.code
            if error.code != 408:
                log.info("fake Zalo Bot: %s -> %s %s", method, error.code, error.description)
            return web.json_response(error.body(), status=error.code)
        call["status"] = 200
        if result is _NO_RESULT:
            return web.json_response({"ok": True})
        return web.json_response({"ok": True, "result": result})

    async def _handle_other(self, request: web.Request) -> web.Response:
        """Answer any other path: 404 Not Found."""
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return web.json_response(body, status=404)

    async def _dispatch(self, method: str, params: Json, files: dict[str, Json]) -> Any:
        """Apply injected faults, then run the method's handler."""
        key = method.lower()
        handler = self._handlers.get(key)
        if handler is None:
            self.unknown_methods.append(method)
            raise BotApiError(404, "Not Found")
        fault = self._faults.take(key, "*")
        if fault is not None:
            raise BotApiError(fault.code, fault.description)
        return await handler(params, files)

    # --- methods ---

    async def _get_me(self, params: Json, files: dict[str, Json]) -> Json:
        """getMe: the bot's account."""
        return dict(self.bot_info)

    async def _get_updates(self, params: Json, files: dict[str, Json]) -> Json:
        """getUpdates: the oldest pending update, waiting up to `timeout` s, else 408."""
        if self.webhook is not None:
            raise BotApiError(409, "Conflict: getUpdates is not available while a webhook is set")
        try:
            timeout = float(params.get("timeout") or 30)
        except (TypeError, ValueError):
            raise BotApiError(400, "Bad Request: timeout must be a number") from None
        deadline = time.monotonic() + max(timeout, 0.0)
        while not self._queue:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                raise BotApiError(408, "Request timeout")
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass
        return self._queue.pop(0)

    async def _set_webhook(self, params: Json, files: dict[str, Json]) -> Json:
        """setWebhook: url and a secret_token of 8-256 characters."""
        url = required(params, "url")
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise BotApiError(400, "Bad Request: url must be HTTPS")
        secret = required(params, "secret_token")
        if not 8 <= len(secret) <= 256:
            raise BotApiError(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": now_ms()}
        pending, self._queue = self._queue, []
        for update in pending:
            self._spawn(self._deliver_in_order(update))
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    async def _delete_webhook(self, params: Json, files: dict[str, Json]) -> Json:
        """deleteWebhook: back to getUpdates."""
        self.webhook = None
        return {"url": "", "updated_at": now_ms()}

    async def _get_webhook_info(self, params: Json, files: dict[str, Json]) -> Json:
        """getWebhookInfo: the registered url ("" when none)."""
        if self.webhook is None:
            return {"url": "", "updated_at": 0}
        return {"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]}

    async def _send_message(self, params: Json, files: dict[str, Json]) -> Json:
        """sendMessage: chat_id and a text of 1-2000 characters."""
        chat_id = required(params, "chat_id")
        text = check_text(required(params, "text"))
        return self._record("sendMessage", chat_id, text=text)

    async def _send_photo(self, params: Json, files: dict[str, Json]) -> Json:
        """sendPhoto: chat_id, photo (a URL or an upload) and an optional caption."""
        chat_id = required(params, "chat_id")
        upload = files.get("photo")
        photo = upload["name"] if upload else params.get("photo")
        if not photo:
            raise BotApiError(400, "Bad Request: photo is required")
        caption = params.get("caption")
        if caption:
            check_text(str(caption), "caption")
        return self._record("sendPhoto", chat_id, text=caption, photo=str(photo), file=upload)

    async def _send_sticker(self, params: Json, files: dict[str, Json]) -> Json:
        """sendSticker: chat_id and a sticker id."""
        chat_id = required(params, "chat_id")
        return self._record("sendSticker", chat_id, photo=required(params, "sticker"))

    async def _send_chat_action(self, params: Json, files: dict[str, Json]) -> Any:
        """sendChatAction: typing (upload_photo is announced as "coming soon")."""
        chat_id = required(params, "chat_id")
        action = required(params, "action")
        if action not in CHAT_ACTIONS:
            raise BotApiError(400, f"Bad Request: unsupported action {action!r}")
        self.actions.append({"chat_id": chat_id, "action": action, "at": time.monotonic()})
        return _NO_RESULT

    # --- bookkeeping ---

    def _record(
        self,
        method: str,
        chat_id: str,
        *,
        text: str | None = None,
        photo: str | None = None,
        file: Json | None = None,
    ) -> Json:
        """Append a message-producing call to `sent`; return the API result."""
        result = {"message_id": self._hex_id(), "date": now_ms()}
        self.sent.append(
            {
                "method": method,
                "chat_id": chat_id,
                "text": text,
                "photo": photo,
                "file": file,
                "message_id": result["message_id"],
                "at": time.monotonic(),
            }
        )
        return result

    def _push(self, update: Json) -> Json:
        """Queue an update for getUpdates, or deliver it when a webhook is set."""
        if self.webhook is not None:
            self._spawn(self._deliver_in_order(update))
        else:
            self._queue.append(update)
            self._wake()
        return update

    def _hex_id(self) -> str:
        """Return a fresh 20-digit hex id."""
        return hashlib.sha256(f"{self.token}/{next(self._ids)}".encode()).hexdigest()[:20]


def now_ms() -> int:
    """Return the current Unix time in milliseconds."""
    return int(time.time() * 1000)
