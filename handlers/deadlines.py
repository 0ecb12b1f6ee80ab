"""Texts for the directive's deadlines and reporting rhythm (/hanchot)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    done: Mapping[str, date] | None = None,
) -> str:
    """Return every deadline with its status (upcoming first, then past), then the periods.

    `done` maps the codes of tasks the sender's unit reported done to the day it did:
    those deadlines say "đã hoàn thành (dd/mm/yyyy)", never "quá hạn".
    """
    if not deadlines:
        return texts.NO_DEADLINES
    header = texts.DEADLINES_HEADER.format(document=document, today=texts.format_date(today))
    lines = [header]
    for deadline in in_order([d for d in deadlines if d.kind != "period"], today):
        lines += ["", *_dated_lines(deadline, today, title_of, done or {})]
    periods = [d for d in deadlines if d.kind == "period"]
    if periods:
        lines += ["", *_period_lines(periods)]
    return "\n".join(lines)


def in_order(deadlines: list[Deadline], today: date) -> list[Deadline]:
    """Return the deadlines due today or later (soonest first), then the past (latest first).

    Undated ones go last, in the document's order.
    """
    upcoming = sorted((d for d in deadlines if d.due and d.due >= today), key=_due)
    past = sorted((d for d in deadlines if d.due and d.due < today), key=_due, reverse=True)
    return [*upcoming, *past, *(d for d in deadlines if d.due is None)]


def _due(deadline: Deadline) -> date:
    """Return a dated deadline's day (sort key)."""
    assert deadline.due is not None
    return deadline.due


def _dated_lines(
    deadline: Deadline, today: date, title_of: Callable[[str], str], done: Mapping[str, date]
) -> list[str]:
    """Return the lines of one dated deadline: task, phrase and status, target."""
    code = deadline.task_code
    if code:
        first = texts.DEADLINE_TASK.format(code=code, title=shorten(title_of(code), TITLE))
    else:
        first = texts.DEADLINE_GENERAL
    if deadline.due is None:
        second = texts.DEADLINE_UNDATED.format(phrase=deadline.phrase)
    else:
        finished = done.get(code) if code else None
        status = (
            texts.DEADLINE_DONE.format(day=texts.format_date(finished))
            if finished
            else deadline_status(deadline.due, today)
        )
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
