"""A loopback fake of the Telegram Bot API (aiohttp) that speaks the real HTTP protocol.

End-to-end tests start the real bot as a subprocess pointed at `fake.url + "/bot"` and
drive it through this server: they inject updates (long polling or webhook), read back
what the bot sent, inject failures and check that the bot kept to Telegram's flood limits.

How python-telegram-bot 22 reads our answers (telegram/request/_baserequest.py):

* 2xx: the JSON body's ``result`` is returned; ``ok`` is not looked at.
* Any error status whose body has ``parameters.retry_after`` raises ``RetryAfter`` (even
  before the status is looked at); ``parameters.migrate_to_chat_id`` raises ``ChatMigrated``.
* 403 -> ``Forbidden``; 400 -> ``BadRequest``; 401 and 404 -> ``InvalidToken`` (a 404 from
  ``Bot.do_api_request`` becomes ``EndPointNotFound``); 409 -> ``Conflict``.
* 5xx (and any other status) -> plain ``NetworkError`` with our ``description`` as message
  (a body that is not JSON gives "Bad Gateway (502). Parsing the server response ... failed").
  ``Bot.send_message`` does not retry: the caller (or a rate limiter) must. The polling loop
  (telegram/ext/_utils/networkloop.py) retries ``getUpdates`` for ever with a backoff of
  1 s, 1.5 s, ... up to 30 s; ``RetryAfter`` waits retry_after + 0.5 s; ``InvalidToken``
  stops it. Bootstrap (deleteWebhook/setWebhook at start) is not retried by default
  (``bootstrap_retries=0``), and ``Application.initialize`` (getMe) is never retried.
* Timeouts: HTTPXRequest defaults to 5 s read/write/connect; a slow answer raises
  ``TimedOut`` (a ``NetworkError`` subclass). ``get_updates`` adds its long-poll
  ``timeout`` to the read timeout. The polling loop retries ``TimedOut`` at once.
* ``Message.text`` etc. are built with ``de_json``: every object below carries the fields
  PTB needs (e.g. ``date`` as int, ``file_unique_id`` for files, ``until_date`` for bans).
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import logging
import re
import struct
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import telegram
from aiohttp import web

from .base import FaultQueue, Handler, Json, UpdateServer, one_line, read_params

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
PRIVATE_GAP = 1.0  # seconds between two messages to one private chat
GROUP_PER_MINUTE = 20
TOLERANCE = 0.02  # seconds of slack on every window, for clock jitter between processes
MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)
CHAT_METHODS = MESSAGE_METHODS | {"sendChatAction"}
BUTTON_ACTIONS = frozenset(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat"
    " switch_inline_query_chosen_chat copy_text callback_game pay".split()
)
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document"
    " choose_sticker find_location record_video_note upload_video_note".split()
)
HTML_TAGS = frozenset(
    "b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji".split()
)
HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)(\s[^<>]*)?>|<|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
MDV2_CODE = re.compile(r"```.*?```|`[^`]*`|\]\((?:[^)\\]|\\.)*\)", re.DOTALL)
MDV2_RESERVED = re.compile(r"(?<!\\)((?:\\\\)*)([#+\-=|{}.!>()])")
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
_REGISTERED: Any = object()  # `deliver(secret=...)` default: the secret given to setWebhook


def _bot_api_methods() -> dict[str, str]:
    """Map lower-cased Bot API method names to their spelling, from PTB's camelCase aliases."""
    names = (n for n in dir(telegram.Bot) if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", n))
    return {name.lower(): name for name in names}


API_METHODS = _bot_api_methods()


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> Json:
        """Return the JSON body Telegram sends for this error."""
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Fault:
    """An injected failure for the next `times` calls of one method ("*" = any)."""

    status: int
    description: str
    retry_after: int | None
    times: int


def default_description(status: int, retry_after: int | None) -> str:
    """Return Telegram's usual description for an error status."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 409:
        return "Conflict: terminated by other getUpdates request"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


# --- parameters ------------------------------------------------------------------


def param_int(params: Json, key: str) -> int | None:
    """Return an integer parameter (form values are strings), None when absent."""
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(float(raw)) if not isinstance(raw, bool) else int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: wrong parameter "{key}" specified') from None


def param_json(params: Json, key: str) -> Any:
    """Return a nested parameter: PTB sends it as a JSON string inside the form."""
    raw = params.get(key)
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None


def param_bool(params: Json, key: str) -> bool:
    """Return a boolean parameter ("true"/"1" in forms)."""
    raw = params.get(key)
    return raw is True or (isinstance(raw, str) and raw.strip().lower() in {"true", "1"})


def param_chat_id(params: Json) -> int | str:
    """Return chat_id as int (or "@username"); 400 when missing or malformed."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    text = str(raw).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith("@"):
        return text
    raise ApiError(400, "Bad Request: chat not found")


def same_chat(a: int | str, b: int | str) -> bool:
    """Compare chat ids given as int or numeric string."""
    return str(a) == str(b)


# --- text and markup validation ------------------------------------------------------


def byte_offset(text: str, index: int) -> int:
    """Return the UTF-8 byte offset of a character index, as Telegram reports it."""
    return len(text[:index].encode("utf-8"))


def html_plain(text: str) -> str:
    """Return the visible text of an HTML message; 400 on what Telegram refuses to parse."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for match in HTML_TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        token, name = match.group(0), (match.group(2) or "").lower()
        where = byte_offset(text, match.start())
        if token.startswith("&"):
            out.append(html.unescape(token))
        elif not name:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected '<' at byte offset {where}"
            )
        elif name not in HTML_TAGS:
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" '
                f"at byte offset {where}",
            )
        elif match.group(1):
            if not stack or stack[-1] != name:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{where}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"',
                )
            stack.pop()
        else:
            stack.append(name)
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to "
            f'start tag "{stack[-1]}"',
        )
    out.append(text[pos:])
    return "".join(out)


def markdown_v2_plain(text: str) -> str:
    """Return roughly the visible text of a MarkdownV2 message; 400 on unescaped characters."""
    outside = MDV2_CODE.sub(lambda m: " " * len(m.group(0)), text)
    for match in MDV2_RESERVED.finditer(outside):
        char, start = match.group(2), match.start(2)
        line_start = start == 0 or outside[start - 1] == "\n"
        markup = (char == ">" and line_start) or (
            char == "|" and "||" in outside[start - 1 : start + 2]
        )
        if not markup and not (char == "!" and outside[start + 1 : start + 2] == "["):
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Character '{char}' is reserved and "
                "must be escaped with the preceding '\\'",
            )
    plain = re.sub(r"\]\((?:[^)\\]|\\.)*\)", "", text)
    plain = re.sub(r"(?<!\\)[*_~|`\[]", "", plain)
    return re.sub(r"\\(.)", r"\1", plain)


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return the text as the user sees it, checking the markup of `parse_mode`."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        return html_plain(text)
    if mode == "markdownv2":
        return markdown_v2_plain(text)
    if mode == "markdown":
        return re.sub(r"[*_`\[]", "", text)
    if mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
    return text


def check_text(text: Any, parse_mode: str | None, limit: int = MAX_TEXT) -> str:
    """Validate a message text: non-empty and at most `limit` characters once parsed."""
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    plain = visible_text(text, parse_mode)
    if not plain.strip():
        raise ApiError(400, "Bad Request: text must be non-empty")
    if len(plain) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    return plain


def check_markup(markup: Any) -> None:
    """Validate reply_markup the way Telegram does for inline keyboards."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be '
            "an Array of Arrays",
        )
    for button in itertools.chain.from_iterable(rows):
        check_button(button)


def check_button(button: Any) -> None:
    """Validate one inline button: a text, one action, callback_data of 1-64 bytes."""
    if not isinstance(button, dict) or not str(button.get("text") or "").strip():
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text is empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    web_app = button.get("web_app")
    if web_app is not None:
        check_web_app(web_app)
    if not BUTTON_ACTIONS.intersection(button):
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are "
            "unallowed in the inline keyboard",
        )


def check_web_app(web_app: Any) -> None:
    """Validate a WebAppInfo: Telegram opens Mini Apps over https only."""
    url = str(web_app.get("url", "")) if isinstance(web_app, dict) else ""
    if not url.startswith("https://"):
        raise ApiError(400, f"Bad Request: inline keyboard button Web App URL '{url}' is invalid")


def png_size(content: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG, or a plausible default for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 1280, 720


def utf16_len(text: str) -> int:
    """Return a length in UTF-16 code units, as Telegram's entity offsets count."""
    return len(text.encode("utf-16-le")) // 2


# --- the server ----------------------------------------------------------------------


class FakeTelegram(UpdateServer):
    """An in-process Bot API server on 127.0.0.1 that records what the bot does."""

    label = "fake Telegram"
    client_max_size = 52 * 1024 * 1024

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "kl09_bot",
        *,
        bot_name: str = "Trợ lý KL09",
        enforce: bool = False,
        overall_limit: int = 30,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.token = token
        self.enforce = enforce
        self.overall_limit = overall_limit
        self.bot_user: Json = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.breaches: list[str] = []
        self.answers: list[Json] = []
        self.actions: list[Json] = []
        self.commands: list[Json] = []
        self.menu_button: Json | None = None  # the default chat menu button, once set
        self.allowed_updates: list[str] | None = None
        self.files: dict[str, Json] = {}
        self._messages: dict[tuple[str, int], Json] = {}
        self._last_bot_message: dict[str, int] = {}
        self._open_queries: set[str] = set()
        self._blocked: set[str] = set()
        self._faults: FaultQueue[Fault] = FaultQueue()
        self._delays: dict[str, list[float]] = {}
        self._outage: tuple[float, int] | None = None
        self._last_private: dict[int, float] = {}
        self._group_times: dict[int, deque[float]] = {}
        self._all_times: deque[float] = deque()
        self._update_ids = itertools.count(700_000_001)
        self._next_message_id = 101
        self._chats: dict[str, Json] = {}
        self._query_ids = itertools.count(5_000_000_001)
        self._file_ids = itertools.count(1)
        self._poll_generation = 0
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
        }

    # --- lifecycle ---

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Route /bot<TOKEN>/<method>, /file/bot<TOKEN>/<path> and 404 for the rest."""
        router.add_route("*", "/bot{token}/{method}", self._handle_api)
        router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        router.add_route("*", "/{tail:.*}", self._handle_other)

    # --- injecting updates ---

    def message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Cán bộ",
        reply_to_bot: bool = False,
        entities: list[Json] | None = None,
        title: str | None = None,
    ) -> Json:
        """Build a text-message Update from a user, queue (or webhook) it and return it."""
        chat = self._chat(chat_id, chat_type, first_name, title)
        message: Json = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(chat_id, user_id, first_name),
            "text": text,
        }
        entities = entities if entities is not None else command_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to_bot:
            message["reply_to_message"] = copy.deepcopy(self._bot_message_in(chat))
        self._messages[(str(chat_id), message["message_id"])] = message
        return self._push({"update_id": next(self._update_ids), "message": message})

    def photo(self, chat_id: int, *, chat_type: str = "private") -> Json:
        """Build a photo-message Update without a caption, queue (or webhook) it, return it."""
        chat = self._chat(chat_id, chat_type, "Cán bộ", None)
        size = {"file_id": f"photo{chat_id}", "file_unique_id": f"u{chat_id}"}
        message: Json = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(chat_id, None, "Cán bộ"),
            "photo": [size | {"width": 90, "height": 60, "file_size": 1200}],
        }
        self._messages[(str(chat_id), message["message_id"])] = message
        return self._push({"update_id": next(self._update_ids), "message": message})

    def document(
        self,
        chat_id: int,
        name: str,
        content: bytes,
        *,
        mime: str = "text/plain",
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Cán bộ",
        file_size: int | None = None,
    ) -> Json:
        """Build a document-message Update (a file sent to the bot), its file kept for
        getFile and /file/bot<TOKEN>/; queue (or webhook) it and return it."""
        stored = self._store_file("document", name, mime, content)
        chat = self._chat(chat_id, chat_type, first_name, None)
        message: Json = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(chat_id, user_id, first_name),
            "document": {
                "file_id": stored["file_id"],
                "file_unique_id": stored["file_unique_id"],
                "file_name": name,
                "mime_type": mime,
                "file_size": len(content) if file_size is None else file_size,
            },
        }
        self._messages[(str(chat_id), message["message_id"])] = message
        return self._push({"update_id": next(self._update_ids), "message": message})

    def callback(
        self, chat_id: int, data: str, *, message_id: int, user_id: int | None = None
    ) -> Json:
        """Build a callback_query Update for a button on message `message_id`."""
        stored = self._messages.get((str(chat_id), message_id))
        if stored is None:
            stored = self._store_bot_message(chat_id, message_id=message_id, text="…")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(chat_id, user_id, stored["chat"].get("first_name", "Cán bộ")),
            "chat_instance": f"ci{abs(chat_id)}",
            "message": copy.deepcopy(stored),
            "data": data,
        }
        return self._push({"update_id": next(self._update_ids), "callback_query": query})

    def my_chat_member(self, chat_id: int, status: str = "kicked") -> Json:
        """Build a my_chat_member Update; "kicked" in a private chat also blocks the chat."""
        chat = self._known_chat(chat_id)
        new: Json = {"user": self.bot_user, "status": status}
        if status == "kicked":
            new["until_date"] = 0
        old_status = "kicked" if status == "member" else "member"
        old: Json = {"user": self.bot_user, "status": old_status}
        if old_status == "kicked":
            old["until_date"] = 0
        if chat_id > 0 and status == "kicked":
            self.block(chat_id)
        elif chat_id > 0 and status == "member":
            self.unblock(chat_id)
        event = {
            "chat": chat,
            "from": self._user(chat_id, None, chat.get("first_name", "Cán bộ")),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self._push({"update_id": next(self._update_ids), "my_chat_member": event})

    async def deliver(self, update: Json, *, secret: str | None = _REGISTERED) -> int:
        """POST an update to the registered webhook; return the HTTP status it answered."""
        if self.webhook is None or self._session is None:
            raise RuntimeError("no webhook is set (or the fake is not started)")
        token = self.webhook["secret_token"] if secret is _REGISTERED else secret
        headers = {"Content-Type": "application/json"}
        if token:
            headers[SECRET_HEADER] = token
        self._remember(update)
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        status = await self._post(self.webhook["url"], body, headers)
        self.deliveries.append({"update_id": update.get("update_id"), "status": status})
        return status

    def _failed_delivery(self, update: Json) -> Json:
        """Return the `deliveries` record of an update that could not be POSTed."""
        return {"update_id": update["update_id"], "status": 0}

    # --- reading what happened ---

    def sent_to(self, chat_id: int | str) -> list[Json]:
        """Return the message-producing calls to one chat, oldest first."""
        return self._sent_to(chat_id)

    def _describe_sent(self, record: Json) -> str:
        """Describe one message-producing call for `dump`."""
        return (
            f"{record['method']} chat={record['chat_id']} #{record['message_id']} "
            f"{one_line(record['text'])!r}"
            f"{' buttons' if record['reply_markup'] else ''}"
            f"{' file=' + record['file']['name'] if record['file'] else ''}"
        )

    def _dump_tail(self) -> list[str]:
        """Unknown methods, breaches and failed calls, for `dump`."""
        lines = []
        if self.unknown_methods:
            lines.append(f"unhandled methods: {sorted(set(self.unknown_methods))}")
        if self.breaches:
            lines.append(f"breaches: {self.breaches}")
        errors = [
            f"{c['method']}={c['status']}" for c in self.calls if c["status"] not in (None, 200)
        ]
        if errors:
            lines.append(f"failed calls: {errors[-20:]}")
        return lines

    # --- injecting failures ---

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 3,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail with `status`."""
        after = retry_after if status == 429 else None
        text = description or default_description(status, after)
        self._faults.add(method.lower(), Fault(status, text, after, times))

    def fail_all(self, status: int = 502, seconds: float = 30) -> None:
        """Answer every call with `status` for `seconds` (an outage), in the Bot API's JSON.

        Calls already in progress fail too: a held long poll ends with the error (its
        updates stay queued for the first poll after the outage) and a call held by
        `delay` answers the error when its delay is over.
        """
        self._outage = (time.monotonic() + seconds, status)
        self._wake()

    @property
    def in_outage(self) -> bool:
        """Tell whether an outage started by fail_all is going on."""
        return self._outage is not None and time.monotonic() < self._outage[0]

    def _raise_outage(self) -> None:
        """Raise the outage's error while one is going on."""
        if self._outage is not None and self.in_outage:
            raise ApiError(self._outage[1], default_description(self._outage[1], None))

    def recover(self) -> None:
        """End an outage started by fail_all and drop pending faults."""
        self._outage = None
        self._faults.clear()

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` calls of `method` ("*" = any) for `seconds` before answering."""
        self._delays.setdefault(method.lower(), []).extend([seconds] * times)

    def block(self, chat_id: int | str) -> None:
        """Answer sends to chat_id with 403 "bot was blocked by the user"."""
        self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Let sends to chat_id through again."""
        self._blocked.discard(str(chat_id))

    # --- HTTP ---

    async def _handle_api(self, request: web.Request) -> web.Response:
        """Answer one Bot API call: POST (form, multipart, JSON) or GET /bot<TOKEN>/<method>."""
        raw_method = request.match_info["method"]
        method = API_METHODS.get(raw_method.lower(), raw_method)
        params, files = await read_params(request)
        call: Json = {"method": method, "params": params, "at": time.monotonic(), "status": None}
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(404, "Not Found")
            result = await self._dispatch(method, params, files)
        except ApiError as error:
            call["status"] = error.code
            log.info("fake Telegram: %s -> %s %s", method, error.code, error.description)
            return web.json_response(error.body(), status=error.code)
        call["status"] = 200
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Serve an uploaded file at /file/bot<TOKEN>/<file_path>."""
        path = request.match_info["path"]
        found = [f for f in self.files.values() if f["file_path"] == path]
        if request.match_info["token"] != self.token or not found:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(body=found[0]["content"] or b"", content_type=found[0]["mime"])

    async def _handle_other(self, request: web.Request) -> web.Response:
        """Answer any other path like api.telegram.org: 404 Not Found."""
        return web.json_response(NOT_FOUND, status=404)

    async def _dispatch(self, method: str, params: Json, files: dict[str, Json]) -> Any:
        """Apply outages, delays and faults, then run the method's handler."""
        key = method.lower()
        if key not in API_METHODS:
            raise ApiError(404, "Not Found")
        self._raise_outage()
        for queue_key in (key, "*"):
            if self._delays.get(queue_key):
                await asyncio.sleep(self._delays[queue_key].pop(0))
                self._raise_outage()  # the outage began while the call was held
                break
        self._raise_fault(key)
        handler = self._handlers.get(key)
        if handler is None:
            log.warning("fake Telegram: unhandled method %s answered with True", method)
            self.unknown_methods.append(method)
            return True
        if method in CHAT_METHODS and str(params.get("chat_id")) in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return await handler(params, files)

    def _raise_fault(self, key: str) -> None:
        """Raise the next injected fault for this method (or for "*"), if any."""
        fault = self._faults.take(key, "*")
        if fault is not None:
            raise ApiError(fault.status, fault.description, fault.retry_after)

    # --- methods: bot, updates, webhook, commands ---

    async def _get_me(self, params: Json, files: dict[str, Json]) -> Json:
        """getMe: the bot's User."""
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Json, files: dict[str, Json]) -> list[Json]:
        """getUpdates: confirm below `offset`, hold up to `timeout` s, return up to `limit`."""
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = param_int(params, "offset")
        limit = min(max(param_int(params, "limit") or 100, 1), 100)
        timeout = max(param_int(params, "timeout") or 0, 0)
        allowed = param_json(params, "allowed_updates")
        if allowed is not None:
            self.allowed_updates = list(allowed) or None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older poll still waiting is terminated with 409, like Telegram
        deadline = time.monotonic() + timeout
        while (
            not self._queue
            and not self._closing
            and not self.in_outage
            and generation == self._poll_generation
        ):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                break
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only "
                "one bot instance is running",
            )
        self._raise_outage()  # a poll held when the outage began ends with its error
        return copy.deepcopy(self._queue[:limit])

    def _confirm(self, offset: int | None) -> None:
        """Forget updates below a positive offset; keep the last -offset for a negative one."""
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        else:
            self._queue = self._queue[offset:]

    async def _set_webhook(self, params: Json, files: dict[str, Json]) -> bool:
        """setWebhook: register url + secret; an empty url removes the webhook."""
        url = str(params.get("url") or "")
        secret = params.get("secret_token") or None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and not re.match(r"https?://", url):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        if param_bool(params, "drop_pending_updates"):
            self._queue.clear()
        allowed = param_json(params, "allowed_updates")
        if allowed is not None:
            self.allowed_updates = list(allowed) or None
        self.webhook = {"url": url, "secret_token": secret} if url else None
        if self.webhook is not None:
            pending, self._queue = self._queue, []
            for update in pending:
                self._spawn(self._deliver_in_order(update))
        self._wake()
        return True

    async def _delete_webhook(self, params: Json, files: dict[str, Json]) -> bool:
        """deleteWebhook: back to getUpdates; optionally drop pending updates."""
        self.webhook = None
        if param_bool(params, "drop_pending_updates"):
            self._queue.clear()
        return True

    async def _get_webhook_info(self, params: Json, files: dict[str, Json]) -> Json:
        """getWebhookInfo: url ("" when polling) and pending_update_count."""
        info: Json = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook:
            info |= {"max_connections": 40, "ip_address": "127.0.0.1"}
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        return info

    async def _set_my_commands(self, params: Json, files: dict[str, Json]) -> bool:
        """setMyCommands: validate and record the list."""
        commands = param_json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an Array of BotCommand")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self.commands = commands
        return True

    async def _delete_my_commands(self, params: Json, files: dict[str, Json]) -> bool:
        """deleteMyCommands: forget the list."""
        self.commands = []
        return True

    async def _get_my_commands(self, params: Json, files: dict[str, Json]) -> list[Json]:
        """getMyCommands: the last list set."""
        return list(self.commands)

    async def _set_chat_menu_button(self, params: Json, files: dict[str, Json]) -> bool:
        """setChatMenuButton (the default for every private chat): validate and record."""
        button = param_json(params, "menu_button")
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise ApiError(400, "Bad Request: menu button type is invalid")
        if button["type"] == "web_app":
            if not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: menu button text is empty")
            check_web_app(button.get("web_app"))
        self.menu_button = button
        return True

    # --- methods: messages ---

    async def _send_message(self, params: Json, files: dict[str, Json]) -> Json:
        """sendMessage: validate text and markup, check limits, return the new Message."""
        chat_id = param_chat_id(params)
        text = params.get("text")
        parse_mode = params.get("parse_mode")
        plain = check_text(text, parse_mode)
        markup = param_json(params, "reply_markup")
        check_markup(markup)
        reply_to = self._reply_to(params)
        self._check_limits("sendMessage", chat_id)
        message = self._store_bot_message(chat_id, text=plain, markup=markup, reply_to=reply_to)
        self._record("sendMessage", chat_id, params, text, markup, message, plain=plain)
        return message

    async def _edit_message_text(self, params: Json, files: dict[str, Json]) -> Json | bool:
        """editMessageText: change a stored message; 400 if missing or unchanged."""
        if params.get("inline_message_id"):
            return True
        chat_id, stored = self._message_to_edit(params)
        text = params.get("text")
        plain = check_text(text, params.get("parse_mode"))
        markup = param_json(params, "reply_markup")
        check_markup(markup)
        inline = markup if markup and "inline_keyboard" in markup else None
        if stored.get("text") == plain and stored.get("reply_markup") == inline:
            raise ApiError(400, NOT_MODIFIED)
        self._check_limits("editMessageText", chat_id)
        stored["text"] = plain
        self._set_markup(stored, inline)
        stored["edit_date"] = int(time.time())
        self._record("editMessageText", chat_id, params, text, markup, stored, plain=plain)
        return copy.deepcopy(stored)

    async def _edit_message_reply_markup(self, params: Json, files: dict[str, Json]) -> Any:
        """editMessageReplyMarkup: change (or remove) a stored message's inline keyboard."""
        if params.get("inline_message_id"):
            return True
        chat_id, stored = self._message_to_edit(params)
        markup = param_json(params, "reply_markup")
        check_markup(markup)
        inline = markup if markup and "inline_keyboard" in markup else None
        if stored.get("reply_markup") == inline:
            raise ApiError(400, NOT_MODIFIED)
        self._check_limits("editMessageReplyMarkup", chat_id)
        self._set_markup(stored, inline)
        stored["edit_date"] = int(time.time())
        text = stored.get("text") or stored.get("caption")
        self._record("editMessageReplyMarkup", chat_id, params, text, markup, stored)
        return copy.deepcopy(stored)

    def _message_to_edit(self, params: Json) -> tuple[int | str, Json]:
        """Return (chat_id, stored message) for chat_id + message_id; 400 when unknown."""
        chat_id = param_chat_id(params)
        message_id = param_int(params, "message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        stored = self._messages.get((str(chat_id), message_id))
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat_id, stored

    async def _answer_callback_query(self, params: Json, files: dict[str, Json]) -> bool:
        """answerCallbackQuery: record it; a second answer (or unknown id) is 400."""
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        self.answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": param_bool(params, "show_alert"),
                "url": params.get("url"),
                "at": time.monotonic(),
            }
        )
        return True

    async def _send_chat_action(self, params: Json, files: dict[str, Json]) -> bool:
        """sendChatAction: record it."""
        chat_id = param_chat_id(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.actions.append({"chat_id": chat_id, "action": action, "at": time.monotonic()})
        return True

    async def _send_document(self, params: Json, files: dict[str, Json]) -> Json:
        """sendDocument: store the uploaded file, return a Message with `document`."""
        return self._send_file("sendDocument", "document", params, files)

    async def _send_photo(self, params: Json, files: dict[str, Json]) -> Json:
        """sendPhoto: store the uploaded image, return a Message with `photo` sizes."""
        return self._send_file("sendPhoto", "photo", params, files)

    def _send_file(self, method: str, kind: str, params: Json, files: dict[str, Json]) -> Json:
        """Validate and record a file-sending call; return its Message."""
        chat_id = param_chat_id(params)
        stored_file = self._incoming_file(kind, params, files)
        caption = params.get("caption")
        plain = None
        if caption:
            plain = visible_text(caption, params.get("parse_mode"))
            if len(plain) > MAX_CAPTION:
                raise ApiError(400, "Bad Request: message caption is too long")
        markup = param_json(params, "reply_markup")
        check_markup(markup)
        reply_to = self._reply_to(params)
        self._check_limits(method, chat_id)
        message = self._store_bot_message(chat_id, markup=markup, reply_to=reply_to)
        message[kind] = photo_sizes(stored_file) if kind == "photo" else document(stored_file)
        if plain:
            message["caption"] = plain
        file_record = {k: stored_file[k] for k in ("name", "mime", "content")}
        self._record(method, chat_id, params, caption, markup, message, file=file_record)
        return message

    def _incoming_file(self, kind: str, params: Json, files: dict[str, Json]) -> Json:
        """Return the stored file for an upload, an "attach://" part, a file_id or a URL."""
        ref = params.get(kind)
        upload = files.get(kind)
        if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
            upload = files.get(ref.removeprefix("attach://"))
        if upload is not None:
            if not upload["content"]:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return self._store_file(kind, upload["name"], upload["mime"], upload["content"])
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]
        if isinstance(ref, str) and re.match(r"https?://", ref):
            return self._store_file(kind, ref.rsplit("/", 1)[-1], None, None)
        raise ApiError(400, f"Bad Request: there is no {kind} in the request")

    def _store_file(self, kind: str, name: str, mime: str | None, content: bytes | None) -> Json:
        """Keep a file under a fresh file_id so getFile and re-sends can find it."""
        number = next(self._file_ids)
        file_id = f"{'AgAC' if kind == 'photo' else 'BQAC'}{number:06d}fake"
        stored = {
            "file_id": file_id,
            "file_unique_id": f"AQAD{number:06d}",
            "name": name,
            "mime": mime,
            "content": content,
            "file_path": f"{kind}s/file_{number}{suffix(name)}",
        }
        self.files[file_id] = stored
        return stored

    async def _get_file(self, params: Json, files: dict[str, Json]) -> Json:
        """getFile: file_path of a stored file, downloadable under /file/bot<TOKEN>/."""
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored["file_id"],
            "file_unique_id": stored["file_unique_id"],
            "file_size": len(stored["content"] or b""),
            "file_path": stored["file_path"],
        }

    # --- bookkeeping ---

    def _record(
        self,
        method: str,
        chat_id: int | str,
        params: Json,
        text: str | None,
        markup: Any,
        message: Json,
        *,
        plain: str | None = None,
        file: Json | None = None,
    ) -> None:
        """Append a record of a message-producing call to `sent`."""
        self.sent.append(
            {
                "method": method,
                "chat_id": chat_id,
                "text": text,
                "plain": plain if plain is not None else text,
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "reply_to_message_id": (message.get("reply_to_message") or {}).get("message_id"),
                "message_id": message["message_id"],
                "at": time.monotonic(),
                "file": file,
            }
        )

    def _reply_to(self, params: Json) -> Json | None:
        """Return the message a send replies to (reply_parameters or reply_to_message_id)."""
        reply = param_json(params, "reply_parameters")
        message_id = reply.get("message_id") if isinstance(reply, dict) else None
        if message_id is None:
            message_id = param_int(params, "reply_to_message_id")
        if message_id is None:
            return None
        chat_id = (reply or {}).get("chat_id") if isinstance(reply, dict) else None
        stored = self._messages.get((str(chat_id or params.get("chat_id")), int(message_id)))
        allow = param_bool(params, "allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        if stored is None and not allow:
            raise ApiError(400, "Bad Request: message to be replied not found")
        return stored

    def _store_bot_message(
        self,
        chat_id: int | str,
        *,
        message_id: int | None = None,
        text: str | None = None,
        markup: Any = None,
        reply_to: Json | None = None,
    ) -> Json:
        """Create and keep a Message from the bot in `chat_id`; return a copy."""
        chat = self._known_chat(chat_id)
        message: Json = {
            "message_id": self._new_message_id(message_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
        }
        if text is not None:
            message["text"] = text
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(reply_to)
        self._set_markup(message, markup if markup and "inline_keyboard" in markup else None)
        self._messages[(str(chat_id), message["message_id"])] = message
        self._last_bot_message[str(chat_id)] = message["message_id"]
        return copy.deepcopy(message)

    @staticmethod
    def _set_markup(message: Json, inline: Json | None) -> None:
        """Set or remove a message's inline keyboard (only inline ones are echoed)."""
        if inline:
            message["reply_markup"] = inline
        else:
            message.pop("reply_markup", None)

    def _bot_message_in(self, chat: Json) -> Json:
        """Return the bot's last message in a chat (a stub if it never wrote there)."""
        key = str(chat["id"])
        message_id = self._last_bot_message.get(key)
        if message_id is not None:
            return self._messages[(key, message_id)]
        self._store_bot_message(chat["id"], text="…")
        return self._messages[(key, self._last_bot_message[key])]

    def _chat(self, chat_id: int, chat_type: str, first_name: str, title: str | None) -> Json:
        """Return the Chat object for an incoming update (the type follows the id's sign)."""
        if chat_id < 0 and chat_type == "private":
            chat_type = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"Nhóm {abs(chat_id)}"}
        self._chats[str(chat_id)] = chat
        return chat

    def _known_chat(self, chat_id: int | str) -> Json:
        """Return the Chat the bot writes to, as last seen in an update, or a default."""
        known = self._chats.get(str(chat_id))
        if known is not None:
            return dict(known)
        if isinstance(chat_id, str):
            return {"id": -1_001_000_000_001, "type": "channel", "title": chat_id}
        return self._chat(chat_id, "private", "Cán bộ", None)

    def _new_message_id(self, wanted: int | None = None) -> int:
        """Return a fresh message id (or `wanted`), never handing out an id twice."""
        if wanted is None:
            wanted = self._next_message_id
        self._next_message_id = max(self._next_message_id, wanted + 1)
        return wanted

    def _user(self, chat_id: int, user_id: int | None, first_name: str) -> Json:
        """Return the User writing: the chat itself in private, else `user_id` or 1001."""
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1001)
        return {"id": uid, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def _push(self, update: Json) -> Json:
        """Queue an update for getUpdates, or deliver it when a webhook is set."""
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates and kind not in self.allowed_updates:
            log.info("fake Telegram: %s not in allowed_updates, dropped", kind)
            return update
        if self.webhook is not None:
            self._spawn(self._deliver_in_order(copy.deepcopy(update)))
        else:
            self._queue.append(copy.deepcopy(update))
            self._wake()
        return update

    def _remember(self, update: Json) -> None:
        """Keep the message of a hand-made update, so replies and edits can refer to it."""
        message = update.get("message") or (update.get("callback_query") or {}).get("message")
        if isinstance(message, dict) and "chat" in message and "message_id" in message:
            key = (str(message["chat"]["id"]), int(message["message_id"]))
            self._messages.setdefault(key, copy.deepcopy(message))
            self._next_message_id = max(self._next_message_id, key[1] + 1)

    # --- flood limits ---

    def _check_limits(self, method: str, chat_id: int | str) -> None:
        """Record breaches of Telegram's limits; with enforce=True answer them with 429."""
        now = time.monotonic()
        problems = self._breaches_at(method, chat_id, now)
        if problems:
            for problem in problems:
                log.warning("fake Telegram: flood limit breached: %s", problem)
            self.breaches.extend(problems)
            if self.enforce:
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._note_send(chat_id, now)

    def _breaches_at(self, method: str, chat_id: int | str, now: float) -> list[str]:
        """Describe each limit a message to chat_id at `now` would exceed."""
        problems = []
        if isinstance(chat_id, int) and chat_id > 0:
            last = self._last_private.get(chat_id)
            if last is not None and now - last < PRIVATE_GAP - TOLERANCE:
                problems.append(
                    f"{method} to private chat {chat_id} {now - last:.3f} s after the previous "
                    "message (limit: 1 message per second per chat)"
                )
        elif isinstance(chat_id, int):
            times = self._group_times.get(chat_id, deque())
            recent = sum(1 for t in times if now - t < 60.0 - TOLERANCE)
            if recent + 1 > GROUP_PER_MINUTE:
                problems.append(
                    f"{method} to group {chat_id}: {recent + 1} messages within 60 s "
                    f"(limit: {GROUP_PER_MINUTE} per minute per group)"
                )
        overall = sum(1 for t in self._all_times if now - t < 1.0 - TOLERANCE)
        if overall + 1 > self.overall_limit:
            problems.append(
                f"{method} to chat {chat_id}: {overall + 1} messages within 1 s overall "
                f"(limit: {self.overall_limit} per second)"
            )
        return problems

    def _note_send(self, chat_id: int | str, now: float) -> None:
        """Remember a delivered message for the sliding windows."""
        self._all_times.append(now)
        while self._all_times and now - self._all_times[0] > 1.0:
            self._all_times.popleft()
        if isinstance(chat_id, int) and chat_id > 0:
            self._last_private[chat_id] = now
        elif isinstance(chat_id, int):
            times = self._group_times.setdefault(chat_id, deque())
            times.append(now)
            while times and now - times[0] > 60.0:
                times.popleft()


# --- object builders -------------------------------------------------------------------


def command_entities(text: str) -> list[Json] | None:
    """Return the bot_command entity Telegram adds to a text starting with "/"."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def suffix(name: str) -> str:
    """Return a file name's extension with its dot ("" when none)."""
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", name or "")
    return match.group(0) if match else ""


def document(stored: Json) -> Json:
    """Return a Document object for a stored file."""
    result: Json = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "file_name": stored["name"],
        "file_size": len(stored["content"] or b""),
    }
    if stored["mime"]:
        result["mime_type"] = stored["mime"]
    return result


def photo_sizes(stored: Json) -> list[Json]:
    """Return the PhotoSize list Telegram makes for an image: a thumbnail and the original."""
    width, height = png_size(stored["content"] or b"")
    size = len(stored["content"] or b"")
    scale = 90 / max(width, height, 1)
    thumb = {
        "file_id": stored["file_id"] + "_s",
        "file_unique_id": stored["file_unique_id"] + "s",
        "width": max(1, round(width * scale)),
        "height": max(1, round(height * scale)),
        "file_size": max(1, size // 20),
    }
    full = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "width": width,
        "height": height,
        "file_size": size,
    }
    return [thumb, full]
