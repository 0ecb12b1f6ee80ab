"""Checking what Telegram signs for a web page: a Mini App's `initData` and the Login Widget.

Pure: no I/O, the time passed in. Both are a set of `key=value` fields plus `hash`, the
hex HMAC-SHA256 of the other fields sorted by key and joined by "\\n" (the data-check
string). Only the key differs:
* Mini App `initData` (a query string): HMAC-SHA256 of the bot token keyed by "WebAppData";
* Login Widget (the fields of its redirect): SHA256 of the bot token.
The hash is compared in constant time; `auth_date` must be at most `max_age` old and at
most `skew` ahead of our clock. Anything else is a `SignatureProblem` naming what failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(days=1)
SKEW = timedelta(minutes=5)
MAX_LENGTH = 8192  # Telegram's initData is well under 4 KB
HEX_HASH = 64


class SignatureProblem(ValueError):
    """Signed data that must not be trusted; the message says why (for logs, not users)."""


@dataclass(frozen=True)
class TelegramUser:
    """The Telegram user the signed data names."""

    id: int
    name: str  # first and last name, else the username, else ""


def check_init_data(
    raw: str, *, token: str, now: datetime, max_age: timedelta = MAX_AGE, skew: timedelta = SKEW
) -> TelegramUser:
    """Return the user of a Mini App's initData; raise SignatureProblem unless it is
    signed for this bot's token and fresh."""
    fields = _fields(raw)
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    _check(fields, secret, now, max_age, skew)
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise SignatureProblem("no readable user") from None
    if not isinstance(user, dict):
        raise SignatureProblem("no readable user")
    return _user(user)


def check_login_widget(
    fields: Mapping[str, str],
    *,
    token: str,
    now: datetime,
    max_age: timedelta = MAX_AGE,
    skew: timedelta = SKEW,
) -> TelegramUser:
    """Return the user of a Login Widget sign-in; raise SignatureProblem unless it is signed
    for this bot's token and fresh."""
    secret = hashlib.sha256(token.encode()).digest()
    _check(dict(fields), secret, now, max_age, skew)
    return _user(fields)


def _fields(raw: str) -> dict[str, str]:
    """Return the fields of a query string; refuse an oversized, malformed or repeated one."""
    if not raw or len(raw) > MAX_LENGTH:
        raise SignatureProblem("empty or oversized")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise SignatureProblem("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise SignatureProblem("a field is repeated")
    return fields


def _check(
    fields: dict[str, str], secret: bytes, now: datetime, max_age: timedelta, skew: timedelta
) -> None:
    """Check the hash (constant time), then the age of `auth_date`."""
    given = fields.get("hash", "")
    if len(given) != HEX_HASH:
        raise SignatureProblem("no hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "replace")):
        raise SignatureProblem("hash does not match")
    stamp = fields.get("auth_date", "")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureProblem("no auth_date")
    signed_at = datetime.fromtimestamp(int(stamp), UTC)
    if now - signed_at > max_age:
        raise SignatureProblem("too old")
    if signed_at - now > skew:
        raise SignatureProblem("dated in the future")


def _user(data: Mapping[str, object]) -> TelegramUser:
    """Return the user from its fields (id as a number or digits, names optional)."""
    raw_id = data.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
        raise SignatureProblem("no user id")
    text = str(raw_id)
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise SignatureProblem("no user id")
    names = [data.get("first_name"), data.get("last_name")]
    name = " ".join(n for n in names if isinstance(n, str) and n).strip()
    username = data.get("username")
    return TelegramUser(int(text), name or (username if isinstance(username, str) else ""))
