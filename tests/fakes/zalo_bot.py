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
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

log = logging.getLogger(__name__)

Json = dict[str, Any]
Handler = Callable[[Json, dict[str, Json]], Coroutine[Any, Any, Any]]

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
    params: Json = dict(request.query)
    files: dict[str, Json] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise BotApiError(400, "Bad Request: body is not valid JSON") from None
        params.update(body if isinstance(body, dict) else {})
        return params, files
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            content = value.file.read()
            files[key] = {"name": value.filename, "mime": value.content_type, "content": content}
        elif isinstance(value, bytes | bytearray):
            params[key] = bytes(value).decode("utf-8", "replace")
        else:
            params[key] = value
    return params, files


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


class FakeZaloBot:
    """An in-process Zalo Bot API server on 127.0.0.1 that records what the bot does."""

    def __init__(
        self,
        token: str = "zb-123:TOKEN",
        *,
        account_name: str = "bot.kl09",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_info: Json = {
            "id": token.split(":", 1)[0],
            "account_name": account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.sent: list[Json] = []
        self.calls: list[Json] = []
        self.actions: list[Json] = []
        self.deliveries: list[Json] = []
        self.unknown_methods: list[str] = []
        self.webhook: Json | None = None
        self.started_at = time.monotonic()
        self._queue: list[Json] = []
        self._faults: dict[str, list[list[Any]]] = {}  # method -> [[code, description, times]]
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._delivery_lock = asyncio.Lock()
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
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

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port (or `port`) and start serving."""
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_other)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self.started_at = time.monotonic()
        log.info("fake Zalo Bot listening on %s", self.url)

    async def stop(self) -> None:
        """Release pending long polls, cancel webhook deliveries and close the server."""
        self._closing = True
        self._wake()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeZaloBot:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def url(self) -> str:
        """Return the server's root, e.g. "http://127.0.0.1:PORT" (the API is under /bot)."""
        if self._runner is None:
            raise RuntimeError("FakeZaloBot is not started")
        return f"http://{self.host}:{self.port}"

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
        async with self._session.post(self.webhook["url"], data=body, headers=headers) as resp:
            await resp.read()
            status = resp.status
        message_id = (update.get("message") or {}).get("message_id")
        self.deliveries.append({"message_id": message_id, "status": status})
        return status

    # --- reading what happened ---

    def sent_to(self, chat_id: str) -> list[Json]:
        """Return the message-producing calls to one chat, oldest first."""
        return [record for record in self.sent if record["chat_id"] == str(chat_id)]

    def calls_to(self, method: str) -> list[Json]:
        """Return the API calls of one method, oldest first."""
        return [call for call in self.calls if call["method"].lower() == method.lower()]

    @property
    def pending_updates(self) -> list[Json]:
        """Return the updates no getUpdates call has taken yet."""
        return list(self._queue)

    async def wait_for(
        self,
        predicate_or_count: Callable[[FakeZaloBot], Any] | int,
        timeout: float = 10.0,  # noqa: ASYNC109 - the tests' API
    ) -> Any:
        """Wait until predicate(fake) is truthy (or `count` messages were sent); return it."""
        if isinstance(predicate_or_count, int):
            count = predicate_or_count
            predicate: Callable[[FakeZaloBot], Any] = lambda fake: len(fake.sent) >= count  # noqa: E731
        else:
            predicate = predicate_or_count
        deadline = time.monotonic() + timeout
        while not (result := predicate(self)):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s\n{self.dump()}")
            await asyncio.sleep(0.02)
        return result

    def dump(self) -> str:
        """Describe what was sent, unknown methods and failed calls, for failure messages."""
        lines = [f"sent ({len(self.sent)}):"]
        for record in self.sent:
            text = (record["text"] or "")[:300].replace("\n", "\\n")
            photo = f" photo={record['photo']}" if record["photo"] else ""
            lines.append(
                f"  +{record['at'] - self.started_at:7.3f}s {record['method']} "
                f"chat={record['chat_id']} {text!r}{photo}"
            )
        if self.unknown_methods:
            lines.append(f"unknown methods: {sorted(set(self.unknown_methods))}")
        errors = [f"{c['method']}={c['status']}" for c in self.calls if c["status"] not in (200,)]
        errors = [e for e in errors if not e.startswith("getUpdates=408")]
        if errors:
            lines.append(f"failed calls: {errors[-20:]}")
        return "\n".join(lines)

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
        self._faults.setdefault(method.lower(), []).append([error_code, text, times])

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
        for queue_key in (key, "*"):
            faults = self._faults.get(queue_key)
            if faults:
                fault = faults[0]
                fault[2] -= 1
                if fault[2] <= 0:
                    faults.pop(0)
                raise BotApiError(fault[0], fault[1])
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

    def _wake(self) -> None:
        """Wake every waiting long poll."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a background task, keeping a reference until it is done."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_in_order(self, update: Json) -> None:
        """Deliver one update to the webhook after the ones before it (no retries)."""
        async with self._delivery_lock:
            try:
                await self.deliver(update)
            except (ClientError, TimeoutError, RuntimeError) as exc:
                log.warning("fake Zalo Bot: webhook delivery failed: %r", exc)
                message_id = (update.get("message") or {}).get("message_id")
                self.deliveries.append({"message_id": message_id, "status": 0})

    def _hex_id(self) -> str:
        """Return a fresh 20-digit hex id."""
        return hashlib.sha256(f"{self.token}/{next(self._ids)}".encode()).hexdigest()[:20]


def now_ms() -> int:
    """Return the current Unix time in milliseconds."""
    return int(time.time() * 1000)
