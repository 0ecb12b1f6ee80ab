"""A repeat of the same task by the same unit within 10 minutes replaces the report before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProgressUpdate
from storage.queries.audit import list_audit
from storage.queries.progress import (
    add_update,
    latest_for_unit,
    rebuild_latest,
    task_history,
)
from storage.queries.summary import export_rows
from tests.storage.helpers import make_member, make_tree, unit_id

T0 = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


async def _stored(session: AsyncSession) -> list[tuple[str, int | None]]:
    """Return every row of the log as (note, replaced_by), oldest first."""
    query = select(ProgressUpdate).order_by(ProgressUpdate.id)
    return [(r.note, r.replaced_by) for r in (await session.scalars(query)).all()]


async def test_a_repeat_within_ten_minutes_replaces_and_is_audited(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    x1 = unit_id(units["X1"])
    member = await make_member(session, "42")
    first = await add_update(
        session,
        unit_id=x1,
        task_code="3.3",
        status="dang_thuc_hien",
        percent=40,
        note="gõ nhầm",
        reporter_member_id=member.id,
        reported_at=T0,
    )
    second = await add_update(
        session,
        unit_id=x1,
        task_code="3.3",
        status="hoan_thanh",
        note="đã ban hành",
        reporter_member_id=member.id,
        reported_at=T0 + timedelta(minutes=9, seconds=59),
    )
    history = await task_history(session, unit_id=x1, task_code="3.3")
    assert [(h.status, h.note) for h, _ in history] == [("hoan_thanh", "đã ban hành")]
    [current] = await latest_for_unit(session, unit_id=x1)
    assert current.id == second.id
    assert [(r.task_code, r.note) for r in await export_rows(session)] == [("3.3", "đã ban hành")]
    session.expunge_all()
    assert await _stored(session) == [("gõ nhầm", second.id), ("đã ban hành", None)]
    [replaced] = await list_audit(session, action="progress.replace")
    assert (replaced.actor, replaced.target) == ("telegram:42", "3.3")
    assert replaced.detail | {"reported_at": ""} == {
        "unit_id": x1,
        "id": first.id,
        "replaced_by": second.id,
        "status": "dang_thuc_hien",
        "percent": 40,
        "note": "gõ nhầm",
        "reporter_member_id": member.id,
        "reported_at": "",
    }
    assert datetime.fromisoformat(replaced.detail["reported_at"]) == T0
    assert len(await list_audit(session, action="progress.add")) == 2
    assert await rebuild_latest(session) == 1
    [current] = await latest_for_unit(session, unit_id=x1)
    assert current.id == second.id


async def test_a_chain_of_repeats_leaves_one_report(session: AsyncSession) -> None:
    units = await make_tree(session)
    x1 = unit_id(units["X1"])
    for minute, note in enumerate(["một", "hai", "ba"]):
        await add_update(
            session,
            unit_id=x1,
            task_code="1",
            status="dang_thuc_hien",
            note=note,
            reported_at=T0 + timedelta(minutes=minute * 8),
        )
    history = await task_history(session, unit_id=x1, task_code="1")
    assert [h.note for h, _ in history] == ["ba"]
    assert len(await list_audit(session, action="progress.replace")) == 2
    rows = await session.scalar(select(func.count()).select_from(ProgressUpdate))
    assert rows == 3  # the log keeps every report


async def test_later_other_task_other_unit_or_backdated_reports_stand(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    x1, x2 = unit_id(units["X1"]), unit_id(units["X2"])

    async def report(unit: int, task: str, note: str, at: datetime) -> None:
        await add_update(
            session, unit_id=unit, task_code=task, status="vuong_mac", note=note, reported_at=at
        )

    await report(x1, "3.3", "đầu", T0)
    await report(x1, "3.3", "sau 10 phút 1 giây", T0 + timedelta(minutes=10, seconds=1))
    await report(x1, "3.2", "việc khác", T0 + timedelta(minutes=11))
    await report(x2, "3.3", "đơn vị khác", T0 + timedelta(minutes=11))
    await report(x1, "3.3", "lùi ngày", T0 - timedelta(minutes=5))
    history = await task_history(session, unit_id=x1, task_code="3.3")
    assert [h.note for h, _ in history] == ["sau 10 phút 1 giây", "đầu", "lùi ngày"]
    assert await list_audit(session, action="progress.replace") == []
