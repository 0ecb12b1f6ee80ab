"""Reporting periods: the directive asks for reports "hàng quý, 6 tháng và cả năm".

The period in force is the calendar quarter; half-year and year ends coincide with
quarter ends. Pure date arithmetic: no clock, no time zone (callers pass the users'
local date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

_ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar quarter, e.g. Period(2026, 4) = quý IV/2026."""

    year: int
    quarter: int  # 1..4

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1..4, not {self.quarter}")

    @property
    def start(self) -> date:
        """Return the first day of the quarter."""
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        """Return the last day of the quarter."""
        return self.next().start - timedelta(days=1)

    @property
    def label(self) -> str:
        """Return the Vietnamese name, e.g. "quý IV/2026"."""
        return f"quý {_ROMAN[self.quarter - 1]}/{self.year}"

    @property
    def key(self) -> str:
        """Return a stable short key, e.g. "2026Q4" (for payloads and files)."""
        return f"{self.year}Q{self.quarter}"

    @property
    def closes_half_year(self) -> bool:
        """Return True when the quarter also ends a half-year (Q2, Q4)."""
        return self.quarter in (2, 4)

    @property
    def closes_year(self) -> bool:
        """Return True when the quarter also ends the year (Q4)."""
        return self.quarter == 4

    def contains(self, day: date) -> bool:
        """Return True when `day` falls in the quarter."""
        return self.start <= day <= self.end

    def next(self) -> Period:
        """Return the following quarter."""
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )

    def previous(self) -> Period:
        """Return the quarter before."""
        return (
            Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)
        )


def period_of(day: date) -> Period:
    """Return the quarter `day` falls in."""
    return Period(day.year, (day.month - 1) // 3 + 1)


def last_periods(day: date, count: int) -> list[Period]:
    """Return the `count` quarters up to and including `day`'s, oldest first."""
    periods = [period_of(day)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


def parse_period(key: str) -> Period | None:
    """Parse "2026Q4" (as made by `Period.key`); None when malformed."""
    year, sep, quarter = key.strip().upper().partition("Q")
    if not sep or not year.isdigit() or quarter not in ("1", "2", "3", "4") or len(year) != 4:
        return None
    return Period(int(year), int(quarter))
