"""Who must be told: recipients of reminders and broadcasts, one SQL statement per question.

Planning reminders for 5,000 units × 60 deadlines must stay within about 2 s, so every
function here is a single SELECT (joins, NOT EXISTS on progress_latest, a recursive CTE
for subtrees) and never loops over units in Python. A recipient always has a chat id
and has not blocked the bot.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.errors import UnitNotFoundError
from storage.models import DEFAULT_DOCUMENT, Member, ProgressLatest, Role, Unit
from storage.queries.completion import Window, incomplete_units
from storage.queries.units import get_unit, subtree_ids
from storage.status import Status

PL = ProgressLatest

#: Joins unit codes in one aggregated string (a control character no code contains).
CODE_SEPARATOR = "\x1f"
#: Roles that receive "leaders" and "unit:CODE" broadcasts.
BROADCAST_LEADER_ROLES = (Role.LEADER.value, Role.ADMIN.value)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One chat to send to: a member on a channel, with their unit (code "" if none)."""

    member_id: int
    channel: str
    chat_id: str
    unit_id: int | None
    unit_code: str
    role: str


def _recipients(*extra: Any) -> Select[Any]:
    """Select reachable members (chat id set, not blocked) with their unit code."""
    return (
        sa_select(
            col(Member.id),
            col(Member.channel),
            col(Member.chat_id),
            col(Member.unit_id),
            func.coalesce(col(Unit.code), ""),
            col(Member.role),
            *extra,
        )
        .select_from(Member)
        .outerjoin(Unit, col(Unit.id) == col(Member.unit_id))
        .where(col(Member.blocked).is_(False), col(Member.chat_id) != "")
    )


def _ordered(query: Select[Any], *more: Any) -> Select[Any]:
    """Order by unit code (no unit first on every backend), then member id."""
    return query.order_by(func.coalesce(col(Unit.code), ""), col(Member.id), *more)


def _leaders() -> list[ColumnElement[bool]]:
    """WHERE terms: role leader, bound to a unit."""
    return [col(Member.role) == Role.LEADER.value, col(Member.unit_id).is_not(None)]


def _done(document: str, task_code: str, unit_id: Any) -> Exists:
    """EXISTS: the unit's latest report on the task says done."""
    return exists().where(
        col(PL.unit_id) == unit_id,
        col(PL.document) == document,
        col(PL.task_code) == task_code,
        col(PL.status) == Status.DONE.value,
    )


def _recipient(row: Any) -> Recipient:
    """Build a recipient from the first six columns of a _recipients() row."""
    member_id, channel, chat_id, unit_id, unit_code, role = row[:6]
    return Recipient(member_id, channel, chat_id, unit_id, unit_code, role)


async def _rows(session: AsyncSession, query: Select[Any]) -> Sequence[Any]:
    """Run a query on the session's connection: plain rows, no ORM loading (twice faster)."""
    connection = await session.connection()
    return (await connection.execute(query)).all()


async def _fetch(session: AsyncSession, query: Select[Any]) -> list[Recipient]:
    """Run a _recipients() query and build the recipients."""
    return [_recipient(row) for row in await _rows(session, query)]


async def leaders_not_done(
    session: AsyncSession, *, task_code: str, document: str = DEFAULT_DOCUMENT
) -> list[Recipient]:
    """Return the leaders of every unit whose latest status on the task is not "done".

    A unit that never reported counts as not done. One statement.
    """
    query = _recipients().where(*_leaders(), ~_done(document, task_code, col(Member.unit_id)))
    return await _fetch(session, _ordered(query))


async def subscribers(
    session: AsyncSession, *, roles: Collection[str] | None = None
) -> list[Recipient]:
    """Return reachable members who asked for reminders (/nhacnho bat), optionally some roles."""
    query = _recipients().where(col(Member.subscribed).is_(True))
    if roles is not None:
        query = query.where(col(Member.role).in_([Role(role).value for role in roles]))
    return await _fetch(session, _ordered(query))


async def overdue_by_parent(
    session: AsyncSession, *, task_code: str, document: str = DEFAULT_DOCUMENT
) -> list[tuple[Recipient, list[str]]]:
    """Return each leader of a parent unit with the codes of its not-done descendants.

    One summary per leader instead of one message per child: only leaders whose subtree
    (children at any depth, not the unit itself) has a not-done unit appear; codes sorted.
    The caller combines this with `leaders_not_done`, which reminds every not-done unit's
    own leaders (leaves included, and a parent unit that is itself not done): a parent's
    leader may get both their own reminder and the summary (merge by member_id if one
    message is wanted). One statement (a recursive CTE from not-done units upwards).
    """
    # Walk up from each not-done unit to its ancestors: every step is a primary-key
    # lookup, so PostgreSQL estimates few rows (walking down from every unit made it
    # expect millions and spend 0.3 s compiling the query with JIT).
    late = (
        sa_select(col(Unit.parent_id).label("ancestor_id"), col(Unit.id).label("unit_id"))
        .where(col(Unit.parent_id).is_not(None), ~_done(document, task_code, col(Unit.id)))
        .cte("late", recursive=True)
    )
    parent = aliased(Unit)
    late = late.union(
        sa_select(col(parent.parent_id), late.c.unit_id)
        .where(col(parent.id) == late.c.ancestor_id)
        .where(col(parent.parent_id).is_not(None))
    )
    descendant = aliased(Unit)
    codes = func.aggregate_strings(col(descendant.code), CODE_SEPARATOR)
    query = (
        _recipients(codes)
        .join(late, late.c.ancestor_id == col(Member.unit_id))
        .join(descendant, col(descendant.id) == late.c.unit_id)
        .where(*_leaders())
        .group_by(*_recipients().selected_columns, col(Unit.code))
    )
    return [
        (_recipient(row), sorted(row[6].split(CODE_SEPARATOR)))
        for row in await _rows(session, _ordered(query))
    ]


#: The broadcast audiences by name; a unit's subtree is "unit:CODE".
AUDIENCES = ("all", "leaders", "incomplete")
UNIT_AUDIENCE = "unit:"


@dataclass(frozen=True)
class Reporting:
    """What "incomplete" is measured against: the period's window and the tasks that count."""

    window: Window
    task_codes: tuple[str, ...]
    document: str = DEFAULT_DOCUMENT


async def audience(
    session: AsyncSession, *, audience: str, reporting: Reporting | None = None
) -> list[Recipient]:
    """Return the recipients of a broadcast (the one definition chat, CLI and web share).

    "all": every reachable member; "leaders": leaders and admins bound to a unit;
    "unit:CODE": leaders and admins of that unit and its whole subtree; "incomplete":
    leaders and admins of the units incomplete for `reporting`'s period (exempt units
    left out, as `incomplete_units` does). Raises UnitNotFoundError for an unknown unit,
    ValueError for anything else (or "incomplete" without `reporting`).
    """
    query = _recipients()
    if audience == "all":
        return await _fetch(session, _ordered(query))
    if audience not in AUDIENCES and not audience.startswith(UNIT_AUDIENCE):
        raise ValueError(f"unknown audience {audience!r}: all, leaders, incomplete or unit:CODE")
    query = query.where(
        col(Member.role).in_(BROADCAST_LEADER_ROLES), col(Member.unit_id).is_not(None)
    )
    if audience.startswith(UNIT_AUDIENCE):
        code = audience.removeprefix(UNIT_AUDIENCE).strip()
        unit = await get_unit(session, code=code) if code else None
        if unit is None or unit.id is None:
            raise UnitNotFoundError(code)
        query = query.where(col(Member.unit_id).in_(subtree_ids(unit.id)))
    people = await _fetch(session, _ordered(query))
    if audience != "incomplete":
        return people
    if reporting is None:
        raise ValueError("the incomplete audience needs the reporting period")
    missing = await incomplete_units(
        session,
        window=reporting.window,
        task_codes=reporting.task_codes,
        unit_ids={p.unit_id for p in people if p.unit_id is not None},
        document=reporting.document,
    )
    return [p for p in people if p.unit_id in missing]


async def count_recipients_for_plan(
    session: AsyncSession, *, task_codes: Sequence[str], document: str = DEFAULT_DOCUMENT
) -> dict[str, int]:
    """Return, per task, how many leaders `leaders_not_done` would return (SQL counts only).

    Two statements whatever the number of tasks: all reachable leaders, minus those whose
    unit is done, grouped by task.
    """
    if not task_codes:
        return {}
    reachable = _recipients().where(*_leaders()).subquery()
    total = int(await session.scalar(sa_select(func.count()).select_from(reachable)) or 0)
    done_query = (
        sa_select(col(PL.task_code), func.count(col(Member.id)))
        .select_from(Member)
        .join(PL, col(PL.unit_id) == col(Member.unit_id))
        .where(*_leaders(), col(Member.blocked).is_(False), col(Member.chat_id) != "")
        .where(col(PL.document) == document, col(PL.task_code).in_(list(task_codes)))
        .where(col(PL.status) == Status.DONE.value)
        .group_by(col(PL.task_code))
    )
    done = {code: int(number) for code, number in (await session.execute(done_query)).all()}
    return {code: total - done.get(code, 0) for code in task_codes}


async def leaders_of_incomplete_units(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
) -> list[tuple[Recipient, list[str]]]:
    """Return each reachable leader whose unit is incomplete for the period, with the
    unit's missing task codes (complete and exempt units are left out; period reminders).

    Two statements: the leaders, then the reported tasks of their units.
    """
    leaders = await reachable_leaders(session)
    units = {person.unit_id for person in leaders if person.unit_id is not None}
    missing = await incomplete_units(
        session, window=window, task_codes=task_codes, unit_ids=units, document=document
    )
    return [
        (person, missing[person.unit_id])
        for person in leaders
        if person.unit_id is not None and person.unit_id in missing
    ]


async def reachable_leaders(session: AsyncSession) -> list[Recipient]:
    """Return every reachable leader bound to a unit, by unit code."""
    return await _fetch(session, _ordered(_recipients().where(*_leaders())))


async def leaders_of_parents(
    session: AsyncSession, *, parent_ids: Collection[int]
) -> list[Recipient]:
    """Return the reachable leaders of the given units (escalation digests), by unit code."""
    if not parent_ids:
        return []
    query = _recipients().where(*_leaders(), col(Member.unit_id).in_(sorted(parent_ids)))
    return await _fetch(session, _ordered(query))
