"""The outbox: messages written by the scheduler (or a broadcast), drained by the senders.

At least once, never a second copy recorded as sent:
- `enqueue` inserts with ON CONFLICT (key) DO NOTHING, so planning the same occasion
  twice adds nothing (the key is unique per occasion and recipient);
- `claim_due` moves due rows to "sending" atomically (PostgreSQL: FOR UPDATE SKIP LOCKED,
  so two senders never claim the same row; SQLite: one writer at a time). A row left
  "sending" by a crashed or hung sender goes back to pending once its lease expires,
  counted as an attempt (dead after max_attempts: a message that kills its sender every
  time is not retried for ever), so a crash resends at most the messages in flight;
- a claim by a leader records its term (`claimed_term`) and succeeds only while that term
  is the current one; `mark_failed` / `mark_undeliverable` only change rows still
  "sending" (in the caller's term): a message recorded as sent is never put back in the
  queue, and a deposed leader's late outcome does not touch its successor's claim;
- `retry_dead` / `drop_dead` (`python -m bot outbox retry|drop`) let an admin queue a dead
  message again or give up on it ("dropped": kept, so planning its occasion again adds
  nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Table, case, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import (
    OUTBOX_ERROR_MAX_CHARS,
    OUTBOX_TEXT_MAX_CHARS,
    Broadcast,
    LeaderTerm,
    Outbox,
    OutboxKind,
    OutboxStatus,
)
from storage.queries.audit import add_audit
from storage.queries.recipients import Recipient
from storage.queries.terms import REMINDERS
from storage.queries.upsert import dialect_insert
from storage.types import as_utc, utcnow

#: How long a claimed row may stay "sending" before another sender may claim it again.
CLAIM_LEASE = timedelta(minutes=5)
#: Rows per INSERT statement (PostgreSQL allows 32,767 bound parameters per statement).
INSERT_CHUNK = 1000

PENDING, SENDING = OutboxStatus.PENDING.value, OutboxStatus.SENDING.value
DEAD = OutboxStatus.DEAD.value
#: The error recorded when a claim's lease expires (its sender died or hung mid-send).
LEASE_EXPIRED = "lease expired: the sender stopped while sending (killed or hung)"


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """A message to enqueue; `key` is unique per (occasion, recipient)."""

    key: str
    occasion: str
    kind: str
    channel: str
    chat_id: str
    text: str
    member_id: int | None = None
    next_attempt_at: datetime | None = None  # None: due now
    buttons: tuple[tuple[str, str], ...] = ()  # (label, payload), one button a row


class OutboxError(NamedTuple):
    """A recent error of a message not sent (yet): where it went and what happened."""

    occasion: str
    chat_id: str
    last_error: str
    at: datetime
    outbox_id: int = 0  # for `outbox retry|drop ID`


def _values(row: OutboxRow | Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Validate a row and return its column values."""
    if not isinstance(row, OutboxRow):
        row = OutboxRow(**row)
    if len(row.text) > OUTBOX_TEXT_MAX_CHARS:
        raise ValueError(f"outbox text longer than {OUTBOX_TEXT_MAX_CHARS} chars: {row.key}")
    values = asdict(row)
    buttons = values.pop("buttons")
    if buttons:  # left out when none: the column's default (and older schemas) take over
        values["buttons"] = [list(button) for button in buttons]
    values["kind"] = OutboxKind(row.kind).value
    values["next_attempt_at"] = as_utc(row.next_attempt_at or now)
    values.update(status=PENDING, attempts=0, last_error="", created_at=now, claimed_by="")
    return values


async def _insert(
    session: AsyncSession, rows: Sequence[OutboxRow | Mapping[str, Any]], now: datetime
) -> int:
    """Insert rows, skipping keys already there (no commit); return how many were new."""
    values = [_values(row, now) for row in rows]
    if any("buttons" in value for value in values):  # one multi-row INSERT: the same keys
        for value in values:
            value.setdefault("buttons", [])
    table: Table = Outbox.__table__  # type: ignore[attr-defined]
    added = 0
    for start in range(0, len(values), INSERT_CHUNK):
        statement = (
            dialect_insert(session, table)
            .values(values[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.id)
        )
        added += len((await session.execute(statement)).all())
    return added


async def enqueue(
    session: AsyncSession, *, rows: Sequence[OutboxRow | Mapping[str, Any]], now: datetime
) -> int:
    """Add messages (OutboxRow or dicts of its fields); return how many were new; commit.

    One INSERT … ON CONFLICT (key) DO NOTHING per 1,000 rows: a key already queued (or
    sent) is skipped, so enqueueing an occasion again never makes a second copy.
    """
    if not rows:
        return 0
    added = await _insert(session, rows, as_utc(now))
    await session.commit()
    return added


def _in_term(term: int | None) -> list[ColumnElement[bool]]:
    """WHERE terms: `term` is the reminder leadership's current term (none if term is None)."""
    if term is None:
        return []
    current = sa_select(col(LeaderTerm.term)).where(
        col(LeaderTerm.name) == REMINDERS, col(LeaderTerm.term) == term
    )
    return [current.exists()]


def _claimed_in(term: int | None) -> list[ColumnElement[bool]]:
    """WHERE terms: the row was claimed in `term` (any term if None)."""
    return [] if term is None else [col(Outbox.claimed_term) == term]


async def _expire_claims(
    session: AsyncSession,
    *,
    channel: str,
    now: datetime,
    lease: timedelta,
    max_attempts: int | None,
    term: int | None,
) -> None:
    """Put rows left "sending" longer than `lease` back to pending, counting an attempt.

    A row whose sender dies (or hangs) during its send every time becomes dead after
    max_attempts instead of being claimed again for ever (no commit).
    """
    attempts = col(Outbox.attempts) + 1
    status: Any = PENDING
    if max_attempts is not None:
        status = case((attempts >= max_attempts, DEAD), else_=PENDING)
    where = [
        col(Outbox.channel) == channel,
        col(Outbox.status) == SENDING,
        col(Outbox.claimed_at) < now - lease,
        *_in_term(term),
    ]
    # rows another transaction holds (a hung process's) are skipped, not waited for
    stale = sa_select(col(Outbox.id)).where(*where).with_for_update(skip_locked=True).cte("stale")
    await session.execute(
        update(Outbox)
        .where(col(Outbox.id).in_(sa_select(stale.c.id)), *where)
        .values(attempts=attempts, status=status, last_error=LEASE_EXPIRED)
        .execution_options(synchronize_session=False)
    )


def _claimable(channel: str, now: datetime) -> list[ColumnElement[bool]]:
    """WHERE terms: due pending rows of the channel."""
    return [
        col(Outbox.channel) == channel,
        col(Outbox.next_attempt_at) <= now,
        col(Outbox.status) == PENDING,
    ]


async def claim_due(
    session: AsyncSession,
    *,
    channel: str,
    now: datetime,
    limit: int,
    worker: str,
    lease: timedelta = CLAIM_LEASE,
    max_attempts: int | None = None,
    term: int | None = None,
) -> list[Outbox]:
    """Claim up to `limit` due messages of a channel for `worker`; return them oldest first.

    Claimed rows become "sending" (claimed_by, claimed_at = now, claimed_term = term);
    rows some sender left "sending" for longer than `lease` first go back to pending,
    counted as an attempt (dead at max_attempts; None: never). With a `term`, nothing is
    claimed or expired unless it is the reminder leadership's current term. The sender
    claims nothing in quiet hours, broadcasts included. Safe with several processes; commit.
    """
    now = as_utc(now)
    await _expire_claims(
        session, channel=channel, now=now, lease=lease, max_attempts=max_attempts, term=term
    )
    where = _claimable(channel, now) + _in_term(term)
    # A CTE, not "id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)": PostgreSQL may run
    # such a subquery more than once and update more than `limit` rows; a CTE with row
    # locks is evaluated exactly once. SQLite ignores FOR UPDATE (a single writer).
    picked = (
        sa_select(col(Outbox.id))
        .where(*where)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    statement = (
        update(Outbox)
        # the terms again: PostgreSQL re-checks them on the row version it locked
        .where(col(Outbox.id).in_(sa_select(picked.c.id)), *where)
        .values(status=SENDING, claimed_by=worker[:64], claimed_at=now, claimed_term=term or 0)
        .returning(Outbox)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    claimed = list((await session.scalars(statement)).all())
    await session.commit()
    return sorted(claimed, key=lambda row: (row.next_attempt_at, row.id or 0))


async def _status(session: AsyncSession, outbox_id: int) -> str:
    """Return a row's status, or raise LookupError."""
    status = await session.scalar(sa_select(col(Outbox.status)).where(col(Outbox.id) == outbox_id))
    if status is None:
        raise LookupError(f"outbox row {outbox_id} not found")
    return str(status)


async def mark_sent(session: AsyncSession, *, outbox_id: int, now: datetime) -> bool:
    """Record a message as sent (whatever its state: it went out); False if it already was."""
    return await mark_sent_many(session, outbox_ids=[outbox_id], now=now) == 1


async def mark_sent_many(session: AsyncSession, *, outbox_ids: Sequence[int], now: datetime) -> int:
    """Record messages as sent in one statement; return how many were not already."""
    result = await session.execute(
        update(Outbox)
        .where(col(Outbox.id).in_(list(outbox_ids)), col(Outbox.status) != OutboxStatus.SENT.value)
        .values(status=OutboxStatus.SENT.value, sent_at=as_utc(now))
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(
    session: AsyncSession,
    *,
    outbox_id: int,
    error: str,
    retry_at: datetime,
    max_attempts: int,
    term: int | None = None,
) -> str:
    """Count a failed attempt; retry at `retry_at`, or "dead" once max_attempts is reached.

    Returns the row's new status ("pending" or "dead"); a row no longer "sending" (sent
    meanwhile by a sender that reclaimed it), or claimed in another term than `term`, is
    left alone and its status returned; commit.
    """
    attempts = col(Outbox.attempts) + 1
    statement = (
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == SENDING, *_claimed_in(term))
        .values(
            attempts=attempts,
            status=case((attempts >= max_attempts, OutboxStatus.DEAD.value), else_=PENDING),
            next_attempt_at=as_utc(retry_at),
            last_error=error[:OUTBOX_ERROR_MAX_CHARS],
        )
        .returning(col(Outbox.status))
        .execution_options(synchronize_session=False)
    )
    status = await session.scalar(statement)
    if status is None:
        status = await _status(session, outbox_id)
    await session.commit()
    return str(status)


async def mark_undeliverable(
    session: AsyncSession, *, outbox_id: int, error: str, term: int | None = None
) -> bool:
    """Give up on a message the platform refused for good (403, outside the window); commit.

    Only a row still "sending" (claimed in `term`, if given) changes; returns whether it did.
    """
    result = await session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == SENDING, *_claimed_in(term))
        .values(
            attempts=col(Outbox.attempts) + 1,
            status=OutboxStatus.UNDELIVERABLE.value,
            last_error=error[:OUTBOX_ERROR_MAX_CHARS],
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def postpone(
    session: AsyncSession,
    *,
    channel: str,
    until: datetime,
    kinds: Collection[str] | None = None,
    outbox_id: int | None = None,
    term: int | None = None,
) -> int:
    """Hold a channel's pending messages (optionally some kinds) until `until`; commit.

    For a 429 pause or quiet hours; rows already due later keep their time. `outbox_id`
    is the message that met the 429: if still "sending" it goes back to pending for
    `until` too, not counted as an attempt (if claimed in `term`, when given). Returns how
    many rows moved.
    """
    until = as_utc(until)
    statement = update(Outbox).where(
        col(Outbox.channel) == channel,
        col(Outbox.status) == PENDING,
        col(Outbox.next_attempt_at) < until,
    )
    if kinds is not None:
        statement = statement.where(col(Outbox.kind).in_([OutboxKind(k).value for k in kinds]))
    result = await session.execute(
        statement.values(next_attempt_at=until).execution_options(synchronize_session=False)
    )
    moved = int(result.rowcount)  # type: ignore[attr-defined]
    if outbox_id is not None:
        result = await session.execute(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id, col(Outbox.status) == SENDING, *_claimed_in(term))
            .values(status=PENDING, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        moved += int(result.rowcount)  # type: ignore[attr-defined]
    await session.commit()
    return moved


async def release(session: AsyncSession, *, worker: str) -> int:
    """Put the rows `worker` is sending back to pending (graceful stop); return how many."""
    result = await session.execute(
        update(Outbox)
        .where(col(Outbox.status) == SENDING, col(Outbox.claimed_by) == worker[:64])
        .values(status=PENDING)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def row_status(session: AsyncSession, *, outbox_id: int) -> str | None:
    """Return a message's status, or None if there is no such row."""
    status = await session.scalar(sa_select(col(Outbox.status)).where(col(Outbox.id) == outbox_id))
    return None if status is None else str(status)


async def retry_dead(
    session: AsyncSession, *, outbox_id: int | None, now: datetime, actor: str
) -> int:
    """Queue dead messages again, due now with attempts from 0: one, or all when outbox_id
    is None; return how many (0: the row is not dead). Audited "outbox.retry"; commit."""
    statement = update(Outbox).where(col(Outbox.status) == DEAD)
    if outbox_id is not None:
        statement = statement.where(col(Outbox.id) == outbox_id)
    result = await session.execute(
        statement.values(status=PENDING, attempts=0, next_attempt_at=as_utc(now))
        .returning(col(Outbox.id))
        .execution_options(synchronize_session=False)
    )
    ids = sorted(i for i in result.scalars().all() if i is not None)
    if ids:
        target = "outbox:dead" if outbox_id is None else f"outbox:{outbox_id}"
        add_audit(
            session,
            actor=actor,
            action="outbox.retry",
            target=target,
            detail={"rows": len(ids), "ids": ids[:100]},
        )
    await session.commit()
    return len(ids)


async def drop_dead(session: AsyncSession, *, outbox_id: int, actor: str) -> bool:
    """Give up on a dead message ("dropped": never sent, its key kept); tell whether it was
    dead. Audited "outbox.drop"; commit."""
    result = await session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == DEAD)
        .values(status=OutboxStatus.DROPPED.value)
        .execution_options(synchronize_session=False)
    )
    dropped = bool(result.rowcount)  # type: ignore[attr-defined]
    if dropped:
        add_audit(session, actor=actor, action="outbox.drop", target=f"outbox:{outbox_id}")
    await session.commit()
    return dropped


async def status_counts(
    session: AsyncSession, *, occasion_prefix: str | None = None
) -> dict[str, dict[str, int]]:
    """Return {channel: {status: rows}} (only occasions starting with the prefix if given)."""
    query = sa_select(col(Outbox.channel), col(Outbox.status), func.count()).group_by(
        col(Outbox.channel), col(Outbox.status)
    )
    if occasion_prefix is not None:
        query = query.where(col(Outbox.occasion).startswith(occasion_prefix, autoescape=True))
    counts: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for channel, status, number in (await session.execute(query)).all():
        counts[channel][status] = int(number)
    return dict(counts)


async def last_errors(session: AsyncSession, *, limit: int = 10) -> list[OutboxError]:
    """Return the newest errors of messages not sent: (occasion, chat_id, last_error, at, id).

    `at` is when the failing attempt was claimed (its creation if never claimed).
    """
    at = func.coalesce(col(Outbox.claimed_at), col(Outbox.created_at))
    query = (
        sa_select(
            col(Outbox.occasion),
            col(Outbox.chat_id),
            col(Outbox.last_error),
            col(Outbox.claimed_at),
            col(Outbox.created_at),
            col(Outbox.id),
        )
        .where(col(Outbox.last_error) != "", col(Outbox.status) != OutboxStatus.SENT.value)
        .order_by(at.desc(), col(Outbox.id).desc())
        .limit(limit)
    )
    return [
        OutboxError(occasion, chat_id, error, claimed_at or created_at, outbox_id or 0)
        for occasion, chat_id, error, claimed_at, created_at, outbox_id in (
            await session.execute(query)
        )
    ]


async def occasion_progress(session: AsyncSession, *, occasion: str) -> dict[str, int]:
    """Return {status: rows} of one occasion (e.g. "broadcast:5")."""
    query = (
        sa_select(col(Outbox.status), func.count())
        .where(col(Outbox.occasion) == occasion)
        .group_by(col(Outbox.status))
    )
    return {status: int(number) for status, number in (await session.execute(query)).all()}


def broadcast_occasion(broadcast_id: int) -> str:
    """Return the outbox occasion of a broadcast's messages."""
    return f"broadcast:{broadcast_id}"


async def create_broadcast(
    session: AsyncSession,
    *,
    text: str,
    audience: str,
    actor: str,
    recipients: Sequence[Recipient],
    now: datetime | None = None,
) -> Broadcast:
    """Record a broadcast and queue one message per chat of `recipients`; commit once.

    Keys are "broadcast:<id>:<channel>:<chat_id>", so a chat listed twice gets one copy.
    `total` is the number of messages queued. Audited "broadcast.create".
    """
    if len(text) > OUTBOX_TEXT_MAX_CHARS:
        raise ValueError(f"broadcast text longer than {OUTBOX_TEXT_MAX_CHARS} chars")
    now = as_utc(now or utcnow())
    broadcast = Broadcast(text=text, audience=audience, created_by=actor[:128], created_at=now)
    session.add(broadcast)
    await session.flush()
    assert broadcast.id is not None
    occasion = broadcast_occasion(broadcast.id)
    rows = [
        OutboxRow(
            key=f"{occasion}:{r.channel}:{r.chat_id}",
            occasion=occasion,
            kind=OutboxKind.BROADCAST.value,
            channel=r.channel,
            chat_id=r.chat_id,
            text=text,
            member_id=r.member_id,
        )
        for r in recipients
    ]
    broadcast.total = await _insert(session, rows, now) if rows else 0
    detail = {"audience": audience, "total": broadcast.total}
    add_audit(session, actor=actor, action="broadcast.create", target=occasion, detail=detail)
    await session.commit()
    return broadcast


async def latest_broadcasts(session: AsyncSession, *, limit: int = 3) -> list[Broadcast]:
    """Return the newest broadcasts, newest first."""
    query = sa_select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    return list((await session.scalars(query)).all())
