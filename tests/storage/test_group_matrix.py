"""Each unit's period standing for the dashboard's matrix: the same truth as `completion()`
(narrowed tasks, exempt units, done before the period, a closed period read from the log)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.periods import Period
from storage.queries.applicability import add_exemption, set_task_scope
from storage.queries.completion import Window, completion
from storage.queries.group_matrix import standings
from storage.queries.matrix import units_in_tree_order
from storage.queries.progress import add_update
from tests.storage.helpers import make_tree, unit_id

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
TASKS = ["1", "2", "3"]
Q3, Q4 = Period(2026, 3), Period(2026, 4)


async def seed(session: AsyncSession) -> dict[str, int]:
    """H1: 1 done last quarter, 2 in progress now; X1: 2 in progress last quarter only;
    X2 exempt; task 3 narrowed to X1 alone."""
    units = {code: unit_id(unit) for code, unit in (await make_tree(session)).items()}
    at = {"q3": datetime(2026, 8, 1, 9, tzinfo=VN), "q4": datetime(2026, 11, 2, 9, tzinfo=VN)}
    for code, task, status, when in (
        ("H1", "1", "hoan_thanh", "q3"),
        ("H1", "2", "dang_thuc_hien", "q4"),
        ("X1", "2", "dang_thuc_hien", "q3"),
    ):
        await add_update(
            session,
            unit_id=units[code],
            task_code=task,
            status=status,
            reported_at=at[when],
            document="09-KL/BTCTW",
        )
    await set_task_scope(session, task_code="3", actor="t", unit_ids=[units["X1"]])
    await add_exemption(
        session,
        unit_id=units["X2"],
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        reason="x",
        actor="t",
    )
    return units


async def test_standings_agree_with_completion(session: AsyncSession) -> None:
    units = await seed(session)
    window = Window.of(Q4, VN, now=NOW)
    tree = await units_in_tree_order(session, root_id=None)
    rows = {
        row.unit.code: row
        for row in await standings(session, window=window, units=tree, task_codes=TASKS)
    }
    h1, x1 = rows["H1"], rows["X1"]
    assert (set(h1.done), set(h1.reported), set(h1.applicable)) == ({"1"}, {"2"}, {"1", "2"})
    assert (set(x1.done), set(x1.reported), set(x1.applicable)) == (set(), set(), set(TASKS))
    assert rows["X2"].exempt and not rows["X2"].applicable
    chat = await completion(session, window=window, task_codes=TASKS)
    by_id = {unit.unit_id: unit for unit in chat.units}
    for row in rows.values():
        if row.exempt:
            assert row.unit.id not in by_id
            continue
        unit = by_id[row.unit.id]
        total = row.total
        assert (total.applicable, total.done + total.reported) == (unit.applicable, unit.reported)
    assert rows["H1"].tally(["1"]).state == "done" and rows["H1"].total.state == "reported"
    assert rows["X1"].total.state == "missing" and rows["H1"].unit.id == units["H1"]


async def test_a_closed_period_counts_what_was_reported_in_it(session: AsyncSession) -> None:
    await seed(session)
    window = Window.of(Q3, VN, now=NOW)  # closed: read from the log
    assert window.from_log
    tree = await units_in_tree_order(session, root_id=None)
    rows = {
        row.unit.code: row
        for row in await standings(session, window=window, units=tree, task_codes=TASKS)
    }
    assert set(rows["H1"].done) == {"1"} and not rows["H1"].reported
    assert set(rows["X1"].reported) == {"2"}
