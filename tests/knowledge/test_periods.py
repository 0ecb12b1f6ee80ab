"""Reporting periods: quarters, their bounds and names."""

from datetime import date

from knowledge.periods import Period, last_periods, parse_period, period_of


def test_a_date_falls_in_its_quarter_with_inclusive_bounds() -> None:
    assert period_of(date(2026, 11, 30)) == Period(2026, 4)
    assert period_of(date(2026, 3, 31)) == Period(2026, 1)
    assert period_of(date(2026, 4, 1)) == Period(2026, 2)
    q1 = Period(2024, 1)
    assert (q1.start, q1.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert Period(2024, 4).end == date(2024, 12, 31)
    assert q1.contains(date(2024, 3, 31)) and not q1.contains(date(2024, 4, 1))


def test_labels_are_the_ones_the_committee_uses() -> None:
    assert Period(2026, 4).label == "quý IV/2026"
    assert Period(2026, 4).closes_year and Period(2026, 2).closes_half_year
    assert not Period(2026, 3).closes_half_year


def test_last_periods_cross_the_year_oldest_first() -> None:
    assert last_periods(date(2027, 2, 1), 4) == [
        Period(2026, 2),
        Period(2026, 3),
        Period(2026, 4),
        Period(2027, 1),
    ]


def test_keys_round_trip_and_junk_is_refused() -> None:
    assert parse_period(Period(2030, 3).key) == Period(2030, 3)
    for junk in ("", "2026", "2026Q5", "26Q1", "Q1", "2026Q", "abcdQ1"):
        assert parse_period(junk) is None
