"""Deadlines: added by admins, synced from the directive without duplicates, soft-deleted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.engine import session_factory
from storage.models import Deadline
from storage.queries.audit import list_audit
from storage.queries.deadlines import (
    add_deadline,
    get_deadline,
    list_deadlines,
    remove_deadline,
    upsert_document_deadline,
)
from storage.queries.outbox import OutboxRow, enqueue, status_counts

HANOI = timezone(timedelta(hours=7))
MARCH = datetime(2024, 3, 31, 17, 0, tzinfo=UTC)
JUNE = datetime(2024, 6, 30, 17, 0, tzinfo=UTC)
DOC = "09-KL/BTCTW"


async def test_admin_adds_lists_and_removes_deadlines(session: AsyncSession) -> None:
    june = await add_deadline(
        session, task_code="3.3", due_at=JUNE, offsets="7d,1d", actor="telegram:42"
    )
    march = await add_deadline(
        session,
        task_code="1",
        due_at=datetime(2024, 4, 1, 0, 0, tzinfo=HANOI),
        offsets="30d,7d,1d,0d",
        title="Rà soát",
        actor="telegram:42",
    )
    assert (march.due_at, march.source, march.document, march.created_by) == (
        MARCH,
        "admin",
        DOC,
        "telegram:42",
    )
    assert [d.task_code for d in await list_deadlines(session)] == ["1", "3.3"]
    assert june.id is not None and march.id is not None
    assert await remove_deadline(session, deadline_id=june.id, actor="telegram:42")
    assert not await remove_deadline(session, deadline_id=june.id, actor="telegram:42")
    assert not await remove_deadline(session, deadline_id=999, actor="telegram:42")
    assert [d.task_code for d in await list_deadlines(session)] == ["1"]
    everything = await list_deadlines(session, include_removed=True)
    assert [d.task_code for d in everything] == ["1", "3.3"]
    removed = await get_deadline(session, deadline_id=june.id)
    assert removed is not None and removed.removed_at is not None
    actions = [row.action for row in await list_audit(session, actor="telegram:42")]
    assert sorted(actions) == ["deadline.add", "deadline.add", "deadline.remove"]


async def test_adding_the_same_deadline_again_updates_it(session: AsyncSession) -> None:
    first = await add_deadline(session, task_code="2", due_at=MARCH, offsets="7d", actor="a")
    again = await add_deadline(
        session, task_code="2", due_at=MARCH, offsets="3d,0d", title="Báo cáo", actor="b"
    )
    assert again.id == first.id
    [stored] = await list_deadlines(session, include_removed=True)
    assert (stored.offsets, stored.title) == ("3d,0d", "Báo cáo")
    assert [row.action for row in await list_audit(session, actor="b")] == ["deadline.update"]
    with pytest.raises(ValueError, match="naive"):
        await add_deadline(
            session, task_code="2", due_at=datetime(2024, 1, 1), offsets="1d", actor="a"
        )
    with pytest.raises(ValueError):
        await add_deadline(
            session, task_code="2", due_at=JUNE, offsets="1d", source="rumour", actor="a"
        )


async def test_document_sync_is_idempotent_and_audits_only_changes(
    session: AsyncSession,
) -> None:
    values = {"document": DOC, "task_code": "3.3", "due_at": MARCH, "title": "Xây dựng đề án"}
    deadline, created = await upsert_document_deadline(session, offsets="7d,1d", **values)
    assert created and deadline.source == "document"
    for _ in range(3):  # every start
        again, created = await upsert_document_deadline(session, offsets="7d,1d", **values)
        assert (again.id, created) == (deadline.id, False)
    changed, created = await upsert_document_deadline(session, offsets="30d,7d", **values)
    assert (changed.id, changed.offsets, created) == (deadline.id, "30d,7d", False)
    assert len(await list_deadlines(session, include_removed=True)) == 1
    audit = await list_audit(session, actor="system:document")
    assert [row.action for row in audit] == ["deadline.update", "deadline.add"]


async def test_document_sync_respects_what_admins_did(session: AsyncSession) -> None:
    values = {"document": DOC, "task_code": "1", "due_at": MARCH, "title": ""}
    synced, _ = await upsert_document_deadline(session, offsets="7d", **values)
    assert synced.id is not None
    await remove_deadline(session, deadline_id=synced.id, actor="telegram:42")
    back, created = await upsert_document_deadline(session, offsets="7d", **values)
    assert not created and back.id == synced.id and back.removed_at is not None
    assert await list_deadlines(session) == []
    # an admin's deadline for the same date is left as the admin set it
    mine = await add_deadline(session, task_code="1", due_at=MARCH, offsets="1d", actor="a")
    kept, created = await upsert_document_deadline(session, offsets="30d", **values)
    assert (kept.id, kept.offsets, kept.source, created) == (mine.id, "1d", "admin", False)
    assert len(await list_deadlines(session)) == 1


async def test_concurrent_syncs_do_not_duplicate_a_deadline(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)

    async def sync() -> bool:
        async with sessions() as session:
            _, created = await upsert_document_deadline(
                session, document=DOC, task_code="4", due_at=JUNE, offsets="7d", title=""
            )
            return created

    if engine.dialect.name == "sqlite":
        created = [await sync() for _ in range(4)]  # one writer: syncs run one after another
    else:
        created = await asyncio.gather(*(sync() for _ in range(4)))
    assert sorted(created) == [False, False, False, True]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Deadline)) == 1


async def test_removing_a_deadline_drops_its_queued_reminders(session: AsyncSession) -> None:
    row = await add_deadline(session, task_code="3.3", due_at=MARCH, offsets="7d,0d", actor="cli")
    other = await add_deadline(session, task_code="3.2", due_at=MARCH, offsets="0d", actor="cli")
    items = [
        OutboxRow(
            key=f"{occasion}:member:1",
            occasion=occasion,
            kind="reminder",
            channel="telegram",
            chat_id="1",
            text="nhắc hạn",
        )
        for occasion in (f"deadline:{row.id}:7d", f"overdue:{row.id}:1", f"deadline:{other.id}:0d")
    ]
    assert await enqueue(session, rows=items, now=MARCH) == 3
    assert await remove_deadline(session, deadline_id=row.id or 0, actor="cli")
    counts = (await status_counts(session))["telegram"]
    assert counts == {"dead": 2, "pending": 1}  # the other deadline's reminder still goes
