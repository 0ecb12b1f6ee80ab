"""Public holidays: reminders falling on one go out on the next working day.

The bundled file (`scheduler/data/holidays-vn.tsv`, Vietnam 2024-2030 with Tết) or a
deployment's own, named by the HOLIDAYS_FILE setting ("off" for none).
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

BUNDLED = Path(__file__).with_name("data") / "holidays-vn.tsv"
OFF = frozenset({"off", "none", "0", "false"})


def parse_holidays(text: str) -> frozenset[date]:
    """Return the days of a holiday file: "YYYY-MM-DD<TAB>name" lines, "#" comments.

    ValueError (naming the line) for a line that is not a date.
    """
    days = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        first = line.split(maxsplit=1)[0]
        try:
            days.add(date.fromisoformat(first))
        except ValueError:
            raise ValueError(f"holiday file line {number}: not a date: {first!r}") from None
    return frozenset(days)


@functools.lru_cache(maxsize=8)
def load_holidays(setting: str) -> frozenset[date]:
    """Return the holidays the HOLIDAYS_FILE setting names ("" the bundled file, "off" none);
    read once per process (the settings' check and every schedule share it)."""
    value = setting.strip()
    if value.lower() in OFF:
        return frozenset()
    path = Path(value) if value else BUNDLED
    return parse_holidays(path.read_text(encoding="utf-8"))
