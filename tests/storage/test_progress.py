"""Progress: the newest report wins; overview, not-reported lists, history, export rows."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidProgressError
from storage.models import ProgressLatest
from storage.queries.audit import list_audit
from storage.queries.members import get_or_create_member
from storage.queries.progress import (
    add_update,
    latest_for_task,
    latest_for_unit,
    rebuild_latest,
    task_history,
    task_sort_key,
)
from storage.queries.summary import export_rows, overview, units_not_reported
from storage.types import utcnow
from tests.storage.helpers import make_member, make_tree, unit_id

T0 = utcnow().replace(microsecond=0) - timedelta(days=10)


async def test_latest_status_wins_even_against_late_backdated_reports(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    x1 = unit_id(units["X1"])
    await add_update(session, unit_id=x1, task_code="3.3", status="dang_thuc_hien", reported_at=T0)
    await add_update(
        session, unit_id=x1, task_code="3.3", status="hoan_thanh", reported_at=T0 + timedelta(1)
    )
    await add_update(
        session, unit_id=x1, task_code="3.3", status="vuong_mac", reported_at=T0 - timedelta(1)
    )
    [current] = await latest_for_unit(session, unit_id=x1)
    assert current.status == "hoan_thanh"
    history = await task_history(session, unit_id=x1, task_code="3.3")
    assert [h.status for h, _ in history] == ["hoan_thanh", "dang_thuc_hien", "vuong_mac"]


async def test_same_time_ties_go_to_the_later_report(session: AsyncSession) -> None:
    units = await make_tree(session)
    x1 = unit_id(units["X1"])
    for status in ("vuong_mac", "dang_thuc_hien"):
        await add_update(session, unit_id=x1, task_code="1", status=status, reported_at=T0)
    [(unit, current)] = await latest_for_task(session, task_code="1")
    assert (unit.code, current.status) == ("X1", "dang_thuc_hien")


async def test_rebuild_matches_the_incremental_latest(session: AsyncSession) -> None:
    units = await make_tree(session)
    rng = random.Random(7)
    for _ in range(120):
        await add_update(
            session,
            unit_id=unit_id(units[rng.choice(["X1", "X2", "X3", "H1"])]),
            task_code=rng.choice(["1", "2.1", "2.2.3"]),
            status=rng.choice(["hoan_thanh", "vuong_mac", "dang_thuc_hien", "chua_trien_khai"]),
            reported_at=T0 + timedelta(hours=rng.randint(0, 30)),
        )
    query = select(ProgressLatest).order_by(ProgressLatest.unit_id, ProgressLatest.task_code)
    incremental = [(r.unit_id, r.task_code, r.update_id) for r in await session.scalars(query)]
    assert await rebuild_latest(session) == len(incremental)
    session.expunge_all()
    rebuilt = [(r.unit_id, r.task_code, r.update_id) for r in await session.scalars(query)]
    assert rebuilt == incremental


async def _report_some(session: AsyncSession) -> dict[str, int]:
    """X1 done 1 and stuck on 2.1, X2 in progress on 1, X3 not started on 1."""
    units = await make_tree(session)
    ids = {code: unit_id(unit) for code, unit in units.items()}
    reporter = await make_member(session, "5")
    for code, task, status in [
        ("X1", "1", "dang_thuc_hien"),
        ("X1", "1", "hoan_thanh"),
        ("X1", "2.1", "vuong_mac"),
        ("X2", "1", "dang_thuc_hien"),
        ("X3", "1", "chua_trien_khai"),
    ]:
        await add_update(
            session,
            unit_id=ids[code],
            task_code=task,
            status=status,
            reporter_member_id=reporter.id,
            percent=40,
            note=f"{code} {task}",
        )
    return ids


async def test_overview_counts_per_task(session: AsyncSession) -> None:
    ids = await _report_some(session)
    everything = await overview(session, task_codes=["1", "2.1", "3.3"])
    one, two_one, three_three = everything
    assert (one.total, one.done, one.in_progress, one.not_started, one.stuck) == (6, 1, 1, 1, 0)
    assert one.silent == 3 and two_one.stuck == 1 and two_one.silent == 5
    assert three_three.silent == 6 and three_three.reported == 0
    [h1_one] = await overview(session, task_codes=["1"], root_id=ids["H1"], level="coso")
    assert (h1_one.total, h1_one.done, h1_one.in_progress, h1_one.silent) == (2, 1, 1, 0)
    assert [o.task_code for o in await overview(session)] == ["1", "2.1"]


async def test_not_reported_in_a_parents_subtree(session: AsyncSession) -> None:
    ids = await _report_some(session)
    codes = lambda units: [u.code for u in units]  # noqa: E731
    assert codes(await units_not_reported(session, task_code="2.1", root_id=ids["H1"])) == [
        "H1",
        "X2",
    ]
    coso = await units_not_reported(session, task_code="2.1", root_id=ids["T"], level="coso")
    assert codes(coso) == ["X2", "X3"]
    assert codes(await units_not_reported(session)) == ["H1", "H2", "T"]
    assert codes(await units_not_reported(session, document="other")) == [
        "H1",
        "H2",
        "T",
        "X1",
        "X2",
        "X3",
    ]


async def test_export_rows_are_the_current_reports(session: AsyncSession) -> None:
    ids = await _report_some(session)
    rows = await export_rows(session)
    assert [(r.unit_code, r.task_code, r.status) for r in rows] == [
        ("X1", "1", "hoan_thanh"),
        ("X1", "2.1", "vuong_mac"),
        ("X2", "1", "dang_thuc_hien"),
        ("X3", "1", "chua_trien_khai"),
    ]
    first = rows[0]
    assert (first.unit_name, first.parent_code, first.reporter) == ("Xã 1", "H1", "Cán bộ 5")
    assert first.reported_at.tzinfo is not None and first.percent == 40
    assert [r.unit_code for r in await export_rows(session, root_id=ids["H2"])] == ["X3"]
    assert await export_rows(session, since=utcnow() + timedelta(minutes=1)) == []


@pytest.mark.parametrize(
    ("status", "percent", "note"),
    [
        ("xong", None, ""),
        ("hoan_thanh", 101, ""),
        ("hoan_thanh", -1, ""),
        ("hoan_thanh", 5, "x" * 2001),
    ],
)
async def test_bad_reports_are_refused(
    session: AsyncSession, status: str, percent: int | None, note: str
) -> None:
    units = await make_tree(session)
    with pytest.raises(InvalidProgressError):
        await add_update(
            session,
            unit_id=unit_id(units["X1"]),
            task_code="1",
            status=status,
            percent=percent,
            note=note,
        )


def test_task_codes_sort_as_numbers() -> None:
    codes = ["10", "2.2.3", "2", "1", "2.10", "2.2"]
    assert sorted(codes, key=task_sort_key) == ["1", "2", "2.2", "2.2.3", "2.10", "10"]


async def test_a_report_is_audited_with_its_reporter_by_the_database(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    member = await get_or_create_member(session, channel="telegram", external_id="42")
    await add_update(
        session,
        unit_id=unit_id(units["X1"]),
        task_code="3.3",
        status="hoan_thanh",
        reporter_member_id=member.id,
    )
    await add_update(session, unit_id=unit_id(units["X1"]), task_code="3.2", status="vuong_mac")
    rows = await list_audit(session, limit=10, action="progress.add")
    assert sorted((r.actor, r.target, r.detail["status"]) for r in rows) == [
        ("system", "3.2", "vuong_mac"),
        ("telegram:42", "3.3", "hoan_thanh"),
    ]
