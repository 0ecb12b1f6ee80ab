"""Deadlines of tasks: added by admins or synced from the directive; soft-deleted.

At most one not-removed deadline per (document, task_code, due_at). The rule lives here,
not in a partial index (the schema stays portable): writers look the row up first, and
on PostgreSQL serialise on a transaction-scoped advisory lock of that key, so two
processes syncing the directive at the same start cannot both insert it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    DEADLINE_TITLE_MAX_CHARS,
    DEFAULT_DOCUMENT,
    Deadline,
    DeadlineSource,
    Outbox,
    OutboxStatus,
)
from storage.queries.audit import add_audit
from storage.types import as_utc, utcnow

DOCUMENT_ACTOR = "system:document"


def _target(deadline: Deadline) -> str:
    """Return the audit target of a deadline."""
    return f"{deadline.document} {deadline.task_code}"


def _detail(deadline: Deadline) -> dict[str, object]:
    """Return the audit detail of a deadline."""
    return {
        "id": deadline.id,
        "due_at": as_utc(deadline.due_at).isoformat(),
        "offsets": deadline.offsets,
        "source": deadline.source,
    }


async def _lock(session: AsyncSession, document: str, task_code: str) -> None:
    """On PostgreSQL, serialise writers of one task's deadlines until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        key = func.hashtext(f"deadline:{document}:{task_code}")
        await session.execute(sa_select(func.pg_advisory_xact_lock(key)))


async def _find(
    session: AsyncSession, document: str, task_code: str, due_at: datetime
) -> list[Deadline]:
    """Return the rows for (document, task, due date): not-removed first, then newest."""
    query = (
        select(Deadline)
        .where(Deadline.document == document, Deadline.task_code == task_code)
        .where(Deadline.due_at == due_at)
        .order_by(col(Deadline.removed_at).is_not(None), col(Deadline.id).desc())
        .execution_options(populate_existing=True)  # fresh after waiting for the lock
    )
    return list((await session.scalars(query)).all())


async def add_deadline(
    session: AsyncSession,
    *,
    task_code: str,
    due_at: datetime,
    offsets: str,
    actor: str,
    title: str = "",
    document: str = DEFAULT_DOCUMENT,
    source: str = DeadlineSource.ADMIN.value,
) -> Deadline:
    """Add a deadline (audited "deadline.add"); commit.

    If a not-removed one with the same (document, task, due date) exists, it is updated
    instead (new offsets, and the title when one is given; audited "deadline.update").
    """
    source = DeadlineSource(source).value
    task_code, title = task_code.strip(), title.strip()[:DEADLINE_TITLE_MAX_CHARS]
    due_at = as_utc(due_at)
    await _lock(session, document, task_code)
    rows = await _find(session, document, task_code, due_at)
    active = [row for row in rows if row.removed_at is None]
    if active:
        deadline = active[0]
        deadline.offsets = offsets
        deadline.title = title or deadline.title
        action = "deadline.update"
    else:
        deadline = Deadline(
            document=document,
            task_code=task_code,
            title=title,
            due_at=due_at,
            offsets=offsets,
            source=source,
            created_by=actor[:128],
        )
        action = "deadline.add"
    session.add(deadline)
    await session.flush()
    add_audit(
        session, actor=actor, action=action, target=_target(deadline), detail=_detail(deadline)
    )
    await session.commit()
    return deadline


async def upsert_document_deadline(
    session: AsyncSession,
    *,
    document: str,
    task_code: str,
    due_at: datetime,
    offsets: str,
    title: str,
) -> tuple[Deadline, bool]:
    """Sync one deadline of the directive; return it and whether it was created; commit.

    Idempotent (run at every start): nothing is written, nor audited, unless the deadline
    is new or its offsets/title changed. A deadline an admin removed is not brought back
    (the removed row is returned: check `removed_at`), and one an admin added for the same
    date is left as the admin set it.
    """
    task_code, title = task_code.strip(), title.strip()[:DEADLINE_TITLE_MAX_CHARS]
    due_at = as_utc(due_at)
    await _lock(session, document, task_code)
    rows = await _find(session, document, task_code, due_at)
    existing = rows[0] if rows else None
    if existing is None:
        deadline = Deadline(
            document=document,
            task_code=task_code,
            title=title,
            due_at=due_at,
            offsets=offsets,
            source=DeadlineSource.DOCUMENT.value,
            created_by=DOCUMENT_ACTOR,
        )
        session.add(deadline)
        await session.flush()
        add_audit(
            session,
            actor=DOCUMENT_ACTOR,
            action="deadline.add",
            target=_target(deadline),
            detail=_detail(deadline),
        )
        await session.commit()
        return deadline, True
    unchanged = (existing.offsets, existing.title) == (offsets, title)
    if existing.removed_at is not None or existing.source != DeadlineSource.DOCUMENT or unchanged:
        await session.commit()  # end the transaction (and the lock)
        return existing, False
    detail = _detail(existing) | {"from": {"offsets": existing.offsets, "title": existing.title}}
    existing.offsets, existing.title = offsets, title
    session.add(existing)
    add_audit(
        session,
        actor=DOCUMENT_ACTOR,
        action="deadline.update",
        target=_target(existing),
        detail=detail,
    )
    await session.commit()
    return existing, False


async def remove_deadline(session: AsyncSession, *, deadline_id: int, actor: str) -> bool:
    """Soft-delete a deadline (its history stays) and drop its reminders still queued
    (e.g. waiting for the morning); False if missing or already removed."""
    deadline = await session.get(Deadline, deadline_id)
    if deadline is None or deadline.removed_at is not None:
        return False
    deadline.removed_at = utcnow()
    session.add(deadline)
    await session.execute(
        update(Outbox)
        .where(
            col(Outbox.status) == OutboxStatus.PENDING.value,
            or_(
                col(Outbox.occasion).startswith(f"deadline:{deadline_id}:"),
                col(Outbox.occasion).startswith(f"overdue:{deadline_id}:"),
            ),
        )
        .values(status=OutboxStatus.DEAD.value, last_error="deadline removed")
        .execution_options(synchronize_session=False)
    )
    add_audit(
        session,
        actor=actor,
        action="deadline.remove",
        target=_target(deadline),
        detail=_detail(deadline),
    )
    await session.commit()
    return True


async def get_deadline(session: AsyncSession, *, deadline_id: int) -> Deadline | None:
    """Return the deadline with this id (removed ones too), or None."""
    return await session.get(Deadline, deadline_id)


async def list_deadlines(session: AsyncSession, *, include_removed: bool = False) -> list[Deadline]:
    """Return deadlines by due date, then task code (not-removed only unless asked)."""
    query = select(Deadline).order_by(
        col(Deadline.due_at), col(Deadline.task_code), col(Deadline.id)
    )
    if not include_removed:
        query = query.where(col(Deadline.removed_at).is_(None))
    return list((await session.scalars(query)).all())
