"""A loopback fake of the Zalo Official Account API v3 and its OAuth v4 token endpoint.

One aiohttp server on 127.0.0.1 answers both hosts, so the bot gets `fake.url` as
ZALO_OA_API_BASE_URL (openapi.zalo.me) and as ZALO_OAUTH_BASE_URL (oauth.zaloapp.com).

Protocol choices (Zalo's public docs are thin; these are what the fake commits to):

* ``POST /v3.0/oa/message/cs`` always answers HTTP 200. Success is ``{"error": 0,
  "message": "Success", "data": {"message_id", "user_id"}}``; a failure is
  ``{"error": <negative>, "message": ...}`` (see ERRORS). Order of checks: token (-216/-220),
  injected faults (`fail`), body shape (-201), 7-day window (-230), then the limits
  (text > 2,000 chars, > 5 buttons, button title > 100 or payload > 1,000 chars): always
  recorded in `breaches`, answered with -201 only when ``enforce=True``.
* ``POST /v4/oa/access_token`` (header ``secret_key``, form ``app_id``, ``grant_type``,
  ``refresh_token``) answers HTTP 200 in every case, like Zalo. Success:
  ``{"access_token": "at-N", "refresh_token": "rt-N", "expires_in": "90000"}``. Errors:
  ``{"error": <code>, "error_name": ..., "error_description": ...}`` with -14014 for a
  used/unknown refresh token, -14002 for a wrong app_id, -14004 for a wrong secret_key and
  -14003 for a missing field or another grant_type. A refresh is single use: the old refresh
  token dies at once, the old access token after `grace` seconds (default 0: -216 at once).
  Each refresh is held `refresh_delay` seconds so that overlapping refreshes really overlap
  and `max_concurrent_refreshes` can catch a bot that refreshes twice.
* Files users send (`user_send_file`, `file_event`) are served at ``GET /files/<n>/<name>``
  (`host_file`); ``GET /redirect/<n>`` answers 302 to a location set with `redirect`. Every
  GET is recorded in `file_gets`.
* Webhook events are POSTed with ``X-ZEvent-Signature: mac=<hex>``, hex = sha256 of
  app_id + raw body + timestamp + the OA secret key (`sign`).
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

from .base import FaultQueue, Json, LoopbackServer, one_line

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
BUTTON_TYPES = frozenset(
    {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.sms", "oa.open.phone"}
)
ERRORS = {
    -32: "Request rate limit exceeded",
    -201: "Parameters are invalid",
    -216: "Access token is invalid",
    -220: "Access token has expired",
    -230: "User has not interacted with the OA in the last 7 days",
    -232: "User has not interacted with the OA recently (no message quota left)",
    -234: "Cannot send messages at night",
}
_COMPUTED: Any = object()  # `deliver(signature=...)` default: the correct mac


class OAError(Exception):
    """An error answer of the OA API: HTTP 200 with a negative `error`."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or ERRORS.get(code, f"Error {code}"))
        self.code = code
        self.message = message or ERRORS.get(code, f"Error {code}")

    def body(self) -> Json:
        """Return the JSON body Zalo sends for this error."""
        return {"error": self.code, "message": self.message}


class OAuthError(Exception):
    """An error answer of the OAuth v4 token endpoint."""

    def __init__(self, code: int, name: str, description: str) -> None:
        super().__init__(f"{code} {name}: {description}")
        self.code = code
        self.name = name
        self.description = description

    def body(self) -> Json:
        """Return the JSON body the token endpoint sends for this error."""
        return {"error": self.code, "error_name": self.name, "error_description": self.description}


@dataclass
class Fault:
    """An injected failure for the next `times` sends."""

    code: int
    times: int


def signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Return the hex mac of a webhook event: sha256(app_id + body + timestamp + secret)."""
    data = app_id.encode() + body + str(timestamp).encode() + secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def encode_event(event: Json) -> bytes:
    """Return the exact bytes the fake POSTs for an event."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FakeZaloOA(LoopbackServer):
    """An in-process Zalo OA API + OAuth server on 127.0.0.1 that records what the bot does."""

    label = "fake Zalo OA"
    recipient = "user_id"

    def __init__(
        self,
        app_id: str = "1234567890",
        secret_key: str = "oa-secret-key",
        app_secret: str = "app-secret",
        refresh_token: str = "rt-0",
        access_token: str | None = None,
        *,
        oa_id: str = "579745863508352884",
        grace: float = 0.0,
        refresh_delay: float = 0.05,
        enforce: bool = False,
        token_prefix: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.app_id = app_id
        self.secret_key = secret_key
        self.app_secret = app_secret
        self.oa_id = oa_id
        self.grace = grace
        self.refresh_delay = refresh_delay
        self.enforce = enforce
        self.token_prefix = token_prefix  # starts every issued token (to grep logs for)
        self.access_token = access_token or "at-0"
        self.refresh_token = refresh_token
        self.refreshes: list[Json] = []
        self.breaches: list[str] = []
        self.unknown_paths: list[str] = []
        self.max_concurrent_refreshes = 0
        # access token -> "valid" | "expired" | "revoked" | deadline (float) after a refresh
        self._tokens: dict[str, str | float] = {self.access_token: "valid"}
        self._faults: FaultQueue[Fault] = FaultQueue()
        self._out_of_window: dict[str, int] = {}
        self._refreshing = 0
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.file_gets: list[str] = []
        self._serial = itertools.count(1)
        self._ids = itertools.count(1)

    # --- lifecycle ---

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Route the send and token endpoints, and 404 for the rest."""
        router.add_post("/v3.0/oa/message/cs", self._handle_send)
        router.add_post("/v4/oa/access_token", self._handle_token)
        router.add_get("/files/{key}/{name}", self._handle_file)
        router.add_get("/redirect/{key}", self._handle_redirect)
        router.add_route("*", "/{tail:.*}", self._handle_other)

    # --- tokens and failures ---

    def expire_access_token(self) -> None:
        """Make the current access token answer -220 (expired)."""
        self._tokens[self.access_token] = "expired"

    def revoke_access_token(self) -> None:
        """Make the current access token answer -216 (invalid)."""
        self._tokens[self.access_token] = "revoked"

    def fail(self, error: int = -32, times: int = 1) -> None:
        """Make the next `times` sends (with a valid token) fail with `error`."""
        self._faults.add("*", Fault(error, times))

    def out_of_window(self, user_id: str, *, error: int = -230) -> None:
        """Answer sends to `user_id` with `error` (-230 or -232) until `in_window`."""
        self._out_of_window[str(user_id)] = error

    def in_window(self, user_id: str) -> None:
        """Let sends to `user_id` through again."""
        self._out_of_window.pop(str(user_id), None)

    # --- webhook events ---

    def sign(self, body: bytes, timestamp: str) -> str:
        """Return the hex mac Zalo puts after "mac=" for these body bytes and timestamp."""
        return signature(self.app_id, body, timestamp, self.secret_key)

    def text_event(
        self,
        user_id: str,
        text: str,
        *,
        msg_id: str | None = None,
        timestamp_ms: int | None = None,
    ) -> Json:
        """Build a `user_send_text` event (what a user's message or a button click gives)."""
        return {
            **self._event_head("user_send_text", user_id, timestamp_ms),
            "sender": {"id": str(user_id)},
            "recipient": {"id": self.oa_id},
            "message": {"text": text, "msg_id": msg_id or self._hex_id()},
        }

    def sticker_event(self, user_id: str) -> Json:
        """Build a `user_send_sticker` event (something the bot can't read)."""
        return {
            **self._event_head("user_send_sticker", user_id, None),
            "sender": {"id": str(user_id)},
            "recipient": {"id": self.oa_id},
            "message": {"msg_id": self._hex_id(), "attachments": [{"type": "sticker"}]},
        }

    def button_event(self, user_id: str, payload: str) -> Json:
        """Build the event of a click on an `oa.query.show` button the bot sent to user_id."""
        offered = {p for record in self.sent_to(user_id) for _, p in record["buttons"]}
        if payload not in offered:
            raise AssertionError(f"no button with payload {payload!r} was sent to {user_id}")
        return self.text_event(user_id, payload)

    def host_file(self, name: str, data: bytes) -> str:
        """Serve `data` as a file a user sent; return its address."""
        key = str(len(self.files) + 1)
        self.files[key] = data
        return f"{self.url}/files/{key}/{name}"

    def redirect(self, location: str) -> str:
        """Return an address that answers 302 to `location`."""
        key = str(len(self.redirects) + 1)
        self.redirects[key] = location
        return f"{self.url}/redirect/{key}"

    def file_event(
        self,
        user_id: str,
        name: str,
        data: bytes = b"",
        *,
        url: str | None = None,
        size: int | None = None,
        kind: str | None = None,
        msg_id: str | None = None,
    ) -> Json:
        """Build a `user_send_file` event: the file hosted here (or at `url`), its size as
        a string as Zalo writes it (default: the data's length)."""
        link = url or self.host_file(name, data)
        payload = {
            "url": link,
            "name": name,
            "size": str(len(data) if size is None else size),
            "type": kind or name.rsplit(".", 1)[-1],
            "checksum": hashlib.md5(data).hexdigest(),
        }
        return {
            **self._event_head("user_send_file", user_id, None),
            "sender": {"id": str(user_id)},
            "recipient": {"id": self.oa_id},
            "message": {
                "msg_id": msg_id or self._hex_id(),
                "attachments": [{"type": "file", "payload": payload}],
            },
        }

    def follow_event(self, user_id: str, *, timestamp_ms: int | None = None) -> Json:
        """Build a `follow` event."""
        return self._follow("follow", user_id, timestamp_ms)

    def unfollow_event(self, user_id: str, *, timestamp_ms: int | None = None) -> Json:
        """Build an `unfollow` event."""
        return self._follow("unfollow", user_id, timestamp_ms)

    async def deliver(
        self,
        event: Json,
        *,
        url: str,
        signature: str | None = _COMPUTED,
        timestamp: str | None = None,
    ) -> int:
        """POST an event to `url`; return the HTTP status the bot answered.

        signature: default the correct "mac=<hex>"; None sends no header; any other string
        is sent as the header value. timestamp: the one signed (default: event["timestamp"]).
        """
        if self._session is None:
            raise RuntimeError("FakeZaloOA is not started")
        body = encode_event(event)
        headers = {"Content-Type": "application/json"}
        if signature is _COMPUTED:
            stamp = timestamp if timestamp is not None else str(event.get("timestamp", ""))
            headers[SIGNATURE_HEADER] = f"mac={self.sign(body, stamp)}"
        elif signature is not None:
            headers[SIGNATURE_HEADER] = signature
        status = await self._post(url, body, headers)
        self.deliveries.append({"event_name": event.get("event_name"), "status": status})
        return status

    # --- reading what happened ---

    def sent_to(self, user_id: str) -> list[Json]:
        """Return the messages sent to one user, oldest first."""
        return self._sent_to(user_id)

    def _describe_sent(self, record: Json) -> str:
        """Describe one send for `dump`."""
        buttons = f" buttons={[p for _, p in record['buttons']]}" if record["buttons"] else ""
        return f"user={record['user_id']} {one_line(record['text'])!r}{buttons}"

    def _dump_tail(self) -> list[str]:
        """Refreshes, failed calls, breaches and unknown paths, for `dump`."""
        most = self.max_concurrent_refreshes
        lines = [f"refreshes: {len(self.refreshes)} (at most {most} at once)"]
        errors = [f"{c['path']}={c['error']}" for c in self.calls if c["error"]]
        if errors:
            lines.append(f"failed calls: {errors[-20:]}")
        if self.breaches:
            lines.append(f"breaches: {self.breaches}")
        if self.unknown_paths:
            lines.append(f"unknown paths: {sorted(set(self.unknown_paths))}")
        return lines

    # --- HTTP: sending ---

    async def _handle_send(self, request: web.Request) -> web.Response:
        """Answer POST /v3.0/oa/message/cs (always HTTP 200)."""
        raw = await request.read()
        call: Json = {"path": request.path, "token": request.headers.get("access_token")}
        call.update({"body": raw.decode("utf-8", "replace"), "at": time.monotonic(), "error": 0})
        self.calls.append(call)
        try:
            data = self._send(call["token"], raw)
        except OAError as error:
            call["error"] = error.code
            log.info("fake Zalo OA: send -> %s %s", error.code, error.message)
            return web.json_response(error.body())
        return web.json_response({"error": 0, "message": "Success", "data": data})

    def _send(self, token: str | None, raw: bytes) -> Json:
        """Check a send and record it; return the answer's `data`."""
        self._check_token(token)
        self._raise_fault()
        user_id, text, buttons = parse_send(raw)
        if user_id in self._out_of_window:
            raise OAError(self._out_of_window[user_id])
        problems = limit_breaches(text, buttons)
        if problems:
            for problem in problems:
                log.warning("fake Zalo OA: limit breached: %s", problem)
            self.breaches.extend(problems)
            if self.enforce:
                raise OAError(-201)
        message_id = self._hex_id()
        self.sent.append(
            {
                "user_id": user_id,
                "text": text,
                "buttons": [(b.get("title"), b.get("payload")) for b in buttons],
                "message_id": message_id,
                "at": time.monotonic(),
            }
        )
        return {"message_id": message_id, "user_id": user_id}

    def _check_token(self, token: str | None) -> None:
        """Raise -216 for an unknown or revoked token, -220 for an expired one."""
        state = self._tokens.get(token or "")
        if state == "expired":
            raise OAError(-220)
        if isinstance(state, float) and time.monotonic() < state:
            return
        if state != "valid":
            raise OAError(-216)

    def _raise_fault(self) -> None:
        """Raise the next injected fault, if any."""
        fault = self._faults.take("*")
        if fault is not None:
            raise OAError(fault.code)

    # --- HTTP: OAuth ---

    async def _handle_token(self, request: web.Request) -> web.Response:
        """Answer POST /v4/oa/access_token with grant_type=refresh_token (always HTTP 200)."""
        form = dict(await request.post())
        record: Json = {
            "path": request.path,
            "at": time.monotonic(),
            "secret_key": request.headers.get("secret_key"),
            "form": {k: str(v) for k, v in form.items()},
            "error": 0,
        }
        self.refreshes.append(record)
        self.calls.append(record)
        self._refreshing += 1
        self.max_concurrent_refreshes = max(self.max_concurrent_refreshes, self._refreshing)
        try:
            await asyncio.sleep(self.refresh_delay)
            answer = self._refresh(record["secret_key"], record["form"])
        except OAuthError as error:
            record["error"] = error.code
            log.info("fake Zalo OAuth: refresh -> %s", error)
            return web.json_response(error.body())
        finally:
            self._refreshing -= 1
        return web.json_response(answer)

    def _refresh(self, secret_key: str | None, form: dict[str, str]) -> Json:
        """Check a refresh request, rotate both tokens and return the new pair."""
        if secret_key != self.app_secret:
            raise OAuthError(-14004, "Invalid secret key", "secret_key header is wrong")
        if form.get("app_id") != self.app_id:
            raise OAuthError(-14002, "Invalid app id", "app_id is wrong or missing")
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            raise OAuthError(-14003, "Invalid parameter", "grant_type=refresh_token needed")
        if form["refresh_token"] != self.refresh_token:
            raise OAuthError(
                -14014, "Invalid refresh token", "refresh token is used, expired or unknown"
            )
        old = self.access_token
        if self._tokens.get(old) == "valid":
            self._tokens[old] = time.monotonic() + self.grace if self.grace > 0 else "revoked"
        serial = next(self._serial)
        prefix = self.token_prefix
        self.access_token, self.refresh_token = f"{prefix}at-{serial}", f"{prefix}rt-{serial}"
        self._tokens[self.access_token] = "valid"
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": "90000",
        }

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Answer GET /files/<n>/<name> with a hosted file (404 if none)."""
        self.file_gets.append(request.path)
        data = self.files.get(request.match_info["key"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle_redirect(self, request: web.Request) -> web.Response:
        """Answer GET /redirect/<n> with 302 to its location."""
        self.file_gets.append(request.path)
        location = self.redirects.get(request.match_info["key"], "/")
        return web.Response(status=302, headers={"Location": location})

    async def _handle_other(self, request: web.Request) -> web.Response:
        """Answer any other path with HTTP 404 and a Zalo-style body."""
        self.unknown_paths.append(f"{request.method} {request.path}")
        return web.json_response({"error": 404, "message": "empty api"}, status=404)

    # --- helpers ---

    def _event_head(self, name: str, user_id: str, timestamp_ms: int | None) -> Json:
        """Return the fields every webhook event starts with."""
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        by_app = hashlib.sha256(f"{self.app_id}:{user_id}".encode()).hexdigest()[:19]
        return {
            "app_id": self.app_id,
            "user_id_by_app": str(int(by_app, 16)),
            "event_name": name,
            "timestamp": str(stamp),
        }

    def _follow(self, name: str, user_id: str, timestamp_ms: int | None) -> Json:
        """Build a follow/unfollow event."""
        return {
            **self._event_head(name, user_id, timestamp_ms),
            "oa_id": self.oa_id,
            "source": "oa_profile",
            "follower": {"id": str(user_id)},
        }

    def _hex_id(self) -> str:
        """Return a fresh 32-digit hex id (message_id, msg_id)."""
        return hashlib.sha256(f"{self.app_id}/{next(self._ids)}".encode()).hexdigest()[:32]


def parse_send(raw: bytes) -> tuple[str, str, list[Json]]:
    """Return (user_id, text, buttons) of a send body; -201 when its shape is wrong."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise OAError(-201) from None
    if not isinstance(body, dict):
        raise OAError(-201)
    recipient, message = body.get("recipient"), body.get("message")
    user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
    if not user_id or not isinstance(message, dict):
        raise OAError(-201)
    text, attachment = message.get("text"), message.get("attachment")
    if not isinstance(text, str) or not text:
        raise OAError(-201)
    if attachment is None:
        return str(user_id), text, []
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        raise OAError(-201)
    payload = attachment.get("payload")
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(buttons, list):
        raise OAError(-201)
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            raise OAError(-201)
        if not button.get("title") or "payload" not in button:
            raise OAError(-201)
    return str(user_id), text, buttons


def limit_breaches(text: str, buttons: list[Json]) -> list[str]:
    """Describe each documented limit a send exceeds."""
    problems = []
    if len(text) > MAX_TEXT:
        problems.append(f"text of {len(text)} characters (limit {MAX_TEXT})")
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"{len(buttons)} buttons (limit {MAX_BUTTONS})")
    for button in buttons:
        title, payload = str(button["title"]), button["payload"]
        if len(title) > MAX_BUTTON_TITLE:
            problems.append(f"button title of {len(title)} characters (limit {MAX_BUTTON_TITLE})")
        size = len(payload if isinstance(payload, str) else json.dumps(payload))
        if size > MAX_BUTTON_PAYLOAD:
            problems.append(f"button payload of {size} characters (limit {MAX_BUTTON_PAYLOAD})")
    return problems
