"""Directives added by admins: add, list, find, make current, archive; their proposed deadlines.

Every change is audited in its own transaction and moves `changed_at`, so a running bot
notices it by polling `directives_version` (one cheap aggregate) and reloads its library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Deadline,
    DeadlineProposal,
    Directive,
    DirectiveStatus,
    ProposalState,
)
from storage.queries.audit import add_audit
from storage.types import utcnow


@dataclass(frozen=True)
class NewDirective:
    """What `add_directive` stores: the ingested file's facts and normalised text."""

    number: str
    kind: str
    title: str
    issued: date | None
    filename: str
    sha256: str
    text: str


@dataclass(frozen=True)
class ProposedDeadline:
    """A dated deadline found in the directive's text."""

    task_code: str
    due_on: date
    phrase: str


_DECISIONS = {
    ProposalState.ACCEPTED.value: "deadline.accept",
    ProposalState.REJECTED.value: "deadline.reject",
    ProposalState.PROPOSED.value: "deadline.propose",
}


def _target(row: Directive) -> str:
    return f"directive:{row.id}"


async def add_directive(
    session: AsyncSession,
    *,
    new: NewDirective,
    actor: str,
    make_current: bool = False,
    proposals: list[ProposedDeadline] | None = None,
) -> Directive:
    """Store a directive and its proposed deadlines (audited "directive.add"); commit."""
    now = utcnow()
    if make_current:
        await _clear_current(session, now)
    row = Directive(
        number=new.number,
        kind=new.kind,
        title=new.title[:500],
        issued=new.issued,
        filename=new.filename[:255],
        sha256=new.sha256,
        text=new.text,
        is_current=make_current,
        added_by=actor[:128],
        added_at=now,
        changed_at=now,
    )
    session.add(row)
    await session.flush()
    for item in proposals or []:
        session.add(
            DeadlineProposal(
                directive_id=row.id or 0,
                document=row.number,
                task_code=item.task_code,
                due_on=item.due_on,
                phrase=item.phrase[:255],
            )
        )
    detail = {"number": row.number, "sha256": row.sha256, "current": make_current}
    add_audit(session, actor=actor, action="directive.add", target=_target(row), detail=detail)
    await session.commit()
    return row


async def find_duplicate(session: AsyncSession, *, number: str, sha256: str) -> Directive | None:
    """Return a stored directive with this number or this content, if any."""
    query = select(Directive).where(
        (col(Directive.number) == number) | (col(Directive.sha256) == sha256)
    )
    return (await session.scalars(query.limit(1))).first()


async def list_directives(session: AsyncSession) -> list[Directive]:
    """Return every stored directive, oldest first."""
    return list((await session.scalars(select(Directive).order_by(col(Directive.id)))).all())


async def get_directive(session: AsyncSession, *, key: str) -> Directive | None:
    """Return the directive with this id, number, or short number ("12-KL")."""
    key = key.strip()
    if key.isdigit():
        row = await session.get(Directive, int(key))
        if row is not None:
            return row
    rows = await list_directives(session)
    folded = key.casefold()
    return next(
        (r for r in rows if folded in (r.number.casefold(), r.number.split("/")[0].casefold())),
        None,
    )


async def _clear_current(session: AsyncSession, now: datetime) -> None:
    """Make no stored directive current (the statement before setting another)."""
    await session.execute(
        update(Directive).where(col(Directive.is_current)).values(is_current=False, changed_at=now)
    )
    await session.flush()


async def set_current(session: AsyncSession, *, directive_id: int | None, actor: str) -> None:
    """Make one directive current (None: the bundled one again); audited; commit."""
    now = utcnow()
    await _clear_current(session, now)
    if directive_id is not None:
        await session.execute(
            update(Directive)
            .where(col(Directive.id) == directive_id)
            .values(is_current=True, status=DirectiveStatus.ACTIVE.value, changed_at=now)
        )
    target = f"directive:{directive_id}" if directive_id is not None else "directive:bundled"
    add_audit(session, actor=actor, action="directive.current", target=target)
    await session.commit()


async def archive_directive(session: AsyncSession, *, directive_id: int, actor: str) -> int:
    """Archive a directive: no longer current, its deadlines removed (their reminders stop)
    and its pending proposals rejected; progress kept. Audited; commit. Returns the number
    of deadlines removed."""
    row = await session.get(Directive, directive_id)
    if row is None:
        return 0
    now = utcnow()
    row.status, row.is_current, row.changed_at = DirectiveStatus.ARCHIVED.value, False, now
    session.add(row)
    removed = await session.execute(
        update(Deadline)
        .where(col(Deadline.document) == row.number, col(Deadline.removed_at).is_(None))
        .values(removed_at=now)
    )
    await session.execute(
        update(DeadlineProposal)
        .where(
            col(DeadlineProposal.directive_id) == directive_id,
            col(DeadlineProposal.state) == ProposalState.PROPOSED.value,
        )
        .values(state=ProposalState.REJECTED.value, decided_by=actor[:128], decided_at=now)
    )
    count = int(getattr(removed, "rowcount", 0) or 0)
    add_audit(
        session,
        actor=actor,
        action="directive.archive",
        target=f"directive:{directive_id}",
        detail={"number": row.number, "deadlines_removed": count},
    )
    await session.commit()
    return count


async def directives_version(session: AsyncSession) -> tuple[int, datetime | None]:
    """Return (rows, newest change): equal values mean the stored directives are unchanged."""
    query = select(func.count(col(Directive.id)), func.max(col(Directive.changed_at)))
    count, newest = (await session.execute(query)).one()
    return int(count), newest


async def list_proposals(
    session: AsyncSession, *, state: str | None = ProposalState.PROPOSED.value
) -> list[DeadlineProposal]:
    """Return proposed deadlines (of every state when state is None), by due date."""
    query = select(DeadlineProposal)
    if state is not None:
        query = query.where(col(DeadlineProposal.state) == state)
    query = query.order_by(col(DeadlineProposal.due_on), col(DeadlineProposal.id))
    return list((await session.scalars(query)).all())


async def decide_proposal(
    session: AsyncSession,
    *,
    proposal_id: int,
    state: str,
    actor: str,
    deadline_id: int | None = None,
) -> DeadlineProposal | None:
    """Record the admin's decision on a proposed deadline (audited); commit."""
    row = await session.get(DeadlineProposal, proposal_id)
    if row is None:
        return None
    row.state = ProposalState(state).value
    row.deadline_id = deadline_id
    row.decided_by = actor[:128]
    row.decided_at = utcnow()
    session.add(row)
    add_audit(
        session,
        actor=actor,
        action=_DECISIONS[row.state],
        target=f"proposal:{row.id}",
        detail={"document": row.document, "task": row.task_code, "due": row.due_on.isoformat()},
    )
    await session.commit()
    return row
