"""What a well-formed webhook body looks like on each platform.

Webhook bodies are untrusted input. Each channel parses the raw body with `parse_json`
and checks the fields it reads here before anything is queued, so a malformed body is
answered 400 at once instead of failing later inside a background task. The checks
return a short description of the first problem (for the log), or None.
"""

from __future__ import annotations

import json
from typing import Any

MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def parse_json(body: bytes) -> Any:
    """Return the JSON value of a body; ValueError if not JSON, not UTF-8 or nested absurdly."""
    try:
        return json.loads(body)
    except RecursionError as exc:  # e.g. 100,000 "[": not a ValueError by itself
        raise ValueError("JSON nested too deeply") from exc


def _is_int(value: object) -> bool:
    """Tell whether a JSON value is an integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: object) -> bool:
    """Tell whether a JSON value can be a Zalo id: a non-empty string or an integer."""
    return (isinstance(value, str) and bool(value)) or _is_int(value)


def _fields(data: object, types: dict[str, Any], *, optional: dict[str, Any] | None = None) -> str:
    """Return the first field of an object that is missing or of the wrong type, or ""."""
    if not isinstance(data, dict):
        return "not an object"
    for name, kind in types.items():
        value = data.get(name)
        if value is None or not _has_type(value, kind):
            return name
    for name, kind in (optional or {}).items():
        value = data.get(name)
        if value is not None and not _has_type(value, kind):
            return name
    return ""


def _has_type(value: object, kind: Any) -> bool:
    """Tell whether a JSON value has a type (int excludes bool)."""
    return _is_int(value) if kind is int else isinstance(value, kind)


# --- Telegram -----------------------------------------------------------------------


def telegram_update_problem(data: object) -> str | None:
    """Describe what is wrong with a Telegram Update the channel would read, or None."""
    problem = _fields(data, {"update_id": int})
    if problem:
        return problem
    assert isinstance(data, dict)
    for kind in MESSAGE_KINDS:
        if kind in data and (problem := _message_problem(data[kind])):
            return f"{kind}.{problem}"
    if "callback_query" in data and (problem := _callback_problem(data["callback_query"])):
        return f"callback_query.{problem}"
    if "my_chat_member" in data and (problem := _member_change_problem(data["my_chat_member"])):
        return f"my_chat_member.{problem}"
    return None


def _message_problem(message: object, *, replied: bool = False) -> str:
    """Describe what is wrong with a Message (and the one it replies to), or ""."""
    problem = _fields(
        message,
        {"message_id": int, "date": int, "chat": dict},
        optional={"from": dict, "text": str, "caption": str, "reply_to_message": dict},
    )
    if problem:
        return problem
    assert isinstance(message, dict)
    if problem := _fields(message["chat"], {"id": int, "type": str}):
        return f"chat.{problem}"
    if "from" in message and (problem := _user_problem(message["from"])):
        return f"from.{problem}"
    if "reply_to_message" in message:
        if replied:  # Telegram never nests replies deeper than one message
            return "reply_to_message"
        if problem := _message_problem(message["reply_to_message"], replied=True):
            return f"reply_to_message.{problem}"
    return ""


def _user_problem(user: object) -> str:
    """Describe what is wrong with a User, or ""."""
    return _fields(user, {"id": int, "is_bot": bool, "first_name": str})


def _callback_problem(query: object) -> str:
    """Describe what is wrong with a CallbackQuery, or ""."""
    problem = _fields(
        query,
        {"id": str, "from": dict, "chat_instance": str},
        optional={"data": str, "message": dict},
    )
    if problem:
        return problem
    assert isinstance(query, dict)
    if problem := _user_problem(query["from"]):
        return f"from.{problem}"
    if "message" in query and (problem := _message_problem(query["message"])):
        return f"message.{problem}"
    return ""


def _member_change_problem(change: object) -> str:
    """Describe what is wrong with a ChatMemberUpdated, or ""."""
    problem = _fields(
        change,
        {
            "chat": dict,
            "from": dict,
            "date": int,
            "old_chat_member": dict,
            "new_chat_member": dict,
        },
    )
    if problem:
        return problem
    assert isinstance(change, dict)
    if problem := _fields(change["chat"], {"id": int, "type": str}):
        return f"chat.{problem}"
    if problem := _user_problem(change["from"]):
        return f"from.{problem}"
    for side in ("old_chat_member", "new_chat_member"):
        if problem := _fields(change[side], {"status": str, "user": dict}):
            return f"{side}.{problem}"
    return ""


# --- Zalo Official Account ------------------------------------------------------------

#: What a user may send an OA that the bot can't read: answered "text only", not dropped.
UNREADABLE_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_sticker",
        "user_send_gif",
        "user_send_audio",
        "user_send_video",
        "user_send_location",
        "user_send_business_card",
    }
)


def zalo_oa_event_problem(event: object) -> str | None:
    """Describe what is wrong with a Zalo OA webhook event the channel would read, or None."""
    problem = _fields(event, {"event_name": str, "timestamp": (str, int)})
    if problem:
        return problem
    assert isinstance(event, dict)
    if not str(event["timestamp"]).isdigit():
        return "timestamp"
    name = event["event_name"]
    if name == "user_send_text":
        sender = event.get("sender")
        if not isinstance(sender, dict) or not _is_id(sender.get("id")):
            return "sender.id"
        if problem := _fields(event.get("message"), {"text": str}, optional={"msg_id": str}):
            return f"message.{problem}"
    if name in UNREADABLE_EVENTS:
        sender = event.get("sender")
        if not isinstance(sender, dict) or not _is_id(sender.get("id")):
            return "sender.id"
    if name == "user_send_file":
        sender = event.get("sender")
        if not isinstance(sender, dict) or not _is_id(sender.get("id")):
            return "sender.id"
        if problem := _file_message_problem(event.get("message")):
            return f"message.{problem}"
    if name in ("follow", "unfollow"):
        who = event.get("follower") or event.get("sender")
        if not isinstance(who, dict) or not _is_id(who.get("id")):
            return "follower.id"
    return None


def _file_message_problem(message: object) -> str:
    """Describe what is wrong with a `user_send_file` message, or "": `attachments` a
    non-empty list whose first item's `payload` has a non-empty `url` (and, if given, a
    string `name` and `type` and a whole-number `size`, as a string or a number)."""
    problem = _fields(message, {"attachments": list}, optional={"msg_id": str})
    if problem:
        return problem
    assert isinstance(message, dict)
    attachments = message["attachments"]
    if not attachments:
        return "attachments"
    if problem := _fields(attachments[0], {"payload": dict}, optional={"type": str}):
        return f"attachments.0.{problem}"
    payload = attachments[0]["payload"]
    problem = _fields(payload, {"url": str}, optional={"name": str, "type": str})
    if problem or not payload["url"]:
        return f"attachments.0.payload.{problem or 'url'}"
    size = payload.get("size")
    if size is not None and not (_is_int(size) or (isinstance(size, str) and size.isdigit())):
        return "attachments.0.payload.size"
    return ""


# --- Zalo Bot ------------------------------------------------------------------------


def zalo_bot_update_problem(update: object) -> str | None:
    """Describe what is wrong with a Zalo Bot update the channel would read, or None."""
    problem = _fields(update, {"message": dict}, optional={"event_name": str})
    if problem:
        return problem
    assert isinstance(update, dict)
    message = update["message"]
    if problem := _fields(message, {"chat": dict}, optional={"text": str, "from": dict}):
        return f"message.{problem}"
    if not _is_id(message["chat"].get("id")):
        return "message.chat.id"
    sender = message.get("from")
    if sender is not None and not _is_id(sender.get("id")):
        return "message.from.id"
    return None
