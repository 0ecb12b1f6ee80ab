"""Pure parsers of admin command arguments; each raises UsageError with a Vietnamese message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import cli_texts as texts
from bot.commands.errors import UsageError
from handlers.inputs import fold_word as fold_word  # re-exported: the CLI's parsers use it
from handlers.inputs import parse_day
from storage.queries.units import unit_problem

#: Channels a member can live on (a typo still works, with a warning).
KNOWN_CHANNELS = ("console", "telegram", "zalo_oa", "zalo_bot")
MIN_TTL = timedelta(minutes=1)
MAX_TTL = timedelta(days=365)
EXTERNAL_ID_MAX = 64

_CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TTL = re.compile(r"(\d{1,7})\s*([dhm])", re.IGNORECASE)
_TTL_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_LEVELS = {"": "", "tinh": "tinh", "huyen": "huyen", "coso": "coso"}


@dataclass(frozen=True)
class MemberId:
    """A person on one channel, as typed `CHANNEL:USER_ID`."""

    channel: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


def parse_member_id(value: str) -> MemberId:
    """Parse `telegram:123456` / `console:boss`; the channel is case-insensitive."""
    channel, sep, external_id = value.strip().partition(":")
    channel, external_id = channel.strip().lower(), external_id.strip()
    valid = (
        sep
        and _CHANNEL.fullmatch(channel)
        and 0 < len(external_id) <= EXTERNAL_ID_MAX
        and external_id.isprintable()
        and not any(char.isspace() for char in external_id)
    )
    if not valid:
        raise UsageError(texts.MEMBER_ID_BAD.format(value=value))
    return MemberId(channel, external_id)


def parse_ttl(value: str) -> timedelta:
    """Parse a lifetime like 7d, 12h or 30m (1 minute to 365 days)."""
    match = _TTL.fullmatch(value.strip())
    if match is None:
        raise UsageError(texts.TTL_BAD.format(value=value))
    ttl = timedelta(**{_TTL_UNITS[match[2].lower()]: int(match[1])})
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise UsageError(texts.TTL_BAD.format(value=value))
    return ttl


def parse_since(value: str, zone: ZoneInfo) -> datetime:
    """Parse YYYY-MM-DD or dd/mm/yyyy as the start of that day in `zone`."""
    start = parse_day(value)
    if start is None:
        raise UsageError(texts.SINCE_BAD.format(value=value))
    return datetime(start.year, start.month, start.day, tzinfo=zone)


def parse_level(value: str | None) -> str:
    """Parse tinh / huyen / coso (also "tỉnh", "huyện", "cơ sở"); None or "" means none."""
    level = _LEVELS.get(fold_word(value or ""))
    if level is None:
        raise UsageError(texts.LEVEL_BAD.format(value=value))
    return level


UNIT_PROBLEMS = {
    "empty": texts.UNIT_EMPTY,
    "too_long": texts.UNIT_TOO_LONG,
    "code_spaces": texts.UNIT_CODE_SPACES,
    "name_hidden": texts.UNIT_NAME_HIDDEN,
}


def check_unit(code: str, name: str) -> tuple[str, str]:
    """Return the stripped unit code and name, refusing empty, spaced or too long ones."""
    code, name = code.strip(), " ".join(name.split())
    problem = unit_problem(code, name)
    if problem is not None:
        raise UsageError(UNIT_PROBLEMS[problem].format(code=code))
    return code, name
