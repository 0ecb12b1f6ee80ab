"""forget_member on every backend: personal data gone, reports kept under the given label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.errors import MemberNotFoundError
from storage.models import AuditLog, ConversationState, Deadline, InviteAttempt, Member, Outbox
from storage.queries.deadlines import add_deadline
from storage.queries.members import FORGOTTEN_CHANNEL, forget_member, get_or_create_member
from storage.queries.outbox import OutboxRow, enqueue
from storage.queries.progress import add_update, task_history
from storage.queries.state import put_state
from storage.queries.summary import export_rows
from tests.storage.helpers import make_member, make_tree, unit_id

LABEL = "đã xoá"
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


async def test_forget_keeps_reports_under_the_label(session: AsyncSession) -> None:
    units = await make_tree(session)
    gone, kept = await make_member(session, "100"), await make_member(session, "200")
    for hours, member in enumerate((gone, kept)):  # an hour apart: no repeat to replace
        await add_update(
            session,
            unit_id=unit_id(units["X1"]),
            task_code="3.3",
            status="dang_thuc_hien",
            reporter_member_id=member.id,
            reported_at=NOW + timedelta(hours=hours),
        )
    await add_update(  # the newest on task 3.2: the export shows its reporter
        session,
        unit_id=unit_id(units["X1"]),
        task_code="3.2",
        status="hoan_thanh",
        reporter_member_id=gone.id,
    )
    await add_deadline(
        session, task_code="3.3", due_at=NOW, offsets="1d", actor="telegram:100", title="hạn"
    )
    await put_state(session, channel="telegram", chat_id="100", state="report", data={})
    session.add(InviteAttempt(member_id=gone.id or 0, at=NOW))
    await session.commit()
    rows = [
        OutboxRow(
            key=f"k:{who}",
            occasion="o",
            kind="reminder",
            channel="telegram",
            chat_id=who,
            text="t",
            member_id=member.id,
        )
        for who, member in (("100", gone), ("200", kept))
    ]
    await enqueue(session, rows=rows, now=NOW)

    done = await forget_member(
        session, channel="telegram", external_id="100", actor="cli", label=LABEL
    )

    assert (done.reports_kept, done.states_deleted, done.outbox_deleted) == (2, 1, 1)
    history = await task_history(session, unit_id=unit_id(units["X1"]), task_code="3.3")
    assert sorted(name for _, name in history) == sorted([LABEL, "Cán bộ 200"])
    reporters = {row.reporter for row in await export_rows(session)}
    assert reporters == {LABEL, "Cán bộ 200"}
    tombstone = await session.get(Member, gone.id, populate_existing=True)
    assert tombstone is not None
    assert (tombstone.channel, tombstone.external_id, tombstone.chat_id) == (
        FORGOTTEN_CHANNEL,
        str(gone.id),
        "",
    )
    assert tombstone.unit_id is None and tombstone.blocked and not tombstone.subscribed
    for column in (AuditLog.actor, AuditLog.target):
        named = select(func.count()).where(col(column) == "telegram:100")
        assert await session.scalar(named) == 0
    creators = await session.scalars(select(col(Deadline.created_by)))
    assert list(creators) == [f"member:{gone.id}"]
    assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert await session.scalar(select(func.count()).select_from(InviteAttempt)) == 0
    assert list(await session.scalars(select(col(Outbox.chat_id)))) == ["200"]
    assert (
        await session.scalar(select(func.count()).where(col(AuditLog.action) == "member.forget"))
        == 1
    )

    # The account writing again is a new member; nothing else moved.
    again = await get_or_create_member(session, channel="telegram", external_id="100")
    assert again.id != gone.id and again.unit_id is None
    assert (await session.get(Member, kept.id)) is not None


async def test_forget_unknown_or_forgotten_member_raises(session: AsyncSession) -> None:
    with pytest.raises(MemberNotFoundError):
        await forget_member(session, channel="telegram", external_id="9", actor="cli", label=LABEL)
    member = await make_member(session, "9")
    await forget_member(session, channel="telegram", external_id="9", actor="cli", label=LABEL)
    with pytest.raises(MemberNotFoundError):  # the tombstone is not a member to forget again
        await forget_member(
            session, channel=FORGOTTEN_CHANNEL, external_id=str(member.id), actor="cli", label=""
        )
