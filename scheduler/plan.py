"""When reminders are due: offsets before a deadline, overdue repeats, reporting periods,
and the quiet hours (and holidays) nothing is delivered in. Pure functions of times; no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_SPAN = re.compile(r"(\d{1,4})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_span(text: str) -> timedelta:
    """Return '30d', '12h' or '15m' as a timedelta; ValueError otherwise."""
    match = _SPAN.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"not a time span: {text!r} (e.g. 30d, 12h, 15m)")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def parse_offsets(text: str) -> list[tuple[str, timedelta]]:
    """Return '30d,7d,1d,0d' as (label, span) pairs, largest first, without repeats."""
    spans = {label.strip().lower(): parse_span(label) for label in text.split(",") if label.strip()}
    if not spans:
        raise ValueError("no reminder offsets given")
    return sorted(spans.items(), key=lambda item: item[1], reverse=True)


def parse_clock_time(text: str) -> time:
    """Return 'HH:MM' as a time; ValueError otherwise."""
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a time of day: {text!r} (e.g. 08:00)")
    return time(int(match[1]), int(match[2]))


def local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    """Return the aware UTC moment of a local date and time."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_times(
    due_at: datetime, offsets: list[tuple[str, timedelta]]
) -> list[tuple[str, datetime]]:
    """Return (offset label, fire time) for each reminder before a deadline."""
    return [(label, due_at - span) for label, span in offsets]


def overdue_times(due_at: datetime, every: timedelta, within: timedelta) -> list[datetime]:
    """Return the times of the overdue reminders: every `every` after due, for `within`."""
    times, moment = [], due_at + every
    while moment <= due_at + within:
        times.append(moment)
        moment += every
    return times


@dataclass(frozen=True)
class PeriodEnd:
    """A reporting period that ends on `end` (the shortest one ending that day)."""

    end: date
    since: date  # first day of that period
    kinds: tuple[str, ...]  # every period ending that day: quarter, half_year, year


def period_ends(kinds: set[str], start: date, until: date) -> list[PeriodEnd]:
    """Return the ends of the given reporting periods between start and until."""
    out = []
    for year in range(start.year, until.year + 1):
        for month in (3, 6, 9, 12):
            end = _month_end(year, month)
            ending = [k for k in ("quarter", "half_year", "year") if k in kinds and _ends(k, month)]
            if ending and start <= end <= until:
                out.append(PeriodEnd(end, _period_start(ending[0], year, month), tuple(ending)))
    return out


def escalation_times(
    kinds: set[str], today: date, after: timedelta, at: time, zone: tzinfo, horizon: int = 400
) -> list[tuple[datetime, date]]:
    """Return (fire time, period end) of each escalation digest still to come or just due:
    `after` past the reminder time of each reporting period's last day."""
    start = today - after - timedelta(days=1)
    ends = period_ends(kinds, start, today + timedelta(days=horizon))
    return [(local_moment(end.end, at, zone) + after, end.end) for end in ends]


def weekly_digest_times(
    today: date, at: time, zone: tzinfo, weeks: int = 2
) -> list[tuple[datetime, date]]:
    """Return (fire time, day) of the admins' weekly digest: the next `weeks` Mondays."""
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    days = [monday + timedelta(weeks=n) for n in range(weeks)]
    return [(local_moment(day, at, zone), day) for day in days]


def _ends(kind: str, month: int) -> bool:
    return kind == "quarter" or (kind == "half_year" and month in (6, 12)) or month == 12


def _period_start(kind: str, year: int, month: int) -> date:
    span = {"quarter": 3, "half_year": 6, "year": 12}[kind]
    return date(year, month - span + 1, 1)


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class QuietHours:
    """Local hours (and optionally weekends) in which nothing is delivered."""

    start: time
    end: time
    zone: tzinfo
    skip_weekends: bool = False
    holidays: frozenset[date] = frozenset()  # local days nothing is delivered (public holidays)

    @classmethod
    def parse(
        cls,
        text: str,
        zone: tzinfo,
        skip_weekends: bool = False,
        holidays: frozenset[date] = frozenset(),
    ) -> QuietHours:
        """Return quiet hours from '21:00-07:00'."""
        first, _, last = text.partition("-")
        return cls(parse_clock_time(first), parse_clock_time(last), zone, skip_weekends, holidays)

    def is_quiet(self, moment: datetime) -> bool:
        """Tell whether nothing may be delivered at `moment`."""
        local = moment.astimezone(self.zone)
        if self.skip_weekends and local.weekday() >= 5:
            return True
        if local.date() in self.holidays:
            return True
        now = local.time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_open(self, moment: datetime) -> datetime:
        """Return the first moment at or after `moment` that is not quiet."""
        local = moment.astimezone(self.zone)
        for _ in range(40):  # a Tết break beside a weekend is ~9 days of two steps each
            if not self.is_quiet(local):
                return local.astimezone(UTC)
            morning = datetime.combine(local.date(), self.end, tzinfo=self.zone)
            local = morning if morning > local else morning + timedelta(days=1)
        return local.astimezone(UTC)
