"""Outbox: never a second copy, claims safe across processes, retries, pauses, broadcasts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.engine import session_factory
from storage.models import Outbox
from storage.queries.audit import list_audit
from storage.queries.members import bind_member, set_blocked
from storage.queries.outbox import (
    CLAIM_LEASE,
    LEASE_EXPIRED,
    OutboxRow,
    claim_due,
    create_broadcast,
    drop_dead,
    enqueue,
    last_errors,
    mark_failed,
    mark_sent,
    mark_undeliverable,
    occasion_progress,
    postpone,
    release,
    retry_dead,
    row_status,
    status_counts,
)
from storage.queries.recipients import audience
from storage.queries.terms import begin_term, current_term
from tests.storage.helpers import make_member, make_tree, unit_id

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def row(key: str, chat_id: str, at: datetime | None = None) -> OutboxRow:
    """Return one telegram reminder of occasion "o"."""
    return OutboxRow(
        key=key,
        occasion="o",
        kind="reminder",
        channel="telegram",
        chat_id=chat_id,
        text="x",
        next_attempt_at=at,
    )


def rows(
    occasion: str, count: int, *, channel: str = "telegram", kind: str = "reminder"
) -> list[OutboxRow]:
    """Return `count` messages of one occasion, one per chat."""
    return [
        OutboxRow(
            key=f"{occasion}:member:{n}",
            occasion=occasion,
            kind=kind,
            channel=channel,
            chat_id=str(n),
            text=f"Nhắc việc {n}",
        )
        for n in range(count)
    ]


async def test_enqueueing_an_occasion_again_adds_no_second_copy(session: AsyncSession) -> None:
    assert await enqueue(session, rows=rows("deadline:1:7d", 3), now=T0) == 3
    assert await enqueue(session, rows=rows("deadline:1:7d", 5), now=T0) == 2
    as_dicts = [{"key": "deadline:1:7d:member:0", "occasion": "deadline:1:7d", "kind": "reminder"}]
    as_dicts[0] |= {"channel": "telegram", "chat_id": "0", "text": "again"}
    assert await enqueue(session, rows=as_dicts, now=T0) == 0
    assert await occasion_progress(session, occasion="deadline:1:7d") == {"pending": 5}
    # once sent, planning the occasion again still sends nothing
    claimed = await claim_due(session, channel="telegram", now=T0, limit=10, worker="a")
    for row in claimed:
        assert row.id is not None
        assert await mark_sent(session, outbox_id=row.id, now=T0)
    assert await enqueue(session, rows=rows("deadline:1:7d", 5), now=T0) == 0
    assert await claim_due(session, channel="telegram", now=T0, limit=10, worker="a") == []
    assert await occasion_progress(session, occasion="deadline:1:7d") == {"sent": 5}


async def test_enqueue_refuses_bad_rows_and_handles_big_batches(session: AsyncSession) -> None:
    too_long = OutboxRow(
        key="k", occasion="o", kind="reminder", channel="telegram", chat_id="1", text="x" * 4001
    )
    with pytest.raises(ValueError, match="4000"):
        await enqueue(session, rows=[too_long], now=T0)
    with pytest.raises(ValueError):
        await enqueue(session, rows=rows("o", 1, kind="spam"), now=T0)
    assert await enqueue(session, rows=[], now=T0) == 0
    assert await enqueue(session, rows=rows("period:q1", 2500), now=T0) == 2500
    assert await status_counts(session) == {"telegram": {"pending": 2500}}


async def test_claim_takes_due_rows_of_the_channel_oldest_first(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("o", 3) + rows("z", 2, channel="zalo_oa"), now=T0)
    later = row("late", "9", T0 + timedelta(hours=1))
    await enqueue(session, rows=[later], now=T0)
    first = await claim_due(session, channel="telegram", now=T0, limit=2, worker="w1")
    assert [row.chat_id for row in first] == ["0", "1"]
    assert {(row.status, row.claimed_by, row.claimed_at) for row in first} == {
        ("sending", "w1", T0)
    }
    rest = await claim_due(session, channel="telegram", now=T0, limit=10, worker="w1")
    assert [row.chat_id for row in rest] == ["2"]
    for claimed in first + rest:
        assert claimed.id is not None
        await mark_sent(session, outbox_id=claimed.id, now=T0)
    later_rows = await claim_due(
        session, channel="telegram", now=T0 + timedelta(hours=1), limit=10, worker="w1"
    )
    assert [row.key for row in later_rows] == ["late"]
    assert await status_counts(session) == {
        "telegram": {"sending": 1, "sent": 3},
        "zalo_oa": {"pending": 2},
    }


async def test_two_senders_never_claim_the_same_row(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        await enqueue(session, rows=rows("broadcast:1", 300), now=T0)

    async def drain(worker: str) -> list[int]:
        taken: list[int] = []
        async with sessions() as session:
            while batch := await claim_due(
                session, channel="telegram", now=T0, limit=7, worker=worker
            ):
                taken += [row.id for row in batch if row.id is not None]
                await asyncio.sleep(0)
        return taken

    first, second = await asyncio.gather(drain("a"), drain("b"))
    assert len(first) + len(second) == 300
    assert len(set(first) | set(second)) == 300
    if engine.dialect.name == "postgresql":
        assert first and second  # both really took part


async def test_a_crashed_senders_rows_are_claimed_again_after_the_lease(
    session: AsyncSession,
) -> None:
    await enqueue(session, rows=rows("deadline:2:1d", 2), now=T0)
    crashed = await claim_due(session, channel="telegram", now=T0, limit=1, worker="dead")
    assert [row.chat_id for row in crashed] == ["0"]
    soon = T0 + CLAIM_LEASE - timedelta(seconds=1)
    other = await claim_due(session, channel="telegram", now=soon, limit=5, worker="b")
    assert [row.chat_id for row in other] == ["1"]  # the in-flight row is left alone
    late = T0 + CLAIM_LEASE + timedelta(seconds=1)
    again = await claim_due(session, channel="telegram", now=late, limit=5, worker="b")
    # the expired claim counts as an attempt: its sender may have died of this very message
    assert [(row.chat_id, row.claimed_by, row.attempts) for row in again] == [("0", "b", 1)]
    assert again[0].last_error == LEASE_EXPIRED


async def test_a_message_that_kills_its_sender_every_time_ends_dead(
    session: AsyncSession,
) -> None:
    await enqueue(session, rows=rows("broadcast:7", 1), now=T0)
    now, tries = T0, 0
    while claimed := await claim_due(
        session, channel="telegram", now=now, limit=5, worker=f"w{tries}", max_attempts=3
    ):
        assert [row.attempts for row in claimed] == [tries]
        tries += 1  # the sender dies during the send: nothing is recorded
        now += CLAIM_LEASE + timedelta(seconds=1)
        assert tries < 10, "claimed again for ever"
    assert tries == 3
    assert await occasion_progress(session, occasion="broadcast:7") == {"dead": 1}
    [error] = await last_errors(session)
    assert error.last_error == LEASE_EXPIRED


async def test_a_stale_leaders_term_claims_and_changes_nothing(session: AsyncSession) -> None:
    assert await current_term(session) == 0
    old = await begin_term(session, now=T0)
    await enqueue(session, rows=rows("deadline:8:1d", 3), now=T0)
    [mine] = await claim_due(session, channel="telegram", now=T0, limit=1, worker="a", term=old)
    assert (mine.claimed_term, mine.status) == (old, "sending") and mine.id is not None
    new = await begin_term(session, now=T0)  # a follower took over: the old leader hung
    assert new == old + 1 and await current_term(session) == new
    assert await claim_due(session, channel="telegram", now=T0, limit=9, worker="a", term=old) == []
    later = T0 + CLAIM_LEASE + timedelta(seconds=1)
    assert (
        await claim_due(session, channel="telegram", now=later, limit=9, worker="a", term=old) == []
    )
    assert await row_status(session, outbox_id=mine.id) == "sending"  # not even expired
    taken = await claim_due(session, channel="telegram", now=later, limit=9, worker="b", term=new)
    assert {row.chat_id for row in taken} == {"0", "1", "2"}
    assert {row.claimed_term for row in taken} == {new}
    # the resumed old leader's late outcomes don't touch its successor's claims
    status = await mark_failed(
        session, outbox_id=mine.id, error="x", retry_at=later, max_attempts=1, term=old
    )
    assert status == "sending"
    assert not await mark_undeliverable(session, outbox_id=mine.id, error="403", term=old)
    assert (
        await postpone(session, channel="telegram", until=later, outbox_id=mine.id, term=old) == 0
    )
    assert await mark_undeliverable(session, outbox_id=mine.id, error="403", term=new)


async def test_an_admin_retries_or_drops_dead_messages(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("deadline:9:0d", 3), now=T0)
    for row_ in await claim_due(session, channel="telegram", now=T0, limit=9, worker="w"):
        assert row_.id is not None
        await mark_failed(session, outbox_id=row_.id, error="boom", retry_at=T0, max_attempts=1)
    ids = sorted(r.id for r in await session.scalars(select(Outbox)) if r.id is not None)
    first, second, third = ids
    later = T0 + timedelta(hours=2)
    assert await retry_dead(session, outbox_id=first, now=later, actor="cli") == 1
    assert await retry_dead(session, outbox_id=first, now=later, actor="cli") == 0  # pending now
    assert await drop_dead(session, outbox_id=second, actor="cli")
    assert not await drop_dead(session, outbox_id=first, actor="cli")  # not dead
    assert await row_status(session, outbox_id=second) == "dropped"
    assert await row_status(session, outbox_id=999) is None
    [again] = await claim_due(session, channel="telegram", now=later, limit=9, worker="w")
    assert (again.id, again.attempts) == (first, 0)
    # a dropped message is never queued again, even when its occasion is planned again
    assert await enqueue(session, rows=rows("deadline:9:0d", 3), now=later) == 0
    assert await retry_dead(session, outbox_id=None, now=later, actor="cli") == 1  # the third
    assert await row_status(session, outbox_id=third) == "pending"
    audits = await list_audit(session, action="outbox.retry")
    assert {(a.actor, a.target) for a in audits} == {
        ("cli", f"outbox:{first}"),
        ("cli", "outbox:dead"),
    }
    [dropped] = await list_audit(session, action="outbox.drop")
    assert dropped.target == f"outbox:{second}"


async def test_failures_back_off_then_dead_letter(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("deadline:3:0d", 1), now=T0)
    now = T0
    statuses = []
    for attempt in range(3):
        [row] = await claim_due(session, channel="telegram", now=now, limit=5, worker="w")
        assert row.id is not None and row.attempts == attempt
        retry_at = now + timedelta(minutes=2**attempt)
        status = await mark_failed(
            session, outbox_id=row.id, error="timeout " * 100, retry_at=retry_at, max_attempts=3
        )
        statuses.append(status)
        assert await claim_due(session, channel="telegram", now=now, limit=5, worker="w") == []
        now = retry_at
    assert statuses == ["pending", "pending", "dead"]
    next_day = now + timedelta(days=1)
    assert await claim_due(session, channel="telegram", now=next_day, limit=5, worker="w") == []
    [error] = await last_errors(session)
    assert error.occasion == "deadline:3:0d" and error.chat_id == "0"
    assert len(error.last_error) == 500 and error.at == now - timedelta(minutes=4)


async def test_a_message_recorded_as_sent_is_never_queued_again(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("deadline:4:7d", 1), now=T0)
    [slow] = await claim_due(session, channel="telegram", now=T0, limit=1, worker="slow")
    late = T0 + CLAIM_LEASE + timedelta(minutes=1)
    [fast] = await claim_due(session, channel="telegram", now=late, limit=1, worker="fast")
    assert slow.id == fast.id and fast.id is not None
    assert await mark_sent(session, outbox_id=fast.id, now=late)
    # the slow sender's error arrives after the row was sent: it stays sent
    status = await mark_failed(
        session, outbox_id=fast.id, error="timeout", retry_at=late, max_attempts=5
    )
    assert status == "sent"
    assert not await mark_undeliverable(session, outbox_id=fast.id, error="403")
    assert not await mark_sent(session, outbox_id=fast.id, now=late)
    assert await occasion_progress(session, occasion="deadline:4:7d") == {"sent": 1}
    with pytest.raises(LookupError):
        await mark_failed(session, outbox_id=999, error="x", retry_at=late, max_attempts=1)


async def test_undeliverable_is_final(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("broadcast:9", 1), now=T0)
    [row] = await claim_due(session, channel="telegram", now=T0, limit=1, worker="w")
    assert row.id is not None
    assert await mark_undeliverable(session, outbox_id=row.id, error="403 Forbidden: blocked")
    later = T0 + timedelta(days=1)
    assert await claim_due(session, channel="telegram", now=later, limit=1, worker="w") == []
    stored = await session.get(Outbox, row.id, populate_existing=True)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.last_error) == (
        "undeliverable",
        1,
        "403 Forbidden: blocked",
    )


async def test_postpone_holds_a_channel_and_release_hands_rows_back(
    session: AsyncSession,
) -> None:
    await enqueue(session, rows=rows("o", 3) + rows("z", 1, channel="zalo_oa"), now=T0)
    far = T0 + timedelta(hours=9)
    await enqueue(session, rows=[row("far", "x", far)], now=T0)
    until = T0 + timedelta(seconds=30)
    assert await postpone(session, channel="telegram", until=until) == 3
    assert await claim_due(session, channel="telegram", now=T0, limit=9, worker="w") == []
    assert len(await claim_due(session, channel="zalo_oa", now=T0, limit=9, worker="w")) == 1
    claimed = await claim_due(session, channel="telegram", now=until, limit=2, worker="w")
    assert len(claimed) == 2
    assert await release(session, worker="other") == 0
    assert await release(session, worker="w") == 3  # two telegram rows and the zalo one
    again = await claim_due(session, channel="telegram", now=until, limit=9, worker="w2")
    assert sorted(row.chat_id for row in again) == ["0", "1", "2"]
    assert await postpone(session, channel="telegram", until=until, kinds=["broadcast"]) == 0


async def test_a_rate_limited_message_waits_with_its_channel_without_a_try(
    session: AsyncSession,
) -> None:
    await enqueue(session, rows=rows("deadline:6:7d", 3), now=T0)
    [hit, *_] = await claim_due(session, channel="telegram", now=T0, limit=2, worker="w")
    assert hit.id is not None
    until = T0 + timedelta(seconds=30)
    assert await postpone(session, channel="telegram", until=until, outbox_id=hit.id) == 2
    assert await claim_due(session, channel="telegram", now=T0, limit=9, worker="w") == []
    again = await claim_due(session, channel="telegram", now=until, limit=9, worker="w")
    assert [(row.chat_id, row.attempts) for row in again] == [("0", 0), ("2", 0)]


async def test_status_counts_by_channel_and_occasion_prefix(session: AsyncSession) -> None:
    await enqueue(session, rows=rows("deadline:1:7d", 2) + rows("broadcast:1", 1), now=T0)
    await enqueue(session, rows=rows("deadline:1:1d", 1, channel="zalo_oa"), now=T0)
    [row] = await claim_due(session, channel="zalo_oa", now=T0, limit=1, worker="w")
    assert row.id is not None
    await mark_sent(session, outbox_id=row.id, now=T0)
    assert await status_counts(session, occasion_prefix="deadline:1:") == {
        "telegram": {"pending": 2},
        "zalo_oa": {"sent": 1},
    }
    assert await status_counts(session, occasion_prefix="deadline:1_") == {}
    assert await status_counts(session) == {
        "telegram": {"pending": 3},
        "zalo_oa": {"sent": 1},
    }


async def test_broadcast_queues_one_message_per_chat_of_its_audience(
    session: AsyncSession,
) -> None:
    units = await make_tree(session)
    people = {}
    for external_id, code, role in (("1", "H1", "leader"), ("2", "X1", "leader")):
        member = await make_member(session, external_id)
        assert member.id is not None
        await bind_member(
            session, member_id=member.id, unit_id=unit_id(units[code]), role=role, actor="cli"
        )
        people[external_id] = member
    await make_member(session, "3")  # not a leader
    outsider = await make_member(session, "4")
    assert outsider.id is not None
    await bind_member(
        session, member_id=outsider.id, unit_id=unit_id(units["X3"]), role="leader", actor="cli"
    )
    blocked = await make_member(session, "5")
    assert blocked.id is not None
    await bind_member(
        session, member_id=blocked.id, unit_id=unit_id(units["X2"]), role="leader", actor="cli"
    )
    await set_blocked(session, member_id=blocked.id)

    recipients = await audience(session, audience="unit:H1")
    broadcast = await create_broadcast(
        session,
        text="Họp trực tuyến lúc 14h",
        audience="unit:H1",
        actor="telegram:42",
        recipients=recipients + recipients,  # a chat listed twice gets one copy
        now=T0,
    )
    assert broadcast.id is not None and broadcast.total == 2
    occasion = f"broadcast:{broadcast.id}"
    assert await occasion_progress(session, occasion=occasion) == {"pending": 2}
    claimed = await claim_due(session, channel="telegram", now=T0, limit=9, worker="w")
    assert sorted(row.chat_id for row in claimed) == ["1", "2"]
    assert {(row.kind, row.occasion, row.text) for row in claimed} == {
        ("broadcast", occasion, "Họp trực tuyến lúc 14h")
    }
    assert {row.member_id for row in claimed} == {people["1"].id, people["2"].id}
    [audit] = await list_audit(session, action="broadcast.create")
    assert (audit.actor, audit.target, audit.detail) == (
        "telegram:42",
        occasion,
        {"audience": "unit:H1", "total": 2},
    )
    with pytest.raises(ValueError):
        await create_broadcast(
            session, text="x" * 4001, audience="all", actor="a", recipients=recipients
        )
