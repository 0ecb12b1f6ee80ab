"""Texts for the directive's deadlines and reporting rhythm (/hanchot)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from handlers import texts
from handlers.render import shorten
from knowledge import Deadline

TITLE = 120  # characters of a task title in the list


def deadline_status(due: date, today: date) -> str:
    """Return "còn N ngày", "hết hạn hôm nay" or "đã quá hạn N ngày"."""
    days = (due - today).days
    if days > 0:
        return texts.DAYS_LEFT.format(days=days)
    if days == 0:
        return texts.DUE_TODAY
    return texts.OVERDUE.format(days=-days)


def format_deadlines(
    deadlines: list[Deadline],
    *,
    today: date,
    document: str,
    title_of: Callable[[str], str],
) -> str:
    """Return every deadline with its status, then the reporting periods."""
    if not deadlines:
        return texts.NO_DEADLINES
    header = texts.DEADLINES_HEADER.format(document=document, today=texts.format_date(today))
    lines = [header]
    for deadline in (d for d in deadlines if d.kind != "period"):
        lines += ["", *_dated_lines(deadline, today, title_of)]
    periods = [d for d in deadlines if d.kind == "period"]
    if periods:
        lines += ["", *_period_lines(periods)]
    return "\n".join(lines)


def _dated_lines(deadline: Deadline, today: date, title_of: Callable[[str], str]) -> list[str]:
    """Return the lines of one dated deadline: task, phrase and status, target."""
    code = deadline.task_code
    if code:
        first = texts.DEADLINE_TASK.format(code=code, title=shorten(title_of(code), TITLE))
    else:
        first = texts.DEADLINE_GENERAL
    if deadline.due is None:
        second = texts.DEADLINE_UNDATED.format(phrase=deadline.phrase)
    else:
        status = deadline_status(deadline.due, today)
        due = texts.format_date(deadline.due)
        second = texts.DEADLINE_LINE.format(phrase=deadline.phrase, due=due, status=status)
    lines = [first, second]
    if deadline.target:
        lines.append(texts.DEADLINE_TARGET.format(target=deadline.target))
    return lines


def _period_lines(periods: list[Deadline]) -> list[str]:
    """Return the reporting rhythm, one line per phrase of the directive."""
    names: dict[str, list[str]] = {}
    for deadline in periods:
        name = texts.PERIOD_NAMES.get(deadline.period, deadline.period or "?")
        names.setdefault(deadline.phrase, []).append(name)
    return [
        texts.PERIOD_LINE.format(period=", ".join(found), phrase=phrase)
        for phrase, found in names.items()
    ]
