"""Completion for a reporting period, on SQLite and PostgreSQL: applicable tasks (task
scope), exemptions, "reported" (dated in the period, or done), and a closed period read
from the log."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.periods import Period
from storage.queries.applicability import add_exemption, clear_task_scope, set_task_scope
from storage.queries.completion import (
    Window,
    completion,
    incomplete_children,
    incomplete_units,
    missing_tasks,
    trend,
    units_missing_task,
)
from storage.queries.progress import add_update
from tests.storage.helpers import make_tree, unit_id

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=VN)
TASKS = ["1", "2", "3"]
Q2, Q3, Q4 = Period(2026, 2), Period(2026, 3), Period(2026, 4)


async def _setup(session: AsyncSession) -> dict[str, int]:
    units = {code: unit_id(unit) for code, unit in (await make_tree(session)).items()}

    async def report(code: str, task: str, status: str, day: datetime) -> None:
        await add_update(
            session, unit_id=units[code], task_code=task, status=status, reported_at=day
        )

    await report("X1", "2", "hoan_thanh", datetime(2026, 5, 2, 9, tzinfo=VN))  # done in Q2
    await report("X1", "3", "dang_thuc_hien", datetime(2026, 8, 2, 9, tzinfo=VN))  # Q3 only
    await report("X1", "1", "dang_thuc_hien", datetime(2026, 10, 1, 0, 5, tzinfo=VN))  # Q4
    await report("X2", "1", "dang_thuc_hien", datetime(2026, 9, 30, 23, 55, tzinfo=VN))  # Q3
    await report("X2", "9", "dang_thuc_hien", datetime(2026, 11, 2, 9, tzinfo=VN))  # no task
    await set_task_scope(
        session, task_code="3", levels=["coso"], unit_ids=[units["H1"]], actor="test"
    )
    await add_exemption(
        session,
        unit_id=units["X3"],
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
        reason="sáp nhập",
        actor="test",
    )
    return units


async def test_completion_counts_applicable_reported_tasks(session: AsyncSession) -> None:
    units = await _setup(session)
    window = Window.of(Q4, VN, now=NOW)
    state = await completion(session, window=window, task_codes=TASKS)
    got = {u.code: (u.reported, u.applicable) for u in state.units}
    assert got == {"T": (0, 2), "H1": (0, 3), "H2": (0, 2), "X1": (2, 3), "X2": (0, 3)}
    assert state.exempt == 1 and state.complete == 0
    assert [u.code for u in state.incomplete] == ["H1", "X2", "H2", "T", "X1"]
    assert [(t.task_code, t.reported, t.applicable) for t in state.tasks] == [
        ("1", 1, 5),
        ("2", 1, 5),
        ("3", 0, 3),
    ]
    assert round(state.rate, 3) == round(2 / 13, 3)  # 13 applicable pairs
    below = await completion(
        session, window=window, task_codes=TASKS, root_id=units["H1"], with_root=False
    )
    assert sorted(u.code for u in below.units) == ["X1", "X2"]
    assert await missing_tasks(session, unit_id=units["X1"], window=window, task_codes=TASKS) == [
        "3"
    ]
    assert (
        await missing_tasks(session, unit_id=units["X3"], window=window, task_codes=TASKS) is None
    )
    missing3 = await units_missing_task(session, task_code="3", window=window)
    assert [u.code for u in missing3] == ["H1", "X1", "X2"]
    late = await incomplete_units(
        session, window=window, task_codes=TASKS, unit_ids=[units["X1"], units["X3"]]
    )
    assert late == {units["X1"]: ["3"]}
    children = await incomplete_children(session, window=window, task_codes=TASKS)
    assert {p: [u.code for u in c] for p, c in children.items()} == {
        units["T"]: ["H1", "H2"],
        units["H1"]: ["X2", "X1"],
    }
    await clear_task_scope(session, task_code="3", actor="test")
    widened = await completion(session, window=window, task_codes=TASKS)
    assert {u.code: u.applicable for u in widened.units} == dict.fromkeys(
        ["T", "H1", "H2", "X1", "X2"], 3
    )


async def test_a_closed_period_is_read_from_the_log(session: AsyncSession) -> None:
    await _setup(session)
    window = Window.of(Q3, VN, now=NOW)
    assert window.from_log
    state = await completion(session, window=window, task_codes=TASKS)
    got = {u.code: u.reported for u in state.units if u.reported}
    assert got == {"X1": 2, "X2": 1}  # X1: 3 in Q3 and 2 done before; X2: 1 in Q3
    assert state.exempt == 0 and len(state.units) == 6  # X3's exemption is in Q4


async def test_the_trend_counts_each_quarter_once_per_pair(session: AsyncSession) -> None:
    units = await _setup(session)
    # X2 reports task 1 twice in Q3: one pair. X1's task 2, done in Q2, stays done in Q3/Q4.
    await add_update(
        session,
        unit_id=units["X2"],
        task_code="1",
        status="vuong_mac",
        reported_at=datetime(2026, 8, 1, 9, tzinfo=VN),
    )
    windows = [Window.of(p, VN, now=NOW) for p in (Q2, Q3, Q4)]
    history = await trend(session, windows=windows, task_codes=TASKS)
    reported = [[(t.task_code, t.reported) for t in c.tasks] for c in history]
    assert reported == [
        [("1", 0), ("2", 1), ("3", 0)],  # Q2: X1's task 2 done in May
        [("1", 1), ("2", 1), ("3", 1)],  # Q3: X2's task 1 (twice), X1's 2 (done), X1's 3
        [("1", 1), ("2", 1), ("3", 0)],  # Q4: X1's task 1, X1's 2 (done)
    ]
    assert [c.exempt for c in history] == [0, 0, 1]  # X3 exempt in December
    assert [c.period for c in history] == [Q2, Q3, Q4]
    assert {u.code: u.reported for u in history[-1].units if u.reported} == {"X1": 2}
