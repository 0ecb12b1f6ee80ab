"""The export's period view: tree order, what counts as reported per period, on every backend."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.queries.applicability import add_exemption, set_task_scope
from storage.queries.matrix import Span, period_report
from storage.queries.progress import add_update
from tests.storage.helpers import make_tree, unit_id

VN = ZoneInfo("Asia/Ho_Chi_Minh")
Q3 = Span.of_days("quý III/2026", date(2026, 7, 1), date(2026, 9, 30), VN)
Q4 = Span.of_days("quý IV/2026", date(2026, 10, 1), date(2026, 12, 31), VN)


def at(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VN)


async def test_reported_per_period_and_the_current_matrix(session: AsyncSession) -> None:
    units = await make_tree(session)
    x1, x2, x3 = (unit_id(units[c]) for c in ("X1", "X2", "X3"))

    async def report(unit: int, task: str, status: str, when: datetime) -> None:
        await add_update(session, unit_id=unit, task_code=task, status=status, reported_at=when)

    await report(x1, "1", "hoan_thanh", at(20, 8))  # done in Q3: counts for Q4 too
    await report(x1, "2", "dang_thuc_hien", at(20, 8))  # in progress in Q3 only
    await report(x2, "2", "vuong_mac", at(30, 9, 23))  # 30/9 23:00 Hà Nội: still Q3
    await report(x2, "2", "dang_thuc_hien", at(1, 10, 0))  # 1/10 00:00: Q4
    await report(x3, "1", "dang_thuc_hien", at(2, 10))
    await report(x3, "1", "hoan_thanh", at(2, 10))  # a repeat: replaces the one before
    await report(x3, "9", "hoan_thanh", at(2, 10))  # not a task of the export
    report_all = await period_report(session, task_codes=["2", "1"], spans=[Q3, Q4])
    assert [u.code for u in report_all.units] == ["T", "H1", "X1", "X2", "H2", "X3"]
    assert [u.depth for u in report_all.units] == [0, 1, 2, 2, 1, 2]
    assert report_all.task_codes == ["1", "2"]
    q3, q4 = report_all.summaries
    assert (q3.units_counted, q3.units_complete, q3.tasks) == (6, 1, [("1", 1, 6), ("2", 2, 6)])
    assert (q4.units_complete, q4.tasks) == (0, [("1", 2, 6), ("2", 1, 6)])
    cells = {(k[0], k[1]): (c.status, c.reported_at) for k, c in report_all.cells.items()}
    assert cells == {
        (x1, "1"): ("hoan_thanh", at(20, 8)),
        (x2, "2"): ("dang_thuc_hien", at(1, 10, 0)),
        (x3, "1"): ("hoan_thanh", at(2, 10)),
    }
    h1 = await period_report(
        session, task_codes=["1", "2"], spans=[Q4], root_id=unit_id(units["H1"])
    )
    assert [(u.code, u.parent_code) for u in h1.units] == [("H1", "T"), ("X1", "H1"), ("X2", "H1")]
    assert h1.summaries[0].tasks == [("1", 1, 3), ("2", 1, 3)]
    assert set(h1.cells) == {(x1, "1"), (x2, "2")}


async def test_the_export_asks_only_what_chat_completion_asks(session: AsyncSession) -> None:
    """A task narrowed to the province and an exempt commune: the same rules as /chuabaocao."""
    units = await make_tree(session)
    x1, x2 = unit_id(units["X1"]), unit_id(units["X2"])
    await set_task_scope(session, task_code="2", levels=["tinh"], actor="test")
    await add_exemption(
        session,
        unit_id=x2,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        reason="sáp nhập",
        actor="test",
    )
    await add_update(session, unit_id=x1, task_code="1", status="hoan_thanh", reported_at=at(5, 10))
    report = await period_report(session, task_codes=["1", "2"], spans=[Q3, Q4])
    q3, q4 = report.summaries
    assert q3.tasks == [("1", 0, 6), ("2", 0, 1)]  # task 2: the province only
    assert (q4.units_counted, q4.units_complete) == (5, 1)  # X2 exempt in Q4; X1 complete
    assert report.applicable[x2] == frozenset()
    assert report.applicable[x1] == frozenset({"1"})
