"""Who must report, as an admin types it: the pure parsers shared by the chat commands
(/phamvi, /mien: handlers/who_reports.py) and the CLI (`tasks scope`, `units exempt`:
bot/commands/scope.py). Each raises `BadInput(kind, value)`; each surface words it in its
own texts (handlers/texts.py, bot/cli_texts.py)."""

from __future__ import annotations

from datetime import date

from handlers.inputs import fold_word, parse_day
from storage.models import Level

#: Level names an admin may type (folded) → the stored level.
LEVELS = {"tw": "tw", "trunguong": "tw", "tinh": "tinh", "huyen": "huyen", "coso": "coso"}
REASON_MAX = 255  # characters of an exemption's reason (the column)
ID_DIGITS = 9  # an exemption number longer than this is not one


class BadInput(ValueError):
    """Input refused: `kind` says what was wrong ("level", "units", "day", "span",
    "reason", "id"), `value` the offending text."""

    def __init__(self, kind: str, value: str = "") -> None:
        super().__init__(kind, value)
        self.kind = kind
        self.value = value


def level_of(word: str) -> str | None:
    """Return the stored level a typed word names ("tỉnh", "Trung ương"…), or None."""
    level = LEVELS.get(fold_word(word))
    return Level(level).value if level else None


def parse_levels(value: str) -> list[str]:
    """Parse "tw,tinh" (diacritics and case ignored); refuse an unknown level."""
    out = []
    for part in value.split(","):
        level = level_of(part)
        if level is None:
            raise BadInput("level", part.strip())
        out.append(level)
    return sorted(set(out))


def parse_unit_codes(value: str) -> list[str]:
    """Parse "HU-TP,HU-AN" into unit codes; refuse an empty list."""
    codes = [code.strip() for code in value.split(",") if code.strip()]
    if not codes:
        raise BadInput("units", value)
    return codes


def parse_span(first: str, last: str) -> tuple[date, date]:
    """Parse an exemption's first and last day (dd/mm/yyyy or YYYY-MM-DD), in order."""
    start, end = parse_day(first), parse_day(last)
    if start is None:
        raise BadInput("day", first)
    if end is None:
        raise BadInput("day", last)
    if end < start:
        raise BadInput("span")
    return start, end


def clean_reason(value: str) -> str:
    """Return the reason on one line; refuse an empty or too long one."""
    reason = " ".join(value.split())
    if not reason or len(reason) > REASON_MAX:
        raise BadInput("reason", value)
    return reason


def parse_exemption_id(value: str) -> int:
    """Parse an exemption's number ("12" or "#12")."""
    text = value.strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > ID_DIGITS:
        raise BadInput("id", value)
    return int(text)
