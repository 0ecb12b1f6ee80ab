"""Recipients: who is reminded of what, and each question answered in one SQL statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from knowledge.periods import period_of
from storage.engine import session_factory
from storage.errors import UnitNotFoundError
from storage.models import Member, ProgressUpdate, Unit
from storage.queries.completion import Window
from storage.queries.members import bind_member, set_blocked, set_subscribed
from storage.queries.progress import add_update
from storage.queries.recipients import (
    Recipient,
    Reporting,
    audience,
    count_recipients_for_plan,
    leaders_not_done,
    leaders_of_incomplete_units,
    overdue_by_parent,
    subscribers,
)
from tests.storage.helpers import make_member, make_tree, unit_id

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
DOC = "09-KL/BTCTW"

#: member external id → (unit code or None, role)
PEOPLE: dict[str, tuple[str | None, str]] = {
    "t": ("T", "leader"),
    "h1": ("H1", "leader"),
    "x1": ("X1", "leader"),
    "x2": ("X2", "leader"),
    "x2b": ("X2", "leader"),  # blocked the bot
    "x3": ("X3", "leader"),
    "m": ("X3", "member"),
    "adm": ("T", "admin"),
    "u": (None, "member"),  # wrote to the bot, never joined a unit
}


async def _setup(session: AsyncSession) -> dict[str, int]:
    """Build the tree, the people and reports on "3.3"; return unit ids by code.

    3.3: X1 done; X2 done then stuck (stuck wins); H1 done; T, H2, X3 never reported.
    Reports since T0: only X2's "stuck".
    """
    units = {code: unit_id(unit) for code, unit in (await make_tree(session)).items()}
    for external_id, (code, role) in PEOPLE.items():
        member = await make_member(session, external_id)
        assert member.id is not None
        if code is not None:
            await bind_member(
                session, member_id=member.id, unit_id=units[code], role=role, actor="cli"
            )
        if external_id == "x2b":
            await set_blocked(session, member_id=member.id)
    for code, status, at in (
        ("X1", "hoan_thanh", T0 - timedelta(days=10)),
        ("X2", "hoan_thanh", T0 - timedelta(days=9)),
        ("X2", "vuong_mac", T0 + timedelta(days=1)),
        ("H1", "hoan_thanh", T0 - timedelta(days=5)),
    ):
        await add_update(
            session, unit_id=units[code], task_code="3.3", status=status, reported_at=at
        )
    await add_update(  # another document's report never counts
        session, unit_id=units["X3"], task_code="3.3", status="hoan_thanh", document="35-KL/TW"
    )
    return units


def chats(recipients: list[Recipient]) -> list[str]:
    """Return the chat ids (= external ids here), in the order given."""
    return [recipient.chat_id for recipient in recipients]


async def test_leaders_of_units_not_done_latest_report_wins(session: AsyncSession) -> None:
    units = await _setup(session)
    recipients = await leaders_not_done(session, document=DOC, task_code="3.3")
    assert chats(recipients) == ["t", "x2", "x3"]
    x2 = recipients[1]
    assert (x2.channel, x2.unit_id, x2.unit_code, x2.role) == (
        "telegram",
        units["X2"],
        "X2",
        "leader",
    )
    # nobody reported on "1": every reachable leader is reminded
    assert chats(await leaders_not_done(session, task_code="1")) == ["h1", "t", "x1", "x2", "x3"]
    counts = await count_recipients_for_plan(session, document=DOC, task_codes=["3.3", "1"])
    assert counts == {"3.3": 3, "1": 5}
    assert await count_recipients_for_plan(session, task_codes=[]) == {}


async def test_parent_leaders_get_one_summary_of_their_not_done_subtree(
    session: AsyncSession,
) -> None:
    units = await _setup(session)
    summaries = await overdue_by_parent(session, document=DOC, task_code="3.3")
    assert [(r.chat_id, r.unit_code, codes) for r, codes in summaries] == [
        ("h1", "H1", ["X2"]),
        ("t", "T", ["H2", "X2", "X3"]),
    ]
    # once H1's children are done, H1's leader has nothing to hear about
    await add_update(
        session,
        unit_id=units["X2"],
        task_code="3.3",
        status="hoan_thanh",
        reported_at=T0 + timedelta(days=2),
    )
    summaries = await overdue_by_parent(session, document=DOC, task_code="3.3")
    assert [(r.chat_id, codes) for r, codes in summaries] == [("t", ["H2", "X3"])]


async def test_broadcast_audiences(session: AsyncSession) -> None:
    await _setup(session)
    assert chats(await audience(session, audience="unit:H1")) == ["h1", "x1", "x2"]
    assert chats(await audience(session, audience="unit:X3")) == ["x3"]
    assert chats(await audience(session, audience="leaders")) == [
        "h1",
        "t",
        "adm",
        "x1",
        "x2",
        "x3",
    ]
    everyone = await audience(session, audience="all")
    assert chats(everyone) == ["u", "h1", "t", "adm", "x1", "x2", "x3", "m"]
    assert everyone[0].unit_id is None and everyone[0].unit_code == ""
    for unknown in ("unit:NOPE", "unit:"):
        with pytest.raises(UnitNotFoundError):
            await audience(session, audience=unknown)
    with pytest.raises(ValueError, match="audience"):
        await audience(session, audience="everyone")


async def test_the_incomplete_audience_is_the_leaders_of_units_missing_a_task(
    session: AsyncSession,
) -> None:
    await _setup(session)
    window = Window.of(period_of(T0.date()), UTC, now=T0 + timedelta(days=3))
    reporting = Reporting(window, ("3.3",), DOC)
    # X1, H1 and X2 reported 3.3 this quarter (X2's "vướng mắc" too); the admin leads T
    late = await audience(session, audience="incomplete", reporting=reporting)
    assert chats(late) == ["t", "adm", "x3"]
    assert chats(await audience(session, audience="leaders", reporting=reporting)) == [
        "h1",
        "t",
        "adm",
        "x1",
        "x2",
        "x3",
    ]
    with pytest.raises(ValueError, match="period"):
        await audience(session, audience="incomplete")


async def test_subscribers_are_reachable_members_who_opted_in(session: AsyncSession) -> None:
    await _setup(session)
    assert await subscribers(session) == []  # nobody asked for general reminders yet
    for external_id in ("u", "m", "x1"):
        member = await session.scalar(select(Member).where(Member.external_id == external_id))
        assert member is not None and member.id is not None
        await set_subscribed(session, member_id=member.id, subscribed=True, actor="telegram:u")
    assert sorted(chats(await subscribers(session))) == ["m", "u", "x1"]
    assert sorted(chats(await subscribers(session, roles=["member"]))) == ["m", "u"]


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Record the SQL statements sent through `engine` inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _bulk_tree(session: AsyncSession, districts: int, communes: int) -> None:
    """Insert 1 province, `districts` districts and `communes` communes, one leader each.

    Every third commune reported "3.3" done; the rest did not report.
    """
    unit, member = Unit.__table__, Member.__table__  # type: ignore[attr-defined]

    async def add_units(rows: list[dict[str, Any]]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            ids += (await session.scalars(insert(unit).values(chunk).returning(unit.c.id))).all()
        return ids

    def unit_row(code: str, parent_id: int | None) -> dict[str, Any]:
        return {"code": code, "name": code, "level": "", "parent_id": parent_id, "created_at": T0}

    [province] = await add_units([unit_row("P", None)])
    district_ids = await add_units([unit_row(f"D{n:03}", province) for n in range(districts)])
    commune_ids = await add_units(
        [unit_row(f"C{n:05}", district_ids[n % districts]) for n in range(communes)]
    )
    people = [
        {
            "channel": "telegram",
            "external_id": str(uid),
            "chat_id": str(uid),
            "display_name": "",
            "role": "leader",
            "unit_id": uid,
            "subscribed": True,
            "blocked": False,
            "created_at": T0,
            "last_seen_at": T0,
        }
        for uid in [province, *district_ids, *commune_ids]
    ]
    for start in range(0, len(people), 1000):
        await session.execute(insert(member).values(people[start : start + 1000]))
    reports = [
        {"unit_id": uid, "document": DOC, "task_code": "3.3", "status": "hoan_thanh"}
        | {"note": "", "reported_at": T0}
        for uid in commune_ids[::3]
    ]
    await session.execute(insert(ProgressUpdate.__table__), reports)  # type: ignore[attr-defined]
    await session.commit()


async def test_planning_over_5000_units_is_one_statement_per_question(
    engine: AsyncEngine,
) -> None:
    async with session_factory(engine)() as session:
        await _bulk_tree(session, districts=50, communes=4949)
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    async with session_factory(engine)() as session:
        with statements(engine) as seen:
            not_done = await leaders_not_done(session, document=DOC, task_code="3.3")
        assert len(seen) == 1
        assert len(not_done) == 5000 - 1650  # 1,650 communes done
        with statements(engine) as seen:
            summaries = await overdue_by_parent(session, document=DOC, task_code="3.3")
        assert len(seen) == 1
        assert len(summaries) == 51  # the province and every district
        province = next(codes for r, codes in summaries if r.unit_code == "P")
        assert len(province) == 50 + 4949 - 1650
        with statements(engine) as seen:
            counts = await count_recipients_for_plan(session, task_codes=["3.3", "1"])
        assert len(seen) == 2 and counts == {"3.3": 3350, "1": 5000}
        window = Window.of(period_of(T0.date()), UTC, now=T0)
        with statements(engine) as seen:
            late = await leaders_of_incomplete_units(session, window=window, task_codes=["3.3"])
        assert len(seen) == 5 and len(late) == 3350  # leaders, scope, exempt, pairs, units
        assert all(missing == ["3.3"] for _, missing in late)
