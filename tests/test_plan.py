"""When reminders are due and when they may be delivered (scheduler/plan.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.clock import Clock
from scheduler.plan import (
    QuietHours,
    escalation_times,
    local_moment,
    overdue_times,
    parse_offsets,
    period_ends,
    reminder_times,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours.parse("21:00-07:00", VN)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN)


def test_offsets_are_parsed_largest_first_without_repeats() -> None:
    assert parse_offsets("1d, 30d,7d,0d,1d") == [
        ("30d", timedelta(days=30)),
        ("7d", timedelta(days=7)),
        ("1d", timedelta(days=1)),
        ("0d", timedelta(0)),
    ]
    with pytest.raises(ValueError):
        parse_offsets("30 ngày")


def test_reminders_fall_before_the_due_time() -> None:
    due = local_moment(date(2026, 12, 15), time(8), VN)
    assert [t.astimezone(VN) for _, t in reminder_times(due, parse_offsets("7d,0d"))] == [
        at(8, 8),
        at(15, 8),
    ]


def test_overdue_reminders_repeat_for_a_limited_time() -> None:
    due = at(1, 8)
    times = overdue_times(due, timedelta(days=7), timedelta(days=90))
    assert len(times) == 12 and times[0] == at(8, 8) and times[-1] <= due + timedelta(days=90)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (at(1, 20, 59), False),
        (at(1, 21), True),
        (at(1, 23, 30), True),
        (at(2, 6, 59), True),
        (at(2, 7), False),
    ],
)
def test_quiet_hours_cross_midnight(moment: datetime, quiet: bool) -> None:
    assert QUIET.is_quiet(moment) is quiet


def test_a_message_due_at_night_goes_at_seven() -> None:
    assert QUIET.next_open(at(1, 22, 30)).astimezone(VN) == at(2, 7)
    assert QUIET.next_open(at(2, 6, 0)).astimezone(VN) == at(2, 7)
    assert QUIET.next_open(at(2, 9, 0)).astimezone(VN) == at(2, 9)


def test_weekends_can_be_skipped() -> None:
    quiet = QuietHours.parse("21:00-07:00", VN, skip_weekends=True)
    saturday_noon = datetime(2026, 12, 5, 12, tzinfo=VN)
    assert quiet.next_open(saturday_noon).astimezone(VN) == datetime(2026, 12, 7, 7, tzinfo=VN)


def test_reporting_periods_end_with_quarters_half_years_and_years() -> None:
    ends = period_ends({"quarter", "half_year", "year"}, date(2026, 1, 1), date(2026, 12, 31))
    assert [(e.end, e.since, e.kinds) for e in ends] == [
        (date(2026, 3, 31), date(2026, 1, 1), ("quarter",)),
        (date(2026, 6, 30), date(2026, 4, 1), ("quarter", "half_year")),
        (date(2026, 9, 30), date(2026, 7, 1), ("quarter",)),
        (date(2026, 12, 31), date(2026, 10, 1), ("quarter", "half_year", "year")),
    ]
    only_years = period_ends({"year"}, date(2026, 1, 1), date(2026, 12, 31))
    assert [(e.end, e.since) for e in only_years] == [(date(2026, 12, 31), date(2026, 1, 1))]


def test_a_shifted_clock_runs_at_real_speed() -> None:
    start = datetime(2030, 1, 1, 22, 29, tzinfo=VN)
    clock = Clock(start)
    assert abs((clock.now() - start).total_seconds()) < 1
    real = clock.to_real(start + timedelta(minutes=1))
    assert abs((real - datetime.now(UTC)).total_seconds() - 60) < 1


@pytest.mark.parametrize("after", [timedelta(days=3), timedelta(days=5, hours=2)])
def test_escalation_fires_escalate_after_past_each_period_end(after: timedelta) -> None:
    today = date(2026, 11, 20)
    times = escalation_times({"quarter", "half_year", "year"}, today, after, time(8), VN)
    end_of_q4 = datetime(2026, 12, 31, 8, 0, tzinfo=VN)
    assert times[0] == (end_of_q4 + after, date(2026, 12, 31))  # one digest per period end
    assert [end for _, end in times[:3]] == [
        date(2026, 12, 31),
        date(2027, 3, 31),
        date(2027, 6, 30),
    ]
    # still listed while just due (the job fires late after a restart), gone once past
    due = escalation_times({"quarter"}, date(2027, 1, 3), timedelta(days=3), time(8), VN)
    assert due[0][1] == date(2026, 12, 31)
    later = escalation_times({"quarter"}, date(2027, 1, 5), timedelta(days=3), time(8), VN)
    assert later[0][1] == date(2027, 3, 31)
